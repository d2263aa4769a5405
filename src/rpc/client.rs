//! [`Client`]: typed requests over a port, each answered by its own response.

use super::timer::Timer;
use super::wire::{self, Incoming};
use crate::codec;
use crate::error::{ErrorKind, PortError};
use crate::port::{Disconnect, MessageListener, Port, State};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use wasm_bindgen::JsValue;

/// Where one request's outcome lands: written by the port listener, the timer or the client's
/// drop, read by the [`Request`] future.
#[derive(Default)]
struct Slot {
    outcome: Option<Result<JsValue, PortError>>,
    waker: Option<Waker>,
}

type SlotRef = Rc<RefCell<Slot>>;

fn settle(slot: &SlotRef, outcome: Result<JsValue, PortError>) {
    let waker = {
        let mut slot = slot.borrow_mut();
        if slot.outcome.is_some() {
            return; // first outcome wins (a late response after a timeout is ignored)
        }
        slot.outcome = Some(outcome);
        slot.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

struct Pending {
    /// This client's number in `CLIENTS`.
    client: u64,
    next_id: Cell<u32>,
    slots: RefCell<HashMap<u32, SlotRef>>,
}

impl Pending {
    fn route(&self, message: &JsValue) {
        let (id, outcome) = match wire::read(message) {
            Incoming::Response(id, outcome) => (id, outcome),
            Incoming::Malformed(id, err) => (id, Err(err)),
            Incoming::Request(..) | Incoming::Foreign => return,
        };
        let slot = self.slots.borrow_mut().remove(&id);
        if let Some(slot) = slot {
            settle(&slot, outcome);
        }
    }

    /// Wakes every pending request so it looks at the port again (it closed).
    fn wake_all(&self) {
        let wakers: Vec<Waker> = self
            .slots
            .borrow()
            .values()
            .filter_map(|slot| slot.borrow_mut().waker.take())
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }
}

thread_local! {
    /// The clients a port-close waker stands for, by number (see [`CloseWaker`]).
    static CLIENTS: RefCell<HashMap<u64, Weak<Pending>>> = RefCell::new(HashMap::new());
    static NEXT_CLIENT: Cell<u64> = const { Cell::new(0) };
}

/// The one waker a client leaves with its port's core: when the port closes it wakes that
/// client's pending requests, which then fail. A `Waker` must be `Send`; the client is not, so the
/// waker holds only a number and finds the client in a thread-local table (wasm has one thread).
/// One waker per client instead of one per request: a long-lived port does not collect them.
struct CloseWaker(u64);

impl std::task::Wake for CloseWaker {
    fn wake(self: std::sync::Arc<Self>) {
        let client = CLIENTS.with(|clients| clients.borrow_mut().remove(&self.0));
        if let Some(pending) = client.and_then(|weak| weak.upgrade()) {
            pending.wake_all();
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The last `Client` handle is gone: nobody routes responses any more, so nothing may wait.
        let client = self.client;
        let _ = CLIENTS.try_with(|clients| clients.borrow_mut().remove(&client));
        let slots = std::mem::take(self.slots.get_mut());
        let err = PortError::new(
            ErrorKind::Disconnected,
            "the rpc client was dropped before the response arrived",
        );
        for (_, slot) in slots {
            settle(&slot, Err(err.clone()));
        }
    }
}

/// The error every pending request fails with once `state` is no longer `Connected`.
pub(crate) fn closed_error(state: &State) -> PortError {
    match state.reason() {
        Some(Disconnect::Error(err)) => err,
        Some(Disconnect::Local) => PortError::new(
            ErrorKind::Disconnected,
            "this side disconnected the port before the response arrived",
        ),
        _ => PortError::new(
            ErrorKind::Disconnected,
            "the other side disconnected before the response arrived",
        ),
    }
}

/// The calling side of request/response over one [`Port`]: sends `Req`, awaits `Resp`.
///
/// Each [`request`](Client::request) gets a fresh correlation id; responses may come back in any
/// order and each reaches its own caller, so any number of requests can be in flight on one port.
/// **No request waits for ever**: when the port goes away (the other side leaves, an error, our
/// own [`Port::disconnect`]) every pending request fails at once with that error (kind
/// [`Disconnected`](ErrorKind::Disconnected), or the browser's, e.g.
/// [`NoReceiver`](ErrorKind::NoReceiver)); dropping the last `Client` handle fails them too; and
/// with a [timeout](Client::with_timeout) a slow handler is [`TimedOut`](ErrorKind::TimedOut).
///
/// Other messages on the same port (not rpc envelopes) are left alone, so a port can carry an
/// rpc protocol next to plain messages, and both sides of one port can be client and server.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
/// use webext_port::{rpc, runtime, ConnectInfo, ErrorKind};
///
/// #[derive(Serialize)]
/// enum Ask { TabCount }
///
/// # async fn content() -> Result<(), webext_port::PortError> {
/// let port = runtime::connect(&ConnectInfo::named("rpc"))?;
/// // A background that never answers must not freeze the content script: give up after 5 s.
/// let background = rpc::Client::<Ask, u32>::new(&port).with_timeout(Duration::from_secs(5));
/// match background.request(&Ask::TabCount).await {
///     Ok(n) => println!("{n} tabs"),
///     Err(err) if err.kind() == ErrorKind::TimedOut => println!("background is busy"),
///     Err(err) => println!("no answer: {err}"),
/// }
/// # Ok(()) }
/// ```
pub struct Client<Req, Resp> {
    port: Port,
    pending: Rc<Pending>,
    timeout: Option<Duration>,
    _listener: Rc<MessageListener>,
    types: PhantomData<fn(&Req) -> Resp>,
}

impl<Req, Resp> Clone for Client<Req, Resp> {
    fn clone(&self) -> Self {
        Client {
            port: self.port.clone(),
            pending: self.pending.clone(),
            timeout: self.timeout,
            _listener: self._listener.clone(),
            types: PhantomData,
        }
    }
}

impl<Req, Resp> fmt::Debug for Client<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("port", &self.port)
            .field("pending", &self.pending.slots.borrow().len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<Req, Resp> Client<Req, Resp>
where
    Req: serde::Serialize,
    Resp: serde::de::DeserializeOwned,
{
    /// Makes requests over `port`. Its message listener is added now (so the responses to early
    /// requests cannot be missed) and removed when the last handle of this client is dropped.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// // One client per port and protocol; clone it to share it between tasks.
    /// let client = webext_port::rpc::Client::<String, String>::new(&port);
    /// let for_another_task = client.clone();
    /// # }
    /// ```
    pub fn new(port: &Port) -> Self {
        let client = NEXT_CLIENT.with(|next| next.replace(next.get() + 1));
        let pending = Rc::new(Pending {
            client,
            next_id: Cell::new(0),
            slots: RefCell::new(HashMap::new()),
        });
        let weak: Weak<Pending> = Rc::downgrade(&pending);
        CLIENTS.with(|clients| clients.borrow_mut().insert(client, weak.clone()));
        port.core()
            .wake_on_close(&Waker::from(std::sync::Arc::new(CloseWaker(client))));
        let watched = port.clone();
        let listener = port.on_message(move |message| {
            let Some(pending) = weak.upgrade() else {
                return;
            };
            pending.route(&message);
            if !watched.is_connected() {
                // Closed while queued messages are handed out: after the last one the requests
                // still waiting find the port finished and fail (see `Request::poll`).
                pending.wake_all();
            }
        });
        Client {
            port: port.clone(),
            pending,
            timeout: None,
            _listener: Rc::new(listener),
            types: PhantomData,
        }
    }

    /// Every request of this client (and of clones made after this call) fails with
    /// [`TimedOut`](ErrorKind::TimedOut) if no response came within `timeout`.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// use std::time::Duration;
    /// // A native host or a busy background should not hold a UI for ever.
    /// let client = webext_port::rpc::Client::<u32, u32>::new(&port)
    ///     .with_timeout(Duration::from_millis(500));
    /// # }
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The port the requests travel on.
    ///
    /// ```no_run
    /// # fn demo(client: webext_port::rpc::Client<u32, u32>) {
    /// // Close the connection when done: pending requests fail with Disconnected.
    /// let _ = client.port().disconnect();
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }

    /// How many requests are waiting for a response.
    ///
    /// ```no_run
    /// # fn demo(client: webext_port::rpc::Client<u32, u32>) {
    /// // e.g. show a spinner while anything is in flight
    /// let busy = client.pending() > 0;
    /// # }
    /// ```
    pub fn pending(&self) -> usize {
        self.pending.slots.borrow().len()
    }

    /// Sends `request` now and returns the future of its response, with the client's timeout.
    ///
    /// The request is posted before this returns (so a loop that starts 100 requests and then
    /// awaits them all sends 100 messages at once); an error posting it (encoding, size, a closed
    /// port) is what the future resolves to. A response that does not decode as `Resp` is
    /// [`DecodeFailed`](ErrorKind::DecodeFailed) with the raw value; a handler's error arrives
    /// with the kind and message the handler gave it.
    ///
    /// ```no_run
    /// # async fn demo(client: webext_port::rpc::Client<u32, u32>) {
    /// use futures::future::join_all;
    /// // Three requests in flight at once; each answer goes to its own caller.
    /// let answers = join_all([1, 2, 3].iter().map(|n| client.request(n))).await;
    /// # }
    /// ```
    pub fn request(&self, request: &Req) -> Request<Resp> {
        self.start(request, self.timeout)
    }

    /// [`request`](Client::request) with this call's own timeout instead of the client's.
    ///
    /// ```no_run
    /// # async fn demo(client: webext_port::rpc::Client<u32, u32>) {
    /// use std::time::Duration;
    /// // This one call is allowed to be slow (it reads a big file in the native host).
    /// let big = client.request_with_timeout(&7, Duration::from_secs(30)).await;
    /// # }
    /// ```
    pub fn request_with_timeout(&self, request: &Req, timeout: Duration) -> Request<Resp> {
        self.start(request, Some(timeout))
    }

    fn start(&self, request: &Req, timeout: Option<Duration>) -> Request<Resp> {
        let id = self.pending.next_id.get();
        self.pending.next_id.set(id.wrapping_add(1));
        let slot = SlotRef::default();
        let mut future = Request {
            id,
            slot: slot.clone(),
            port: self.port.clone(),
            pending: Rc::downgrade(&self.pending),
            _timer: None,
            types: PhantomData,
        };
        if !self.port.is_connected() {
            settle(&slot, Err(closed_error(&self.port.state())));
            return future;
        }
        let sent =
            wire::request(id, request).and_then(|message| self.port.post_unchecked(&message));
        if let Err(err) = sent {
            settle(&slot, Err(err));
            return future;
        }
        self.pending.slots.borrow_mut().insert(id, slot.clone());
        if let Some(timeout) = timeout {
            let ms = timeout.as_secs_f64() * 1000.0;
            // Whole milliseconds in the text, rounded up (`ms` as setTimeout gets it, saturating):
            // no float formatting.
            let whole_ms = ms.ceil() as u64;
            future._timer = Timer::once(ms, move || {
                settle(
                    &slot,
                    Err(PortError::new(
                        ErrorKind::TimedOut,
                        crate::text::concat(&[
                            "no response within ",
                            itoa::Buffer::new().format(whole_ms),
                            " ms",
                        ]),
                    )),
                );
            });
        }
        future
    }
}

/// The response to one [`Client::request`]: a `Future` of `Result<Resp, PortError>`.
///
/// Dropping it forgets the request (a response that comes later is ignored) and cancels its timer.
///
/// ```no_run
/// # async fn demo(client: webext_port::rpc::Client<u32, String>) {
/// let pending = client.request(&1); // already sent
/// let answer: Result<String, webext_port::PortError> = pending.await;
/// # }
/// ```
#[must_use = "the request is sent; dropping the future discards its response"]
pub struct Request<Resp> {
    id: u32,
    slot: SlotRef,
    port: Port,
    pending: Weak<Pending>,
    _timer: Option<Timer>,
    types: PhantomData<fn() -> Resp>,
}

impl<Resp> fmt::Debug for Request<Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("done", &self.slot.borrow().outcome.is_some())
            .finish()
    }
}

impl<Resp: serde::de::DeserializeOwned> Future for Request<Resp> {
    type Output = Result<Resp, PortError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = self.slot.borrow_mut().outcome.take();
        if let Some(outcome) = outcome {
            return Poll::Ready(outcome.and_then(codec::decode));
        }
        if self.port.core().is_finished() {
            // Gone, and nothing left to deliver: this response will never come.
            return Poll::Ready(Err(closed_error(&self.port.state())));
        }
        // The client's close waker (one per client) wakes this when the port closes.
        self.slot.borrow_mut().waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<Resp> Drop for Request<Resp> {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.upgrade() {
            let removed = pending.slots.borrow_mut().remove(&self.id);
            drop(removed);
        }
    }
}
