//! The MDN `runtime.Port` example ("Connection-based messaging"), in Rust.
//!
//! Content script: connect as "port-from-cs", greet, log what the background says, and say
//! "they clicked the page!" on every click. Background: keep every content script's port, reply
//! "hi there content script!", log what arrives, and broadcast "they clicked the button!" (MDN:
//! on the toolbar button; here from the ports page, which the toolbar button opens). A
//! [`PortSet`] keys ports by tab, frame and document, so a tab with the content script in two
//! frames keeps both, and a closed tab's port leaves by itself.
//!
//! The two `test::` calls are the end-to-end tests' view of the same traffic; the `port_log::`
//! calls are the ports page's (connects, messages each way, errors).

use crate::js::log;
use crate::port_log;
use crate::protocol::{FromContent, ToContent};
use crate::{background::test as background_test, content::test as content_test};
use webext_port::port_set::{PortKey, PortSet, Sent};
use webext_port::{runtime, ConnectInfo, Port, PortError, TypedPort};

thread_local! {
    /// Background: every content script's "port-from-cs" (MDN: `portFromCS`, one per frame).
    pub static PORTS: PortSet<FromContent, ToContent> = PortSet::new();
}

/// Content script: connect, greet, log replies. Returns the port for the click handler.
pub fn content_script() -> Result<TypedPort<ToContent, FromContent>, PortError> {
    let port = runtime::connect(&ConnectInfo::named("port-from-cs"))?.typed();
    port.send(&FromContent::Greeting("hello from content script".into()))?;
    let replies = port.clone();
    port.on_message(move |message| match message {
        Ok(ToContent::Greeting(text)) => {
            log(&format!(
                "In content script, received message from background script: {text}"
            ));
            content_test::greeting(&text);
        }
        Ok(ToContent::Broadcast(n)) => {
            let _ = replies.send(&FromContent::Received(n));
        }
        Ok(ToContent::Note(text)) => content_test::note(&text),
        Err(err) => log(&format!("not a message for us: {err}")),
    })
    .forget(); // as long as the port lives
    Ok(port)
}

/// Content script: `document.body.onclick`.
pub fn clicked(port: &TypedPort<ToContent, FromContent>) {
    let _ = port.send(&FromContent::Greeting("they clicked the page!".into()));
}

/// Background: `browser.runtime.onConnect` for "port-from-cs".
pub fn connected(port: Port) {
    let port = port.typed::<FromContent, ToContent>();
    let Ok(key) = PORTS.with(|ports| ports.insert(port.clone())) else {
        return log("a port-from-cs port without a tab: ignored");
    };
    let row = port_log::connected(&key, port.port());
    send_to(
        &key,
        row,
        &ToContent::Greeting("hi there content script!".into()),
    );
    let from = key.clone();
    port.on_message(move |message| {
        port_log::received(row, &message);
        received(&from, message)
    })
    .forget();
}

/// What the background does with each message of a content script.
fn received(from: &PortKey, message: Result<FromContent, PortError>) {
    match message {
        Ok(FromContent::Greeting(text)) => {
            log(&format!(
                "In background script, received message from content script: {text}"
            ));
            background_test::greeting(from, text);
        }
        Ok(FromContent::Received(n)) => background_test::received(from, n),
        Err(err) => log(&format!("not a message for us: {err}")),
    }
}

/// Background: `browser.action.onClicked` (MDN; here the ports page's "broadcast" button) →
/// every content script, every frame, once each.
pub fn broadcast() -> Sent {
    send_to_all(&ToContent::Greeting("they clicked the button!".into()))
}

/// Background: `message` to every content script, every frame, once each.
pub fn send_to_all(message: &ToContent) -> Sent {
    let sent = PORTS.with(|ports| ports.broadcast(message));
    for (key, err) in &sent.failed {
        log(&format!("broadcast missed {key}: {err}"));
    }
    port_log::sent_to_set(&sent, message);
    sent
}

/// Background: `message` to the content script of one frame (`row` in the ports page's log).
pub fn send_to(key: &PortKey, row: u32, message: &ToContent) {
    let outcome = PORTS.with(|ports| ports.send_to_frame(key, message));
    port_log::sent(row, message, &outcome);
}

/// The port of one content script, if it is connected.
pub fn port_of(key: &PortKey) -> Option<TypedPort<FromContent, ToContent>> {
    PORTS.with(|ports| ports.get(key))
}
