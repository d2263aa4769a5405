//! The scenarios: what the test clicks, and what the Rust code in the extension must report.
//!
//! Every value comes from the page's `<output id="r-KEY">`, written by the demo's content script
//! with what the Rust code observed (its own or relayed from the background).

use crate::webdriver::{Result, Session};
use std::time::Duration;

/// One observed value per scenario, in the order run.
pub type Observations = Vec<(String, String)>;

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
        let value = self
            .session
            .clear_output(key)
            .and_then(|()| self.session.click_css(&format!("[data-cmd=\"{cmd}\"]")))
            .and_then(|()| self.session.wait_output(key, WAIT));
        self.note(scenario, value);
    }
}

/// Opens `url` in the current tab and waits for the content script's first reply.
fn open(session: &Session, url: &str) -> Result<String> {
    session.navigate(url)?;
    session.wait_output("ready", WAIT)?;
    session.wait_output("cs_greeting_reply", WAIT)
}

pub fn run(session: &Session, origin: &str) -> Observations {
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
        "remote_disconnect_background",
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
