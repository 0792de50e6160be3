//! The console's PBX pages in a real browser (headless chromium under
//! chromedriver) against the real switch: hunt groups made through the form
//! with their members in order, a bad number shown with the API's message;
//! an extension's call features and voicemail box set on its page; a
//! message left by a real baresip call listed with a player that plays it,
//! then marked heard; conditions. Each page is saved as a screenshot under
//! `target/console-screenshots/`.

mod console_support;

use std::time::Duration;

use console_support::{Chrome, add_user, audio_duration, fetch};
use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::tone;
use voxide_testkit::{Baresip, Server};

const WITHIN: Duration = Duration::from_secs(15);

fn id_of(ext: &Value) -> i64 {
    ext["id"].as_i64().expect("extension id")
}

/// Picks the option `value` of the `<select>` `css`.
fn choose(chrome: &Chrome, css: &str, value: &str) {
    let select = chrome.wait(css, 5);
    chrome.run(select.select_by_value(value)).unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

/// On a phone-sized screen nothing sticks out sideways.
fn fits_a_phone(chrome: &Chrome, server: &Server, path: &str, name: &str) {
    chrome.run(chrome.c().set_window_size(390, 844)).expect("resize");
    chrome.goto(&server.url(path));
    chrome.wait("main h1", 5);
    let fits = chrome.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;");
    assert_eq!(fits, json!(true), "{path} is wider than a phone");
    chrome.shot(name);
    chrome.run(chrome.c().set_window_size(1280, 1000)).expect("resize back");
}

#[test]
fn a_hunt_group_is_made_through_the_form_with_its_members_in_order() {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &[]);
    let (a, b) = (server.create_extension("1001", "secret-1001"), server.create_extension("1002", "secret-1002"));
    add_user(&server, "alice");
    let chrome = Chrome::start("pbx-hunt");
    chrome.sign_in(&server, "alice");

    // The number an extension already has: the API's message, nothing made.
    chrome.click("header nav a[href='/console/hunt_groups']");
    chrome.wait("#hunt-groups", 5);
    chrome.click("a[href='/console/hunt_groups/new']");
    chrome.fill("#f-name", "Sales");
    chrome.fill("#f-number", "1001");
    choose(&chrome, "#f-strategy", "sequential");
    chrome.fill("#f-ring_secs", "15");
    choose(&chrome, "select[name=member_0]", &id_of(&b).to_string());
    choose(&chrome, "select[name=member_1]", &id_of(&a).to_string());
    chrome.click("#hunt-group-form button[type=submit]");
    assert_eq!(chrome.text(".field-error[data-field=number]"), "An extension already has this number.");
    chrome.shot("hunt-group-invalid");
    assert_eq!(server.get("/api/hunt_groups/"), (200, json!([])), "nothing was created");
    // What was typed and picked is still there.
    let kept = chrome.script(
        "return [document.querySelector('select[name=member_0]').value, \
                 document.querySelector('select[name=member_1]').value, \
                 document.getElementById('f-strategy').value];",
    );
    assert_eq!(kept, json!([id_of(&b).to_string(), id_of(&a).to_string(), "sequential"]));

    // A member given twice is named at its place in the order.
    choose(&chrome, "select[name=member_2]", &id_of(&b).to_string());
    chrome.fill("#f-number", "501");
    chrome.click("#hunt-group-form button[type=submit]");
    let twice = chrome.text(".field-error[data-field='members[2]']");
    assert_eq!(twice, format!("Extension {} is given twice.", id_of(&b)));
    assert_eq!(server.get("/api/hunt_groups/"), (200, json!([])));

    choose(&chrome, "select[name=member_2]", "");
    chrome.fill("#f-number", "501");
    chrome.click("#hunt-group-form button[type=submit]");
    assert_eq!(chrome.text(".notice"), "Created.");
    let row = chrome.wait("#hunt-groups tbody tr[data-id]", 5);
    let cells: Vec<String> = chrome
        .run(row.find_all(fantoccini::Locator::Css("td")))
        .expect("cells")
        .iter()
        .map(|c| chrome.text_of(c))
        .collect();
    assert_eq!(cells, ["Sales", "501", "One after the other", "15 s", "1002, 1001"]);
    chrome.shot("hunt-groups");
    let (_, groups) = server.get("/api/hunt_groups/");
    let g = &groups[0];
    assert_eq!((&g["name"], &g["number"], &g["strategy"]), (&json!("Sales"), &json!("501"), &json!("sequential")));
    assert_eq!((&g["ring_secs"], &g["members"]), (&json!(15), &json!([id_of(&b), id_of(&a)])));

    // Its page: reordered and saved, the overflow picked from the choices.
    chrome.click("#hunt-groups tbody tr[data-id] a");
    chrome.wait("#hunt-group-form", 5);
    let hunt_choice = format!("datalist#destinations option[value='hunt:{}']", g["id"]);
    assert_eq!(chrome.all(&hunt_choice).len(), 1, "the group is among the destinations offered");
    choose(&chrome, "select[name=member_0]", &id_of(&a).to_string());
    choose(&chrome, "select[name=member_1]", &id_of(&b).to_string());
    chrome.fill("#f-overflow", &format!("voicemail:{}", id_of(&a)));
    chrome.shot("hunt-group-edit");
    chrome.click("#hunt-group-form button[type=submit]");
    assert_eq!(chrome.text(".notice"), "Saved.");
    let (_, g) = server.get(&format!("/api/hunt_groups/{}/", g["id"]));
    assert_eq!(
        (&g["members"], &g["overflow"]),
        (&json!([id_of(&a), id_of(&b)]), &json!(format!("voicemail:{}", id_of(&a))))
    );

    // A condition made the same way, leading to the group.
    chrome.click("header nav a[href='/console/conditions']");
    chrome.click("a[href='/console/conditions/new']");
    chrome.fill("#f-name", "office hours");
    chrome.fill("#f-time_zone", "Mars/Olympus");
    chrome.fill("#f-match_destination", &format!("hunt:{}", g["id"]));
    chrome.click("#condition-form button[type=submit]");
    assert!(chrome.text(".field-error[data-field=time_zone]").starts_with("Enter an IANA time zone name"));
    chrome.shot("condition-invalid");
    assert_eq!(server.get("/api/conditions/"), (200, json!([])));
    chrome.fill("#f-time_zone", "America/New_York");
    chrome.click("#f-day_sat");
    chrome.click("#condition-form button[type=submit]");
    assert_eq!(chrome.text(".notice"), "Created.");
    let row = chrome.text("#conditions tbody tr[data-id]");
    assert!(row.contains("office hours") && row.contains("mon tue wed thu fri sat"), "{row}");
    chrome.shot("conditions");
    let (_, conditions) = server.get("/api/conditions/");
    let c = &conditions[0];
    assert_eq!(
        (&c["weekdays"], &c["start_time"], &c["end_time"]),
        (&json!("mon,tue,wed,thu,fri,sat"), &json!("09:00"), &json!("17:00"))
    );
    assert_eq!(c["match_destination"], json!(format!("hunt:{}", g["id"])));

    fits_a_phone(&chrome, &server, "/console/hunt_groups", "hunt-groups-phone");
    fits_a_phone(&chrome, &server, &format!("/console/hunt_groups/{}", g["id"]), "hunt-group-phone");
}

#[test]
fn voicemail_set_on_the_extensions_page_takes_a_real_message_that_plays_and_is_marked_heard() {
    let server = Server::start(
        env!("CARGO_BIN_EXE_voxide"),
        &[("VOXIDE_SIP_DIGEST_SHA256", "false"), ("VOXIDE_MEDIA_RTP_PORTS", "44600-44799")],
    );
    server.create_extension("1001", "secret-1001");
    let owner = id_of(&server.create_extension("1002", "secret-1002"));
    add_user(&server, "alice");
    let chrome = Chrome::start("pbx-voicemail");
    chrome.sign_in(&server, "alice");

    // Bad fields first: each named where it was typed, nothing saved.
    chrome.goto(&server.url(&format!("/console/extensions/{owner}")));
    chrome.wait("#features-form", 5);
    chrome.click("#f-voicemail_enabled");
    chrome.fill("#f-voicemail_pin", "12");
    chrome.fill("input[name=step_number_0]", "1002");
    chrome.fill("#f-forward_busy", "hunt:999");
    chrome.click("#features-form button[type=submit]");
    assert_eq!(chrome.text(".field-error[data-field=voicemail_pin]"), "Enter 4 to 10 digits, or nothing for no PIN.");
    assert_eq!(
        chrome.text(".field-error[data-field='followme[0].number']"),
        "Follow-me cannot ring the extension itself."
    );
    assert!(chrome.all(".field-error[data-field=forward_busy]").len() == 1);
    chrome.shot("features-invalid");
    let (_, f) = server.get(&format!("/api/extensions/{owner}/features/"));
    assert_eq!((&f["voicemail_enabled"], &f["voicemail_pin"], &f["followme"]), (&json!(false), &json!(""), &json!([])));

    // Then a good box, with a follow-me step and a forward.
    chrome.fill("#f-voicemail_pin", "13579");
    chrome.fill("#f-voicemail_email", "desk@example.com");
    chrome.fill("input[name=step_number_0]", "+15145550100");
    chrome.fill("input[name=step_secs_0]", "25");
    chrome.fill("#f-forward_busy", &format!("voicemail:{owner}"));
    chrome.click("#features-form button[type=submit]");
    assert_eq!(chrome.text("#features + .notice"), "Saved.");
    chrome.shot("features");
    let (_, f) = server.get(&format!("/api/extensions/{owner}/features/"));
    assert_eq!((&f["voicemail_enabled"], &f["voicemail_pin"]), (&json!(true), &json!("13579")));
    assert_eq!(
        (&f["voicemail_email"], &f["forward_busy"]),
        (&json!("desk@example.com"), &json!(format!("voicemail:{owner}")))
    );
    assert_eq!(f["followme"], json!([{"number": "+15145550100", "ring_secs": 25}]));
    // Follow-me stays off until ticked; remove the step again.
    assert_eq!(f["followme_enabled"], false);
    chrome.click("input[name=step_remove_0]");
    chrome.click("#features-form button[type=submit]");
    assert_eq!(chrome.text("#features + .notice"), "Saved.");
    let (_, f) = server.get(&format!("/api/extensions/{owner}/features/"));
    assert_eq!((&f["followme"], &f["voicemail_enabled"]), (&json!([]), &json!(true)));

    // 1002 has no phone registered, so its box answers a real call.
    let dir = server.dir().to_path_buf();
    let account = format!("<sip:1001@{}>;auth_pass=secret-1001;regint=600", server.sip);
    let mut caller = Baresip::phone_with(&account, &tone(&dir, 1000), &[]);
    server.wait_for_binding("1001", &caller.log());
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    std::thread::sleep(Duration::from_secs(9));
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    let deadline = std::time::Instant::now() + WITHIN;
    let message = loop {
        let (_, list) = server.get(&format!("/api/voicemail/?extension={owner}"));
        if let Some(m) = list.as_array().and_then(|l| l.first()).cloned() {
            break m;
        }
        assert!(std::time::Instant::now() < deadline, "no message was kept\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    };
    let id = message["id"].as_i64().expect("message id");
    let ms = message["duration_ms"].as_i64().unwrap_or(0);
    assert!(ms >= 1000, "a message of {ms} ms");

    // Listed in the box, new, with a player that plays it.
    chrome.click("#voicemail-link");
    assert!(chrome.path().starts_with("/console/voicemail"), "{}", chrome.path());
    let row = chrome.wait(&format!("#voicemail tr[data-id='{id}']"), 5);
    let text = chrome.text_of(&row);
    assert!(text.contains("1002") && text.contains("1001") && text.contains("new"), "{text}");
    let secs = (ms + 500) / 1000;
    assert!(text.contains(&format!("{}:{:02}", secs / 60, secs % 60)), "the length is shown: {text}");
    let player = chrome.wait(&format!("audio#vm-{id}"), 5);
    let src = chrome.run(player.prop("src")).expect("src").expect("the player has a source");
    assert!(src.ends_with(&format!("/console/voicemail/{id}/audio")), "{src}");
    let (status, kind, wav) = fetch(&chrome.session_cookie(), &src);
    assert_eq!((status, kind.as_str()), (200, "audio/wav"));
    assert_eq!(&wav[..4], b"RIFF");
    let played = audio_duration(&chrome, &format!("vm-{id}"));
    assert!((played * 1000.0 - ms as f64).abs() < 600.0, "the browser reads {played} s of a {ms} ms message");
    chrome.shot("voicemail");
    let (status, _, _) = fetch("", &src);
    assert_eq!(status, 303, "no message without a session");

    // Another box shows nothing; marking it heard is kept.
    let other =
        server.get("/api/extensions/").1.as_array().unwrap().iter().find(|e| e["sip_username"] == "1001").map(id_of);
    choose(&chrome, "#extension", &other.expect("1001").to_string());
    chrome.click("form.filters button[type=submit]");
    chrome.wait("#voicemail", 5);
    assert!(chrome.all("#voicemail tr[data-id]").is_empty(), "1001's box is empty");
    chrome.goto(&server.url(&format!("/console/voicemail?extension={owner}")));
    chrome.click(&format!("#voicemail tr[data-id='{id}'] button.mark"));
    assert_eq!(chrome.text(".notice"), "Marked heard.");
    assert_eq!(chrome.text(&format!("#voicemail tr[data-id='{id}'] td.heard")), "yes");
    let (_, m) = server.get(&format!("/api/voicemail/{id}/"));
    assert_eq!(m["heard"], true);
    let (_, f) = server.get(&format!("/api/extensions/{owner}/features/"));
    assert_eq!((&f["voicemail_new"], &f["voicemail_old"]), (&json!(0), &json!(1)));
    chrome.shot("voicemail-heard");
    fits_a_phone(&chrome, &server, &format!("/console/voicemail?extension={owner}"), "voicemail-phone");
    fits_a_phone(&chrome, &server, &format!("/console/extensions/{owner}"), "features-phone");

    // Deleting it (the page asks first) takes the file as well.
    chrome.goto(&server.url(&format!("/console/voicemail?extension={owner}")));
    chrome.click(&format!("#voicemail tr[data-id='{id}'] button.danger"));
    chrome.run(chrome.c().accept_alert()).expect("confirm the delete");
    assert_eq!(chrome.text(".notice"), "Deleted.");
    assert_eq!(server.request(Method::GET, &format!("/api/voicemail/{id}/")).send().unwrap().status().as_u16(), 404);
    let (status, _, _) = fetch(&chrome.session_cookie(), &src);
    assert_eq!(status, 404);
}
