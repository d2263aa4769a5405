//! The message side of the core: the early-message backlog (bounded by [`BACKLOG_LIMIT`]) and
//! the dispatch of each message to the Rust listener list (callbacks, streams, typed listeners).

use super::core::{later, Core};
use super::State;
use crate::error::{ErrorKind, PortError};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// How many messages a port keeps for its first message listener or stream.
///
/// Messages that arrive before anyone listens are kept, in order, so that a listener added a
/// little late (after an `await`, say) misses nothing. A port that nobody ever listens to must not
/// grow without bound, though: the message that would be number `BACKLOG_LIMIT + 1` closes the
/// port (the other end sees a clean disconnect) and the port reports
/// [`ErrorKind::BacklogOverflow`] to its `on_disconnect` callbacks, `closed()` and streams. The
/// messages already kept are still delivered to a listener added later.
///
/// ```no_run
/// # async fn demo(port: webext_port::Port, load_settings: impl std::future::Future<Output = ()>) {
/// use webext_port::ErrorKind;
/// // An `await` before listening loses nothing: up to BACKLOG_LIMIT messages wait, in order.
/// load_settings.await;
/// if port.error().map(|e| e.kind()) == Some(ErrorKind::BacklogOverflow) {
///     // More than BACKLOG_LIMIT arrived meanwhile: the port was closed, the kept ones still come.
/// }
/// let _messages = port.on_message(|m| println!("{m:?}"));
/// # }
/// ```
pub const BACKLOG_LIMIT: usize = 1024;

/// A Rust message listener. `Rc` so a dispatch can hold it while the listener removes itself.
pub(crate) type Callback = Rc<RefCell<dyn FnMut(JsValue)>>;

pub(super) struct Entry {
    pub(super) id: u64,
    pub(super) callback: Callback,
    /// Kept for the port's life: holds the core alive while connected (see the module docs).
    pub(super) forgotten: bool,
}

impl Core {
    /// After a disconnect, once every received message was handed out: frees every message
    /// listener (the closures may hold handles of this port; that cycle ends here).
    pub(super) fn release_if_done(&self) {
        if self.is_connected() || self.dispatching.get() || !self.queue.borrow().is_empty() {
            return;
        }
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
    }

    /// A message from the browser.
    pub(super) fn receive(self: &Rc<Self>, message: JsValue) {
        if self.backlog_open.get() {
            if self.queue.borrow().len() >= BACKLOG_LIMIT {
                let _ = self.raw.disconnect();
                self.close(State::Failed(PortError::new(
                    ErrorKind::BacklogOverflow,
                    crate::text::concat(&[
                        "more than ",
                        itoa::Buffer::new().format(BACKLOG_LIMIT),
                        " messages arrived before the first message listener or stream; the \
                         port was closed",
                    ]),
                )));
                return;
            }
            self.queue.borrow_mut().push_back(message);
            return;
        }
        self.queue.borrow_mut().push_back(message);
        self.drain();
    }

    /// Hands every queued message, in order, to every listener registered when it is handed
    /// out. Re-entrant calls (a listener causing another delivery) only queue.
    fn drain(&self) {
        if self.dispatching.replace(true) {
            return;
        }
        loop {
            let Some(message) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            match self.batching.get().then(|| super::batch::unpack(&message)) {
                Some(Some(batch)) => {
                    for item in batch.iter() {
                        // Our own disconnect() inside a listener ends delivery, mid-batch too.
                        if matches!(*self.state.borrow(), State::ClosedHere) {
                            break;
                        }
                        self.dispatch(item);
                    }
                }
                _ => self.dispatch(message),
            }
        }
        self.dispatching.set(false);
        self.release_if_done();
    }

    /// Hands one message to every listener registered now.
    fn dispatch(&self, message: JsValue) {
        // One listener (the usual case: one callback, stream or typed view): no snapshot to
        // allocate, and nobody earlier in this message could have removed it.
        let only = match self.listeners.borrow().as_slice() {
            [only] => Some(only.callback.clone()),
            _ => None,
        };
        if let Some(callback) = only {
            if let Ok(mut callback) = callback.try_borrow_mut() {
                callback(message);
            }
            return;
        }
        let snapshot: Vec<(u64, Callback)> = self
            .listeners
            .borrow()
            .iter()
            .map(|e| (e.id, e.callback.clone()))
            .collect();
        for (id, callback) in snapshot {
            // An earlier listener may have removed this one during this message.
            let still_there = self.listeners.borrow().iter().any(|e| e.id == id);
            if !still_there {
                continue;
            }
            if let Ok(mut callback) = callback.try_borrow_mut() {
                callback(message.clone());
            }
        }
    }

    /// Adds a message listener. The first one ends the backlog: what it kept is handed out on a
    /// later microtask (never inside this call), before any later message.
    pub(crate) fn add_listener(self: &Rc<Self>, callback: Callback) -> u64 {
        let id = self.next_id();
        let nothing_more = !self.is_connected() && self.queue.borrow().is_empty();
        if nothing_more {
            // Closed and nothing left to deliver: registering would only keep the closure.
            return id;
        }
        self.listeners.borrow_mut().push(Entry {
            id,
            callback,
            forgotten: false,
        });
        if self.backlog_open.replace(false) && !self.queue.borrow().is_empty() {
            let core = self.clone();
            later(move || core.drain());
        }
        id
    }

    pub(crate) fn remove_listener(self: &Rc<Self>, id: u64) {
        let removed = {
            let mut listeners = self.listeners.borrow_mut();
            let position = listeners.iter().position(|e| e.id == id);
            position.map(|p| listeners.remove(p))
        };
        // Dropped outside the borrow: the closure may own guards of this same port.
        drop(removed);
        self.update_keep_alive();
    }

    pub(crate) fn forget_listener(self: &Rc<Self>, id: u64) {
        if let Some(entry) = self.listeners.borrow_mut().iter_mut().find(|e| e.id == id) {
            entry.forgotten = true;
        }
        self.update_keep_alive();
    }

    /// Whether nothing more will be handed to listeners: closed and the queue is empty.
    pub(crate) fn is_finished(&self) -> bool {
        !self.is_connected() && self.queue.borrow().is_empty() && !self.dispatching.get()
    }
}
