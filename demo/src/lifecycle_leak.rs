//! The leak check (issue 9): connect/disconnect cycles with listeners, streams and disconnect
//! callbacks attached and dropped on both sides, started by the content script (`cs`: it
//! connects to the background) or by the background (`bg`: it `tabs.connect`s to the content
//! script's tab). The e2e test runs the rounds, and reads after each one the wasm memory of both
//! sides (reported here) and their JS heap (tests/e2e/src/heap.rs). Linear memory never shrinks,
//! so any growth after the first round (which reaches the steady state) is memory kept per cycle.
//!
//! Content command `leak-round MODE:CYCLES` reports `leak_round` = "content=BYTES
//! background=BYTES" once every port of the round is closed on both sides (the completion
//! signal: each side counts its closes).

use crate::content::report;
use crate::js::{object, sleep};
use js_sys::Reflect;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use webext_port::{runtime, ConnectInfo, MessageListener, Port, PortId};

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
    next_reply_to(port, &object(&[]), 10_000).await
}

/// Posts `request` on `port` and resolves with the next message (`None` if it closes first or
/// about `timeout_ms` pass).
async fn next_reply_to(port: &Port, request: &JsValue, timeout_ms: u32) -> Option<JsValue> {
    let slot: Rc<RefCell<Option<JsValue>>> = Rc::default();
    let sink = slot.clone();
    let _guard = port.on_message(move |m| *sink.borrow_mut() = Some(m));
    port.post(request).ok()?;
    for _ in 0..timeout_ms / 5 {
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

/// Content: one round, `arg` = "MODE:CYCLES" (see the module docs).
pub fn content(arg: &str) {
    let (mode, cycles) = arg.split_once(':').unwrap_or(("cs", "2000"));
    let cycles: u32 = cycles.parse().unwrap_or(2000);
    let mode = mode.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let before = background_stats().await.map_or(0, |s| s.0);
        let closed_here = CONTENT_CLOSED.with(Cell::get);
        let outcome = if mode == "bg" {
            background_round(cycles).await
        } else {
            content_round(cycles).await
        };
        if let Err(failed) = outcome {
            return report("leak_round", &failed);
        }
        // The completion signal: both sides saw every port of this round close.
        let mut stats = None;
        for _ in 0..600 {
            stats = background_stats().await;
            let background_done = stats.is_some_and(|(closed, _)| closed >= before + cycles);
            let content_done =
                mode != "bg" || CONTENT_CLOSED.with(Cell::get) >= closed_here + cycles;
            if background_done && content_done {
                let background_bytes = stats.map_or(0.0, |s| s.1);
                return report(
                    "leak_round",
                    &format!("content={} background={background_bytes}", wasm_bytes()),
                );
            }
            sleep(100).await;
        }
        report(
            "leak_round",
            &format!("the background saw {stats:?} closes of {cycles}"),
        );
    });
}

/// `cycles` ports opened here, each with a listener, a disconnect callback and a `closed`
/// future attached, a message posted, everything dropped, and disconnected.
async fn content_round(cycles: u32) -> Result<(), String> {
    for n in 0..cycles {
        let port = runtime::connect(&ConnectInfo::named("leak"))
            .map_err(|e| format!("connect failed: {e}"))?;
        churn(&port, n);
        if n % 100 == 0 {
            sleep(0).await; // let the browser deliver
        }
    }
    Ok(())
}

/// Attaches a listener, a disconnect callback and a `closed` future to `port`, posts `n`, drops
/// them all and disconnects.
fn churn(port: &Port, n: u32) {
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
}

/// Asks the background to run `cycles` `tabs.connect` cycles to this tab; resolves when it says
/// it is done.
async fn background_round(cycles: u32) -> Result<(), String> {
    let port = runtime::connect(&ConnectInfo::named("leak-bg-run"))
        .map_err(|e| format!("connect failed: {e}"))?;
    let request = object(&[("cycles", cycles.into())]);
    let reply = next_reply_to(&port, &request, 60_000).await;
    let _ = port.disconnect();
    match reply.and_then(|r| Reflect::get(&r, &"done".into()).ok()) {
        Some(done) if done.is_truthy() => Ok(()),
        other => Err(format!("the background's round: {other:?}")),
    }
}

thread_local! {
    /// Content: the "leak-bg" ports the background opened here that have closed.
    static CONTENT_CLOSED: Cell<u32> = const { Cell::new(0) };
    /// Content: the open "leak-bg" ports, with their listener.
    static CONTENT_OPEN: RefCell<HashMap<PortId, (Port, MessageListener)>> = RefCell::new(HashMap::new());
}

/// Content: a "leak-bg" port from the background gets an echo listener (kept in a map) and a
/// disconnect callback that drops both and counts the close; false for other ports.
pub fn received(port: &Port) -> bool {
    if port.name() != "leak-bg" {
        return false;
    }
    let echo = port.clone();
    let listener = port.on_message(move |message| {
        let _ = echo.post(&message);
    });
    let id = port.id();
    port.on_disconnect(move |_| {
        CONTENT_CLOSED.with(|c| c.set(c.get() + 1));
        let gone = CONTENT_OPEN.with(|open| open.borrow_mut().remove(&id));
        wasm_bindgen_futures::spawn_local(async move { drop(gone) });
    });
    CONTENT_OPEN.with(|open| open.borrow_mut().insert(id, (port.clone(), listener)));
    true
}

/// Background: a "leak-bg-run" port asks for `{cycles}` cycles of `tabs.connect` to its tab's
/// top frame (each churned as the content script churns its own); answers `{done}`.
pub fn background_run(port: Port) {
    let replies = port.clone();
    let tab = port.sender().and_then(|s| s.tab).and_then(|t| t.id);
    port.on_message(move |message| {
        let cycles = Reflect::get(&message, &"cycles".into())
            .ok()
            .and_then(|c| c.as_f64())
            .unwrap_or(0.0) as u32;
        let replies = replies.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let done = match tab {
                Some(tab) => run_from_background(tab, cycles).await,
                None => false,
            };
            if done {
                BACKGROUND.with(|bg| bg.borrow_mut().closed += cycles);
            }
            let _ = replies.post(&object(&[("done", done.into())]));
        });
    })
    .forget();
}

async fn run_from_background(tab: i32, cycles: u32) -> bool {
    let info = webext_port::tabs::ConnectInfo::named("leak-bg").frame_id(0);
    for n in 0..cycles {
        let Ok(port) = webext_port::tabs::connect(tab, &info) else {
            return false;
        };
        churn(&port, n);
        if n % 100 == 0 {
            sleep(0).await;
        }
    }
    true
}
