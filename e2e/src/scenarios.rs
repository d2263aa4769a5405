//! The scenarios: what the test clicks, and what the Rust code in the extension must report.
//!
//! Every value comes from the page's `<output id="r-KEY">`, written by the demo's content script
//! with what the Rust code observed (its own or relayed from the background).

use crate::webdriver::{Result, Session};
use std::time::Duration;

/// One observed value per scenario, in the order run.
pub type Observations = Vec<(String, String)>;

/// Measured browser differences no library can hide, asserted per browser so a change shows:
/// `(scenario, chromium, firefox)`. They are not in conformance.json (which must agree).
pub const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[(
    // Chromium 156 drops a host frame that is not JSON without a word and keeps the port open;
    // Firefox 153 closes the port ("An unexpected error occurred").
    "native_host_sends_invalid_json",
    "message dropped, port open",
    "err:native_protocol_error",
)];

/// The expected outcome of every scenario; `{origin}` is the test server's origin.
pub fn expected(origin: &str) -> Vec<(&'static str, String)> {
    [
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
        ("dropped_listener_receives_nothing", "A=0 B=2".to_owned()),
        ("post_inside_on_disconnect", "err:disconnected".to_owned()),
        ("double_disconnect", "ok ok".to_owned()),
        ("double_disconnect_seen_once", "clean x1".to_owned()),
        ("runtime_connect_default_name", "\"\"".to_owned()),
        // Native messaging, against native-host/.
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
        // Extension to extension, against peer/.
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
    ]
    .into_iter()
    .collect()
}

const WAIT: Duration = Duration::from_secs(15);

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

    /// Reads another output the last click produced.
    fn read(&mut self, scenario: &str, key: &str) {
        let value = self.session.wait_output(key, WAIT);
        self.note(scenario, value);
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

pub fn run(session: &Session, origin: &str, peer_id: &str) -> Observations {
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

    run.click(
        "tabs_connect_round_trip",
        "tabs-connect-self",
        "tabs_connect_round_trip",
    );
    let received = session.wait_output("content_received_from_background", WAIT);
    run.note("tabs_connect_message_reaches_content", received);
    run.click(
        "tabs_connect_default_name",
        "tabs-connect-default-name",
        "tabs_connect_default_name",
    );
    run.click(
        "tabs_connect_missing_tab",
        "tabs-connect-missing",
        "tabs_connect_missing_tab",
    );
    run.click(
        "tabs_connect_negative_tab",
        "tabs-connect-negative",
        "tabs_connect_negative_tab",
    );
    run.click(
        "post_after_own_disconnect_content",
        "post-after-disconnect",
        "post_after_own_disconnect_content",
    );
    run.click(
        "post_after_own_disconnect_background",
        "bg-post-after-disconnect",
        "post_after_own_disconnect_background",
    );
    run.click(
        "post_nested_function",
        "unserializable",
        "post_nested_function",
    );
    for key in ["post_bigint", "post_cyclic", "post_after_rejections"] {
        let value = session.wait_output(key, WAIT);
        run.note(key, value);
    }
    run.click(
        "remote_disconnect_fires_once_in_content",
        "remote-disconnect",
        "remote_disconnect_content",
    );
    let value = session.wait_output("post_after_remote_disconnect", WAIT);
    run.note("post_after_remote_disconnect", value);
    run.click(
        "content_disconnect_fires_once_in_background",
        "local-disconnect",
        "watched_watch-me",
    );

    run.click("post_map", "more-unserializable", "post_map");
    for key in [
        "post_undefined",
        "post_nan",
        "post_date",
        "post_array_with_undefined",
        "post_object_with_undefined_property",
    ] {
        run.read(key, key);
    }
    run.click(
        "message_before_listener_is_kept",
        "late-listener",
        "message_before_listener_is_kept",
    );
    run.click(
        "dropped_listener_receives_nothing",
        "drop-listener",
        "dropped_listener_receives_nothing",
    );
    run.click(
        "post_inside_on_disconnect",
        "post-inside-on-disconnect",
        "post_inside_on_disconnect",
    );
    run.click(
        "double_disconnect",
        "double-disconnect",
        "double_disconnect",
    );
    run.read("double_disconnect_seen_once", "watched_double");
    run.click(
        "runtime_connect_default_name",
        "default-name",
        "runtime_connect_default_name",
    );

    run.click("native_echo_round_trip", "native-echo", "native_echo");
    run.read("native_port_name", "native_port_name");
    run.click(
        "native_burst_in_order",
        "native-burst",
        "native_burst_in_order",
    );
    run.click(
        "native_host_not_found",
        "native-not-found",
        "native_host_not_found",
    );
    run.click(
        "native_invalid_host_name",
        "native-invalid-name",
        "native_invalid_host_name",
    );
    run.click("native_host_exits", "native-exit", "native_host_exits");
    run.click("native_host_crashes", "native-crash", "native_host_crashes");
    run.click(
        "native_host_sends_over_1mib",
        "native-oversize",
        "native_host_sends_over_1mib",
    );
    run.click(
        "native_host_sends_invalid_json",
        "native-invalid-json",
        "native_host_sends_invalid_json",
    );
    run.click(
        "native_post_too_large",
        "native-too-large",
        "native_post_too_large",
    );

    let pid = session
        .clear_output("native_host_pid")
        .and_then(|()| session.click_css("[data-cmd=\"native-pid\"]"))
        .and_then(|()| session.wait_output("native_host_pid", WAIT));
    run.read(
        "native_post_after_disconnect",
        "native_post_after_disconnect",
    );
    run.note(
        "native_disconnect_stops_host",
        pid.and_then(|pid| process_exits(&pid, Duration::from_secs(10))),
    );

    run.click_with(
        "external_round_trip",
        "external-round-trip",
        peer_id,
        "external_round_trip",
    );
    run.read(
        "external_peer_sees_caller_id",
        "external_peer_sees_caller_id",
    );
    run.read("external_port_name_at_peer", "external_port_name_at_peer");
    run.click_with(
        "external_accepted_round_trip",
        "external-connect-back",
        peer_id,
        "external_accepted_round_trip",
    );
    run.read(
        "external_accepted_sender_is_peer",
        "external_accepted_round_trip_sender",
    );
    run.click_with(
        "external_rejected_by_allowlist",
        "external-rejected",
        peer_id,
        "external_rejected_by_allowlist",
    );
    run.read(
        "external_rejected_sender_reported",
        "external_rejected_by_allowlist_sender",
    );
    run.click(
        "external_unknown_id",
        "external-unknown-id",
        "external_unknown_id",
    );
    run.click(
        "external_malformed_id",
        "external-malformed-id",
        "external_malformed_id",
    );
    run.click(
        "external_gecko_style_unknown_id",
        "external-gecko-style-id",
        "external_gecko_style_unknown_id",
    );
    run.click_with(
        "external_peer_disconnects",
        "external-peer-disconnects",
        peer_id,
        "external_peer_disconnects",
    );

    // Closing the second tab disconnects its port; the background must drop it.
    let closed = tabs.and_then(|(first, second)| {
        session.switch_to(&second)?;
        session.close_tab()?;
        session.switch_to(&first)?;
        std::thread::sleep(Duration::from_millis(500));
        Ok(())
    });
    match closed {
        Ok(()) => run.click("closed_tab_port_removed", "port-count", "stored_ports"),
        Err(e) => run.note("closed_tab_port_removed", Err(e)),
    }
    run.seen
}
