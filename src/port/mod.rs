//! [`Port`]: one end of a connection, the same in every browser.
//!
//! - `core`: the state machine shared by every handle of one browser port (the one place that
//!   reads `port.error` or `runtime.lastError`), its keep-alive rule and disconnect callbacks;
//! - `backlog`: the early-message backlog and the dispatch of messages to Rust listeners;
//! - `validate` and `post`: what `post` checks before the browser sees a message, and the post path;
//! - `guards`: [`MessageListener`], [`DisconnectListener`] and the [`Closed`] future;
//! - `futures`: the async side, [`Messages`] (a `Stream`) and [`PortSink`] (a `Sink`);
//! - `typed`: [`TypedPort`], serde values over the same core;
//! - `batch`: opt-in batching ([`Port::batched`]), the posts of one task in one browser message.
//!
//! Nothing above this module branches on the browser.

mod backlog;
mod batch;
mod core;
mod futures;
mod guards;
mod pagehide;
mod post;
mod typed;
mod validate;

pub use self::backlog::BACKLOG_LIMIT;
pub use self::batch::{BATCH_MESSAGES, ENVELOPE_KEY};
pub use self::futures::{Messages, PortSink};
pub use self::guards::{Closed, DisconnectListener, MessageListener};
pub(crate) use self::pagehide::page_is_cached;
pub use self::typed::{TypedMessages, TypedPort, TypedSink};
pub(crate) use self::validate::check_size;
pub use self::validate::MESSAGE_LIMIT;

use self::core::Core;
use crate::error::{ErrorKind, PortError};
use crate::namespace::error_from_js;
use crate::sender::MessageSender;
use crate::sys::{self, RawPort};
use std::cell::RefCell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How a port's connection ended, as handed to [`Port::on_disconnect`] callbacks and returned by
/// [`Port::closed`].
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// // The callback is owned by the connection: no guard to keep (see `on_disconnect`).
/// port.on_disconnect(|reason| match reason.error() {
///     None => println!("the other side closed the port"),
///     Some(err) => println!("connection failed: {} ({})", err.kind(), err.message()),
/// });
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Disconnect {
    /// The other side called `disconnect()`, closed its page, or its background stopped.
    Clean,
    /// The browser reported an error (Firefox: `port.error`, Chromium: `runtime.lastError`), or
    /// this library closed the port because of one (e.g. [`ErrorKind::BacklogOverflow`]).
    Error(PortError),
    /// We called [`Port::disconnect`]. Only [`Port::closed`] and streams report it: as in the
    /// browser, `on_disconnect` callbacks never fire for our own disconnect.
    Local,
}

impl Disconnect {
    /// The error, if the disconnect was not clean.
    ///
    /// ```
    /// assert!(webext_port::Disconnect::Clean.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&PortError> {
        match self {
            Disconnect::Error(err) => Some(err),
            Disconnect::Clean | Disconnect::Local => None,
        }
    }
}

/// Where a connection is, as [`Port::state`] reports it.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// use webext_port::State;
/// match port.state() {
///     State::Connected => { /* post away */ }
///     State::ClosedHere => { /* we called disconnect() */ }
///     State::ClosedThere(reason) => println!("the other end left: {reason:?}"),
///     State::Failed(err) => println!("closed by this library: {err}"),
///     _ => {}
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum State {
    /// Neither side has disconnected.
    Connected,
    /// We called [`Port::disconnect`].
    ClosedHere,
    /// The other end went away: [`Disconnect::Clean`] or [`Disconnect::Error`].
    ClosedThere(Disconnect),
    /// This library closed the port because of an error on our side (e.g.
    /// [`ErrorKind::BacklogOverflow`]); the other end saw a clean disconnect.
    Failed(PortError),
}

/// The identity of a [`Port`]: equal for every handle of the same browser port object in this
/// context (two `onConnect` listeners receive the same object, so their ports compare equal),
/// different for different ports. Never reused within a context.
///
/// Prefer it to `Port` as a map key: it is `Copy`, and Clippy's `mutable_key_type` lint (which
/// sees the `RefCell`s inside a `Port`, though `Hash` reads only the id) stays quiet.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// use std::collections::HashMap;
/// // Key ports by identity, not by tab id: one tab can hold several ports (one per frame).
/// let mut names: HashMap<webext_port::PortId, String> = HashMap::new();
/// names.insert(port.id(), port.name().to_owned());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortId(u64);

impl fmt::Display for PortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("port#")?;
        f.write_str(itoa::Buffer::new().format(self.0))
    }
}

/// One end of a connection: `runtime.Port`, the same in every browser.
///
/// Get one from [`runtime::connect`](crate::runtime::connect),
/// [`tabs::connect`](crate::tabs::connect), [`runtime::connect_native`](crate::runtime::connect_native)
/// or a [`runtime::on_connect`](crate::runtime::on_connect) listener.
///
/// **Nothing is lost**: messages that arrive before the first [`on_message`](Port::on_message)
/// listener or [`messages`](Port::messages) stream are kept (up to [`BACKLOG_LIMIT`]) and handed
/// to it, in order.
///
/// **Identity**: `Port` is a cheap handle (`Clone` shares it); `==`, `Hash` and [`id`](Port::id)
/// follow the browser port it wraps, so every handle of one connection is the same key.
///
/// **Dropping**: when the last handle *and* every guard, stream and future it gave out are
/// dropped, the JS listeners this crate added are removed and their closures freed; except that
/// [`on_disconnect`](Port::on_disconnect) callbacks and [`forget`](MessageListener::forget)-ed
/// listeners keep the connection alive until it disconnects, as a JS port with listeners does.
/// Dropping does **not** disconnect the port, exactly as forgetting a JS port does not: several
/// `onConnect` listeners receive the same port, and one of them dropping its handle must not close
/// it for the others. Call [`disconnect`](Port::disconnect) to close it.
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo};
/// use wasm_bindgen::JsValue;
///
/// let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
/// // The guard is what keeps the listener: store it next to the port.
/// let _messages = port.on_message(|message| web_sys_log(&message));
/// // No guard to keep: the callback fires once when the background goes away.
/// port.on_disconnect(|reason| web_sys_log(&format!("{reason:?}").into()));
/// port.post(&JsValue::from_str("hello from content script"))?;
/// # fn web_sys_log(_: &JsValue) {}
/// # Ok::<(), webext_port::PortError>(())
/// ```
#[derive(Clone)]
pub struct Port {
    core: Rc<Core>,
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port")
            .field("id", &self.core.id)
            .field("name", &self.core.name)
            .field("state", &self.core.state())
            .finish()
    }
}

impl PartialEq for Port {
    fn eq(&self, other: &Port) -> bool {
        self.core.id == other.core.id
    }
}

impl Eq for Port {}

impl Hash for Port {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.core.id.hash(state);
    }
}

fn disconnected_error() -> PortError {
    PortError::new(ErrorKind::Disconnected, "the port is disconnected")
}

impl Port {
    /// Wraps a `runtime.Port` object that came from elsewhere (your own JS, another library).
    /// Wrapping an object that is already wrapped gives the same port (same [`id`](Port::id)).
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] when `raw` does not look like a port.
    ///
    /// ```no_run
    /// # let raw = wasm_bindgen::JsValue::NULL;
    /// let port = webext_port::Port::from_raw(raw)?;
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn from_raw(raw: JsValue) -> Result<Port, PortError> {
        // An object (ports are keyed by identity) with the two methods every port has.
        let looks_like_port = raw.is_object()
            && ["postMessage", "disconnect"]
                .iter()
                .all(|key| crate::namespace::get(&raw, key).is_function());
        if !looks_like_port {
            return Err(PortError::new(
                ErrorKind::InvalidArgument,
                "not a runtime.Port object",
            ));
        }
        Ok(Port::wrap(raw.unchecked_into()))
    }

    /// A port the browser handed us (or the same port, if it is already wrapped).
    pub(crate) fn wrap(raw: RawPort) -> Port {
        Port::from_core(Core::of(raw, None, Vec::new(), State::Connected))
    }

    /// A fresh `connectNative` port, named after its application in every browser.
    pub(crate) fn wrap_native(raw: RawPort, application: &str) -> Port {
        Port::from_core(Core::of(
            raw,
            Some(application),
            Vec::new(),
            State::Connected,
        ))
    }

    /// A port held (by `src/js/hold.js` or the content-script bootstrap) before the wasm was ready, with what it saw meanwhile.
    pub(crate) fn adopt(raw: RawPort, messages: Vec<JsValue>, closed: Option<Disconnect>) -> Port {
        let initial = closed.map_or(State::Connected, State::ClosedThere);
        Port::from_core(Core::of(raw, None, messages, initial))
    }

    /// A port to an extension the browser refused at once (Chromium: malformed id); it reports
    /// `error` through `on_disconnect` on the next task, like Firefox does for the same id.
    pub(crate) fn unreachable(name: &str, error: &PortError) -> Port {
        Port::wrap(sys::unreachable_port(name, error.message()))
    }

    fn from_core(core: Rc<Core>) -> Port {
        Port { core }
    }

    /// This port's identity (see [`PortId`]); `==` and `Hash` on `Port` use it too.
    ///
    /// ```no_run
    /// # fn demo(a: webext_port::Port, b: webext_port::Port) {
    /// // Two onConnect listeners got a port: is it the same connection?
    /// if a.id() == b.id() { /* yes: answer once */ }
    /// # }
    /// ```
    pub fn id(&self) -> PortId {
        self.core.id
    }

    /// The port's name: what the opener passed to `connect`, `""` by default, and the application
    /// name for native ports in every browser (Chromium itself reports `""` there).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if port.name() == "port-from-cs" { /* … */ }
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// Who opened the port; only for ports received in `onConnect`/`onConnectExternal`.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let tab_id = port.sender().and_then(|s| s.tab).and_then(|t| t.id);
    /// # }
    /// ```
    pub fn sender(&self) -> Option<MessageSender> {
        MessageSender::from_js(&self.core.raw.sender())
    }

    /// Calls `listener` with every message from the other end, until the returned guard is
    /// dropped (or, after [`MessageListener::forget`], until the port disconnects).
    ///
    /// Adding a listener never calls into the browser and cannot fail: the port has one JS
    /// listener of its own, and Rust listeners are a list behind it. The first listener (or
    /// stream) also receives, on a later microtask and in order, the messages that arrived before
    /// it was added.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let guard = port.on_message(|message| {
    ///     let text = message.as_string().unwrap_or_default();
    ///     println!("received {text}");
    /// });
    /// // Keep `guard` as long as you want messages; dropping it stops them.
    /// # drop(guard);
    /// # }
    /// ```
    pub fn on_message(&self, listener: impl FnMut(JsValue) + 'static) -> MessageListener {
        let id = self.core.add_listener(Rc::new(RefCell::new(listener)));
        MessageListener::new(self.clone(), id)
    }

    /// Calls `callback` once when the connection ends for a reason other than our own
    /// [`disconnect`](Port::disconnect): the other end left ([`Disconnect::Clean`]), the browser
    /// reported an error, or this library closed the port (e.g. [`ErrorKind::BacklogOverflow`]).
    ///
    /// The callback is owned by the connection, not by the returned handle: it fires even if every
    /// `Port` handle was dropped, as a JS port with an `onDisconnect` listener stays alive in the
    /// browser. Dropping the [`DisconnectListener`] does nothing; call
    /// [`cancel`](DisconnectListener::cancel) to remove the callback. It is freed when it fires,
    /// when cancelled, or at our own disconnect. Added after the other end already left, it fires
    /// on a later microtask (after any backlog messages).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// // Fire and forget: this is still called when the other side goes away.
    /// port.on_disconnect(|reason| {
    ///     if let Some(err) = reason.error() {
    ///         println!("port failed: {err}");
    ///     }
    /// });
    /// # }
    /// ```
    pub fn on_disconnect(&self, callback: impl FnOnce(Disconnect) + 'static) -> DisconnectListener {
        let id = self.core.add_disconnect_callback(callback);
        DisconnectListener::new(&self.core, id)
    }

    /// A future that resolves, once, with how the connection ended (including
    /// [`Disconnect::Local`] for our own [`disconnect`](Port::disconnect)).
    ///
    /// ```no_run
    /// # async fn demo(port: webext_port::Port) {
    /// // Clean up after a connection, whoever ends it.
    /// let reason = port.closed().await;
    /// println!("{} closed: {reason:?}", port.name());
    /// # }
    /// ```
    pub fn closed(&self) -> Closed {
        Closed::new(self.clone())
    }

    /// Closes the port. The other end's `onDisconnect` fires; our `on_disconnect` callbacks do
    /// not (they are freed), [`closed`](Port::closed) resolves with [`Disconnect::Local`] and
    /// streams end. A second call does nothing. On a [batched](Port::batched) port the messages
    /// still queued are posted first; if the browser refuses them, the port is disconnected all
    /// the same and the `Err` says how many were not sent.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// port.disconnect()?;
    /// assert!(!port.is_connected());
    /// # Ok(()) }
    /// ```
    pub fn disconnect(&self) -> Result<(), PortError> {
        if !self.core.is_connected() {
            return Ok(());
        }
        // What was posted before the disconnect is sent first, as without batching.
        let flushed = self.core.flush_outbox();
        self.core.close(State::ClosedHere);
        self.core.raw.disconnect().map_err(|e| error_from_js(&e))?;
        flushed
    }

    /// Where the connection is.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if let webext_port::State::ClosedThere(reason) = port.state() {
    ///     println!("the other end left: {reason:?}");
    /// }
    /// # }
    /// ```
    pub fn state(&self) -> State {
        self.core.state()
    }

    /// Whether neither side has disconnected yet.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if port.is_connected() { /* post */ }
    /// # }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.core.is_connected()
    }

    /// The error the connection ended with (`port.error`, `runtime.lastError`, or one this library
    /// closed it for), if any.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if let Some(err) = port.error() {
    ///     println!("{}", err.kind());
    /// }
    /// # }
    /// ```
    pub fn error(&self) -> Option<PortError> {
        self.core.state().reason()?.error().cloned()
    }

    /// The browser's `runtime.Port` object, for APIs this crate does not wrap.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// // e.g. hand the port to a JS library that expects the browser's object
    /// let raw: &wasm_bindgen::JsValue = port.raw();
    /// # }
    /// ```
    pub fn raw(&self) -> &JsValue {
        &self.core.raw
    }

    /// This port, sending `Out` and receiving `In` as serde values (see [`TypedPort`]).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Greeting { text: String }
    /// let typed = port.typed::<Greeting, Greeting>();
    /// let _ = typed.send(&Greeting { text: "hi".into() });
    /// # }
    /// ```
    pub fn typed<In, Out>(&self) -> TypedPort<In, Out>
    where
        In: serde::de::DeserializeOwned + 'static,
        Out: serde::Serialize,
    {
        TypedPort::new(self.clone())
    }

    pub(crate) fn core(&self) -> &Rc<Core> {
        &self.core
    }
}
