//! The content script: the MDN part (`mdn::content_script`), the page plumbing of the tests
//! (`<output id="r-KEY">`, the command buttons), and the tests that run in the content script.
//! Commands it does not run itself go to the background as requests on the "commands" port.

use crate::js::{log, outcome};
use crate::protocol::{Command, FromContent, Reports, ToContent};
use crate::{mdn, rpc_scenarios};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use webext_port::{rpc, runtime, ConnectInfo, ConnectListener, Port, TypedPort};

struct Content {
    mdn: TypedPort<ToContent, FromContent>,
    background: rpc::Client<Command, Reports>,
    _on_connect: Option<ConnectListener>,
    _on_click: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static CONTENT: RefCell<Option<Content>> = const { RefCell::new(None) };
}

/// Shows an observation in the page as `<output id="r-KEY">VALUE</output>`.
pub fn report(key: &str, value: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let id = format!("r-{key}");
    let element = document.get_element_by_id(&id).or_else(|| {
        let element = document.create_element("output").ok()?;
        element.set_id(&id);
        document.body()?.append_child(&element).ok()?;
        Some(element)
    });
    if let Some(element) = element {
        element.set_text_content(Some(value));
    }
}

/// Shows every report of a command's answer.
pub fn show(reports: Reports) {
    for (key, value) in reports {
        report(&key, &value);
    }
}

/// Opens a port named `name`, or reports the error under `key`.
pub fn connect_or_report(name: &str, key: &str) -> Option<Port> {
    runtime::connect(&ConnectInfo::named(name))
        .map_err(|err| report(key, &format!("err:{}", err.kind())))
        .ok()
}

pub fn start() {
    let mdn = match mdn::content_script() {
        Ok(port) => port,
        Err(err) => return report("connect", &format!("err:{}", err.kind())),
    };
    crate::lifecycle::watch_main_port(mdn.port());
    let Some(commands) = connect_or_report("commands", "connect") else {
        return;
    };
    let Some(on_click) = listen_for_clicks() else {
        return log("no document body to listen on");
    };
    let content = Content {
        mdn,
        background: rpc::Client::new(&commands),
        _on_connect: runtime::on_connect(test::from_background).ok(),
        _on_click: on_click,
    };
    CONTENT.with(|c| *c.borrow_mut() = Some(content));
    report(
        "extension_page_url",
        &crate::contexts::extension_url("probe.html"),
    );
    report("ready", "yes");
}

/// MDN's click handler, plus the test commands (`<button data-cmd=… data-arg=…>`).
fn listen_for_clicks() -> Option<Closure<dyn FnMut(web_sys::Event)>> {
    let body = web_sys::window()?.document()?.body()?;
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        CONTENT.with(|c| c.borrow().as_ref().map(|c| mdn::clicked(&c.mdn)));
        let target = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        if let Some(cmd) = target.as_ref().and_then(|e| e.get_attribute("data-cmd")) {
            let arg = target
                .and_then(|e| e.get_attribute("data-arg"))
                .unwrap_or_default();
            run(&cmd, arg);
        }
    });
    body.add_event_listener_with_callback("click", closure.as_ref().unchecked_ref())
        .ok()?;
    Some(closure)
}

/// One command: run here if it is a content-script test, else ask the background.
fn run(cmd: &str, arg: String) {
    if crate::lifecycle::run(cmd, &arg)
        || test::run(cmd)
        || rpc_scenarios::run(cmd)
        || crate::edge::run(cmd)
    {
        return;
    }
    ask_background(Command {
        cmd: cmd.to_owned(),
        arg,
    });
}

/// Sends `command` to the background and shows its answer.
pub fn ask_background(command: Command) {
    let Some(background) = CONTENT.with(|c| c.borrow().as_ref().map(|c| c.background.clone()))
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        match background.request(&command).await {
            Ok(reports) => show(reports),
            Err(err) => report("command", &format!("err:{}", err.kind())),
        }
    });
}

pub mod test {
    //! The tests that run in the content script.

    use super::*;
    use crate::js::{after_first_raw_message, object, quiet_period, reason};
    use crate::protocol::Burst;
    use futures::StreamExt;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::JsValue;

    /// A greeting from the background on "port-from-cs".
    pub fn greeting(text: &str) {
        let key = if text == "they clicked the button!" {
            "broadcast"
        } else {
            "cs_greeting_reply"
        };
        report(key, text);
    }

    /// A message sent from the ports page to this port only.
    pub fn note(text: &str) {
        report("ports_page_message", text);
    }

    /// Runs `cmd` if it is a content-script test.
    pub fn run(cmd: &str) -> bool {
        let main = CONTENT.with(|c| c.borrow().as_ref().map(|c| c.mdn.port().clone()));
        let Some(main) = main else { return false };
        match cmd {
            "unserializable" => unserializable(&main),
            "more-unserializable" => more_unserializable(&main),
            "post-over-64mib" => {
                // One byte of JSON over the limit: refused before the browser sees it, in both.
                let huge =
                    js_sys::JsString::from("x").repeat(webext_port::MESSAGE_LIMIT as i32 - 1);
                report("post_over_64_mib", &outcome(&main.post(&huge.into())));
            }
            "post-exactly-64mib" => exactly_64_mib(),
            "burst" => spawn(burst()),
            "late-listener" => late_listener(),
            "drop-listener" => drop_listener(),
            "post-inside-on-disconnect" => post_inside_on_disconnect(),
            "remote-disconnect" => remote_disconnect(),
            "local-disconnect" => spawn(local_disconnect("watch-me", 1, "local_disconnect")),
            "double-disconnect" => spawn(local_disconnect("double", 2, "double_disconnect")),
            "default-name" => spawn(default_name()),
            "post-after-disconnect" => {
                let result = runtime::connect(&ConnectInfo::named("ephemeral")).and_then(|p| {
                    p.disconnect()?;
                    p.post(&"too late".into())
                });
                report("post_after_own_disconnect_content", &outcome(&result));
            }
            "context-probe" => report(
                "context_content_script",
                &crate::contexts::probe(true, true),
            ),
            "native-from-content" => crate::native::from_content(),
            _ => return false,
        }
        true
    }

    fn spawn(f: impl std::future::Future<Output = ()> + 'static) {
        wasm_bindgen_futures::spawn_local(f);
    }

    /// Values Chromium and Firefox disagree on must fail the same way in both.
    fn unserializable(port: &Port) {
        let function = Closure::<dyn Fn()>::new(|| {});
        let nested_function = object(&[("f", function.as_ref().clone())]);
        report(
            "post_nested_function",
            &outcome(&port.post(&nested_function)),
        );
        let bigint = object(&[("b", js_sys::BigInt::from(1u32).into())]);
        report("post_bigint", &outcome(&port.post(&bigint)));
        let cyclic = object(&[]);
        let _ = js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic);
        report("post_cyclic", &outcome(&port.post(&cyclic)));
        // The port still works after the rejections.
        let still = port
            .typed::<(), FromContent>()
            .send(&FromContent::Greeting("still here".into()));
        report("post_after_rejections", &outcome(&still));
    }

    /// More values that JSON and structured clone deliver differently: refused in both browsers.
    fn more_unserializable(port: &Port) {
        let map = js_sys::Map::new();
        map.set(&"k".into(), &1.into());
        let cases: [(&str, JsValue); 5] = [
            ("post_map", map.into()),
            ("post_undefined", JsValue::UNDEFINED),
            ("post_nan", f64::NAN.into()),
            ("post_date", js_sys::Date::new_0().into()),
            (
                "post_array_with_undefined",
                js_sys::Array::of1(&JsValue::UNDEFINED).into(),
            ),
        ];
        for (key, value) in cases {
            report(key, &outcome(&port.post(&value)));
        }
        // An object property holding undefined reads the same in both browsers: allowed.
        let plain = object(&[
            ("greeting", "undefined inside".into()),
            ("absent", JsValue::UNDEFINED),
        ]);
        report(
            "post_object_with_undefined_property",
            &outcome(&port.post(&plain)),
        );
    }

    /// Exactly 64 MiB of JSON (a string of limit - 2 characters plus its quotes) crosses to the
    /// background in both browsers; the background answers with how many characters arrived.
    fn exactly_64_mib() {
        let Some(port) = connect_or_report("big", "post_exactly_64_mib") else {
            return;
        };
        port.typed::<f64, ()>()
            .on_message(|chars| {
                report(
                    "post_exactly_64_mib",
                    &format!("{} chars", chars.unwrap_or(-1.0)),
                )
            })
            .forget();
        let at_limit = js_sys::JsString::from("x").repeat(webext_port::MESSAGE_LIMIT as i32 - 2);
        if let Err(err) = port.post(&at_limit.into()) {
            report("post_exactly_64_mib", &format!("err:{}", err.kind()));
        }
    }

    /// 1000 numbered messages each way on a fresh port: all must arrive, in order.
    async fn burst() {
        const COUNT: u32 = 1000;
        let Some(port) = connect_or_report("burst", "burst_background_to_content") else {
            return;
        };
        let port = port.typed::<Burst, Burst>();
        let mut messages = port.messages();
        let sent = (0..COUNT).all(|seq| port.send(&Burst::Seq(seq)).is_ok());
        let _ = port.send(&Burst::Done(sent));
        let mut seen = 0;
        while let Some(message) = messages.next().await {
            match message {
                Ok(Burst::Received(summary)) => report("burst_content_to_background", &summary),
                Ok(Burst::Seq(seq)) if seq == seen => {
                    seen += 1;
                    if seen == COUNT {
                        report("burst_background_to_content", &format!("{COUNT} in order"));
                        break;
                    }
                }
                _ => {
                    return report(
                        "burst_background_to_content",
                        &format!("out of order at {seen}"),
                    )
                }
            }
        }
        let _ = port.disconnect();
    }

    /// The background posts "early" the moment it receives the port; we add on_message only
    /// after that message has reached this content script (seen by a raw JS listener), and must
    /// still get it (the browser alone would have dropped it: nobody was listening through the
    /// library).
    fn late_listener() {
        let Some(port) = connect_or_report("late-listener", "message_before_listener_is_kept")
        else {
            return;
        };
        let late = port.typed::<String, ()>();
        after_first_raw_message(port.raw(), move || {
            late.on_message(|message| {
                report(
                    "message_before_listener_is_kept",
                    &message.unwrap_or_default(),
                );
            })
            .forget();
        });
    }

    /// Listener A is dropped at once, listener B stays: the background's two messages reach B
    /// only. B's second message is the completion signal; a quiet period after it catches a
    /// late one.
    fn drop_listener() {
        let Some(port) = connect_or_report("two-messages", "dropped_listener_receives_nothing")
        else {
            return;
        };
        let (a, b) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let count_a = a.clone();
        drop(port.on_message(move |_| count_a.set(count_a.get() + 1)));
        let (count_b, closing) = (b.clone(), port.clone());
        port.on_message(move |_| {
            count_b.set(count_b.get() + 1);
            if count_b.get() != 2 {
                return;
            }
            let (a, b, port) = (a.clone(), count_b.clone(), closing.clone());
            spawn(async move {
                quiet_period().await;
                report(
                    "dropped_listener_receives_nothing",
                    &format!("A={} B={}", a.get(), b.get()),
                );
                let _ = port.disconnect();
            });
        })
        .forget();
        let _ = port.post(&"send two".into());
    }

    /// Posting from inside on_disconnect (the port is already gone) is an error, not a throw.
    fn post_inside_on_disconnect() {
        let Some(port) = connect_or_report("disconnect-me", "post_inside_on_disconnect") else {
            return;
        };
        let inside = port.clone();
        port.on_disconnect(move |_| {
            let result = inside.post(&"from inside".into());
            report("post_inside_on_disconnect", &outcome(&result));
        });
    }

    /// The background disconnects "disconnect-me" at once: our on_disconnect must fire exactly
    /// once. Its first call is the completion signal; a quiet period after it catches a late
    /// duplicate.
    fn remote_disconnect() {
        let Some(port) = connect_or_report("disconnect-me", "remote_disconnect_content") else {
            return;
        };
        let fired = Rc::new(Cell::new(0));
        let last = Rc::new(RefCell::new(String::new()));
        let (count, why) = (fired.clone(), last.clone());
        let after = port.clone();
        port.on_disconnect(move |reason_| {
            count.set(count.get() + 1);
            *why.borrow_mut() = reason(&reason_);
            if count.get() > 1 {
                return; // the first call's report will show the count
            }
            let (fired, last, port) = (fired.clone(), last.clone(), after.clone());
            spawn(async move {
                quiet_period().await;
                report(
                    "remote_disconnect_content",
                    &format!("{} x{}", last.borrow(), fired.get()),
                );
                report(
                    "post_after_remote_disconnect",
                    &outcome(&port.post(&"anyone?".into())),
                );
            });
        });
    }

    /// We disconnect a port named `name` (`times` times) once the background watches it, then
    /// ask the background how many disconnects it saw on ports of that name.
    async fn local_disconnect(name: &'static str, times: usize, key: &'static str) {
        let Some(port) = connect_or_report(name, key) else {
            return;
        };
        let _watching = port.typed::<String, ()>().messages().next().await;
        let results: Vec<String> = (0..times).map(|_| outcome(&port.disconnect())).collect();
        report(key, &results.join(" "));
        ask_background(Command {
            cmd: "watched".into(),
            arg: name.into(),
        });
    }

    /// `runtime.connect` without a name: the background says which name it saw.
    async fn default_name() {
        let port = match runtime::connect(&ConnectInfo::new()) {
            Ok(port) => port,
            Err(err) => {
                return report(
                    "runtime_connect_default_name",
                    &format!("err:{}", err.kind()),
                )
            }
        };
        let seen = port.typed::<String, ()>().messages().next().await;
        report(
            "runtime_connect_default_name",
            &seen.and_then(Result::ok).unwrap_or_default(),
        );
        let _ = port.disconnect();
    }

    /// `runtime.onConnect` in the content script: ports the background opened with `tabs.connect`.
    pub fn from_background(port: Port) {
        if crate::lifecycle_faults::received(&port) || crate::lifecycle_leak::received(&port) {
            return;
        }
        if port.name() == "rpc-from-bg" {
            return rpc_scenarios::serve(&port);
        }
        if port.name() != "port-from-bg" {
            let name = if port.name().is_empty() {
                "\"\""
            } else {
                port.name()
            };
            report("tabs_connect_default_name", name);
            let _ = port.disconnect();
            return;
        }
        let port = port.typed::<String, String>();
        let _ = port.send(&"hi background, from content".to_owned());
        port.on_message(|message| {
            if let Ok(text) = message {
                report("content_received_from_background", &text);
            }
        })
        .forget();
    }
}
