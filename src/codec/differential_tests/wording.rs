//! The sentences of serde's `de::Error` defaults, which the codec writes without `core::fmt`
//! (`codec/error.rs`), against serde_json's (the same defaults, followed by a position the codec
//! does not give).

use super::super::from_text;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt::Debug;

/// The codec's and serde_json's sentences for `text` refused as `T`.
fn sentences<T: DeserializeOwned + Debug>(text: &str) -> (String, String) {
    let ours = from_text::<T>(text).expect_err(text);
    let ours = ours.message().strip_prefix("the message does not decode: ");
    let theirs = serde_json::from_str::<T>(text).expect_err(text).to_string();
    let theirs = theirs
        .rsplit_once(" at line ")
        .map_or(&*theirs, |(sentence, _)| sentence);
    (
        ours.expect("the codec's prefix").to_owned(),
        theirs.to_owned(),
    )
}

/// `text` refused as `T` with the same sentence by the codec and by serde_json.
fn same_sentence<T: DeserializeOwned + Debug>(text: &str) {
    let (ours, theirs) = sentences::<T>(text);
    assert_eq!(ours, theirs, "{text} as {}", std::any::type_name::<T>());
}

/// `text` refused as `T` for a wrong type, with serde's words for what was expected. What arrived
/// is said in fewer words by the codec for a scalar it read ("boolean", not "boolean `true`").
fn same_expectation<T: DeserializeOwned + Debug>(text: &str) {
    let (ours, theirs) = sentences::<T>(text);
    let expected = |sentence: &str| {
        let (found, expected) = sentence.split_once(", expected ").expect(sentence);
        (
            found.split_once(": ").expect(sentence).0.to_owned(),
            expected.to_owned(),
        )
    };
    assert_eq!(
        expected(&ours),
        expected(&theirs),
        "{text} as {}",
        std::any::type_name::<T>()
    );
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum One {
    A,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Two {
    A,
    B(u8),
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Many {
    A,
    B,
    C { x: u8 },
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
enum Empty {}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Fields {
    x: u8,
    y: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct NoFields {}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Pair(u8, u8);

#[test]
fn unknown_variants_are_named_as_serde_names_them() {
    same_sentence::<One>(r#""Z""#);
    same_sentence::<Two>(r#""Z""#);
    same_sentence::<Many>(r#""Z""#);
    same_sentence::<Many>(r#"{"Z":1}"#);
    same_sentence::<Empty>(r#""Z""#);
}

#[test]
fn fields_are_named_as_serde_names_them() {
    same_sentence::<Fields>(r#"{"x":1,"z":2}"#);
    same_sentence::<NoFields>(r#"{"z":2}"#);
    same_sentence::<Fields>(r#"{"y":true}"#);
    same_sentence::<Fields>(r#"{"x":1,"x":2}"#);
    same_sentence::<Many>(r#"{"C":{}}"#);
}

#[test]
fn lengths_and_types_are_named_as_serde_names_them() {
    same_sentence::<Pair>("[1]");
    same_sentence::<(u8, u8, u8)>("[1,2]");
    for text in ["true", "7.5", "-7", r#""seven""#, "null", "[]", "{}"] {
        same_expectation::<u8>(text);
    }
    same_expectation::<bool>("7");
    same_expectation::<Fields>("7");
    same_expectation::<Two>(r#"{"B":"x"}"#);
    same_expectation::<char>(r#""ab""#);
}
