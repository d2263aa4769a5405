//! `--profile DIR` (Chromium only): where the time of a port bench message goes, per side.
//!
//! After the port bench, every implementation (raw JS, then `--impls`) runs the same cases again
//! **alone** (bench/ports.js with only that implementation), once per round, in mirrored order
//! (raw untyped … untyped raw), while V8's sampling profiler runs on both ends over the DevTools
//! protocol (`cdp.rs`): the page (a content script runs in its page's isolate) and the
//! extension's service worker. One implementation per profile, so nothing has to be told apart
//! inside a profile: every sample of the untyped run is the untyped run's, including the
//! browser's own work ("(program)") and the garbage collector, which no call stack attributes.
//!
//! It writes `DIR/chromium-IMPL-ROUND-SIDE.cpuprofile` (open them in DevTools' Performance panel)
//! and `DIR/summary.json`, and prints per side: microseconds per message (a round trip for
//! `rt_*`) by category and the top functions by self time, per implementation.

use super::{ports, Args};
use crate::browsers::Browser;
use crate::cdp::{self, Cdp};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The sampling interval: a 16 B round trip is ~350 µs, so a few samples per message.
const INTERVAL_US: u32 = 50;
/// Profiled runs per implementation (mirrored: raw untyped untyped raw raw …).
const ROUNDS: usize = 4;
const SIDES: [&str; 2] = ["content", "background"];
/// Functions listed per side.
const TOP: usize = 25;

/// The sampling profiler running on the bench page and on the extension's service worker.
struct Profiler {
    cdp: Cdp,
    /// `(side, session)`.
    sessions: Vec<(&'static str, String)>,
}

impl Profiler {
    fn start(browser: &Browser, page: &str) -> Result<Profiler, String> {
        let cdp = Cdp::open(browser)?;
        let mut profiler = Profiler {
            cdp,
            sessions: Vec::new(),
        };
        let targets = profiler.cdp.targets()?;
        for side in SIDES {
            let session = match side {
                "content" => profiler.cdp.attach(&targets, |t| cdp::is_page(t, page))?,
                _ => profiler.cdp.attach(&targets, cdp::is_background)?,
            };
            profiler.sessions.push((side, session));
        }
        for (_, session) in &profiler.sessions {
            let session = Some(session.as_str());
            profiler.cdp.call(session, "Profiler.enable", json!({}))?;
            profiler.cdp.call(
                session,
                "Profiler.setSamplingInterval",
                json!({ "interval": INTERVAL_US }),
            )?;
        }
        for (_, session) in &profiler.sessions {
            profiler
                .cdp
                .call(Some(session.as_str()), "Profiler.start", json!({}))?;
        }
        Ok(profiler)
    }

    /// Stops both profilers; `(side, profile)`.
    fn stop(mut self) -> Result<Vec<(&'static str, Value)>, String> {
        let mut profiles = Vec::new();
        for (side, session) in std::mem::take(&mut self.sessions) {
            let stopped = self
                .cdp
                .call(Some(session.as_str()), "Profiler.stop", json!({}));
            let _ = self
                .cdp
                .call(Some(session.as_str()), "Profiler.disable", json!({}));
            self.cdp.detach(&session);
            profiles.push((side, stopped?["profile"].take()));
        }
        Ok(profiles)
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        for (_, session) in std::mem::take(&mut self.sessions) {
            self.cdp.detach(&session);
        }
    }
}

/// What one side spent, summed over the profiles of one implementation.
#[derive(Default)]
struct Spent {
    /// Profile time (start to stop), µs.
    wall_us: f64,
    /// Self time by `(function, script)`, µs.
    functions: BTreeMap<(String, String), f64>,
    /// Self time by category, µs.
    categories: BTreeMap<String, f64>,
    /// Total time (self and callees) by `(function, script)`, µs.
    totals: BTreeMap<(String, String), f64>,
}

/// The script a call frame belongs to, short: a file name, "wasm", or "" (V8 or the browser).
fn script_of(url: &str) -> String {
    if url.starts_with("wasm://") || url.ends_with(".wasm") {
        return "wasm".to_owned();
    }
    url.rsplit('/').next().unwrap_or("").to_owned()
}

fn category_of(name: &str, url: &str) -> String {
    let file = script_of(url);
    if name.starts_with('(') && url.is_empty() {
        name.to_owned() // (program), (garbage collector), (idle), (root)
    } else if name.starts_with("js-to-wasm") || name.starts_with("wasm-to-js") {
        "JS <-> wasm wrappers".to_owned()
    } else if file == "wasm" {
        "wasm (Rust)".to_owned()
    } else if file == "webext_port_bench.js" {
        "wasm-bindgen glue (JS)".to_owned()
    } else if url.contains("/snippets/") {
        format!("webext-port snippet {file}")
    } else if file.is_empty() {
        "native functions (no script)".to_owned()
    } else {
        format!("JS {file}")
    }
}

impl Spent {
    /// Adds a `.cpuprofile`: each sample lasts until the next one (the last until `endTime`).
    /// Returns its busy time (µs not in "(idle)").
    fn add(&mut self, profile: &Value) -> Result<f64, String> {
        let nodes = profile["nodes"].as_array().ok_or("profile without nodes")?;
        let mut frames = BTreeMap::new();
        for node in nodes {
            let id = node["id"].as_u64().ok_or("node without id")?;
            let frame = &node["callFrame"];
            let name = frame["functionName"].as_str().unwrap_or("");
            let url = frame["url"].as_str().unwrap_or("");
            let line = frame["lineNumber"].as_i64().unwrap_or(-1);
            let function = match (name, script_of(url).as_str()) {
                ("", _) => format!("(anonymous):{}", line + 1),
                (name, "" | "wasm") => name.to_owned(),
                (name, _) => format!("{name}:{}", line + 1),
            };
            frames.insert(id, (function, script_of(url), category_of(name, url)));
        }
        let mut parents = BTreeMap::new();
        for node in nodes {
            for child in node["children"].as_array().into_iter().flatten() {
                if let (Some(child), Some(parent)) = (child.as_u64(), node["id"].as_u64()) {
                    parents.insert(child, parent);
                }
            }
        }
        let samples = profile["samples"]
            .as_array()
            .ok_or("profile without samples")?;
        let deltas = profile["timeDeltas"].as_array().ok_or("no timeDeltas")?;
        let start = profile["startTime"].as_f64().ok_or("no startTime")?;
        let end = profile["endTime"].as_f64().ok_or("no endTime")?;
        self.wall_us += end - start;
        let mut idle = 0.0;
        let mut at = start;
        let times: Vec<f64> = deltas
            .iter()
            .map(|d| {
                at += d.as_f64().unwrap_or(0.0);
                at
            })
            .collect();
        for (i, sample) in samples.iter().enumerate() {
            let (Some(id), Some(&t)) = (sample.as_u64(), times.get(i)) else {
                continue;
            };
            let next = times.get(i + 1).copied().unwrap_or(end);
            let Some((function, script, category)) = frames.get(&id) else {
                continue;
            };
            let us = (next - t).max(0.0);
            *self
                .functions
                .entry((function.clone(), script.clone()))
                .or_default() += us;
            *self.categories.entry(category.clone()).or_default() += us;
            if category == "(idle)" {
                idle += us;
            }
            // Every function on the sample's stack, once.
            let mut on_stack: Vec<(&String, &String)> = Vec::new();
            let mut node = Some(id);
            while let Some(at) = node {
                if let Some((function, script, _)) = frames.get(&at) {
                    if !on_stack.contains(&(function, script)) {
                        on_stack.push((function, script));
                    }
                }
                node = parents.get(&at).copied();
            }
            for (function, script) in on_stack {
                *self
                    .totals
                    .entry((function.clone(), script.clone()))
                    .or_default() += us;
            }
        }
        Ok(end - start - idle)
    }
}

/// Messages the bench page sent in `measured` (warm-up batches included): the profile's divisor.
fn messages(measured: &Value, implementation: &str) -> f64 {
    measured["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|case| {
            let n = case["n_of"][implementation].as_f64().unwrap_or(0.0);
            let batches = case["batch_ms"][implementation]
                .as_array()
                .map_or(0, Vec::len);
            n * (batches as f64 + f64::from(ports::WARMUP))
        })
        .sum()
}

/// Timed µs per message in `measured` (the timed batches: what the bench reports).
fn timed(measured: &Value, implementation: &str) -> f64 {
    let (mut ms, mut n) = (0.0, 0.0);
    for case in measured["cases"].as_array().into_iter().flatten() {
        let batches = case["batch_ms"][implementation].as_array();
        let per_batch = case["n_of"][implementation].as_f64().unwrap_or(0.0);
        for batch in batches.into_iter().flatten().filter_map(Value::as_f64) {
            ms += batch;
            n += per_batch;
        }
    }
    ms * 1000.0 / n.max(1.0)
}

/// The profiled runs (see the module docs); returns `summary.json`'s value.
pub fn run(browser: &Browser, args: &Args, dir: &Path) -> Result<Value, String> {
    eprintln!("--- chromium: CPU profiles, one implementation at a time");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let impls = ports::implementations(args);
    let mut order: Vec<&str> = Vec::new();
    for round in 0..ROUNDS {
        let mut once: Vec<&str> = impls.iter().map(String::as_str).collect();
        if round % 2 == 1 {
            once.reverse();
        }
        order.extend(once);
    }
    // (implementation, side) -> what it spent; implementation -> messages.
    let mut spent: BTreeMap<(String, &str), Spent> = BTreeMap::new();
    let mut sent: BTreeMap<String, f64> = BTreeMap::new();
    let mut runs = Vec::new();
    for (index, implementation) in order.into_iter().enumerate() {
        let profiler = Profiler::start(browser, "bench.html")?;
        let measured = ports::measure(browser, args, &[implementation]);
        let profiles = profiler.stop()?;
        let measured = measured?;
        let n = messages(&measured, implementation);
        *sent.entry(implementation.to_owned()).or_default() += n;
        let round = index / impls.len().max(1);
        let mut run = json!({
            "implementation": implementation,
            "round": round,
            "timed_us_per_message": timed(&measured, implementation),
        });
        for (side, profile) in profiles {
            let file = dir.join(format!(
                "chromium-{implementation}-{round}-{side}.cpuprofile"
            ));
            std::fs::write(&file, profile.to_string())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let busy = spent
                .entry((implementation.to_owned(), side))
                .or_default()
                .add(&profile)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            run[format!("{side}_busy_us_per_message")] = json!(busy / n.max(1.0));
        }
        runs.push(run);
    }
    let mut summary = summarize(&impls, &spent, &sent);
    summary["runs"] = Value::Array(runs);
    println!("{}", tables(&impls, &summary));
    let path = dir.join("summary.json");
    std::fs::write(&path, format!("{summary:#}\n"))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote the profiles and {}", path.display());
    Ok(summary)
}

/// Per side and implementation: messages, wall µs per message, and self µs per message by
/// category and by function.
fn summarize(
    impls: &[String],
    spent: &BTreeMap<(String, &str), Spent>,
    sent: &BTreeMap<String, f64>,
) -> Value {
    let mut sides = serde_json::Map::new();
    for side in SIDES {
        let mut per_impl = serde_json::Map::new();
        for implementation in impls {
            let Some(s) = spent.get(&(implementation.clone(), side)) else {
                continue;
            };
            let n = sent.get(implementation).copied().unwrap_or(0.0).max(1.0);
            let functions: Vec<Value> = s
                .functions
                .iter()
                .map(|((function, script), us)| {
                    json!({ "function": function, "script": script, "us_per_message": us / n })
                })
                .collect();
            let mut totals: Vec<Value> = s
                .totals
                .iter()
                .map(|((function, script), us)| {
                    json!({ "function": function, "script": script, "us_per_message": us / n })
                })
                .collect();
            totals.sort_by(|a, b| {
                let us = |v: &Value| v["us_per_message"].as_f64().unwrap_or(0.0);
                us(b).total_cmp(&us(a))
            });
            let categories: serde_json::Map<String, Value> = s
                .categories
                .iter()
                .map(|(c, us)| (c.clone(), json!(us / n)))
                .collect();
            per_impl.insert(
                implementation.clone(),
                json!({
                    "messages": n,
                    "wall_us_per_message": s.wall_us / n,
                    "categories": categories,
                    "functions": functions,
                    "totals": totals,
                }),
            );
        }
        sides.insert(side.to_owned(), Value::Object(per_impl));
    }
    json!({
        "interval_us": INTERVAL_US,
        "rounds": ROUNDS,
        "sides": sides,
    })
}

/// Markdown: per side, categories then the top functions, one column per implementation.
fn tables(impls: &[String], summary: &Value) -> String {
    let mut out = String::new();
    let header = |first: &str| {
        let mut h = format!("| {first} |");
        for i in impls {
            h.push_str(&format!(" {i} |"));
        }
        h.push_str("\n|---|");
        h.push_str(&"---:|".repeat(impls.len()));
        h + "\n"
    };
    for side in SIDES {
        let side_summary = &summary["sides"][side];
        out.push_str(&format!(
            "\n#### {side}: µs per message (a round trip in rt_*), self time\n\n"
        ));
        let row = |label: &str, value: &dyn Fn(&Value) -> Option<f64>| {
            let mut line = format!("| {label} |");
            for i in impls {
                let cell = value(&side_summary[i.as_str()])
                    .map_or("–".to_owned(), |v| format!("{v:.1}"));
                line.push_str(&format!(" {cell} |"));
            }
            line + "\n"
        };
        out.push_str(&header("category"));
        out += &row("messages", &|s| s["messages"].as_f64());
        out += &row("profile wall time", &|s| s["wall_us_per_message"].as_f64());
        out += &row("busy (wall time but idle)", &|s| {
            let idle = s["categories"]["(idle)"].as_f64().unwrap_or(0.0);
            s["wall_us_per_message"].as_f64().map(|wall| wall - idle)
        });
        let mut categories: Vec<String> = impls
            .iter()
            .flat_map(|i| {
                side_summary[i.as_str()]["categories"]
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.keys().cloned())
            })
            .collect();
        categories.sort();
        categories.dedup();
        for c in &categories {
            out += &row(c, &|s| {
                Some(s["categories"][c.as_str()].as_f64().unwrap_or(0.0))
            });
        }
        out.push('\n');
        for (list, what) in [("functions", "self time"), ("totals", "total time")] {
            out += &format!("\n{what}:\n\n{}", header("function (script)"));
            for (function, script) in top(impls, side_summary, list) {
                let label = format!("{function} ({script})").replace('|', "\\|");
                out += &row(&label, &|s| {
                    let us = s[list]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|f| {
                            f["function"] == function.as_str() && f["script"] == script.as_str()
                        })
                        .and_then(|f| f["us_per_message"].as_f64());
                    Some(us.unwrap_or(0.0))
                });
            }
        }
    }
    out += "\n| run | implementation | timed µs per message |";
    out += " content busy µs per message | background busy µs per message |\n|---|---|---:|---:|---:|\n";
    for run in summary["runs"].as_array().into_iter().flatten() {
        let us = |key: &str| {
            run[key]
                .as_f64()
                .map_or("–".to_owned(), |v| format!("{v:.1}"))
        };
        out += &format!(
            "| {} | {} | {} | {} | {} |\n",
            run["round"],
            run["implementation"].as_str().unwrap_or("?"),
            us("timed_us_per_message"),
            us("content_busy_us_per_message"),
            us("background_busy_us_per_message"),
        );
    }
    out
}

/// The `TOP` functions of `list` ("functions" or "totals") by their largest time in any
/// implementation, "(idle)" and "(root)" left out.
fn top(impls: &[String], side_summary: &Value, list: &str) -> Vec<(String, String)> {
    let mut best: BTreeMap<(String, String), f64> = BTreeMap::new();
    for i in impls {
        for f in side_summary[i.as_str()][list]
            .as_array()
            .into_iter()
            .flatten()
        {
            let function = f["function"].as_str().unwrap_or("?");
            if function == "(idle)" || function == "(root)" {
                continue;
            }
            let key = (
                function.to_owned(),
                f["script"].as_str().unwrap_or("").to_owned(),
            );
            let us = f["us_per_message"].as_f64().unwrap_or(0.0);
            let entry = best.entry(key).or_default();
            *entry = entry.max(us);
        }
    }
    let mut top: Vec<_> = best.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.into_iter().take(TOP).map(|(key, _)| key).collect()
}
