//! The codec's writer and reader against serde_json, the JSON implementation they replace: the
//! same text (with non-ASCII escaped) for every value, the same values back, the same texts
//! refused. Values are generated (a seeded generator, so a failure names a reproducible case) and
//! hand-picked where JSON's grammar has corners.

use super::{from_text, to_text};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// serde_json's text with every non-ASCII character as `\uXXXX` (surrogate pairs beyond the BMP):
/// what the codec's writer must produce.
fn ascii_json<T: Serialize + ?Sized>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap();
    let mut out = String::new();
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn finite_f64(&mut self) -> f64 {
        loop {
            let value = match self.below(3) {
                0 => f64::from_bits(self.next()),
                1 => (self.next() as i64 as f64) / 1000.0,
                _ => self.below(1000) as f64 / 8.0,
            };
            if value.is_finite() {
                return value;
            }
        }
    }
    fn finite_f32(&mut self) -> f32 {
        loop {
            let value = f32::from_bits(self.next() as u32);
            if value.is_finite() {
                return value;
            }
        }
    }
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}",
            "\u{1f}", "\u{7f}", "é", "ü", "\u{2028}", "\u{fffd}", "中", "𝄞", "😀", "key",
        ];
        (0..self.below(8))
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
    fn number(&mut self) -> Value {
        match self.below(5) {
            0 => Value::from(self.next()),
            1 => Value::from(self.next() as i64),
            2 => Value::from(self.below(100)),
            3 => Value::from(-(self.below(100) as i64)),
            _ => Value::from(self.finite_f64()),
        }
    }
    fn value(&mut self, depth: usize) -> Value {
        let pick = if depth == 0 {
            self.below(5)
        } else {
            self.below(7)
        };
        match pick {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 | 3 => self.number(),
            4 => Value::String(self.string()),
            5 => Value::Array((0..self.below(5)).map(|_| self.value(depth - 1)).collect()),
            _ => Value::Object(
                (0..self.below(5))
                    .map(|_| (self.string(), self.value(depth - 1)))
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(i16, String),
    Struct { x: Option<u32>, y: Vec<bool> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Typed {
    small: i8,
    unsigned: u64,
    signed: i64,
    wide: i128,
    uwide: u128,
    single: f32,
    double: f64,
    letter: char,
    text: String,
    maybe: Option<String>,
    shapes: Vec<Shape>,
    by_number: BTreeMap<i32, u8>,
    by_bool: BTreeMap<bool, u8>,
    by_char: BTreeMap<char, u8>,
    by_float: Vec<(u8, f32)>,
    pair: (u8, Option<()>),
    #[serde(with = "serde_bytes_as_seq")]
    bytes: Vec<u8>,
}

/// Bytes through `serialize_bytes`/`deserialize_bytes` (serde's own `Vec<u8>` is a sequence).
mod serde_bytes_as_seq {
    use serde::{Deserializer, Serializer};
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, value: &[u8]) -> Result<Vec<u8>, E> {
                Ok(value.to_vec())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(byte) = seq.next_element()? {
                    out.push(byte);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_bytes(Bytes)
    }
}

fn typed(rng: &mut Rng) -> Typed {
    let shape = |rng: &mut Rng| match rng.below(4) {
        0 => Shape::Unit,
        1 => Shape::Newtype(rng.next() as u8),
        2 => Shape::Tuple(rng.next() as i16, rng.string()),
        _ => Shape::Struct {
            x: (rng.below(2) == 0).then(|| rng.next() as u32),
            y: (0..rng.below(3)).map(|_| rng.below(2) == 0).collect(),
        },
    };
    Typed {
        small: rng.next() as i8,
        unsigned: rng.next(),
        signed: rng.next() as i64,
        wide: (i128::from(rng.next() as i64) << 64) | i128::from(rng.next()),
        uwide: (u128::from(rng.next()) << 64) | u128::from(rng.next()),
        single: rng.finite_f32(),
        double: rng.finite_f64(),
        letter: char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('x'),
        text: rng.string(),
        maybe: (rng.below(2) == 0).then(|| rng.string()),
        shapes: (0..rng.below(4)).map(|_| shape(rng)).collect(),
        by_number: (0..rng.below(4))
            .map(|_| (rng.next() as i32, rng.next() as u8))
            .collect(),
        by_bool: (0..rng.below(3))
            .map(|_| (rng.below(2) == 0, rng.next() as u8))
            .collect(),
        by_char: (0..rng.below(3))
            .map(|_| (char::from_u32(rng.below(0xd800) as u32).unwrap_or('y'), 1))
            .collect(),
        by_float: (0..rng.below(3))
            .map(|_| (rng.next() as u8, rng.finite_f32()))
            .collect(),
        pair: (rng.next() as u8, (rng.below(2) == 0).then_some(())),
        bytes: (0..rng.below(6)).map(|_| rng.next() as u8).collect(),
    }
}

/// Bit-exact equality for values holding floats (`-0.0` is not `0.0` here).
fn same_bits(a: &Typed, b: &Typed) -> bool {
    a.single.to_bits() == b.single.to_bits()
        && a.double.to_bits() == b.double.to_bits()
        && a.by_float.len() == b.by_float.len()
        && a.by_float
            .iter()
            .zip(&b.by_float)
            .all(|(x, y)| x.0 == y.0 && x.1.to_bits() == y.1.to_bits())
        && a == b
}

#[test]
fn generated_json_values_write_and_read_as_serde_json_does() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..4000 {
        let value = rng.value(4);
        let ours = to_text(&value).unwrap_or_else(|err| panic!("case {case}: {err} for {value}"));
        assert_eq!(ours, ascii_json(&value), "case {case}");
        let back: Value = from_text(&ours).unwrap();
        assert_eq!(back, value, "case {case}");
        let plain = serde_json::to_string(&value).unwrap();
        assert_eq!(
            from_text::<Value>(&plain).unwrap(),
            value,
            "case {case}, not escaped"
        );
    }
}

#[test]
fn generated_typed_values_write_and_read_as_serde_json_does() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for case in 0..4000 {
        let mut value = typed(&mut rng);
        // `Some(())` is refused (it would arrive as None): checked in the edge table.
        value.pair.1 = None;
        let ours = to_text(&value).unwrap_or_else(|err| panic!("case {case}: {err}"));
        assert_eq!(ours, ascii_json(&value), "case {case}");
        let back: Typed = from_text(&ours).unwrap();
        assert!(
            same_bits(&back, &value),
            "case {case}: {back:?} != {value:?}"
        );
        let theirs: Typed = serde_json::from_str(&ours).unwrap();
        assert!(same_bits(&theirs, &value), "case {case}: serde_json");
    }
}

/// Whether `text` decodes as `T`, in the reader and in serde_json, and to the same value.
fn agree<T: DeserializeOwned + PartialEq + Debug>(text: &str) {
    let ours = from_text::<T>(text);
    let theirs = serde_json::from_str::<T>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?} as {}", std::any::type_name::<T>()),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "{text:?} as {}: ours {:?}, serde_json {:?}",
            std::any::type_name::<T>(),
            ours.map_err(|e| e.message().to_owned()),
            theirs.map_err(|e| e.to_string())
        ),
    }
}

/// Floats read back bit for bit (shortest digits out, correctly rounded parsing in), `f32`
/// included (parsed as an `f32`, not rounded twice through an `f64`).
#[test]
fn floats_read_back_exactly() {
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let double = rng.finite_f64();
        let text = to_text(&double).unwrap();
        assert_eq!(
            from_text::<f64>(&text).unwrap().to_bits(),
            double.to_bits(),
            "{text}"
        );
        let single = rng.finite_f32();
        let text = to_text(&single).unwrap();
        assert_eq!(
            from_text::<f32>(&text).unwrap().to_bits(),
            single.to_bits(),
            "{text}"
        );
    }
}

mod hand_picked;
mod strings;
mod wording;
