//! The IVR crawler end to end: one switch hosts a three-level menu on a DID
//! (greetings joined with sox from Debian's recorded prompts), a second
//! switch crawls it over real SIP and RTP through a trunk, and the tree
//! it stores equals the hosted one.
//!
//! Recognition: no English speech-to-text model can be installed here, so
//! the crawling switch is given the prompts' texts as known prompts and
//! recognises what arrives over RTP by its audio fingerprint. Everything
//! else is the real path: dialling, RTP with jitter and G.711, voice
//! activity, RFC 4733 navigation, option extraction, the stored tree.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::{Server, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const SOUNDS: &str = "/usr/share/asterisk/sounds/en_US_f_Allison";

/// One hosted menu: its greeting (recordings joined), the text the
/// crawler is told it says, and its keys.
struct MenuSpec {
    name: &'static str,
    parts: &'static [&'static str],
    text: &'static str,
    /// (key, menu it leads to)
    options: &'static [(&'static str, &'static str)],
}

const MENUS: &[MenuSpec] = &[
    MenuSpec {
        name: "main",
        parts: &["dir-welcome", "vm-press", "digits/1", "for", "digits/2", "for", "digits/3"],
        text: "welcome press one for sales press two for support press three for an operator",
        options: &[("1", "sales"), ("2", "support"), ("3", "operator")],
    },
    MenuSpec {
        name: "sales",
        parts: &["demo-thanks", "vm-press", "digits/1", "for", "digits/2"],
        text: "thanks for calling sales press one for new orders press two for existing orders",
        options: &[("1", "new-orders"), ("2", "existing")],
    },
    MenuSpec {
        name: "existing",
        parts: &["vm-options", "vm-press", "digits/1", "digits/2"],
        text: "existing orders press one for order status press two to cancel an order",
        options: &[("1", "status"), ("2", "cancel")],
    },
    MenuSpec {
        name: "support",
        parts: &["call-forwarding", "vm-press", "digits/1", "digits/2", "digits/9"],
        text: "support press one for internet press two for phones press nine to return to the main menu",
        options: &[("1", "internet"), ("2", "phones"), ("9", "main")],
    },
    MenuSpec {
        name: "operator",
        parts: &["all-circuits-busy-now", "vm-goodbye"],
        text: "all operators are busy goodbye",
        options: &[],
    },
    MenuSpec {
        name: "new-orders",
        parts: &["activated", "to-extension"],
        text: "thank you new orders are taken by extension",
        options: &[],
    },
    MenuSpec {
        name: "status",
        parts: &["queue-thankyou", "to-listen-to-it"],
        text: "thank you your order status follows",
        options: &[],
    },
    MenuSpec {
        name: "cancel",
        parts: &["privacy-thankyou", "cancelled"],
        text: "thank you your order is cancelled",
        options: &[],
    },
    MenuSpec {
        name: "internet",
        parts: &["basic-pbx-ivr-main", "goodbye"],
        text: "internet support is closed goodbye",
        options: &[],
    },
    MenuSpec {
        name: "phones",
        parts: &["call-waiting", "calling"],
        text: "phone support is busy please call again",
        options: &[],
    },
];

/// The tree the crawler should find: every node's keys to reach it.
const EXPECTED: [&str; 11] = ["", "1", "1,1", "1,2", "1,2,1", "1,2,2", "2", "2,1", "2,2", "2,9", "3"];

fn joined(parts: &[&str], out: &Path) {
    let mut sox = Command::new("sox");
    for p in parts {
        sox.arg(format!("{SOUNDS}/{p}.wav"));
        // A short pause between recordings, as a real menu has.
        sox.arg(format!("{SOUNDS}/silence/1.wav"));
    }
    let status = sox.arg("-r").arg("8000").arg("-c").arg("1").arg(out).status().expect("run sox");
    assert!(status.success(), "sox joined {parts:?}");
}

/// Renders every greeting into `prompts` and the known-prompt pairs
/// (WAV + text) into `known`.
fn render(prompts: &Path, known: &Path) {
    for m in MENUS {
        let wav = prompts.join(format!("{}.wav", m.name));
        joined(m.parts, &wav);
        std::fs::copy(&wav, known.join(format!("{}.wav", m.name))).expect("copy");
        std::fs::write(known.join(format!("{}.txt", m.name)), m.text).expect("text");
    }
}

fn scratch(name: &str) -> PathBuf {
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let dir = std::env::temp_dir().join(format!("voxide-crawl-{name}-{}-{unique}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

struct Pair {
    host: Server,
    crawler: Server,
    number: String,
    /// The host's prompts directory (greeting WAVs).
    prompts: PathBuf,
    /// The crawler's known prompts (WAV beside its text).
    known: PathBuf,
}

/// The hosting switch (menus on a DID) and the crawling switch, whose
/// trunk leads to it.
fn pair(rtp_base: u16, crawler_env: &[(&str, &str)]) -> Pair {
    let host_rtp = format!("{}-{}", rtp_base, rtp_base + 199);
    let crawler_rtp = format!("{}-{}", rtp_base + 200, rtp_base + 399);
    let (prompts, known) = (scratch("prompts"), scratch("known"));
    render(&prompts, &known);
    let (host_sip, crawler_sip) = (free_port(), free_port());
    let host_cfg = scratch("host-cfg").join("voxide.toml");
    std::fs::write(
        &host_cfg,
        format!("[[trunks]]\nname = \"crawler\"\naddress = \"127.0.0.2:{crawler_sip}\"\nprefixes = []\n"),
    )
    .expect("config");
    let host = Server::start(
        BIN,
        &[
            ("VOXIDE_CONFIG", host_cfg.to_str().unwrap()),
            ("VOXIDE_SIP_LISTEN", &format!("127.0.0.1:{host_sip}")),
            ("VOXIDE_MEDIA_RTP_PORTS", &host_rtp),
            ("VOXIDE_MEDIA_PROMPTS_DIR", prompts.to_str().unwrap()),
        ],
    );
    let ids = host_menus(&host);
    let number = host_did(&host, ids["main"]);
    let crawler_cfg = scratch("crawler-cfg").join("voxide.toml");
    std::fs::write(
        &crawler_cfg,
        format!("[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.1:{host_sip}\"\nprefixes = [\"1\"]\n"),
    )
    .expect("config");
    let mut env: Vec<(&str, &str)> = vec![
        ("VOXIDE_SIP_LISTEN", Box::leak(format!("127.0.0.2:{crawler_sip}").into_boxed_str())),
        ("VOXIDE_CONFIG", Box::leak(crawler_cfg.to_str().unwrap().to_string().into_boxed_str())),
        ("VOXIDE_MEDIA_RTP_PORTS", crawler_rtp.as_str()),
        ("VOXIDE_IVR_KNOWN_PROMPTS_DIR", Box::leak(known.to_str().unwrap().to_string().into_boxed_str())),
        ("VOXIDE_IVR_CRAWL_MENU_SILENCE_MS", "2000"),
        ("VOXIDE_IVR_CRAWL_PAUSE_MS", "200"),
    ];
    env.extend_from_slice(crawler_env);
    let crawler = Server::start(BIN, &env);
    Pair { host, crawler, number, prompts, known }
}

/// Adds a menu to the host; its id.
fn add_menu(host: &Server, body: Value) -> i64 {
    let (status, created) = host.send_json(Method::POST, "/api/ivrs/", &body);
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// Renders `text` the way the host's default `ivr.tts_command` does.
fn speak(text: &str, out: &Path) {
    use std::io::Write;
    let mut child = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(out)
        .arg("--stdin")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run espeak-ng");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("text to espeak-ng");
    assert!(child.wait().expect("espeak-ng").success(), "espeak-ng rendered {text:?}");
}

/// Starts crawling `number` on `crawler`.
fn crawl(crawler: &Server, number: &str) {
    let (status, body) = crawler.get(&format!("/api/makecall/?number={number}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
}

/// The scans of `number`, oldest first: (status, attempt).
fn scans(crawler: &Server, number: &str) -> Vec<(String, i64)> {
    let (_, body) = crawler.get(&format!("/api/scan/?number={number}&limit=100"));
    let mut rows: Vec<(String, i64)> = body["results"]
        .as_array()
        .map(|r| {
            r.iter().map(|s| (s["status"].as_str().unwrap().to_string(), s["attempt"].as_i64().unwrap())).collect()
        })
        .unwrap_or_default();
    rows.reverse();
    rows
}

/// Creates the menus, leaves first so options can name them; their ids.
fn host_menus(host: &Server) -> std::collections::HashMap<&'static str, i64> {
    let mut ids: std::collections::HashMap<&'static str, i64> = std::collections::HashMap::new();
    let mut pending: Vec<&MenuSpec> = MENUS.iter().collect();
    // Support's 9 leads back to main, which does not exist yet: it is
    // added once main has an id.
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|m| {
            let ready = m.options.iter().all(|(_, to)| ids.contains_key(*to) || (m.name == "support" && *to == "main"));
            if !ready {
                return true;
            }
            let options: Vec<Value> = m
                .options
                .iter()
                .filter(|(_, to)| ids.contains_key(*to))
                .map(|(k, to)| json!({"digit": k, "action": "ivr", "target": ids[*to].to_string()}))
                .collect();
            let body = json!({
                "name": m.name, "greeting_file": format!("{}.wav", m.name),
                "timeout_ms": 8000, "repeat": if m.options.is_empty() { 1 } else { 2 },
                "options": options,
            });
            let (status, created) = host.send_json(Method::POST, "/api/ivrs/", &body);
            assert_eq!(status, 201, "{created}");
            ids.insert(m.name, created["id"].as_i64().unwrap());
            false
        });
        assert!(pending.len() < before, "menus depend on each other in a cycle");
    }
    let support = MENUS.iter().find(|m| m.name == "support").unwrap();
    let options: Vec<Value> = support
        .options
        .iter()
        .map(|(k, to)| json!({"digit": k, "action": "ivr", "target": ids[*to].to_string()}))
        .collect();
    let body =
        json!({"name": "support", "greeting_file": "support.wav", "timeout_ms": 8000, "repeat": 2, "options": options});
    let (status, updated) = host.send_json(Method::PUT, &format!("/api/ivrs/{}/", ids["support"]), &body);
    assert_eq!(status, 200, "{updated}");
    ids
}

/// Buys a DID on the host and routes it to menu `main`.
fn host_did(host: &Server, main: i64) -> String {
    let (status, found) = host.get("/api/did_numbers/search/?npa=786&limit=1");
    assert_eq!(status, 200, "{found}");
    let number = found["data"][0]["number"].as_str().unwrap().to_string();
    let (status, did) = host.send_json(Method::POST, "/api/did_numbers/", &json!({"phonenumber": number}));
    assert_eq!(status, 201, "{did}");
    let (status, routed) =
        host.send_json(Method::PATCH, &format!("/api/did_numbers/{}/", did["id"]), &json!({"ivr_id": main}));
    assert_eq!(status, 200, "{routed}");
    number
}

/// Polls the crawler's `/api/callmenu/` until `done` holds.
fn wait_for_menu(server: &Server, number: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, menu) = server.get(&format!("/api/callmenu/?number={number}"));
        if done(&menu) {
            return menu;
        }
        assert!(Instant::now() < deadline, "crawl did not finish in time: {menu}\n{}", server.log());
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Every node of a tree: (keys_to_reach, key, audio_text, children keys).
fn nodes(node: &Value, out: &mut Vec<(String, String, String, Vec<String>)>) {
    let children: Vec<String> =
        node["children"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap().to_string()).collect();
    out.push((
        node["info"]["keys_to_reach"].as_str().unwrap().to_string(),
        node["key"].as_str().unwrap().to_string(),
        node["audio_text"].as_str().unwrap().to_string(),
        children,
    ));
    for c in node["children"].as_array().unwrap() {
        nodes(c, out);
    }
}

fn text_of(name: &str) -> &'static str {
    MENUS.iter().find(|m| m.name == name).unwrap().text
}

#[test]
fn the_crawler_finds_every_branch_of_a_hosted_three_level_menu_over_sip() {
    let Pair { host, crawler, number, prompts, .. } = pair(38000, &[]);
    let started = Instant::now();
    let (status, body) = crawler.get(&format!("/api/makecall/?number={number}&business_name=Acme%20Supplies"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let tree = wait_for_menu(&crawler, &number, Duration::from_secs(240), |m| m["completed"] == json!(true));
    assert_eq!(tree["business_name"], "Acme Supplies");
    for (query, field) in [("retry_enabled=2", "retry_enabled"), ("new=x", "new"), ("number=", "number")] {
        let (status, body) = crawler.get(&format!("/api/makecall/?number={number}&{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    let took = started.elapsed();
    let mut found = Vec::new();
    nodes(&tree["menu"], &mut found);
    let mut keys: Vec<&str> = found.iter().map(|n| n.0.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, EXPECTED, "{tree:#}");
    let by_keys = |k: &str| found.iter().find(|n| n.0 == k).unwrap();
    for (keys, menu) in [
        ("", "main"),
        ("1", "sales"),
        ("1,2", "existing"),
        ("1,2,2", "cancel"),
        ("2", "support"),
        ("2,2", "phones"),
        ("3", "operator"),
    ] {
        assert_eq!(by_keys(keys).2, text_of(menu), "node {keys:?} is menu {menu}");
    }
    assert_eq!(by_keys("").3, ["1", "2", "3"]);
    assert_eq!(by_keys("2").3, ["1", "2", "9"]);
    assert!(by_keys("2,9").3.is_empty(), "the way back to the main menu is a loop, not explored again");
    assert_eq!(by_keys("2,9").2, text_of("main"));
    assert_eq!(tree["number"], number.as_str());
    assert_eq!(tree["attempt"], 1);
    // Each node's prompt is kept and can be listened to.
    let audio = tree["menu"]["prompt_audio"].as_str().expect("prompt audio").to_string();
    let wav = crawler
        .client
        .get(crawler.url(&audio))
        .header("Authorization", format!("Token {}", crawler.token))
        .send()
        .unwrap();
    assert_eq!(wav.status().as_u16(), 200);
    assert!(wav.bytes().unwrap().len() > 8000 * 2, "at least a second of prompt audio");
    // The scan shows the attempt, processed.
    let (_, scans) = crawler.get(&format!("/api/scan/?number={number}"));
    assert_eq!(scans["results"][0]["status"], "Processed", "{scans}");
    // The host answered every call itself and logged the keys it was sent.
    let (_, cdrs) = host.get("/api/cdrs/");
    let answered = cdrs.as_array().expect("CDR list").iter().filter(|c| !c["answered_at"].is_null()).count();
    assert!(answered >= EXPECTED.len(), "one answered call per node: {cdrs}");
    // The figure the benchmark suite reports: crawl time against the
    // menu's own prompt audio (16-bit 8 kHz mono WAVs, each greeting once).
    let audio_secs: f64 = MENUS
        .iter()
        .map(|m| std::fs::metadata(prompts.join(format!("{}.wav", m.name))).map_or(0, |md| md.len().saturating_sub(44)))
        .sum::<u64>() as f64
        / 16_000.0;
    let ratio = took.as_secs_f64() / audio_secs;
    println!(
        "crawl of {} nodes took {:.1} s for {audio_secs:.1} s of prompt audio: {ratio:.2}x",
        found.len(),
        took.as_secs_f32()
    );
    if let Some(path) = std::env::var_os("VOXIDE_BENCH_CRAWL_JSON") {
        let figures = json!({
            "nodes": found.len(),
            "crawl_secs": took.as_secs_f64(),
            "prompt_audio_secs": audio_secs,
            "crawl_over_audio": ratio,
            "host_calls_answered": answered,
        });
        std::fs::write(path, figures.to_string()).expect("write the crawl figures");
    }
}

#[test]
fn a_number_that_does_not_answer_fails_the_crawl_with_a_reason() {
    // Retries are on (the default) but far away: the failure is what is seen.
    let Pair { crawler, host, .. } = pair(38400, &[("VOXIDE_IVR_CRAWL_ANSWER_TIMEOUT_SECS", "3")]);
    // Through the trunk, to a number the host does not own: refused.
    let (status, body) = crawler.get("/api/makecall/?number=17865550999");
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, scans) = crawler.get("/api/scan/?number=17865550999");
        if scans["results"][0]["status"] == "Failed" {
            break;
        }
        assert!(Instant::now() < deadline, "{scans}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let (_, menu) = crawler.get("/api/callmenu/?number=17865550999");
    assert_eq!(menu["completed"], json!(false), "{menu}");
    assert!(
        crawler.log().contains("not answered (UNALLOCATED_NUMBER)"),
        "the reason is logged:\n{}\nhost:\n{}",
        crawler.log(),
        host.log()
    );
}

/// A spoken menu two levels deep: greetings are text the host speaks with
/// espeak-ng (rendered once, cached).
const SPOKEN: [(&str, &str); 3] = [
    ("spoken-main", "thank you for calling press one for billing press two for repairs"),
    ("spoken-billing", "billing is closed today goodbye"),
    ("spoken-repairs", "all repair lines are busy goodbye"),
];

/// Hosts the spoken menu on a new DID of `host`; its number.
fn host_spoken_menu(host: &Server) -> String {
    let leaf = |name: &str, text: &str| {
        add_menu(host, json!({"name": name, "greeting_text": text, "timeout_ms": 8000, "repeat": 1, "options": []}))
    };
    let billing = leaf(SPOKEN[1].0, SPOKEN[1].1);
    let repairs = leaf(SPOKEN[2].0, SPOKEN[2].1);
    let main = add_menu(
        host,
        json!({"name": SPOKEN[0].0, "greeting_text": SPOKEN[0].1, "timeout_ms": 8000, "repeat": 2, "options": [
            {"digit": "1", "action": "ivr", "target": billing.to_string()},
            {"digit": "2", "action": "ivr", "target": repairs.to_string()},
        ]}),
    );
    host_did(host, main)
}

fn spoken_tree_is_found(crawler: &Server, number: &str) -> Value {
    crawl(crawler, number);
    let tree = wait_for_menu(crawler, number, Duration::from_secs(120), |m| m["completed"] == json!(true));
    let mut found = Vec::new();
    nodes(&tree["menu"], &mut found);
    let keys: Vec<&str> = found.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(keys, ["", "1", "2"], "{tree:#}");
    tree
}

#[test]
fn a_menu_spoken_by_text_to_speech_is_crawled() {
    let Pair { host, crawler, known, .. } = pair(38800, &[]);
    // The crawler knows these texts by the sound espeak-ng makes of them.
    for (name, text) in SPOKEN {
        speak(text, &known.join(format!("{name}.wav")));
        std::fs::write(known.join(format!("{name}.txt")), text).unwrap();
    }
    let mut crawler = crawler;
    crawler.restart(); // to load the new known prompts
    let number = host_spoken_menu(&host);
    let tree = spoken_tree_is_found(&crawler, &number);
    assert_eq!(tree["menu"]["audio_text"], SPOKEN[0].1);
    assert_eq!(tree["menu"]["children"][0]["audio_text"], SPOKEN[1].1);
    assert_eq!(tree["menu"]["children"][1]["info"]["parent_text"], "press two for repairs");
    // Each text was rendered once and cached, however many calls heard it.
    let cached = std::fs::read_dir(host.dir().join("data/recordings/tts")).unwrap().count();
    assert_eq!(cached, SPOKEN.len());
}

#[test]
#[cfg_attr(not(vosk_en_model), ignore = "set VOXIDE_TEST_VOSK_EN_MODEL to an English vosk model directory to run it")]
fn a_spoken_menu_is_crawled_with_an_english_model() {
    let model = std::env::var("VOXIDE_TEST_VOSK_EN_MODEL").expect("VOXIDE_TEST_VOSK_EN_MODEL names a model");
    let Pair { host, crawler, .. } = pair(39200, &[("VOXIDE_STT_VOSK_MODEL", model.as_str())]);
    let number = host_spoken_menu(&host);
    let tree = spoken_tree_is_found(&crawler, &number);
    let text = tree["menu"]["audio_text"].as_str().unwrap();
    assert!(text.contains("billing"), "{text}");
}

#[test]
fn silence_a_hang_up_and_a_prompt_that_never_ends_fail_and_are_retried() {
    let Pair { host, crawler, prompts, .. } = pair(
        39600,
        &[
            ("VOXIDE_IVR_CRAWL_FIRST_SPEECH_TIMEOUT_SECS", "3"),
            ("VOXIDE_IVR_CRAWL_MAX_PROMPT_SECS", "8"),
            ("VOXIDE_IVR_CRAWL_MAX_ATTEMPTS", "2"),
            ("VOXIDE_IVR_CRAWL_RETRY_BACKOFF_SECS", "1"),
        ],
    );
    let silent = |secs: &str, out: &Path| {
        let status = Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1"])
            .arg(out)
            .args(["trim", "0", secs])
            .status()
            .expect("sox");
        assert!(status.success());
    };
    silent("20", &prompts.join("quiet.wav"));
    silent("0.2", &prompts.join("blip.wav"));
    // Twenty seconds of talk with no pause long enough to end a prompt.
    let talk: Vec<&str> = ["dir-welcome", "vm-options", "call-forwarding", "basic-pbx-ivr-main"].repeat(2);
    let mut sox = Command::new("sox");
    for p in &talk {
        sox.arg(format!("{SOUNDS}/{p}.wav"));
    }
    assert!(sox.arg(prompts.join("endless.wav")).status().expect("sox").success());
    let menu = |name: &str, file: &str, timeout: u32| {
        add_menu(&host, json!({"name": name, "greeting_file": file, "timeout_ms": timeout, "repeat": 1, "options": []}))
    };
    let cases = [
        (host_did(&host, menu("quiet", "quiet.wav", 30000)), "answered with silence"),
        (host_did(&host, menu("hangs-up", "blip.wav", 1000)), "hung up before saying anything"),
        (host_did(&host, menu("endless", "endless.wav", 30000)), "the prompt never ends"),
    ];
    for (number, _) in &cases {
        crawl(&crawler, number);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for (number, reason) in &cases {
        loop {
            let rows = scans(&crawler, number);
            if rows.len() == 2 && rows.iter().all(|(status, _)| status == "Failed") {
                assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 2], "attempts 1 and 2");
                break;
            }
            assert!(Instant::now() < deadline, "{number}: {rows:?}\n{}", crawler.log());
            std::thread::sleep(Duration::from_millis(500));
        }
        let (_, menu) = crawler.get(&format!("/api/callmenu/?number={number}"));
        assert_eq!(menu["completed"], json!(false), "{menu}");
        assert!(crawler.log().contains(reason), "{number} failed with {reason:?}:\n{}", crawler.log());
    }
    // Two attempts was the policy: no third one comes.
    std::thread::sleep(Duration::from_secs(7));
    for (number, _) in &cases {
        assert_eq!(scans(&crawler, number).len(), 2, "{number}");
    }
}

#[test]
fn a_crawl_cut_short_by_a_crash_resumes_after_the_restart_without_duplicates() {
    // The host must outlive the test: a dropped server is killed.
    let Pair { crawler, number, host: _host, .. } = pair(40000, &[]);
    let mut crawler = crawler;
    crawl(&crawler, &number);
    // Some of the tree is heard, not all of it.
    let partial = wait_for_menu(&crawler, &number, Duration::from_secs(120), |m| {
        let mut found = Vec::new();
        if m["menu"].is_object() {
            nodes(&m["menu"], &mut found);
        }
        found.iter().filter(|n| !n.2.is_empty()).count() >= 3
    });
    assert_eq!(partial["completed"], json!(false));
    crawler.restart(); // SIGKILL, then start again
    let tree = wait_for_menu(&crawler, &number, Duration::from_secs(300), |m| m["completed"] == json!(true));
    let mut found = Vec::new();
    nodes(&tree["menu"], &mut found);
    let mut keys: Vec<&str> = found.iter().map(|n| n.0.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, EXPECTED, "every node once: {tree:#}");
    assert_eq!(tree["attempt"], 2, "the restart resumed the crawl as its second attempt");
    let rows = scans(&crawler, &number);
    assert_eq!(rows.last().map(|r| r.0.as_str()), Some("Processed"), "{rows:?}");
}
