//! Issue 9, leak check: 10,000 connect/disconnect cycles (5 rounds of 2,000) with listeners,
//! disconnect callbacks and `closed` futures attached and dropped on both sides, once started by
//! the content script and once by the background (demo/src/lifecycle_leak.rs). After each round
//! (its completion signal: both sides counted every close) the test reads the wasm memory of both
//! sides and their live JS heap after a forced GC (heap.rs). Growth after round 1, which reaches
//! the steady state, may not pass 1 MiB for any of the four.
//!
//! Runs in the faults browser: the lifecycle browser's Firefox suspends an idle background after
//! 2 s, which would reset the background between rounds.

use crate::browsers::{Browser, Kind};
use crate::heap;
use crate::lifecycle::click;
use crate::webdriver::Result;
use std::time::{Duration, Instant};

/// `(scenario, mode)`: who opens the ports.
pub const SCENARIOS: [(&str, &str); 2] = [
    ("leak_10000_connect_disconnect_cycles", "cs"),
    ("leak_10000_background_initiated_cycles", "bg"),
];
/// What both must report.
pub const EXPECTED: &str = "within 1 MiB";

const ROUNDS: usize = 5;
const CYCLES: u32 = 2000;
const LIMIT: f64 = 1024.0 * 1024.0;

/// Runs both directions in a new tab of `browser`; one observation each.
pub fn observe(browser: &Browser, kind: Kind, origin: &str) -> Vec<(String, String)> {
    SCENARIOS
        .iter()
        .map(|(scenario, mode)| {
            let started = Instant::now();
            let value =
                check(browser, kind, origin, mode).unwrap_or_else(|e| format!("error: {e}"));
            eprintln!(
                "{}: {scenario}: {value}; {:.1} s",
                kind.name(),
                started.elapsed().as_secs_f64()
            );
            (scenario.to_string(), value)
        })
        .collect()
}

/// `[content wasm, background wasm, content heap, background heap]` after one round.
type Sample = [f64; 4];

fn check(browser: &Browser, kind: Kind, origin: &str, mode: &str) -> Result<String> {
    let session = &browser.session;
    let home = session.current_tab()?;
    let tab = session.new_tab()?;
    session.switch_to(&tab)?;
    let page = format!("test.html?leak={mode}");
    session.navigate(&format!("{origin}/{page}"))?;
    session.wait_output("ready", Duration::from_secs(15))?;
    let mut samples: Vec<Sample> = Vec::new();
    for round in 1..=ROUNDS {
        session.clear_output("leak_round")?;
        click(session, "leak-round", &format!("{mode}:{CYCLES}"))?;
        let reported = session.wait_output("leak_round", Duration::from_secs(300))?;
        let field = |key: &str| {
            reported
                .split_whitespace()
                .find_map(|part| part.strip_prefix(key))
                .and_then(|v| v.parse::<f64>().ok())
        };
        let (Some(content), Some(background)) = (field("content="), field("background=")) else {
            return Err(format!("round {round}: {reported}"));
        };
        let heap = heap::measure(browser, kind, &page)?;
        samples.push([content, background, heap.content, heap.background]);
    }
    session.close_tab()?;
    session.switch_to(&home)?;
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Err("no round ran".to_owned());
    };
    let growth: Vec<f64> = first.iter().zip(last).map(|(a, b)| b - a).collect();
    let kib = |v: f64| format!("{:+.0} KiB", v / 1024.0);
    eprintln!(
        "{}: leak {mode}: wasm content {:.0} KiB {}, background {:.0} KiB {}; JS heap content \
         {:.0} KiB {}, background {:.0} KiB {}",
        kind.name(),
        first[0] / 1024.0,
        kib(growth[0]),
        first[1] / 1024.0,
        kib(growth[1]),
        first[2] / 1024.0,
        kib(growth[2]),
        first[3] / 1024.0,
        kib(growth[3]),
    );
    let names = [
        "content wasm",
        "background wasm",
        "content JS heap",
        "background JS heap",
    ];
    let over: Vec<String> = names
        .iter()
        .zip(&growth)
        .filter(|(_, g)| **g > LIMIT)
        .map(|(name, g)| format!("{name} {}", kib(*g)))
        .collect();
    Ok(if over.is_empty() {
        EXPECTED.to_owned()
    } else {
        format!("grew: {}", over.join(", "))
    })
}
