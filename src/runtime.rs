//! `runtime.connect`, `runtime.connectNative`, `runtime.onConnect` and `runtime.onConnectExternal`.

use crate::connect_listener::ConnectListener;
use crate::error::PortError;
use crate::namespace::{error_from_js, runtime};
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
    let raw = runtime()?
        .connect(&info.to_js())
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap(raw, None))
}

/// Opens a port to another extension (`runtime.connect(extensionId, connectInfo)`), received there
/// by [`on_connect_external`].
///
/// ```no_run
/// use webext_port::{runtime, ConnectInfo};
/// let port = runtime::connect_external("peer@example.org", &ConnectInfo::new())?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect_external(extension_id: &str, info: &ConnectInfo) -> Result<Port, PortError> {
    let raw = runtime()?
        .connect_to(extension_id, &info.to_js())
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap(raw, None))
}

/// Opens a port to a native application (`runtime.connectNative`). [`Port::name`] is the
/// application name in every browser.
///
/// ```no_run
/// let port = webext_port::runtime::connect_native("ping_pong")?;
/// port.post(&"ping".into())?;
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect_native(application: &str) -> Result<Port, PortError> {
    let raw = runtime()?
        .connect_native(application)
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap(raw, Some(application.to_owned())))
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
