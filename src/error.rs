//! [`PortError`], its [`ErrorKind`], and the one table that turns browser wordings into kinds.
//!
//! Everything in this module is plain Rust so the wording table is tested on the host.

use std::fmt;

/// What went wrong, independent of which browser said it.
///
/// Chromium and Firefox word the same failure differently (and change their words between
/// versions); match on the kind instead of the text, so one branch handles both browsers. The
/// enum is `#[non_exhaustive]`: keep a `_` arm, new kinds may come with new browser behaviour.
///
/// ```
/// use webext_port::{ErrorKind, PortError};
/// // What a content script might do when its connection to the background ends with an error.
/// fn next_step(err: &PortError) -> &'static str {
///     match err.kind() {
///         ErrorKind::NoReceiver => "the background is not listening yet: retry in a moment",
///         ErrorKind::ContextInvalidated => "the extension was reloaded: stop for good",
///         ErrorKind::NotSerializable | ErrorKind::MessageTooLarge => "a bug on our side",
///         _ => "log it",
///     }
/// }
/// let err = PortError::from_browser_message(
///     "Could not establish connection. Receiving end does not exist.",
/// );
/// assert_eq!(next_step(&err), "the background is not listening yet: retry in a moment");
/// // Display is the snake_case name, stable for logs and test reports.
/// assert_eq!(ErrorKind::NoReceiver.to_string(), "no_receiver");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Nobody listened: no such tab, no `onConnect` listener, unknown or malformed extension id.
    NoReceiver,
    /// The port is already disconnected (by either side).
    Disconnected,
    /// The message cannot cross a port in every browser (function, symbol, BigInt, cycle, DOM node).
    NotSerializable,
    /// A received message did not decode into the expected Rust type.
    DecodeFailed,
    /// `connectNative`: no native messaging host with that name is installed for this extension.
    NativeHostNotFound,
    /// `connectNative`: the host process exited.
    NativeHostExited,
    /// `connectNative`: the host exists but this extension may not use it.
    NativeHostForbidden,
    /// `connectNative`: the host broke the wire protocol (bad JSON, oversized message, …).
    NativeProtocolError,
    /// The message is larger than the browser accepts.
    MessageTooLarge,
    /// An argument was rejected before anything was sent (bad tab id, bad host name, …).
    InvalidArgument,
    /// The extension was reloaded or removed under this (content) script.
    ContextInvalidated,
    /// The page holding the other end went into the back/forward cache.
    BackForwardCache,
    /// No `chrome.runtime`/`browser.runtime`: the code is not running in an extension.
    NotInExtension,
    /// The API exists in the browser but not in this context (e.g. `onConnectExternal` in a content script).
    Unsupported,
    /// More than [`BACKLOG_LIMIT`](crate::BACKLOG_LIMIT) messages arrived before the port had a
    /// message listener or stream; the library closed the port rather than buffer without end.
    BacklogOverflow,
    /// A [`ReconnectingPort`](crate::reconnect::ReconnectingPort) or
    /// [`Session`](crate::reconnect::Session) already holds its limit of messages the other side
    /// has not acknowledged; this one was not sent (nothing is dropped silently).
    ReplayBufferFull,
    /// [`rpc`](crate::rpc): no response came within the request's timeout.
    TimedOut,
    /// [`rpc`](crate::rpc): the other side's handler failed; the error it returned travels back
    /// with its own kind, and this is the kind for a handler's own (application) errors.
    HandlerFailed,
    /// Anything the table does not know yet; [`PortError::message`] keeps the browser's words.
    Other,
}

impl ErrorKind {
    /// The kind in `snake_case`, as used in logs and in `conformance.json` (what `Display` prints).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NoReceiver => "no_receiver",
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::NotSerializable => "not_serializable",
            ErrorKind::DecodeFailed => "decode_failed",
            ErrorKind::NativeHostNotFound => "native_host_not_found",
            ErrorKind::NativeHostExited => "native_host_exited",
            ErrorKind::NativeHostForbidden => "native_host_forbidden",
            ErrorKind::NativeProtocolError => "native_protocol_error",
            ErrorKind::MessageTooLarge => "message_too_large",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::ContextInvalidated => "context_invalidated",
            ErrorKind::BackForwardCache => "back_forward_cache",
            ErrorKind::NotInExtension => "not_in_extension",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::BacklogOverflow => "backlog_overflow",
            ErrorKind::ReplayBufferFull => "replay_buffer_full",
            ErrorKind::TimedOut => "timed_out",
            ErrorKind::HandlerFailed => "handler_failed",
            ErrorKind::Other => "other",
        }
    }

    /// The kind whose [`Display`](fmt::Display) name is `name` (how [`rpc`](crate::rpc) errors
    /// travel); `None` for a name this version does not know.
    ///
    /// ```
    /// use webext_port::ErrorKind;
    /// assert_eq!(ErrorKind::from_name("timed_out"), Some(ErrorKind::TimedOut));
    /// assert_eq!(ErrorKind::from_name("no_such_kind"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ALL_KINDS.iter().copied().find(|kind| kind.as_str() == name)
    }
}

/// Every kind, for [`ErrorKind::from_name`] (a new kind is one more entry here).
const ALL_KINDS: &[ErrorKind] = &[
    ErrorKind::NoReceiver,
    ErrorKind::Disconnected,
    ErrorKind::NotSerializable,
    ErrorKind::DecodeFailed,
    ErrorKind::NativeHostNotFound,
    ErrorKind::NativeHostExited,
    ErrorKind::NativeHostForbidden,
    ErrorKind::NativeProtocolError,
    ErrorKind::MessageTooLarge,
    ErrorKind::InvalidArgument,
    ErrorKind::ContextInvalidated,
    ErrorKind::BackForwardCache,
    ErrorKind::NotInExtension,
    ErrorKind::Unsupported,
    ErrorKind::BacklogOverflow,
    ErrorKind::TimedOut,
    ErrorKind::HandlerFailed,
    ErrorKind::ReplayBufferFull,
    ErrorKind::Other,
];

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every wording a browser is known to use, in the order they are tried (first match wins).
///
/// Sources: ../shared/PORT-BEHAVIOUR.md (Chromium 156 and Firefox 153 measured; Safari from source).
/// A new browser wording is one new row here plus one row in the test below.
const WORDINGS: &[(&str, ErrorKind)] = &[
    // Connection could not be made.
    ("Receiving end does not exist", ErrorKind::NoReceiver),
    (
        "No runtime.onConnect listeners found",
        ErrorKind::NoReceiver,
    ),
    ("Tab not found", ErrorKind::NoReceiver),
    ("Invalid extension id", ErrorKind::NoReceiver),
    // Use after disconnect.
    (
        "Attempting to use a disconnected port object",
        ErrorKind::Disconnected,
    ),
    (
        "Attempt to postMessage on disconnected port",
        ErrorKind::Disconnected,
    ),
    ("port is disconnected", ErrorKind::Disconnected),
    // Serialization.
    ("Could not serialize message", ErrorKind::NotSerializable),
    ("could not be cloned", ErrorKind::NotSerializable),
    // Size. Chromium 156 says "Message exceeded maximum allowed size of 64MiB." (messaging_util.cc,
    // mojom::kMaxMessageBytes); older Chromium said "Message length exceeded maximum allowed length.".
    (
        "Message exceeded maximum allowed size",
        ErrorKind::MessageTooLarge,
    ),
    (
        "Message length exceeded maximum allowed length",
        ErrorKind::MessageTooLarge,
    ),
    ("Write too big", ErrorKind::MessageTooLarge),
    // Native messaging. Oversized messages *from* the host are a protocol error in both browsers
    // (Chromium only says "Error when communicating…"), so Firefox's wording maps there too.
    (
        "Specified native messaging host not found",
        ErrorKind::NativeHostNotFound,
    ),
    ("No such native application", ErrorKind::NativeHostNotFound),
    (
        "Failed to start native messaging host",
        ErrorKind::NativeHostNotFound,
    ),
    (
        "Access to the specified native messaging host is forbidden",
        ErrorKind::NativeHostForbidden,
    ),
    (
        "Access to native messaging requires nativeMessaging permission",
        ErrorKind::NativeHostForbidden,
    ),
    (
        "Invalid native messaging host name specified",
        ErrorKind::InvalidArgument,
    ),
    ("Native host has exited", ErrorKind::NativeHostExited),
    (
        "Error when communicating with the native messaging host",
        ErrorKind::NativeProtocolError,
    ),
    (
        "Native application tried to send a message of",
        ErrorKind::NativeProtocolError,
    ),
    // Lifecycle.
    (
        "Extension context invalidated",
        ErrorKind::ContextInvalidated,
    ),
    ("can't access dead object", ErrorKind::ContextInvalidated),
    ("moved into back/forward cache", ErrorKind::BackForwardCache),
    // Generic argument validation (Chromium's binding layer); after the specific rows above.
    ("Error in invocation of", ErrorKind::InvalidArgument),
];

/// Whether `needle` occurs in `message`. A plain byte scan instead of `str::contains`, whose
/// two-way searcher is ~2.5 KB of wasm; browser messages are short and read only on errors.
fn mentions(message: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty()
        || message
            .as_bytes()
            .windows(needle.len())
            .any(|w| w == needle)
}

/// The kind a browser's error message stands for; [`ErrorKind::Other`] when unknown.
pub(crate) fn classify(message: &str) -> ErrorKind {
    WORDINGS
        .iter()
        .find(|(needle, _)| mentions(message, needle))
        .map_or(ErrorKind::Other, |&(_, kind)| kind)
}

/// Firefox's catch-all wording. On a native port it is what Firefox reports when the host sends
/// bytes that are not JSON, so there it means [`ErrorKind::NativeProtocolError`].
const FIREFOX_GENERIC: &str = "An unexpected error occurred";

/// [`classify`] for an error reported on a `connectNative` port.
pub(crate) fn classify_native(message: &str) -> ErrorKind {
    match classify(message) {
        ErrorKind::Other if mentions(message, FIREFOX_GENERIC) => ErrorKind::NativeProtocolError,
        kind => kind,
    }
}

/// The one error type of this crate: a [`kind`](PortError::kind) to match on and the
/// browser's own [`message`](PortError::message).
///
/// Every fallible call returns it, and every way a connection ends with an error carries it
/// ([`Disconnect::Error`](crate::Disconnect::Error)), whether the browser threw, set
/// `port.error` (Firefox) or set `runtime.lastError` during `onDisconnect` (Chromium): one type
/// to handle, with the original words kept for logs and bug reports.
///
/// ```
/// use webext_port::{ErrorKind, PortError};
/// let err = PortError::from_browser_message("Attempting to use a disconnected port object");
/// assert_eq!(err.kind(), ErrorKind::Disconnected);
/// assert_eq!(err.message(), "Attempting to use a disconnected port object");
/// ```
///
/// A [`DecodeFailed`](ErrorKind::DecodeFailed) error also carries the message that did not decode
/// ([`raw_value`](PortError::raw_value)). Equality compares the kind and the words only.
///
/// `PortError` is `Send + Sync + 'static` (plain text inside, no JS handle), so it fits
/// `Box<dyn Error + Send + Sync>` and `anyhow::Error` like any other error.
#[derive(Clone)]
pub struct PortError {
    kind: ErrorKind,
    message: String,
    /// What arrived, as text (see [`PortError::raw_value`]).
    raw: Option<String>,
}

impl PartialEq for PortError {
    fn eq(&self, other: &PortError) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for PortError {}

impl fmt::Debug for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("PortError");
        debug
            .field("kind", &self.kind)
            .field("message", &self.message);
        if let Some(raw) = &self.raw {
            debug.field("raw_value", raw);
        }
        debug.finish()
    }
}

impl PortError {
    /// An error of a known kind with our own words.
    ///
    /// ```
    /// use webext_port::{ErrorKind, PortError};
    /// let err = PortError::new(ErrorKind::InvalidArgument, "tab id must not be negative");
    /// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PortError {
            kind,
            message: message.into(),
            raw: None,
        }
    }

    /// Classifies a browser's error message by the crate's wording table and keeps it.
    ///
    /// ```
    /// use webext_port::{ErrorKind, PortError};
    /// let err = PortError::from_browser_message("No such native application ping_pong");
    /// assert_eq!(err.kind(), ErrorKind::NativeHostNotFound);
    /// ```
    pub fn from_browser_message(message: impl Into<String>) -> Self {
        let message = message.into();
        PortError {
            kind: classify(&message),
            message,
            raw: None,
        }
    }

    /// What went wrong.
    ///
    /// ```
    /// # use webext_port::{ErrorKind, PortError};
    /// assert_eq!(PortError::new(ErrorKind::Other, "x").kind(), ErrorKind::Other);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The browser's words (or ours, for errors this crate raises itself).
    ///
    /// ```
    /// # use webext_port::{ErrorKind, PortError};
    /// assert_eq!(PortError::new(ErrorKind::Other, "x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl PortError {
    /// The message this error is about, as it arrived: for
    /// [`DecodeFailed`](ErrorKind::DecodeFailed) on a typed port, the message's JSON text exactly
    /// (typed messages travel as JSON text), so it can be logged or decoded as something else
    /// (`serde_json::from_str`); a message that was not text at all is kept as its JSON
    /// (`JSON.stringify`), or `String(value)` when it has none.
    ///
    /// ```
    /// # use webext_port::{ErrorKind, PortError};
    /// // Errors this crate raises about no particular value carry none.
    /// assert!(PortError::new(ErrorKind::Disconnected, "gone").raw_value().is_none());
    /// ```
    pub fn raw_value(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// Keeps `raw` (what arrived) as text: a string as it is, anything else as its JSON.
    pub(crate) fn with_raw_value(mut self, raw: &wasm_bindgen::JsValue) -> Self {
        self.raw = Some(raw.as_string().unwrap_or_else(|| crate::sys::describe(raw)));
        self
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl std::error::Error for PortError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error type users can box as `dyn Error + Send + Sync` (and so use with anyhow).
    #[test]
    fn port_error_is_send_and_sync() {
        fn boxed(err: PortError) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            Box::new(err)
        }
        let err = boxed(PortError::new(ErrorKind::Disconnected, "gone"));
        assert_eq!(err.to_string(), "disconnected: gone");
    }

    /// One row per known wording, with the browser that uses it.
    const CASES: &[(&str, &str, ErrorKind)] = &[
        ("chromium+firefox", "Could not establish connection. Receiving end does not exist.", ErrorKind::NoReceiver),
        ("safari", "Invalid call to runtime.connect(). No runtime.onConnect listeners found.", ErrorKind::NoReceiver),
        ("safari", "Invalid call to tabs.connect(). No runtime.onConnect listeners found.", ErrorKind::NoReceiver),
        ("safari", "Invalid call to tabs.connect(). Tab not found.", ErrorKind::NoReceiver),
        ("chromium", "Error in invocation of runtime.connect(optional string extensionId, optional object connectInfo): Invalid extension id: 'nonexistent@example.org'", ErrorKind::NoReceiver),
        ("chromium", "Attempting to use a disconnected port object", ErrorKind::Disconnected),
        ("firefox", "Attempt to postMessage on disconnected port", ErrorKind::Disconnected),
        ("safari", "Cannot post a message because the port is disconnected.", ErrorKind::Disconnected),
        ("chromium", "Could not serialize message.", ErrorKind::NotSerializable),
        ("firefox", "Function object could not be cloned.", ErrorKind::NotSerializable),
        ("firefox", "Symbol(\"x\") could not be cloned.", ErrorKind::NotSerializable),
        ("chromium", "Message length exceeded maximum allowed length.", ErrorKind::MessageTooLarge),
        ("chromium", "Message exceeded maximum allowed size of 64MiB.", ErrorKind::MessageTooLarge),
        ("firefox", "Write too big", ErrorKind::MessageTooLarge),
        ("chromium", "Specified native messaging host not found.", ErrorKind::NativeHostNotFound),
        ("firefox", "No such native application no_such_host", ErrorKind::NativeHostNotFound),
        ("chromium", "Failed to start native messaging host.", ErrorKind::NativeHostNotFound),
        ("chromium", "Access to the specified native messaging host is forbidden.", ErrorKind::NativeHostForbidden),
        ("chromium", "Access to native messaging requires nativeMessaging permission.", ErrorKind::NativeHostForbidden),
        ("chromium", "Invalid native messaging host name specified.", ErrorKind::InvalidArgument),
        ("chromium", "Native host has exited.", ErrorKind::NativeHostExited),
        ("chromium", "Error when communicating with the native messaging host.", ErrorKind::NativeProtocolError),
        ("firefox", "Native application tried to send a message of 1048577 bytes, which exceeds the limit of 1048576 bytes.", ErrorKind::NativeProtocolError),
        ("chromium", "Extension context invalidated.", ErrorKind::ContextInvalidated),
        ("firefox", "can't access dead object", ErrorKind::ContextInvalidated),
        ("chromium", "The page keeping the extension port is moved into back/forward cache, so the message channel is closed.", ErrorKind::BackForwardCache),
        ("chromium", "Error in invocation of tabs.connect(integer tabId, optional object connectInfo): No matching signature.", ErrorKind::InvalidArgument),
        ("any", "Something nobody has seen before", ErrorKind::Other),
    ];

    #[test]
    fn every_known_wording_has_its_kind() {
        for &(browser, message, kind) in CASES {
            assert_eq!(classify(message), kind, "{browser}: {message:?}");
        }
    }

    #[test]
    fn every_table_row_is_exercised_by_a_case() {
        for &(needle, kind) in WORDINGS {
            assert!(
                CASES
                    .iter()
                    .any(|&(_, m, k)| m.contains(needle) && k == kind),
                "table row {needle:?} has no test case"
            );
        }
    }

    #[test]
    fn firefox_generic_error_is_a_protocol_error_only_on_native_ports() {
        assert_eq!(classify(FIREFOX_GENERIC), ErrorKind::Other);
        assert_eq!(
            classify_native(FIREFOX_GENERIC),
            ErrorKind::NativeProtocolError
        );
        for &(_, message, kind) in CASES {
            if kind != ErrorKind::Other {
                assert_eq!(classify_native(message), kind, "{message}");
            }
        }
    }

    #[test]
    fn message_is_kept_verbatim() {
        let text = "Could not establish connection. Receiving end does not exist.";
        let err = PortError::from_browser_message(text);
        assert_eq!(err.message(), text);
        assert_eq!(err.to_string(), format!("no_receiver: {text}"));
    }

    #[test]
    fn kind_names_are_snake_case_and_distinct() {
        let all = super::ALL_KINDS;
        let names: std::collections::HashSet<_> = all.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), all.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for &kind in super::ALL_KINDS {
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("Timed_Out"), None);
    }
}
