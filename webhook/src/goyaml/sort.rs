//! go-yaml v2's ordering of mapping keys (`keyList.Less` for string keys).

use std::cmp::Ordering;

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// True when go-yaml sorts string key `a` before `b`: runes compared one by one, letters before
/// non-letters, runs of digits compared by their numeric value, then by length.
pub fn go_yaml_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// A total order usable with `sort_by` (go-yaml uses `sort.Sort`, whose result for keys that are
/// neither less nor greater than each other cannot arise for distinct map keys in practice).
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    if go_yaml_key_less(a, b) {
        Ordering::Less
    } else if go_yaml_key_less(b, a) {
        Ordering::Greater
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut keys = vec![
            "b", "a10", "a9", "A", "_x", "a", "1", "10", "2", "a-b", "ab",
        ];
        keys.sort_by(|a, b| compare(a, b));
        assert_eq!(
            keys,
            vec!["_x", "1", "2", "10", "A", "a", "a-b", "a9", "a10", "ab", "b"]
        );
    }
}
