//! The live JS heap of the extension's background and of a content script's page, after a
//! forced garbage collection, for the leak check (issue 9).
//!
//! - Chromium: the DevTools protocol on the browser's own debugging port (ChromeDriver starts it
//!   and Chromium writes it to `DevToolsActivePort` in the profile): attach to the extension's
//!   service worker and to the test page, `HeapProfiler.collectGarbage`, `Runtime.getHeapUsage`
//!   (`usedSize`). A content script runs in its page's V8 isolate, so the page's heap holds it.
//! - Firefox: geckodriver's chrome context (`--allow-system-access`): the memory reporter
//!   manager minimizes memory (GC and CC in every process), then reports
//!   `js-main-runtime-gc-heap-committed/used/*` per process: the `extension` process runs the
//!   background, the process of 127.0.0.1 the content script.

use crate::browsers::{Browser, Kind};
use crate::webdriver::Result;
use serde_json::{json, Value};
use std::net::TcpStream;
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

/// Live JS heap bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heap {
    pub background: f64,
    pub content: f64,
}

/// Measures the heap of the background and of the page whose URL contains `page`.
pub fn measure(browser: &Browser, kind: Kind, page: &str) -> Result<Heap> {
    match kind {
        Kind::Chromium => chromium(browser, page),
        Kind::Firefox => firefox(browser),
    }
}

const FIREFOX: &str = r#"
const done = arguments[arguments.length - 1];
const mgr = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
mgr.minimizeMemoryUsage(() => {
  const sizes = {};
  mgr.getReports((process, path, kind, units, amount) => {
    if (path.startsWith("js-main-runtime-gc-heap-committed/used/")) {
      const key = process || "parent";
      sizes[key] = (sizes[key] || 0) + amount;
    }
  }, null, () => done(sizes), null, false);
});
"#;

fn firefox(browser: &Browser) -> Result<Heap> {
    let session = &browser.session;
    session.set_firefox_context("chrome")?;
    let sizes = session.execute_async(FIREFOX, json!([]));
    session.set_firefox_context("content")?;
    let sizes = sizes?;
    let sizes = sizes
        .as_object()
        .ok_or_else(|| format!("no heap sizes: {sizes}"))?;
    let find = |what: &dyn Fn(&str) -> bool| {
        sizes
            .iter()
            .filter(|(process, _)| what(process))
            .filter_map(|(_, v)| v.as_f64())
            .reduce(f64::max)
    };
    let background = find(&|p| p.starts_with("extension"))
        .ok_or_else(|| format!("no extension process in {sizes:?}"))?;
    let content = find(&|p| p.contains("127.0.0.1"))
        .or_else(|| find(&|p| p.starts_with("web")))
        .ok_or_else(|| format!("no web content process in {sizes:?}"))?;
    Ok(Heap {
        background,
        content,
    })
}

/// One DevTools connection to the browser target.
struct Cdp {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Cdp {
    fn open(browser: &Browser) -> Result<Cdp> {
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
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
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

    /// Attaches to the first target that `pick` accepts, collects garbage there and returns its
    /// used heap.
    fn heap_of(&mut self, targets: &[Value], pick: impl Fn(&Value) -> bool) -> Result<f64> {
        let target = targets
            .iter()
            .find(|t| pick(t))
            .ok_or_else(|| format!("no such target among {targets:?}"))?;
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("attachToTarget: no sessionId")?
            .to_owned();
        let result = (|| {
            self.call(Some(&session), "HeapProfiler.collectGarbage", json!({}))?;
            let usage = self.call(Some(&session), "Runtime.getHeapUsage", json!({}))?;
            usage["usedSize"]
                .as_f64()
                .ok_or_else(|| format!("no usedSize in {usage}"))
        })();
        let _ = self.call(
            None,
            "Target.detachFromTarget",
            json!({ "sessionId": session }),
        );
        result
    }
}

fn chromium(browser: &Browser, page: &str) -> Result<Heap> {
    let mut cdp = Cdp::open(browser)?;
    let targets = cdp.call(None, "Target.getTargets", json!({}))?;
    let targets = targets["targetInfos"]
        .as_array()
        .cloned()
        .ok_or("no targetInfos")?;
    let url = |t: &Value| t["url"].as_str().unwrap_or("").to_owned();
    let background = cdp.heap_of(&targets, |t| {
        t["type"] == "service_worker" && url(t).ends_with("/background.js")
    })?;
    let content = cdp.heap_of(&targets, |t| t["type"] == "page" && url(t).contains(page))?;
    Ok(Heap {
        background,
        content,
    })
}
