//! Issue 9, item 4: every fault, one documented outcome each (demo/src/lifecycle_faults.rs).
//!
//! They run in a browser of their own, after the lifecycle scenarios: the last one reloads the
//! extension. The background keeps each watched port and reports what it saw; the test asks
//! (`fault-query`) until the disconnect shows (the completion signal), then once more after a
//! quiet period, so "x1" means exactly once.

use crate::browsers::{launch, Kind, Load};
use crate::lifecycle::{click, open_tabs, wait_until};
use crate::webdriver::{Result, Session};
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);
/// After the completion signal, before the final answer: a late second disconnect would show.
const QUIET: Duration = Duration::from_millis(300);

/// The other end's tab closes or navigates: both ports (the content script's, and a
/// `tabs.connect` back to it) end cleanly, once, and a post into them is refused.
const TAB_GONE: &str = "watch=clean x1 opener=clean x1 post=err:disconnected";

/// `(scenario, expected in both browsers)`.
pub fn expected() -> Vec<(&'static str, &'static str)> {
    vec![
        ("fault_tab_closed", TAB_GONE),
        ("fault_tab_navigated", TAB_GONE),
        (
            "fault_native_host_killed",
            "watch=err:native_host_exited x1 post=err:disconnected",
        ),
        ("fault_multi_frame_connected_frames", "all=2 top=1"),
        (
            "fault_multi_frame_top_frame_only_one_leaves",
            "watch=none post=ok",
        ),
    ]
}

/// The extension reloaded under a live content script: the rows of scenarios::KNOWN_DIFFERENCES.
pub const RELOADED: [&str; 3] = [
    "fault_extension_reloaded_port",
    "fault_extension_reloaded_connect_and_post",
    "fault_extension_reloaded_reconnecting_port",
];

/// The one fault whose outcome differs (see scenarios::KNOWN_DIFFERENCES).
pub const ALL_FRAMES_ONE_LEAVES: &str = "fault_multi_frame_all_frames_one_leaves";

/// Launches `kind` (no short idle timeout: a suspended background would end the watched ports)
/// and runs the fault scenarios.
pub fn observe(kind: Kind, load: &Load, origin: &str, logs: &Path) -> Vec<(String, String)> {
    eprintln!("--- {}: launching for the fault scenarios", kind.name());
    let mut names: Vec<&str> = expected().iter().map(|(s, _)| *s).collect();
    names.push(ALL_FRAMES_ONE_LEAVES);
    names.extend(RELOADED);
    names.extend(crate::leak::SCENARIOS.map(|(scenario, _)| scenario));
    let browser = match launch(kind, load, logs) {
        Ok(browser) => browser,
        Err(e) => {
            return names
                .iter()
                .map(|s| (s.to_string(), format!("error: {e}")))
                .collect()
        }
    };
    let session = &browser.session;
    let mut seen = Vec::new();
    let mut note = |scenario: &str, value: Result<String>| {
        let value = value.unwrap_or_else(|e| format!("error: {e}"));
        eprintln!("{}: {scenario}: {value}", kind.name());
        seen.push((scenario.to_owned(), value));
    };
    let query_tab = open_tabs(session, origin, 1, "faultq").map(|tabs| tabs[0].clone());
    let query_tab = match query_tab {
        Ok(tab) => tab,
        Err(e) => {
            for name in &names {
                note(name, Err(e.clone()));
            }
            return seen;
        }
    };
    note(
        "fault_tab_closed",
        tab_gone(session, origin, &query_tab, "closed", |s| s.close_tab()),
    );
    let next = format!("{origin}/test.html?navigated");
    note(
        "fault_tab_navigated",
        tab_gone(session, origin, &query_tab, "navigated", |s| {
            s.navigate(&next)?;
            s.wait_output("ready", WAIT).map(drop)
        }),
    );
    note("fault_native_host_killed", native_killed(session));
    match frames(session, origin, &query_tab) {
        Ok([connected, top, all]) => {
            note("fault_multi_frame_connected_frames", Ok(connected));
            note("fault_multi_frame_top_frame_only_one_leaves", Ok(top));
            note(ALL_FRAMES_ONE_LEAVES, Ok(all));
        }
        Err(e) => {
            for name in &names[3..5] {
                note(name, Err(e.clone()));
            }
            note(ALL_FRAMES_ONE_LEAVES, Err(e));
        }
    }
    // The leak check needs a background that stays (no short idle timeout): here.
    for (scenario, value) in crate::leak::observe(&browser, kind, origin) {
        note(&scenario, Ok(value));
    }
    // Last: the extension does not come back in Chromium (loaded with --load-extension).
    match reloaded(session, origin) {
        Ok(values) => {
            for (name, value) in RELOADED.iter().zip(values) {
                note(name, Ok(value));
            }
        }
        Err(e) => {
            for name in RELOADED {
                note(name, Err(e.clone()));
            }
        }
    }
    seen
}

/// Asks the background what the ports watched as `tag` saw, from the current tab.
fn query(session: &Session, tag: &str) -> Result<String> {
    session.clear_output("fault_query")?;
    click(session, "fault-query", tag)?;
    session.wait_output("fault_query", WAIT)
}

/// Asks until every watched port of `tag` saw its disconnect, then once more after `QUIET`.
fn query_after_disconnect(session: &Session, tag: &str, also: Option<&str>) -> Result<String> {
    wait_until(WAIT, || {
        let mut done = !query(session, tag)?.contains("=none");
        if let Some(other) = also {
            done = done && !query(session, other)?.contains("=none");
        }
        Ok(done)
    })?;
    std::thread::sleep(QUIET);
    query(session, tag)
}

/// Opens a tab whose ports are watched as `tag`, ends it with `end` (run in that tab), and asks
/// from `query_tab` what the background saw.
fn tab_gone(
    session: &Session,
    origin: &str,
    query_tab: &str,
    tag: &str,
    end: impl FnOnce(&Session) -> Result<()>,
) -> Result<String> {
    let tab = session.new_tab()?;
    session.switch_to(&tab)?;
    session.navigate(&format!("{origin}/test.html?fault={tag}"))?;
    session.wait_output("ready", WAIT)?;
    click(session, "fault-watch", tag)?;
    let ready = session.wait_output("fault_ready", WAIT)?;
    if ready != "ready" {
        return Err(format!("not watched: {ready}"));
    }
    end(session)?;
    session.switch_to(query_tab)?;
    query_after_disconnect(session, tag, None)
}

/// The native host's process is killed (SIGKILL) under a live port.
fn native_killed(session: &Session) -> Result<String> {
    click(session, "fault-native", "")?;
    let pid = session.wait_output("fault_native_pid", WAIT)?;
    let pid: u32 = pid.parse().map_err(|_| format!("no host pid: {pid}"))?;
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .map_err(|e| format!("kill: {e}"))?;
    if !status.success() {
        return Err(format!("kill -KILL {pid}: {status}"));
    }
    query_after_disconnect(session, "native", None)
}

/// A tab with an iframe (both run the content script): `tabs.connect` to all frames and to the
/// top frame only, then the iframe is removed. Returns how many frames each reached, then what
/// the top-only and the all-frames openers saw.
fn frames(session: &Session, origin: &str, query_tab: &str) -> Result<[String; 3]> {
    let tab = session.new_tab()?;
    session.switch_to(&tab)?;
    session.navigate(&format!("{origin}/frames.html"))?;
    session.wait_output("ready", WAIT)?;
    session.switch_to_frame(0)?;
    let inner = session.wait_output("ready", WAIT);
    session.switch_to_parent()?;
    inner?;
    click(session, "fault-frames", "all")?;
    let all = session.wait_output("fault_frames", WAIT)?;
    session.clear_output("fault_frames")?;
    click(session, "fault-frames", "top")?;
    let top = session.wait_output("fault_frames", WAIT)?;
    let connected = format!(
        "all={} top={}",
        all.trim_start_matches("answers="),
        top.trim_start_matches("answers=")
    );
    session.execute(
        "document.getElementById('inner').remove();",
        serde_json::json!([]),
    )?;
    session.switch_to(query_tab)?;
    // The completion signal: the iframe's own port to the background closed.
    let sub = query_after_disconnect(session, "frames-all/sub", None)?;
    if !sub.starts_with("watch=clean") {
        return Err(format!("the iframe's own port: {sub}"));
    }
    std::thread::sleep(QUIET);
    let top_only = query(session, "frames-top")?;
    let all_frames = query(session, "frames-all")?;
    session.switch_to(&tab)?;
    session.close_tab()?;
    session.switch_to(query_tab)?;
    Ok([connected, top_only, all_frames])
}

/// What is left of a content script whose extension was reloaded, when a new instance of the
/// content script answers the probe instead (Firefox).
pub const UNLOADED: &str = "unloaded: a new content script runs in the page";

/// The extension reloads under a live content script (a plain port and a reconnecting port
/// open): how the plain port ends, what the reconnecting port does, and then whether a new
/// `runtime.connect` and a post on the old port are refused. The old content script answers a
/// probe click; when a new instance answers instead, the old one is gone (`UNLOADED`).
fn reloaded(session: &Session, origin: &str) -> Result<[String; 3]> {
    let tab = session.new_tab()?;
    session.switch_to(&tab)?;
    session.navigate(&format!("{origin}/test.html?reload"))?;
    session.wait_output("ready", WAIT)?;
    click(session, "reload-watch", "")?;
    // The background answered; the content script's next message makes it call runtime.reload().
    let requested = session.wait_output("reload_requested", WAIT)?;
    if requested != "reloading" {
        return Err(format!("asking for the reload: {requested}"));
    }
    // The completion signal in Chromium: the port closed (a failed reload would be reported).
    // Firefox unloads the old script and injects a new one, which answers the probe below.
    let port = session.wait_output("reload_disconnect", WAIT).ok();
    if let Ok(failed) = session.wait_output("reload_requested", WAIT) {
        if failed != "reloading" {
            return Err(failed);
        }
    }
    click(session, "reload-probe", "")?;
    let probe = session.wait_output("reload_probe", WAIT)?;
    if probe == "new content script" {
        return Ok([UNLOADED, UNLOADED, UNLOADED].map(str::to_owned));
    }
    // It runs: it must also have seen its port close, and the reconnecting port give up.
    let port = port.ok_or("the old content script runs, but its port never closed")?;
    let reconnecting = session.wait_output("reload_reconnecting", WAIT)?;
    Ok([port, probe, reconnecting])
}
