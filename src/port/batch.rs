//! Opt-in batching ([`Port::batched`](super::Port::batched)): the posts made in one task travel
//! as one browser message, and the receiving end splits them again, in order.
//!
//! ## The wire
//! On a batched port **every** browser message this library posts is an envelope, an object whose
//! one property, [`ENVELOPE_KEY`], is the array of the posted messages in order
//! (one message is an envelope of one). The receiving end unpacks envelopes only on a port that
//! was itself made batched: both ends must opt in. A message that is not an envelope is delivered
//! as it is (a peer that does not batch still gets through), and since every message of a
//! batching sender is wrapped, a user value that happens to look like an envelope arrives inside
//! one and is never unpacked by mistake.
//!
//! ## When a batch goes out
//! The first post of a task queues the message and schedules a flush on a microtask; later posts
//! of the same task join the queue. The flush posts the envelope: after the current task's code,
//! before any other event (a message, a disconnect) can be dispatched. [`Port::flush`] posts the
//! queue at once, and [`Port::disconnect`] flushes before it disconnects, so what was posted
//! before a disconnect is sent, as it is without batching.
//!
//! ## What the sender is told
//! - A post checks the message (serializable, size) and the connection **synchronously**, as
//!   without batching: a post after either side disconnected is an `Err`
//!   ([`ErrorKind::Disconnected`]) and queues nothing.
//! - `Ok` means *queued*. If the browser then refuses the envelope (it throws: context
//!   invalidated, message too large, the port went away under us), the messages of that batch
//!   are lost and the sequence has a hole, so the port is closed: the other end sees a clean
//!   disconnect, and this end reports [`State::Failed`] with the browser's error kind and a
//!   message that says how many messages were not sent. It reaches `on_disconnect` callbacks,
//!   `closed()` and streams like any other error.
//! - If the port closes (other than by our own `disconnect`) while messages are still queued,
//!   the disconnect reason becomes an error saying how many were not sent (its kind is the
//!   original error's, or [`ErrorKind::Disconnected`] for a clean end). Since the flush runs
//!   before any disconnect event is dispatched, this takes a library-side close in the same
//!   task; it is reported rather than dropped all the same.

use super::core::{later, Core};
use super::{Disconnect, Port, State, TypedPort};
use crate::error::{ErrorKind, PortError};
use crate::namespace::error_from_js;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// The one key of a batch envelope, `{"webext-port/batch": [message, …]}`: what a
/// [batched](Port::batched) port posts, and what a peer written in JS (or a native host) must
/// send and unpack to talk to one.
///
/// ```no_run
/// // A JS peer of a batched port unpacks with the same key.
/// let unpack = format!("m => m[{:?}] ?? [m]", webext_port::ENVELOPE_KEY);
/// ```
pub const ENVELOPE_KEY: &str = "webext-port/batch";

/// At most this many messages share an envelope; a task that posts more sends several, in order.
///
/// ```no_run
/// // 3000 posts in one task are 3 browser messages.
/// let envelopes = 3000_usize.div_ceil(webext_port::BATCH_MESSAGES);
/// ```
pub const BATCH_MESSAGES: usize = 1024;

fn not_sent(kind: ErrorKind, count: usize, why: &str) -> PortError {
    let plural = if count == 1 { "" } else { "s" };
    PortError::new(
        kind,
        crate::text::concat(&[
            itoa::Buffer::new().format(count),
            " batched message",
            plural,
            " not sent: ",
            why,
        ]),
    )
}

impl Core {
    /// Queues `message` (already checked) for this task's envelope.
    pub(super) fn enqueue(self: &Rc<Self>, message: &JsValue) -> Result<(), PortError> {
        if !self.is_connected() {
            return Err(super::disconnected_error());
        }
        let first = {
            let mut outbox = self.outbox.borrow_mut();
            outbox.push(message.clone());
            outbox.len() == 1
        };
        if first {
            let core = self.clone();
            later(move || core.flush_outbox_or_fail());
        } else if self.outbox.borrow().len() >= BATCH_MESSAGES {
            self.flush_outbox_or_fail();
        }
        Ok(())
    }

    /// Posts the queued messages as one envelope; on failure, closes the port (see the module docs).
    pub(super) fn flush_outbox_or_fail(self: &Rc<Self>) {
        if let Err(err) = self.flush_outbox() {
            let _ = self.raw.disconnect();
            self.close(State::Failed(err));
        }
    }

    /// Posts the queued messages as one envelope. `Err` names how many were lost, and why.
    pub(super) fn flush_outbox(&self) -> Result<(), PortError> {
        let messages = std::mem::take(&mut *self.outbox.borrow_mut());
        if messages.is_empty() {
            return Ok(());
        }
        let count = messages.len();
        let array: js_sys::Array = messages.into_iter().collect();
        let envelope = js_sys::Object::new();
        js_sys::Reflect::set(&envelope, &JsValue::from_str(ENVELOPE_KEY), &array)
            .map_err(|e| not_sent(ErrorKind::Other, count, error_from_js(&e).message()))?;
        self.raw.post_message(&envelope).map_err(|e| {
            let err = error_from_js(&e);
            not_sent(err.kind(), count, err.message())
        })
    }

    /// Messages still queued when the port closes for `next`: drops them, and folds how many into
    /// the reason (see the module docs). Our own `disconnect()` flushes first, so it finds none.
    pub(super) fn unsent_into(&self, next: State) -> State {
        let count = std::mem::take(&mut *self.outbox.borrow_mut()).len();
        if count == 0 {
            return next;
        }
        let why = |err: Option<&PortError>| match err {
            Some(err) => not_sent(err.kind(), count, err.message()),
            None => not_sent(ErrorKind::Disconnected, count, "the port closed first"),
        };
        match next {
            State::ClosedThere(reason) => {
                State::ClosedThere(Disconnect::Error(why(reason.error())))
            }
            State::Failed(err) => State::Failed(why(Some(&err))),
            other => other,
        }
    }
}

impl Port {
    /// Makes this connection batched, for every handle of it: the posts made in one task (a
    /// loop of [`post`](Port::post)s, [`TypedPort::send`]s, a [`sink`](Port::sink) fed without
    /// awaiting) travel as **one** browser message, flushed on a microtask, and incoming batches
    /// are split again, in order. Each browser message costs a serialization and an IPC hop in
    /// the browser, so many small messages go several times faster batched.
    ///
    /// **Both ends must opt in**: the other end must call `batched()` on its port too (before it
    /// listens), or it receives the envelopes themselves (`{"webext-port/batch": [...]}`, see
    /// [`ENVELOPE_KEY`]; a typed receiver reports them as `DecodeFailed`). A batched port still
    /// delivers plain messages from a peer that does not batch.
    ///
    /// What the sender is told: errors of a message itself (not serializable, too large) and a
    /// post after a disconnect are `Err` at once, as without batching; `Ok` means the message is
    /// queued. If the browser refuses a batch when it is flushed, the port is closed with
    /// [`State::Failed`] and an error that says how many messages were not sent (messages are
    /// never dropped silently). [`disconnect`](Port::disconnect) sends what is queued first.
    ///
    /// ```no_run
    /// use webext_port::{runtime, ConnectInfo};
    /// // Progress events: thousands of small messages, one browser message per task.
    /// let port = runtime::connect(&ConnectInfo::named("progress"))?.batched();
    /// for step in 0..1000 {
    ///     port.post(&step.into())?;
    /// }
    /// // ...and in the background, the same opt-in before listening:
    /// // runtime::on_connect(|port| { let port = port.batched(); /* on_message … */ })
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn batched(self) -> Port {
        self.core.batching.set(true);
        self
    }

    /// Whether [`batched`](Port::batched) was called for this connection.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// // A helper that frames its own messages only when the port does not batch them already.
    /// let frame_myself = !port.is_batched();
    /// # }
    /// ```
    pub fn is_batched(&self) -> bool {
        self.core.batching.get()
    }

    /// Posts the messages queued by a [batched](Port::batched) port now instead of at the end of
    /// the task, and returns the browser's error if it refuses them (the port is then closed, as
    /// a failed flush always closes it). Does nothing on a port that does not batch.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// port.post(&"last words".into())?;
    /// // Learn here, not in on_disconnect, whether the browser took them.
    /// port.flush()?;
    /// # Ok(()) }
    /// ```
    pub fn flush(&self) -> Result<(), PortError> {
        self.core.flush_outbox().inspect_err(|err| {
            let _ = self.core.raw.disconnect();
            self.core.close(State::Failed(err.clone()));
        })
    }
}

impl<In, Out> TypedPort<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize,
{
    /// [`Port::batched`] for a typed port: the values sent in one task travel as one browser
    /// message. Both ends must opt in.
    ///
    /// ```no_run
    /// use webext_port::{runtime, ConnectInfo};
    /// // Log lines from a content script: many small values, batched per task.
    /// let log = runtime::connect(&ConnectInfo::named("log"))?
    ///     .typed::<(), String>()
    ///     .batched();
    /// for line in ["start", "step", "done"] {
    ///     log.send(&line.to_owned())?;
    /// }
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn batched(self) -> Self {
        self.port().core.batching.set(true);
        self
    }
}

/// The messages inside `message` if it is an envelope, else `None`.
pub(super) fn unpack(message: &JsValue) -> Option<js_sys::Array> {
    if !message.is_object() {
        return None;
    }
    let inner = js_sys::Reflect::get(message, &JsValue::from_str(ENVELOPE_KEY)).ok()?;
    inner.dyn_into::<js_sys::Array>().ok()
}
