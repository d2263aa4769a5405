//! `runtime.connect`, `runtime.connectNative`, `runtime.onConnect` and `runtime.onConnectExternal`.
//!
//! The two ends of the usual conversation: a content script (or extension page) connects, the
//! background listens. Both get a [`Port`]; what goes wrong on either end is one
//! [`PortError`], whichever way the browser reported it.
//!
//! ```no_run
//! use webext_port::{runtime, ConnectInfo};
//!
//! // Content script: a named port, so the background can tell its connections apart.
//! let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
//! port.post(&"hello from content script".into())?;
//!
//! // Background: every connection, from every tab and frame. Keep the listener: dropping it
//! // removes it (forget() keeps it for the background's life).
//! runtime::on_connect(|port| {
//!     if port.name() == "port-from-cs" {
//!         let _ = port.post(&"hi there content script!".into());
//!     }
//! })?
//! .forget();
//! # Ok::<(), webext_port::PortError>(())
//! ```

use crate::allowlist::{Allowlist, Rejected};
use crate::connect_listener::ConnectListener;
use crate::error::{ErrorKind, PortError};
use crate::namespace::{error_from_js, native_runtime, runtime, runtime_any};
use crate::port::Port;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// Options for [`connect`] and [`connect_external`] (`runtime.connect`'s `connectInfo`).
///
/// ```
/// let info = webext_port::ConnectInfo::named("port-from-cs");
/// assert_eq!(info.name.as_deref(), Some("port-from-cs"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectInfo {
    /// The port name the other side sees (`""` when `None`).
    pub name: Option<String>,
    /// Chromium: ask for the TLS channel id in the receiver's `sender`.
    pub include_tls_channel_id: Option<bool>,
}

impl ConnectInfo {
    /// No name, no options.
    ///
    /// ```
    /// assert_eq!(webext_port::ConnectInfo::new().name, None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// With a port name.
    ///
    /// ```
    /// let info = webext_port::ConnectInfo::named("sidebar");
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        ConnectInfo {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    pub(crate) fn to_js(&self) -> JsValue {
        let info = Object::new();
        if let Some(name) = &self.name {
            let _ = Reflect::set(&info, &"name".into(), &name.into());
        }
        if let Some(tls) = self.include_tls_channel_id {
            let _ = Reflect::set(&info, &"includeTlsChannelId".into(), &tls.into());
        }
        info.into()
    }
}

/// Opens a port to this extension's background and extension pages (`runtime.connect`).
///
/// Use a port rather than one-off `runtime.sendMessage` when the two sides talk more than once:
/// both can send at any time, in order, and each learns when the other goes away (the tab closed,
/// the background stopped). From a content script this reaches the background; a context never
/// receives its own connect. The other side gets the port in its
/// [`on_connect`] listener, named `info.name`.
///
/// If nobody listens, the port's [`on_disconnect`](Port::on_disconnect) reports
/// [`ErrorKind::NoReceiver`] on a later task (not an `Err` here: the browser only knows later).
/// An `Err` now means there is no extension API: [`ErrorKind::NotInExtension`] in a plain page or
/// a web page (which may only use [`connect_external`]), or the browser's own error, such as
/// [`ErrorKind::ContextInvalidated`] in a content script whose extension was reloaded.
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo, ErrorKind};
/// // Content script: one connection to the background for the life of the page.
/// let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
/// port.post(&"hello from content script".into())?;
/// port.on_disconnect(|reason| {
///     if reason.error().map(|e| e.kind()) == Some(ErrorKind::NoReceiver) {
///         // The background has no onConnect listener (yet): connect again later.
///     }
/// });
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect(info: &ConnectInfo) -> Result<Port, PortError> {
    let raw = runtime("runtime.connect")?
        .connect(&info.to_js())
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap(raw))
}

/// Opens a port to another extension (`runtime.connect(extensionId, connectInfo)`), received there
/// by [`on_connect_external`].
///
/// An id nobody answers to, well-formed or not, gives the same outcome in every browser: a port
/// whose [`on_disconnect`](Port::on_disconnect) reports [`ErrorKind::NoReceiver`] on a later task.
/// (Chromium throws at once for an id that is not 32 letters a–p; Firefox, whose ids look like
/// `name@domain`, reports asynchronously; this function hides the difference.)
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo};
/// let port = runtime::connect_external("peer@example.org", &ConnectInfo::new())?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect_external(extension_id: &str, info: &ConnectInfo) -> Result<Port, PortError> {
    match runtime_any()?.connect_to(extension_id, &info.to_js()) {
        Ok(raw) => Ok(Port::wrap(raw)),
        Err(thrown) => {
            let err = error_from_js(&thrown);
            if err.kind() == ErrorKind::NoReceiver {
                Ok(Port::unreachable(info.name.as_deref().unwrap_or(""), &err))
            } else {
                Err(err)
            }
        }
    }
}

/// Opens a port to a native application (`runtime.connectNative`). [`Port::name`] is the
/// application name in every browser.
///
/// For work the browser cannot do itself (files, other programs, hardware): the browser starts
/// the installed host process and keeps it running as long as the port is open, so one port is
/// one conversation with one process (use `runtime.sendNativeMessage` for one question, one
/// answer). Background and extension pages only (the manifest needs the `nativeMessaging`
/// permission); a content script gets [`ErrorKind::Unsupported`] at once.
///
/// One outcome per case, whatever the browser reports:
/// - no such host, or not allowed for this extension: `on_disconnect` gets
///   [`ErrorKind::NativeHostNotFound`] (or [`ErrorKind::NativeHostForbidden`] where the browser tells);
/// - the host exits, crashes or closes its output: [`ErrorKind::NativeHostExited`];
/// - the host breaks the protocol (bad JSON, a message over 1 MiB): [`ErrorKind::NativeProtocolError`];
/// - a name that is not lowercase letters, digits, `_` and single inner dots:
///   [`ErrorKind::InvalidArgument`] at once;
/// - [`Port::post`] of more than [`MESSAGE_LIMIT`](crate::MESSAGE_LIMIT) bytes of
///   JSON: [`ErrorKind::MessageTooLarge`], before the browser sees it.
///
/// [`Port::disconnect`] closes the host's stdin; the browser then stops the process.
///
/// ```no_run
/// use webext_port::{runtime, ErrorKind};
/// let port = runtime::connect_native("ping_pong")?;
/// port.on_message(|reply| println!("host says {reply:?}")).forget();
/// port.on_disconnect(|reason| match reason.error().map(|e| e.kind()) {
///     // Tell the user to install the companion application.
///     Some(ErrorKind::NativeHostNotFound) => println!("ping_pong is not installed"),
///     _ => println!("host gone: {reason:?}"),
/// });
/// port.post(&"ping".into())?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect_native(application: &str) -> Result<Port, PortError> {
    if !is_native_host_name(application) {
        return Err(PortError::new(
            ErrorKind::InvalidArgument,
            crate::text::concat(&[
                &crate::text::quoted(application),
                " is not a native messaging host name (lowercase letters, digits, '_' and inner \
                 dots)",
            ]),
        ));
    }
    let raw = native_runtime()?
        .connect_native(application)
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap_native(raw, application))
}

/// Chromium's rule for host names (Firefox accepts a superset): `[a-z0-9_]+` parts joined by dots.
fn is_native_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Calls `handler` with every port this extension's other contexts open to this one
/// (`runtime.onConnect`), until the returned guard is dropped; first those that arrived before it
/// (see [`OnConnect`]). For the options (external ports, an allowlist) use [`OnConnect`].
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect(|port| {
///     if port.name() == "port-from-cs" {
///         let _ = port.post(&"hi there content script!".into());
///     }
/// })?;
/// // Keep `guard` for as long as this context should accept connections.
/// # drop(guard);
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect(handler: impl FnMut(Port) + 'static) -> Result<ConnectListener, PortError> {
    OnConnect::new().listen(handler)
}

/// Calls `handler` with every port another extension opens to this one
/// (`runtime.onConnectExternal`; background and extension pages only). To let only some
/// extensions through, use [`OnConnect::allowlist`].
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect_external(|port| {
///     // Anyone can connect: look at who it is before trusting it.
///     let caller = port.sender().and_then(|s| s.id);
/// })?;
/// # drop(guard);
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect_external(
    handler: impl FnMut(Port) + 'static,
) -> Result<ConnectListener, PortError> {
    OnConnect::new().external().listen(handler)
}

/// The options of a connection listener, one method each, ending with [`listen`](OnConnect::listen).
///
/// - [`external`](OnConnect::external): `runtime.onConnectExternal` (other extensions) instead of
///   `runtime.onConnect`;
/// - [`allowlist`](OnConnect::allowlist): only these extension ids get through, any other port is
///   disconnected at once and given to [`on_rejected`](OnConnect::on_rejected) (if set).
///
/// Every listener first receives, in arrival order, the ports that arrived before it existed
/// (with their early messages and disconnects): a Chromium service worker or Firefox event page
/// woken by a connection must have a listener in its first turn, before any wasm runs, so the
/// crate's own JS snippet holds them meanwhile; nothing to pass, nothing to copy (see "The JS you
/// ship" in the README). Only the first listener for an event
/// gets them; in a background they are let go after 5 s if no listener came.
///
/// ```no_run
/// use webext_port::{runtime::OnConnect, Allowlist};
/// // Background: accept the peer extension only, including connections that woke us up.
/// let guard = OnConnect::new()
///     .external()
///     .allowlist(Allowlist::new(["peer@example.org"]))
///     .on_rejected(|rejected| println!("refused {:?}", rejected.sender().and_then(|s| s.id.as_deref())))
///     .listen(|port| { let _ = port.post(&"welcome".into()); })?;
/// # drop(guard);
/// # Ok::<(), webext_port::PortError>(())
/// ```
#[must_use = "nothing listens until `listen` is called"]
#[derive(Default)]
pub struct OnConnect {
    external: bool,
    allowlist: Option<Allowlist>,
    on_rejected: Option<Box<dyn FnMut(Rejected)>>,
}

impl std::fmt::Debug for OnConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnConnect")
            .field("external", &self.external)
            .field("allowlist", &self.allowlist)
            .finish_non_exhaustive()
    }
}

impl OnConnect {
    /// `runtime.onConnect`, no holder, no allowlist.
    ///
    /// ```no_run
    /// // Same as runtime::on_connect(handler).
    /// let guard = webext_port::runtime::OnConnect::new().listen(|port| { /* … */ })?;
    /// # drop(guard);
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Listen to `runtime.onConnectExternal`: ports from other extensions.
    ///
    /// ```no_run
    /// let guard = webext_port::runtime::OnConnect::new().external().listen(|port| { /* … */ })?;
    /// # drop(guard);
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn external(mut self) -> Self {
        self.external = true;
        self
    }

    /// Only ports whose sender id is in `allowlist` reach the handler; others are disconnected at
    /// once (see [`Allowlist::admit`]). Meant for [`external`](OnConnect::external) listeners.
    ///
    /// ```no_run
    /// use webext_port::{runtime::OnConnect, Allowlist};
    /// let guard = OnConnect::new()
    ///     .external()
    ///     .allowlist(Allowlist::new(["peer@example.org", "eeipkioiegfamkjepdbdpahhcblbddbb"]))
    ///     .listen(|port| { /* only the peer gets here */ })?;
    /// # drop(guard);
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn allowlist(mut self, allowlist: Allowlist) -> Self {
        self.allowlist = Some(allowlist);
        self
    }

    /// Told about every port the [`allowlist`](OnConnect::allowlist) refused (already disconnected).
    ///
    /// ```no_run
    /// use webext_port::{runtime::OnConnect, Allowlist};
    /// let guard = OnConnect::new()
    ///     .external()
    ///     .allowlist(Allowlist::new(["peer@example.org"]))
    ///     // Worth a log line: an unknown extension tried to talk to us.
    ///     .on_rejected(|r| println!("refused {:?}", r.into_sender().and_then(|s| s.id)))
    ///     .listen(|port| { /* … */ })?;
    /// # drop(guard);
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn on_rejected(mut self, on_rejected: impl FnMut(Rejected) + 'static) -> Self {
        self.on_rejected = Some(Box::new(on_rejected));
        self
    }

    /// Registers the listener: `handler` gets every (admitted) port until the guard is dropped.
    ///
    /// ```no_run
    /// let guard = webext_port::runtime::OnConnect::new().listen(|port| { /* … */ })?;
    /// // Keep the guard (e.g. in a `thread_local!`) for as long as connections are welcome.
    /// # drop(guard);
    /// # Ok::<(), webext_port::PortError>(())
    /// ```
    pub fn listen(
        self,
        mut handler: impl FnMut(Port) + 'static,
    ) -> Result<ConnectListener, PortError> {
        let event = if self.external {
            "onConnectExternal"
        } else {
            "onConnect"
        };
        match self.allowlist {
            None => ConnectListener::register(event, handler),
            Some(allowlist) => {
                let mut on_rejected = self.on_rejected;
                ConnectListener::register(event, move |port| match allowlist.admit(port) {
                    Ok(port) => handler(port),
                    Err(rejected) => {
                        if let Some(on_rejected) = on_rejected.as_mut() {
                            on_rejected(rejected);
                        }
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_native_host_name;

    #[test]
    fn native_host_names_follow_chromiums_rule() {
        for good in ["ping_pong", "com.example.host", "a", "host_2"] {
            assert!(is_native_host_name(good), "{good}");
        }
        for bad in [
            "",
            "Ping",
            "has space",
            ".lead",
            "trail.",
            "two..dots",
            "dash-ed",
            "ü",
        ] {
            assert!(!is_native_host_name(bad), "{bad}");
        }
    }
}
