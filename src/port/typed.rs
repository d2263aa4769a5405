//! [`TypedPort`]: serde values over a [`Port`], on the same core as the untyped API.
//!
//! Outgoing values are encoded by `crate::codec` and posted without the serializability walk
//! (the codec's output, a string, is serializable by construction; a native port's JSON value
//! is walked like any post, which is cheaper than measuring its size); incoming messages are decoded per
//! listener, and one that does not decode is an `Err` to that listener, never a disconnect.

use super::futures::{poll_ready, Messages};
use super::{Closed, Disconnect, MessageListener, Port, State};
use crate::codec;
use crate::error::PortError;
use futures_core::Stream;
use futures_sink::Sink;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A [`Port`] that sends `Out` and receives `In` (both serde types). Made by [`Port::typed`].
///
/// The same value arrives as the same value in every browser. A value that cannot be encoded is
/// an `Err` before anything is posted; a message that does not decode as `In` reaches the
/// listener or stream as an `Err` of kind [`DecodeFailed`](crate::ErrorKind::DecodeFailed) whose
/// [`raw_value`](PortError::raw_value) is the message, and the port stays up.
///
/// Why not post `JsValue`s built by hand: Chromium sends a port message as JSON and Firefox as a
/// structured clone, so the same JS value can arrive differently (`-0`, large integers, `Map`,
/// `undefined`). A typed message is posted as its JSON text (a JS string, which both browsers
/// carry unchanged), so `u64::MAX`, `-0.0`, enums and maps come back exactly, and the compiler
/// checks that both sides agree on the shape when they share the types (a common crate).
/// It is a view of the same connection: listeners, streams, identity and state are the
/// [`Port`]'s own, and [`port`](TypedPort::port) gives the untyped handle back.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use webext_port::{runtime, ConnectInfo};
///
/// #[derive(Serialize)]
/// enum Request { Ping }
/// #[derive(Deserialize, Debug)]
/// enum Reply { Pong }
///
/// let port = runtime::connect(&ConnectInfo::named("typed"))?.typed::<Reply, Request>();
/// // A typo on the other side is an Err here, not a silently wrong value.
/// port.on_message(|reply| match reply {
///     Ok(reply) => println!("{reply:?}"),
///     Err(err) => println!("unexpected message {:?}: {err}", err.raw_value()),
/// }).forget();
/// port.send(&Request::Ping)?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub struct TypedPort<In, Out> {
    port: Port,
    types: PhantomData<fn(In) -> Out>,
}

impl<In, Out> Clone for TypedPort<In, Out> {
    fn clone(&self) -> Self {
        TypedPort {
            port: self.port.clone(),
            types: PhantomData,
        }
    }
}

impl<In, Out> fmt::Debug for TypedPort<In, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedPort")
            .field("port", &self.port)
            .finish()
    }
}

impl<In, Out> TypedPort<In, Out>
where
    In: serde::de::DeserializeOwned + 'static,
    Out: serde::Serialize,
{
    pub(crate) fn new(port: Port) -> Self {
        TypedPort {
            port,
            types: PhantomData,
        }
    }

    /// The untyped port underneath (same connection, same identity).
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<String, String>) {
    /// // The identity and state are the port's own.
    /// let id = typed.port().id();
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }

    /// Encodes `message` and posts it. Encoding errors ([`NotSerializable`](crate::ErrorKind::NotSerializable))
    /// come before anything is posted; otherwise the errors of [`Port::post`].
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<String, Vec<u32>>) -> Result<(), webext_port::PortError> {
    /// typed.send(&vec![1, 2, 3])?;
    /// # Ok(()) }
    /// ```
    pub fn send(&self, message: &Out) -> Result<(), PortError> {
        let value = codec::encode_for(self.port.core().native, message)?;
        self.port.post_unchecked(&value)
    }

    /// Calls `listener` with every message, decoded; see [`Port::on_message`] for the guard.
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// let _guard = typed.on_message(|n| match n {
    ///     Ok(n) => println!("got {n}"),
    ///     // The other side sent something that is not a u32: log it, keep the port.
    ///     Err(err) => println!("{err}: {:?}", err.raw_value()),
    /// });
    /// # }
    /// ```
    pub fn on_message(
        &self,
        mut listener: impl FnMut(Result<In, PortError>) + 'static,
    ) -> MessageListener {
        let native = self.port.core().native;
        self.port
            .on_message(move |message| listener(codec::decode_for(native, message)))
    }

    /// See [`Port::on_disconnect`].
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// typed.on_disconnect(|reason| println!("gone: {reason:?}"));
    /// # }
    /// ```
    pub fn on_disconnect(
        &self,
        callback: impl FnOnce(Disconnect) + 'static,
    ) -> super::DisconnectListener {
        self.port.on_disconnect(callback)
    }

    /// Every message, decoded, as a `Stream` that ends when the port disconnects (see [`Messages`]).
    ///
    /// ```no_run
    /// # async fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// use futures::StreamExt;
    /// let mut numbers = typed.messages();
    /// while let Some(n) = numbers.next().await {
    ///     // One bad message is one Err; the stream goes on.
    ///     println!("{n:?}");
    /// }
    /// # }
    /// ```
    pub fn messages(&self) -> TypedMessages<In> {
        TypedMessages {
            messages: self.port.messages(),
            types: PhantomData,
        }
    }

    /// A `Sink<Out>` that encodes and posts (see [`PortSink`](super::PortSink)).
    ///
    /// ```no_run
    /// # async fn demo(typed: webext_port::TypedPort<u32, u32>) -> Result<(), webext_port::PortError> {
    /// use futures::SinkExt;
    /// typed.sink().send(7).await?;
    /// # Ok(()) }
    /// ```
    pub fn sink(&self) -> TypedSink<Out> {
        TypedSink {
            port: self.port.clone(),
            types: PhantomData,
        }
    }

    /// The write and read halves (see [`Port::split`]).
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// // One task writes, another reads.
    /// let (tx, rx) = typed.split();
    /// # }
    /// ```
    pub fn split(&self) -> (TypedSink<Out>, TypedMessages<In>) {
        (self.sink(), self.messages())
    }

    /// See [`Port::closed`].
    ///
    /// ```no_run
    /// # async fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// let reason = typed.closed().await;
    /// # }
    /// ```
    pub fn closed(&self) -> Closed {
        self.port.closed()
    }

    /// See [`Port::state`].
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// let connected = typed.state() == webext_port::State::Connected;
    /// # }
    /// ```
    pub fn state(&self) -> State {
        self.port.state()
    }

    /// See [`Port::disconnect`].
    ///
    /// ```no_run
    /// # fn demo(typed: webext_port::TypedPort<u32, u32>) {
    /// let _ = typed.disconnect();
    /// # }
    /// ```
    pub fn disconnect(&self) -> Result<(), PortError> {
        self.port.disconnect()
    }
}

/// Decoded messages as a `Stream` of `Result<In, PortError>`; see [`TypedPort::messages`].
///
/// ```no_run
/// # async fn demo(typed: webext_port::TypedPort<u32, u32>) {
/// use futures::StreamExt;
/// let mut rx = typed.messages();
/// let first = rx.next().await;
/// # }
/// ```
pub struct TypedMessages<In> {
    messages: Messages,
    types: PhantomData<fn() -> In>,
}

impl<In> TypedMessages<In> {
    /// Why the connection ended, `None` while it is open (see [`Messages::reason`]).
    ///
    /// ```no_run
    /// # fn demo(rx: webext_port::TypedMessages<u32>) {
    /// let why = rx.reason();
    /// # }
    /// ```
    pub fn reason(&self) -> Option<Disconnect> {
        self.messages.reason()
    }

    /// The port these messages come from.
    ///
    /// ```no_run
    /// # fn demo(rx: webext_port::TypedMessages<u32>) {
    /// let id = rx.port().id();
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        self.messages.port()
    }
}

impl<In: serde::de::DeserializeOwned> Stream for TypedMessages<In> {
    type Item = Result<In, PortError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let native = self.messages.port().core().native;
        Pin::new(&mut self.messages)
            .poll_next(cx)
            .map(|message| message.map(|m| codec::decode_for(native, m)))
    }
}

impl<In> fmt::Debug for TypedMessages<In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedMessages")
            .field("messages", &self.messages)
            .finish()
    }
}

/// A `Sink<Out>` that encodes and posts; see [`TypedPort::sink`]. Closing it disconnects.
///
/// ```no_run
/// # async fn demo(tx: webext_port::TypedSink<u32>) -> Result<(), webext_port::PortError> {
/// use futures::SinkExt;
/// let mut tx = tx;
/// tx.send(1).await?;
/// # Ok(()) }
/// ```
pub struct TypedSink<Out> {
    port: Port,
    types: PhantomData<fn(Out)>,
}

impl<Out> Clone for TypedSink<Out> {
    fn clone(&self) -> Self {
        TypedSink {
            port: self.port.clone(),
            types: PhantomData,
        }
    }
}

impl<Out> TypedSink<Out> {
    /// The port this sink posts to.
    ///
    /// ```no_run
    /// # fn demo(tx: webext_port::TypedSink<u32>) {
    /// let open = tx.port().is_connected();
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }
}

impl<Out> fmt::Debug for TypedSink<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedSink")
            .field("port", &self.port)
            .finish()
    }
}

impl<Out: serde::Serialize> Sink<Out> for TypedSink<Out> {
    type Error = PortError;

    fn poll_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        poll_ready(&self.port)
    }

    fn start_send(self: Pin<&mut Self>, item: Out) -> Result<(), PortError> {
        let value = codec::encode_for(self.port.core().native, &item)?;
        self.port.post_unchecked(&value)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        Poll::Ready(self.port.flush())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), PortError>> {
        Poll::Ready(self.port.disconnect())
    }
}
