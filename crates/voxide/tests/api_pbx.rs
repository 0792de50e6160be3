//! The PBX objects' REST API end to end against the real binary: hunt
//! groups, an extension's features, voicemail, conditions, custom and
//! chained destinations, a DID's PBX fields, phones and the configuration
//! files they fetch from `/provision/`. Voicemail messages are written
//! straight into the server's database and recordings directory, as the
//! switch writes them.

use reqwest::Method;
use serde_json::{Value, json};
use voxide_store::NewVoicemail;
use voxide_testkit::Server;

fn start() -> Server {
    Server::start(env!("CARGO_BIN_EXE_voxide"), &[])
}

fn send(s: &Server, method: Method, path: &str, body: Value) -> (u16, Value) {
    s.send_json(method, path, &body)
}

fn created(s: &Server, path: &str, body: Value) -> Value {
    let (status, v) = send(s, Method::POST, path, body.clone());
    assert_eq!(status, 201, "POST {path} {body}: {v}");
    v
}

fn delete(s: &Server, path: &str) -> (u16, Value) {
    let resp = s.request(Method::DELETE, path).send().expect("DELETE");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// Posts or patches each body and checks the answer is 400 naming `field`.
fn refused(s: &Server, method: Method, path: &str, cases: Vec<(Value, &str)>) {
    for (body, field) in cases {
        let (status, err) = send(s, method.clone(), path, body.clone());
        assert_eq!(status, 400, "{method} {path} {body} -> {err}");
        assert!(err[field].is_array(), "{method} {path} {body}: expected {field} named in {err}");
    }
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

#[test]
fn a_hunt_group_is_created_listed_changed_and_deleted() {
    let s = start();
    let a = id(&s.create_extension("1001", "secret-1001"));
    let b = id(&s.create_extension("1002", "secret-1002"));
    let c = id(&s.create_extension("1003", "secret-1003"));
    let group = created(&s, "/api/hunt_groups/", json!({"name": "Sales", "number": "501", "members": [c, a, b]}));
    assert_eq!(
        keys(&group),
        [
            "created_at",
            "id",
            "last_member_id",
            "members",
            "name",
            "number",
            "overflow",
            "ring_secs",
            "skip_busy",
            "strategy",
            "updated_at"
        ]
    );
    assert_eq!(group["members"], json!([c, a, b]), "in the given order");
    assert_eq!(
        (&group["strategy"], &group["ring_secs"], &group["skip_busy"], &group["overflow"]),
        (&json!("ring_all"), &json!(20), &json!(false), &json!("")),
        "defaults"
    );
    let path = format!("/api/hunt_groups/{}/", group["id"]);
    assert_eq!(s.get("/api/hunt_groups/"), (200, json!([group.clone()])));
    assert_eq!(s.get(&path), (200, group.clone()));

    let (status, patched) = send(
        &s,
        Method::PATCH,
        &path,
        json!({"strategy": "round_robin", "skip_busy": 1, "overflow": format!("voicemail:{a}"), "ring_secs": 12}),
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (&patched["strategy"], &patched["skip_busy"], &patched["ring_secs"]),
        (&json!("round_robin"), &json!(true), &json!(12))
    );
    assert_eq!(patched["overflow"], json!(format!("voicemail:{a}")));
    assert_eq!((&patched["members"], &patched["name"]), (&group["members"], &group["name"]), "the rest is kept");

    let (status, replaced) =
        send(&s, Method::PUT, &path, json!({"name": "Support", "number": "502", "strategy": "longest_idle"}));
    assert_eq!(status, 200, "{replaced}");
    assert_eq!((&replaced["members"], &replaced["overflow"]), (&json!([]), &json!("")), "PUT resets what it omits");
    assert_eq!(replaced["created_at"], group["created_at"]);
    let (status, echoed) = send(&s, Method::PUT, &path, replaced.clone());
    assert_eq!(status, 200, "a GET's body is accepted back: {echoed}");

    // A group something leads to stays.
    let (status, _) = send(
        &s,
        Method::PATCH,
        &format!("/api/extensions/{b}/features/"),
        json!({"forward_busy": format!("hunt:{}", group["id"])}),
    );
    assert_eq!(status, 200);
    let (status, err) = delete(&s, &path);
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("forward_busy"), "{err}");
    send(&s, Method::PATCH, &format!("/api/extensions/{b}/features/"), json!({"forward_busy": ""}));
    assert_eq!(delete(&s, &path).0, 204);
    assert_eq!(s.get(&path), (404, json!({"detail": "Not found."})));
    assert_eq!(s.get("/api/hunt_groups/"), (200, json!([])));
    assert_eq!(s.get("/api/hunt_groups/abc/").0, 404);
}

#[test]
fn every_bad_hunt_group_field_is_named() {
    let s = start();
    let a = id(&s.create_extension("1001", "secret-1001"));
    let existing = created(&s, "/api/hunt_groups/", json!({"name": "Sales", "number": "501", "members": [a]}));
    let with = |changes: Value| {
        let mut body = json!({"name": "Support", "number": "510", "members": [a]});
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    refused(
        &s,
        Method::POST,
        "/api/hunt_groups/",
        vec![
            (json!({"number": "510"}), "name"),
            (with(json!({"name": ""})), "name"),
            (with(json!({"name": "x".repeat(65)})), "name"),
            (json!({"name": "Support"}), "number"),
            (with(json!({"number": "1001"})), "number"),
            (with(json!({"number": "501"})), "number"),
            (with(json!({"number": "5 01"})), "number"),
            (with(json!({"strategy": "random"})), "strategy"),
            (with(json!({"ring_secs": 2})), "ring_secs"),
            (with(json!({"ring_secs": "long"})), "ring_secs"),
            (with(json!({"skip_busy": 7})), "skip_busy"),
            (with(json!({"overflow": "queue:1"})), "overflow"),
            (with(json!({"overflow": "hunt:9999"})), "overflow"),
            (with(json!({"overflow": "number:12ab"})), "overflow"),
            (with(json!({"members": [a, a]})), "members[1]"),
            (with(json!({"members": [a, 9999]})), "members[1]"),
            (with(json!({"members": "1001"})), "members"),
            (with(json!({"colour": "blue"})), "colour"),
        ],
    );
    let (status, err) = send(&s, Method::POST, "/api/hunt_groups/", json!({"strategy": "x", "ring_secs": 0}));
    assert_eq!(status, 400);
    assert_eq!(keys(&err), ["name", "number", "ring_secs", "strategy"], "every bad field at once: {err}");
    let path = format!("/api/hunt_groups/{}/", existing["id"]);
    refused(
        &s,
        Method::PATCH,
        &path,
        vec![(json!({"overflow": format!("hunt:{}", existing["id"])}), "overflow"), (json!({"number": ""}), "number")],
    );
    assert_eq!(s.get("/api/hunt_groups/").1, json!([existing]), "refused changes change nothing");
}

#[test]
fn an_extensions_features_are_read_and_patched_field_by_field() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let other = id(&s.create_extension("1002", "secret-1002"));
    let path = format!("/api/extensions/{}/features/", ext["id"]);
    let (status, f) = s.get(&path);
    assert_eq!(status, 200, "{f}");
    assert_eq!(
        f,
        json!({
            "extension": ext["id"], "sip_username": "1001", "cid_number": "", "cid_name": "",
            "call_waiting": true, "dnd": false, "forward_always": "", "forward_busy": "",
            "forward_no_answer": "", "forward_unregistered": "", "ring_secs": 20,
            "followme_enabled": false, "followme_cid_number": "", "followme_cid_name": "", "followme": [],
            "voicemail_enabled": false, "voicemail_pin": "", "voicemail_email": "", "voicemail_greeting": "",
            "voicemail_new": 0, "voicemail_old": 0
        })
    );
    let custom = created(&s, "/api/custom_destinations/", json!({"name": "Mobile", "number": "+1 514 555-0123"}));
    let change = json!({
        "cid_number": "+15146339933", "cid_name": "Uniglobe Dorval", "call_waiting": false, "dnd": 1,
        "forward_busy": format!("voicemail:{}", ext["id"]), "forward_no_answer": format!("custom:{}", custom["id"]),
        "forward_unregistered": "number:+15145550100", "ring_secs": 30, "followme_enabled": true,
        "followme_cid_name": "FMF", "followme": [{"number": "15145550100", "ring_secs": 25}, {"number": "1002"}],
        "voicemail_enabled": true, "voicemail_pin": "4321", "voicemail_email": "info@example.com",
        "voicemail_greeting": "closed.wav"
    });
    let (status, g) = send(&s, Method::PATCH, &path, change);
    assert_eq!(status, 200, "{g}");
    assert_eq!((&g["cid_number"], &g["cid_name"]), (&json!("+15146339933"), &json!("Uniglobe Dorval")));
    assert_eq!((&g["call_waiting"], &g["dnd"], &g["ring_secs"]), (&json!(false), &json!(true), &json!(30)));
    assert_eq!(g["forward_no_answer"], json!(format!("custom:{}", custom["id"])));
    assert_eq!(g["followme"], json!([{"number": "15145550100", "ring_secs": 25}, {"number": "1002", "ring_secs": 20}]));
    assert_eq!((&g["voicemail_enabled"], &g["voicemail_pin"]), (&json!(true), &json!("4321")));
    assert_eq!(s.get(&path), (200, g.clone()), "kept");
    let (status, h) = send(&s, Method::PATCH, &path, json!({"dnd": false}));
    assert_eq!(status, 200);
    let mut expected = g.clone();
    expected["dnd"] = json!(false);
    assert_eq!(h, expected, "only what is named changes");
    assert_eq!(send(&s, Method::PATCH, &path, h.clone()).0, 200, "a GET's body is accepted back");

    refused(
        &s,
        Method::PATCH,
        &path,
        vec![
            (json!({"forward_busy": "busy"}), "forward_busy"),
            (json!({"forward_busy": "hunt:77"}), "forward_busy"),
            (json!({"forward_always": format!("extension:{}", ext["id"])}), "forward_always"),
            (json!({"forward_unregistered": "extension:0"}), "forward_unregistered"),
            (json!({"forward_no_answer": "ivr:5"}), "forward_no_answer"),
            (json!({"followme": [{"number": "1002"}, {"number": "not a number"}]}), "followme[1].number"),
            (json!({"followme": [{"number": "1001"}]}), "followme[0].number"),
            (json!({"followme": [{"number": "front-desk"}]}), "followme[0].number"),
            (json!({"followme": [{"number": "1002", "ring_secs": 500}]}), "followme[0].ring_secs"),
            (json!({"followme": vec![json!({"number": "1002"}); 11]}), "followme"),
            (json!({"voicemail_pin": "12"}), "voicemail_pin"),
            (json!({"voicemail_pin": "12345678901"}), "voicemail_pin"),
            (json!({"voicemail_pin": "12a4"}), "voicemail_pin"),
            (json!({"voicemail_email": "nobody"}), "voicemail_email"),
            (json!({"voicemail_greeting": "../x.wav"}), "voicemail_greeting"),
            (json!({"voicemail_greeting": "x.mp3"}), "voicemail_greeting"),
            (json!({"cid_number": "514-633"}), "cid_number"),
            (json!({"cid_name": "Say \"hi\""}), "cid_name"),
            (json!({"followme_cid_number": "abc"}), "followme_cid_number"),
            (json!({"ring_secs": 1}), "ring_secs"),
            (json!({"call_waiting": "yes"}), "call_waiting"),
            (json!({"forwarding": "x"}), "forwarding"),
        ],
    );
    let (status, err) =
        send(&s, Method::PATCH, &path, json!({"voicemail_pin": "1", "forward_busy": "x", "ring_secs": 0}));
    assert_eq!(status, 400);
    assert_eq!(keys(&err), ["forward_busy", "ring_secs", "voicemail_pin"], "every bad field at once: {err}");
    assert_eq!(s.get(&path), (200, h), "refused changes change nothing");
    assert_eq!(s.get("/api/extensions/9999/features/").0, 404);
    assert_eq!(send(&s, Method::PUT, &path, json!({})).0, 405);
    // The extension itself is unchanged by its features.
    assert_eq!(s.get(&format!("/api/extensions/{}/", ext["id"])).1["sip_password"], "secret-1001");
    assert_eq!(s.get(&format!("/api/extensions/{other}/features/")).1["forward_busy"], "");
}

/// A short WAV of a tone, as the switch would record a message.
fn wav_bytes(dir: &std::path::Path) -> Vec<u8> {
    std::fs::read(voxide_testkit::audio::tone(dir, 440)).expect("tone")
}

#[test]
fn voicemail_is_listed_marked_heard_played_and_deleted() {
    let s = start();
    let a = id(&s.create_extension("1001", "secret-1001"));
    let b = id(&s.create_extension("1002", "secret-1002"));
    let audio = wav_bytes(s.dir());
    let box_dir = s.dir().join(format!("data/recordings/voicemail/{a}"));
    std::fs::create_dir_all(&box_dir).unwrap();
    std::fs::write(box_dir.join("first.wav"), &audio).unwrap();
    let messages = [
        (a, "15145550100", format!("voicemail/{a}/first.wav")),
        (a, "1002", "voicemail/1/gone.wav".into()),
        (b, "1001", "../outside.wav".into()),
    ];
    let ids: Vec<i64> = s.with_store(|store| async move {
        let tenant = store.tenant_by_domain("voxide.local").await.unwrap().unwrap();
        let mut ids = Vec::new();
        for (ext, caller, path) in messages {
            let new = NewVoicemail {
                tenant_id: tenant.id,
                extension_id: ext,
                caller: caller.into(),
                call_uuid: format!("uuid-{caller}"),
                path,
                duration_ms: 10_000,
            };
            ids.push(store.add_voicemail(&new).await.unwrap());
        }
        ids
    });
    let (status, list) = s.get("/api/voicemail/");
    assert_eq!(status, 200, "{list}");
    let listed: Vec<i64> = list.as_array().unwrap().iter().map(id).collect();
    assert_eq!(listed, [ids[2], ids[1], ids[0]], "newest first");
    let first = &list[2];
    assert_eq!(keys(first), ["audio", "call_uuid", "caller", "created_at", "duration_ms", "extension", "heard", "id"]);
    assert_eq!(
        (&first["extension"], &first["caller"], &first["duration_ms"], &first["heard"]),
        (&json!(a), &json!("15145550100"), &json!(10_000), &json!(false))
    );
    let mine: Vec<i64> =
        s.get(&format!("/api/voicemail/?extension={a}")).1.as_array().unwrap().iter().map(id).collect();
    assert_eq!(mine, [ids[1], ids[0]]);
    assert!(s.get("/api/voicemail/?extension=abc").1["extension"].is_array());
    let features = format!("/api/extensions/{a}/features/");
    assert_eq!(
        (s.get(&features).1["voicemail_new"].clone(), s.get(&features).1["voicemail_old"].clone()),
        (json!(2), json!(0))
    );

    // Its audio, whole and by range.
    let audio_path = first["audio"].as_str().unwrap().to_string();
    assert_eq!(audio_path, format!("/api/voicemail/{}/audio", ids[0]));
    let resp = s.request(Method::GET, &audio_path).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    assert_eq!(resp.bytes().unwrap().to_vec(), audio);
    let resp = s.request(Method::GET, &audio_path).header("Range", "bytes=0-43").send().unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes().unwrap().to_vec(), audio[..44].to_vec());
    assert_eq!(s.client.get(s.url(&audio_path)).send().unwrap().status().as_u16(), 401, "a token is needed");
    assert_eq!(s.get(&format!("/api/voicemail/{}/audio", ids[1])).0, 404, "its file is missing");
    assert_eq!(s.get(&format!("/api/voicemail/{}/audio", ids[2])).0, 404, "a path leaving the directory");

    let one = format!("/api/voicemail/{}/", ids[0]);
    let (status, heard) = send(&s, Method::PATCH, &one, json!({"heard": true}));
    assert_eq!((status, &heard["heard"]), (200, &json!(true)), "{heard}");
    assert_eq!(s.get(&one).1, heard);
    assert_eq!(s.get(&features).1["voicemail_new"], 1);
    assert_eq!(s.get(&features).1["voicemail_old"], 1);
    refused(
        &s,
        Method::PATCH,
        &one,
        vec![(json!({}), "heard"), (json!({"heard": "yes"}), "heard"), (json!({"caller": "x"}), "caller")],
    );

    assert_eq!(delete(&s, &one).0, 204);
    assert!(!box_dir.join("first.wav").exists(), "the file goes with the message");
    assert_eq!(s.get(&one).0, 404);
    assert_eq!(s.get(&features).1["voicemail_old"], 0);
    assert_eq!(s.get("/api/voicemail/9999/").0, 404);
}

#[test]
fn conditions_custom_and_chained_destinations_are_kept_and_checked() {
    let s = start();
    let ext = id(&s.create_extension("1001", "secret-1001"));
    let group = created(&s, "/api/hunt_groups/", json!({"name": "Sales", "number": "501", "members": [ext]}));
    let office = json!({
        "name": "Office hours", "kind": "time", "time_zone": "America/New_York", "weekdays": "mon,tue,wed,thu,fri",
        "start_time": "09:00", "end_time": "17:00", "match_destination": format!("hunt:{}", group["id"]),
        "nomatch_destination": format!("voicemail:{ext}")
    });
    let c = created(&s, "/api/conditions/", office.clone());
    assert_eq!(
        keys(&c),
        [
            "callerid_pattern",
            "created_at",
            "end_time",
            "id",
            "kind",
            "match_destination",
            "name",
            "nomatch_destination",
            "start_time",
            "time_zone",
            "updated_at",
            "weekdays"
        ]
    );
    let c_path = format!("/api/conditions/{}/", c["id"]);
    assert_eq!(s.get("/api/conditions/"), (200, json!([c.clone()])));
    let (status, vip) =
        send(&s, Method::PATCH, &c_path, json!({"kind": "callerid", "callerid_pattern": "5146349955, 1514*"}));
    assert_eq!(status, 200, "{vip}");
    assert_eq!((&vip["kind"], &vip["callerid_pattern"]), (&json!("callerid"), &json!("5146349955,1514*")));
    assert_eq!((&vip["weekdays"], &vip["start_time"]), (&json!(""), &json!("")), "the time fields are cleared");
    let with = |changes: Value| {
        let mut body = office.clone();
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    refused(
        &s,
        Method::POST,
        "/api/conditions/",
        vec![
            (with(json!({"name": ""})), "name"),
            (with(json!({"kind": "weather"})), "kind"),
            (json!({"name": "x"}), "kind"),
            (with(json!({"time_zone": "Mars/Olympus"})), "time_zone"),
            (with(json!({"time_zone": "UTC+5"})), "time_zone"),
            (with(json!({"weekdays": "monday"})), "weekdays"),
            (with(json!({"weekdays": "mon,mon"})), "weekdays"),
            (with(json!({"start_time": "9:00"})), "start_time"),
            (with(json!({"end_time": "24:00"})), "end_time"),
            (with(json!({"kind": "callerid"})), "callerid_pattern"),
            (with(json!({"kind": "callerid", "callerid_pattern": "51a*"})), "callerid_pattern"),
            (with(json!({"match_destination": "hunt:999"})), "match_destination"),
            (with(json!({"nomatch_destination": "voicemail"})), "nomatch_destination"),
        ],
    );
    refused(
        &s,
        Method::PATCH,
        &c_path,
        vec![(json!({"match_destination": format!("condition:{}", c["id"])}), "match_destination")],
    );

    // Custom destinations.
    let cu = created(&s, "/api/custom_destinations/", json!({"name": "Vickie mobile", "number": "+1 (514) 555-0123"}));
    assert_eq!(keys(&cu), ["created_at", "id", "name", "number"]);
    assert_eq!(cu["number"], "+15145550123");
    let cu_path = format!("/api/custom_destinations/{}/", cu["id"]);
    let (status, renamed) = send(&s, Method::PATCH, &cu_path, json!({"name": "Vickie"}));
    assert_eq!((status, &renamed["name"], &renamed["number"]), (200, &json!("Vickie"), &cu["number"]));
    refused(
        &s,
        Method::POST,
        "/api/custom_destinations/",
        vec![
            (json!({"name": "x"}), "number"),
            (json!({"name": "x", "number": "call me"}), "number"),
            (json!({"number": "5551234"}), "name"),
        ],
    );

    // Chained destinations, listed by ord.
    let second = created(
        &s,
        "/api/destinations/",
        json!({"src_type": "condition", "src_id": c["id"], "dst_type": "custom", "dst_id": cu["id"], "ord": 2}),
    );
    let first = created(
        &s,
        "/api/destinations/",
        json!({"src_type": "notcondition", "src_id": c["id"], "dst_type": "hangup", "ord": 1}),
    );
    assert_eq!(keys(&first), ["created_at", "dst_id", "dst_type", "id", "ord", "src_id", "src_type"]);
    assert_eq!(first["dst_id"], json!(null));
    assert_eq!(s.get("/api/destinations/").1, json!([first.clone(), second.clone()]));
    refused(
        &s,
        Method::POST,
        "/api/destinations/",
        vec![
            (json!({"src_type": "queue", "src_id": 1, "dst_type": "hangup"}), "src_type"),
            (json!({"src_type": "condition", "dst_type": "hangup"}), "src_id"),
            (json!({"src_type": "condition", "src_id": 999, "dst_type": "hangup"}), "src_id"),
            (json!({"src_type": "condition", "src_id": c["id"], "dst_type": "fax", "dst_id": 1}), "dst_type"),
            (json!({"src_type": "condition", "src_id": c["id"], "dst_type": "hunt"}), "dst_id"),
            (json!({"src_type": "condition", "src_id": c["id"], "dst_type": "hunt", "dst_id": 999}), "dst_id"),
            (json!({"src_type": "condition", "src_id": c["id"], "dst_type": "hangup", "dst_id": 1}), "dst_id"),
            (json!({"src_type": "condition", "src_id": c["id"], "dst_type": "hangup", "ord": -1}), "ord"),
        ],
    );
    let second_path = format!("/api/destinations/{}/", second["id"]);
    let (status, moved) = send(&s, Method::PATCH, &second_path, json!({"ord": 0}));
    assert_eq!((status, &moved["ord"], &moved["dst_type"]), (200, &json!(0), &json!("custom")));
    assert_eq!(s.get("/api/destinations/").1, json!([moved.clone(), first.clone()]));

    // What something leads to is kept until that is changed.
    let (status, err) = delete(&s, &cu_path);
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains(&format!("destination {}", second["id"])), "{err}");
    assert_eq!(delete(&s, &second_path).0, 204);
    assert_eq!(delete(&s, &cu_path).0, 204);
    send(
        &s,
        Method::PATCH,
        &format!("/api/extensions/{ext}/features/"),
        json!({"forward_no_answer": format!("condition:{}", c["id"])}),
    );
    let (status, err) = delete(&s, &c_path);
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("forward_no_answer"), "{err}");
}

#[test]
fn a_did_carries_caller_id_prefixes_and_a_destination_without_losing_its_route() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let (status, did) =
        send(&s, Method::POST, "/api/did_numbers/", json!({"phonenumber": "17865550100", "extension": ext["id"]}));
    assert_eq!(status, 201, "{did}");
    assert_eq!(keys(&did), ["created_at", "domain", "extension", "id", "phonenumber", "provider"], "the seed's shape");
    let group = created(&s, "/api/hunt_groups/", json!({"name": "Sales", "number": "501"}));
    let path = format!("/api/did_numbers/{}/", did["id"]);
    let body =
        json!({"cid_name_prefix": "Sales: ", "number_prefix": "9", "destination": format!("hunt:{}", group["id"])});
    let (status, changed) = send(&s, Method::PATCH, &path, body);
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (&changed["cid_name_prefix"], &changed["number_prefix"], &changed["destination"]),
        (&json!("Sales: "), &json!("9"), &json!(format!("hunt:{}", group["id"])))
    );
    assert_eq!(changed["extension"], ext["id"], "the extension route is kept");
    assert_eq!(s.get(&path).1, changed);
    refused(
        &s,
        Method::PATCH,
        &path,
        vec![
            (json!({"destination": "hunt:999"}), "destination"),
            (json!({"destination": "elsewhere"}), "destination"),
            (json!({"number_prefix": "9a"}), "number_prefix"),
            (json!({"cid_name_prefix": "x".repeat(33)}), "cid_name_prefix"),
        ],
    );
    assert_eq!(s.get(&path).1, changed, "refused changes change nothing");
    let (status, err) = delete(&s, &format!("/api/hunt_groups/{}/", group["id"]));
    assert_eq!(status, 409, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("17865550100"), "{err}");
}

#[test]
fn another_tenants_objects_are_not_found() {
    let s = start();
    let mine = s.cli(&["token", "create", "--name", "a"]);
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let (_, my_ext) = s.send_as(
        &mine,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "1001", "sip_password": "secret-1001"})),
    );
    let (_, their_ext) = s.send_as(
        &theirs,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "1001", "sip_password": "secret-2001"})),
    );
    let post = |path: &str, body: Value| {
        let (status, v) = s.send_as(&mine, Method::POST, path, Some(body.clone()));
        assert_eq!(status, 201, "{path} {body}: {v}");
        format!("{path}{}/", v["id"])
    };
    let paths = [
        post("/api/hunt_groups/", json!({"name": "Sales", "number": "501", "members": [my_ext["id"]]})),
        post("/api/conditions/", json!({"name": "VIP", "kind": "callerid", "callerid_pattern": "514*"})),
        post("/api/custom_destinations/", json!({"name": "Mobile", "number": "5145550123"})),
        post("/api/destinations/", json!({"src_type": "extension", "src_id": my_ext["id"], "dst_type": "hangup"})),
        post(
            "/api/phones/",
            json!({"mac": "001565abcdef", "model": "yealink", "extension": my_ext["id"], "http_username": "p", "http_password": "prov-pass-1"}),
        ),
        format!("/api/extensions/{}/features/", my_ext["id"]),
    ];
    for path in &paths {
        assert_eq!(s.send_as(&mine, Method::GET, path, None).0, 200, "{path}");
        assert_eq!(s.send_as(&theirs, Method::GET, path, None), (404, json!({"detail": "Not found."})), "{path}");
        assert_eq!(s.send_as(&theirs, Method::PATCH, path, Some(json!({}))).0, 404, "{path}");
        if !path.ends_with("features/") {
            assert_eq!(s.send_as(&theirs, Method::DELETE, path, None).0, 404, "{path}");
        }
        assert_eq!(s.send_as(&mine, Method::GET, path, None).0, 200, "{path} is still there");
    }
    for list in [
        "/api/hunt_groups/",
        "/api/conditions/",
        "/api/custom_destinations/",
        "/api/destinations/",
        "/api/phones/",
        "/api/voicemail/",
    ] {
        assert_eq!(s.send_as(&theirs, Method::GET, list, None), (200, json!([])), "{list}");
    }
    // Their objects cannot be named from here, nor mine from there.
    let (status, err) = s.send_as(
        &theirs,
        Method::POST,
        "/api/hunt_groups/",
        Some(json!({"name": "S", "number": "501", "members": [my_ext["id"]]})),
    );
    assert_eq!((status, err["members[0]"].is_array()), (400, true), "{err}");
    let hunt_of_mine = paths[0].trim_start_matches("/api/hunt_groups/").trim_end_matches('/').to_string();
    let their_features = format!("/api/extensions/{}/features/", their_ext["id"]);
    let (status, err) = s.send_as(
        &theirs,
        Method::PATCH,
        &their_features,
        Some(json!({"forward_busy": format!("hunt:{hunt_of_mine}")})),
    );
    assert_eq!((status, err["forward_busy"].is_array()), (400, true), "{err}");
    let (status, err) = s.send_as(&theirs,
        Method::POST,
        "/api/phones/",
        Some(
            json!({"mac": "001565000001", "model": "generic", "extension": my_ext["id"], "http_username": "p", "http_password": "prov-pass-1"}),
        ),
    );
    assert_eq!((status, err["extension"].is_array()), (400, true), "{err}");
    let (status, err) = s.send_as(&theirs,
        Method::POST,
        "/api/phones/",
        Some(
            json!({"mac": "00:15:65:AB:CD:EF", "model": "generic", "http_username": "p", "http_password": "prov-pass-1"}),
        ),
    );
    assert_eq!((status, err["mac"].is_array()), (400, true), "a MAC is known once across tenants: {err}");
    // The same number may be a hunt group in each tenant.
    let (status, their_group) =
        s.send_as(&theirs, Method::POST, "/api/hunt_groups/", Some(json!({"name": "S", "number": "501"})));
    assert_eq!(status, 201);

    // A super-admin lists its own tenant's objects but reaches any by id,
    // and changes it within that object's tenant.
    let root = s.cli(&["token", "create", "--name", "root", "--superadmin"]);
    let their_path = format!("/api/hunt_groups/{}/", their_group["id"]);
    assert_eq!(s.send_as(&root, Method::GET, &their_path, None), (200, their_group.clone()));
    let listed = s.send_as(&root, Method::GET, "/api/hunt_groups/", None).1;
    assert!(listed.as_array().unwrap().iter().all(|g| g["id"] != their_group["id"]), "{listed}");
    let (status, err) = s.send_as(&root, Method::PATCH, &their_path, Some(json!({"members": [my_ext["id"]]})));
    assert_eq!((status, err["members[0]"].is_array()), (400, true), "not a member across tenants: {err}");
    let (status, theirs_now) =
        s.send_as(&root, Method::PATCH, &their_path, Some(json!({"members": [their_ext["id"]]})));
    assert_eq!((status, &theirs_now["members"]), (200, &json!([their_ext["id"]])), "{theirs_now}");
}

/// GET `path` with HTTP Basic credentials (or none).
fn fetch(s: &Server, path: &str, creds: Option<(&str, &str)>) -> reqwest::blocking::Response {
    let mut req = s.client.get(s.url(path));
    if let Some((user, password)) = creds {
        req = req.basic_auth(user, Some(password));
    }
    req.send().expect("provisioning request")
}

#[test]
fn a_phone_fetches_its_configuration_with_its_own_credentials() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    send(&s, Method::PATCH, &format!("/api/extensions/{}/features/", ext["id"]), json!({"cid_name": "Front desk"}));
    let phone = created(
        &s,
        "/api/phones/",
        json!({"mac": "00:15:65:AB:CD:EF", "model": "yealink", "extension": ext["id"], "http_username": "desk1", "http_password": "prov-pass-1"}),
    );
    assert_eq!(
        keys(&phone),
        ["created_at", "extension", "http_password", "http_username", "id", "mac", "model", "provisioning_path"]
    );
    assert_eq!(
        (&phone["mac"], &phone["provisioning_path"]),
        (&json!("001565abcdef"), &json!("/provision/001565abcdef.cfg"))
    );
    let creds = Some(("desk1", "prov-pass-1"));

    let resp = fetch(&s, "/provision/001565ABCDEF.cfg", creds);
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let cfg = resp.text().unwrap();
    let port = s.sip.port().to_string();
    for line in [
        "account.1.enable = 1".to_string(),
        "account.1.user_name = 1001".into(),
        "account.1.auth_name = 1001".into(),
        "account.1.password = secret-1001".into(),
        "account.1.display_name = Front desk".into(),
        "account.1.sip_server.1.address = voxide.local".into(),
        format!("account.1.sip_server.1.port = {port}"),
        format!("account.1.outbound_proxy.1.address = {}", s.sip.ip()),
        format!("account.1.outbound_proxy.1.port = {port}"),
    ] {
        assert!(cfg.lines().any(|l| l == line), "{line:?} missing from:\n{cfg}");
    }
    assert!(!cfg.contains("{{"), "{cfg}");

    for (path, creds, why) in [
        ("/provision/001565abcdef.cfg", None, "no credentials"),
        ("/provision/001565abcdef.cfg", Some(("desk1", "wrong-pass")), "wrong password"),
        ("/provision/001565abcdef.cfg", Some(("desk2", "prov-pass-1")), "wrong user"),
        ("/provision/0015650000ff.cfg", creds, "an unknown phone looks the same"),
        ("/provision/nonsense", creds, "no suffix"),
    ] {
        let resp = fetch(&s, path, creds);
        assert_eq!(resp.status().as_u16(), 401, "{why}");
        let challenge = resp.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
        assert!(challenge.as_deref().is_some_and(|c| c.starts_with("Basic realm=")), "{why}: {challenge:?}");
    }
    let token =
        s.client.get(s.url("/provision/001565abcdef.cfg")).header("Authorization", format!("Token {}", s.token));
    assert_eq!(token.send().unwrap().status().as_u16(), 401, "an API token is not a phone's credential");
    assert_eq!(fetch(&s, "/provision/001565abcdef.xml", creds).status().as_u16(), 404, "a Yealink fetches .cfg");

    // A Polycom-style phone fetches XML, with its values escaped.
    let (status, _) =
        send(&s, Method::PATCH, &format!("/api/extensions/{}/", ext["id"]), json!({"sip_password": "pa<ss>&word"}));
    assert_eq!(status, 200);
    let path = format!("/api/phones/{}/", phone["id"]);
    let (status, changed) = send(&s, Method::PATCH, &path, json!({"model": "polycom"}));
    assert_eq!((status, &changed["provisioning_path"]), (200, &json!("/provision/001565abcdef.xml")), "{changed}");
    let resp = fetch(&s, "/provision/00-15-65-ab-cd-ef.xml", creds);
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    let xml = resp.text().unwrap();
    assert!(xml.contains("reg.1.address=\"1001@voxide.local\""), "{xml}");
    assert!(xml.contains("reg.1.auth.password=\"pa&lt;ss&gt;&amp;word\""), "{xml}");
    assert!(xml.contains(&format!("reg.1.outboundProxy.port=\"{port}\"")), "{xml}");

    // Without an extension there is nothing to configure.
    let (status, _) = send(&s, Method::PATCH, &path, json!({"extension": null, "model": "generic"}));
    assert_eq!(status, 200);
    assert_eq!(fetch(&s, "/provision/001565abcdef.cfg", creds).status().as_u16(), 400);
    send(&s, Method::PATCH, &path, json!({"extension": ext["id"]}));
    let generic = fetch(&s, "/provision/001565abcdef.cfg", creds).text().unwrap();
    assert!(generic.lines().any(|l| l == "sip_password=pa<ss>&word"), "{generic}");

    refused(
        &s,
        Method::POST,
        "/api/phones/",
        vec![
            (json!({"model": "yealink", "http_username": "u", "http_password": "prov-pass-1"}), "mac"),
            (
                json!({"mac": "00:15:65", "model": "yealink", "http_username": "u", "http_password": "prov-pass-1"}),
                "mac",
            ),
            (
                json!({"mac": "001565abcdef", "model": "yealink", "http_username": "u", "http_password": "prov-pass-1"}),
                "mac",
            ),
            (
                json!({"mac": "001565000001", "model": "cisco", "http_username": "u", "http_password": "prov-pass-1"}),
                "model",
            ),
            (json!({"mac": "001565000001", "model": "generic", "http_password": "prov-pass-1"}), "http_username"),
            (
                json!({"mac": "001565000001", "model": "generic", "http_username": "a b", "http_password": "prov-pass-1"}),
                "http_username",
            ),
            (
                json!({"mac": "001565000001", "model": "generic", "http_username": "u", "http_password": "short"}),
                "http_password",
            ),
            (
                json!({"mac": "001565000001", "model": "generic", "http_username": "u", "http_password": "prov-pass-1", "extension": 999}),
                "extension",
            ),
        ],
    );
    assert_eq!(delete(&s, &path).0, 204);
    assert_eq!(fetch(&s, "/provision/001565abcdef.cfg", creds).status().as_u16(), 401, "a deleted phone");
    assert_eq!(s.get("/api/phones/"), (200, json!([])));
}
