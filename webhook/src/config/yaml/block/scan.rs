//! Byte scanning for the quick reader, eight bytes at a time: the check that a text holds
//! nothing the reader leaves to the full parser at the byte level, leading spaces, line ends,
//! and the first of a few bytes of interest.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);

/// The eight bytes at `at` as a little-endian word, if there are eight.
#[inline]
fn word(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// A high bit in each byte of `w` that is zero, and maybe in bytes after one: a borrow only
/// runs from a zero byte to later ones, so the lowest set bit always marks a zero byte.
#[inline]
fn zeros(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGH
}

/// The index of the byte a non-zero `zeros` mask marks first, from `at`.
#[inline]
fn first(at: usize, mask: u64) -> usize {
    at + (mask.trailing_zeros() / 8) as usize
}

/// Whether the text holds a character the quick reader leaves to the full parser wherever it
/// is: a control character other than the line break (a tab, a carriage return, DEL, the C1
/// controls), a byte-order mark or a non-character. Whole groups of rare characters go with
/// them (all of U+0080–U+00BF and U+F000–U+FFFF, by the first byte of their UTF-8). Looks at
/// every byte without stopping early, so that it runs many bytes at a time.
pub(super) fn has_refused_byte(bytes: &[u8]) -> bool {
    let control = |b: u8| (b < 0x20) & (b != b'\n');
    // Plain ASCII text needs only the first look.
    bytes
        .iter()
        .fold(false, |found, &b| found | control(b) | (b >= 0x7f))
        && bytes.iter().fold(false, |found, &b| {
            found | control(b) | (b == 0x7f) | (b == 0xc2) | (b == 0xef)
        })
}

/// Whether a line starting at `at` starts with a directive (`%`), a byte-order mark or a
/// document marker (`---`, `...`), which the quick reader leaves to the full parser.
#[inline]
pub(super) fn starts_marker(bytes: &[u8], at: usize) -> bool {
    let line = &bytes[at.min(bytes.len())..];
    matches!(line.first(), Some(b'%' | 0xef | b'-' | b'.'))
        && (line.starts_with(b"%")
            || line.starts_with("\u{feff}".as_bytes())
            || line.starts_with(b"---")
            || line.starts_with(b"..."))
}

/// How many spaces there are from `from` on.
#[inline(always)]
pub(super) fn spaces(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(w) = word(bytes, at) {
        let other = w ^ SPACES;
        if other != 0 {
            return at + (other.trailing_zeros() / 8) as usize - from;
        }
        at += 8;
    }
    at + bytes[at..].iter().take_while(|&&b| b == b' ').count() - from
}

/// The index of the line break ending the line that `from` is in, or `bytes.len()`.
#[inline(always)]
pub(super) fn line_end(bytes: &[u8], from: usize) -> usize {
    const BREAKS: u64 = ONES * b'\n' as u64;
    let mut at = from;
    while let Some(w) = word(bytes, at) {
        let found = zeros(w ^ BREAKS);
        if found != 0 {
            return first(at, found);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i)
}

/// The index of the first byte at or after `from` that is one of `wanted`, or `bytes.len()`.
#[inline(always)]
pub(super) fn find(bytes: &[u8], from: usize, wanted: [u8; 3]) -> usize {
    let [a, b, c] = wanted.map(|w| ONES * u64::from(w));
    let mut at = from;
    while let Some(w) = word(bytes, at) {
        let found = zeros(w ^ a) | zeros(w ^ b) | zeros(w ^ c);
        if found != 0 {
            return first(at, found);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|x| wanted.contains(x))
        .map_or(bytes.len(), |i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of every kind, long enough for whole words and a tail, in a scrambled order.
    fn samples() -> Vec<Vec<u8>> {
        let mut all: Vec<u8> = (0..=255).collect();
        let mut scrambled = all.clone();
        let mut state = 7u32;
        for i in (1..scrambled.len()).rev() {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            scrambled.swap(i, (state >> 16) as usize % (i + 1));
        }
        all.reverse();
        let text =
            "ab: \u{e9}\u{1f600} x\n  - y\t\u{7f}\u{ff}zz:zz#zzzzz  zzzzzzzzz\r\n !~\x1f end \n"
                .into();
        vec![all, scrambled, text, b"        x       \n".to_vec()]
    }

    #[test]
    fn searches_agree_with_byte_by_byte_ones() {
        for bytes in samples() {
            for from in 0..=bytes.len() {
                let rest = &bytes[from..];
                let naive = |f: &dyn Fn(u8) -> bool| {
                    rest.iter()
                        .position(|&b| f(b))
                        .map_or(bytes.len(), |i| from + i)
                };
                assert_eq!(line_end(&bytes, from), naive(&|b| b == b'\n'), "{from}");
                for wanted in [[b':', b'#', b'\n'], [b'"', b'\\', b'\n'], [0xff, 0, 0x80]] {
                    let got = find(&bytes, from, wanted);
                    assert_eq!(got, naive(&|b| wanted.contains(&b)), "{from} {wanted:?}");
                }
                let n = rest.iter().take_while(|&&b| b == b' ').count();
                assert_eq!(spaces(&bytes, from), n, "{from}");
            }
        }
    }

    #[test]
    fn refused_bytes_are_found_anywhere() {
        for bytes in samples() {
            let want = bytes
                .iter()
                .any(|&b| b < 0x20 && b != b'\n' || matches!(b, 0x7f | 0xc2 | 0xef));
            assert_eq!(has_refused_byte(&bytes), want);
        }
        assert!(!has_refused_byte(b"a: b\n  c: d\n"));
        assert!(has_refused_byte(b"a: b\n  c:\td\n"));
        assert!(has_refused_byte(b"a: b\r\n"));
        assert!(has_refused_byte("a: x\u{feff}\n".as_bytes()));
        assert!(has_refused_byte("a: x\u{7f}\n".as_bytes()));
        assert!(has_refused_byte("a: x\u{85}\n".as_bytes()));
        assert!(!has_refused_byte("a: \u{e9}\u{4e2d}\u{1f600}\n".as_bytes()));
    }

    #[test]
    fn line_start_markers() {
        let text = b"%Y\n\xef\xbb\xbfa\n---\n...\n--\n..\n-a\n.a\n a\n";
        let starts: Vec<usize> = (0..text.len())
            .filter(|&i| i == 0 || text[i - 1] == b'\n')
            .collect();
        let marked: Vec<bool> = starts.iter().map(|&i| starts_marker(text, i)).collect();
        assert_eq!(
            marked,
            [true, true, true, true, false, false, false, false, false]
        );
    }
}
