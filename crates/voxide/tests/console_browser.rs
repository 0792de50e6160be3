//! The web console in a real browser: Debian's headless chromium, driven
//! through chromedriver, against the real switch with SIPp phones.
//!
//! An admin signs in, is told what is wrong with a bad extension and then
//! creates a good one through the form, watches a SIPp call appear on the
//! dashboard while it is up (pushed by the event bus, no reload) and leave
//! when it ends, finds it among the call records and plays its recording;
//! a crawl's menu tree is drawn with each prompt's words and audio. Each
//! page is saved as a screenshot under `target/console-screenshots/`.
//!
//! chromedriver must be installed (`scripts/deps.sh test` installs Debian's
//! `chromium` and `chromium-driver`); without it these tests fail.

mod console_support;

use std::path::Path;
use std::time::Duration;

use console_support::{Chrome, add_user, audio_duration, fetch};
use serde_json::json;
use voxide_store::{CrawlRow, SecretBox, Store};
use voxide_testkit::{Server, Sipp, free_port};

fn inf(dir: &Path, user: &str) -> String {
    let path = dir.join(format!("{user}.csv"));
    std::fs::write(&path, format!("SEQUENTIAL\n{user};secret-{user}\n")).expect("inf file");
    path.display().to_string()
}

#[test]
fn an_admin_creates_an_extension_watches_its_call_live_and_plays_the_recording() {
    let server = Server::start(
        env!("CARGO_BIN_EXE_voxide"),
        &[("VOXIDE_CALLS_RING_TIMEOUT_SECS", "5"), ("VOXIDE_MEDIA_RTP_PORTS", "33000-33999")],
    );
    server.create_extension("1001", "secret-1001");
    add_user(&server, "alice");
    let chrome = Chrome::start("call");
    chrome.sign_in(&server, "alice");
    chrome.shot("dashboard");

    // A bad extension: the API's own messages, next to the fields.
    chrome.goto(&server.url("/console/extensions/new"));
    chrome.fill("#f-sip_username", "bad name!");
    chrome.fill("#f-sip_password", "123");
    chrome.click("#extension-form button[type=submit]");
    let username_error = chrome.text(".field-error[data-field=sip_username]");
    assert_eq!(username_error, "Only letters, digits and . _ - + are allowed.");
    assert_eq!(chrome.text(".field-error[data-field=sip_password]"), "Ensure this field has at least 6 characters.");
    chrome.shot("extension-invalid");
    let (_, list) = server.get("/api/extensions/");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "nothing was created: {list}");

    // A good one, recorded.
    chrome.fill("#f-sip_username", "1002");
    chrome.fill("#f-sip_password", "secret-1002");
    chrome.click("#f-recording");
    chrome.click("#extension-form button[type=submit]");
    assert_eq!(chrome.text(".notice"), "Created.");
    let rows: Vec<String> = chrome.all("#extensions tbody tr").iter().map(|r| chrome.text_of(r)).collect();
    assert!(rows.iter().any(|r| r.starts_with("1002")), "{rows:?}");
    chrome.shot("extensions");
    let (_, list) = server.get("/api/extensions/");
    let made = list.as_array().unwrap().iter().find(|e| e["sip_username"] == "1002").cloned().expect("1002 made");
    assert_eq!((&made["recording"], &made["sip_password"]), (&json!(1), &json!("secret-1002")));

    // The dashboard follows the switch's events.
    chrome.goto(&server.url("/console/"));
    chrome.until("the live stream to connect", 10, |c| {
        c.text_now("#live-status").is_some_and(|t| t.starts_with("Live updates: on"))
    });
    assert_eq!(chrome.text("#stat-calls .value"), "0");
    let callee_port = free_port();
    let dir = server.dir().to_path_buf();
    let registered = Sipp::scenario("register_auth.xml", server.sip)
        .set("-p", callee_port.to_string())
        .set("-inf", inf(&dir, "1002"))
        .run();
    assert!(registered.success, "1002 did not register: {}", registered.errors);
    chrome.until("the registration to show", 10, |c| c.text_now("#stat-online .value").as_deref() == Some("1"));
    let sip = server.sip;
    let callee = std::thread::spawn(move || {
        Sipp::scenario("calls/uas_answer.xml", sip).set("-p", callee_port.to_string()).arg("-rtp_echo").run()
    });
    std::thread::sleep(Duration::from_millis(500));
    let caller_inf = inf(&dir, "1001");
    let caller = std::thread::spawn(move || {
        Sipp::scenario("calls/uac_rtp.xml", sip).set("-inf", caller_inf).arg("-s").arg("1002").run()
    });
    chrome.until("the call to appear on the dashboard", 15, |c| !c.all("#active-calls tr[data-call-uuid]").is_empty());
    let row = &chrome.all("#active-calls tr[data-call-uuid]")[0];
    let uuid = chrome.attr(row, "data-call-uuid").expect("call uuid");
    let row_text = chrome.text_of(row);
    assert!(row_text.contains("1001") && row_text.contains("1002"), "{row_text}");
    assert_eq!(chrome.text("#stat-calls .value"), "1");
    chrome.shot("dashboard-live-call");

    let (caller, callee) = (caller.join().expect("caller"), callee.join().expect("callee"));
    assert!(caller.success, "caller failed: {}\n{}", caller.errors, server.log());
    assert!(callee.success, "callee failed: {}", callee.errors);
    chrome.until("the call to leave the dashboard", 15, |c| c.all("#active-calls tr[data-call-uuid]").is_empty());
    let cdr = server.last_cdr();
    assert_eq!((&cdr["call_uuid"], &cdr["hangup_cause"]), (&json!(uuid), &json!("NORMAL_CLEARING")), "{cdr}");

    // The day's charts count it.
    chrome.goto(&server.url("/console/"));
    let bars = chrome.all("#calls-per-hour rect.bar");
    let counted: u64 =
        bars.iter().map(|b| chrome.attr(b, "data-count").and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)).sum();
    assert_eq!((bars.len(), counted), (24, 1));
    assert!(chrome.text("#hangup-causes").contains("NORMAL_CLEARING"));
    // The relay carried the echoed pcap both ways; the loss is of those.
    let loss = chrome.wait("#stat-loss .value", 5);
    let total: u64 = chrome.attr(&loss, "data-total").and_then(|t| t.parse().ok()).unwrap_or(0);
    assert!(total >= 440, "RTP packets counted: {total}");
    chrome.shot("dashboard-after-call");

    // In the call records, then its detail with a playable recording.
    chrome.goto(&server.url("/console/cdrs"));
    let first = chrome.wait("#cdrs tbody tr[data-id]", 5);
    let text = chrome.text_of(&first);
    assert!(text.contains("1001") && text.contains("1002") && text.contains("NORMAL_CLEARING"), "{text}");
    assert_eq!(chrome.attr(&first, "data-id").as_deref(), Some(cdr["id"].to_string().as_str()));
    chrome.shot("cdrs");
    chrome.click("#cdrs tbody tr[data-id] a");
    let player = chrome.wait("audio#recording", 5);
    assert_eq!(chrome.text("#cause"), "NORMAL_CLEARING");
    let src = chrome.run(player.prop("src")).expect("src").expect("the player has a source");
    assert!(src.ends_with(".wav") && src.contains("/console/media/domain_"), "{src}");
    let cookie = chrome.session_cookie();
    let (status, kind, wav) = fetch(&cookie, &src);
    assert_eq!(status, 200);
    assert!(kind == "audio/wav" || kind == "audio/x-wav", "content type {kind}");
    assert_eq!(&wav[..4], b"RIFF");
    let seconds = (wav.len() - 44) as f64 / 16000.0;
    assert!((6.0..12.0).contains(&seconds), "recorded {seconds} s");
    let duration = audio_duration(&chrome, "recording");
    assert!((6.0..12.0).contains(&duration), "the browser reads {duration} s of audio");
    chrome.shot("cdr-detail");
    let (status, _, _) = fetch("", &src);
    assert_eq!(status, 303, "no recording without a session");

    // The same records as CSV.
    let (status, kind, csv) = fetch(&cookie, &server.url("/console/cdrs.csv?cause=NORMAL_CLEARING"));
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(&uuid) && lines[1].contains(",1001,1002,"), "{csv}");

    // On a phone-sized screen nothing sticks out sideways.
    chrome.run(chrome.c().set_window_size(390, 844)).expect("resize");
    chrome.goto(&server.url("/console/"));
    chrome.wait("#live", 5);
    let fits = chrome.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;");
    assert_eq!(fits, json!(true), "the dashboard is wider than a phone");
    chrome.shot("dashboard-phone");
}

/// A WAV of `secs` of a 440 Hz tone, 8 kHz mono 16-bit.
fn tone(secs: u32) -> Vec<u8> {
    let samples: Vec<i16> =
        (0..8000 * secs).map(|i| ((i as f64 * 440.0 * std::f64::consts::TAU / 8000.0).sin() * 8000.0) as i16).collect();
    let data = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    wav
}

#[test]
fn a_crawls_menu_tree_is_drawn_with_each_prompts_words_and_audio() {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &[]);
    add_user(&server, "alice");
    // A crawl as the crawler stores it, with the root's prompt recorded.
    let key = server.dir().join("data/secret.key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (crawl, root, sales, voice, media) = runtime.block_on(async {
        let store = Store::connect(&server.store_url(), SecretBox::from_key_file(&key).unwrap()).await.unwrap();
        let t = store.tenant_by_domain("voxide.local").await.unwrap().expect("the switch's tenant");
        let c = store.create_crawl(t.id, "14582037530", Some("DP Software"), true).await.unwrap();
        store.add_scan(&c).await.unwrap();
        let root = store.upsert_node(c.id, None, "", "", "").await.unwrap();
        let media = format!("domain_{}/crawl_{}_node_{}.wav", t.id, c.id, root.id);
        let debug = json!([{"transcript": "welcome press one for sales press two for support", "confidence": 0.97}]);
        let welcome = " welcome to d. p. software press one for sales press two for support";
        store.set_node_prompt(root.id, welcome, Some(&debug), Some(&format!("/api/media/{media}"))).await.unwrap();
        let sales = store.upsert_node(c.id, Some(root.id), "1", "1", "press one for sales").await.unwrap();
        store.set_node_prompt(sales.id, " sales press three for a voice mail", None, None).await.unwrap();
        let support = store.upsert_node(c.id, Some(root.id), "2", "2", "press two for support").await.unwrap();
        store.set_node_prompt(support.id, " thanks for your query", None, None).await.unwrap();
        let voice = store.upsert_node(c.id, Some(sales.id), "3", "1,3", "press three for a voice mail").await.unwrap();
        store.set_crawl_state(c.id, CrawlRow::PROCESSED, 2, false, None, None).await.unwrap();
        store.close().await;
        (c.id, root.id, sales.id, voice.id, media)
    });
    let file = server.dir().join("data/recordings").join(&media);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, tone(2)).unwrap();

    let chrome = Chrome::start("crawl");
    chrome.sign_in(&server, "alice");
    chrome.goto(&server.url("/console/crawls"));
    let row = chrome.wait(&format!("#crawls tr[data-id='{crawl}']"), 5);
    let text = chrome.text_of(&row);
    assert!(text.contains("14582037530") && text.contains("DP Software") && text.contains("Processed"), "{text}");
    chrome.shot("crawls");
    chrome.click(&format!("#crawls tr[data-id='{crawl}'] a"));
    chrome.wait("#crawl-tree", 5);
    assert_eq!(chrome.all("#crawl-tree li.node").len(), 4, "every prompt is drawn");
    let root_card = format!("li.node[data-node-id='{root}'] > .node-card");
    assert!(chrome.text(&format!("{root_card} .prompt")).starts_with("welcome to d. p. software"));
    assert_eq!(chrome.text(&format!("{root_card} .conf")), "97 %");
    // Nested as reached: 1 → 3 hangs under 1.
    let voice_node = format!("li.node[data-node-id='{sales}'] li.node[data-node-id='{voice}']");
    assert_eq!(chrome.text(&format!("{voice_node} .keys")), "1 → 3");
    assert!(chrome.text(&format!("{voice_node} .offered")).contains("press three for a voice mail"));
    assert_eq!(chrome.all(&format!("li.node[data-node-id='{sales}'] form[action$='/forward']")).len(), 2);
    chrome.shot("crawl-tree");

    // The root's prompt plays; the others have none.
    let player = chrome.wait(&format!("audio#prompt-{root}"), 5);
    let src = chrome.run(player.prop("src")).expect("src").expect("a source");
    let (status, kind, wav) = fetch(&chrome.session_cookie(), &src);
    assert_eq!((status, wav.len()), (200, 44 + 32000));
    assert!(kind == "audio/wav" || kind == "audio/x-wav", "content type {kind}");
    let duration = audio_duration(&chrome, &format!("prompt-{root}"));
    assert!((duration - 2.0).abs() < 0.1, "the browser reads {duration} s");
    assert!(chrome.all(&format!("audio#prompt-{sales}")).is_empty());
}

#[test]
fn a_calls_transcript_is_aligned_to_its_recording() {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &[]);
    add_user(&server, "alice");
    // A call record as the switch writes one for a transcribed call.
    let key = server.dir().join("data/secret.key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (cdr, media) = runtime.block_on(async {
        let store = Store::connect(&server.store_url(), SecretBox::from_key_file(&key).unwrap()).await.unwrap();
        let t = store.tenant_by_domain("voxide.local").await.unwrap().expect("the switch's tenant");
        let now = voxide_store::clock::now();
        let start = voxide_store::CdrStart {
            tenant_id: t.id,
            call_uuid: "transcribed-call".into(),
            call_direction: "internal".into(),
            did_number_id: None,
            call_from: "1001".into(),
            call_to: "1002".into(),
            extension_id: None,
            is_verified: true,
            in_contact: false,
            started_at: now.clone(),
        };
        let id = store.start_cdr(&start).await.unwrap();
        let media = format!("domain_{}/transcribed-call.wav", t.id);
        let transcript = json!([
            {"transcript": "fine thanks and you", "confidence": 0.88, "leg": "callee", "start": 2.5, "end": 3.4,
             "timestamps": [["fine", 2.5, 2.8]]},
            {"transcript": "hello how are you", "confidence": 0.93, "leg": "caller", "start": 0.4, "end": 1.6,
             "timestamps": [["hello", 0.4, 0.8]]}
        ]);
        let end = voxide_store::CdrEnd {
            call_uuid: "transcribed-call".into(),
            answered_at: Some(now.clone()),
            ended_at: now,
            bill_duration: 4,
            hangup_cause: "NORMAL_CLEARING".into(),
            recording: Some(format!("/api/media/{media}")),
            transcription_text: Some(transcript.to_string()),
        };
        store.end_cdr(&end).await.unwrap();
        store.close().await;
        (id, media)
    });
    let file = server.dir().join("data/recordings").join(&media);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, tone(4)).unwrap();

    let chrome = Chrome::start("transcript");
    chrome.sign_in(&server, "alice");
    chrome.goto(&server.url(&format!("/console/cdrs/{cdr}")));
    let lines = chrome.all("#transcript li");
    let texts: Vec<String> = lines.iter().map(|l| chrome.text_of(l)).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("caller") && texts[0].contains("hello how are you") && texts[0].contains("93 %"));
    assert!(texts[1].starts_with("0:02.5") && texts[1].contains("fine thanks and you"), "{texts:?}");
    assert!(audio_duration(&chrome, "recording") > 3.9);
    // A segment's time moves the player there.
    chrome.click("#transcript li:nth-child(2) button.seek");
    let at = chrome.script("return document.getElementById('recording').currentTime;").as_f64().unwrap_or(-1.0);
    assert!((2.5..3.5).contains(&at), "the player is at {at} s");
    chrome.shot("cdr-transcript");
}
