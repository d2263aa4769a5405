//! [`Port`]: the one place that reads `port.error` or `runtime.lastError`, validates messages and
//! turns every throw into a [`PortError`]. Nothing above this module branches on the browser.

use crate::error::{ErrorKind, PortError};
use crate::listener::EventListener;
use crate::namespace::{error_from_js, last_error};
use crate::sender::MessageSender;
use crate::sys::{self, RawPort};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How a port's other end went away, as handed to [`Port::on_disconnect`] listeners.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// let _guard = port.on_disconnect(|reason| match reason.error() {
///     None => println!("the other side closed the port"),
///     Some(err) => println!("connection failed: {} ({})", err.kind(), err.message()),
/// });
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Disconnect {
    /// The other side called `disconnect()`, closed its page, or its background stopped.
    Clean,
    /// The browser reported an error (Firefox: `port.error`, Chromium: `runtime.lastError`).
    Error(PortError),
}

impl Disconnect {
    /// The error, if the disconnect was not clean.
    ///
    /// ```
    /// assert!(webext_port::Disconnect::Clean.error().is_none());
    /// ```
    pub fn error(&self) -> Option<&PortError> {
        match self {
            Disconnect::Clean => None,
            Disconnect::Error(err) => Some(err),
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    Connected,
    /// We called `disconnect()`.
    ClosedHere,
    /// The other end went away.
    ClosedThere(Disconnect),
}

type DisconnectCallback = Box<dyn FnOnce(Disconnect)>;

/// A registered JS listener taking one value (a message, or the port on disconnect).
type ValueListener = EventListener<dyn FnMut(JsValue)>;

/// Messages that arrived before the first [`Port::on_message`] listener, so none is dropped.
struct Backlog {
    messages: Rc<RefCell<Vec<JsValue>>>,
    _listener: Option<ValueListener>,
}

struct Inner {
    raw: RawPort,
    name: String,
    /// A `connectNative` port: JSON size limit on post, host exit is an error.
    native: bool,
    state: RefCell<State>,
    disconnect_callbacks: RefCell<Vec<(u64, DisconnectCallback)>>,
    next_id: Cell<u64>,
    backlog: RefCell<Option<Backlog>>,
    watcher: RefCell<Option<ValueListener>>,
}

/// One end of a connection: `runtime.Port`, the same in every browser.
///
/// Get one from [`runtime::connect`](crate::runtime::connect),
/// [`tabs::connect`](crate::tabs::connect), [`runtime::connect_native`](crate::runtime::connect_native)
/// or an [`runtime::on_connect`](crate::runtime::on_connect) listener.
///
/// **Nothing is lost**: messages that arrive before the first [`on_message`](Port::on_message)
/// listener are kept and handed to it, in order.
///
/// **Dropping**: `Port` is a cheap handle (`Clone` shares it). When the last handle *and* every
/// listener guard it gave out are dropped, every JS listener this crate added is removed and its
/// closure freed. Dropping does **not** disconnect the port, exactly as forgetting a JS port does
/// not: several `onConnect` listeners receive the same port, and one of them dropping its handle must
/// not close it for the others. Call [`disconnect`](Port::disconnect) to close it.
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo};
/// use wasm_bindgen::JsValue;
///
/// let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
/// let _messages = port.on_message(|message| web_sys_log(&message))?;
/// let _closed = port.on_disconnect(|reason| web_sys_log(&format!("{reason:?}").into()));
/// port.post(&JsValue::from_str("hello from content script"))?;
/// # fn web_sys_log(_: &JsValue) {}
/// # Ok::<(), webext_port::PortError>(())
/// ```
#[derive(Clone)]
pub struct Port {
    inner: Rc<Inner>,
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port")
            .field("name", &self.inner.name)
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

fn disconnected_error() -> PortError {
    PortError::new(ErrorKind::Disconnected, "the port is disconnected")
}

/// Rejects values that would cross differently (or not at all) in Chromium and Firefox, and
/// messages over [`MESSAGE_LIMIT`].
fn check_message(message: &JsValue) -> Result<(), PortError> {
    let why = if message.is_object() {
        // A getter or Proxy that throws while being read cannot be sent either.
        match sys::check_message(message, MESSAGE_LIMIT as f64) {
            Ok(verdict) => match verdict.as_f64() {
                // The walk's size bound is over the limit: measure exactly.
                Some(_) => return check_length(message),
                None => verdict.as_string(),
            },
            Err(thrown) => Some(format!(
                "a value that throws when read ({})",
                error_from_js(&thrown).message()
            )),
        }
    } else if let Some(text) = message.dyn_ref::<js_sys::JsString>() {
        // At most 6 bytes of JSON per UTF-16 unit, plus the quotes.
        if (text.length() as usize).saturating_mul(6).saturating_add(2) > MESSAGE_LIMIT {
            return check_length(message);
        }
        None
    } else if message.is_null() || message.as_bool().is_some() {
        None
    } else if let Some(number) = message.as_f64() {
        (!number.is_finite()).then(|| format!("{number} (JSON turns it into null)"))
    } else if message.is_undefined() {
        Some("undefined (JSON turns it into null)".to_owned())
    } else if message.is_function() {
        Some("a function".to_owned())
    } else if message.is_symbol() {
        Some("a symbol".to_owned())
    } else {
        Some("a BigInt".to_owned())
    };
    match why {
        None => Ok(()),
        Some(why) => Err(PortError::new(
            ErrorKind::NotSerializable,
            format!("cannot post {why}: it does not cross a port the same way in every browser"),
        )),
    }
}

/// The exact size rule, for the few messages whose bound says they might be over the limit.
fn check_length(message: &JsValue) -> Result<(), PortError> {
    let too_long = sys::json_longer_than(message, MESSAGE_LIMIT as f64).map_err(|thrown| {
        PortError::new(ErrorKind::NotSerializable, error_from_js(&thrown).message())
    })?;
    if too_long {
        return Err(PortError::new(
            ErrorKind::MessageTooLarge,
            format!("a message may be at most {MESSAGE_LIMIT} bytes of JSON (64 MiB, Chromium's limit; refused in every browser)"),
        ));
    }
    Ok(())
}

/// The largest message a port carries: 64 MiB of UTF-8 JSON, Chromium's limit for extension
/// ports and for messages to a native host. Firefox would take more; the same message is refused
/// in both, before anything is sent.
pub const MESSAGE_LIMIT: usize = 64 * 1024 * 1024;

/// Runs `f` on a later microtask: after the current listener returns, before the next event.
fn later(f: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move { f() });
}

impl Inner {
    /// Reads why the port closed. Must run synchronously inside the browser's onDisconnect
    /// dispatch: Chromium's `runtime.lastError` exists only then.
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

    fn closed_there(&self, reason: Disconnect) {
        {
            let mut state = self.state.borrow_mut();
            if !matches!(*state, State::Connected) {
                return;
            }
            *state = State::ClosedThere(reason.clone());
        }
        let callbacks = std::mem::take(&mut *self.disconnect_callbacks.borrow_mut());
        for (_, callback) in callbacks {
            callback(reason.clone());
        }
    }

    fn is_connected(&self) -> bool {
        matches!(*self.state.borrow(), State::Connected)
    }

    /// Removes and returns the `on_disconnect` callback registered as `id`, if it is still there.
    fn take_callback(&self, id: u64) -> Option<DisconnectCallback> {
        let mut callbacks = self.disconnect_callbacks.borrow_mut();
        let position = callbacks.iter().position(|(i, _)| *i == id)?;
        Some(callbacks.remove(position).1)
    }
}

impl Port {
    /// Wraps a `runtime.Port` object that came from elsewhere (your own JS, another library).
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] when `raw` does not look like a port.
    ///
    /// ```no_run
    /// # let raw = wasm_bindgen::JsValue::NULL;
    /// let port = webext_port::Port::from_raw(raw)?;
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn from_raw(raw: JsValue) -> Result<Port, PortError> {
        let looks_like_port = ["postMessage", "disconnect"]
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

    /// A fresh, connected port.
    pub(crate) fn wrap(raw: RawPort) -> Port {
        Port::build(raw, None, Vec::new(), None)
    }

    /// A fresh `connectNative` port, named after its application in every browser.
    pub(crate) fn wrap_native(raw: RawPort, application: &str) -> Port {
        Port::build(raw, Some(application), Vec::new(), None)
    }

    /// A port held by `www/hold.js` before the wasm was ready, with what it saw meanwhile.
    pub(crate) fn adopt(raw: RawPort, messages: Vec<JsValue>, closed: Option<Disconnect>) -> Port {
        Port::build(raw, None, messages, closed)
    }

    /// A port to an extension the browser refused at once (Chromium: malformed id); it reports
    /// `error` through `on_disconnect` on the next task, like Firefox does for the same id.
    pub(crate) fn unreachable(name: &str, error: &PortError) -> Port {
        Port::wrap(sys::unreachable_port(name, error.message()))
    }

    fn build(
        raw: RawPort,
        application: Option<&str>,
        messages: Vec<JsValue>,
        closed: Option<Disconnect>,
    ) -> Port {
        let native = application.is_some();
        let name = application
            .map(str::to_owned)
            .or_else(|| raw.name().as_string())
            .unwrap_or_default();
        let still_open = closed.is_none();
        let inner = Rc::new(Inner {
            raw,
            name,
            native,
            state: RefCell::new(closed.map_or(State::Connected, State::ClosedThere)),
            disconnect_callbacks: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            backlog: RefCell::new(None),
            watcher: RefCell::new(None),
        });
        let messages = Rc::new(RefCell::new(messages));
        let mut buffer = None;
        if still_open {
            let weak = Rc::downgrade(&inner);
            let watch = Closure::<dyn FnMut(JsValue)>::new(move |_port: JsValue| {
                if let Some(inner) = weak.upgrade() {
                    let reason = inner.read_disconnect();
                    inner.closed_there(reason);
                    // The last handle may be inside the callbacks; let it go after this dispatch.
                    later(move || drop(inner));
                }
            });
            match EventListener::add(inner.raw.on_disconnect(), watch) {
                Ok(watcher) => *inner.watcher.borrow_mut() = Some(watcher),
                Err(err) => *inner.state.borrow_mut() = State::ClosedThere(Disconnect::Error(err)),
            }
            let sink = messages.clone();
            let keep = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
                if let Ok(mut sink) = sink.try_borrow_mut() {
                    sink.push(message);
                }
            });
            buffer = EventListener::add(inner.raw.on_message(), keep).ok();
        }
        *inner.backlog.borrow_mut() = Some(Backlog {
            messages,
            _listener: buffer,
        });
        Port { inner }
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
        &self.inner.name
    }

    /// Who opened the port; only for ports received in `onConnect`/`onConnectExternal`.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let tab_id = port.sender().and_then(|s| s.tab).and_then(|t| t.id);
    /// # }
    /// ```
    pub fn sender(&self) -> Option<MessageSender> {
        MessageSender::from_js(&self.inner.raw.sender())
    }

    /// Sends `message` to the other end.
    ///
    /// Errors, the same in every browser:
    /// [`ErrorKind::NotSerializable`] for anything but null, booleans, finite numbers, strings,
    /// arrays and plain objects of those (functions, symbols, BigInts, cycles, `undefined` outside an
    /// object property, NaN, Map, Set, Date, typed arrays, class instances…), checked before anything
    /// is sent: Chromium's JSON and Firefox's structured clone would deliver those differently or
    /// not at all; [`ErrorKind::MessageTooLarge`] for a message over [`MESSAGE_LIMIT`] bytes of JSON
    /// (any port: Chromium's limit, applied in Firefox too); [`ErrorKind::Disconnected`] once either side has disconnected; the browser's own
    /// classified error for anything else it throws (e.g. [`ErrorKind::MessageTooLarge`]).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// port.post(&wasm_bindgen::JsValue::from_str("ping"))?;
    /// # Ok(()) }
    /// ```
    pub fn post(&self, message: &JsValue) -> Result<(), PortError> {
        check_message(message)?;
        self.inner
            .raw
            .post_message(message)
            .map_err(|e| error_from_js(&e))?;
        if self.inner.is_connected() {
            Ok(())
        } else {
            // The browser took it, but nobody will ever receive it: say so rather than drop it.
            Err(disconnected_error())
        }
    }

    /// Calls `listener` with every message from the other end, until the returned guard is dropped.
    ///
    /// The first listener also receives, on the next microtask and in order, the messages that
    /// arrived before it was added.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// let guard = port.on_message(|message| {
    ///     let text = message.as_string().unwrap_or_default();
    ///     println!("received {text}");
    /// })?;
    /// // … keep `guard` as long as you want messages.
    /// # Ok(()) }
    /// ```
    pub fn on_message(
        &self,
        listener: impl FnMut(JsValue) + 'static,
    ) -> Result<MessageListener, PortError> {
        let closure = Closure::<dyn FnMut(JsValue)>::new(listener);
        let listener = EventListener::add(self.inner.raw.on_message(), closure)?;
        let alive = Rc::new(Cell::new(true));
        let backlog = self.inner.backlog.borrow_mut().take();
        if let Some(backlog) = backlog {
            let messages = std::mem::take(&mut *backlog.messages.borrow_mut());
            drop(backlog);
            if !messages.is_empty() {
                let function = listener.function().clone();
                let alive = alive.clone();
                later(move || {
                    for message in messages {
                        if !alive.get() {
                            break;
                        }
                        // A throw inside the user's listener is theirs, as it would be from the browser.
                        let _ = function.call1(&JsValue::UNDEFINED, &message);
                    }
                });
            }
        }
        Ok(MessageListener {
            _listener: listener,
            alive,
            _port: self.clone(),
        })
    }

    /// Calls `listener` once when the *other* end goes away, with a clean/error [`Disconnect`].
    ///
    /// As in the browser, it does not fire for our own [`disconnect`](Port::disconnect). Added after
    /// the other end already left, it fires on a later microtask (after any backlog messages).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let guard = port.on_disconnect(|reason| {
    ///     if let Some(err) = reason.error() {
    ///         println!("port failed: {err}");
    ///     }
    /// });
    /// # }
    /// ```
    pub fn on_disconnect(&self, listener: impl FnOnce(Disconnect) + 'static) -> DisconnectListener {
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id + 1);
        let state = self.inner.state.borrow().clone();
        match state {
            State::ClosedHere => {}
            State::Connected => self
                .inner
                .disconnect_callbacks
                .borrow_mut()
                .push((id, Box::new(listener))),
            State::ClosedThere(reason) => {
                self.inner
                    .disconnect_callbacks
                    .borrow_mut()
                    .push((id, Box::new(listener)));
                let inner = Rc::downgrade(&self.inner);
                wasm_bindgen_futures::spawn_local(async move {
                    // One more turn so backlog messages scheduled in the same tick come first.
                    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
                        &JsValue::UNDEFINED,
                    ))
                    .await;
                    let Some(inner) = inner.upgrade() else { return };
                    if let Some(callback) = inner.take_callback(id) {
                        callback(reason);
                    }
                });
            }
        }
        DisconnectListener {
            port: self.clone(),
            id,
        }
    }

    /// Closes the port. The other end's `onDisconnect` fires; ours does not. A second call does
    /// nothing. Pending [`on_disconnect`](Port::on_disconnect) listeners are freed.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// port.disconnect()?;
    /// assert!(!port.is_connected());
    /// # Ok(()) }
    /// ```
    pub fn disconnect(&self) -> Result<(), PortError> {
        {
            let mut state = self.inner.state.borrow_mut();
            if !matches!(*state, State::Connected) {
                return Ok(());
            }
            *state = State::ClosedHere;
        }
        let callbacks = std::mem::take(&mut *self.inner.disconnect_callbacks.borrow_mut());
        drop(callbacks);
        self.inner.raw.disconnect().map_err(|e| error_from_js(&e))
    }

    /// Whether neither side has disconnected yet.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if port.is_connected() { /* post */ }
    /// # }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.inner.is_connected()
    }

    /// The error the other end disconnected with (`port.error` / `runtime.lastError`), if any.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// if let Some(err) = port.error() {
    ///     println!("{}", err.kind());
    /// }
    /// # }
    /// ```
    pub fn error(&self) -> Option<PortError> {
        match &*self.inner.state.borrow() {
            State::ClosedThere(Disconnect::Error(err)) => Some(err.clone()),
            _ => None,
        }
    }

    /// The browser's `runtime.Port` object.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let raw: &wasm_bindgen::JsValue = port.raw();
    /// # }
    /// ```
    pub fn raw(&self) -> &JsValue {
        &self.inner.raw
    }
}

/// Keeps a [`Port::on_message`] listener registered; dropping it removes the listener.
#[must_use = "dropping the guard removes the listener at once"]
pub struct MessageListener {
    _listener: ValueListener,
    alive: Rc<Cell<bool>>,
    _port: Port,
}

impl Drop for MessageListener {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

impl fmt::Debug for MessageListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageListener")
            .field("port", &self._port)
            .finish()
    }
}

/// Keeps a [`Port::on_disconnect`] listener registered; dropping it removes the listener.
#[must_use = "dropping the guard removes the listener at once"]
pub struct DisconnectListener {
    port: Port,
    id: u64,
}

impl Drop for DisconnectListener {
    fn drop(&mut self) {
        // Dropped outside the borrow: the callback may own guards of this same port.
        drop(self.port.inner.take_callback(self.id));
    }
}

impl fmt::Debug for DisconnectListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectListener")
            .field("port", &self.port)
            .finish()
    }
}
