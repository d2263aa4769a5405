//! The edge-value table: ONE list of values every layer carries (host text round trip, wasm-pack
//! `structuredClone` / `JSON.parse(JSON.stringify())`, and later the real ports), each with the
//! outcome the library's codec must produce.
//!
//! Outcomes: `same` (decoded value equal to the original, floats compared bit for bit),
//! `err:<kind>` (`err:not_serializable` at encode, `err:decode_failed` at decode),
//! `different:<Debug of what arrived>` (arrived as another value), and in the wasm tests
//! `post_failed:<why>` (the browser itself would throw on `postMessage`).

use super::Candidate;
use crate::error::PortError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use wasm_bindgen::JsValue;

/// An `f64` compared bit for bit (so `-0.0 != 0.0` and NaN equals itself).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct F64Bits(pub f64);

impl PartialEq for F64Bits {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

/// An `f32` compared bit for bit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct F32Bits(pub f32);

impl PartialEq for F32Bits {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

/// A struct used as a map key (JSON object keys are strings: refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    /// A field.
    pub a: u8,
}

/// A unit struct (`null` in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit;

/// An empty braced struct (`{}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Empty {}

/// An empty tuple struct (`[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmptyTuple();

/// Externally tagged (serde's default), every variant kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum External {
    /// `"Unit"`
    Unit,
    /// `{"Newtype": 1}`
    Newtype(u64),
    /// `{"Tuple": [1, "x"]}`
    Tuple(u8, String),
    /// `{"Struct": {"a": 1}}`
    Struct {
        /// A field.
        a: i64,
    },
}

/// Internally tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Internal {
    /// `{"type": "Unit"}`
    Unit,
    /// `{"type": "Struct", "a": …, "big": …}`
    Struct {
        /// A field.
        a: String,
        /// Beyond 2^53.
        big: u64,
    },
    /// `{"type": "Newtype", "a": 1}`
    Newtype(Key),
    /// 128-bit integers go through serde's internal buffer, which has no 128-bit variant.
    Wide {
        /// A field.
        n: i128,
    },
}

/// Adjacently tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
pub enum Adjacent {
    /// `{"t": "Unit"}`
    Unit,
    /// `{"t": "Newtype", "c": 2.5}`
    Newtype(F64Bits),
    /// `{"t": "Tuple", "c": [1, 2]}`
    Tuple(u8, u8),
    /// `{"t": "Struct", "c": {"a": "x"}}`
    Struct {
        /// A field.
        a: String,
    },
}

/// Untagged, variants of different shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Untagged {
    /// A number.
    Number(u64),
    /// A string.
    Text(String),
    /// A struct.
    Struct {
        /// A field.
        a: bool,
    },
    /// A list.
    List(Vec<u8>),
}

/// Untagged with two variants of the same shape: serde itself decodes the first that fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UntaggedAmbiguous {
    /// Matches every number.
    A(u32),
    /// Never decoded: `A` matches first.
    B(u32),
}

/// Nested externally tagged tuple variants: each level is an object holding an array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Deep {
    /// `"Leaf"`
    Leaf,
    /// `{"Tuple": [inner, 0]}`
    Tuple(Box<Deep>, u8),
}

/// `Deep` with `levels` tuple variants around a leaf.
fn deep(levels: usize) -> Deep {
    (0..levels).fold(Deep::Leaf, |inner, _| Deep::Tuple(Box::new(inner), 0))
}

/// `levels` JSON arrays nested around `0`.
fn nested_arrays(levels: usize) -> serde_json::Value {
    (0..levels).fold(serde_json::json!(0), |inner, _| serde_json::json!([inner]))
}

/// One edge value; see the module documentation for the outcome strings.
#[derive(Debug, Clone, Copy)]
pub struct EdgeCase {
    /// Stable identifier (an E2E scenario name later).
    pub name: &'static str,
    /// The Rust type.
    pub ty: &'static str,
    /// The Rust value, as written in the table.
    pub value: &'static str,
    /// What the library's codec must produce, in both browsers.
    pub expected: &'static str,
    /// Why.
    pub why: &'static str,
    /// For a refused value: words the encode error's message must contain ("" otherwise).
    pub refusal: &'static str,
    /// Host: the library's text round trip (`to_text` → `from_text`), as an outcome.
    pub host: fn() -> String,
    /// Host: the library's wire text of the value (or its encode error).
    pub encode_text: fn() -> Result<String, PortError>,
    /// Encodes the value with a candidate (the sending side).
    pub encode: fn(Candidate) -> Result<JsValue, PortError>,
    /// Decodes what arrived with a candidate and compares it with the value (the receiving side).
    pub check: fn(Candidate, JsValue) -> String,
}

/// The outcome string of a decode of `original`.
pub fn outcome<T: PartialEq + Debug>(original: &T, decoded: Result<T, PortError>) -> String {
    match decoded {
        Err(err) => format!("err:{}", err.kind()),
        Ok(value) if value == *original => "same".to_owned(),
        Ok(value) => {
            let mut shown = format!("{value:?}");
            if shown.len() > 80 {
                let cut = (0..=80)
                    .rev()
                    .find(|&i| shown.is_char_boundary(i))
                    .unwrap_or(0);
                shown.truncate(cut);
                shown.push('…');
            }
            format!("different:{shown}")
        }
    }
}

macro_rules! edges {
    ($($name:literal: $ty:ty = $value:expr => $expected:literal, $why:literal;)*) => {
        /// Every edge value, in table order.
        pub fn edge_cases() -> Vec<EdgeCase> {
            vec![$(EdgeCase {
                name: $name,
                ty: stringify!($ty),
                value: stringify!($value),
                expected: $expected,
                why: $why,
                refusal: refusal($name),
                host: || {
                    let value: $ty = $value;
                    let text = crate::codec::to_text(&value);
                    match text {
                        Err(err) => format!("err:{}", err.kind()),
                        Ok(text) => outcome(&value, crate::codec::from_text::<$ty>(&text)),
                    }
                },
                encode_text: || {
                    let value: $ty = $value;
                    crate::codec::to_text(&value)
                },
                encode: |candidate| {
                    let value: $ty = $value;
                    candidate.encode(&value)
                },
                check: |candidate, message| {
                    let value: $ty = $value;
                    outcome(&value, candidate.decode::<$ty>(message))
                },
            }),*]
        }
    };
}

/// What the message of each refusal must say (the exact error: kind and reason).
fn refusal(name: &str) -> &'static str {
    match name {
        "option_option_some_none" | "option_unit_some" | "option_unit_struct_some" => {
            "it would arrive as None"
        }
        "f64_nan" | "f64_nan_in_vec" | "f64_nan_in_option" | "f32_nan" => "float NaN",
        "f64_inf" => "float inf",
        "f64_neg_inf" => "float -inf",
        "hashmap_struct_keys" | "hashmap_tuple_keys" => "key must be a string",
        "nesting_128_arrays" | "nesting_64_tuple_variants" => "nested more than 127 deep",
        _ => "",
    }
}

/// 1 MiB of bytes, every value 0..=250 in turn.
fn mib_of_bytes() -> Vec<u8> {
    (0..1 << 20).map(|i| (i % 251) as u8).collect()
}

/// 10 MiB of text: ASCII with JSON escapes (quote, backslash, newline), an é every 64 bytes.
fn ten_mib_string() -> String {
    let line = "abcdefghijklmnopqrstuvwxyz \"quoted\" back\\slash new\nline 0123456789é";
    line.repeat((10 << 20) / line.len() + 1)
}

edges! {
    "unit": () = () => "same", "() is null, back to ()";
    "none": Option<u32> = None => "same", "null, back to None";
    "some": Option<u32> = Some(7) => "same", "7, back to Some(7)";
    "option_option_none": Option<Option<u32>> = None => "same", "null, back to None";
    "option_option_some_none": Option<Option<u32>> = Some(None) => "err:not_serializable",
        "Some(None) is null like None: refused at encode rather than arrive as None";
    "option_option_some_some": Option<Option<u32>> = Some(Some(3)) => "same", "3";
    "option_unit_some": Option<()> = Some(()) => "err:not_serializable", "Some(()) is null: refused";
    "option_unit_struct_some": Option<Unit> = Some(Unit) => "err:not_serializable", "Some(Unit) is null: refused";
    "u64_max": u64 = u64::MAX => "same", "18446744073709551615 in the text, never a JS number";
    "u64_2p53_plus_1": u64 = (1 << 53) + 1 => "same", "9007199254740993 exact";
    "i64_min": i64 = i64::MIN => "same", "exact";
    "i64_max": i64 = i64::MAX => "same", "exact";
    "i128_min": i128 = i128::MIN => "same", "serde_json writes and reads 128-bit integers";
    "u128_max": u128 = u128::MAX => "same", "exact";
    "f64_nan": F64Bits = F64Bits(f64::NAN) => "err:not_serializable", "JSON has no NaN (serde_json would write null)";
    "f64_inf": F64Bits = F64Bits(f64::INFINITY) => "err:not_serializable", "JSON has no infinity";
    "f64_neg_inf": F64Bits = F64Bits(f64::NEG_INFINITY) => "err:not_serializable", "JSON has no infinity";
    "f64_nan_in_vec": Vec<F64Bits> = vec![F64Bits(1.5), F64Bits(f64::NAN)] => "err:not_serializable", "at any depth";
    "f64_nan_in_option": Option<F64Bits> = Some(F64Bits(f64::NAN)) => "err:not_serializable", "serde_json alone writes null: it would arrive as None";
    "f64_neg_zero": F64Bits = F64Bits(-0.0) => "same", "written -0.0, read -0.0 (sign kept)";
    "f64_min_subnormal": F64Bits = F64Bits(5e-324) => "same", "shortest round-trip digits (float_roundtrip)";
    "f64_max": F64Bits = F64Bits(f64::MAX) => "same", "exact";
    "f64_point_one_plus_point_two": F64Bits = F64Bits(0.1 + 0.2) => "same", "0.30000000000000004";
    "f32_point_one": F32Bits = F32Bits(0.1) => "same", "f32 shortest digits";
    "f32_nan": F32Bits = F32Bits(f32::NAN) => "err:not_serializable", "JSON has no NaN";
    "hashmap_u32_keys": HashMap<u32, String> = HashMap::from([(1, "a".to_owned()), (4_000_000_000, "b".to_owned())]) => "same", "keys written as strings, read back as integers";
    "hashmap_i64_keys_beyond_2p53": HashMap<i64, u8> = HashMap::from([(i64::MIN, 1), (i64::MAX, 2)]) => "same", "exact keys";
    "hashmap_bool_keys": HashMap<bool, u8> = HashMap::from([(true, 1), (false, 0)]) => "same", "\"true\"/\"false\" keys";
    "hashmap_struct_keys": HashMap<Key, u8> = HashMap::from([(Key { a: 1 }, 1)]) => "err:not_serializable", "a JSON object key must be a string";
    "hashmap_tuple_keys": HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]) => "err:not_serializable", "a JSON object key must be a string";
    "btreemap": BTreeMap<String, Vec<i32>> = BTreeMap::from([("b".to_owned(), vec![-1]), ("a".to_owned(), vec![])]) => "same", "order kept";
    "btreemap_u64_keys": BTreeMap<u64, bool> = BTreeMap::from([(u64::MAX, true), (0, false)]) => "same", "exact keys";
    "bytes_1mib": Vec<u8> = mib_of_bytes() => "same", "a JSON array of 1 Mi numbers (~3.6 MB of text)";
    "enum_external": Vec<External> = vec![External::Unit, External::Newtype(7), External::Tuple(1, "x".to_owned()), External::Struct { a: -1 }] => "same", "every variant kind";
    "enum_internal": Vec<Internal> = vec![Internal::Unit, Internal::Struct { a: "x".to_owned(), big: 5 }, Internal::Newtype(Key { a: 2 })] => "same", "tag inside the object";
    "enum_internal_u64_max": Internal = Internal::Struct { a: "x".to_owned(), big: u64::MAX } => "same", "through serde's internal buffer, still exact";
    "enum_internal_i128": Internal = Internal::Wide { n: i128::MAX } => "err:decode_failed", "serde buffers internally tagged content without 128-bit integers: a decode error, never a wrong value";
    "enum_adjacent": Vec<Adjacent> = vec![Adjacent::Unit, Adjacent::Newtype(F64Bits(2.5)), Adjacent::Tuple(1, 2), Adjacent::Struct { a: "y".to_owned() }] => "same", "tag and content";
    "enum_untagged": Vec<Untagged> = vec![Untagged::Number(7), Untagged::Text("t".to_owned()), Untagged::Struct { a: true }, Untagged::List(vec![1])] => "same", "shapes differ, so each decodes as itself";
    "enum_untagged_u64_max": Untagged = Untagged::Number(u64::MAX) => "same", "exact";
    "enum_untagged_ambiguous": UntaggedAmbiguous = UntaggedAmbiguous::B(1) => "different:A(1)", "serde's own untagged rule (first match), the same in both browsers and in plain serde_json; not detectable at encode";
    "empty_unit_struct": Unit = Unit => "same", "null";
    "empty_braced_struct": Empty = Empty {} => "same", "{}";
    "empty_tuple_struct": EmptyTuple = EmptyTuple() => "same", "[]";
    "empty_vec_and_string": (Vec<u8>, String) = (vec![], String::new()) => "same", "[[], \"\"]";
    "non_bmp_unicode": String = "𝄞😀 aé€ 中文".to_owned() => "same", "escaped as \\ud834\\udd1e…: the wire text is ASCII";
    "char_non_bmp": char = '😀' => "same", "one char";
    "control_and_separators": String = "\u{0}\u{1f}\u{7f}\u{2028}\u{2029}\"\\/".to_owned() => "same", "JSON escapes";
    "nesting_127_arrays": serde_json::Value = nested_arrays(127) => "same", "serde_json reads back 127 nested arrays/objects";
    "nesting_128_arrays": serde_json::Value = nested_arrays(128) => "err:not_serializable", "one more would be a decode error: refused at encode";
    "nesting_63_tuple_variants": Deep = deep(63) => "same", "each level is two containers ({\"Tuple\": [..]})";
    "nesting_64_tuple_variants": Deep = deep(64) => "err:not_serializable", "128 containers: refused at encode";
    "string_10mib": String = ten_mib_string() => "same", "10 MiB with quotes, backslashes, newlines and é";
}
