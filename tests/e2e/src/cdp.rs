//! One DevTools protocol connection to Chromium's browser target, on the browser's own debugging
//! port (ChromeDriver starts it and Chromium writes it to `DevToolsActivePort` in the profile),
//! with flat sessions on the targets it attaches to (the extension's service worker, a page).
//! Used by the heap measurement (`heap.rs`) and the bench's CPU profiles (`bench/profile.rs`).

use crate::browsers::Browser;
use crate::webdriver::Result;
use serde_json::{json, Value};
use std::net::TcpStream;
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

pub struct Cdp {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Cdp {
    pub fn open(browser: &Browser) -> Result<Cdp> {
        let file = browser.profile().join("DevToolsActivePort");
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut lines = text.lines();
        let (Some(port), Some(path)) = (lines.next(), lines.next()) else {
            return Err(format!("unexpected DevToolsActivePort: {text:?}"));
        };
        let url = format!("ws://127.0.0.1:{}{path}", port.trim());
        let (socket, _) = tungstenite::connect(url.as_str()).map_err(|e| format!("{url}: {e}"))?;
        Ok(Cdp { socket, next: 1 })
    }

    /// Sends `method` (to the attached target `session`, if any) and waits for its result.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let id = self.next;
        self.next += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .map_err(|e| format!("{method}: {e}"))?;
        loop {
            let message = self.socket.read().map_err(|e| format!("{method}: {e}"))?;
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            if value["id"] != json!(id) {
                continue; // an event, or another reply
            }
            if let Some(error) = value.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(value["result"].clone());
        }
    }

    /// Every target of the browser (`Target.getTargets`).
    pub fn targets(&mut self) -> Result<Vec<Value>> {
        let targets = self.call(None, "Target.getTargets", json!({}))?;
        targets["targetInfos"]
            .as_array()
            .cloned()
            .ok_or_else(|| "no targetInfos".to_owned())
    }

    /// Attaches to the first of `targets` that `pick` accepts; returns the session id.
    pub fn attach(&mut self, targets: &[Value], pick: impl Fn(&Value) -> bool) -> Result<String> {
        let target = targets
            .iter()
            .find(|t| pick(t))
            .ok_or_else(|| format!("no such target among {targets:?}"))?;
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )?;
        attached["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "attachToTarget: no sessionId".to_owned())
    }

    /// Detaches `session`; errors are ignored (the target may be gone).
    pub fn detach(&mut self, session: &str) {
        let _ = self.call(
            None,
            "Target.detachFromTarget",
            json!({ "sessionId": session }),
        );
    }
}

/// The URL of a `Target.getTargets` entry, or "".
pub fn url(target: &Value) -> &str {
    target["url"].as_str().unwrap_or("")
}

/// The extension's background service worker (its script is `background.js`).
pub fn is_background(target: &Value) -> bool {
    target["type"] == "service_worker" && url(target).ends_with("/background.js")
}

/// The page whose URL contains `page` (a content script runs in its page's V8 isolate).
pub fn is_page(target: &Value, page: &str) -> bool {
    target["type"] == "page" && url(target).contains(page)
}
