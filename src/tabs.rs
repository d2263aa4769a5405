//! `tabs.connect`: from the background (or an extension page) to the content scripts of a tab.
//!
//! The other direction from [`runtime::connect`](crate::runtime::connect): the background opens
//! the port, a content script's `runtime::on_connect` receives it. Name one frame when the answer
//! must come from one document: without a frame id the port reaches every frame of the tab, and
//! browsers disagree about it when one of them goes away (README, "Faults").
//!
//! ```no_run
//! use webext_port::tabs;
//!
//! # fn demo(tab_id: i32) -> Result<(), webext_port::PortError> {
//! let port = tabs::connect(tab_id, &tabs::ConnectInfo::named("port-from-bg").frame_id(0))?;
//! port.post(&"hello content script".into())?;
//! # Ok(())
//! # }
//! ```

use crate::error::{ErrorKind, PortError};
use crate::namespace::{error_from_js, tabs};
use crate::port::Port;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// Options for [`connect`] (`tabs.connect`'s `connectInfo`).
///
/// ```
/// let info = webext_port::tabs::ConnectInfo::named("port-from-bg").frame_id(0);
/// assert_eq!(info.frame_id, Some(0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectInfo {
    /// The port name the content script sees (`""` when `None`).
    pub name: Option<String>,
    /// Connect to one frame only (0 = top frame); all frames when `None`. An `i64` like
    /// [`MessageSender::frame_id`](crate::MessageSender::frame_id): Firefox's subframe ids exceed `i32`.
    pub frame_id: Option<i64>,
    /// Connect to one document only.
    pub document_id: Option<String>,
}

impl ConnectInfo {
    /// No name, every frame.
    ///
    /// ```
    /// assert_eq!(webext_port::tabs::ConnectInfo::new().frame_id, None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// With a port name.
    ///
    /// ```
    /// let info = webext_port::tabs::ConnectInfo::named("port-from-bg");
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        ConnectInfo {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Only this frame.
    ///
    /// ```
    /// let top_only = webext_port::tabs::ConnectInfo::new().frame_id(0);
    /// ```
    pub fn frame_id(mut self, frame_id: i64) -> Self {
        self.frame_id = Some(frame_id);
        self
    }

    /// Only this document.
    ///
    /// ```
    /// let info = webext_port::tabs::ConnectInfo::new().document_id("0F1E…");
    /// ```
    pub fn document_id(mut self, document_id: impl Into<String>) -> Self {
        self.document_id = Some(document_id.into());
        self
    }

    fn to_js(&self) -> JsValue {
        let info = Object::new();
        if let Some(name) = &self.name {
            let _ = Reflect::set(&info, &"name".into(), &name.into());
        }
        if let Some(frame_id) = self.frame_id {
            // Exact as a JS number: frame ids come from the browser, which keeps them below 2^53.
            let _ = Reflect::set(&info, &"frameId".into(), &(frame_id as f64).into());
        }
        if let Some(document_id) = &self.document_id {
            let _ = Reflect::set(&info, &"documentId".into(), &document_id.into());
        }
        info.into()
    }
}

/// Opens a port to the content scripts of tab `tab_id` (`tabs.connect`), received there by
/// [`runtime::on_connect`](crate::runtime::on_connect).
///
/// The background's way to start a conversation with a page (a content script cannot be
/// reached otherwise: it has no address but its tab). Without a frame id the connection goes to
/// the content scripts of every frame of the tab, and this one port talks to all of them (a post
/// reaches each frame, their replies all arrive here): pass [`ConnectInfo::frame_id`] when one
/// frame is meant. Only the background and extension pages have `tabs`: in a content script this is
/// [`ErrorKind::Unsupported`] at once.
///
/// A tab that does not exist, or has no listening content script, is reported the same way in
/// every browser: the port's [`on_disconnect`](Port::on_disconnect) gets
/// [`ErrorKind::NoReceiver`]. A negative id (or negative frame id) is
/// [`ErrorKind::InvalidArgument`] at once.
///
/// ```no_run
/// use webext_port::tabs;
/// # let tab_id = 1;
/// // Background: talk to the top frame of a tab (e.g. the one whose action was clicked).
/// let port = tabs::connect(tab_id, &tabs::ConnectInfo::named("port-from-bg").frame_id(0))?;
/// port.post(&"hello content script".into())?;
/// port.on_disconnect(|reason| {
///     // NoReceiver: the tab is gone, or its content script is not (yet) listening.
///     println!("tab port closed: {reason:?}");
/// });
/// # Ok::<(), webext_port::PortError>(())
/// ```
pub fn connect(tab_id: i32, info: &ConnectInfo) -> Result<Port, PortError> {
    if tab_id < 0 {
        return Err(PortError::new(
            ErrorKind::InvalidArgument,
            crate::text::concat(&[
                "tab id ",
                itoa::Buffer::new().format(tab_id),
                " is negative: no tab can have it",
            ]),
        ));
    }
    if info.frame_id.is_some_and(|f| f < 0) {
        return Err(PortError::new(
            ErrorKind::InvalidArgument,
            "frame id must not be negative",
        ));
    }
    let raw = tabs()?
        .connect(tab_id, &info.to_js())
        .map_err(|e| error_from_js(&e))?;
    Ok(Port::wrap(raw))
}
