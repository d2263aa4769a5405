//! The RAII registration of a Rust closure on an extension event (the gloo-events pattern).

use crate::namespace::error_from_js;
use crate::sys::RawEvent;
use crate::PortError;
use std::fmt;
use wasm_bindgen::closure::{Closure, WasmClosure};
use wasm_bindgen::JsCast;

/// Owns a closure *and* its registration: creating it adds the listener, dropping it removes the
/// listener at once and frees the closure one microtask later.
///
/// The delay makes it safe to drop a listener from inside its own call (a message handler that
/// drops its own guard): the closure is never freed while it is on the stack.
pub(crate) struct EventListener<F: ?Sized + 'static> {
    event: RawEvent,
    function: js_sys::Function,
    closure: Option<Closure<F>>,
}

impl<F: ?Sized + WasmClosure + 'static> EventListener<F> {
    /// Adds `closure` to `event`.
    pub(crate) fn add(event: RawEvent, closure: Closure<F>) -> Result<Self, PortError> {
        let function: js_sys::Function = closure.as_ref().clone().unchecked_into();
        event
            .add_listener(&function)
            .map_err(|e| error_from_js(&e))?;
        Ok(EventListener {
            event,
            function,
            closure: Some(closure),
        })
    }
}

impl<F: ?Sized + 'static> Drop for EventListener<F> {
    fn drop(&mut self) {
        // Removing can only fail when the extension context is gone, and then nothing calls it.
        let _ = self.event.remove_listener(&self.function);
        if let Some(closure) = self.closure.take() {
            wasm_bindgen_futures::spawn_local(async move { drop(closure) });
        }
    }
}

impl<F: ?Sized + 'static> fmt::Debug for EventListener<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventListener").finish_non_exhaustive()
    }
}
