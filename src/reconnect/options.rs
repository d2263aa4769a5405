//! [`ReconnectOptions`] and [`Status`] of a [`ReconnectingPort`](super::ReconnectingPort).

use crate::error::PortError;

/// Options of a [`ReconnectingPort`](super::ReconnectingPort).
///
/// ```
/// let mut options = webext_port::reconnect::ReconnectOptions::default();
/// // A chatty stream: allow more messages in flight before `send` says ReplayBufferFull.
/// options.replay_limit = 8192;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectOptions {
    /// At most this many sent, unacknowledged messages are kept (default 1024); one more is an
    /// `Err` of kind [`ReplayBufferFull`](crate::ErrorKind::ReplayBufferFull).
    pub replay_limit: usize,
    /// The first reconnection is immediate; then the delay starts here (default 50 ms)…
    pub backoff_min_ms: u32,
    /// …and doubles up to this (default 5000 ms). A welcome from the background resets it.
    pub backoff_max_ms: u32,
}

impl Default for ReconnectOptions {
    fn default() -> Self {
        ReconnectOptions {
            replay_limit: 1024,
            backoff_min_ms: 50,
            backoff_max_ms: 5000,
        }
    }
}

/// Where a [`ReconnectingPort`](super::ReconnectingPort) is, as its
/// [`status`](super::ReconnectingPort::status) and
/// [`on_status`](super::ReconnectingPort::on_status) report it.
///
/// `send` works in every state but [`Failed`](Status::Failed) and [`Closed`](Status::Closed) (the
/// message waits for the next connection), so most code never looks at it; it is for showing the
/// user that the background is coming back, and for noticing the one state that does not end by
/// itself: an extension reload orphaned this content script.
///
/// ```no_run
/// # fn demo(port: webext_port::reconnect::ReconnectingPort<u32, u32>) {
/// use webext_port::reconnect::Status;
/// port.on_status(|status| match status {
///     Status::Connected => println!("background ready"),
///     Status::Reconnecting { attempt, delay_ms } => println!("retry {attempt} in {delay_ms} ms"),
///     // Nothing will come back: tell the user to reload the page.
///     Status::Failed(err) => println!("gave up: {err}"),
///     _ => {}
/// });
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Status {
    /// A connection is open; the background has not welcomed it yet.
    Connecting,
    /// The background welcomed the current connection.
    Connected,
    /// The connection broke; attempt number `attempt` starts after `delay_ms`.
    Reconnecting {
        /// 1 for the first attempt after a break.
        attempt: u32,
        /// The backoff before this attempt.
        delay_ms: u32,
    },
    /// Stopped for good (the extension context was invalidated): every `send` is this `Err`.
    Failed(PortError),
    /// [`close`](super::ReconnectingPort::close)d.
    Closed,
}
