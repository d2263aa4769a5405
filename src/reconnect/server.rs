//! [`SessionHost`] and [`Session`]: the background end of reconnecting ports.

use super::delivery::Delivery;
use super::wire::{Arrival, Frame, Inbox, Outbox};
use crate::codec;
use crate::error::{ErrorKind, PortError};
use crate::port::{check_size, Port};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

struct SessionCore<In> {
    id: String,
    resumed: bool,
    peer_received: u64,
    port: RefCell<Option<Port>>,
    outbox: RefCell<Outbox<JsValue>>,
    inbox: Cell<Inbox>,
    delivery: Delivery<In>,
}

type Handler<In, Out> = Box<dyn FnMut(Session<In, Out>)>;

struct Host<In, Out> {
    sessions: RefCell<HashMap<String, Rc<SessionCore<In>>>>,
    handler: RefCell<Option<Handler<In, Out>>>,
    replay_limit: usize,
}

/// The background end of [`ReconnectingPort`](super::ReconnectingPort)s: give it the ports
/// (from your one `onConnect` listener) and it calls `handler` once per new logical session;
/// a reconnection of a session this background already knows resumes it silently.
///
/// A background that was stopped and started again knows no session: the first connection of
/// each is a new [`Session`] for it, with [`resumed`](Session::resumed) true and
/// [`peer_received`](Session::peer_received) telling where the content side is.
///
/// ```no_run
/// use webext_port::{reconnect::SessionHost, runtime};
/// // Echo every number back, once, in order, whatever happens to this background.
/// let sessions = SessionHost::<u32, u32>::new(|session| {
///     let replies = session.clone();
///     session.on_message(move |n| {
///         if let Ok(n) = n {
///             let _ = replies.send(&n);
///         }
///     });
/// });
/// runtime::on_connect(move |port| {
///     if port.name() == "counter" {
///         sessions.accept(port);
///     }
/// })?
/// .forget();
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub struct SessionHost<In, Out> {
    host: Rc<Host<In, Out>>,
}

impl<In, Out> Clone for SessionHost<In, Out> {
    fn clone(&self) -> Self {
        SessionHost {
            host: self.host.clone(),
        }
    }
}

impl<In, Out> fmt::Debug for SessionHost<In, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHost")
            .field("sessions", &self.host.sessions.borrow().len())
            .finish_non_exhaustive()
    }
}

/// One logical session, as the background sees it. Cheap to clone (a handle).
///
/// It is what a [`SessionHost`] hands your handler instead of a [`Port`]: the port underneath
/// changes at every reconnection, the session does not. Send with [`send`](Session::send) (kept
/// and resent until the content side acknowledges it), receive with
/// [`on_message`](Session::on_message) (each content message once, in order), and after a
/// background restart look at [`resumed`](Session::resumed) and
/// [`peer_received`](Session::peer_received) to pick up where the content side is.
///
/// ```no_run
/// use webext_port::reconnect::{Session, SessionHost};
/// // Background: number every reply, and after a restart go on from what the content side has.
/// type Numbered = (u64, String);
/// let sessions = SessionHost::<String, Numbered>::new(|session: Session<String, Numbered>| {
///     if session.resumed() {
///         println!("session {} resumed at {}", session.id(), session.peer_received());
///     }
///     let replies = session.clone();
///     session.on_message(move |text| {
///         if let Ok(text) = text {
///             let _ = replies.send(&(replies.sent(), text.to_uppercase()));
///         }
///     });
/// });
/// # drop(sessions);
/// ```
pub struct Session<In, Out> {
    core: Rc<SessionCore<In>>,
    types: PhantomData<fn(Out)>,
}

impl<In, Out> Clone for Session<In, Out> {
    fn clone(&self) -> Self {
        Session {
            core: self.core.clone(),
            types: PhantomData,
        }
    }
}

impl<In, Out> fmt::Debug for Session<In, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.core.id)
            .field("resumed", &self.core.resumed)
            .finish_non_exhaustive()
    }
}

impl<In, Out> SessionHost<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize + 'static,
{
    /// A host calling `handler` with each new session; each session keeps at most 1024
    /// unacknowledged messages (see [`with_replay_limit`](SessionHost::with_replay_limit)).
    ///
    /// ```no_run
    /// let sessions = webext_port::reconnect::SessionHost::<String, String>::new(|session| {
    ///     println!("session {} (resumed: {})", session.id(), session.resumed());
    /// });
    /// ```
    pub fn new(handler: impl FnMut(Session<In, Out>) + 'static) -> Self {
        Self::with_replay_limit(1024, handler)
    }

    /// The same, with another bound on each session's unacknowledged messages.
    ///
    /// ```no_run
    /// let sessions = webext_port::reconnect::SessionHost::<u32, u32>::with_replay_limit(8192, |_| {});
    /// ```
    pub fn with_replay_limit(
        replay_limit: usize,
        handler: impl FnMut(Session<In, Out>) + 'static,
    ) -> Self {
        SessionHost {
            host: Rc::new(Host {
                sessions: RefCell::new(HashMap::new()),
                handler: RefCell::new(Some(Box::new(handler))),
                replay_limit,
            }),
        }
    }

    /// Takes `port` (opened by a `ReconnectingPort`) into its session.
    ///
    /// ```no_run
    /// # fn demo(sessions: webext_port::reconnect::SessionHost<u32, u32>, port: webext_port::Port) {
    /// if port.name() == "counter" {
    ///     sessions.accept(port);
    /// }
    /// # }
    /// ```
    pub fn accept(&self, port: Port) {
        let host = Rc::downgrade(&self.host);
        let bound: Rc<RefCell<Option<Weak<SessionCore<In>>>>> = Rc::default();
        let on_message_bound = bound.clone();
        let replies = port.clone();
        // Lives as long as this connection (a forgotten listener is freed at the disconnect).
        port.on_message(move |message| {
            if let Some(host) = host.upgrade() {
                host.frame(&replies, &on_message_bound, &message);
            }
        })
        .forget();
        let id = port.id();
        port.on_disconnect(move |_| {
            let core = bound.borrow().as_ref().and_then(Weak::upgrade);
            if let Some(core) = core {
                let mut current = core.port.borrow_mut();
                if current.as_ref().map(Port::id) == Some(id) {
                    *current = None;
                }
            }
        });
    }

    /// Sessions this background knows.
    ///
    /// ```no_run
    /// # fn demo(sessions: webext_port::reconnect::SessionHost<u32, u32>) {
    /// println!("{} sessions", sessions.len());
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.host.sessions.borrow().len()
    }

    /// Whether this background knows no session.
    ///
    /// ```no_run
    /// # fn demo(sessions: webext_port::reconnect::SessionHost<u32, u32>) {
    /// if sessions.is_empty() { /* nobody connected since this background started */ }
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<In, Out> Host<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize + 'static,
{
    fn frame(
        &self,
        port: &Port,
        bound: &RefCell<Option<Weak<SessionCore<In>>>>,
        message: &JsValue,
    ) {
        let Some(frame) = Frame::parse(message) else {
            return;
        };
        if let Frame::Hello {
            sid,
            ack,
            base,
            fresh,
        } = frame
        {
            return self.hello(port, bound, sid, ack, base, fresh);
        }
        let Some(core) = bound.borrow().as_ref().and_then(Weak::upgrade) else {
            return; // nothing before the hello
        };
        match frame {
            Frame::Message { seq, body } => {
                let mut inbox = core.inbox.get();
                let arrival = inbox.arrive(seq);
                core.inbox.set(inbox);
                match arrival {
                    // Delivered, then acknowledged in the same task (see the module docs).
                    Arrival::Deliver => core.delivery.push(body),
                    Arrival::Duplicate => {}
                    Arrival::Gap => {
                        let _ = port.disconnect(); // the content side reconnects and resends
                        return;
                    }
                }
                let ack = Frame::Ack {
                    ack: inbox.delivered(),
                };
                let _ = port.post_trusted(&ack.to_js());
            }
            Frame::Ack { ack } => core.outbox.borrow_mut().acknowledge(ack),
            Frame::Bye => {
                let removed = self.sessions.borrow_mut().remove(&core.id);
                core.delivery.clear();
                *core.port.borrow_mut() = None;
                let _ = port.disconnect();
                drop(removed);
            }
            Frame::Hello { .. } | Frame::Welcome { .. } => {}
        }
    }

    fn hello(
        &self,
        port: &Port,
        bound: &RefCell<Option<Weak<SessionCore<In>>>>,
        sid: String,
        ack: u64,
        base: u64,
        fresh: bool,
    ) {
        let known = self.sessions.borrow().get(&sid).cloned();
        let (core, created) = match known {
            Some(core) => {
                core.outbox.borrow_mut().acknowledge(ack);
                (core, false)
            }
            None => {
                let core = Rc::new(SessionCore {
                    id: sid.clone(),
                    resumed: !fresh,
                    peer_received: ack,
                    port: RefCell::new(None),
                    outbox: RefCell::new(Outbox::starting_at(ack, self.replay_limit)),
                    inbox: Cell::new(Inbox::starting_at(base)),
                    delivery: Delivery::new(),
                });
                self.sessions.borrow_mut().insert(sid, core.clone());
                (core, true)
            }
        };
        *bound.borrow_mut() = Some(Rc::downgrade(&core));
        let previous = core.port.borrow_mut().replace(port.clone());
        if let Some(previous) = previous.filter(|p| p != port) {
            let _ = previous.disconnect();
        }
        let mut frames = vec![Frame::Welcome {
            ack: core.inbox.get().delivered(),
        }
        .to_js()];
        frames.extend(core.outbox.borrow().unacknowledged().map(|(seq, body)| {
            Frame::Message {
                seq,
                body: body.clone(),
            }
            .to_js()
        }));
        for frame in frames {
            if port.post_trusted(&frame).is_err() {
                break;
            }
        }
        if created {
            let handler = self.handler.borrow_mut().take();
            if let Some(mut handler) = handler {
                handler(Session {
                    core,
                    types: PhantomData,
                });
                let mut slot = self.handler.borrow_mut();
                if slot.is_none() {
                    *slot = Some(handler);
                }
            }
        }
    }
}

impl<In, Out> Session<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize,
{
    /// The session's id, chosen by the content side (the same across reconnections and restarts).
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// println!("session {}", session.id());
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.core.id
    }

    /// Whether the content side had this session before this background instance (a restarted
    /// background resumes it: continue from [`peer_received`](Session::peer_received)).
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// if session.resumed() { /* restore what this session needs */ }
    /// # }
    /// ```
    pub fn resumed(&self) -> bool {
        self.core.resumed
    }

    /// How many of this session's messages the content side had received when this background
    /// instance took the session over (0 for a new session). Messages sent from here on are
    /// numbered from it.
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u64, u64>) {
    /// // A restarted background: send again what the stopped one sent and the content side lacks.
    /// let mut next = session.peer_received();
    /// # }
    /// ```
    pub fn peer_received(&self) -> u64 {
        self.core.peer_received
    }

    /// How many content messages the session delivered (counting those delivered by a stopped
    /// background instance before this one, as the content side reported them).
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// println!("{} received", session.received());
    /// # }
    /// ```
    pub fn received(&self) -> u64 {
        self.core.inbox.get().delivered()
    }

    /// The number the next sent message gets (= messages sent in this session so far).
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// println!("{} sent", session.sent());
    /// # }
    /// ```
    pub fn sent(&self) -> u64 {
        self.core.outbox.borrow().next()
    }

    /// Sends `value` to the content side: now if it is connected, else when it reconnects.
    /// [`ErrorKind::ReplayBufferFull`] when the session's replay limit is reached.
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// let _ = session.send(&42);
    /// # }
    /// ```
    pub fn send(&self, value: &Out) -> Result<(), PortError> {
        let body = codec::encode(value)?;
        let (frame, port) = {
            let mut outbox = self.core.outbox.borrow_mut();
            let frame = Frame::Message {
                seq: outbox.next(),
                body: body.clone(),
            }
            .to_js();
            check_size(&frame)?;
            if outbox.push(body).is_none() {
                return Err(PortError::new(
                    ErrorKind::ReplayBufferFull,
                    crate::text::concat(&[
                        itoa::Buffer::new().format(outbox.len()),
                        " messages wait for the content side's acknowledgement",
                    ]),
                ));
            }
            (frame, self.core.port.borrow().clone())
        };
        if let Some(port) = port {
            // A failure means the connection is going; the message waits for the next one.
            let _ = port.post_trusted(&frame);
        }
        Ok(())
    }

    /// Calls `callback` with every content message, in order, once each (queued until set).
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// session.on_message(|n| println!("{n:?}"));
    /// # }
    /// ```
    pub fn on_message(&self, callback: impl FnMut(Result<In, PortError>) + 'static) {
        self.core.delivery.set(Box::new(callback));
    }

    /// Whether the content side is connected right now.
    ///
    /// ```no_run
    /// # fn demo(session: webext_port::reconnect::Session<u32, u32>) {
    /// if !session.is_connected() { /* messages wait for the reconnection */ }
    /// # }
    /// ```
    pub fn is_connected(&self) -> bool {
        self.core
            .port
            .borrow()
            .as_ref()
            .is_some_and(Port::is_connected)
    }
}
