//! Issue 9 scenarios: the background goes away and comes back.
//!
//! They run in a browser of their own (they stop the background, which the other scenarios keep):
//! Chromium stops its service worker on demand over CDP; Firefox is started with a short
//! `extensions.background.idle.timeout`, so its event page suspends whenever it idles. In both,
//! "the background is gone" is observed, never assumed: every tab's main port reports its
//! disconnect (`bg_gone`) before the test goes on.

use crate::browsers::{launch, Kind, Load};
use crate::webdriver::{Result, Session};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Tabs that connect at once to a stopped background (issue 9: 20).
pub const COLD_TABS: usize = 20;
/// Messages each of them posts right after connecting (demo/src/lifecycle.rs `COLD_MESSAGES`).
const COLD_MESSAGES: usize = 5;
/// Firefox's idle timeout in these runs: suspended ~2 s after the last event (TOOLCHAIN.md).
pub const FIREFOX_IDLE_MS: u32 = 2000;

const WAIT: Duration = Duration::from_secs(30);

/// Every cold port reached Rust with its messages in order.
pub fn cold_start_expected() -> String {
    format!(
        "{COLD_TABS}/{COLD_TABS} ports, {m}/{m} messages in order",
        m = COLD_TABS * COLD_MESSAGES
    )
}

/// Launches `kind` for the lifecycle scenarios and runs them; a browser that cannot start fails
/// each of them.
pub fn observe(kind: Kind, load: &Load, origin: &str, logs: &Path) -> Vec<(String, String)> {
    let load = Load {
        extensions: load.extensions,
        native_manifests: load.native_manifests,
        background_idle_ms: Some(FIREFOX_IDLE_MS),
    };
    eprintln!("--- {}: launching for the lifecycle scenarios", kind.name());
    match launch(kind, &load, logs) {
        Ok(browser) => vec![(
            "cold_start_all_reach_rust".to_owned(),
            cold_start(&browser.session, kind, origin).unwrap_or_else(|e| format!("error: {e}")),
        )],
        Err(e) => vec![(
            "cold_start_all_reach_rust".to_owned(),
            format!("error: {e}"),
        )],
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Opens `count` test tabs (the first in the current window); each waits for its content script's
/// first reply, so the background has run.
fn open_tabs(session: &Session, origin: &str, count: usize, tag: &str) -> Result<Vec<String>> {
    let mut tabs = Vec::new();
    for i in 0..count {
        let handle = if i == 0 {
            session.current_tab()?
        } else {
            session.new_tab()?
        };
        session.switch_to(&handle)?;
        session.navigate(&format!("{origin}/test.html?{tag}={i}"))?;
        session.wait_output("ready", WAIT)?;
        session.wait_output("cs_greeting_reply", WAIT)?;
        tabs.push(handle);
    }
    Ok(tabs)
}

/// Stops the background (Chromium) or lets it idle out (Firefox), and waits until every tab's
/// main port saw it go.
fn background_gone(session: &Session, kind: Kind, tabs: &[String]) -> Result<()> {
    if kind == Kind::Chromium {
        session.stop_service_workers()?;
    }
    for tab in tabs {
        session.switch_to(tab)?;
        let gone = session.wait_output("bg_gone", WAIT)?;
        if gone != "clean" {
            return Err(format!("the background went away with {gone:?}"));
        }
    }
    Ok(())
}

/// Clicks a lifecycle command in the current tab (a button made for it, so test.html needs none).
pub fn click(session: &Session, cmd: &str, arg: &str) -> Result<()> {
    session
        .execute(
            "const b = document.createElement('button');
             b.dataset.cmd = arguments[0]; b.dataset.arg = arguments[1];
             document.body.append(b); b.click(); b.remove();",
            json!([cmd, arg]),
        )
        .map(drop)
}

/// Closes every tab but the first.
fn close_extra_tabs(session: &Session, tabs: &[String]) -> Result<()> {
    for tab in tabs.iter().skip(1) {
        session.switch_to(tab)?;
        session.close_tab()?;
    }
    match tabs.first() {
        Some(first) => session.switch_to(first),
        None => Ok(()),
    }
}

/// Issue 9, first test: with the background stopped, COLD_TABS tabs connect at the same moment
/// and post COLD_MESSAGES each; the (woken) background's Rust code must get every port and every
/// message, in order per port. Reports "<ports ok>/<tabs> ports, <messages>/<all> messages in order".
fn cold_start(session: &Session, kind: Kind, origin: &str) -> Result<String> {
    let tabs = open_tabs(session, origin, COLD_TABS, "cold")?;
    background_gone(session, kind, &tabs)?;
    // One moment for all tabs, far enough ahead to arm them all first.
    let at = now_ms() + 2000 + 150 * COLD_TABS as u128;
    for tab in &tabs {
        session.switch_to(tab)?;
        click(session, "cold-connect", &at.to_string())?;
    }
    let armed = now_ms();
    if armed >= at {
        return Err(format!("arming took too long ({} ms late)", armed - at));
    }
    let mut ok = 0;
    let mut starts = Vec::new();
    for (i, tab) in tabs.iter().enumerate() {
        session.switch_to(tab)?;
        let verdict = session.wait_output("cold", WAIT)?;
        if let Ok(started) = session.wait_output("cold_at", WAIT)?.parse::<u128>() {
            starts.push(started);
        }
        if verdict == format!("{COLD_MESSAGES} in order") {
            ok += 1;
        } else {
            eprintln!("{}: cold tab {i}: {verdict}", kind.name());
        }
    }
    let spread = starts
        .iter()
        .max()
        .zip(starts.iter().min())
        .map(|(a, b)| a - b);
    eprintln!(
        "{}: cold start: {ok}/{COLD_TABS} tabs got every message; connects within {spread:?} ms",
        kind.name()
    );
    close_extra_tabs(session, &tabs)?;
    Ok(format!(
        "{ok}/{COLD_TABS} ports, {}/{} messages in order",
        ok * COLD_MESSAGES,
        COLD_TABS * COLD_MESSAGES
    ))
}

/// Waits up to `timeout` for `done` to hold, polling.
#[allow(dead_code)]
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while !done()? {
        if start.elapsed() > timeout {
            return Err(format!("not done after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
