//! Host tests of the wire text: every row of the edge table, plus the text's own properties.

use super::{from_text, to_text};
use crate::error::ErrorKind;
use crate::test_support::edge_cases;
use serde::{Deserialize, Serialize};

#[test]
fn every_edge_value_has_its_expected_outcome_on_the_host() {
    let mut wrong = Vec::new();
    for case in edge_cases() {
        let got = (case.host)();
        if got != case.expected {
            wrong.push(format!(
                "{}: expected {}, got {got}",
                case.name, case.expected
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_refusal_says_why() {
    for case in edge_cases() {
        let refused = case.expected == "err:not_serializable";
        assert_eq!(
            refused,
            !case.refusal.is_empty(),
            "{}: refusal words iff refused",
            case.name
        );
        if refused {
            let err = (case.encode_text)().unwrap_err();
            assert!(
                err.message().contains(case.refusal),
                "{}: {}",
                case.name,
                err.message()
            );
        }
    }
}

#[test]
fn edge_names_are_unique_and_snake_case() {
    let cases = edge_cases();
    let names: std::collections::HashSet<_> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len());
    assert!(names.iter().all(|n| n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
}

#[test]
fn the_text_is_ascii_and_escapes_beyond_the_bmp_as_surrogate_pairs() {
    let text = to_text("𝄞😀é").unwrap();
    assert_eq!(text, r#""\ud834\udd1e\ud83d\ude00\u00e9""#);
    assert!(text.is_ascii());
    assert_eq!(from_text::<String>(&text).unwrap(), "𝄞😀é");
    let map = std::collections::BTreeMap::from([("é", "x\u{2028}ü")]);
    let text = to_text(&map).unwrap();
    assert_eq!(text, r#"{"\u00e9":"x\u2028\u00fc"}"#);
    assert_eq!(
        from_text::<std::collections::BTreeMap<String, String>>(&text).unwrap()["é"],
        "x\u{2028}ü"
    );
}

#[test]
fn big_integers_are_written_as_exact_digits() {
    assert_eq!(to_text(&u64::MAX).unwrap(), "18446744073709551615");
    assert_eq!(
        to_text(&i128::MIN).unwrap(),
        "-170141183460469231731687303715884105728"
    );
    assert_eq!(to_text(&-0.0f64).unwrap(), "-0.0");
}

#[test]
fn refusals_are_not_serializable_with_a_reason() {
    let err = to_text(&f64::NAN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotSerializable);
    assert!(err.message().contains("NaN"), "{}", err.message());
    let err = to_text(&Some(None::<u8>)).unwrap_err();
    assert!(err.message().contains("Some(None)"), "{}", err.message());
    let err = to_text(&std::collections::HashMap::from([((1u8, 2u8), 3u8)])).unwrap_err();
    assert!(
        err.message().contains("key must be a string"),
        "{}",
        err.message()
    );
}

#[test]
fn a_refusal_deep_inside_stops_the_whole_value() {
    #[derive(Serialize)]
    struct Outer {
        list: Vec<Inner>,
    }
    #[derive(Serialize)]
    struct Inner {
        value: Option<Option<f32>>,
    }
    let ok = Outer {
        list: vec![
            Inner {
                value: Some(Some(1.0)),
            },
            Inner { value: None },
        ],
    };
    assert_eq!(
        to_text(&ok).unwrap(),
        r#"{"list":[{"value":1.0},{"value":null}]}"#
    );
    let bad = Outer {
        list: vec![Inner {
            value: Some(Some(f32::INFINITY)),
        }],
    };
    assert_eq!(
        to_text(&bad).unwrap_err().kind(),
        ErrorKind::NotSerializable
    );
    let bad = Outer {
        list: vec![Inner { value: Some(None) }],
    };
    assert_eq!(
        to_text(&bad).unwrap_err().kind(),
        ErrorKind::NotSerializable
    );
}

#[test]
fn decoding_the_wrong_type_is_decode_failed() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wanted {
        seq: u64,
    }
    let err = from_text::<Wanted>(r#"{"other":1}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DecodeFailed);
    assert_eq!(
        from_text::<u8>("256").unwrap_err().kind(),
        ErrorKind::DecodeFailed
    );
    assert_eq!(
        from_text::<u8>("not json").unwrap_err().kind(),
        ErrorKind::DecodeFailed
    );
}

#[test]
fn some_of_a_container_or_scalar_is_not_refused() {
    assert_eq!(to_text(&Some(Some(vec![None::<u8>]))).unwrap(), "[null]");
    assert_eq!(to_text(&Some(Some(""))).unwrap(), r#""""#);
    assert_eq!(to_text(&Some(Some(0u8))).unwrap(), "0");
}

#[test]
#[ignore = "timing, run by hand: cargo test --release -p webext-port --lib encode_overhead -- --ignored --nocapture"]
fn encode_overhead() {
    #[derive(Serialize)]
    struct Item {
        name: String,
        value: f64,
        flag: bool,
    }
    #[derive(Serialize)]
    struct Payload {
        seq: u64,
        items: Vec<Item>,
    }
    let payload = Payload {
        seq: 1,
        items: (0..2000)
            .map(|i| Item {
                name: format!("item-{i:06}"),
                value: i as f64 * 1.37 + 0.25,
                flag: i % 2 == 0,
            })
            .collect(),
    };
    let text = serde_json::to_string(&payload).unwrap();
    for _ in 0..3 {
        let start = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(serde_json::to_string(&payload).unwrap());
        }
        let plain = start.elapsed();
        let start = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(to_text(&payload).unwrap());
        }
        let ours = start.elapsed();
        let start = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(serde_json::from_str::<serde_json::Value>(&text).unwrap());
        }
        let plain_read = start.elapsed();
        let start = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(from_text::<serde_json::Value>(&text).unwrap());
        }
        let ours_read = start.elapsed();
        println!(
            "write: serde_json {plain:?}, to_text {ours:?} ({:.2}); read: serde_json {plain_read:?}, from_text {ours_read:?} ({:.2})",
            ours.as_secs_f64() / plain.as_secs_f64(),
            ours_read.as_secs_f64() / plain_read.as_secs_f64()
        );
    }
}

/// For every shape of nesting, near the limit: the codec encodes a value exactly when serde_json
/// can decode it again (no value encodes and then fails to decode for being too deep).
#[test]
fn encode_refuses_exactly_the_nesting_decode_would_refuse() {
    #[derive(Debug, Serialize, Deserialize)]
    struct Nest {
        inner: Option<Box<Nest>>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    enum E {
        Leaf,
        V(Box<E>),
        T(Box<E>, u8),
        S { e: Box<E> },
    }
    #[derive(Debug, Serialize, Deserialize)]
    #[serde(tag = "t")]
    enum I {
        Leaf,
        S { e: Box<I> },
    }
    fn agrees<T: Serialize + serde::de::DeserializeOwned>(shape: &str, make: impl Fn(usize) -> T) {
        for levels in 55..140 {
            let value = make(levels);
            let encoded = to_text(&value);
            let plain = serde_json::to_string(&value).unwrap();
            let decodable = serde_json::from_str::<T>(&plain).is_ok();
            assert_eq!(encoded.is_ok(), decodable, "{shape} at {levels} levels");
            assert_eq!(
                from_text::<T>(&plain).is_ok(),
                decodable,
                "{shape} at {levels} levels: the reader's limit is serde_json's"
            );
            if let Err(err) = encoded {
                assert_eq!(err.kind(), ErrorKind::NotSerializable);
            }
        }
    }
    agrees("arrays", |n| {
        (0..n).fold(serde_json::json!(1), |v, _| serde_json::json!([v]))
    });
    agrees("objects", |n| {
        (0..n).fold(serde_json::json!(1), |v, _| serde_json::json!({ "k": v }))
    });
    agrees("structs", |n| {
        (0..n).fold(Nest { inner: None }, |v, _| Nest {
            inner: Some(Box::new(v)),
        })
    });
    agrees("newtype variants", |n| {
        (0..n).fold(E::Leaf, |v, _| E::V(Box::new(v)))
    });
    agrees("tuple variants", |n| {
        (0..n).fold(E::Leaf, |v, _| E::T(Box::new(v), 0))
    });
    agrees("struct variants", |n| {
        (0..n).fold(E::Leaf, |v, _| E::S { e: Box::new(v) })
    });
    agrees("internally tagged", |n| {
        (0..n).fold(I::Leaf, |v, _| I::S { e: Box::new(v) })
    });
}
