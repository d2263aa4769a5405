//! The few W3C WebDriver commands the harness needs, over plain HTTP, plus the vendor ones
//! (Firefox add-on install).

use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub type Result<T> = std::result::Result<T, String>;

pub struct Session {
    base: String,
    id: String,
    agent: ureq::Agent,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Result<Value> {
    let request = agent.request(method, url);
    let response = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    let text = match response {
        Ok(response) => response.into_string().map_err(|e| e.to_string())?,
        Err(ureq::Error::Status(code, response)) => {
            let text = response.into_string().unwrap_or_default();
            return Err(format!("{method} {url}: HTTP {code}: {text}"));
        }
        Err(err) => return Err(format!("{method} {url}: {err}")),
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{method} {url}: {e}: {text}"))?;
    Ok(value.get("value").cloned().unwrap_or(Value::Null))
}

/// Waits until the driver at `base` answers /status with ready.
pub fn wait_ready(base: &str, timeout: Duration) -> Result<()> {
    let agent = agent();
    let start = Instant::now();
    loop {
        if let Ok(status) = call(&agent, "GET", &format!("{base}/status"), None) {
            if status.get("ready").and_then(Value::as_bool) == Some(true) {
                return Ok(());
            }
        }
        if start.elapsed() > timeout {
            return Err(format!("driver at {base} not ready after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Session {
    pub fn new(base: &str, capabilities: Value) -> Result<Session> {
        let agent = agent();
        let value = call(
            &agent,
            "POST",
            &format!("{base}/session"),
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no sessionId in {value}"))?
            .to_owned();
        Ok(Session {
            base: base.to_owned(),
            id,
            agent,
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        call(
            &self.agent,
            method,
            &format!("{}/session/{}{path}", self.base, self.id),
            body,
        )
    }

    pub fn install_firefox_addon(&self, dir: &str) -> Result<Value> {
        self.cmd(
            "POST",
            "/moz/addon/install",
            Some(json!({ "path": dir, "temporary": true })),
        )
    }

    /// A Chrome DevTools Protocol command through ChromeDriver (`goog/cdp/execute`). It acts on
    /// the current window: send related commands (`ServiceWorker.enable`, then
    /// `ServiceWorker.stopAllWorkers`) with the same window current, or they do nothing.
    pub fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// Stops every service worker of the browser (Chromium): the extension's background among
    /// them. Both CDP commands go to the current window.
    pub fn stop_service_workers(&self) -> Result<()> {
        self.cdp("ServiceWorker.enable", json!({}))?;
        self.cdp("ServiceWorker.stopAllWorkers", json!({}))
            .map(drop)
    }

    /// The browser's Back button in the current tab.
    pub fn back(&self) -> Result<()> {
        self.cmd("POST", "/back", Some(json!({}))).map(drop)
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
    }

    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    pub fn click_css(&self, selector: &str) -> Result<()> {
        let element = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": selector })),
        )?;
        let id = element
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no element for {selector}: {element}"))?
            .to_owned();
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})))
            .map(drop)
    }

    /// Sets `data-arg` on the element matching `selector`.
    pub fn set_arg(&self, selector: &str, arg: &str) -> Result<()> {
        self.execute(
            "document.querySelector(arguments[0]).dataset.arg = arguments[1];",
            json!([selector, arg]),
        )
        .map(drop)
    }

    /// Opens a new tab and returns its handle (without switching to it).
    pub fn new_tab(&self) -> Result<String> {
        let value = self.cmd("POST", "/window/new", Some(json!({ "type": "tab" })))?;
        value
            .get("handle")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no handle in {value}"))
    }

    /// Every open tab's handle.
    pub fn tabs(&self) -> Result<Vec<String>> {
        let value = self.cmd("GET", "/window/handles", None)?;
        value
            .as_array()
            .map(|handles| {
                handles
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .ok_or_else(|| format!("no handles in {value}"))
    }

    /// The current tab's URL.
    pub fn url(&self) -> Result<String> {
        self.cmd("GET", "/url", None)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no URL".to_owned())
    }

    pub fn current_tab(&self) -> Result<String> {
        self.cmd("GET", "/window", None)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no window handle".to_owned())
    }

    pub fn switch_to(&self, handle: &str) -> Result<()> {
        self.cmd("POST", "/window", Some(json!({ "handle": handle })))
            .map(drop)
    }

    /// Runs `script` as an async WebDriver script: it calls its last argument with the result.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Firefox: runs the next scripts in the `chrome` (privileged) or `content` context.
    pub fn set_firefox_context(&self, context: &str) -> Result<()> {
        self.cmd("POST", "/moz/context", Some(json!({ "context": context })))
            .map(drop)
    }

    /// Switches into the `index`th frame of the current document.
    pub fn switch_to_frame(&self, index: u32) -> Result<()> {
        self.cmd("POST", "/frame", Some(json!({ "id": index })))
            .map(drop)
    }

    /// Switches back to the parent of the current frame.
    pub fn switch_to_parent(&self) -> Result<()> {
        self.cmd("POST", "/frame/parent", Some(json!({}))).map(drop)
    }

    /// Closes the current tab.
    pub fn close_tab(&self) -> Result<()> {
        self.cmd("DELETE", "/window", None).map(drop)
    }

    /// Polls the text of `<output id="r-KEY">` until it exists (and is not in `not`).
    pub fn wait_output(&self, key: &str, timeout: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            let value = self.execute(
                "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
                json!([format!("r-{key}")]),
            )?;
            if let Some(text) = value.as_str() {
                return Ok(text.to_owned());
            }
            if start.elapsed() > timeout {
                return Err(format!("timeout waiting for r-{key}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the current tab (`GET /session/{id}/screenshot`: base64).
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        let value = self.cmd("GET", "/screenshot", None)?;
        let text = value
            .as_str()
            .ok_or_else(|| format!("no screenshot in {value}"))?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("screenshot: {e}"))
    }

    /// Resizes the current window (`POST /window/rect`).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .map(drop)
    }

    /// Removes `<output id="r-KEY">` so the next wait sees a fresh value.
    pub fn clear_output(&self, key: &str) -> Result<()> {
        self.execute(
            "document.getElementById(arguments[0])?.remove();",
            json!([format!("r-{key}")]),
        )
        .map(drop)
    }

    pub fn delete(&self) {
        let _ = call(
            &self.agent,
            "DELETE",
            &format!("{}/session/{}", self.base, self.id),
            None,
        );
    }
}
