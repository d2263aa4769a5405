//! The connection core: one per browser `runtime.Port` object, shared by every [`Port`] handle,
//! guard, stream and typed view of it.
//!
//! At wrap time the core registers exactly **one** JS `onMessage` listener and **one** JS
//! `onDisconnect` listener on the browser's port. Everything the Rust side adds (message callbacks,
//! streams, typed listeners, disconnect callbacks, `closed()` futures) lives in Rust lists here, so:
//! - adding or removing a Rust listener never calls into JS and cannot fail;
//! - a message costs one JS → wasm call however many listeners there are;
//! - the backlog (messages before the first listener), re-entrancy and ordering are handled in
//!   one place, for the callback, typed and async APIs alike.
//!
//! ## Who keeps the core alive (and why it is bounded)
//! Strong references to the core are held by [`Port`] handles, [`MessageListener`] guards, streams,
//! sinks and `closed()` futures, all owned by the user, plus at most **one** self-reference,
//! `keep_alive`, held only while *both*:
//! 1. the state is [`State::Connected`], and
//! 2. the core owns a callback that must outlive the user's handles: an `on_disconnect` callback
//!    or a [`forget`](MessageListener::forget)-ed message listener.
//!
//! This mirrors a JS port with listeners, which the browser keeps alive while it is connected.
//! Every way out of `Connected` goes through [`Core::close`] (the browser's `onDisconnect`, our
//! own [`Port::disconnect`], a backlog overflow), and `close` takes `keep_alive` and, once the
//! pending messages are delivered, clears both callback lists. So the self-reference, and every
//! closure only it kept, is freed at the disconnect; with no other reference the core is then
//! dropped, which removes the two JS listeners and frees their closures. The JS closures hold
//! only a `Weak` to the core, so they never keep it alive themselves.
//!
//! [`Port`]: super::Port
//! [`MessageListener`]: super::MessageListener
//! [`MessageListener::forget`]: super::MessageListener::forget
//! [`Port::disconnect`]: super::Port::disconnect

use super::backlog::Entry;
use super::{Disconnect, PortId, State};
use crate::error::{ErrorKind, PortError};
use crate::listener::EventListener;
use crate::namespace::{error_from_js, last_error};
use crate::sys::RawPort;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::task::Waker;
use wasm_bindgen::prelude::*;

type DisconnectCallback = Box<dyn FnOnce(Disconnect)>;

/// A registered JS listener taking one value (a message, or the port on disconnect).
type ValueListener = EventListener<dyn FnMut(JsValue)>;

pub(crate) struct Core {
    pub(crate) id: PortId,
    pub(crate) raw: RawPort,
    pub(crate) name: String,
    /// A `connectNative` port: JSON size limit on post, host exit is an error.
    pub(crate) native: bool,
    pub(super) state: RefCell<State>,
    pub(super) listeners: RefCell<Vec<Entry>>,
    pub(super) disconnect_callbacks: RefCell<Vec<(u64, DisconnectCallback)>>,
    pub(super) next_id: Cell<u64>,
    /// Received, not yet handed to the listeners: the backlog (before the first listener), or
    /// messages that arrived while a dispatch was running.
    pub(super) queue: RefCell<VecDeque<JsValue>>,
    /// True until the first message listener or stream is added.
    pub(super) backlog_open: Cell<bool>,
    pub(super) dispatching: Cell<bool>,
    /// `closed()` futures and streams waiting for the state to leave `Connected`.
    pub(super) close_wakers: RefCell<Vec<Waker>>,
    pub(super) keep_alive: RefCell<Option<Rc<Core>>>,
    pub(super) js_listeners: RefCell<Vec<ValueListener>>,
    /// Both ends agreed to batch (`Port::batched`): posts are queued, envelopes are unpacked.
    pub(super) batching: Cell<bool>,
    /// Posted in this task, not yet handed to the browser (batched ports only; see `batch`).
    pub(super) outbox: RefCell<Vec<JsValue>>,
}

thread_local! {
    /// Which browser port objects are wrapped, so that two wrappers of one port (two `onConnect`
    /// listeners get the same object) share one core and one identity.
    static IDS: js_sys::WeakMap = js_sys::WeakMap::new();
    /// The live cores by id, sorted by id: a few hundred ports at most, and no hash map code in
    /// every wasm (docs/performance.md, "Size").
    static CORES: RefCell<Vec<(u64, Weak<Core>)>> = const { RefCell::new(Vec::new()) };
    static NEXT_PORT_ID: Cell<u64> = const { Cell::new(1) };
}

/// The identity of `raw`: the same for the same JS object, for as long as that object lives.
fn id_of(raw: &RawPort) -> PortId {
    let key: &js_sys::Object = raw.unchecked_ref();
    IDS.with(|ids| {
        if let Some(id) = ids.get(key).as_f64() {
            return PortId(id as u64);
        }
        let id = NEXT_PORT_ID.with(|next| next.replace(next.get() + 1));
        // Ids count up from 1 and stay far below 2^53, so they survive the f64 round trip.
        ids.set(key, &JsValue::from_f64(id as f64));
        PortId(id)
    })
}

/// Every live, connected core of this context.
pub(crate) fn all_connected() -> Vec<Rc<Core>> {
    CORES.with(|cores| {
        cores
            .borrow()
            .iter()
            .filter_map(|(_, core)| core.upgrade())
            .filter(|core| core.is_connected())
            .collect()
    })
}

/// Runs `f` on a later microtask: after the current listener returns, before the next event.
pub(crate) fn later(f: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move { f() });
}

impl Core {
    /// The core of `raw`: the live one if this object is already wrapped, else a new one that
    /// starts in `initial` with `messages` already received.
    pub(crate) fn of(
        raw: RawPort,
        application: Option<&str>,
        messages: Vec<JsValue>,
        initial: State,
    ) -> Rc<Core> {
        let id = id_of(&raw);
        let found = CORES.with(|c| {
            let cores = c.borrow();
            let at = cores.binary_search_by_key(&id.0, |(id, _)| *id).ok()?;
            cores.get(at).and_then(|(_, core)| core.upgrade())
        });
        if let Some(core) = found {
            return core;
        }
        let name = application
            .map(str::to_owned)
            .or_else(|| raw.name().as_string())
            .unwrap_or_default();
        let connected = matches!(initial, State::Connected);
        let core = Rc::new(Core {
            id,
            raw,
            name,
            native: application.is_some(),
            state: RefCell::new(initial),
            listeners: RefCell::new(Vec::new()),
            disconnect_callbacks: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            queue: RefCell::new(messages.into()),
            backlog_open: Cell::new(true),
            dispatching: Cell::new(false),
            close_wakers: RefCell::new(Vec::new()),
            keep_alive: RefCell::new(None),
            js_listeners: RefCell::new(Vec::new()),
            batching: Cell::new(false),
            outbox: RefCell::new(Vec::new()),
        });
        CORES.with(|c| {
            let mut cores = c.borrow_mut();
            match cores.binary_search_by_key(&id.0, |(id, _)| *id) {
                Ok(at) => {
                    if let Some(entry) = cores.get_mut(at) {
                        entry.1 = Rc::downgrade(&core);
                    }
                }
                Err(at) => cores.insert(at, (id.0, Rc::downgrade(&core))),
            }
        });
        if connected {
            core.listen_to_browser();
            super::pagehide::watch();
        }
        core
    }

    /// The one JS `onMessage` and the one JS `onDisconnect` listener of this port.
    fn listen_to_browser(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let on_disconnect = Closure::<dyn FnMut(JsValue)>::new(move |_port: JsValue| {
            if let Some(core) = weak.upgrade() {
                let reason = core.read_disconnect();
                core.close(State::ClosedThere(reason));
                // The last handle may be inside the callbacks; let it go after this dispatch.
                later(move || drop(core));
            }
        });
        match EventListener::add(self.raw.on_disconnect(), on_disconnect) {
            Ok(listener) => self.js_listeners.borrow_mut().push(listener),
            Err(err) => {
                // No way to learn about a disconnect: report the port as failed at once.
                *self.state.borrow_mut() = State::Failed(err);
                return;
            }
        }
        let weak = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
            if let Some(core) = weak.upgrade() {
                core.receive(message);
            }
        });
        match EventListener::add(self.raw.on_message(), on_message) {
            Ok(listener) => self.js_listeners.borrow_mut().push(listener),
            Err(err) => {
                let _ = self.raw.disconnect();
                self.close(State::Failed(err));
            }
        }
    }

    pub(crate) fn state(&self) -> State {
        self.state.borrow().clone()
    }

    pub(crate) fn is_connected(&self) -> bool {
        matches!(*self.state.borrow(), State::Connected)
    }

    pub(super) fn next_id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    /// Reads why the port closed. Must run synchronously inside the browser's onDisconnect
    /// dispatch: Chromium's `runtime.lastError` exists only then. The one place that knows where
    /// each browser puts the error.
    fn read_disconnect(&self) -> Disconnect {
        let has_error_property =
            js_sys::Reflect::has(&self.raw, &JsValue::from_str("error")).unwrap_or(false);
        let error = if has_error_property {
            Some(self.raw.error())
        } else {
            last_error()
        };
        let reported = match error {
            Some(error) if !error.is_null() && !error.is_undefined() => {
                Disconnect::Error(error_from_js(&error))
            }
            _ => Disconnect::Clean,
        };
        let reported = match reported {
            Disconnect::Error(err) if self.native => Disconnect::Error(PortError::new(
                crate::error::classify_native(err.message()),
                err.message(),
            )),
            other => other,
        };
        if self.native && reported == Disconnect::Clean {
            // Only the host can close a native port from the other side. Chromium says "Native host
            // has exited.", Firefox reports no error at all: one outcome for both.
            return Disconnect::Error(PortError::new(
                ErrorKind::NativeHostExited,
                "the native messaging host exited or closed its output",
            ));
        }
        reported
    }

    /// The one way out of `Connected`. Fires the disconnect callbacks (not for our own
    /// `disconnect()`, as in the browser), wakes futures and streams, and breaks the keep-alive
    /// cycle (see the module docs).
    pub(crate) fn close(self: &Rc<Self>, next: State) {
        if !self.is_connected() {
            return;
        }
        let next = self.unsent_into(next);
        *self.state.borrow_mut() = next.clone();
        let callbacks = std::mem::take(&mut *self.disconnect_callbacks.borrow_mut());
        if let Some(reason) = next.reason().filter(|_| !matches!(next, State::ClosedHere)) {
            for (_, callback) in callbacks {
                callback(reason.clone());
            }
        } else {
            drop(callbacks);
        }
        if matches!(next, State::ClosedHere) {
            // As in the browser, nothing is delivered after our own disconnect(), not even
            // messages that arrived earlier but were not handed out yet.
            let undelivered = std::mem::take(&mut *self.queue.borrow_mut());
            drop(undelivered);
        }
        for waker in std::mem::take(&mut *self.close_wakers.borrow_mut()) {
            waker.wake();
        }
        self.release_if_done();
        // The caller holds an `Rc` of its own, so this is never the last one while we run.
        let keep_alive = self.keep_alive.borrow_mut().take();
        drop(keep_alive);
    }

    /// Holds or lets go of the self-reference (see the module docs for the invariant).
    pub(super) fn update_keep_alive(self: &Rc<Self>) {
        let needed = self.is_connected()
            && (!self.disconnect_callbacks.borrow().is_empty()
                || self.listeners.borrow().iter().any(|e| e.forgotten));
        let mut keep_alive = self.keep_alive.borrow_mut();
        if needed && keep_alive.is_none() {
            *keep_alive = Some(self.clone());
        } else if !needed {
            let released = keep_alive.take();
            drop(keep_alive);
            drop(released);
        }
    }

    pub(crate) fn add_disconnect_callback(
        self: &Rc<Self>,
        callback: impl FnOnce(Disconnect) + 'static,
    ) -> u64 {
        let id = self.next_id();
        let state = self.state();
        match state {
            State::Connected => {
                self.disconnect_callbacks
                    .borrow_mut()
                    .push((id, Box::new(callback)));
                self.update_keep_alive();
            }
            State::ClosedHere => {}
            closed => {
                let Some(reason) = closed.reason() else {
                    return id;
                };
                self.disconnect_callbacks
                    .borrow_mut()
                    .push((id, Box::new(callback)));
                let core = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    // One more turn so backlog messages scheduled in the same tick come first.
                    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
                        &JsValue::UNDEFINED,
                    ))
                    .await;
                    if let Some(callback) = core.take_disconnect_callback(id) {
                        callback(reason);
                    }
                });
            }
        }
        id
    }

    fn take_disconnect_callback(&self, id: u64) -> Option<DisconnectCallback> {
        let mut callbacks = self.disconnect_callbacks.borrow_mut();
        let position = callbacks.iter().position(|(i, _)| *i == id)?;
        Some(callbacks.remove(position).1)
    }

    pub(crate) fn cancel_disconnect_callback(self: &Rc<Self>, id: u64) {
        // Dropped outside the borrow: the callback may own guards of this same port.
        drop(self.take_disconnect_callback(id));
        self.update_keep_alive();
    }

    /// Wakes `waker` when the state leaves `Connected`.
    pub(crate) fn wake_on_close(&self, waker: &Waker) {
        let mut wakers = self.close_wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        let _ = CORES.try_with(|cores| {
            let mut cores = cores.borrow_mut();
            if let Ok(at) = cores.binary_search_by_key(&self.id.0, |(id, _)| *id) {
                if cores
                    .get(at)
                    .is_some_and(|(_, core)| core.strong_count() == 0)
                {
                    cores.remove(at);
                }
            }
        });
    }
}

impl State {
    /// Why the port is closed, `None` while connected.
    pub(crate) fn reason(&self) -> Option<Disconnect> {
        match self {
            State::Connected => None,
            State::ClosedHere => Some(Disconnect::Local),
            State::ClosedThere(reason) => Some(reason.clone()),
            State::Failed(err) => Some(Disconnect::Error(err.clone())),
        }
    }
}
