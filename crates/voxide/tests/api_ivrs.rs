//! `/api/ivrs/`, a DID's `ivr_id`, and seed 004's `/api/scan/` and
//! `/api/callmenu/` end to end against the real binary. Crawl results are
//! written straight into the server's database, as the crawler writes them.

use reqwest::Method;
use serde_json::{Value, json};
use voxide_store::CrawlRow;
use voxide_testkit::Server;

fn start() -> Server {
    Server::start(env!("CARGO_BIN_EXE_voxide"), &[])
}

fn send(s: &Server, method: Method, path: &str, body: Value) -> (u16, Value) {
    s.send_json(method, path, &body)
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn main_menu() -> Value {
    json!({
        "name": "main",
        "greeting_text": "Thanks for calling. Press 1 for sales, 2 for support, 0 for the operator.",
        "options": [
            {"digit": "1", "action": "extension", "target": "1001"},
            {"digit": "2", "action": "number", "target": "+17865550199"},
            {"digit": "0", "action": "playback", "target": "Our office is closed."},
            {"digit": "#", "action": "hangup"}
        ]
    })
}

fn create(s: &Server, body: Value) -> Value {
    let (status, menu) = send(s, Method::POST, "/api/ivrs/", body);
    assert_eq!(status, 201, "{menu}");
    menu
}

#[test]
fn a_menu_is_created_listed_changed_and_deleted() {
    let s = start();
    let menu = create(&s, main_menu());
    assert_eq!(
        keys(&menu),
        [
            "created_at",
            "greeting_file",
            "greeting_text",
            "id",
            "invalid_text",
            "name",
            "options",
            "repeat",
            "timeout_ms",
            "timeout_text",
            "updated_at"
        ]
    );
    assert_eq!((menu["timeout_ms"].as_i64(), menu["repeat"].as_i64()), (Some(5000), Some(3)), "defaults");
    assert_eq!(
        (&menu["greeting_file"], &menu["invalid_text"], &menu["timeout_text"]),
        (&json!(null), &json!(null), &json!(null))
    );
    let options = &menu["options"];
    assert_eq!(options[0], json!({"digit": "1", "action": "extension", "target": "1001"}));
    assert_eq!(options[3], json!({"digit": "#", "action": "hangup", "target": ""}));
    let path = format!("/api/ivrs/{}/", menu["id"]);
    assert_eq!(s.get("/api/ivrs/"), (200, json!([menu.clone()])));
    assert_eq!(s.get(&path), (200, menu.clone()));

    let (status, patched) = send(&s, Method::PATCH, &path, json!({"timeout_ms": 8000, "invalid_text": "Sorry?"}));
    assert_eq!(status, 200, "{patched}");
    assert_eq!((patched["timeout_ms"].as_i64(), &patched["invalid_text"]), (Some(8000), &json!("Sorry?")));
    assert_eq!((&patched["options"], &patched["name"]), (&menu["options"], &menu["name"]), "the rest is kept");
    let (status, patched) = send(&s, Method::PATCH, &path, json!({"invalid_text": null, "options": []}));
    assert_eq!((status, &patched["invalid_text"], &patched["options"]), (200, &json!(null), &json!([])));

    let put = json!({"name": "night", "greeting_file": "closed.wav", "repeat": 1,
        "options": [{"digit": "*", "action": "ivr", "target": menu["id"]}]});
    let (status, replaced) = send(&s, Method::PUT, &path, put);
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        (&replaced["name"], &replaced["greeting_text"], &replaced["greeting_file"]),
        (&json!("night"), &json!(null), &json!("closed.wav"))
    );
    assert_eq!(
        (replaced["timeout_ms"].as_i64(), replaced["repeat"].as_i64()),
        (Some(5000), Some(1)),
        "PUT resets what it leaves out"
    );
    assert_eq!(
        replaced["options"],
        json!([{"digit": "*", "action": "ivr", "target": menu["id"].to_string()}]),
        "a menu may lead to itself"
    );
    assert_eq!(replaced["created_at"], menu["created_at"]);
    let echoed = send(&s, Method::PUT, &path, replaced.clone());
    assert_eq!(echoed.0, 200, "a GET's body is accepted back: {}", echoed.1);

    let resp = s.request(Method::DELETE, &path).send().unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(s.get(&path), (404, json!({"detail": "Not found."})));
    assert_eq!(s.get("/api/ivrs/"), (200, json!([])));
    assert_eq!(s.get("/api/ivrs/abc/").0, 404);
}

#[test]
fn every_bad_field_is_named() {
    let s = start();
    let existing = create(&s, main_menu());
    let with = |changes: Value| {
        let mut body = main_menu();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let opts = |list: Value| with(json!({ "options": list }));
    let cases: Vec<(Value, &str)> = vec![
        (json!({"greeting_text": "hello"}), "name"),
        (with(json!({"name": ""})), "name"),
        (with(json!({"name": "x".repeat(65)})), "name"),
        (with(json!({"name": "main"})), "name"),
        (with(json!({"greeting_text": null})), "greeting_text"),
        (with(json!({"greeting_text": "  "})), "greeting_text"),
        (with(json!({"greeting_file": "../etc/passwd.wav"})), "greeting_file"),
        (with(json!({"greeting_file": "sub/hello.wav"})), "greeting_file"),
        (with(json!({"greeting_file": "hello.mp3"})), "greeting_file"),
        (with(json!({"timeout_ms": 999})), "timeout_ms"),
        (with(json!({"timeout_ms": 60_001})), "timeout_ms"),
        (with(json!({"timeout_ms": "fast"})), "timeout_ms"),
        (with(json!({"repeat": 0})), "repeat"),
        (with(json!({"repeat": 11})), "repeat"),
        (with(json!({"colour": "blue"})), "colour"),
        (opts(json!([{"digit": "12", "action": "hangup"}])), "options[0].digit"),
        (opts(json!([{"digit": "a", "action": "hangup"}])), "options[0].digit"),
        (opts(json!([{"digit": "1", "action": "hangup"}, {"digit": "1", "action": "hangup"}])), "options[1].digit"),
        (opts(json!([{"digit": "1", "action": "transfer", "target": "1001"}])), "options[0].action"),
        (opts(json!([{"digit": "1", "action": "extension", "target": "10 01"}])), "options[0].target"),
        (opts(json!([{"digit": "1", "action": "extension"}])), "options[0].target"),
        (opts(json!([{"digit": "1", "action": "number", "target": "1".repeat(65)}])), "options[0].target"),
        (opts(json!([{"digit": "1", "action": "ivr", "target": "main"}])), "options[0].target"),
        (opts(json!([{"digit": "1", "action": "ivr", "target": 99_999}])), "options[0].target"),
        (opts(json!([{"digit": "1", "action": "playback", "target": ""}])), "options[0].target"),
        (opts(json!([{"action": "hangup"}])), "digit"),
    ];
    for (body, field) in cases {
        let (status, err) = send(&s, Method::POST, "/api/ivrs/", body.clone());
        assert_eq!(status, 400, "{body} -> {err}");
        assert!(err[field].is_array(), "{body}: expected {field} named in {err}");
    }
    // Every bad field at once.
    let (status, err) = send(&s, Method::POST, "/api/ivrs/", json!({"name": "", "timeout_ms": 5, "repeat": 50}));
    assert_eq!(status, 400);
    assert_eq!(keys(&err), ["greeting_text", "name", "repeat", "timeout_ms"], "{err}");
    // The same checks guard PATCH, and a failed change changes nothing.
    let path = format!("/api/ivrs/{}/", existing["id"]);
    let (status, err) = send(&s, Method::PATCH, &path, json!({"greeting_text": null}));
    assert_eq!((status, err["greeting_text"].is_array()), (400, true), "{err}");
    assert_eq!(s.get("/api/ivrs/").1, json!([existing]));
}

/// Buys a number of the offline local pool, unassigned.
fn buy(s: &Server, token: &str, number: &str) -> Value {
    let (status, did) = s.send_as(token, Method::POST, "/api/did_numbers/", Some(json!({"phonenumber": number})));
    assert_eq!(status, 201, "{did}");
    did
}

#[test]
fn a_did_routes_to_a_menu_and_the_menu_stays_while_it_does() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let main = create(&s, main_menu());
    let did = buy(&s, &s.token, "17865550100");
    assert!(did.get("ivr_id").is_none(), "the seed's shape for a DID without a menu: {did}");
    let did_path = format!("/api/did_numbers/{}/", did["id"]);

    let (status, routed) = send(&s, Method::PATCH, &did_path, json!({"ivr_id": main["id"]}));
    assert_eq!(status, 200, "{routed}");
    assert_eq!((&routed["ivr_id"], &routed["extension"]), (&main["id"], &json!(null)));
    assert_eq!(s.get(&did_path).1, routed);

    let main_path = format!("/api/ivrs/{}/", main["id"]);
    let (status, err) = send(&s, Method::DELETE, &main_path, json!({}));
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("17865550100"), "{err}");

    let both = json!({"extension": ext["id"], "ivr_id": main["id"]});
    for (body, field) in
        [(both, "ivr_id"), (json!({"ivr_id": 99_999}), "ivr_id"), (json!({"ivr_id": "main"}), "ivr_id")]
    {
        let (status, err) = send(&s, Method::PATCH, &did_path, body.clone());
        assert_eq!((status, err[field].is_array()), (400, true), "{body}: {err}");
    }
    assert_eq!(s.get(&did_path).1, routed, "refused changes change nothing");

    let (status, back) = send(&s, Method::PATCH, &did_path, json!({"extension": ext["id"]}));
    assert_eq!(status, 200, "{back}");
    assert_eq!(&back["extension"], &ext["id"]);
    assert!(back.get("ivr_id").is_none(), "an extension takes the menu's place: {back}");
    let (status, same) = send(&s, Method::PATCH, &did_path, json!({"ivr_id": null}));
    assert_eq!((status, &same), (200, &back), "taking no menu away leaves the extension");

    let sub = create(
        &s,
        json!({"name": "sub", "greeting_text": "Support.", "options": [{"digit": "*", "action": "ivr", "target": main["id"]}]}),
    );
    let (status, err) = send(&s, Method::DELETE, &main_path, json!({}));
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("\"sub\""), "{err}");
    assert_eq!(s.request(Method::DELETE, &format!("/api/ivrs/{}/", sub["id"])).send().unwrap().status().as_u16(), 204);
    assert_eq!(s.request(Method::DELETE, &main_path).send().unwrap().status().as_u16(), 204);
}

#[test]
fn another_tenants_menus_are_not_found() {
    let s = start();
    let mine = s.cli(&["token", "create", "--name", "a"]);
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let (status, menu) = s.send_as(&mine, Method::POST, "/api/ivrs/", Some(main_menu()));
    assert_eq!(status, 201, "{menu}");
    let path = format!("/api/ivrs/{}/", menu["id"]);
    assert_eq!(s.send_as(&theirs, Method::GET, "/api/ivrs/", None), (200, json!([])));
    let attempts = [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "stolen"}))),
        (Method::PUT, Some(main_menu())),
        (Method::DELETE, None),
    ];
    for (method, body) in attempts {
        let answer = s.send_as(&theirs, method.clone(), &path, body);
        assert_eq!(answer, (404, json!({"detail": "Not found."})), "{method} {path}");
    }
    // Nor can their menus or numbers lead to it.
    let jump = json!({"name": "jump", "greeting_text": "hi", "options": [{"digit": "1", "action": "ivr", "target": menu["id"]}]});
    let (status, err) = s.send_as(&theirs, Method::POST, "/api/ivrs/", Some(jump));
    assert_eq!((status, err["options[0].target"].is_array()), (400, true), "{err}");
    let their_did = buy(&s, &theirs, "17865550101");
    let did_path = format!("/api/did_numbers/{}/", their_did["id"]);
    let (status, err) = s.send_as(&theirs, Method::PATCH, &did_path, Some(json!({"ivr_id": menu["id"]})));
    assert_eq!((status, err["ivr_id"].is_array()), (400, true), "{err}");
    // The same name is free in another tenant.
    let (status, _) = s.send_as(&theirs, Method::POST, "/api/ivrs/", Some(main_menu()));
    assert_eq!(status, 201);
    assert_eq!(s.send_as(&mine, Method::GET, &path, None), (200, menu));
}

/// Seven scans of one number in the server's own tenant, one of another
/// number, one in another tenant; the ids of the seven, oldest first.
fn seed_scans(s: &Server) -> Vec<i64> {
    s.with_store(|store| async move {
        let t = store.ensure_tenant("voxide.local").await.unwrap();
        let other = store.ensure_tenant("other.example").await.unwrap();
        let crawl = store.create_crawl(t.id, "18009256278", None, true).await.unwrap();
        let mut ids = Vec::new();
        for attempt in 1..=7 {
            store.set_crawl_state(crawl.id, CrawlRow::CALLING, attempt, false, None, None).await.unwrap();
            let scan = store.add_scan(&store.crawl(crawl.id).await.unwrap().unwrap()).await.unwrap();
            let status = if attempt == 7 { CrawlRow::PROCESSED } else { CrawlRow::CALLING };
            store.set_scan_status(scan.id, status, Some("a-call-uuid")).await.unwrap();
            ids.push(scan.id);
        }
        let elsewhere = store.create_crawl(t.id, "14582037530", None, true).await.unwrap();
        store.add_scan(&elsewhere).await.unwrap();
        let theirs = store.create_crawl(other.id, "18009256278", None, true).await.unwrap();
        store.add_scan(&theirs).await.unwrap();
        ids
    })
}

#[test]
fn scans_page_like_the_seed() {
    let s = start();
    let ids = seed_scans(&s);
    let (status, page) = s.get("/api/scan/?limit=3&offset=0&number=18009256278");
    assert_eq!(status, 200, "{page}");
    assert_eq!(keys(&page), ["count", "next", "previous", "results"]);
    assert_eq!(page["count"], 7);
    let base = format!("http://{}/api/scan", s.http);
    assert_eq!(page["next"], json!(format!("{base}?number=18009256278&limit=3&offset=3")));
    assert_eq!(page["previous"], json!(null));
    let results = page["results"].as_array().unwrap();
    let got: Vec<i64> = results.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(got, [ids[6], ids[5], ids[4]], "newest first");
    for r in results {
        assert_eq!(keys(r), ["attempt", "created_at", "id", "number", "status", "updated_at"], "{r}");
        assert_eq!(r["number"], "18009256278");
    }
    assert_eq!((&results[0]["status"], &results[0]["attempt"]), (&json!("Processed"), &json!(7)));
    assert_eq!((&results[1]["status"], &results[1]["attempt"]), (&json!("Calling"), &json!(6)));

    let (_, last) = s.get("/api/scan/?limit=3&offset=6&number=18009256278");
    assert_eq!((&last["next"], last["results"].as_array().unwrap().len()), (&json!(null), 1));
    assert_eq!(last["previous"], json!(format!("{base}?number=18009256278&limit=3&offset=3")));
    let (_, all) = s.get("/api/scan/");
    assert_eq!((&all["count"], all["results"].as_array().unwrap().len(), &all["next"]), (&json!(8), 8, &json!(null)));
    let (_, none) = s.get("/api/scan/?number=19999999999");
    assert_eq!(none, json!({"count": 0, "next": null, "previous": null, "results": []}));

    for (query, field) in
        [("limit=101", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"), ("offset=x", "offset")]
    {
        let (status, err) = s.get(&format!("/api/scan/?{query}"));
        assert_eq!((status, err[field].is_array()), (400, true), "{query}: {err}");
    }
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let (_, their_page) = s.send_as(&theirs, Method::GET, "/api/scan/?number=18009256278", None);
    assert_eq!(their_page["count"], 1, "{their_page}");
}

/// The seed's tree for 14582037530, found in a different order than shown.
fn seed_tree(s: &Server) -> (i64, Vec<i64>) {
    s.with_store(|store| async move {
        let t = store.ensure_tenant("voxide.local").await.unwrap();
        let c = store.create_crawl(t.id, "14582037530", None, true).await.unwrap();
        let root = store.upsert_node(c.id, None, "", "", "").await.unwrap();
        let debug = json!([{"transcript": "press 2 for support press 3 for operator ", "confidence": 0.97,
            "timestamps": [["press", 7.8, 8.07], ["two", 8.07, 8.28]]}]);
        let root_text =
            " hello welcome to d. p. software solution press one for sales press 2 for support press 3 for operator";
        store.set_node_prompt(root.id, root_text, Some(&debug), Some("/api/media/crawls/root.wav")).await.unwrap();
        let three = store.upsert_node(c.id, Some(root.id), "3", "3", "three for operator").await.unwrap();
        let sales = store.upsert_node(c.id, Some(root.id), "1", "1", "east press one for sales ").await.unwrap();
        let hash = store.upsert_node(c.id, Some(root.id), "#", "#", "pound to repeat").await.unwrap();
        let two = store.upsert_node(c.id, Some(root.id), "2", "2", "press two for support").await.unwrap();
        let star = store.upsert_node(c.id, Some(root.id), "*", "*", "star for the main menu").await.unwrap();
        let five = store.upsert_node(c.id, Some(sales.id), "5", "1,5", "press five").await.unwrap();
        let voice = store.upsert_node(c.id, Some(sales.id), "3", "1,3", "press three to voice").await.unwrap();
        for n in [&three, &two, &five, &voice] {
            store.set_node_prompt(n.id, " thanks for your query", None, None).await.unwrap();
        }
        store.set_node_prompt(sales.id, " thanks for contact sales department", None, None).await.unwrap();
        store.set_crawl_state(c.id, CrawlRow::PROCESSED, 4, true, None, None).await.unwrap();
        (c.id, vec![root.id, sales.id, two.id, three.id, star.id, hash.id, voice.id, five.id])
    })
}

fn leaf(id: i64, key: &str, keys_to_reach: &str, parent_text: &str, audio_text: &str) -> Value {
    json!({
        "id": id,
        "info": {"parent_text": parent_text, "keys_to_reach": keys_to_reach},
        "key": key,
        "audio_text": audio_text,
        "audio_text_debug": null,
        "prompt_audio": null,
        "children": []
    })
}

#[test]
fn callmenu_shows_the_tree_like_the_seed() {
    let s = start();
    let (crawl_id, n) = seed_tree(&s);
    let (status, body) = s.get("/api/callmenu/?number=14582037530");
    assert_eq!(status, 200, "{body}");
    let thanks = " thanks for your query";
    let mut sales = leaf(n[1], "1", "1", "east press one for sales ", " thanks for contact sales department");
    sales["children"] =
        json!([leaf(n[6], "3", "1,3", "press three to voice", thanks), leaf(n[7], "5", "1,5", "press five", thanks)]);
    let expected = json!({
        "id": crawl_id,
        "number": "14582037530",
        "business_name": null,
        "retry_enabled": 1,
        "attempt": 4,
        "completed": true,
        "menu": {
            "id": n[0],
            "info": {"parent_text": "", "keys_to_reach": ""},
            "key": "",
            "audio_text": " hello welcome to d. p. software solution press one for sales press 2 for support press 3 for operator",
            "audio_text_debug": [{"transcript": "press 2 for support press 3 for operator ", "confidence": 0.97,
                "timestamps": [["press", 7.8, 8.07], ["two", 8.07, 8.28]]}],
            "prompt_audio": "/api/media/crawls/root.wav",
            "children": [
                sales,
                leaf(n[2], "2", "2", "press two for support", thanks),
                leaf(n[3], "3", "3", "three for operator", thanks),
                leaf(n[4], "*", "*", "star for the main menu", ""),
                leaf(n[5], "#", "#", "pound to repeat", "")
            ]
        }
    });
    assert_eq!(body, expected);
    let order: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        order,
        ["id", "number", "business_name", "retry_enabled", "attempt", "completed", "menu"],
        "the seed's order"
    );

    assert_eq!(s.get("/api/callmenu/?number=+1%20(458)%20203-7530").1, expected, "any spelling of the number");
    for query in ["", "?number=", "?number=%20"] {
        let (status, err) = s.get(&format!("/api/callmenu/{query}"));
        assert_eq!((status, err["number"].is_array()), (400, true), "{query}: {err}");
    }
    assert_eq!(s.get("/api/callmenu/?number=19999999999"), (404, json!({"detail": "Not found."})));
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    assert_eq!(s.send_as(&theirs, Method::GET, "/api/callmenu/?number=14582037530", None).0, 404);

    s.with_store(|store| async move {
        let t = store.ensure_tenant("voxide.local").await.unwrap();
        store.create_crawl(t.id, "18009256278", Some("Acme"), false).await.unwrap();
    });
    let (status, fresh) = s.get("/api/callmenu/?number=18009256278");
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(
        (&fresh["business_name"], &fresh["retry_enabled"], &fresh["completed"], &fresh["menu"]),
        (&json!("Acme"), &json!(0), &json!(false), &json!(null))
    );
}
