//! The handles [`Port`] gives out for its callbacks, and the [`Closed`] future.

use super::core::Core;
use super::{Disconnect, Port};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

/// Keeps a [`Port::on_message`] listener; dropping it removes the listener.
///
/// A guard also keeps its port's core alive (it is a [`Port`] handle too).
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// struct Connection {
///     port: webext_port::Port,
///     // Stored next to the port: dropping the struct stops the listener, as it should.
///     _messages: webext_port::MessageListener,
/// }
/// let messages = port.on_message(|m| println!("{m:?}"));
/// let connection = Connection { port, _messages: messages };
/// # }
/// ```
#[must_use = "dropping the guard removes the listener at once; call `forget()` to keep it"]
pub struct MessageListener {
    port: Port,
    id: u64,
    remove_on_drop: bool,
}

impl MessageListener {
    pub(crate) fn new(port: Port, id: u64) -> Self {
        MessageListener {
            port,
            id,
            remove_on_drop: true,
        }
    }

    /// Keeps the listener for the rest of the connection instead of until this guard is dropped.
    ///
    /// A deliberate, bounded leak (as gloo's `forget()`): the connection then keeps itself alive
    /// while it is connected, like a JS port with a listener, and frees the listener, with
    /// everything its closure owns, when the port disconnects (either side). Use it for listeners
    /// that should run as long as the connection does, with no place to store a guard.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// let echo = port.clone();
    /// // Echo every message back, for as long as the other side stays.
    /// port.on_message(move |m| { let _ = echo.post(&m); }).forget();
    /// # }
    /// ```
    pub fn forget(mut self) {
        self.remove_on_drop = false;
        self.port.core().forget_listener(self.id);
    }

    /// The port this listener listens to.
    ///
    /// ```no_run
    /// # fn demo(guard: webext_port::MessageListener) {
    /// // Reply on the same connection the guard belongs to.
    /// let _ = guard.port().post(&"ack".into());
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        &self.port
    }
}

impl Drop for MessageListener {
    fn drop(&mut self) {
        if self.remove_on_drop {
            self.port.core().remove_listener(self.id);
        }
    }
}

impl fmt::Debug for MessageListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageListener")
            .field("port", &self.port)
            .finish()
    }
}

/// Names a [`Port::on_disconnect`] callback so it can be [`cancel`](DisconnectListener::cancel)led.
///
/// Dropping it does **nothing**: the callback belongs to the connection and still fires. It does
/// not keep the port alive either.
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// let reconnect = port.on_disconnect(|_| { /* reconnect */ });
/// // We are shutting down on purpose: no reconnect.
/// reconnect.cancel();
/// # }
/// ```
pub struct DisconnectListener {
    core: Weak<Core>,
    id: u64,
}

impl DisconnectListener {
    pub(crate) fn new(core: &Rc<Core>, id: u64) -> Self {
        DisconnectListener {
            core: Rc::downgrade(core),
            id,
        }
    }

    /// Removes the callback (and frees it) unless it already fired.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// port.on_disconnect(|_| println!("gone")).cancel();
    /// # }
    /// ```
    pub fn cancel(self) {
        if let Some(core) = self.core.upgrade() {
            core.cancel_disconnect_callback(self.id);
        }
    }
}

impl fmt::Debug for DisconnectListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectListener")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The future [`Port::closed`] returns: how the connection ended.
///
/// ```no_run
/// # async fn demo(port: webext_port::Port) {
/// let reason: webext_port::Disconnect = port.closed().await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Closed {
    port: Port,
}

impl Closed {
    pub(crate) fn new(port: Port) -> Self {
        Closed { port }
    }
}

impl Future for Closed {
    type Output = Disconnect;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Disconnect> {
        match self.port.state().reason() {
            Some(reason) => Poll::Ready(reason),
            None => {
                self.port.core().wake_on_close(cx.waker());
                Poll::Pending
            }
        }
    }
}

impl fmt::Debug for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").field("port", &self.port).finish()
    }
}
