//! Finding a struct field by its JSON key, as strategic merge (exact name) and Go's decoder
//! (exact name, else the first field whose name matches ignoring ASCII case) do, without
//! scanning the field list: a small open-addressing table per struct, built once with the
//! schema, hashed on the key's length and up to eight bytes from each end. A probe ends at an
//! empty slot, so any key, known or not, costs one hash and about one string compare.

use super::{Field, TypeDef};

impl TypeDef {
    pub(super) fn new(name: &'static str, fields: Vec<Field>) -> TypeDef {
        // Decoding keeps field indices in 15 bits.
        assert!(fields.len() < 0x7fff, "{name}: too many fields");
        let mut zero_before = Vec::with_capacity(fields.len() + 1);
        let mut count = 0u16;
        zero_before.push(count);
        for f in &fields {
            count += u16::from(f.zero_emitted());
            zero_before.push(count);
        }
        let name_lens = fields
            .iter()
            .map(|f| u8::try_from(f.json.len()).expect("JSON names are shorter than 256 bytes"))
            .collect();
        TypeDef {
            name,
            index: FieldIndex::new(&fields),
            name_lens,
            fields,
            zero_before: zero_before.into_boxed_slice(),
        }
    }

    /// The field a JSON key selects when strategic merge patch looks it up (exact match).
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.index.find(&self.fields, key).map(|i| &self.fields[i])
    }

    /// The field (and its index) a JSON key decodes into: an exact match, else Go's
    /// case-insensitive match.
    #[cfg(test)]
    pub fn decode_field(&self, key: &str) -> Option<(usize, &Field)> {
        self.decode_index(key, usize::MAX)
            .map(|(i, _)| (i, &self.fields[i]))
    }

    /// The index of the field a JSON key decodes into, and whether the key is its exact name;
    /// the few fields from `hint` on are tried first (keys usually come in declaration order,
    /// omitted fields skipped, so the field just after the previous key's is the likely one).
    #[inline]
    pub fn decode_index(&self, key: &str, hint: usize) -> Option<(usize, bool)> {
        const SCAN: usize = 6;
        let start = hint.min(self.fields.len());
        let end = (start + SCAN).min(self.fields.len());
        for (i, &len) in self.name_lens[start..end].iter().enumerate() {
            if usize::from(len) == key.len() && self.fields[start + i].json == key {
                return Some((start + i, true));
            }
        }
        match self.index.find(&self.fields, key) {
            Some(i) => Some((i, true)),
            None => self
                .fields
                .iter()
                .position(|f| f.json.eq_ignore_ascii_case(key))
                .map(|i| (i, false)),
        }
    }

    /// How many fields are [`Field::zero_emitted`].
    pub fn zero_emitted_count(&self) -> usize {
        usize::from(self.zero_before[self.fields.len()])
    }

    /// Whether any field at positions `from..to` is [`Field::zero_emitted`].
    #[inline]
    pub fn zero_emitted_in(&self, from: usize, to: usize) -> bool {
        self.zero_before[to] > self.zero_before[from]
    }
}

/// Exact-name index of one struct's fields.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    /// Slot count minus one (a power of two minus one).
    mask: usize,
    /// Field index plus one; 0 marks an empty slot.
    slots: Box<[u16]>,
}

/// Mixes the key's length with up to eight bytes from each end.
fn hash(key: &[u8]) -> usize {
    let n = key.len();
    let (head, tail) = if n >= 8 {
        let mut h = [0u8; 8];
        let mut t = [0u8; 8];
        h.copy_from_slice(&key[..8]);
        t.copy_from_slice(&key[n - 8..]);
        (u64::from_le_bytes(h), u64::from_le_bytes(t))
    } else {
        let mut h = [0u8; 8];
        h[..n].copy_from_slice(key);
        (u64::from_le_bytes(h), 0)
    };
    let x = (head ^ tail.rotate_left(29) ^ (n as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x >> 40) as usize
}

impl FieldIndex {
    /// The index of `fields` (their JSON names are distinct; fewer than 65,535 of them).
    pub fn new(fields: &[Field]) -> FieldIndex {
        let size = (fields.len() * 4).next_power_of_two().max(8);
        let mask = size - 1;
        let mut slots = vec![0u16; size].into_boxed_slice();
        for (i, f) in fields.iter().enumerate() {
            let mut at = hash(f.json.as_bytes()) & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = u16::try_from(i + 1).expect("fewer than 65,535 fields in a struct");
        }
        FieldIndex { mask, slots }
    }

    /// The position in `fields` (the list the index was built from) of the field named
    /// exactly `key`.
    #[inline]
    pub fn find(&self, fields: &[Field], key: &str) -> Option<usize> {
        let mut at = hash(key.as_bytes()) & self.mask;
        loop {
            let slot = usize::from(self.slots[at]);
            if slot == 0 {
                return None;
            }
            if fields[slot - 1].json == key {
                return Some(slot - 1);
            }
            at = (at + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::k8s::schema::schema;

    #[test]
    fn every_field_of_every_type_is_found_by_its_exact_name() {
        for td in &schema().types {
            for (i, f) in td.fields.iter().enumerate() {
                assert_eq!(
                    td.index.find(&td.fields, f.json),
                    Some(i),
                    "{}.{}",
                    td.name,
                    f.json
                );
            }
        }
    }

    #[test]
    fn decode_lookup_falls_back_to_case_insensitive() {
        let s = schema();
        let env = s.get(s.lookup("EnvVar").unwrap());
        assert_eq!(env.decode_field("Name").unwrap().1.json, "name");
        assert_eq!(env.decode_index("NAME", 0), Some((0, false)));
        assert_eq!(env.decode_index("value", 0), Some((1, true)));
        assert_eq!(env.decode_index("name", 1), Some((0, true)));
        assert!(env.field("Name").is_none());
        assert!(env.decode_field("nam").is_none());
        // An exact name wins over an earlier field matching it ignoring case.
        let nn = s.get(s.lookup("NamespacedName").unwrap());
        assert_eq!(nn.decode_index("Name", 0), Some((1, true)));
        assert_eq!(nn.decode_index("name", 0), Some((1, false)));
    }

    #[test]
    fn zero_emitted_counts_follow_the_tags() {
        let s = schema();
        let c = s.get(s.lookup("Container").unwrap());
        let at = |json: &str| c.fields.iter().position(|f| f.json == json).unwrap();
        // `name` has no omitempty; `resources` is a non-pointer struct.
        assert!(c.zero_emitted_in(0, 1));
        assert!(!c.zero_emitted_in(1, at("resources")));
        assert!(c.zero_emitted_in(1, at("resources") + 1));
        assert!(!c.zero_emitted_in(at("resources") + 1, c.fields.len()));
    }

    #[test]
    fn other_keys_are_not_found() {
        let s = schema();
        let td = s.get(s.lookup("Container").unwrap());
        for key in [
            "",
            "Name",
            "nam",
            "names",
            "x",
            "imagePullPolicyX",
            "livenessprobe",
            "é",
        ] {
            assert_eq!(td.index.find(&td.fields, key), None, "{key:?}");
        }
    }
}
