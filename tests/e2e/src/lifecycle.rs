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
/// The fault "background stopped": what each of the cold-start tabs' main port saw.
pub const BACKGROUND_STOPPED_SCENARIO: &str = "fault_background_stopped";

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
    let scenarios = [
        "cold_start_all_reach_rust",
        BACKGROUND_STOPPED_SCENARIO,
        "zero_loss_stream_each_way",
        "zero_loss_stream_background_restarts",
        "bfcache_other_side_sees",
        "bfcache_post_into_cached_page",
        "bfcache_cached_page_port",
    ];
    let browser = match launch(kind, &load, logs) {
        Ok(browser) => browser,
        Err(e) => {
            return scenarios
                .iter()
                .map(|s| (s.to_string(), format!("error: {e}")))
                .collect()
        }
    };
    let (cold, stopped) = cold_start(&browser.session, kind, origin)
        .unwrap_or_else(|e| (format!("error: {e}"), format!("error: {e}")));
    let mut seen = vec![
        ("cold_start_all_reach_rust".to_owned(), cold),
        (BACKGROUND_STOPPED_SCENARIO.to_owned(), stopped),
    ];
    match zero_loss(&browser.session, kind, origin) {
        Ok(values) => seen.extend(values),
        Err(e) => seen.extend(
            scenarios[2..4]
                .iter()
                .map(|s| (s.to_string(), format!("error: {e}"))),
        ),
    }
    match bfcache(&browser.session, origin) {
        Ok(values) => seen.extend(values),
        Err(e) => seen.extend(
            scenarios[4..]
                .iter()
                .map(|s| (s.to_string(), format!("error: {e}"))),
        ),
    }
    seen
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Opens `count` test tabs (the first in the current window); each waits for its content script's
/// first reply, so the background has run.
pub(crate) fn open_tabs(
    session: &Session,
    origin: &str,
    count: usize,
    tag: &str,
) -> Result<Vec<String>> {
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
/// main port saw it go. Returns what they saw: "clean xN" when all N saw a clean disconnect.
fn background_gone(session: &Session, kind: Kind, tabs: &[String]) -> Result<String> {
    if kind == Kind::Chromium {
        session.stop_service_workers()?;
    }
    let mut seen = Vec::new();
    for tab in tabs {
        session.switch_to(tab)?;
        seen.push(session.wait_output("bg_gone", WAIT)?);
    }
    let clean = seen.iter().filter(|s| *s == "clean").count();
    if clean != seen.len() {
        return Err(format!("the background went away with {seen:?}"));
    }
    Ok(format!("clean x{clean}"))
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
/// message, in order per port. Reports "<ports ok>/<tabs> ports, <messages>/<all> messages in order",
/// and what the tabs' ports saw when the background went away.
fn cold_start(session: &Session, kind: Kind, origin: &str) -> Result<(String, String)> {
    let tabs = open_tabs(session, origin, COLD_TABS, "cold")?;
    let gone = background_gone(session, kind, &tabs)?;
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
    let verdict = format!(
        "{ok}/{COLD_TABS} ports, {}/{} messages in order",
        ok * COLD_MESSAGES,
        COLD_TABS * COLD_MESSAGES
    );
    Ok((verdict, gone))
}

/// Waits up to `timeout` for `done` to hold, polling.
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

/// Messages each way in the zero-loss stream (issue 9: 10,000).
pub const STREAM_MESSAGES: u32 = 10_000;
/// Background stops during it (issue 9: at least 5).
pub const STREAM_STOPS: u32 = 5;

/// What the zero-loss scenarios must report.
pub fn zero_loss_expected() -> [(&'static str, String); 2] {
    [
        (
            "zero_loss_stream_each_way",
            format!(
                "content got {n}/{n} (0 out of order), background errors 0, unacknowledged 0",
                n = STREAM_MESSAGES
            ),
        ),
        (
            "zero_loss_stream_background_restarts",
            format!(">= {STREAM_STOPS}"),
        ),
    ]
}

/// A small xorshift: random stop points, seeded from the clock (the seed is printed).
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(bound)) as u32
    }
}

/// `count` sorted random points in the middle 90% of the stream.
fn stop_points(kind: Kind, count: u32) -> Vec<u32> {
    let seed = (now_ms() as u64) | 1;
    eprintln!("{}: zero-loss stop points from seed {seed}", kind.name());
    let mut random = Random(seed);
    let mut points: Vec<u32> = (0..count)
        .map(|_| STREAM_MESSAGES / 20 + random.below(STREAM_MESSAGES * 9 / 10))
        .collect();
    points.sort_unstable();
    points
}

fn read_number(session: &Session, key: &str) -> Result<u32> {
    let value = session.execute(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : '0';",
        json!([format!("r-{key}")]),
    )?;
    Ok(value.as_str().and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Issue 9, zero loss: STREAM_MESSAGES numbered messages each way over a reconnecting port while
/// the background is stopped at random points. Chromium: at each point the content side goes on
/// sending one message per timer tick and the harness stops the service worker (messages in
/// flight both ways), then waits until the session is back. Firefox: the content side pauses at
/// each point until the idle event page was suspended and the session came back (idling is the
/// only way to stop it).
fn zero_loss(session: &Session, kind: Kind, origin: &str) -> Result<Vec<(String, String)>> {
    let tabs = open_tabs(session, origin, 1, "stream")?;
    let started = Instant::now();
    let points = stop_points(kind, STREAM_STOPS);
    let list: Vec<String> = points.iter().map(u32::to_string).collect();
    let mode = if kind == Kind::Firefox {
        "pause"
    } else {
        "slow"
    };
    click(
        session,
        "stream",
        &format!("{STREAM_MESSAGES}:{}:{mode}", list.join(",")),
    )?;
    if kind == Kind::Chromium {
        for point in &points {
            // The content side reached the point and keeps sending, slowly: stop it now.
            wait_until(Duration::from_secs(120), || {
                Ok(read_number(session, "stream_paused")? == *point)
            })?;
            let before = read_number(session, "stream_reconnects")?;
            session.stop_service_workers()?;
            // Detected, not assumed: the session was welcomed by a new background instance.
            wait_until(WAIT, || {
                Ok(read_number(session, "stream_reconnects")? > before)
            })
            .map_err(|e| {
                let status = session.wait_output("stream_status", WAIT);
                let progress = read_number(session, "stream_progress");
                format!("{e}: no restart after a stop at {point} ({status:?}, {progress:?})")
            })?;
        }
    }
    let verdict = session.wait_output("stream", Duration::from_secs(300))?;
    let restarts = read_number(session, "stream_restarts")?;
    eprintln!(
        "{}: zero loss: {verdict}; {restarts} restarts; {:.1} s",
        kind.name(),
        started.elapsed().as_secs_f64()
    );
    close_extra_tabs(session, &tabs)?;
    let restarts = if restarts >= STREAM_STOPS {
        format!(">= {STREAM_STOPS}")
    } else {
        restarts.to_string()
    };
    Ok(vec![
        ("zero_loss_stream_each_way".to_owned(), verdict),
        ("zero_loss_stream_background_restarts".to_owned(), restarts),
    ])
}

/// What the back/forward cache scenarios must report: one outcome in both browsers.
pub fn bfcache_expected() -> [(&'static str, &'static str); 3] {
    [
        ("bfcache_other_side_sees", "clean"),
        ("bfcache_post_into_cached_page", "err:disconnected"),
        (
            "bfcache_cached_page_port",
            "restored; err:back_forward_cache",
        ),
    ]
}

/// Issue 9, back/forward cache: a page with a live content-script port is navigated away from
/// (into the cache); from another tab the background reports what it saw and posts into the
/// kept port; then Back restores the page, which reports how its port ended.
fn bfcache(session: &Session, origin: &str) -> Result<Vec<(String, String)>> {
    let tabs = open_tabs(session, origin, 1, "bf")?;
    click(session, "bf-watch", "")?;
    session.wait_output("bf_ready", WAIT)?;
    session.navigate(&format!("{origin}/nocs.html"))?;
    let query_tab = session.new_tab()?;
    session.switch_to(&query_tab)?;
    session.navigate(&format!("{origin}/test.html?bfq"))?;
    session.wait_output("ready", WAIT)?;
    // The completion signal: the background saw the kept port close (asked until it did).
    let start = Instant::now();
    let verdict = loop {
        session.clear_output("bf_query")?;
        click(session, "bf-query", "")?;
        let verdict = session.wait_output("bf_query", WAIT)?;
        if !verdict.starts_with("disconnect=none") || start.elapsed() > WAIT {
            break verdict;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    session.close_tab()?;
    session.switch_to(&tabs[0])?;
    session.back()?;
    let restored = session.wait_output("bf_restored", WAIT)?;
    eprintln!("bfcache: background {verdict}; cached page {restored}");
    let field = |key: &str| {
        verdict
            .split_whitespace()
            .find_map(|part| part.strip_prefix(key))
            .unwrap_or("?")
            .to_owned()
    };
    Ok(vec![
        ("bfcache_other_side_sees".to_owned(), field("disconnect=")),
        ("bfcache_post_into_cached_page".to_owned(), field("post=")),
        ("bfcache_cached_page_port".to_owned(), restored),
    ])
}
