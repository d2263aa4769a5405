//! The port bench (`./build.sh bench`): webext-port's side of every case, in the content script
//! ([`Client`]) and in the background ([`start_background`]).
//!
//! Implementations, by port name `wp:IMPL:MODE[:N]`:
//! - `untyped`: [`Port::post`] / [`Port::on_message`] with the same JS object raw JS posts;
//! - `typed`: [`TypedPort::send`] / `on_message` with [`Msg`], a serde type of the same shape;
//! - `batched`: `untyped` on a [`Port::batched`] port at both ends;
//! - `typed-batched`: `typed` on batched ports;
//! - `serde_json` (the `cpu_*` cases only, on a fake port): [`Msg`] as serde_json's text, what the
//!   typed codec is compared with.
//!
//! Modes: `echo` (the background posts every message back), `count:N` (the background acks
//! after N messages), `cold` (the background answers the first message: the cold-start case).

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use webext_port::test_support::Candidate;
use webext_port::{runtime, ConnectInfo, MessageListener, Port, PortError, TypedPort};

/// One entry of an object-heavy message: small objects and arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Index.
    pub id: u32,
    /// `"e-000001"`…
    pub name: String,
    /// Two short strings.
    pub tags: Vec<String>,
    /// A small array of numbers.
    pub xy: [i32; 2],
    /// Alternates.
    pub ok: bool,
}

/// The bench message: `text` for the string-sized cases, `entries` for the object-heavy one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Msg {
    /// Counter (the ack carries the count).
    pub seq: u64,
    /// Padding to the target size.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Many small objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Entry>,
}

fn json_len(msg: &Msg) -> usize {
    serde_json::to_string(msg).map_or(0, |t| t.len())
}

/// The message for `shape` (`"text"` or `"objects"`) whose JSON is at least `target` bytes.
pub fn message_of(shape: &str, target: usize) -> Msg {
    let mut msg = Msg {
        seq: 1,
        text: String::new(),
        entries: Vec::new(),
    };
    if shape == "objects" {
        // The length is kept up to date entry by entry: measuring the whole message after each
        // one serialized ~75 MB per 100 KiB message, which showed in `--profile` summaries.
        let mut length = json_len(&msg);
        while length < target {
            let i = msg.entries.len() as u32;
            let entry = Entry {
                id: i,
                name: format!("e-{i:06}"),
                tags: vec!["a".into(), format!("t{}", i % 7)],
                xy: [i as i32, -(i as i32)],
                ok: i.is_multiple_of(2),
            };
            // `,"entries":[…]` around the first entry, a comma before each other one.
            let around = if msg.entries.is_empty() { 13 } else { 1 };
            length += serde_json::to_string(&entry).map_or(0, |t| t.len()) + around;
            msg.entries.push(entry);
        }
    } else {
        // `{"seq":1}` is 9 bytes; `,"text":""` adds 10.
        let base = json_len(&msg) + 10;
        msg.text = "x".repeat(target.saturating_sub(base).max(1));
    }
    msg
}

thread_local! {
    static MESSAGE: RefCell<Msg> = RefCell::new(message_of("text", 16));
}

/// Sets the bench message; returns its JSON text (raw JS and the peers post `JSON.parse` of it).
#[wasm_bindgen]
pub fn set_message(shape: &str, target: usize) -> Result<String, JsError> {
    let msg = message_of(shape, target);
    let text = serde_json::to_string(&msg).map_err(|e| JsError::new(&e.to_string()))?;
    MESSAGE.with(|m| *m.borrow_mut() = msg);
    Ok(text)
}

fn message() -> Msg {
    MESSAGE.with(|m| m.borrow().clone())
}

fn js_error(err: &PortError) -> JsValue {
    JsValue::from_str(&format!("{}: {}", err.kind(), err.message()))
}

enum Sender {
    /// Posts the values in turn: distinct objects, so that a batch of them is not one object
    /// referenced many times (Firefox's structured clone would copy it once).
    Untyped(Port, Vec<JsValue>, std::cell::Cell<usize>),
    Typed(TypedPort<Msg, Msg>, Msg),
}

impl Sender {
    fn send(&self) -> Result<(), PortError> {
        match self {
            Sender::Untyped(port, values, next) => {
                let i = next.get();
                next.set((i + 1) % values.len().max(1));
                match values.get(i) {
                    Some(value) => port.post(value),
                    None => port.post(&JsValue::NULL),
                }
            }
            Sender::Typed(port, msg) => port.send(msg),
        }
    }
}

#[derive(Default)]
struct Pending {
    /// Round trips still to make; 0: the next message is an ack.
    remaining: u32,
    resolve: Option<js_sys::Function>,
    reject: Option<js_sys::Function>,
}

/// A content-script port of one implementation, driven by `content.js`.
#[wasm_bindgen]
pub struct Client {
    sender: Rc<RefCell<Option<Sender>>>,
    pending: Rc<RefCell<Pending>>,
    port: Port,
    _messages: MessageListener,
}

fn settle(pending: &Rc<RefCell<Pending>>, outcome: Result<(), JsValue>) {
    let (resolve, reject) = {
        let mut p = pending.borrow_mut();
        (p.resolve.take(), p.reject.take())
    };
    let _ = match outcome {
        Ok(()) => resolve.map(|f| f.call0(&JsValue::NULL)),
        Err(e) => reject.map(|f| f.call1(&JsValue::NULL, &e)),
    };
}

#[wasm_bindgen]
impl Client {
    /// Connects `wp:IMPL:MODE` (see the module docs).
    #[wasm_bindgen(constructor)]
    pub fn new(implementation: &str, mode: &str) -> Result<Client, JsError> {
        let port = runtime::connect(&ConnectInfo::named(format!("wp:{implementation}:{mode}")))
            .map_err(|e| JsError::new(e.message()))?;
        let port = if implementation.ends_with("batched") {
            port.batched()
        } else {
            port
        };
        let sender: Rc<RefCell<Option<Sender>>> = Rc::new(RefCell::new(None));
        let pending = Rc::new(RefCell::new(Pending::default()));
        let on_reply = {
            let sender = sender.clone();
            let pending = pending.clone();
            move |decoded: Result<(), PortError>| {
                if let Err(err) = decoded {
                    return settle(&pending, Err(js_error(&err)));
                }
                let left = {
                    let mut p = pending.borrow_mut();
                    p.remaining = p.remaining.saturating_sub(1);
                    p.remaining
                };
                if left == 0 {
                    return settle(&pending, Ok(()));
                }
                let sent = sender.borrow().as_ref().map(Sender::send);
                if let Some(Err(err)) = sent {
                    settle(&pending, Err(js_error(&err)));
                }
            }
        };
        let messages = if implementation.starts_with("typed") {
            let typed = port.clone().typed::<Msg, Msg>();
            typed.on_message(move |reply| on_reply(reply.map(drop)))
        } else {
            port.on_message(move |_reply| on_reply(Ok(())))
        };
        Ok(Client {
            sender,
            pending,
            port,
            _messages: messages,
        })
    }

    /// Sets what this client posts: the values of `values` in turn (untyped), or the current
    /// [`Msg`] (typed).
    pub fn set_payload(&self, values: Vec<JsValue>) {
        let sender = if self.port.name().starts_with("wp:typed") {
            Sender::Typed(self.port.clone().typed(), message())
        } else {
            Sender::Untyped(self.port.clone(), values, std::cell::Cell::new(0))
        };
        *self.sender.borrow_mut() = Some(sender);
    }

    /// `n` sequential round trips; resolves after the last reply.
    pub fn round_trips(&self, n: u32) -> js_sys::Promise {
        self.start(n.max(1), 1)
    }

    /// Posts `n` messages back to back (one task), resolves at the background's ack.
    pub fn one_way(&self, n: u32) -> js_sys::Promise {
        self.start(1, n)
    }

    fn start(&self, round_trips: u32, posts: u32) -> js_sys::Promise {
        let pending = self.pending.clone();
        let sender = self.sender.clone();
        js_sys::Promise::new(&mut |resolve, reject| {
            *pending.borrow_mut() = Pending {
                remaining: round_trips,
                resolve: Some(resolve),
                reject: Some(reject),
            };
            let sender = sender.borrow();
            let Some(sender) = sender.as_ref() else {
                return settle(&pending, Err(JsValue::from_str("no payload set")));
            };
            for _ in 0..posts {
                if let Err(err) = sender.send() {
                    return settle(&pending, Err(js_error(&err)));
                }
            }
        })
    }

    /// Closes the port.
    pub fn close(&self) {
        let _ = self.port.disconnect();
    }
}

/// The library's own work per message, in the page, on a fake port object whose `postMessage`
/// does nothing and whose `onMessage` listener the page calls itself: no browser work at all,
/// so what is left is what webext-port adds to each post and each received message (the
/// `cpu_*` cases; raw JS does the same calls on the same fake).
#[wasm_bindgen]
pub struct Cpu {
    untyped: Port,
    way: CpuWay,
    value: JsValue,
    msg: Msg,
    received: Rc<std::cell::Cell<u32>>,
    _listener: MessageListener,
}

/// How a [`Cpu`] posts.
enum CpuWay {
    /// `value`, untyped.
    Untyped,
    /// `msg` through the typed port.
    Typed(TypedPort<Msg, Msg>),
    /// `msg` in serde_json's text (no ASCII escaping, no check), made a JS string by
    /// wasm-bindgen and posted untyped: what the codec is measured against.
    SerdeJson,
}

#[wasm_bindgen]
impl Cpu {
    /// Wraps `fake` for `implementation` (`untyped`, `typed` or `serde_json`); untyped posts
    /// `value`, the others the current [`Msg`].
    #[wasm_bindgen(constructor)]
    pub fn new(fake: JsValue, implementation: &str, value: JsValue) -> Result<Cpu, JsError> {
        let port = Port::from_raw(fake).map_err(|e| JsError::new(e.message()))?;
        let received = Rc::new(std::cell::Cell::new(0u32));
        let count = received.clone();
        let (way, listener) = match implementation {
            "serde_json" => {
                let listener = port.on_message(move |value| {
                    if Candidate::JsonText.decode::<Msg>(value).is_ok() {
                        count.set(count.get() + 1);
                    }
                });
                (CpuWay::SerdeJson, listener)
            }
            "typed" => {
                let typed = port.clone().typed::<Msg, Msg>();
                let listener = typed.on_message(move |msg| {
                    if msg.is_ok() {
                        count.set(count.get() + 1);
                    }
                });
                (CpuWay::Typed(typed), listener)
            }
            _ => {
                let listener = port.on_message(move |_| count.set(count.get() + 1));
                (CpuWay::Untyped, listener)
            }
        };
        Ok(Cpu {
            untyped: port,
            way,
            value,
            msg: message(),
            received,
            _listener: listener,
        })
    }

    /// `n` posts (or typed sends) through the library.
    pub fn post(&self, n: u32) -> Result<(), JsError> {
        for _ in 0..n {
            let sent = match &self.way {
                CpuWay::Typed(typed) => typed.send(&self.msg),
                CpuWay::SerdeJson => Candidate::JsonText
                    .encode(&self.msg)
                    .and_then(|text| self.untyped.post(&text)),
                CpuWay::Untyped => self.untyped.post(&self.value),
            };
            sent.map_err(|e| JsError::new(e.message()))?;
        }
        Ok(())
    }

    /// How many messages the listener got (decoded, for typed).
    pub fn received(&self) -> u32 {
        self.received.get()
    }
}

/// The background's side of every `wp:` port.
fn serve(port: Port, implementation: &str, mode: &str, count: u32) {
    let port = if implementation.ends_with("batched") {
        port.batched()
    } else {
        port
    };
    let mut seen = 0u32;
    let mode = mode_of(mode);
    if implementation.starts_with("typed") {
        let typed = port.typed::<Msg, Msg>();
        let reply = typed.clone();
        typed
            .on_message(move |msg| {
                let Ok(msg) = msg else { return };
                match mode {
                    Mode::Echo | Mode::Cold => {
                        let _ = reply.send(&msg);
                    }
                    Mode::Count => {
                        seen += 1;
                        if seen >= count {
                            seen = 0;
                            let _ = reply.send(&Msg {
                                seq: u64::from(count),
                                text: String::new(),
                                entries: Vec::new(),
                            });
                        }
                    }
                }
            })
            .forget();
    } else {
        let reply = port.clone();
        port.on_message(move |msg| match mode {
            Mode::Echo | Mode::Cold => {
                let _ = reply.post(&msg);
            }
            Mode::Count => {
                seen += 1;
                if seen >= count {
                    seen = 0;
                    let _ = reply.post(&JsValue::from_str("ack"));
                }
            }
        })
        .forget();
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Echo,
    Count,
    Cold,
}

fn mode_of(mode: &str) -> Mode {
    match mode {
        "count" => Mode::Count,
        "cold" => Mode::Cold,
        _ => Mode::Echo,
    }
}

/// Background: answers every `wp:IMPL:MODE[:N]` port, for the life of the background.
#[wasm_bindgen]
pub fn start_background() -> Result<(), JsError> {
    runtime::OnConnect::new()
        .listen(|port| {
            let name = port.name().to_owned();
            let mut parts = name.split(':');
            if parts.next() != Some("wp") {
                return;
            }
            let implementation = parts.next().unwrap_or("untyped").to_owned();
            if implementation.ends_with("-jsbg") {
                // A diagnostic pairing whose background side is background.js's raw echo.
                return;
            }
            let mode = parts.next().unwrap_or("echo").to_owned();
            let count = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            serve(port, &implementation, &mode, count);
        })
        .map_err(|e| JsError::new(e.message()))?
        // Registered once at startup, for the life of the background.
        .forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_their_target_size() {
        for shape in ["text", "objects"] {
            for target in [16, 1024, 100 * 1024] {
                let msg = message_of(shape, target);
                let length = json_len(&msg);
                if shape == "objects" {
                    // The smallest such message: one entry fewer is below the target.
                    let mut fewer = msg.clone();
                    fewer.entries.pop();
                    assert!(
                        json_len(&fewer) < target,
                        "objects {target}: not the smallest"
                    );
                }
                assert!(
                    length >= target && length < target + 80,
                    "{shape} {target}: {length}"
                );
            }
        }
    }
}
