//! Decoding a Go struct: every key matched to its field (exact name, else Go's
//! case-insensitive match), values decoded in place, and — only when the object is not already
//! what `json.Marshal` writes — the object rebuilt in declaration order with omitted fields
//! dropped and the fields Go always emits added.

use serde_json::{Map, Value};

use super::{Ctx, NormalizeError};
use crate::k8s::schema::{Field, Ty, TypeDef};

/// A key that decodes into no field.
const UNKNOWN: u16 = u16::MAX;
/// Set in a slot when the key is not the field's exact name.
const INEXACT: u16 = 0x8000;

/// The position bits (and the inexact bit) of a rebuild order code.
const POSITION_BITS: u64 = (1 << 33) - 1;

/// The slot of a key decoding into field `fi`.
fn slot(fi: usize, exact: bool) -> u16 {
    // Schema structs have far fewer than 0x7fff fields.
    (fi as u16) | if exact { 0 } else { INEXACT }
}

/// Go's `omitempty` test on an already-normalised value of type `ty`.
fn is_empty(ty: &Ty, v: &Value) -> bool {
    match (ty, v) {
        (Ty::Struct(_) | Ty::Quantity | Ty::IntOrString | Ty::Time | Ty::Object, _) => false,
        (_, Value::Null) => true,
        (Ty::Str, Value::String(s)) => s.is_empty(),
        (Ty::I32 | Ty::I64, Value::Number(n)) => n.as_i64() == Some(0),
        (Ty::Bool, Value::Bool(b)) => !b,
        (Ty::List(_), Value::Array(a)) => a.is_empty(),
        (Ty::Map(_), Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

/// Whether Go omits a present field whose decoded value is `v`.
fn omitted(field: &Field, v: &Value) -> bool {
    (field.omitempty && is_empty(&field.ty, v)) || (field.omitzero && v.is_null())
}

impl Ctx {
    /// Decodes `v` in place as struct `idx`: fields in Go's declaration order, unknown and
    /// omitted fields dropped, unset fields Go emits added with their zero value.
    pub(super) fn decode_struct(
        &mut self,
        idx: usize,
        v: &mut Value,
    ) -> Result<(), NormalizeError> {
        let td = self.schema.get(idx);
        let entries = match v {
            Value::Object(m) => m,
            Value::Null => {
                *v = Value::Object(Map::new());
                let Value::Object(m) = v else { unreachable!() };
                m
            }
            other => return Err(self.type_err(&Ty::Struct(idx), other)),
        };
        // Decode every present field in place, noting the field of every key and whether the
        // object already has Go's shape: exact field names in declaration order, nothing to
        // omit, nothing to add.
        let base = self.slots.len();
        let mut in_shape = true;
        let mut next = 0;
        for (key, val) in entries.iter_mut() {
            let Some((fi, exact)) = td.decode_index(key, next) else {
                in_shape = false;
                self.slots.push(UNKNOWN);
                continue;
            };
            let field = &td.fields[fi];
            self.decode_value(&field.ty, val)
                .map_err(|e| e.within(format_args!(".{}", field.json)))?;
            in_shape = in_shape
                && fi >= next
                && exact
                && !omitted(field, val)
                && !td.zero_emitted_in(next, fi);
            next = fi + 1;
            self.slots.push(slot(fi, exact));
        }
        if in_shape && !td.zero_emitted_in(next, td.fields.len()) {
            self.slots.truncate(base);
            return Ok(());
        }
        self.rebuild(td, entries, base)
    }

    /// Rewrites the decoded fields of a struct in Go's shape (`self.slots[base..]` holds the
    /// field of each key): one entry per field (the last key decoding into a field wins, as in
    /// Go), in declaration order as json.Marshal writes them, omitted ones dropped, unset ones
    /// Go emits added.
    fn rebuild(
        &mut self,
        td: &TypeDef,
        entries: &mut Map<String, Value>,
        base: usize,
    ) -> Result<(), NormalizeError> {
        // The entries by position, and the known ones as `field << 33 | position << 1 | inexact`
        // sorted: by field, then by position (so the last key of a field comes last).
        let mut kept = std::mem::take(&mut self.kept);
        let mut order = std::mem::take(&mut self.order);
        kept.clear();
        order.clear();
        for (pos, (entry, slot)) in std::mem::take(entries)
            .into_iter()
            .zip(self.slots.drain(base..))
            .enumerate()
        {
            if slot != UNKNOWN {
                let inexact = u64::from(slot & INEXACT != 0);
                order.push(u64::from(slot & !INEXACT) << 33 | (pos as u64) << 1 | inexact);
            }
            kept.push(entry);
        }
        order.sort_unstable();
        let mut out = Map::with_capacity(order.len() + td.zero_emitted_count());
        let mut next = order.iter().copied().peekable();
        for (fi, field) in td.fields.iter().enumerate() {
            let mut last = None;
            while let Some(code) = next.next_if(|code| (code >> 33) as usize == fi) {
                last = Some(code);
            }
            match last {
                Some(code) => {
                    let pos = ((code & POSITION_BITS) >> 1) as usize;
                    let (key, val) = std::mem::take(&mut kept[pos]);
                    if !omitted(field, &val) {
                        let key = if code & 1 == 0 {
                            key
                        } else {
                            field.json.to_string()
                        };
                        out.insert(key, val);
                    }
                }
                None if field.zero_emitted() => {
                    let mut zero = Value::Null;
                    self.decode_value(&field.ty, &mut zero)?;
                    out.insert(field.json.to_string(), zero);
                }
                None => {}
            }
            if next.peek().is_none() && !td.zero_emitted_in(fi + 1, td.fields.len()) {
                break;
            }
        }
        kept.clear();
        self.kept = kept;
        self.order = order;
        *entries = out;
        Ok(())
    }
}
