//! [`ReconnectingPort`]: the content-script / extension-page end of a session.

use super::delivery::Delivery;
use super::options::{ReconnectOptions, Status};
use super::wire::{Arrival, Frame, Inbox, Outbox};
use super::{sleep, CONTENT_ACK_EVERY};
use crate::codec;
use crate::error::{ErrorKind, PortError};
use crate::port::{check_size, Port, PortId};
use crate::runtime::{self, ConnectInfo};
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

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
    format!("{:x}-{random:x}", js_sys::Date::now() as u64)
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
    /// ([`ErrorKind::NotInExtension`]) or in an invalidated context
    /// ([`ErrorKind::ContextInvalidated`]).
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
    /// [`ErrorKind::ReplayBufferFull`] when [`ReconnectOptions::replay_limit`] messages are
    /// unacknowledged (this one is not sent; try again when acknowledgements came); encoding
    /// errors and [`ErrorKind::MessageTooLarge`] as for [`TypedPort::send`](crate::TypedPort::send);
    /// [`ErrorKind::ContextInvalidated`] once the extension is gone; [`ErrorKind::Disconnected`]
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

impl<In: serde::de::DeserializeOwned + 'static> Client<In> {
    /// Makes `port` the session's connection: listeners, then hello, then the replay.
    fn attach(self: &Rc<Self>, port: Port) {
        let weak = Rc::downgrade(self);
        // Freed when this connection ends (forgotten listeners live exactly as long as it).
        port.on_message(move |message| {
            if let Some(client) = weak.upgrade() {
                client.receive(&message);
            }
        })
        .forget();
        let weak: Weak<Self> = Rc::downgrade(self);
        let id = port.id();
        port.on_disconnect(move |why| {
            if let Some(client) = weak.upgrade() {
                client.broken(Some(id), why.error().cloned());
            }
        });
        let frames: Vec<JsValue> = {
            let mut state = self.state.borrow_mut();
            state.port = Some(port.clone());
            state.status = Status::Connecting;
            state.connections += 1;
            let hello = Frame::Hello {
                sid: self.sid.clone(),
                ack: state.inbox.delivered(),
                base: state.outbox.base(),
                fresh: state.connections == 1,
            };
            std::iter::once(hello.to_js())
                .chain(state.outbox.unacknowledged().map(|(seq, body)| {
                    Frame::Message {
                        seq,
                        body: body.clone(),
                    }
                    .to_js()
                }))
                .collect()
        };
        self.emit();
        for frame in frames {
            if let Err(err) = port.post_trusted(&frame) {
                self.post_failed(err);
                break;
            }
        }
        self.watch_welcome(port.id());
    }

    /// While connection `id` waits for its welcome, checks every second whether the extension
    /// went away. Measured in Chromium 156: a port opened just as the extension reloads is never
    /// welcomed and never disconnected (the orphaned script gets no more events), so without this
    /// the session would wait forever instead of failing with `ContextInvalidated`.
    fn watch_welcome(self: &Rc<Self>, id: PortId) {
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                sleep(WELCOME_CHECK_MS).await;
                let Some(client) = weak.upgrade() else { return };
                let waiting = {
                    let state = client.state.borrow();
                    state.port.as_ref().map(Port::id) == Some(id)
                        && matches!(state.status, Status::Connecting)
                };
                if !waiting {
                    return;
                }
                if let Some(err) = crate::namespace::context_invalidated("the reconnecting port") {
                    client.fail(err);
                    return;
                }
            }
        });
    }

    fn open(self: &Rc<Self>) {
        match runtime::connect(&ConnectInfo::named(self.name.as_str())) {
            Ok(port) => self.attach(port),
            Err(err) => self.broken(None, Some(err)),
        }
    }

    /// A post failed: only an invalidated context is final; anything else means the connection
    /// is going away, and its disconnect brings the next one.
    fn post_failed(&self, err: PortError) {
        if err.kind() == ErrorKind::ContextInvalidated {
            self.fail(err);
        }
    }

    fn send(self: &Rc<Self>, body: JsValue) -> Result<(), PortError> {
        let (frame, port) = {
            let mut state = self.state.borrow_mut();
            match &state.status {
                Status::Failed(err) => return Err(err.clone()),
                Status::Closed => {
                    return Err(PortError::new(
                        ErrorKind::Disconnected,
                        "the reconnecting port is closed",
                    ))
                }
                _ => {}
            }
            let seq = state.outbox.next();
            let frame = Frame::Message {
                seq,
                body: body.clone(),
            }
            .to_js();
            check_size(&frame)?;
            if state.outbox.push(body).is_none() {
                return Err(PortError::new(
                    ErrorKind::ReplayBufferFull,
                    format!(
                        "{} messages wait for the background's acknowledgement (replay_limit)",
                        state.outbox.len()
                    ),
                ));
            }
            (frame, state.port.clone())
        };
        if let Some(port) = port {
            if let Err(err) = port.post_trusted(&frame) {
                self.post_failed(err.clone());
                if err.kind() == ErrorKind::ContextInvalidated {
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    fn receive(self: &Rc<Self>, message: &JsValue) {
        let Some(frame) = Frame::parse(message) else {
            return; // not a session frame
        };
        let mut state = self.state.borrow_mut();
        match frame {
            Frame::Welcome { ack } => {
                state.outbox.acknowledge(ack);
                state.attempt = 0;
                if state.connections > 1 {
                    state.reconnects += 1;
                }
                state.status = Status::Connected;
                drop(state);
                self.emit();
            }
            Frame::Ack { ack } => state.outbox.acknowledge(ack),
            Frame::Message { seq, body } => match state.inbox.arrive(seq) {
                Arrival::Deliver => {
                    state.unacknowledged += 1;
                    let ack = (state.unacknowledged >= CONTENT_ACK_EVERY).then(|| {
                        state.unacknowledged = 0;
                        (state.port.clone(), state.inbox.delivered())
                    });
                    drop(state);
                    self.delivery.push(body);
                    if let Some((Some(port), ack)) = ack {
                        let _ = port.post_trusted(&Frame::Ack { ack }.to_js());
                    }
                }
                Arrival::Duplicate => {}
                Arrival::Gap => {
                    // Never on a FIFO port; start over from what was delivered.
                    let port = state.port.take();
                    drop(state);
                    if let Some(port) = port {
                        let _ = port.disconnect();
                    }
                    self.retry();
                }
            },
            Frame::Hello { .. } | Frame::Bye => {}
        }
    }

    /// The connection `id` (or an attempt to open one) ended, with `error` if any.
    fn broken(self: &Rc<Self>, id: Option<PortId>, error: Option<PortError>) {
        {
            let mut state = self.state.borrow_mut();
            if let Some(id) = id {
                if state.port.as_ref().map(Port::id) != Some(id) {
                    return; // an older connection
                }
            }
            state.port = None;
            if matches!(state.status, Status::Failed(_) | Status::Closed) {
                return;
            }
        }
        match error {
            Some(err) if err.kind() == ErrorKind::ContextInvalidated => self.fail(err),
            _ => self.retry(),
        }
    }

    /// Schedules the next connection attempt, with backoff.
    fn retry(self: &Rc<Self>) {
        let status = {
            let mut state = self.state.borrow_mut();
            state.attempt += 1;
            let attempt = state.attempt;
            let delay_ms = if attempt == 1 {
                0
            } else {
                let doubled = u64::from(self.options.backoff_min_ms) << (attempt - 2).min(20);
                doubled.min(u64::from(self.options.backoff_max_ms)) as u32
            };
            state.status = Status::Reconnecting { attempt, delay_ms };
            state.status.clone()
        };
        self.emit();
        let Status::Reconnecting { attempt, delay_ms } = status else {
            return;
        };
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            sleep(delay_ms).await;
            // A page in the back/forward cache reconnects when it is shown again.
            while crate::port::page_is_cached() {
                sleep(100).await;
            }
            let Some(client) = weak.upgrade() else { return };
            let current = client.state.borrow().status.clone();
            if current == (Status::Reconnecting { attempt, delay_ms }) {
                client.open();
            }
        });
    }

    fn fail(&self, err: PortError) {
        let port = {
            let mut state = self.state.borrow_mut();
            state.status = Status::Failed(err);
            state.port.take()
        };
        if let Some(port) = port {
            let _ = port.disconnect();
        }
        self.emit();
    }

    fn close(&self) {
        let port = {
            let mut state = self.state.borrow_mut();
            if matches!(state.status, Status::Closed | Status::Failed(_)) {
                return;
            }
            state.status = Status::Closed;
            state.port.take()
        };
        if let Some(port) = port {
            let _ = port.post_trusted(&Frame::Bye.to_js());
            let _ = port.disconnect();
        }
        self.delivery.clear();
        self.emit();
    }

    /// Tells the status callback (taken out while it runs: it may call back into the port).
    fn emit(&self) {
        let status = self.state.borrow().status.clone();
        let callback = self.on_status.borrow_mut().take();
        if let Some(mut callback) = callback {
            callback(&status);
            let mut slot = self.on_status.borrow_mut();
            if slot.is_none() {
                *slot = Some(callback);
            }
        }
    }
}

impl<In> Drop for Client<In> {
    fn drop(&mut self) {
        let port = self.state.get_mut().port.take();
        if let Some(port) = port {
            let _ = port.post_trusted(&Frame::Bye.to_js());
            let _ = port.disconnect();
        }
    }
}

/// How often a connection waiting for its welcome checks that the extension is still there.
const WELCOME_CHECK_MS: u32 = 1000;
