//! The codec against what each browser does to a message: `structuredClone` (Firefox ports) and
//! `JSON.parse(JSON.stringify(x))` (Chromium ports), for every row of the edge table
//! (`webext_port::test_support::edge_cases`, the one list every layer uses).
//!
//! Run with `wasm-pack test --headless --chrome -- --test codec` (or `--firefox`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use webext_port::test_support::{edge_cases, Candidate, EdgeCase};
use webext_port::ErrorKind;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function viaStructuredClone(value) { return structuredClone(value); }
export function viaJson(value) {
  // Chromium: JSON.stringify; top-level undefined arrives as null; a throw is a throw from postMessage.
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}
export function isString(value) { return typeof value === "string"; }
export function nextTask() { return new Promise((resolve) => setTimeout(resolve, 0)); }
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = viaStructuredClone)]
    fn via_structured_clone(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = viaJson)]
    fn via_json(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = isString)]
    fn is_string(value: &JsValue) -> bool;
    #[wasm_bindgen(js_name = nextTask)]
    fn next_task() -> js_sys::Promise;
}

/// Lets the page breathe between big cases (the test runner polls it over WebDriver).
async fn yield_to_page() {
    let _ = wasm_bindgen_futures::JsFuture::from(next_task()).await;
}

type Carrier = fn(&JsValue) -> Result<JsValue, JsValue>;

const CARRIERS: [(&str, Carrier); 2] = [
    ("structured_clone", via_structured_clone),
    ("json", via_json),
];

/// encode → carry → decode, as an outcome string.
fn run(case: &EdgeCase, candidate: Candidate, carry: Carrier) -> String {
    match (case.encode)(candidate) {
        Err(err) => format!("err:{}", err.kind()),
        Ok(message) => match carry(&message) {
            Err(thrown) => format!(
                "post_failed:{}",
                js_sys::Error::from(thrown)
                    .message()
                    .as_string()
                    .unwrap_or_default()
            ),
            Ok(arrived) => (case.check)(candidate, arrived),
        },
    }
}

#[wasm_bindgen_test]
async fn every_edge_value_arrives_the_same_through_structured_clone_and_json() {
    let mut wrong = Vec::new();
    for case in edge_cases() {
        for (carrier, carry) in CARRIERS {
            yield_to_page().await;
            let got = run(&case, Candidate::Chosen, carry);
            if got != case.expected {
                wrong.push(format!(
                    "{} via {carrier}: expected {}, got {got}",
                    case.name, case.expected
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[wasm_bindgen_test]
fn every_refusal_is_the_exact_error() {
    for case in edge_cases().iter().filter(|c| !c.refusal.is_empty()) {
        let err = (case.encode)(Candidate::Chosen).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotSerializable, "{}", case.name);
        assert!(
            err.message().contains(case.refusal),
            "{}: {}",
            case.name,
            err.message()
        );
    }
}

#[wasm_bindgen_test]
fn a_message_is_a_string() {
    let message = webext_port::test_support::encode(&vec![1u8, 2, 3]).unwrap();
    assert!(is_string(&message));
    assert_eq!(message.as_string().unwrap(), "[1,2,3]");
    let message = webext_port::test_support::encode("𝄞").unwrap();
    assert_eq!(message.as_string().unwrap(), r#""\ud834\udd1e""#);
}

#[wasm_bindgen_test]
fn a_long_message_is_built_in_chunks_without_loss() {
    let value: Vec<u32> = (0..100_000).collect();
    let message = webext_port::test_support::encode(&value).unwrap();
    assert_eq!(
        message.as_string().unwrap(),
        serde_json::to_string(&value).unwrap()
    );
    let back: Vec<u32> = webext_port::test_support::decode(message).unwrap();
    assert_eq!(back, value);
}

/// The codec always sends ASCII, but a peer written in JS may send any JSON text: non-ASCII text,
/// short and long (the decoder reads short ASCII text into a scratch buffer, longer text with a
/// second call, anything else the general way), decodes to the same value.
#[wasm_bindgen_test]
fn any_json_text_decodes_short_long_ascii_or_not() {
    let decode = |text: &str| webext_port::test_support::decode::<String>(JsValue::from_str(text));
    assert_eq!(decode(r#""é😀""#).unwrap(), "é😀");
    for length in [0, 100, 8 * 1024 - 2, 8 * 1024 - 1, 8 * 1024, 50_000] {
        let ascii = "a".repeat(length);
        assert_eq!(decode(&format!("\"{ascii}\"")).unwrap(), ascii, "{length}");
        let wide = "é".repeat(length);
        assert_eq!(decode(&format!("\"{wide}\"")).unwrap(), wide, "{length}");
    }
    // A lone surrogate is no Unicode scalar: it reads as U+FFFD, as wasm-bindgen reads strings.
    let lone = js_sys::JSON::parse(r#""\"x\ud800\"""#).unwrap();
    assert_eq!(
        webext_port::test_support::decode::<String>(lone).unwrap(),
        "x\u{fffd}"
    );
}

#[wasm_bindgen_test]
fn what_is_not_a_codec_string_is_decode_failed() {
    for value in [
        JsValue::NULL,
        JsValue::from(1),
        js_sys::Object::new().into(),
    ] {
        let err = webext_port::test_support::decode::<Option<u8>>(value).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DecodeFailed);
    }
    let err = webext_port::test_support::decode::<u8>(JsValue::from_str("{")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DecodeFailed);
}

/// The correctness table of docs/codec.md: every candidate × carrier (printed, asserted only for
/// the library's codec above). `wasm-pack test --headless --chrome -- --test codec --nocapture`.
#[wasm_bindgen_test]
async fn candidate_correctness_table() {
    let mut lines = vec![
        "| edge value | carrier | ".to_owned()
            + &Candidate::ALL.map(Candidate::name).join(" | ")
            + " |",
    ];
    for case in edge_cases() {
        for (carrier, carry) in CARRIERS {
            let cells: Vec<String> = Candidate::ALL
                .iter()
                .map(|&c| run(&case, c, carry))
                .collect();
            lines.push(format!(
                "| {} | {carrier} | {} |",
                case.name,
                cells.join(" | ")
            ));
        }
    }
    console_log!("CANDIDATES\n{}", lines.join("\n"));
}
