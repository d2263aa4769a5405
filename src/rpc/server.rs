//! [`serve`]: answers a port's requests with an async handler.

use super::wire::{self, Incoming};
use crate::codec;
use crate::error::PortError;
use crate::port::{MessageListener, Port};
use std::fmt;
use std::future::Future;

/// Keeps a port's requests answered; dropping it stops answering (requests that arrive later
/// wait for their client's timeout or disconnect). Made by [`serve`].
///
/// ```no_run
/// # fn demo(port: webext_port::Port) {
/// struct Connection {
///     port: webext_port::Port,
///     // Stored next to the port: the handler runs as long as the connection is kept.
///     _answers: webext_port::rpc::Server,
/// }
/// let answers = webext_port::rpc::serve(&port, |n: u32| async move { Ok(n * 2) });
/// let connection = Connection { port, _answers: answers };
/// # }
/// ```
#[must_use = "dropping the guard stops answering at once; call `forget()` to keep it"]
pub struct Server {
    listener: MessageListener,
}

impl Server {
    /// Keeps answering until the port disconnects, without a guard to store (the port's own
    /// listener list keeps the handler, as [`MessageListener::forget`] does).
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) {
    /// // Inside an onConnect handler: answer this connection for as long as it lives.
    /// webext_port::rpc::serve(&port, |n: u32| async move { Ok(n + 1) }).forget();
    /// # }
    /// ```
    pub fn forget(self) {
        // Bounded: a forgotten message listener is freed when the port disconnects.
        self.listener.forget();
    }

    /// The port this server answers on.
    ///
    /// ```no_run
    /// # fn demo(server: webext_port::rpc::Server) {
    /// let who = server.port().sender();
    /// # }
    /// ```
    pub fn port(&self) -> &Port {
        self.listener.port()
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("port", self.listener.port())
            .finish()
    }
}

/// Answers every request that arrives on `port` with `handler`, until the returned [`Server`] is
/// dropped (or, after [`Server::forget`], until the port disconnects).
///
/// Each request runs in its own task, so a slow one does not hold up the others, and responses
/// go back in the order they finish; the client matches them by id. `Ok(resp)` reaches the
/// caller as `Ok(resp)`; `Err(err)` reaches it as a `PortError` with the same
/// [`kind`](PortError::kind) and message: use
/// [`ErrorKind::HandlerFailed`](crate::ErrorKind::HandlerFailed) for your own errors, so the
/// caller can tell them from transport errors. A request that does not decode as `Req` is
/// answered with [`DecodeFailed`](crate::ErrorKind::DecodeFailed) without calling `handler`.
/// Messages that are not rpc requests (plain messages, responses to our own client) are left to
/// other listeners.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use webext_port::{rpc, runtime, ErrorKind, PortError};
///
/// #[derive(Deserialize)]
/// enum Ask { Double(i32), Fail }
///
/// // Background: every content script that connects gets its questions answered.
/// let guard = runtime::on_connect(|port| {
///     rpc::serve(&port, |ask: Ask| async move {
///         match ask {
///             Ask::Double(n) => Ok(n * 2),
///             Ask::Fail => Err(PortError::new(ErrorKind::HandlerFailed, "asked to fail")),
///         }
///     })
///     .forget(); // answers until this content script goes away
/// })?;
/// # drop(guard);
/// # Ok::<(), PortError>(())
/// ```
pub fn serve<Req, Resp, F, Fut>(port: &Port, mut handler: F) -> Server
where
    Req: serde::de::DeserializeOwned + 'static,
    Resp: serde::Serialize + 'static,
    F: FnMut(Req) -> Fut + 'static,
    Fut: Future<Output = Result<Resp, PortError>> + 'static,
{
    // A strong handle in the listener is the usual port cycle: it ends when the guard is dropped
    // or, after `forget`, when the port disconnects and the core frees its listeners.
    let replies = port.clone();
    let listener = port.on_message(move |message| {
        let Incoming::Request(id, body) = wire::read(&message) else {
            return;
        };
        let answer = match codec::decode::<Req>(body) {
            Ok(request) => handler(request),
            Err(err) => {
                let _ = replies.post_unchecked(&wire::error(id, &err));
                return;
            }
        };
        let replies = replies.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = answer.await;
            // The caller may have gone meanwhile: then there is nobody to tell.
            let _ = replies.post_unchecked(&wire::response(id, result));
        });
    });
    Server { listener }
}
