//! Lifecycle test commands (issue 9): connections that wake a stopped background ("cold"), and
//! the reconnecting port's zero-loss stream. Dispatched by one line each from `content.rs` and
//! `background.rs`.
//!
//! Content side reports in the page: `bg_gone` (the main port's disconnect: the background went
//! away), `cold` (what the background's Rust code received on this tab's cold port), `cold_at`
//! (when this tab connected, ms since the epoch).

use crate::content::report;
use crate::js::{log, object, reason, sleep};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use webext_port::{runtime, ConnectInfo, Port};

/// `value[key]` as a string, if it is one.
pub(crate) fn string(value: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// Messages each cold port posts right after connecting (then an `{end}` marker).
pub const COLD_MESSAGES: u32 = 5;

/// Content: reports `bg_gone` when the main port's background goes away (stopped, suspended).
pub fn watch_main_port(port: &Port) {
    port.on_disconnect(|why| report("bg_gone", &reason(&why)));
}

/// Content: runs a lifecycle command; false when `cmd` is not one.
pub fn run(cmd: &str, arg: &str) -> bool {
    if crate::lifecycle_bfcache::run(cmd) || crate::lifecycle_faults::run(cmd, arg) {
        return true;
    }
    match cmd {
        "cold-connect" => cold_connect(arg),
        "stream" => crate::lifecycle_stream::content(arg),
        "leak-round" => crate::lifecycle_leak::content(arg),
        _ => return false,
    }
    true
}

/// At `arg` (ms since the epoch), connects "cold", posts `{seq}` 0..COLD_MESSAGES and `{end}`, and
/// reports the background's verdict (or how the port was lost).
fn cold_connect(arg: &str) {
    let at: f64 = arg.parse().unwrap_or(0.0);
    wasm_bindgen_futures::spawn_local(async move {
        let wait = (at - js_sys::Date::now()).max(0.0);
        sleep(wait as i32).await;
        report("cold_at", &js_sys::Date::now().to_string());
        let port = match runtime::connect(&ConnectInfo::named("cold")) {
            Ok(port) => port,
            Err(err) => return report("cold", &format!("connect failed: {err}")),
        };
        port.on_message(|message| {
            if let Some(verdict) = string(&message, "cold") {
                report("cold", &verdict);
            }
        })
        .forget();
        port.on_disconnect(|why| report("cold", &format!("lost: {}", reason(&why))));
        for seq in 0..COLD_MESSAGES {
            if let Err(err) = port.post(&object(&[("seq", seq.into())])) {
                return report("cold", &format!("post failed: {err}"));
            }
        }
        let _ = port.post(&object(&[("end", true.into())]));
    });
}

/// Background: takes the lifecycle ports; false when `port` is not one.
pub fn connected(port: &Port) -> bool {
    if crate::lifecycle_bfcache::connected(port) || crate::lifecycle_faults::connected(port) {
        return true;
    }
    match port.name() {
        "cold" => cold(port.clone()),
        "stream" => crate::lifecycle_stream::background(port.clone()),
        "leak" | "leak-stats" => crate::lifecycle_leak::background(port.clone()),
        "leak-bg-run" => crate::lifecycle_leak::background_run(port.clone()),
        _ => return false,
    }
    true
}

/// Background side of a cold port: what arrived, checked at `{end}` (the completion signal: a
/// port is FIFO, so every earlier message is in), answered `"<n> in order"` or what it got.
fn cold(port: Port) {
    let seen: Rc<RefCell<Vec<JsValue>>> = Rc::default();
    let replies = port.clone();
    port.on_message(move |message| {
        let is_end = js_sys::Reflect::get(&message, &"end".into()).is_ok_and(|e| e.is_truthy());
        if !is_end {
            seen.borrow_mut().push(message);
            return;
        }
        let seqs: Vec<f64> = seen
            .borrow()
            .iter()
            .map(|m| {
                js_sys::Reflect::get(m, &"seq".into())
                    .ok()
                    .and_then(|s| s.as_f64())
                    .unwrap_or(-1.0)
            })
            .collect();
        let in_order = seqs.iter().copied().eq((0..COLD_MESSAGES).map(f64::from));
        let verdict = if in_order {
            format!("{COLD_MESSAGES} in order")
        } else {
            format!("got {seqs:?}")
        };
        if let Err(err) = replies.post(&object(&[("cold", verdict.into())])) {
            log(&format!("cannot answer a cold port: {err}"));
        }
    })
    .forget();
}
