//! Unbounded non-negative decimal integers, just big enough for quantity arithmetic.
//!
//! A quantity is `mantissa × 10^exponent`; parsing multiplies by powers of two (binary
//! suffixes) and canonical formatting divides by 1024. Values are stored as base-10 digits
//! (most significant first) so that trailing-zero counting and printing are trivial.

use std::cmp::Ordering;

/// A non-negative integer stored as decimal digits without leading zeros (zero is empty).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Decimal {
    digits: Vec<u8>,
}

impl Decimal {
    /// Parses a run of ASCII digits (leading zeros allowed, empty means zero).
    pub(crate) fn from_digits(s: &str) -> Self {
        let digits: Vec<u8> = s
            .bytes()
            .skip_while(|b| *b == b'0')
            .map(|b| b - b'0')
            .collect();
        Decimal { digits }
    }

    pub(crate) fn from_u64(mut v: u64) -> Self {
        let mut digits = Vec::new();
        while v > 0 {
            digits.push((v % 10) as u8);
            v /= 10;
        }
        digits.reverse();
        Decimal { digits }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Number of trailing zero digits.
    pub(crate) fn trailing_zeros(&self) -> usize {
        self.digits.iter().rev().take_while(|d| **d == 0).count()
    }

    /// Divides by `10^n`, discarding the removed digits; returns whether any was non-zero.
    pub(crate) fn truncate_digits(&mut self, n: usize) -> bool {
        let keep = self.digits.len().saturating_sub(n);
        let lost = self.digits[keep..].iter().any(|d| *d != 0);
        self.digits.truncate(keep);
        self.normalize();
        lost
    }

    /// Multiplies by `10^n`.
    pub(crate) fn shift_left(&mut self, n: usize) {
        if !self.is_zero() {
            self.digits.extend(std::iter::repeat_n(0, n));
        }
    }

    /// Multiplies by a small factor.
    pub(crate) fn mul_small(&mut self, m: u32) {
        let mut carry: u64 = 0;
        for d in self.digits.iter_mut().rev() {
            let v = u64::from(*d) * u64::from(m) + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        let mut head = Vec::new();
        while carry > 0 {
            head.push((carry % 10) as u8);
            carry /= 10;
        }
        head.reverse();
        if !head.is_empty() {
            head.extend_from_slice(&self.digits);
            self.digits = head;
        }
        self.normalize();
    }

    /// Multiplies by `2^n`.
    pub(crate) fn mul_pow2(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(20);
            self.mul_small(1 << step);
            n -= step;
        }
    }

    /// Divides by a small divisor, returning the remainder.
    pub(crate) fn divrem_small(&mut self, m: u32) -> u32 {
        let mut rem: u64 = 0;
        for d in self.digits.iter_mut() {
            let v = rem * 10 + u64::from(*d);
            *d = (v / u64::from(m)) as u8;
            rem = v % u64::from(m);
        }
        self.normalize();
        rem as u32
    }

    /// Adds one.
    pub(crate) fn increment(&mut self) {
        for d in self.digits.iter_mut().rev() {
            if *d == 9 {
                *d = 0;
            } else {
                *d += 1;
                return;
            }
        }
        self.digits.insert(0, 1);
    }

    fn normalize(&mut self) {
        let lead = self.digits.iter().take_while(|d| **d == 0).count();
        if lead > 0 {
            self.digits.drain(..lead);
        }
    }

    pub(crate) fn to_string_digits(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_string();
        }
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.digits
            .len()
            .cmp(&other.digits.len())
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    #[test]
    fn arithmetic_round_trips() {
        let mut d = Decimal::from_digits("000123");
        assert_eq!(d.to_string_digits(), "123");
        d.mul_pow2(30);
        assert_eq!(d.to_string_digits(), (123u64 << 30).to_string());
        assert_eq!(d.divrem_small(1024), 0);
        assert_eq!(d.to_string_digits(), (123u64 << 20).to_string());
        let mut n = Decimal::from_digits("999");
        n.increment();
        assert_eq!(n.to_string_digits(), "1000");
        assert_eq!(n.trailing_zeros(), 3);
        assert!(!n.truncate_digits(2));
        assert_eq!(n.to_string_digits(), "10");
        let mut m = Decimal::from_digits("1201");
        assert!(m.truncate_digits(2));
        assert_eq!(m.to_string_digits(), "12");
        assert!(Decimal::from_u64(1025) > Decimal::from_u64(1024));
        assert!(Decimal::from_digits("").is_zero());
    }
}
