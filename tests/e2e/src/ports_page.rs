//! Issue 11: the ports page (`ports.html`, demo/src/ports_page.rs; the background's bookkeeping
//! in demo/src/port_log.rs) in a real browser. Two test tabs connect "port-from-cs"; the page
//! must show both rows with their tab ids and counts, and its buttons must reach the tabs: "send"
//! one tab only, "broadcast" both, "disconnect" one (its row ends, its content script sees the
//! disconnect). A screenshot of the page with both tabs connected is saved as
//! `target/screenshots/ports-page-<browser>.png`.
//!
//! It runs in the main browser after `scenarios::run`, in tabs of its own.

use crate::browsers::Kind;
use crate::lifecycle::{click, wait_until};
use crate::webdriver::{Result, Session};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);
/// After the tab that should get a message got it: long enough for one that should not to show it.
const QUIET: Duration = Duration::from_millis(300);

/// What the two test tabs' rows show before any button: the greeting and one click received
/// (the test's click that asks for the tab id), the background's greeting sent.
const ROW: &str =
    "name=port-from-cs frame=0 received=2 sent=1 error=— state=connected since=recent";
const NOTE: &str = "hello from the ports page";
const BUTTON: &str = "they clicked the button!";

/// `(scenario, expected in both browsers)`.
pub fn expected() -> Vec<(&'static str, String)> {
    vec![
        ("ports_page_shows_both_tabs", format!("rows=2 {ROW}")),
        ("ports_page_screenshot", "saved".to_owned()),
        (
            "ports_page_send_reaches_one_tab",
            format!("tab={NOTE} other=nothing sent=2"),
        ),
        (
            "ports_page_broadcast_reaches_both_tabs",
            format!("{BUTTON}|{BUTTON} sent=3,2"),
        ),
        (
            "ports_page_disconnect_one_port",
            "row=disconnected (closed by the ports page) tab=clean other=connected".to_owned(),
        ),
    ]
}

/// Opens the ports page in a new tab and switches to it. Chromium navigates to
/// `chrome-extension://ID/ports.html`; geckodriver refuses moz-extension: URLs, so in Firefox the
/// background opens it (`tabs.create`) when the test page in tab `via` asks.
pub fn open(session: &Session, kind: Kind, demo_id: &str, via: &str) -> Result<String> {
    if kind == Kind::Chromium {
        let page = session.new_tab()?;
        session.switch_to(&page)?;
        session.navigate(&format!("chrome-extension://{demo_id}/ports.html"))?;
        wait_connected(session)?;
        return Ok(page);
    }
    session.switch_to(via)?;
    let before = session.tabs()?;
    click(session, "open-ports-page", "")?;
    let start = Instant::now();
    let page = loop {
        if let Some(tab) = session.tabs()?.into_iter().find(|t| !before.contains(t)) {
            break tab;
        }
        if start.elapsed() > WAIT {
            return Err("the ports page did not open".to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    session.switch_to(&page)?;
    wait_connected(session)?;
    Ok(page)
}

/// Waits until the page has its first snapshot from the background.
fn wait_connected(session: &Session) -> Result<()> {
    wait_until(WAIT, || {
        let text = session.execute(
            "return document.getElementById('status')?.textContent ?? '';",
            json!([]),
        )?;
        Ok(text.as_str().is_some_and(|t| t.starts_with("connected")))
    })
    .map_err(|e| format!("the ports page never connected: {e}"))
}

/// The page's traffic lines after line `after`: `(data-n, text)`.
pub fn traffic(session: &Session, after: u32) -> Result<Vec<(u32, String)>> {
    let lines = session.execute(
        "return [...document.querySelectorAll('#traffic li')]
           .map((li) => [Number(li.dataset.n), li.textContent])
           .filter(([n]) => n > arguments[0]);",
        json!([after]),
    )?;
    Ok(lines
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|line| Some((line[0].as_u64()? as u32, line[1].as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default())
}

/// The table's rows, each as its `data-*` attributes.
fn rows(session: &Session) -> Result<Vec<Value>> {
    let rows = session.execute(
        "return [...document.querySelectorAll('#ports tbody tr')]
           .map((tr) => Object.assign({ stateText: tr.querySelector('td.state')?.textContent },
                                      tr.dataset));",
        json!([]),
    )?;
    Ok(rows.as_array().cloned().unwrap_or_default())
}

/// The newest row of tab `tab`.
fn row_of(rows: &[Value], tab: &str) -> Option<Value> {
    rows.iter().rev().find(|r| r["tab"] == tab).cloned()
}

fn field(row: &Value, name: &str) -> String {
    row[name].as_str().unwrap_or("?").to_owned()
}

/// One row as the scenario reports it.
fn describe(row: &Value) -> String {
    let since: f64 = field(row, "since").parse().unwrap_or(0.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0);
    let recent = since > now - 300_000.0 && since <= now + 1000.0;
    let error = match field(row, "error").as_str() {
        "" => "—".to_owned(),
        kind => kind.to_owned(),
    };
    format!(
        "name={} frame={} received={} sent={} error={error} state={} since={}",
        field(row, "name"),
        field(row, "frame"),
        field(row, "received"),
        field(row, "sent"),
        field(row, "state"),
        if recent { "recent" } else { "not set" },
    )
}

/// Polls the table until `done` holds for the rows of tabs `a` and `b` (or WAIT passes), and
/// returns those rows as they are then.
fn wait_rows(
    session: &Session,
    a: &str,
    b: &str,
    done: impl Fn(&Value, &Value) -> bool,
) -> Result<(Value, Value)> {
    let start = Instant::now();
    loop {
        let rows = rows(session)?;
        let pair = row_of(&rows, a).zip(row_of(&rows, b));
        if let Some((ra, rb)) = &pair {
            if done(ra, rb) || start.elapsed() > WAIT {
                return Ok((ra.clone(), rb.clone()));
            }
        } else if start.elapsed() > WAIT {
            return Err(format!("no rows for tabs {a} and {b} in {rows:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A test tab on `url` in a new window; returns its handle and its tab id (the background says).
fn test_tab(session: &Session, url: &str) -> Result<(String, String)> {
    let handle = session.new_tab()?;
    session.switch_to(&handle)?;
    session.navigate(url)?;
    session.wait_output("ready", WAIT)?;
    session.wait_output("cs_greeting_reply", WAIT)?;
    click(session, "tab-id", "")?;
    Ok((handle, session.wait_output("tab_id", WAIT)?))
}

/// `<output id="r-KEY">` in tab `tab`, or "nothing" after the quiet period.
fn output_or_nothing(session: &Session, tab: &str, key: &str) -> Result<String> {
    session.switch_to(tab)?;
    std::thread::sleep(QUIET);
    let value = session.execute(
        "return document.getElementById(arguments[0])?.textContent ?? 'nothing';",
        json!([format!("r-{key}")]),
    )?;
    Ok(value.as_str().unwrap_or("nothing").to_owned())
}

/// Runs the scenarios; `shots` is where the screenshot goes.
pub fn observe(
    session: &Session,
    kind: Kind,
    origin: &str,
    demo_id: &str,
    shots: &Path,
) -> Vec<(String, String)> {
    let names: Vec<&str> = expected().iter().map(|(s, _)| *s).collect();
    let mut seen: Vec<(String, String)> = Vec::new();
    let home = session.current_tab();
    let result = run(session, kind, origin, demo_id, shots, &mut seen);
    if let Err(e) = result {
        eprintln!("{}: ports page: {e}", kind.name());
        for name in names {
            if !seen.iter().any(|(s, _)| s == name) {
                seen.push((name.to_owned(), format!("error: {e}")));
            }
        }
    }
    if let Ok(home) = home {
        let _ = session.switch_to(&home);
    }
    seen
}

fn run(
    session: &Session,
    kind: Kind,
    origin: &str,
    demo_id: &str,
    shots: &Path,
    seen: &mut Vec<(String, String)>,
) -> Result<()> {
    let mut note = |scenario: &str, value: Result<String>| {
        let value = value.unwrap_or_else(|e| format!("error: {e}"));
        eprintln!("{}: {scenario}: {value}", kind.name());
        seen.push((scenario.to_owned(), value));
    };
    let home = session.current_tab()?;
    let (tab_a, id_a) = test_tab(session, &format!("{origin}/test.html?ports=a"))?;
    let (tab_b, id_b) = test_tab(session, &format!("{origin}/test.html?ports=b"))?;
    // Firefox: the test page that asks the background to open the ports page (a third row).
    if kind == Kind::Firefox {
        session.switch_to(&home)?;
        session.navigate(&format!("{origin}/test.html?ports=opener"))?;
        session.wait_output("ready", WAIT)?;
    }
    let page = open(session, kind, demo_id, &home)?;
    let _ = session.set_window_size(1200, 800);

    // Both rows, with their counts (the greeting and the tab-id click in, the greeting out).
    let (a, b) = wait_rows(session, &id_a, &id_b, |a, b| {
        describe(a) == ROW && describe(b) == ROW
    })?;
    let connected = rows(session)?
        .iter()
        .filter(|r| r["state"] == "connected" && (r["tab"] == *id_a || r["tab"] == *id_b))
        .count();
    let (da, db) = (describe(&a), describe(&b));
    note(
        "ports_page_shows_both_tabs",
        Ok(if da == db {
            format!("rows={connected} {da}")
        } else {
            format!("rows={connected} a: {da} b: {db}")
        }),
    );
    let shot = shots.join(format!("ports-page-{}.png", kind.name()));
    let saved = session.screenshot().and_then(|png| {
        if !png.starts_with(b"\x89PNG") {
            return Err("not a PNG".to_owned());
        }
        std::fs::create_dir_all(shots).map_err(|e| e.to_string())?;
        std::fs::write(&shot, png).map_err(|e| format!("{}: {e}", shot.display()))?;
        eprintln!("{}: screenshot {}", kind.name(), shot.display());
        Ok("saved".to_owned())
    });
    note("ports_page_screenshot", saved);

    // "send" on tab A's row: A gets it, B does not, A's row counts it.
    let (row_a, row_b) = (field(&a, "row"), field(&b, "row"));
    session.click_css(&format!(
        "button[data-action=\"send\"][data-row=\"{row_a}\"]"
    ))?;
    session.switch_to(&tab_a)?;
    let got = session.wait_output("ports_page_message", WAIT)?;
    let other = output_or_nothing(session, &tab_b, "ports_page_message")?;
    session.switch_to(&page)?;
    let (a, _) = wait_rows(session, &id_a, &id_b, |a, _| field(a, "sent") == "2")?;
    note(
        "ports_page_send_reaches_one_tab",
        Ok(format!(
            "tab={got} other={other} sent={}",
            field(&a, "sent")
        )),
    );

    // "broadcast": both tabs get the MDN broadcast, both rows count it.
    session.click_css("button[data-action=\"broadcast\"]")?;
    session.switch_to(&tab_a)?;
    let in_a = session.wait_output("broadcast", WAIT)?;
    session.switch_to(&tab_b)?;
    let in_b = session.wait_output("broadcast", WAIT)?;
    session.switch_to(&page)?;
    let (a, b) = wait_rows(session, &id_a, &id_b, |a, b| {
        field(a, "sent") == "3" && field(b, "sent") == "2"
    })?;
    note(
        "ports_page_broadcast_reaches_both_tabs",
        Ok(format!(
            "{in_a}|{in_b} sent={},{}",
            field(&a, "sent"),
            field(&b, "sent")
        )),
    );

    // "disconnect" on tab B's row: the row ends, B's content script sees a clean disconnect.
    session.click_css(&format!(
        "button[data-action=\"disconnect\"][data-row=\"{row_b}\"]"
    ))?;
    let (a, b) = wait_rows(session, &id_a, &id_b, |_, b| b["state"] == "disconnected")?;
    session.switch_to(&tab_b)?;
    let saw = session.wait_output("bg_gone", WAIT)?;
    note(
        "ports_page_disconnect_one_port",
        Ok(format!(
            "row={} tab={saw} other={}",
            field(&b, "stateText"),
            field(&a, "state")
        )),
    );

    for tab in [&tab_a, &tab_b, &page] {
        session.switch_to(tab)?;
        session.close_tab()?;
    }
    session.switch_to(&home)
}
