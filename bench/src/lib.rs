//! The codec benchmark extension (`./build.sh bench`): the wasm half. The JS bootstraps
//! (`bench/background.js`, `bench/content.js`) run the batches and time them; this crate encodes
//! and decodes the payload with each candidate codec, and runs the edge-value table over real ports.
//!
//! Payload: `{seq: u64, items: [{name: String, value: f64, flag: bool}]}`, items added until its
//! JSON text reaches the target size (`set_payload`).

pub mod ports;

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use webext_port::test_support::{edge_cases, Candidate, EdgeCase};

/// One entry of the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// `"item-000001"`…
    pub name: String,
    /// A float with a varied number of digits.
    pub value: f64,
    /// Alternates.
    pub flag: bool,
}

/// The benchmark message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Incremented by every encode.
    pub seq: u64,
    /// Sized to the target.
    pub items: Vec<Item>,
}

/// The payload whose JSON text is the smallest at least `target` bytes long (the empty payload,
/// 20 bytes, for anything smaller).
pub fn payload_of(target: usize) -> Payload {
    let mut payload = Payload {
        seq: 1,
        items: Vec::new(),
    };
    let mut length = serde_json::to_string(&payload).map_or(0, |t| t.len());
    while length < target {
        let i = payload.items.len();
        let item = Item {
            name: format!("item-{i:06}"),
            value: i as f64 * 1.37 + 0.25,
            flag: i.is_multiple_of(2),
        };
        length += serde_json::to_string(&item).map_or(0, |t| t.len()) + 1;
        payload.items.push(item);
    }
    payload
}

thread_local! {
    static PAYLOAD: RefCell<Payload> = RefCell::new(payload_of(0));
}

fn candidate(index: usize) -> Result<Candidate, JsError> {
    Candidate::ALL
        .get(index)
        .copied()
        .ok_or_else(|| JsError::new("no such codec"))
}

/// The candidate codecs' names, in index order.
#[wasm_bindgen]
pub fn candidate_names() -> Vec<String> {
    Candidate::ALL.iter().map(|c| c.name().to_owned()).collect()
}

/// Makes the payload for `target` bytes of JSON; returns its JSON text (the raw-JS side parses it).
#[wasm_bindgen]
pub fn set_payload(target: usize) -> Result<String, JsError> {
    let payload = payload_of(target);
    let text = serde_json::to_string(&payload).map_err(|e| JsError::new(&e.to_string()))?;
    PAYLOAD.with(|p| *p.borrow_mut() = payload);
    Ok(text)
}

/// Encodes the payload (with the next `seq`) with codec `index`.
#[wasm_bindgen]
pub fn encode(index: usize) -> Result<JsValue, JsError> {
    let codec = candidate(index)?;
    PAYLOAD.with(|p| {
        let mut payload = p.borrow_mut();
        payload.seq += 1;
        codec
            .encode(&*payload)
            .map_err(|e| JsError::new(&e.to_string()))
    })
}

/// Decodes a payload with codec `index`; returns its `seq`.
#[wasm_bindgen]
pub fn decode(index: usize, message: JsValue) -> Result<f64, JsError> {
    let payload: Payload = candidate(index)?
        .decode(message)
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(payload.seq as f64)
}

/// The background's side: decodes a payload and encodes it again.
#[wasm_bindgen]
pub fn echo(index: usize, message: JsValue) -> Result<JsValue, JsError> {
    let codec = candidate(index)?;
    let payload: Payload = codec
        .decode(message)
        .map_err(|e| JsError::new(&e.to_string()))?;
    codec
        .encode(&payload)
        .map_err(|e| JsError::new(&e.to_string()))
}

fn edge(name: &str) -> Result<EdgeCase, JsError> {
    edge_cases()
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| JsError::new("no such edge value"))
}

/// The edge table's names.
#[wasm_bindgen]
pub fn edge_names() -> Vec<String> {
    edge_cases().iter().map(|c| c.name.to_owned()).collect()
}

/// The library codec's expected outcome for edge value `name`.
#[wasm_bindgen]
pub fn edge_expected(name: &str) -> Result<String, JsError> {
    Ok(edge(name)?.expected.to_owned())
}

/// Encodes edge value `name` with codec `index`; `Err("err:<kind>")` when it refuses.
#[wasm_bindgen]
pub fn edge_encode(name: &str, index: usize) -> Result<JsValue, JsValue> {
    let case = edge(name).map_err(JsValue::from)?;
    let codec = candidate(index).map_err(JsValue::from)?;
    (case.encode)(codec).map_err(|e| JsValue::from_str(&format!("err:{}", e.kind())))
}

/// Decodes what arrived for edge value `name` with codec `index`: its outcome string.
#[wasm_bindgen]
pub fn edge_check(name: &str, index: usize, message: JsValue) -> Result<String, JsError> {
    let case = edge(name)?;
    Ok((case.check)(candidate(index)?, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_reach_their_target_size() {
        for target in [16, 1024, 100 * 1024, 1024 * 1024] {
            let length = serde_json::to_string(&payload_of(target)).unwrap().len();
            assert!(
                length >= target && length < target.max(20) + 64,
                "{target}: {length}"
            );
        }
    }
}
