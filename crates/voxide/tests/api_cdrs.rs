//! `/api/cdrs/` end to end. Calls write CDRs; here rows are seeded through
//! the store into the running server's database, then read over HTTP.

use reqwest::Method;
use serde_json::{Value, json};
use voxide_store::{CdrEnd, CdrStart, SecretBox, Store};
use voxide_testkit::Server;

/// A server with CDRs in two tenants, and the tokens to read them.
struct World {
    s: Server,
    /// Default tenant, not a super-admin.
    mine: String,
    /// Tenant `other.example`.
    theirs: String,
    did_id: i64,
    ext_ids: [i64; 2],
}

const FIELDS: [&str; 18] = [
    "answered_at",
    "bill_duration",
    "call_direction",
    "call_from",
    "call_to",
    "call_uuid",
    "created_at",
    "didnumber",
    "domain",
    "ended_at",
    "extension",
    "hangup_cause",
    "id",
    "in_contact",
    "is_verified",
    "recording",
    "started_at",
    "transcription_text",
];

/// Tenant, direction, DID, extension, and whether the call has ended.
type Call = (i64, &'static str, Option<i64>, Option<i64>, bool);

fn store_url(s: &Server) -> String {
    match std::env::var("VOXIDE_TEST_STORE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => format!("sqlite://{}", s.dir.join("data/voxide.db").display()),
    }
}

/// Seeds, in order: calls 1–5 in the default tenant, call 6 in the other.
fn world() -> World {
    let s = Server::start(env!("CARGO_BIN_EXE_voxide"), &[]);
    let mine = s.cli(&["token", "create", "--name", "a"]);
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let one = s.create_extension("1001", "secret-1001")["id"].as_i64().unwrap();
    let two = s.create_extension("1002", "secret-1002")["id"].as_i64().unwrap();
    let body = json!({"phonenumber": "17865550100", "extension": one});
    let (status, did) = s.send_json(Method::POST, "/api/did_numbers/", &body);
    assert_eq!(status, 201, "{did}");
    let did_id = did["id"].as_i64().unwrap();

    let url = store_url(&s);
    let key = s.dir.join("data/secret.key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::connect(&url, SecretBox::from_key_file(&key).unwrap()).await.unwrap();
        let home = store.tenant_by_domain("voxide.local").await.unwrap().unwrap().id;
        let other = store.tenant_by_domain("other.example").await.unwrap().unwrap().id;
        let calls: [Call; 6] = [
            (home, "inbound", Some(did_id), Some(one), true),
            (home, "inbound", Some(did_id), Some(one), false),
            (home, "outbound", None, Some(two), true),
            (home, "internal", None, Some(two), true),
            (home, "inbound", None, None, true),
            (other, "inbound", None, None, true),
        ];
        for (i, (tenant_id, direction, did, ext, ended)) in calls.into_iter().enumerate() {
            let n = i + 1;
            let start = CdrStart {
                tenant_id,
                call_uuid: format!("call-{n}"),
                call_direction: direction.into(),
                did_number_id: did,
                call_from: format!("1305555010{n}"),
                call_to: "17865550100".into(),
                extension_id: ext,
                is_verified: n == 1,
                in_contact: false,
                started_at: format!("2024-05-0{n}T10:00:00.000000Z"),
            };
            assert_eq!(store.start_cdr(&start).await.unwrap(), n as i64, "a fresh database numbers CDRs from 1");
            if ended {
                let end = CdrEnd {
                    call_uuid: format!("call-{n}"),
                    answered_at: Some(format!("2024-05-0{n}T10:00:02.000000Z")),
                    ended_at: format!("2024-05-0{n}T10:00:44.000000Z"),
                    bill_duration: 42,
                    hangup_cause: "NORMAL_CLEARING".into(),
                    recording: (n == 1).then(|| "domain_1/call-1.wav".to_string()),
                    transcription_text: None,
                };
                assert!(store.end_cdr(&end).await.unwrap());
            }
        }
        store.close().await;
    });
    World { s, mine, theirs, did_id, ext_ids: [one, two] }
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn get_as(w: &World, token: &str, path: &str) -> (u16, Value) {
    let resp = w.s.client.get(w.s.url(path)).header("Authorization", format!("Token {token}")).send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

/// The ids of a plain list.
fn ids(w: &World, token: &str, path: &str) -> Vec<i64> {
    let (status, body) = get_as(w, token, path);
    assert_eq!(status, 200, "{path}: {body}");
    body.as_array().unwrap_or_else(|| panic!("{path}: {body}")).iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

#[test]
fn cdrs_are_listed_newest_first_with_the_seed_fields() {
    let w = world();
    let (status, list) = get_as(&w, &w.mine, "/api/cdrs/");
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().expect("a plain list without limit");
    assert_eq!(list.iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), [5, 4, 3, 2, 1]);
    for cdr in list {
        assert_eq!(keys(cdr), FIELDS, "{cdr}");
    }
    let first = &list[4];
    assert_eq!(first["call_uuid"], "call-1");
    assert_eq!(first["domain"], "voxide.local");
    assert_eq!(first["call_direction"], "inbound");
    assert_eq!(first["didnumber"], w.did_id);
    assert_eq!(first["extension"], w.ext_ids[0]);
    assert_eq!((&first["is_verified"], &first["in_contact"]), (&json!(true), &json!(false)));
    assert_eq!(first["bill_duration"], 42);
    assert_eq!(first["hangup_cause"], "NORMAL_CLEARING");
    assert_eq!(first["recording"], "domain_1/call-1.wav");
    assert_eq!(first["started_at"], "2024-05-01T10:00:00.000000Z");
    assert_eq!(first["answered_at"], "2024-05-01T10:00:02.000000Z");
    assert_eq!(first["ended_at"], "2024-05-01T10:00:44.000000Z");
    let open = &list[3];
    assert_eq!(
        (&open["ended_at"], &open["hangup_cause"], &open["bill_duration"]),
        (&Value::Null, &Value::Null, &json!(0))
    );
    assert_eq!(ids(&w, &w.mine, "/api/cdrs"), [5, 4, 3, 2, 1], "trailing slash optional");
}

#[test]
fn cdr_filters_search_and_ordering_narrow_the_list() {
    let w = world();
    let t = w.mine.as_str();
    assert_eq!(ids(&w, t, "/api/cdrs/?did_number=17865550100"), [2, 1]);
    assert_eq!(ids(&w, t, "/api/cdrs/?extension_number=1002"), [4, 3]);
    assert_eq!(ids(&w, t, "/api/cdrs/?extension_number=1002&did_number=17865550100"), Vec::<i64>::new());
    assert_eq!(ids(&w, t, "/api/cdrs/?did_number=19999999999"), Vec::<i64>::new());
    assert_eq!(ids(&w, t, "/api/cdrs/?search=1"), [1], "search matches an id exactly");

    let (_, all) = get_as(&w, t, "/api/cdrs/");
    let created = all[2]["created_at"].as_str().unwrap().to_string();
    let found = ids(&w, t, &format!("/api/cdrs/?search={created}"));
    assert!(found.contains(&3), "{created}: {found:?}");
    assert_eq!(ids(&w, t, &format!("/api/cdrs/?search={}", &created[..10])), [5, 4, 3, 2, 1], "a created_at prefix");

    assert_eq!(ids(&w, t, "/api/cdrs/?ordering=created_at"), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&w, t, "/api/cdrs/?ordering=-created_at"), [5, 4, 3, 2, 1]);
    for (query, field) in
        [("ordering=id", "ordering"), ("limit=ten", "limit"), ("limit=-1", "limit"), ("offset=x", "offset")]
    {
        let (status, err) = get_as(&w, t, &format!("/api/cdrs/?{query}"));
        assert_eq!(status, 400, "{query}");
        assert!(err[field].is_array(), "{query}: {err}");
    }

    // SQL in filters is just text that matches nothing.
    for q in [
        "search=1%27%20OR%20%271%27=%271",
        "did_number=%27%3B%20DROP%20TABLE%20cdrs%3B--",
        "extension_number=1002%27--",
    ] {
        assert_eq!(ids(&w, t, &format!("/api/cdrs/?{q}")), Vec::<i64>::new(), "{q}");
    }
    assert_eq!(ids(&w, t, "/api/cdrs/"), [5, 4, 3, 2, 1], "the table is intact");
}

#[test]
fn cdr_pages_count_and_link_to_next_and_previous() {
    let w = world();
    let (status, page) = get_as(&w, &w.mine, "/api/cdrs/?ordering=created_at&limit=2");
    assert_eq!(status, 200, "{page}");
    assert_eq!(keys(&page), ["count", "next", "previous", "results"]);
    assert_eq!((&page["count"], &page["previous"]), (&json!(5), &Value::Null));

    let mut seen = Vec::new();
    let mut pages = vec![page.clone()];
    let mut current = page;
    while let Some(next) = current["next"].as_str() {
        assert!(next.starts_with(&format!("http://{}/api/cdrs", w.s.http)), "{next}");
        assert!(next.contains("ordering=created_at"), "links keep the other parameters: {next}");
        let resp = w.s.client.get(next).header("Authorization", format!("Token {}", w.mine)).send().unwrap();
        current = resp.json().unwrap();
        pages.push(current.clone());
    }
    for p in &pages {
        assert_eq!(p["count"], 5);
        seen.extend(p["results"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(pages.len(), 3);

    let previous = pages[2]["previous"].as_str().expect("the last page links back");
    let resp = w.s.client.get(previous).header("Authorization", format!("Token {}", w.mine)).send().unwrap();
    let back: Value = resp.json().unwrap();
    assert_eq!(back["results"], pages[1]["results"]);
    let first_again = back["previous"].as_str().unwrap();
    let resp = w.s.client.get(first_again).header("Authorization", format!("Token {}", w.mine)).send().unwrap();
    assert_eq!(resp.json::<Value>().unwrap(), pages[0]);

    let (_, tail) = get_as(&w, &w.mine, "/api/cdrs/?limit=2&offset=4");
    assert_eq!((&tail["next"], tail["results"].as_array().unwrap().len()), (&Value::Null, 1));
    let (_, counted) = get_as(&w, &w.mine, "/api/cdrs/?limit=0");
    assert_eq!(counted, json!({"count": 5, "next": null, "previous": null, "results": []}), "a count-only page");
    let (_, beyond) = get_as(&w, &w.mine, "/api/cdrs/?limit=2&offset=50");
    assert_eq!((&beyond["count"], &beyond["results"]), (&json!(5), &json!([])));
}

#[test]
fn cdr_detail_answers_by_id_and_by_call_uuid() {
    let w = world();
    let (status, by_id) = get_as(&w, &w.mine, "/api/cdrs/3/");
    assert_eq!(status, 200, "{by_id}");
    assert_eq!(by_id["call_uuid"], "call-3");
    assert_eq!(get_as(&w, &w.mine, "/api/cdrs/call-3/"), (200, by_id.clone()));
    assert_eq!(get_as(&w, &w.mine, "/api/cdrs/call-3"), (200, by_id));
    for missing in ["/api/cdrs/99/", "/api/cdrs/no-such-call/", "/api/cdrs/0/", "/api/cdrs/-1/"] {
        assert_eq!(get_as(&w, &w.mine, missing), (404, json!({"detail": "Not found."})), "{missing}");
    }
}

#[test]
fn cdrs_are_isolated_per_tenant() {
    let w = world();
    assert_eq!(ids(&w, &w.theirs, "/api/cdrs/"), [6]);
    assert_eq!(ids(&w, &w.mine, "/api/cdrs/"), [5, 4, 3, 2, 1]);
    let (_, page) = get_as(&w, &w.theirs, "/api/cdrs/?limit=10");
    assert_eq!(page["count"], 1);
    for path in ["/api/cdrs/1/", "/api/cdrs/call-1/"] {
        assert_eq!(get_as(&w, &w.theirs, path), (404, json!({"detail": "Not found."})), "{path}");
    }
    for path in ["/api/cdrs/6/", "/api/cdrs/call-6/"] {
        assert_eq!(get_as(&w, &w.mine, path).0, 404, "{path}");
        let (status, cdr) = get_as(&w, &w.theirs, path);
        assert_eq!((status, &cdr["domain"]), (200, &json!("other.example")), "{path}");
    }
    // The super-admin bootstrap token spans tenants.
    assert_eq!(ids(&w, &w.s.token, "/api/cdrs/"), [6, 5, 4, 3, 2, 1]);
    assert_eq!(get_as(&w, &w.s.token, "/api/cdrs/call-6/").0, 200);
    assert_eq!(get_as(&w, &w.theirs, "/api/cdrs/?did_number=17865550100").1, json!([]));
}
