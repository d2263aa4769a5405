//! Which entry points work in which context: the same probe runs in the background, an extension
//! page, a content script, and web pages with and without `externally_connectable`. Each entry
//! point reports `ok` or `err:<kind>` from the call itself (any port it opened is closed at once).

use crate::protocol::{FromContent, ToContent};
use futures::StreamExt;
use wasm_bindgen::prelude::*;
use webext_port::{runtime, tabs, ConnectInfo, Port, PortError};

/// A well-formed id no installed extension has.
const NOBODY: &str = "abcdefghijklmnopabcdefghijklmnop";

fn opened(result: Result<Port, PortError>) -> String {
    match result {
        Ok(port) => {
            let _ = port.disconnect();
            "ok".to_owned()
        }
        Err(err) => format!("err:{}", err.kind()),
    }
}

fn listened<T>(result: Result<T, PortError>) -> String {
    match result {
        Ok(listener) => {
            drop(listener);
            "ok".to_owned()
        }
        Err(err) => format!("err:{}", err.kind()),
    }
}

/// `name=outcome` for every entry point, space-separated; `connect_external` only when
/// `with_external` (a web page's `connect_external` is reported on its own, see `web_page_hello`),
/// `connect_native` only when `with_native` (a content script's is a known browser difference,
/// reported on its own).
pub fn probe(with_external: bool, with_native: bool) -> String {
    let mut parts = vec![format!(
        "connect={}",
        opened(runtime::connect(&ConnectInfo::named("probe")))
    )];
    if with_external {
        parts.push(format!(
            "external={}",
            opened(runtime::connect_external(
                NOBODY,
                &ConnectInfo::named("probe")
            ))
        ));
    }
    if with_native {
        parts.push(format!(
            "native={}",
            opened(runtime::connect_native("webext_port_no_such_host"))
        ));
    }
    parts.push(format!(
        "tabs={}",
        opened(tabs::connect(999_999, &tabs::ConnectInfo::named("probe")))
    ));
    parts.push(format!(
        "on_connect={}",
        listened(runtime::on_connect(|_| {}))
    ));
    parts.push(format!(
        "on_connect_external={}",
        listened(runtime::on_connect_external(|_| {}))
    ));
    parts.join(" ")
}

/// The probe for a page: an extension page (`with_external` true) or a web page (false).
#[wasm_bindgen]
pub fn probe_entry_points(with_external: bool) -> String {
    probe(with_external, true)
}

/// A web page says hello to the demo extension (`extension_id`) over `connect_external` and
/// calls `done` with what came back ("welcome web page", or `err:<kind>`).
#[wasm_bindgen]
pub fn web_page_hello(extension_id: &str, done: js_sys::Function) {
    let report = move |value: String| {
        let _ = done.call1(&JsValue::UNDEFINED, &value.into());
    };
    let port = match runtime::connect_external(extension_id, &ConnectInfo::named("web-page")) {
        Ok(port) => port.typed::<ToContent, FromContent>(),
        Err(err) => return report(format!("err:{}", err.kind())),
    };
    let _ = port.send(&FromContent::Greeting("hello from a web page".into()));
    wasm_bindgen_futures::spawn_local(async move {
        let value = match port.messages().next().await {
            Some(Ok(ToContent::Greeting(text))) => text,
            Some(Ok(other)) => format!("unexpected {other:?}"),
            Some(Err(err)) => format!("err:{}", err.kind()),
            None => crate::js::reason(&port.closed().await),
        };
        let _ = port.disconnect();
        report(value);
    });
}

/// `runtime.getURL(path)`: where the test opens the demo's extension page.
pub fn extension_url(path: &str) -> String {
    crate::js::api("runtime")
        .and_then(|runtime| crate::js::call(&runtime, "getURL", &path.into()))
        .and_then(|url| url.as_string())
        .unwrap_or_default()
}
