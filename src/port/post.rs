//! The post path of [`Port`]: what `post` checks, and the one call into JS that checks and posts
//! the common message.

use super::validate::{self, MESSAGE_LIMIT};
use super::{disconnected_error, Port};
use crate::error::PortError;
use crate::namespace::error_from_js;
use crate::sys;
use wasm_bindgen::JsValue;

/// What [`Port::post_at_once`] did.
enum AtOnce {
    Posted,
    /// Not posted: the message needs the long check.
    Refused,
    /// Not tried: a batched port queues messages instead.
    Batching,
}

impl Port {
    /// Sends `message` to the other end.
    ///
    /// Errors, the same in every browser:
    /// [`ErrorKind::NotSerializable`] for anything but null, booleans, finite numbers, strings,
    /// arrays and plain objects of those (functions, symbols, BigInts, cycles, `undefined` outside an
    /// object property, NaN, Map, Set, Date, typed arrays, class instances…), checked before anything
    /// is sent; [`ErrorKind::MessageTooLarge`] for a message over [`MESSAGE_LIMIT`] bytes of JSON
    /// (any port: Chromium's limit, applied in Firefox too); [`ErrorKind::Disconnected`] once either side has
    /// disconnected; the browser's own classified error for anything else it throws.
    ///
    /// ```no_run
    /// # fn demo(port: webext_port::Port) -> Result<(), webext_port::PortError> {
    /// port.post(&wasm_bindgen::JsValue::from_str("ping"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`ErrorKind::NotSerializable`]: crate::ErrorKind::NotSerializable
    /// [`ErrorKind::MessageTooLarge`]: crate::ErrorKind::MessageTooLarge
    /// [`ErrorKind::Disconnected`]: crate::ErrorKind::Disconnected
    pub fn post(&self, message: &JsValue) -> Result<(), PortError> {
        match self.post_at_once(message)? {
            AtOnce::Posted => return Ok(()),
            AtOnce::Refused => validate::check_refused(message)?,
            AtOnce::Batching => validate::check_message(message)?,
        }
        self.post_checked(message)
    }

    /// The common case in one call into JS (`postChecked` in `src/js/serializable.js`): checked
    /// and posted, or refused, and then nothing was posted and the caller checks the long way,
    /// which says why (or measures a message that may be over the limit). Each wasm ↔ JS crossing
    /// costs about a microsecond on a port event (docs/performance.md, "Where the time goes");
    /// checking and posting separately took five.
    fn post_at_once(&self, message: &JsValue) -> Result<AtOnce, PortError> {
        if self.core.batching.get() {
            return Ok(AtOnce::Batching);
        }
        let posted = sys::post_checked(&self.core.raw, message, MESSAGE_LIMIT as f64)
            .map_err(|e| error_from_js(&e))?;
        if posted == 0 {
            self.after_post()?;
            Ok(AtOnce::Posted)
        } else {
            Ok(AtOnce::Refused)
        }
    }

    /// [`post`](Port::post) for values that are serializable by construction (the codec's
    /// output, RPC and port-set envelopes): only the size rule and the disconnect checks can
    /// refuse them.
    pub(crate) fn post_unchecked(&self, message: &JsValue) -> Result<(), PortError> {
        // The one call checks a string (a typed message) by its length alone, and walks an object
        // (a native port's JSON value, an envelope), which is cheaper than the exact measure
        // `check_size` would make of it; neither walk can refuse them for anything but size.
        match self.post_at_once(message)? {
            AtOnce::Posted => return Ok(()),
            AtOnce::Refused => {
                // Only the size can refuse it; what the walk found is not needed.
                let _ = sys::take_verdict();
                validate::check_size(message)?;
            }
            AtOnce::Batching => validate::check_size(message)?,
        }
        self.post_checked(message)
    }

    /// Posts a message whose checks were done by the caller (a reconnecting port checks a frame's
    /// size once, when it is first sent, and posts it again unchanged after a reconnect).
    pub(crate) fn post_trusted(&self, message: &JsValue) -> Result<(), PortError> {
        self.post_checked(message)
    }

    /// Posts a message that passed the checks.
    fn post_checked(&self, message: &JsValue) -> Result<(), PortError> {
        if self.core.batching.get() {
            return self.core.enqueue(message);
        }
        self.core
            .raw
            .post_message(message)
            .map_err(|e| error_from_js(&e))?;
        self.after_post()
    }

    /// What a post the browser took means: `Ok`, unless the port is closed already.
    fn after_post(&self) -> Result<(), PortError> {
        if self.core.is_connected() {
            Ok(())
        } else {
            // The browser took it, but nobody will ever receive it: say so rather than drop it.
            Err(disconnected_error())
        }
    }
}
