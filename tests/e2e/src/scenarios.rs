//! The scenarios: what the test clicks, and what the Rust code in the extension must report.
//!
//! Every value comes from the page's `<output id="r-KEY">`, written by the demo's content script
//! with what the Rust code observed (its own or relayed from the background).

use crate::webdriver::{Result, Session};
use std::time::Duration;
use webext_port::test_support::edge_cases;

/// One observed value per scenario, in the order run.
pub type Observations = Vec<(String, String)>;

/// Measured browser differences no library can hide, asserted per browser so a change shows:
/// `(scenario, chromium, firefox)`. They are not in conformance.json (which must agree).
pub const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        // Chromium 156 drops a host frame that is not JSON without a word and keeps the port
        // open; Firefox 153 closes the port ("An unexpected error occurred").
        "native_host_sends_invalid_json",
        "message dropped, port open",
        "err:native_protocol_error",
    ),
    (
        // The browser's own runtime.connectNative from a content script, no library: Chromium has
        // none there; Firefox 153 has one whose port closes at once with a generic error.
        "content_script_connect_native_browser",
        "no connectNative",
        "closed: An unexpected error occurred",
    ),
    (
        // A web page listed in externally_connectable may connect to the extension in Chromium;
        // Firefox has no externally_connectable for web pages (no runtime there at all).
        "web_page_connect_external",
        "welcome web page",
        "err:not_in_extension",
    ),
    (
        // tabs.connect to every frame of a tab, then the iframe goes away (tests/e2e/src/faults.rs).
        // Chromium keeps the opener's port while any frame remains; Firefox closes it at once
        // (bug 1465514). The library cannot learn in Chromium that one receiver left, nor keep
        // Firefox's port open: `frame_id(0)` (one receiver) gives one outcome, asserted as
        // `fault_multi_frame_top_frame_only_one_leaves`.
        crate::faults::ALL_FRAMES_ONE_LEAVES,
        "watch=none post=ok",
        "watch=clean x1 post=err:disconnected",
    ),
    // The extension is reloaded under a live content script (tests/e2e/src/faults.rs). Chromium keeps
    // running the orphaned script: its port closes cleanly, then `runtime.id` is gone and every
    // entry point is ContextInvalidated (the library checks, since runtime.connect no longer
    // throws), so the reconnecting port stops for good. Firefox unloads the old content script
    // (none of its code runs again: there is no one left to tell) and injects the reloaded
    // extension's content script into the page afresh.
    (crate::faults::RELOADED[0], "clean", crate::faults::UNLOADED),
    (
        crate::faults::RELOADED[1],
        "connect=err:context_invalidated post=err:context_invalidated",
        crate::faults::UNLOADED,
    ),
    (
        crate::faults::RELOADED[2],
        "failed: err:context_invalidated",
        crate::faults::UNLOADED,
    ),
];

/// The extension ids the scenarios need, in the browser under test.
pub struct Ids {
    /// The peer extension (`tests/peer/`).
    pub peer: String,
    /// The demo extension (`dist/`).
    pub demo: String,
}

/// What each entry point does in a context where all of them work.
const ALL_OK: &str =
    "connect=ok external=ok native=ok tabs=ok on_connect=ok on_connect_external=ok";

/// Scenarios decided inside the library before any browser API runs: useful, but they cannot
/// disagree between browsers, so they are counted apart from browser conformance ("pre-checks").
pub const PRECHECKS: &[&str] = &[
    "tabs_connect_negative_tab",
    "post_nested_function",
    "post_bigint",
    "post_cyclic",
    "post_map",
    "post_undefined",
    "post_nan",
    "post_date",
    "post_array_with_undefined",
    "post_over_64_mib",
    "double_disconnect",
    "native_port_name",
    "native_invalid_host_name",
    "native_post_too_large",
];

/// Whether `scenario` is a library pre-check rather than a browser scenario.
pub fn is_precheck(scenario: &str) -> bool {
    // An edge value the codec refuses is refused at encode, before any port exists.
    let refused_at_encode = edge_cases().iter().any(|c| {
        edge_scenario(c.name) == scenario && c.expected.starts_with("err:not_serializable")
    });
    PRECHECKS.contains(&scenario) || refused_at_encode
}

/// The scenario of one edge value of the codec's table.
fn edge_scenario(name: &str) -> String {
    format!("edge_{name}")
}

/// The typed async round trip's outcome: u64::MAX and a non-BMP character, echoed.
const TYPED_ROUND_TRIP: &str = "pong n=18446744073709551615 text=\u{1D11E}";

/// The expected outcome of every scenario; `{origin}` is the test server's origin.
pub fn expected(origin: &str) -> Vec<(String, String)> {
    let fixed: Vec<(&str, String)> = vec![
        ("content_to_background_reply", "hi there content script!".to_owned()),
        ("background_received_greetings", "hello from content script|they clicked the page!".to_owned()),
        (
            "background_sees_sender",
            format!("name=port-from-cs id=self tab=yes frame=0 url={origin}/test.html origin={origin} document_id=yes"),
        ),
        ("two_tabs_two_stored_ports", "2".to_owned()),
        ("broadcast_sent_to_ports", "2".to_owned()),
        ("broadcast_reaches_both_tabs", "they clicked the button!|they clicked the button!".to_owned()),
        ("tabs_connect_round_trip", "hi background, from content".to_owned()),
        ("tabs_connect_message_reaches_content", "hello content script, from background".to_owned()),
        ("tabs_connect_default_name", "\"\"".to_owned()),
        ("tabs_connect_missing_tab", "err:no_receiver".to_owned()),
        ("tabs_connect_negative_tab", "err:invalid_argument".to_owned()),
        ("post_after_own_disconnect_content", "err:disconnected".to_owned()),
        ("post_after_own_disconnect_background", "err:disconnected".to_owned()),
        ("post_nested_function", "err:not_serializable".to_owned()),
        ("post_bigint", "err:not_serializable".to_owned()),
        ("post_cyclic", "err:not_serializable".to_owned()),
        ("post_after_rejections", "ok".to_owned()),
        ("remote_disconnect_fires_once_in_content", "clean x1".to_owned()),
        ("post_after_remote_disconnect", "err:disconnected".to_owned()),
        ("content_disconnect_fires_once_in_background", "clean x1".to_owned()),
        ("closed_tab_port_removed", "1".to_owned()),
        // Values JSON and structured clone treat differently: refused the same way everywhere.
        ("post_map", "err:not_serializable".to_owned()),
        ("post_undefined", "err:not_serializable".to_owned()),
        ("post_nan", "err:not_serializable".to_owned()),
        ("post_date", "err:not_serializable".to_owned()),
        ("post_array_with_undefined", "err:not_serializable".to_owned()),
        ("post_object_with_undefined_property", "ok".to_owned()),
        // Listener lifecycle.
        ("message_before_listener_is_kept", "early".to_owned()),
        ("burst_content_to_background", "1000 in order".to_owned()),
        ("burst_background_to_content", "1000 in order".to_owned()),
        ("dropped_listener_receives_nothing", "A=0 B=2".to_owned()),
        ("post_inside_on_disconnect", "err:disconnected".to_owned()),
        ("double_disconnect", "ok ok".to_owned()),
        ("double_disconnect_seen_once", "clean x1".to_owned()),
        ("runtime_connect_default_name", "\"\"".to_owned()),
        // Native messaging, against tests/native-host/.
        ("native_port_name", "webext_port_test_host".to_owned()),
        ("native_echo_round_trip", "ping".to_owned()),
        ("native_burst_in_order", "5 in order".to_owned()),
        ("native_host_not_found", "err:native_host_not_found".to_owned()),
        ("native_invalid_host_name", "err:invalid_argument".to_owned()),
        ("native_host_exits", "err:native_host_exited".to_owned()),
        ("native_host_crashes", "err:native_host_exited".to_owned()),
        ("native_host_sends_over_1mib", "err:native_protocol_error".to_owned()),
        ("native_post_too_large", "err:message_too_large".to_owned()),
        ("native_post_after_disconnect", "err:disconnected".to_owned()),
        ("native_disconnect_stops_host", "exited".to_owned()),
        // Extension to extension, against tests/peer/.
        ("external_round_trip", "hello peer".to_owned()),
        ("external_peer_sees_caller_id", "self".to_owned()),
        ("external_port_name_at_peer", "from-demo".to_owned()),
        ("external_accepted_round_trip", "welcome peer".to_owned()),
        ("external_accepted_sender_is_peer", "peer".to_owned()),
        ("external_rejected_by_allowlist", "disconnected:clean".to_owned()),
        ("external_rejected_sender_reported", "peer".to_owned()),
        ("external_unknown_id", "err:no_receiver".to_owned()),
        ("external_malformed_id", "err:no_receiver".to_owned()),
        ("external_gecko_style_unknown_id", "err:no_receiver".to_owned()),
        ("external_peer_disconnects", "clean".to_owned()),
        // Request/response (webext_port::rpc), content ↔ background, each over a fresh port.
        ("rpc_round_trip", "ping".to_owned()),
        ("rpc_concurrent_requests", "20 of 20 got their own answer".to_owned()),
        ("rpc_handler_error", "err:handler_failed: no such thing".to_owned()),
        ("rpc_timeout", "err:timed_out then still answering".to_owned()),
        // The other way: the background asks a content script (its timer in the background).
        (
            "rpc_timeout_in_background",
            "err:timed_out then still answering".to_owned(),
        ),
        // Every request in flight fails with the disconnect, none hangs (the output would never
        // appear): the background disconnects, or we do.
        ("rpc_disconnect_in_flight", "6 pending: disconnected x6".to_owned()),
        ("rpc_own_disconnect_in_flight", "5 pending: disconnected x5".to_owned()),
        // A port-set broadcast across two tabs, one with the content script in an iframe too:
        // each of the three frames answers once (completion: the last answer, then a quiet period).
        (
            "broadcast_each_frame_exactly_once",
            "receivers=3 tabs=2 subframes=1 failed=0 max_per_receiver=1".to_owned(),
        ),
        // The 64 MiB rule (Chromium's limit) on extension ports, in both browsers.
        ("post_over_64_mib", "err:message_too_large".to_owned()),
        // Firefox 153 exposes runtime.connectNative to content scripts, but the port closes at
        // once with a generic error; Chromium has none there. The library says Unsupported in
        // both (first row); the second row is the browser's own function, called raw.
        ("content_script_connect_native", "err:unsupported".to_owned()),
        ("post_exactly_64_mib", "67108862 chars".to_owned()),
        // One kind per entry point in every context.
        ("context_background", ALL_OK.to_owned()),
        ("context_extension_page", ALL_OK.to_owned()),
        (
            "context_content_script",
            "connect=ok external=ok native=err:unsupported tabs=err:unsupported on_connect=ok \
             on_connect_external=err:unsupported"
                .to_owned(),
        ),
        (
            "context_web_page_externally_connectable",
            "connect=err:not_in_extension native=err:not_in_extension tabs=err:not_in_extension \
             on_connect=err:not_in_extension on_connect_external=err:not_in_extension"
                .to_owned(),
        ),
        // The minimal example as ./build.sh ships it (tests/e2e/src/minimal.rs, a browser of its own).
        (crate::minimal::SCENARIO, crate::minimal::EXPECTED.to_owned()),
        // Issue 9: the background lifecycle (tests/e2e/src/lifecycle.rs, a browser of its own).
        ("cold_start_all_reach_rust", crate::lifecycle::cold_start_expected()),
        // Every open port of the stopped (Chromium) or suspended (Firefox) background ends once,
        // cleanly, in each of the 20 tabs.
        (
            crate::lifecycle::BACKGROUND_STOPPED_SCENARIO,
            format!("clean x{}", crate::lifecycle::COLD_TABS),
        ),
        ("zero_loss_stream_each_way", crate::lifecycle::zero_loss_expected()[0].1.clone()),
        ("zero_loss_stream_background_restarts", crate::lifecycle::zero_loss_expected()[1].1.clone()),
        (crate::leak::SCENARIOS[0].0, crate::leak::EXPECTED.to_owned()),
        (crate::leak::SCENARIOS[1].0, crate::leak::EXPECTED.to_owned()),
        ("bfcache_other_side_sees", crate::lifecycle::bfcache_expected()[0].1.to_owned()),
        ("bfcache_post_into_cached_page", crate::lifecycle::bfcache_expected()[1].1.to_owned()),
        ("bfcache_cached_page_port", crate::lifecycle::bfcache_expected()[2].1.to_owned()),
        (
            "context_web_page_without_extension_api",
            "connect=err:not_in_extension external=err:not_in_extension \
             native=err:not_in_extension tabs=err:not_in_extension on_connect=err:not_in_extension \
             on_connect_external=err:not_in_extension"
                .to_owned(),
        ),
        // Typed messages over real ports: the codec's edge values, decoded by the background.
        ("typed_async_round_trip", TYPED_ROUND_TRIP.to_owned()),
    ];
    let edges = edge_cases()
        .into_iter()
        .map(|case| (edge_scenario(case.name), case.expected.to_owned()));
    let faults = crate::faults::expected()
        .into_iter()
        .map(|(scenario, want)| (scenario, want.to_owned()));
    fixed
        .into_iter()
        .chain(faults)
        .map(|(scenario, want)| (scenario.to_owned(), want))
        .chain(edges)
        // Issue 11: the ports page (tests/e2e/src/ports_page.rs).
        .chain(
            crate::ports_page::expected()
                .into_iter()
                .map(|(scenario, want)| (scenario.to_owned(), want)),
        )
        .collect()
}

const WAIT: Duration = Duration::from_secs(15);

/// One scenario of the scripted part: a command button to click, and the output to read.
enum Step {
    /// `(scenario, cmd, key)`: click `cmd`, read output `key`.
    Click(&'static str, &'static str, &'static str),
    /// The same, with the peer extension's id as the button's `data-arg`.
    ClickPeer(&'static str, &'static str, &'static str),
    /// `(scenario, key)`: read another output of an earlier click.
    Read(&'static str, &'static str),
    /// `(scenario, cmd, key)`: click `cmd`, read a process id from `key`, and report whether that
    /// process is gone within 10 s.
    ProcessExits(&'static str, &'static str, &'static str),
}

/// The scripted scenarios, in the order they run (after the two-tab part).
const STEPS: &[Step] = &[
    Step::Click(
        "tabs_connect_round_trip",
        "tabs-connect-self",
        "tabs_connect_round_trip",
    ),
    Step::Read(
        "tabs_connect_message_reaches_content",
        "content_received_from_background",
    ),
    Step::Click(
        "tabs_connect_default_name",
        "tabs-connect-default-name",
        "tabs_connect_default_name",
    ),
    Step::Click(
        "tabs_connect_missing_tab",
        "tabs-connect-missing",
        "tabs_connect_missing_tab",
    ),
    Step::Click(
        "tabs_connect_negative_tab",
        "tabs-connect-negative",
        "tabs_connect_negative_tab",
    ),
    Step::Click(
        "post_after_own_disconnect_content",
        "post-after-disconnect",
        "post_after_own_disconnect_content",
    ),
    Step::Click(
        "post_after_own_disconnect_background",
        "bg-post-after-disconnect",
        "post_after_own_disconnect_background",
    ),
    Step::Click(
        "post_nested_function",
        "unserializable",
        "post_nested_function",
    ),
    Step::Read("post_bigint", "post_bigint"),
    Step::Read("post_cyclic", "post_cyclic"),
    Step::Read("post_after_rejections", "post_after_rejections"),
    Step::Click(
        "remote_disconnect_fires_once_in_content",
        "remote-disconnect",
        "remote_disconnect_content",
    ),
    Step::Read(
        "post_after_remote_disconnect",
        "post_after_remote_disconnect",
    ),
    Step::Click(
        "content_disconnect_fires_once_in_background",
        "local-disconnect",
        "watched_watch-me",
    ),
    Step::Click("post_map", "more-unserializable", "post_map"),
    Step::Read("post_undefined", "post_undefined"),
    Step::Read("post_nan", "post_nan"),
    Step::Read("post_date", "post_date"),
    Step::Read("post_array_with_undefined", "post_array_with_undefined"),
    Step::Read(
        "post_object_with_undefined_property",
        "post_object_with_undefined_property",
    ),
    Step::Click(
        "message_before_listener_is_kept",
        "late-listener",
        "message_before_listener_is_kept",
    ),
    Step::Click(
        "burst_content_to_background",
        "burst",
        "burst_content_to_background",
    ),
    Step::Read("burst_background_to_content", "burst_background_to_content"),
    Step::Click(
        "dropped_listener_receives_nothing",
        "drop-listener",
        "dropped_listener_receives_nothing",
    ),
    Step::Click(
        "post_inside_on_disconnect",
        "post-inside-on-disconnect",
        "post_inside_on_disconnect",
    ),
    Step::Click(
        "double_disconnect",
        "double-disconnect",
        "double_disconnect",
    ),
    Step::Read("double_disconnect_seen_once", "watched_double"),
    Step::Click(
        "runtime_connect_default_name",
        "default-name",
        "runtime_connect_default_name",
    ),
    Step::Click("native_echo_round_trip", "native-echo", "native_echo"),
    Step::Read("native_port_name", "native_port_name"),
    Step::Click(
        "native_burst_in_order",
        "native-burst",
        "native_burst_in_order",
    ),
    Step::Click(
        "native_host_not_found",
        "native-not-found",
        "native_host_not_found",
    ),
    Step::Click(
        "native_invalid_host_name",
        "native-invalid-name",
        "native_invalid_host_name",
    ),
    Step::Click("native_host_exits", "native-exit", "native_host_exits"),
    Step::Click("native_host_crashes", "native-crash", "native_host_crashes"),
    Step::Click(
        "native_host_sends_over_1mib",
        "native-oversize",
        "native_host_sends_over_1mib",
    ),
    Step::Click(
        "native_host_sends_invalid_json",
        "native-invalid-json",
        "native_host_sends_invalid_json",
    ),
    Step::Click(
        "native_post_too_large",
        "native-too-large",
        "native_post_too_large",
    ),
    Step::ProcessExits(
        "native_disconnect_stops_host",
        "native-pid",
        "native_host_pid",
    ),
    Step::Read(
        "native_post_after_disconnect",
        "native_post_after_disconnect",
    ),
    Step::ClickPeer(
        "external_round_trip",
        "external-round-trip",
        "external_round_trip",
    ),
    Step::Read(
        "external_peer_sees_caller_id",
        "external_peer_sees_caller_id",
    ),
    Step::Read("external_port_name_at_peer", "external_port_name_at_peer"),
    Step::ClickPeer(
        "external_accepted_round_trip",
        "external-connect-back",
        "external_accepted_round_trip",
    ),
    Step::Read(
        "external_accepted_sender_is_peer",
        "external_accepted_round_trip_sender",
    ),
    Step::ClickPeer(
        "external_rejected_by_allowlist",
        "external-rejected",
        "external_rejected_by_allowlist",
    ),
    Step::Read(
        "external_rejected_sender_reported",
        "external_rejected_by_allowlist_sender",
    ),
    Step::Click(
        "external_unknown_id",
        "external-unknown-id",
        "external_unknown_id",
    ),
    Step::Click(
        "external_malformed_id",
        "external-malformed-id",
        "external_malformed_id",
    ),
    Step::Click(
        "external_gecko_style_unknown_id",
        "external-gecko-style-id",
        "external_gecko_style_unknown_id",
    ),
    Step::ClickPeer(
        "external_peer_disconnects",
        "external-peer-disconnects",
        "external_peer_disconnects",
    ),
    Step::Click(
        "content_script_connect_native",
        "native-from-content",
        "content_script_connect_native",
    ),
    Step::Read(
        "content_script_connect_native_browser",
        "content_script_connect_native_browser",
    ),
    Step::Click(
        "typed_async_round_trip",
        "typed-round-trip",
        "typed_async_round_trip",
    ),
    Step::Click("post_over_64_mib", "post-over-64mib", "post_over_64_mib"),
    Step::Click(
        "post_exactly_64_mib",
        "post-exactly-64mib",
        "post_exactly_64_mib",
    ),
    Step::Click(
        "context_content_script",
        "context-probe",
        "context_content_script",
    ),
    Step::Click(
        "context_background",
        "bg-context-probe",
        "context_background",
    ),
    Step::Click("rpc_round_trip", "rpc-round-trip", "rpc_round_trip"),
    Step::Click(
        "rpc_concurrent_requests",
        "rpc-concurrent",
        "rpc_concurrent_requests",
    ),
    Step::Click(
        "rpc_handler_error",
        "rpc-handler-error",
        "rpc_handler_error",
    ),
    Step::Click("rpc_timeout", "rpc-timeout", "rpc_timeout"),
    Step::Click(
        "rpc_timeout_in_background",
        "rpc-timeout-in-background",
        "rpc_timeout_in_background",
    ),
    Step::Click(
        "rpc_disconnect_in_flight",
        "rpc-disconnect-in-flight",
        "rpc_disconnect_in_flight",
    ),
    Step::Click(
        "rpc_own_disconnect_in_flight",
        "rpc-own-disconnect-in-flight",
        "rpc_own_disconnect_in_flight",
    ),
];

struct Run<'a> {
    session: &'a Session,
    seen: Observations,
}

impl Run<'_> {
    fn note(&mut self, scenario: &str, value: Result<String>) {
        let value = value.unwrap_or_else(|e| format!("error: {e}"));
        self.seen.push((scenario.to_owned(), value));
    }

    /// Clicks `<button data-cmd=CMD>` and reads `<output id="r-KEY">`.
    fn click(&mut self, scenario: &str, cmd: &str, key: &str) {
        self.click_with(scenario, cmd, "", key);
    }

    /// Same, with `data-arg=ARG` on the button.
    fn click_with(&mut self, scenario: &str, cmd: &str, arg: &str, key: &str) {
        let selector = format!("[data-cmd=\"{cmd}\"]");
        let value = self
            .session
            .clear_output(key)
            .and_then(|()| self.session.set_arg(&selector, arg))
            .and_then(|()| self.session.click_css(&selector))
            .and_then(|()| self.session.wait_output(key, WAIT));
        self.note(scenario, value);
    }

    /// Waits until the background holds three content-script ports (tab one, and the framed tab's
    /// top frame and iframe: the iframe connects on its own schedule), then broadcasts to all.
    fn broadcast_exactly_once(&mut self) {
        let start = std::time::Instant::now();
        loop {
            self.click(
                "stored_ports_before_frames_broadcast",
                "port-count",
                "stored_ports",
            );
            let (_, count) = self.seen.pop().unwrap_or_default();
            if count == "3" || start.elapsed() > WAIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.click(
            "broadcast_each_frame_exactly_once",
            "broadcast-exactly-once",
            "broadcast_receivers",
        );
    }

    fn step(&mut self, step: &Step, peer_id: &str) {
        match *step {
            Step::Click(scenario, cmd, key) => self.click(scenario, cmd, key),
            Step::ClickPeer(scenario, cmd, key) => self.click_with(scenario, cmd, peer_id, key),
            Step::Read(scenario, key) => {
                let value = self.session.wait_output(key, WAIT);
                self.note(scenario, value);
            }
            Step::ProcessExits(scenario, cmd, key) => {
                let pid = self
                    .session
                    .clear_output(key)
                    .and_then(|()| self.session.click_css(&format!("[data-cmd=\"{cmd}\"]")))
                    .and_then(|()| self.session.wait_output(key, WAIT));
                self.note(
                    scenario,
                    pid.and_then(|pid| process_exits(&pid, Duration::from_secs(10))),
                );
            }
        }
    }
}

/// Opens `url` in the current tab and waits for the content script's first reply.
fn open(session: &Session, url: &str) -> Result<String> {
    session.navigate(url)?;
    session.wait_output("ready", WAIT)?;
    session.wait_output("cs_greeting_reply", WAIT)
}

/// Whether process `pid` is gone within `timeout` (a zombie counts as gone).
fn process_exits(pid: &str, timeout: Duration) -> Result<String> {
    let pid: u32 = pid.parse().map_err(|_| format!("not a pid: {pid:?}"))?;
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let running = state
            .as_deref()
            .and_then(|s| s.rfind(')').map(|end| &s[end + 1..]))
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z");
        if !running {
            return Ok("exited".to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok("still running".to_owned())
}

/// Opens the demo's extension page (its URL comes from the content script) and reads its probe.
/// geckodriver refuses to navigate to a moz-extension: URL; there the background opens the page
/// with `tabs.create` instead, and the probe is read in that new tab.
fn extension_page(session: &Session) -> Result<String> {
    let url = session.wait_output("extension_page_url", WAIT)?;
    if url.starts_with("chrome-extension:") {
        return read_page(session, &url, "context_extension_page");
    }
    let home = session.current_tab()?;
    let before = session.tabs()?;
    session.click_css("[data-cmd=\"open-probe-page\"]")?;
    let start = std::time::Instant::now();
    let opened = loop {
        if let Some(tab) = session.tabs()?.into_iter().find(|t| !before.contains(t)) {
            break tab;
        }
        if start.elapsed() > WAIT {
            return Err("the extension page did not open".to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    session.switch_to(&opened)?;
    let value = session.wait_output("context_extension_page", WAIT);
    session.close_tab()?;
    session.switch_to(&home)?;
    value
}

/// Opens `url` in the current tab and reads output `key` there.
fn read_page(session: &Session, url: &str, key: &str) -> Result<String> {
    session.navigate(url)?;
    session.wait_output(key, WAIT)
}

pub fn run(session: &Session, origin: &str, ids: &Ids) -> Observations {
    let peer_id = ids.peer.as_str();
    let mut run = Run {
        session,
        seen: Vec::new(),
    };
    let first = session.current_tab();
    let greeting = open(session, &format!("{origin}/test.html?tab=a"));
    run.note("content_to_background_reply", greeting);
    run.click("background_received_greetings", "received", "bg_received");
    run.click("background_sees_sender", "sender", "sender_fields");

    // A second tab: the background must store two ports and broadcast to both.
    let second = session.new_tab().and_then(|handle| {
        session.switch_to(&handle)?;
        open(session, &format!("{origin}/test.html?tab=b"))?;
        Ok(handle)
    });
    let tabs = first.and_then(|first| second.map(|second| (first, second)));
    match &tabs {
        Ok((first, second)) => {
            let _ = session.switch_to(first);
            run.click("two_tabs_two_stored_ports", "port-count", "stored_ports");
            run.click("broadcast_sent_to_ports", "broadcast", "broadcast_sent");
            let in_first = session.wait_output("broadcast", WAIT);
            let in_second = session
                .switch_to(second)
                .and_then(|()| session.wait_output("broadcast", WAIT));
            let both = in_first.and_then(|a| in_second.map(|b| format!("{a}|{b}")));
            run.note("broadcast_reaches_both_tabs", both);
            let _ = session.switch_to(first);
        }
        Err(e) => {
            for scenario in [
                "two_tabs_two_stored_ports",
                "broadcast_sent_to_ports",
                "broadcast_reaches_both_tabs",
            ] {
                run.note(scenario, Err(e.clone()));
            }
        }
    }

    for step in STEPS {
        run.step(step, peer_id);
    }

    // Every edge value of the codec's table, one port each, all sent by one click.
    let clicked = session.click_css("[data-cmd=\"edge-values\"]");
    for case in edge_cases() {
        let scenario = edge_scenario(case.name);
        let value = clicked
            .clone()
            .and_then(|()| session.wait_output(&scenario, WAIT));
        run.note(&scenario, value);
    }

    // Closing the second tab disconnects its port; the background must drop it. Asked until it
    // says so (the tab's onDisconnect is the signal, and it has no fixed delay), for at most WAIT.
    let closed = tabs.and_then(|(first, second)| {
        session.switch_to(&second)?;
        session.close_tab()?;
        session.switch_to(&first)
    });
    match closed {
        Ok(()) => {
            let start = std::time::Instant::now();
            loop {
                run.click("closed_tab_port_removed", "port-count", "stored_ports");
                let done = run.seen.last().is_some_and(|(_, v)| v == "1");
                if done || start.elapsed() > WAIT {
                    break;
                }
                run.seen.pop();
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Err(e) => run.note("closed_tab_port_removed", Err(e)),
    }

    // Two tabs again, the second with the content script in an iframe too: three receivers.
    let framed = session.current_tab().and_then(|first| {
        let framed = session.new_tab()?;
        session.switch_to(&framed)?;
        open(session, &format!("{origin}/frames.html"))?;
        session.switch_to(&first)?;
        Ok((first, framed))
    });
    match framed {
        Ok((first, framed)) => {
            run.broadcast_exactly_once();
            let _ = session
                .switch_to(&framed)
                .and_then(|()| session.close_tab());
            let _ = session.switch_to(&first);
        }
        Err(e) => run.note("broadcast_each_frame_exactly_once", Err(e)),
    }

    // Other contexts, last: they navigate the first tab away from the test page.
    let value = extension_page(session);
    run.note("context_extension_page", value);
    let value = read_page(
        session,
        &format!("{origin}/ec/nocs-probe.html?ext={}", ids.demo),
        "context_web_page_ec",
    );
    run.note("context_web_page_externally_connectable", value);
    let value = session.wait_output("web_page_hello", WAIT);
    run.note("web_page_connect_external", value);
    let value = read_page(
        session,
        &format!("{origin}/nocs-probe.html"),
        "context_web_page_plain",
    );
    run.note("context_web_page_without_extension_api", value);
    run.seen
}
