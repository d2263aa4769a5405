//! The codec bench (the first bench of this extension, kept): round trips content <-> background
//! per codec candidate and raw JS, and the edge values over real ports; `bench-codec.json`.

use super::{median, run_command, Args};
use crate::browsers::Browser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Payload sizes (bytes of JSON) and round trips per batch: fewer for the big ones.
pub const SIZES: &[(u64, u32)] = &[(16, 200), (1024, 200), (100 * 1024, 20), (1024 * 1024, 3)];

/// The codec bench and the edge values in a browser already on bench.html.
pub fn run(browser: &Browser, args: &Args, name: &str) -> Result<Value, String> {
    let sizes: Vec<Value> = args
        .sizes
        .iter()
        .map(|&(bytes, round_trips)| json!({ "bytes": bytes, "round_trips": round_trips }))
        .collect();
    eprintln!("--- {name}: codec round trips");
    let started = Instant::now();
    let raw = run_command(
        browser,
        "bench",
        &json!({ "sizes": sizes, "reps": args.codec_reps, "warmup": 1, "only": args.only }),
        Duration::from_secs(240),
    )?;
    let bench_seconds = started.elapsed().as_secs_f64();
    eprintln!("--- {name}: edge values over real ports");
    let edges = if args.only.is_some() {
        json!({ "skipped": "--only given" })
    } else {
        run_command(browser, "edges", &json!({}), Duration::from_secs(120))?
    };
    Ok(json!({
        "user_agent": raw["user_agent"],
        "reps": raw["reps"],
        "warmup_batches": raw["warmup"],
        "bench_seconds": bench_seconds,
        "sizes": summarize(&raw)?,
        "edges": edges,
    }))
}

/// Ratios to raw JS and per-round-trip times from one browser's raw batch times.
fn summarize(raw: &Value) -> Result<Vec<Value>, String> {
    let impls: Vec<String> =
        serde_json::from_value(raw["impls"].clone()).map_err(|e| e.to_string())?;
    let mut sizes = Vec::new();
    for size in raw["results"].as_array().ok_or("no results")? {
        let times: HashMap<String, Vec<f64>> =
            serde_json::from_value(size["times_ms"].clone()).map_err(|e| e.to_string())?;
        let round_trips = size["round_trips_per_batch"].as_f64().unwrap_or(1.0)
            * size["batches_per_rep"].as_f64().unwrap_or(1.0);
        let floor = times.get("raw").ok_or("no raw JS times")?;
        let mut rows = Vec::new();
        for implementation in &impls {
            let own = times.get(implementation).ok_or("missing implementation")?;
            let mut ratios: Vec<f64> = own.iter().zip(floor).map(|(t, r)| t / r).collect();
            let mut per_trip: Vec<f64> = own.iter().map(|t| t * 1000.0 / round_trips).collect();
            let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            rows.push(json!({
                "implementation": implementation,
                "median_round_trip_us": median(&mut per_trip),
                "ratio_vs_raw_js": { "median": median(&mut ratios), "min": min, "max": max },
                "rep_times_ms": own,
            }));
        }
        sizes.push(json!({
            "target_bytes": size["target_bytes"],
            "json_bytes": size["json_bytes"],
            "round_trips_per_batch": size["round_trips_per_batch"],
            "implementations": rows,
        }));
    }
    Ok(sizes)
}

pub fn table(browsers: &serde_json::Map<String, Value>) -> String {
    let mut out = String::from(
        "| browser | payload (JSON bytes) | implementation | round trip, median µs | ratio to raw JS, median | min–max |\n\
         |---|---|---|---|---|---|\n",
    );
    for (browser, result) in browsers {
        for size in result["sizes"].as_array().into_iter().flatten() {
            for row in size["implementations"].as_array().into_iter().flatten() {
                let ratio = &row["ratio_vs_raw_js"];
                out.push_str(&format!(
                    "| {browser} | {} | {} | {:.0} | {:.2} | {:.2}–{:.2} |\n",
                    size["json_bytes"],
                    row["implementation"].as_str().unwrap_or("?"),
                    row["median_round_trip_us"].as_f64().unwrap_or(f64::NAN),
                    ratio["median"].as_f64().unwrap_or(f64::NAN),
                    ratio["min"].as_f64().unwrap_or(f64::NAN),
                    ratio["max"].as_f64().unwrap_or(f64::NAN),
                ));
            }
        }
    }
    out
}

/// Edge values where the library's codec missed its expected outcome in this browser.
pub fn edge_failures(browser: &str, result: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    for row in result["edges"]["rows"].as_array().into_iter().flatten() {
        let got = row["outcomes"]["chosen"].as_str().unwrap_or("missing");
        if Some(got) != row["expected"].as_str() {
            failures.push(format!(
                "{browser} edge {}: expected {}, got {got}",
                row["name"], row["expected"]
            ));
        }
    }
    failures
}
