//! The leak check (issue 9): connect/disconnect cycles from a content script, with listeners,
//! streams and disconnect callbacks attached and dropped on both sides; the wasm memory of the
//! content script and of the background is read after each round. Linear memory never shrinks,
//! so any growth after the first round (which reaches the steady state) is memory kept per
//! cycle: a leak.
//!
//! Content reports `leak` = "content +X KiB, background +Y KiB after round 1" plus a verdict.

use crate::content::report;
use crate::js::{object, sleep};
use js_sys::Reflect;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use webext_port::{runtime, ConnectInfo, MessageListener, Port, PortId};

/// Growth allowed after the first round (issue 9).
const LIMIT_BYTES: f64 = 1024.0 * 1024.0;

/// This context's wasm linear memory, in bytes.
fn wasm_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}

#[derive(Default)]
struct Background {
    open: HashMap<PortId, (Port, MessageListener)>,
    closed: u32,
}

thread_local! {
    static BACKGROUND: RefCell<Background> = RefCell::new(Background::default());
}

/// Background: a "leak" port gets a listener (kept in a map) and a disconnect callback that
/// drops both; a "leak-stats" port answers `{closed, bytes}`.
pub fn background(port: Port) {
    if port.name() == "leak-stats" {
        let replies = port.clone();
        port.on_message(move |_| {
            let closed = BACKGROUND.with(|bg| bg.borrow().closed);
            let _ = replies.post(&object(&[
                ("closed", closed.into()),
                ("bytes", wasm_bytes().into()),
            ]));
        })
        .forget();
        return;
    }
    let echo = port.clone();
    let listener = port.on_message(move |message| {
        let _ = echo.post(&message);
    });
    let id = port.id();
    port.on_disconnect(move |_| {
        let gone = BACKGROUND.with(|bg| {
            let mut bg = bg.borrow_mut();
            bg.closed += 1;
            bg.open.remove(&id)
        });
        // Dropped after this dispatch (the callback runs inside the port's own listener).
        wasm_bindgen_futures::spawn_local(async move { drop(gone) });
    });
    BACKGROUND.with(|bg| bg.borrow_mut().open.insert(id, (port, listener)));
}

/// Posts `{}` on `port` and resolves with the next message (`None` if it closes first or ~10 s
/// pass).
async fn next_reply(port: &Port) -> Option<JsValue> {
    let slot: Rc<RefCell<Option<JsValue>>> = Rc::default();
    let sink = slot.clone();
    let _guard = port.on_message(move |m| *sink.borrow_mut() = Some(m));
    port.post(&object(&[])).ok()?;
    for _ in 0..2000 {
        if let Some(reply) = slot.borrow_mut().take() {
            return Some(reply);
        }
        if !port.is_connected() {
            return None;
        }
        sleep(5).await;
    }
    None
}

/// The background's `(closed ports, wasm bytes)`.
async fn background_stats() -> Option<(u32, f64)> {
    let port = runtime::connect(&ConnectInfo::named("leak-stats")).ok()?;
    let reply = next_reply(&port).await;
    let _ = port.disconnect();
    let reply = reply?;
    let closed = Reflect::get(&reply, &"closed".into()).ok()?.as_f64()? as u32;
    let bytes = Reflect::get(&reply, &"bytes".into()).ok()?.as_f64()?;
    Some((closed, bytes))
}

/// Content: `arg` = "ROUNDSxCYCLES".
pub fn content(arg: &str) {
    let (rounds, cycles) = arg.split_once('x').unwrap_or(("5", "2000"));
    let rounds: u32 = rounds.parse().unwrap_or(5);
    let cycles: u32 = cycles.parse().unwrap_or(2000);
    wasm_bindgen_futures::spawn_local(async move {
        let mut first: Option<(f64, f64)> = None;
        let mut last = (0.0, 0.0);
        let start_closed = background_stats().await.map_or(0, |s| s.0);
        for round in 1..=rounds {
            for n in 0..cycles {
                let Ok(port) = runtime::connect(&ConnectInfo::named("leak")) else {
                    return report("leak", "connect failed");
                };
                let received = Rc::new(Cell::new(0));
                let count = received.clone();
                let guard = port.on_message(move |_| count.set(count.get() + 1));
                let callback = port.on_disconnect(|_| {});
                let closed = port.closed();
                let _ = port.post(&n.into());
                drop(guard);
                callback.cancel();
                drop(closed);
                let _ = port.disconnect();
                if n % 100 == 0 {
                    sleep(0).await; // let the browser deliver
                }
            }
            // The completion signal: the background saw every port of this round close.
            let want = start_closed + round * cycles;
            let mut stats = None;
            for _ in 0..600 {
                stats = background_stats().await;
                if stats.is_some_and(|(closed, _)| closed >= want) {
                    break;
                }
                sleep(100).await;
            }
            let Some((_, background_bytes)) = stats.filter(|(c, _)| *c >= want) else {
                return report(
                    "leak",
                    &format!("round {round}: the background saw {stats:?} of {want} closes"),
                );
            };
            last = (wasm_bytes(), background_bytes);
            if first.is_none() {
                first = Some(last);
            }
        }
        let (content0, background0) = first.unwrap_or_default();
        let (content_growth, background_growth) = (last.0 - content0, last.1 - background0);
        let verdict = if content_growth <= LIMIT_BYTES && background_growth <= LIMIT_BYTES {
            "within 1 MiB".to_owned()
        } else {
            format!(
                "grew: content +{:.0} KiB, background +{:.0} KiB",
                content_growth / 1024.0,
                background_growth / 1024.0
            )
        };
        report(
            "leak_detail",
            &format!(
                "content {:.0} KiB +{:.0} KiB, background {:.0} KiB +{:.0} KiB",
                content0 / 1024.0,
                content_growth / 1024.0,
                background0 / 1024.0,
                background_growth / 1024.0
            ),
        );
        report("leak", &verdict);
    });
}
