//! The async side of [`Port`]: [`Messages`], a `Stream` of incoming messages, and [`PortSink`], a
//! `Sink` of outgoing ones. Both sit on the same core as the callback API: a stream is one more
//! message listener, a sink posts through [`Port::post`].

use super::{Disconnect, Port, State};
use crate::error::PortError;
use futures_core::Stream;
use futures_sink::Sink;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::JsValue;

#[derive(Default)]
struct Inbox {
    messages: VecDeque<JsValue>,
    waker: Option<Waker>,
}

/// The messages from the other end, as a `Stream` that ends (`None`) when the port disconnects.
///
/// Made by [`Port::messages`] or [`Port::split`]. While it exists it receives every message, in
/// order, however slowly it is polled: its queue is unbounded, so a consumer that stops polling
/// but keeps the stream grows it. (Without any listener or stream the port keeps at most
/// [`BACKLOG_LIMIT`](crate::BACKLOG_LIMIT) messages.) After the end, [`reason`](Messages::reason)
/// says why.
///
/// ```no_run
/// # async fn demo(port: webext_port::Port) {
/// use futures::StreamExt;
/// let mut messages = port.messages();
/// while let Some(message) = messages.next().await {
///     println!("{message:?}");
/// }
/// // The loop ends when the connection does; say why.
/// println!("closed: {:?}", messages.reason());
/// # }
/// ```
pub struct Messages {
    port: Port,
    inbox: Rc<RefCell<Inbox>>,
    id: u64,
}

impl Messages {
    pub(crate) fn new(port: Port) -> Self {
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let sink = inbox.clone();
        let id = port
            .core()
            .add_listener(Rc::new(RefCell::new(move |message: JsValue| {
                let mut inbox = sink.borrow_mut();
                inbox.messages.push_back(message);
                if let Some(waker) = inbox.waker.take() {
                    waker.wake();
                }
            })));
        Messages { port, inbox, id }
    }

    /// The port these messages come from.
    ///
    /// ```no_run
    /// # fn demo(messages: webext_port::Messages) {
    /// // Answer on the connection the stream reads.
    /// let _ = messages.port().post(&"ack".into());
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }

    /// Why the connection ended, `None` while it is open.
    ///
    /// ```no_run
    /// # fn demo(messages: webext_port::Messages) {
    /// if let Some(err) = messages.reason().and_then(|r| r.error().cloned()) {
    ///     println!("stream ended with an error: {err}");
    /// }
    /// # }
    /// ```
    pub fn reason(&self) -> Option<Disconnect> {
        self.port.state().reason()
    }
}

impl Stream for Messages {
    type Item = JsValue;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<JsValue>> {
        let mut inbox = self.inbox.borrow_mut();
        if let Some(message) = inbox.messages.pop_front() {
            return Poll::Ready(Some(message));
        }
        if self.port.core().is_finished() {
            return Poll::Ready(None);
        }
        inbox.waker = Some(cx.waker().clone());
        self.port.core().wake_on_close(cx.waker());
        Poll::Pending
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        self.port.core().remove_listener(self.id);
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("port", &self.port)
            .field("queued", &self.inbox.borrow().messages.len())
            .finish()
    }
}

/// The write half of a [`Port`]: a `Sink<JsValue>` that posts with [`Port::post`].
///
/// Ports have no back-pressure, so the sink is always ready; an error is the one `post` returns.
/// Closing the sink disconnects the port.
///
/// ```no_run
/// # async fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
/// use futures::SinkExt;
/// let mut sink = port.sink();
/// sink.send("ping".into()).await?;
/// // Done talking: close() disconnects, so the other end learns it at once.
/// sink.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PortSink {
    port: Port,
}

impl PortSink {
    pub(crate) fn new(port: Port) -> Self {
        PortSink { port }
    }

    /// The port this sink posts to.
    ///
    /// ```no_run
    /// # fn demo(sink: webext_port::PortSink) {
    /// // Stop writing only if the other side is still there.
    /// if sink.port().is_connected() { /* … */ }
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }
}

/// Ready unless the port is closed: then the error `post` would return.
pub(crate) fn poll_ready(port: &Port) -> Poll<Result<(), PortError>> {
    match port.state() {
        State::Connected => Poll::Ready(Ok(())),
        _ => Poll::Ready(Err(super::disconnected_error())),
    }
}

impl Sink<JsValue> for PortSink {
    type Error = PortError;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        poll_ready(&self.port)
    }

    fn start_send(self: Pin<&mut Self>, item: JsValue) -> Result<(), PortError> {
        self.port.post(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        Poll::Ready(self.port.flush())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        Poll::Ready(self.port.disconnect())
    }
}

impl Port {
    /// Every message from the other end as a `Stream` (see [`Messages`]). Like
    /// [`on_message`](Port::on_message), the first stream or listener gets the backlog.
    ///
    /// ```no_run
    /// # async fn demo(port: webext_port::Port) {
    /// use futures::StreamExt;
    /// // Wait for the other side's first message, however long it takes.
    /// let hello = port.messages().next().await;
    /// # }
    /// ```
    pub fn messages(&self) -> Messages {
        Messages::new(self.clone())
    }

    /// A `Sink` that posts to this port (see [`PortSink`]).
    ///
    /// ```no_run
    /// # async fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// use futures::{stream, SinkExt, StreamExt};
    /// // Forward a whole stream of values, stopping at the first error.
    /// let mut values = stream::iter(["a", "b"]).map(|s| Ok(s.into()));
    /// port.sink().send_all(&mut values).await?;
    /// # Ok(()) }
    /// ```
    pub fn sink(&self) -> PortSink {
        PortSink::new(self.clone())
    }

    /// The write and read halves, to hand to two tasks (one sending, one receiving).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// use futures::{SinkExt, StreamExt};
    /// let (mut tx, mut rx) = port.split();
    /// // Echo: read in one task, write in another, without sharing a `&mut`.
    /// wasm_bindgen_futures::spawn_local(async move {
    ///     while let Some(m) = rx.next().await {
    ///         println!("{m:?}");
    ///     }
    /// });
    /// wasm_bindgen_futures::spawn_local(async move {
    ///     let _ = tx.send("hello".into()).await;
    /// });
    /// # }
    /// ```
    pub fn split(&self) -> (PortSink, Messages) {
        (self.sink(), self.messages())
    }
}
