//! [`ReconnectingPort`]: the content-script / extension-page end of a session.

use super::delivery::Delivery;
use super::options::{ReconnectOptions, Status};
use super::wire::{Inbox, Outbox};
use crate::codec;
use crate::error::PortError;
use crate::port::Port;
use crate::runtime::{self, ConnectInfo};
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use wasm_bindgen::JsValue;

mod connection;

type StatusCallback = Box<dyn FnMut(&Status)>;

struct ClientState {
    port: Option<Port>,
    outbox: Outbox<JsValue>,
    inbox: Inbox,
    unacknowledged: u64,
    status: Status,
    attempt: u32,
    /// Connections opened (the first one included).
    connections: u32,
    /// Welcomes on connections after the first.
    reconnects: u32,
}

struct Client<In> {
    name: String,
    sid: String,
    options: ReconnectOptions,
    state: RefCell<ClientState>,
    delivery: Delivery<In>,
    on_status: RefCell<Option<StatusCallback>>,
}

/// A typed port from a content script or extension page to the background that reconnects when
/// the background goes away and delivers every message exactly once, in order, in both
/// directions (see the [module docs](crate::reconnect) for the precise guarantee and its cost).
/// The background receives it with a [`SessionHost`](super::SessionHost).
///
/// Use it where a plain [`Port`](crate::Port) would just close under you: a Chromium service
/// worker is stopped after about 30 s without events and a Firefox event page is suspended the
/// same way, even while a content script holds a port to it. Instead of every content script
/// writing its own "reconnect and resend" loop, `send` keeps working across those restarts.
///
/// Dropping the last handle [`close`](ReconnectingPort::close)s the session.
///
/// ```no_run
/// use webext_port::reconnect::{ReconnectOptions, ReconnectingPort, Status};
/// let port = ReconnectingPort::<u32, u32>::connect("counter", ReconnectOptions::default())?;
/// port.on_status(|status| {
///     if let Status::Failed(err) = status {
///         // The extension was reloaded: this content script can no longer reach it.
///         println!("gave up: {err}");
///     }
/// });
/// port.send(&1)?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub struct ReconnectingPort<In, Out> {
    client: Rc<Client<In>>,
    types: PhantomData<fn(Out)>,
}

impl<In, Out> Clone for ReconnectingPort<In, Out> {
    fn clone(&self) -> Self {
        ReconnectingPort {
            client: self.client.clone(),
            types: PhantomData,
        }
    }
}

impl<In, Out> fmt::Debug for ReconnectingPort<In, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.client.state.borrow();
        f.debug_struct("ReconnectingPort")
            .field("name", &self.client.name)
            .field("session", &self.client.sid)
            .field("status", &state.status)
            .finish_non_exhaustive()
    }
}

/// A session id: unique enough among the content scripts of one browser.
fn new_session_id() -> String {
    let random = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    let now = js_sys::Date::now() as u64;
    crate::text::concat(&[&crate::text::hex(now), "-", &crate::text::hex(random)])
}

impl<In, Out> ReconnectingPort<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize,
{
    /// Opens a session to the background over ports named `name`
    /// (`runtime.connect({name})`, again after every break).
    ///
    /// Fails at once only where no connection can ever work: outside an extension
    /// ([`ErrorKind::NotInExtension`](crate::ErrorKind::NotInExtension)) or in an invalidated context
    /// ([`ErrorKind::ContextInvalidated`](crate::ErrorKind::ContextInvalidated)).
    ///
    /// ```no_run
    /// use webext_port::reconnect::{ReconnectOptions, ReconnectingPort};
    /// let port = ReconnectingPort::<String, String>::connect("session", ReconnectOptions::default())?;
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn connect(name: &str, options: ReconnectOptions) -> Result<Self, PortError> {
        let first = runtime::connect(&ConnectInfo::named(name))?;
        let client = Rc::new(Client {
            name: name.to_owned(),
            sid: new_session_id(),
            state: RefCell::new(ClientState {
                port: None,
                outbox: Outbox::starting_at(0, options.replay_limit),
                inbox: Inbox::starting_at(0),
                unacknowledged: 0,
                status: Status::Connecting,
                attempt: 0,
                connections: 0,
                reconnects: 0,
            }),
            options,
            delivery: Delivery::new(),
            on_status: RefCell::new(None),
        });
        client.attach(first);
        Ok(ReconnectingPort {
            client,
            types: PhantomData,
        })
    }

    /// Sends `value`, now if connected, else on the next connection.
    ///
    /// `Ok` means the message is numbered and kept until the background acknowledges it. Errors:
    /// [`ErrorKind::ReplayBufferFull`](crate::ErrorKind::ReplayBufferFull) when [`ReconnectOptions::replay_limit`] messages are
    /// unacknowledged (this one is not sent; try again when acknowledgements came); encoding
    /// errors and [`ErrorKind::MessageTooLarge`](crate::ErrorKind::MessageTooLarge) as for [`TypedPort::send`](crate::TypedPort::send);
    /// [`ErrorKind::ContextInvalidated`](crate::ErrorKind::ContextInvalidated) once the extension is gone; [`ErrorKind::Disconnected`](crate::ErrorKind::Disconnected)
    /// after [`close`](ReconnectingPort::close).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// use webext_port::ErrorKind;
    /// match port.send(&7) {
    ///     Ok(()) => {}
    ///     // Back-pressure: the background is away or slow; keep it and retry later.
    ///     Err(err) if err.kind() == ErrorKind::ReplayBufferFull => {}
    ///     Err(err) => println!("not sent: {err}"),
    /// }
    /// # }
    /// ```
    pub fn send(&self, value: &Out) -> Result<(), PortError> {
        let body = codec::encode(value)?;
        self.client.send(body)
    }

    /// Calls `callback` with every message from the background, in order, once each (those that
    /// arrived before it are queued for it). A second call replaces the callback.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// port.on_message(|message| match message {
    ///     Ok(n) => println!("got {n}"),
    ///     Err(err) => println!("not a u32: {err}"), // DecodeFailed; the session goes on
    /// });
    /// # }
    /// ```
    pub fn on_message(&self, callback: impl FnMut(Result<In, PortError>) + 'static) {
        self.client.delivery.set(Box::new(callback));
    }

    /// Calls `callback` with every change of [`status`](ReconnectingPort::status).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// port.on_status(|status| println!("session: {status:?}"));
    /// # }
    /// ```
    pub fn on_status(&self, callback: impl FnMut(&Status) + 'static) {
        *self.client.on_status.borrow_mut() = Some(Box::new(callback));
    }

    /// Where the session is.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// let up = port.status() == webext_port::reconnect::Status::Connected;
    /// # }
    /// ```
    pub fn status(&self) -> Status {
        self.client.state.borrow().status.clone()
    }

    /// How many connections after the first one the background welcomed (each one a
    /// reconnection that worked).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// println!("the background came back {} times", port.reconnects());
    /// # }
    /// ```
    pub fn reconnects(&self) -> u32 {
        self.client.state.borrow().reconnects
    }

    /// Messages sent and not acknowledged yet (in the replay buffer).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// let all_acknowledged = port.unacknowledged() == 0;
    /// # }
    /// ```
    pub fn unacknowledged(&self) -> usize {
        self.client.state.borrow().outbox.len()
    }

    /// Messages from the background delivered so far.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// println!("{} received", port.received());
    /// # }
    /// ```
    pub fn received(&self) -> u64 {
        self.client.state.borrow().inbox.delivered()
    }

    /// Ends the session for good: the background forgets it; nothing more is sent or delivered.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
    /// port.close();
    /// # }
    /// ```
    pub fn close(&self) {
        self.client.close();
    }
}
