//! `runtime.connect`, `runtime.connectNative`, `runtime.onConnect` and `runtime.onConnectExternal`.

use crate::allowlist::Allowlist;
use crate::connect_listener::ConnectListener;
use crate::error::{ErrorKind, PortError};
use crate::namespace::{error_from_js, native_runtime, runtime, runtime_any};
use crate::port::Port;
use crate::sender::MessageSender;
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
/// From a content script this reaches the background; a context never receives its own connect.
/// If nobody listens, the port's [`on_disconnect`](Port::on_disconnect) reports
/// [`ErrorKind::NoReceiver`](crate::ErrorKind::NoReceiver).
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo};
/// let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?;
/// port.post(&"hello from content script".into())?;
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
/// let port = webext_port::runtime::connect_native("ping_pong")?;
/// port.post(&"ping".into())?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect_native(application: &str) -> Result<Port, PortError> {
    if !is_native_host_name(application) {
        return Err(PortError::new(
            ErrorKind::InvalidArgument,
            format!("{application:?} is not a native messaging host name (lowercase letters, digits, '_' and inner dots)"),
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
/// (`runtime.onConnect`), until the returned guard is dropped.
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect(|port| {
///     if port.name() == "port-from-cs" {
///         let _ = port.post(&"hi there content script!".into());
///     }
/// })?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect(handler: impl FnMut(Port) + 'static) -> Result<ConnectListener, PortError> {
    ConnectListener::register("onConnect", None, handler)
}

/// Like [`on_connect`], but first hands `handler` the ports that `www/hold.js` held while the
/// wasm was loading (with their early messages and disconnects), then releases the holder.
///
/// A Chromium service worker woken by a connection must have an `onConnect` listener by the end of
/// its first turn, before any wasm can run; the bootstrap's holder is that listener.
///
/// ```no_run
/// # let held = wasm_bindgen::JsValue::NULL;
/// let guard = webext_port::runtime::on_connect_with_held(&held, |port| { /* … */ })?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect_with_held(
    held: &JsValue,
    handler: impl FnMut(Port) + 'static,
) -> Result<ConnectListener, PortError> {
    ConnectListener::register("onConnect", Some(held), handler)
}

/// Calls `handler` with every port another extension opens to this one
/// (`runtime.onConnectExternal`; background and extension pages only).
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect_external(|port| {
///     let caller = port.sender().and_then(|s| s.id);
/// })?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect_external(
    handler: impl FnMut(Port) + 'static,
) -> Result<ConnectListener, PortError> {
    ConnectListener::register("onConnectExternal", None, handler)
}

/// Like [`on_connect_external`], but first hands `handler` the ports `www/hold.js` held while the
/// wasm was loading (see [`on_connect_with_held`]).
///
/// ```no_run
/// # let held = wasm_bindgen::JsValue::NULL;
/// let guard = webext_port::runtime::on_connect_external_with_held(&held, |port| { /* … */ })?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect_external_with_held(
    held: &JsValue,
    handler: impl FnMut(Port) + 'static,
) -> Result<ConnectListener, PortError> {
    ConnectListener::register("onConnectExternal", Some(held), handler)
}

/// Like [`on_connect_external`], but only extensions in `allowed_ids` get through: a port from any
/// other extension is disconnected at once and reported to `on_rejected` with its sender.
/// (Built on [`Allowlist`], which also works with [`on_connect_external_with_held`].)
///
/// ```no_run
/// let guard = webext_port::runtime::on_connect_external_allowed(
///     ["peer@example.org", "eeipkioiegfamkjepdbdpahhcblbddbb"],
///     |port| { let _ = port.post(&"welcome".into()); },
///     |sender| println!("refused a port from {:?}", sender.and_then(|s| s.id)),
/// )?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn on_connect_external_allowed<I, S>(
    allowed_ids: I,
    mut on_port: impl FnMut(Port) + 'static,
    mut on_rejected: impl FnMut(Option<MessageSender>) + 'static,
) -> Result<ConnectListener, PortError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let allowlist = Allowlist::new(allowed_ids);
    on_connect_external(move |port| match allowlist.admit(port) {
        Ok(port) => on_port(port),
        Err(rejected) => on_rejected(rejected.into_sender()),
    })
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
