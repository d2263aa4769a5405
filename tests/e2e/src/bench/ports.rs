//! The port bench: round trips, one-way throughput and cold start, content script <->
//! background, per implementation (the page side is `bench/ports.js`, webext-port's side
//! `bench/src/ports.rs`, the peers' `bench/peers/`).

use super::{median, run_command, Args};
use crate::browsers::{Browser, Kind};
use serde_json::{json, Value};
use std::time::Duration;

/// How the numbers were taken (also in bench.json and docs/performance.md).
pub const HOW: &str = "content script <-> background over runtime.connect ports. \
performance.now() ticks 100 us in Chromium content scripts and 1 ms in Firefox, so nothing is \
timed alone: a batch is N sequential round trips (rt_*) or N one-way posts made back to back in \
one task followed by the background's single ack after the N-th (tp_*; post_* times only the \
synchronous posting of those N, the cost of the post call itself, for raw JS, untyped and typed), sized to last >= 20 ms \
(tp_*: batched ports post 16x N, webext-bridge N/10, whose every message is a request answered \
by a reply; its throughput batch ends when all N replies arrived); per-message time = batch time / N, msgs_per_s = N / batch time. Every repetition runs every \
implementation twice in mirrored order (A B C ... C B A, the first one rotating), after one \
warm-up batch each; p50/p99 are over all batches (2 per repetition; with few batches p99 is the \
slowest), ratio_vs_raw_js is per repetition against raw JS in the same repetition (time ratio \
for rt_* and cold_start, so < 1 is faster; throughput ratio for tp_*, so > 1 is faster), \
reported as min/median/max. cold_start: the background stopped (Chromium: CDP \
ServiceWorker.stopAllWorkers; Firefox: extensions.background.idle.timeout = 2000 ms, in a \
browser of its own), then connect -> post -> first reply timed on the page; raw JS answers from \
background.js's own listener, webext-port from Rust after the wasm loaded; implementations \
alternate per repetition.";

/// `(case, kind, shape, bytes, messages per batch)`; `cpu_post_*` and `cpu_receive_*` are kind
/// `cpu`, phase `post` or `receive`.
const CASES: &[(&str, &str, &str, u32, u32)] = &[
    ("rt_16B", "rt", "text", 16, 100),
    ("rt_1KiB", "rt", "text", 1024, 100),
    ("rt_100KiB", "rt", "text", 100 * 1024, 16),
    ("rt_objects_100KiB", "rt", "objects", 100 * 1024, 8),
    ("tp_16B", "tp", "text", 16, 2000),
    ("tp_1KiB", "tp", "text", 1024, 1000),
    ("post_16B", "post", "text", 16, 10_000),
    ("post_objects_100KiB", "post", "objects", 100 * 1024, 32),
    ("cpu_post_16B", "cpu", "text", 16, 250_000),
    ("cpu_receive_16B", "cpu", "text", 16, 250_000),
    ("cpu_post_1KiB", "cpu", "text", 1024, 20_000),
    ("cpu_receive_1KiB", "cpu", "text", 1024, 20_000),
    ("cpu_post_100KiB", "cpu", "text", 100 * 1024, 400),
    ("cpu_receive_100KiB", "cpu", "text", 100 * 1024, 400),
    ("cpu_post_objects_100KiB", "cpu", "objects", 100 * 1024, 40),
    (
        "cpu_receive_objects_100KiB",
        "cpu",
        "objects",
        100 * 1024,
        40,
    ),
];

const IMPLEMENTATIONS: &[&str] = &[
    "raw",
    "raw-text",
    "untyped",
    "typed",
    "batched",
    "typed-batched",
    "extension-port-stream",
    "webext-bridge",
    // cpu_* only: the typed message in serde_json's text (what the typed codec is compared with).
    "serde_json",
];

/// The port bench in a browser on bench.html.
pub fn run(browser: &Browser, args: &Args, name: &str) -> Result<Value, String> {
    eprintln!("--- {name}: port bench");
    let impls = implementations(args);
    let impls: Vec<&str> = impls.iter().map(String::as_str).collect();
    let raw = measure(browser, args, &impls)?;
    let mut summary = Vec::new();
    for case in raw["cases"].as_array().into_iter().flatten() {
        summary.push(summarize(case)?);
    }
    Ok(json!({
        "user_agent": raw["user_agent"],
        "reps": raw["reps"],
        "unsupported": raw["unsupported"],
        "cases": summary,
    }))
}

/// The implementations of the port bench: raw JS and `--impls` (default: all). `--impls` may
/// also name the diagnostic implementations of bench/ports.js (raw-wpbg, untyped-jsbg, raw-bytes,
/// raw-copy).
pub fn implementations(args: &Args) -> Vec<String> {
    match &args.impls {
        Some(wanted) => wanted.clone(),
        None => IMPLEMENTATIONS.iter().map(|&i| i.to_owned()).collect(),
    }
}

/// The cases of `--cases` (all but `cold_start`) with only `impls`, as bench/ports.js returns
/// them: per case `n_of` (messages per batch) and `batch_ms` (every timed batch).
pub fn measure(browser: &Browser, args: &Args, impls: &[&str]) -> Result<Value, String> {
    let cases: Vec<Value> = CASES
        .iter()
        .filter(|(case, ..)| args.wants(case))
        .map(|&(case, kind, shape, bytes, n)| {
            let phase = case
                .strip_prefix("cpu_")
                .and_then(|rest| rest.split('_').next());
            json!({ "case": case, "kind": kind, "phase": phase, "shape": shape, "bytes": bytes, "n": n })
        })
        .collect();
    run_command(
        browser,
        "ports",
        &json!({ "cases": cases, "impls": impls, "reps": args.reps, "warmup": WARMUP }),
        Duration::from_secs(420),
    )
}

/// Warm-up batches per implementation and case, before the timed ones.
pub const WARMUP: u32 = 1;

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect()
}

/// Nearest-rank percentile `p` (0–100) of `values`.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn spread(ratios: &mut [f64]) -> Value {
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({ "min": min, "median": median(ratios), "max": max })
}

/// Per-message times, throughput and ratios of one case.
fn summarize(case: &Value) -> Result<Value, String> {
    let n_of = |name: &str| case["n_of"][name].as_f64().or(case["n"].as_f64());
    let raw_n = n_of("raw").ok_or("case without n")?;
    let throughput = case["kind"] == "tp";
    let cpu = case["kind"] == "cpu";
    // Per-message milliseconds of each repetition (implementations may use different batch sizes).
    let raw_reps: Vec<f64> = numbers(&case["rep_ms"]["raw"])
        .iter()
        .map(|ms| ms / raw_n)
        .collect();
    if raw_reps.is_empty() {
        return Err(format!("{}: no raw JS times", case["case"]));
    }
    let mut rows = Vec::new();
    for implementation in case["impls"].as_array().into_iter().flatten() {
        let name = implementation.as_str().unwrap_or("?");
        let n = n_of(name).ok_or("case without n")?;
        let batches = numbers(&case["batch_ms"][name]);
        let reps: Vec<f64> = numbers(&case["rep_ms"][name])
            .iter()
            .map(|ms| ms / n)
            .collect();
        let per_message: Vec<f64> = batches.iter().map(|ms| ms * 1000.0 / n).collect();
        let rates: Vec<f64> = batches.iter().map(|ms| n * 1000.0 / ms).collect();
        let mut ratios: Vec<f64> = reps
            .iter()
            .zip(&raw_reps)
            .map(|(own, raw)| if throughput { raw / own } else { own / raw })
            .collect();
        // cpu_*: raw JS does almost nothing on a fake port, so the difference is the number.
        // Each repetition sums two batches of each implementation.
        let per_rep = (batches.len() as f64 / reps.len().max(1) as f64).max(1.0);
        let mut added: Vec<f64> = reps
            .iter()
            .zip(&raw_reps)
            .map(|(own, raw)| (own - raw) * 1000.0 / per_rep)
            .collect();
        rows.push(json!({
            "implementation": name,
            "p50_us": percentile(&per_message, 50.0),
            "p99_us": percentile(&per_message, 99.0),
            "msgs_per_s": if throughput { json!(percentile(&rates, 50.0)) } else { Value::Null },
            "ratio_vs_raw_js": if cpu { Value::Null } else { spread(&mut ratios) },
            "added_us_vs_raw_js": if cpu { spread(&mut added) } else { Value::Null },
            "messages_per_batch": n,
            "batch_ms": batches,
        }));
    }
    Ok(json!({
        "case": case["case"],
        "json_bytes": case["json_bytes"],
        "messages_per_batch": case["n"],
        "ratio_of": if throughput { "throughput" } else if cpu { "µs added" } else { "time" },
        "implementations": rows,
    }))
}

/// Cold starts on cold.html: `cold_reps` repetitions, raw JS and webext-port alternating first.
pub fn cold(browser: &Browser, args: &Args, kind: Kind) -> Result<Value, String> {
    eprintln!("--- {}: cold start", kind.name());
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let names = ["raw", "untyped"];
    for rep in 0..args.cold_reps {
        let order = if rep % 2 == 0 { [0, 1] } else { [1, 0] };
        for index in order {
            run_command(browser, "cold-arm", &json!({}), Duration::from_secs(30))?;
            if kind == Kind::Chromium {
                browser.session.stop_service_workers()?;
            }
            let result = run_command(
                browser,
                "cold",
                &json!({ "impl": names[index] }),
                Duration::from_secs(60),
            )?;
            let ms = result["ms"].as_f64().ok_or("cold: no time")?;
            times[index].push(ms);
        }
    }
    let [raw, wp] = &times;
    let mut ratios: Vec<f64> = wp.iter().zip(raw).map(|(w, r)| w / r).collect();
    let row = |name: &str, ms: &[f64], ratio: Value| {
        json!({
            "implementation": name,
            "p50_us": percentile(ms, 50.0) * 1000.0,
            "p99_us": percentile(ms, 99.0) * 1000.0,
            "msgs_per_s": Value::Null,
            "ratio_vs_raw_js": ratio,
            "times_ms": ms,
        })
    };
    let same = json!({ "min": 1.0, "median": 1.0, "max": 1.0 });
    Ok(json!({
        "case": "cold_start",
        "ratio_of": "time",
        "implementations": [row("raw", raw, same), row("untyped", wp, spread(&mut ratios))],
    }))
}

fn cases_of(result: &Value) -> Vec<&Value> {
    result["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(std::iter::once(&result["cold_start"]).filter(|c| c.is_object()))
        .collect()
}

/// bench.json's flat rows: browser, case, implementation, p50_us, p99_us, msgs_per_s, ratio.
pub fn rows(browsers: &serde_json::Map<String, Value>) -> Value {
    let mut rows = Vec::new();
    for (browser, result) in browsers {
        for case in cases_of(result) {
            for row in case["implementations"].as_array().into_iter().flatten() {
                rows.push(json!({
                    "browser": browser,
                    "case": case["case"],
                    "implementation": row["implementation"],
                    "p50_us": row["p50_us"],
                    "p99_us": row["p99_us"],
                    "msgs_per_s": row["msgs_per_s"],
                    "ratio_vs_raw_js": row["ratio_vs_raw_js"],
                    "added_us_vs_raw_js": row["added_us_vs_raw_js"],
                    "ratio_of": case["ratio_of"],
                }));
            }
        }
    }
    Value::Array(rows)
}

fn cell(value: &Value, digits: usize) -> String {
    // Batched per-message times are a few µs: one decimal there.
    let digits = match value.as_f64() {
        Some(v) if digits == 0 && v.abs() < 1.0 => 2,
        Some(v) if digits == 0 && v < 10.0 => 1,
        _ => digits,
    };
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// One Markdown table per browser.
pub fn tables(browsers: &serde_json::Map<String, Value>) -> String {
    let mut out = String::new();
    for (browser, result) in browsers {
        out.push_str(&format!("\n### {browser}\n\n"));
        if let Some(error) = result["error"].as_str() {
            out.push_str(&format!("run failed: {error}\n"));
            continue;
        }
        out.push_str(
            "| case | implementation | p50 µs | p99 µs | msgs/s | ratio to raw JS, median (min–max) |\n\
             |---|---|---:|---:|---:|---|\n",
        );
        for case in cases_of(result) {
            for row in case["implementations"].as_array().into_iter().flatten() {
                // cpu_* rows give the microseconds added per message instead of a ratio.
                let ratio = match &row["ratio_vs_raw_js"] {
                    Value::Null => &row["added_us_vs_raw_js"],
                    ratio => ratio,
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} ({}–{}) {} |\n",
                    case["case"].as_str().unwrap_or("?"),
                    row["implementation"].as_str().unwrap_or("?"),
                    cell(&row["p50_us"], 0),
                    cell(&row["p99_us"], 0),
                    cell(&row["msgs_per_s"], 0),
                    cell(&ratio["median"], 2),
                    cell(&ratio["min"], 2),
                    cell(&ratio["max"], 2),
                    case["ratio_of"].as_str().unwrap_or(""),
                ));
            }
        }
        for (peer, why) in result["unsupported"].as_object().into_iter().flatten() {
            out.push_str(&format!("\nnot measured: {peer}: {why}\n"));
        }
    }
    out
}
