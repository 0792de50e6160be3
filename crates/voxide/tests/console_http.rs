//! The web console refusing bad input over plain HTTP, against the real
//! binary: wrong passwords are throttled (and a lock-out holds even for the
//! right one), forms without the session's CSRF token change nothing, and
//! another tenant's ids are not found. Every refusal is checked through the
//! REST API to have changed nothing.

use std::collections::HashMap;

use reqwest::Method;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use voxide_store::{CdrEnd, CdrStart, NewVoicemail, SecretBox, Store};
use voxide_testkit::Server;

const ALICE_PASSWORD: &str = "alice-long-password";

fn start() -> Server {
    Server::start(env!("CARGO_BIN_EXE_voxide"), &[])
}

/// A browser as far as the console can tell: it keeps cookies, does not
/// follow redirects, and sends forms.
struct Browser<'a> {
    s: &'a Server,
    client: Client,
    cookies: HashMap<String, String>,
}

/// A response, read.
struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The first form's CSRF field.
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').expect("end of value")].to_string()
    }

    fn sets_cookie(&self, name: &str) -> bool {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with(&format!("{name}=")) && !v.contains("Max-Age=0"))
    }
}

impl<'a> Browser<'a> {
    fn new(s: &'a Server) -> Self {
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { s, client, cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: Response) -> Page {
        for v in response.headers().get_all(SET_COOKIE) {
            let text = v.to_str().expect("cookie text");
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("cookie pair");
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Page { status, headers, body: response.text().unwrap_or_default() }
    }

    fn get(&mut self, path: &str) -> Page {
        let response = self.client.get(self.s.url(path)).header("Cookie", self.cookie_header()).send().expect("GET");
        self.keep(response)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path, form, &[])
    }

    fn post_with(&mut self, path: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.post(self.s.url(path)).header("Cookie", self.cookie_header()).form(form);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().expect("POST");
        self.keep(response)
    }

    /// Fills the sign-in form; the response to the POST.
    fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/console/login");
        assert_eq!(form.status, 200);
        self.post("/console/login", &[("csrf", &form.csrf()), ("username", username), ("password", password)])
    }

    fn sign_in_with_token(&mut self, token: &str) -> Page {
        let form = self.get("/console/login");
        self.post("/console/login", &[("csrf", &form.csrf()), ("token", token)])
    }

    fn signed_in(&self) -> bool {
        self.cookies.contains_key("voxide_session")
    }
}

fn api_as(s: &Server, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = s.client.request(method, s.url(path)).header("Authorization", format!("Token {token}"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().expect("API request");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn wrong_passwords_are_throttled_and_a_lockout_refuses_even_the_right_password() {
    let s = start();
    s.add_user("alice", ALICE_PASSWORD, &[]);
    s.add_user("bob", "bob-long-password", &[]);

    let mut b = Browser::new(&s);
    assert_eq!(b.get("/console/").location(), "/console/login?next=%2Fconsole", "signed out: to the form");
    for attempt in 1..=4 {
        let page = b.sign_in("alice", "not-her-password");
        assert_eq!(page.status, 401, "attempt {attempt}");
        assert!(page.body.contains("Wrong username or password"), "{}", page.body);
        assert!(!b.signed_in());
    }
    let fifth = b.sign_in("alice", "still-not-it");
    assert_eq!(fifth.status, 429);
    assert!(fifth.body.contains("Too many failed sign-ins"), "{}", fifth.body);

    // Locked out: the right password is refused without being looked at.
    let right = b.sign_in("alice", ALICE_PASSWORD);
    assert_eq!(right.status, 429, "{}", right.body);
    assert!(!right.sets_cookie("voxide_session") && !b.signed_in());
    assert_eq!(b.get("/console/extensions").status, 303, "still signed out");

    // The lock-out is alice's at this address: bob signs in, and an
    // unknown name is refused just like a wrong password.
    let mut other = Browser::new(&s);
    assert_eq!(other.sign_in("nobody", "whatever-it-is").status, 401);
    let bob = other.sign_in("bob", "bob-long-password");
    assert_eq!((bob.status, bob.location()), (303, "/console/"));
    assert!(bob.sets_cookie("voxide_session"));
    let dashboard = other.get("/console/");
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("<h1>Dashboard</h1>") && dashboard.body.contains("bob"));

    // Tokens: the API's own lookup; a wrong one counts as a failure.
    let mut t = Browser::new(&s);
    assert_eq!(t.sign_in_with_token("0123456789abcdef0123456789abcdef01234567").status, 401);
    let good = t.sign_in_with_token(&s.token);
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(t.get("/console/extensions").status, 200);

    // Signing out ends the session on the server, not just in the browser.
    let session = other.cookies["voxide_session"].clone();
    let page = other.get("/console/");
    assert_eq!(other.post("/console/logout", &[("csrf", &page.csrf())]).status, 303);
    let mut replay = Browser::new(&s);
    replay.cookies.insert("voxide_session".into(), session);
    assert_eq!(replay.get("/console/").status, 303, "a signed-out session is gone");
}

#[test]
fn forms_without_the_sessions_csrf_token_change_nothing() {
    let s = start();
    s.add_user("alice", ALICE_PASSWORD, &[]);
    let mut b = Browser::new(&s);
    assert_eq!(b.sign_in("alice", ALICE_PASSWORD).status, 303);
    let mut second = Browser::new(&s);
    assert_eq!(second.sign_in("alice", ALICE_PASSWORD).status, 303);
    let their_token = second.get("/console/extensions/new").csrf();
    let my_token = b.get("/console/extensions/new").csrf();
    assert_ne!(my_token, their_token, "each session has its own token");

    let new = [("sip_username", "1001"), ("sip_password", "secret-1001")];
    let with = |token: &str| -> Vec<(&str, String)> {
        let mut f: Vec<(&str, String)> = new.iter().map(|(k, v)| (*k, v.to_string())).collect();
        f.push(("csrf", token.to_string()));
        f
    };
    let forms: [(&str, Vec<(&str, String)>); 4] = [
        ("missing", new.iter().map(|(k, v)| (*k, v.to_string())).collect()),
        ("forged", with("0000000000000000000000000000000000000000000000000000000000000000")),
        ("another session's", with(&their_token)),
        ("empty", with("")),
    ];
    for (what, form) in &forms {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = b.post("/console/extensions", &pairs);
        assert_eq!(page.status, 403, "{what} token: {}", page.body);
    }
    // The right token from another site is refused too.
    let mine = with(&my_token);
    let pairs: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cross = b.post_with("/console/extensions", &pairs, &[("Origin", "http://evil.example")]);
    assert_eq!(cross.status, 403);
    assert_eq!(s.get("/api/extensions/"), (200, json!([])), "nothing was created");

    // With the session's own token the same form works.
    let made = b.post("/console/extensions", &pairs);
    assert_eq!((made.status, made.location()), (303, "/console/extensions?done=created"), "{}", made.body);
    let (_, list) = s.get("/api/extensions/");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = list[0]["id"].as_i64().unwrap();

    // Deleting and editing without the token: refused, nothing changed.
    let delete = format!("/console/extensions/{id}/delete");
    assert_eq!(b.post(&delete, &[]).status, 403);
    assert_eq!(b.post(&delete, &[("csrf", &their_token)]).status, 403);
    let edit = format!("/console/extensions/{id}");
    assert_eq!(b.post(&edit, &[("csrf", "x"), ("sip_username", "9999"), ("cellphone", "1")]).status, 403);
    let (status, ext) = s.get(&format!("/api/extensions/{id}/"));
    assert_eq!((status, &ext["sip_username"], &ext["cellphone"]), (200, &json!("1001"), &json!("")));

    // Signing out and switching tenants need the token as well.
    assert_eq!(b.post("/console/logout", &[]).status, 403);
    assert_eq!(b.get("/console/").status, 200, "still signed in");
    // The sign-in form has its own token, tied to a cookie.
    let mut fresh = Browser::new(&s);
    let login = fresh.post("/console/login", &[("username", "alice"), ("password", ALICE_PASSWORD)]);
    assert_eq!(login.status, 403);
    assert!(!fresh.signed_in());
    fresh.get("/console/login");
    let forged = fresh.post("/console/login", &[("csrf", "abc"), ("username", "alice"), ("password", ALICE_PASSWORD)]);
    assert_eq!(forged.status, 403);
    assert!(!fresh.signed_in());
}

/// Another tenant's objects, made through the API with its own token,
/// plus a call record with its recording and a crawl written the way the
/// switch and the crawler write them.
struct Theirs {
    token: String,
    ext: i64,
    ivr: i64,
    did: i64,
    cdr: i64,
    crawl: i64,
    node: i64,
    recording: String,
}

fn their_objects(s: &Server) -> Theirs {
    let token = s.cli(&["token", "create", "--name", "other", "--tenant", "other.example"]);
    let (status, ext) = api_as(
        s,
        &token,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "theirs2001", "sip_password": "secret-2001"})),
    );
    assert_eq!(status, 201, "{ext}");
    let menu = json!({"name": "theirs", "greeting_text": "Press 1.", "options": [{"digit": "1", "action": "hangup"}]});
    let (status, ivr) = api_as(s, &token, Method::POST, "/api/ivrs/", Some(menu));
    assert_eq!(status, 201, "{ivr}");
    let (_, found) = api_as(s, &token, Method::GET, "/api/did_numbers/search/?npa=786&limit=1", None);
    let number = found["data"][0]["number"].as_str().expect("a number for sale").to_string();
    let (status, did) = api_as(s, &token, Method::POST, "/api/did_numbers/", Some(json!({"phonenumber": number})));
    assert_eq!(status, 201, "{did}");

    let key = s.dir().join("data/secret.key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (tenant, cdr, crawl, node) = runtime.block_on(async {
        let store = Store::connect(&s.store_url(), SecretBox::from_key_file(&key).unwrap()).await.unwrap();
        let tenant = store.tenant_by_domain("other.example").await.unwrap().unwrap().id;
        let start = CdrStart {
            tenant_id: tenant,
            call_uuid: "their-call".into(),
            call_direction: "internal".into(),
            did_number_id: None,
            call_from: "2001".into(),
            call_to: "theirs-callee".into(),
            extension_id: None,
            is_verified: true,
            in_contact: false,
            started_at: "2025-01-02T10:00:00.000000Z".into(),
        };
        let cdr = store.start_cdr(&start).await.unwrap();
        let end = CdrEnd {
            call_uuid: "their-call".into(),
            answered_at: Some("2025-01-02T10:00:01.000000Z".into()),
            ended_at: "2025-01-02T10:00:09.000000Z".into(),
            bill_duration: 8,
            hangup_cause: "NORMAL_CLEARING".into(),
            recording: Some(format!("/api/media/domain_{tenant}/their-call.wav")),
            transcription_text: None,
        };
        store.end_cdr(&end).await.unwrap();
        let crawl = store.create_crawl(tenant, "18005550100", Some("Theirs Inc"), true).await.unwrap();
        let root = store.upsert_node(crawl.id, None, "", "", "").await.unwrap();
        store.set_node_prompt(root.id, "press one", None, None).await.unwrap();
        store.close().await;
        (tenant, cdr, crawl.id, root.id)
    });
    let dir = s.dir().join(format!("data/recordings/domain_{tenant}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("their-call.wav"), b"RIFF....WAVE").unwrap();
    Theirs {
        token,
        ext: ext["id"].as_i64().unwrap(),
        ivr: ivr["id"].as_i64().unwrap(),
        did: did["id"].as_i64().unwrap(),
        cdr,
        crawl,
        node,
        recording: format!("domain_{tenant}/their-call.wav"),
    }
}

#[test]
fn another_tenants_ids_are_not_found_and_stay_unchanged() {
    let s = start();
    let theirs = their_objects(&s);
    s.add_user("alice", ALICE_PASSWORD, &[]);
    let mut b = Browser::new(&s);
    assert_eq!(b.sign_in("alice", ALICE_PASSWORD).status, 303);
    let csrf = b.get("/console/").csrf();

    let pages = [
        format!("/console/extensions/{}", theirs.ext),
        format!("/console/ivrs/{}", theirs.ivr),
        format!("/console/dids/{}", theirs.did),
        format!("/console/cdrs/{}", theirs.cdr),
        format!("/console/crawls/{}", theirs.crawl),
        format!("/console/media/{}", theirs.recording),
    ];
    for path in &pages {
        let page = b.get(path);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Not found"), "{path}");
    }
    let changes: [(String, Vec<(&str, &str)>); 9] = [
        (format!("/console/extensions/{}", theirs.ext), vec![("sip_username", "hijacked"), ("cellphone", "1")]),
        (format!("/console/extensions/{}/delete", theirs.ext), vec![]),
        (format!("/console/ivrs/{}", theirs.ivr), vec![("name", "hijacked"), ("greeting_text", "mine now")]),
        (format!("/console/ivrs/{}/delete", theirs.ivr), vec![]),
        (format!("/console/dids/{}", theirs.did), vec![("route", "")]),
        (format!("/console/dids/{}/delete", theirs.did), vec![]),
        (format!("/console/crawls/{}/recrawl", theirs.crawl), vec![]),
        (format!("/console/crawls/nodes/{}/forward", theirs.node), vec![("forwarding_number", "1001")]),
        (format!("/console/crawls/nodes/{}/explore", theirs.node), vec![]),
    ];
    for (path, fields) in &changes {
        let mut form = fields.clone();
        form.push(("csrf", &csrf));
        let page = b.post(path, &form);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    // Their lists do not show up in ours either.
    assert!(!b.get("/console/extensions").body.contains("theirs2001"));
    assert!(!b.get("/console/crawls").body.contains("18005550100"));
    assert!(!b.get("/console/cdrs").body.contains("theirs-callee"));

    // Nothing of theirs changed.
    let (status, ext) = api_as(&s, &theirs.token, Method::GET, &format!("/api/extensions/{}/", theirs.ext), None);
    assert_eq!((status, &ext["sip_username"], &ext["cellphone"]), (200, &json!("theirs2001"), &json!("")));
    let (status, ivr) = api_as(&s, &theirs.token, Method::GET, &format!("/api/ivrs/{}/", theirs.ivr), None);
    assert_eq!((status, &ivr["name"]), (200, &json!("theirs")));
    let (status, did) = api_as(&s, &theirs.token, Method::GET, &format!("/api/did_numbers/{}/", theirs.did), None);
    assert_eq!(status, 200, "{did}");
    let (_, scans) = api_as(&s, &theirs.token, Method::GET, "/api/scan/?number=18005550100", None);
    assert_eq!(scans["count"], 0, "no crawl was started: {scans}");

    // A non-super-admin cannot look at another tenant.
    let their_tenant = ext_tenant(&theirs).to_string();
    let switch = b.post("/console/tenant", &[("csrf", &csrf), ("tenant_id", &their_tenant)]);
    assert_eq!(switch.status, 403);
    assert_eq!(b.get(&format!("/console/extensions/{}", theirs.ext)).status, 404);

    // A super-admin may switch to the other tenant, and then sees its objects.
    s.add_user("root", "root-long-password", &["--superadmin"]);
    let mut admin = Browser::new(&s);
    assert_eq!(admin.sign_in("root", "root-long-password").status, 303);
    assert_eq!(admin.get(&format!("/console/extensions/{}", theirs.ext)).status, 404, "its own tenant first");
    let page = admin.get("/console/");
    assert!(page.body.contains("other.example"), "the switcher lists every tenant");
    let switched = admin.post("/console/tenant", &[("csrf", &page.csrf()), ("tenant_id", &their_tenant)]);
    assert_eq!(switched.status, 303, "{}", switched.body);
    let theirs_page = admin.get(&format!("/console/extensions/{}", theirs.ext));
    assert_eq!(theirs_page.status, 200);
    assert!(theirs_page.body.contains("theirs2001"));
    assert_eq!(admin.get(&format!("/console/media/{}", theirs.recording)).status, 200);
}

/// The tenant id of `other.example`, from its media folder.
fn ext_tenant(theirs: &Theirs) -> i64 {
    let folder = theirs.recording.split('/').next().unwrap_or("");
    folder.trim_start_matches("domain_").parse().unwrap_or_else(|_| panic!("tenant of {}", theirs.recording))
}

#[test]
fn menus_and_numbers_are_made_through_the_console_as_through_the_api() {
    let s = start();
    s.add_user("alice", ALICE_PASSWORD, &[]);
    let ext = s.create_extension("1001", "secret-1001");
    let mut b = Browser::new(&s);
    assert_eq!(b.sign_in("alice", ALICE_PASSWORD).status, 303);
    let csrf = b.get("/console/ivrs/new").csrf();

    // Every bad field is named with the API's message, and nothing is made.
    let bad = b.post(
        "/console/ivrs",
        &[
            ("csrf", &csrf),
            ("name", "main"),
            ("timeout_ms", "50"),
            ("repeat", "3"),
            ("digit_0", "x"),
            ("action_0", "extension"),
            ("target_0", "1001"),
        ],
    );
    assert_eq!(bad.status, 400);
    for message in [
        "Give greeting_text or greeting_file.",
        "Enter a whole number of milliseconds between 1000 and 60000.",
        "Enter one of 0-9, * or #.",
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }
    assert_eq!(s.get("/api/ivrs/"), (200, json!([])));

    let made = b.post(
        "/console/ivrs",
        &[
            ("csrf", &csrf),
            ("name", "main"),
            ("greeting_text", "Press 1 for the desk."),
            ("timeout_ms", "4000"),
            ("repeat", "2"),
            ("digit_0", "1"),
            ("action_0", "extension"),
            ("target_0", "1001"),
            ("digit_1", ""),
            ("action_1", "extension"),
            ("target_1", ""),
        ],
    );
    assert_eq!((made.status, made.location()), (303, "/console/ivrs?done=created"), "{}", made.body);
    let (_, menus) = s.get("/api/ivrs/");
    assert_eq!(menus[0]["name"], "main");
    assert_eq!((&menus[0]["timeout_ms"], &menus[0]["repeat"]), (&json!(4000), &json!(2)));
    assert_eq!(menus[0]["options"], json!([{"digit": "1", "action": "extension", "target": "1001"}]));
    let menu_id = menus[0]["id"].as_i64().unwrap();

    // A number is searched for, bought for the extension, then routed to the menu.
    let search = b.get("/console/dids?npa=786");
    assert_eq!(search.status, 200);
    let at = search.body.find("name=\"phonenumber\" value=\"").expect("a number offered");
    let number: String = search.body[at + 26..].chars().take_while(|c| c.is_ascii_digit()).collect();
    assert_eq!(number.len(), 11, "{number}");
    let ext_id = ext["id"].to_string();
    let bought = b.post("/console/dids", &[("csrf", &csrf), ("phonenumber", &number), ("extension", &ext_id)]);
    assert_eq!((bought.status, bought.location()), (303, "/console/dids?done=bought"), "{}", bought.body);
    let again = b.post("/console/dids", &[("csrf", &csrf), ("phonenumber", &number), ("extension", "")]);
    assert_eq!(again.status, 400);
    assert!(again.body.contains("did number with this phonenumber already exists."), "{}", again.body);
    let (_, dids) = s.get("/api/did_numbers/");
    assert_eq!(dids.as_array().map(Vec::len), Some(1), "{dids}");
    assert_eq!((&dids[0]["phonenumber"], &dids[0]["extension"]), (&json!(number), &ext["id"]));
    let did = dids[0]["id"].as_i64().unwrap();
    let routed = b.post(&format!("/console/dids/{did}"), &[("csrf", &csrf), ("route", &format!("ivr:{menu_id}"))]);
    assert_eq!(routed.status, 303, "{}", routed.body);
    let (_, did_now) = s.get(&format!("/api/did_numbers/{did}/"));
    assert_eq!((&did_now["ivr_id"], &did_now["extension"]), (&json!(menu_id), &json!(null)));

    // The menu cannot go while the number routes to it: the API's refusal, shown.
    let refused = b.post(&format!("/console/ivrs/{menu_id}/delete"), &[("csrf", &csrf)]);
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("routes to this IVR"), "{}", refused.body);
    assert_eq!(s.get(&format!("/api/ivrs/{menu_id}/")).0, 200);
}

/// A voicemail message in `tenant`'s box of extension `ext`, kept the way
/// the switch keeps one (a row and its WAV under the recordings directory).
fn leave_message(s: &Server, domain: &str, ext: i64, caller: &str) -> i64 {
    let key = s.dir().join("data/secret.key");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (tenant, id) = runtime.block_on(async {
        let store = Store::connect(&s.store_url(), SecretBox::from_key_file(&key).unwrap()).await.unwrap();
        let tenant = store.tenant_by_domain(domain).await.unwrap().expect("tenant").id;
        let new = NewVoicemail {
            tenant_id: tenant,
            extension_id: ext,
            caller: caller.into(),
            call_uuid: format!("call-from-{caller}"),
            path: format!("voicemail/domain_{tenant}/{ext}/call-from-{caller}.wav"),
            duration_ms: 2000,
        };
        let id = store.add_voicemail(&new).await.unwrap();
        store.close().await;
        (tenant, id)
    });
    let dir = s.dir().join(format!("data/recordings/voicemail/domain_{tenant}/{ext}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("call-from-{caller}.wav")), b"RIFF....WAVE").unwrap();
    id
}

#[test]
fn pbx_forms_without_the_sessions_csrf_token_change_nothing() {
    let s = start();
    s.add_user("alice", ALICE_PASSWORD, &[]);
    let ext = s.create_extension("1001", "secret-1001")["id"].as_i64().unwrap();
    let (status, group) =
        s.send_json(Method::POST, "/api/hunt_groups/", &json!({"name": "Sales", "number": "501", "members": [ext]}));
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_i64().unwrap();
    let (status, cond) = s.send_json(
        Method::POST,
        "/api/conditions/",
        &json!({"name": "open", "kind": "time", "start_time": "09:00", "end_time": "17:00"}),
    );
    assert_eq!(status, 201, "{cond}");
    let cid = cond["id"].as_i64().unwrap();
    let message = leave_message(&s, "voxide.local", ext, "1009");
    let before = (
        s.get("/api/hunt_groups/"),
        s.get(&format!("/api/extensions/{ext}/features/")),
        s.get("/api/voicemail/"),
        s.get("/api/conditions/"),
    );

    let mut b = Browser::new(&s);
    assert_eq!(b.sign_in("alice", ALICE_PASSWORD).status, 303);
    let mut second = Browser::new(&s);
    assert_eq!(second.sign_in("alice", ALICE_PASSWORD).status, 303);
    let theirs = second.get("/console/hunt_groups/new").csrf();
    let mine = b.get("/console/hunt_groups/new").csrf();
    let ext_id = ext.to_string();
    let forms: [(String, Vec<(&str, &str)>); 10] = [
        ("/console/hunt_groups".into(), vec![("name", "Support"), ("number", "502"), ("member_0", &ext_id)]),
        (format!("/console/hunt_groups/{gid}"), vec![("name", "Renamed"), ("number", "503"), ("member_0", "")]),
        (format!("/console/hunt_groups/{gid}/delete"), vec![]),
        (format!("/console/extensions/{ext}/features"), vec![("dnd", "1"), ("voicemail_enabled", "1")]),
        (format!("/console/voicemail/{message}/heard"), vec![("heard", "1")]),
        (format!("/console/voicemail/{message}/delete"), vec![]),
        ("/console/conditions".into(), vec![("name", "closed"), ("kind", "callerid"), ("callerid_pattern", "1")]),
        (format!("/console/conditions/{cid}"), vec![("name", "renamed"), ("kind", "time")]),
        (format!("/console/conditions/{cid}/delete"), vec![]),
        (format!("/console/extensions/{ext}/features"), vec![("forward_always", "hangup")]),
    ];
    for (path, fields) in &forms {
        for token in [None, Some("0".repeat(64)), Some(theirs.clone()), Some(String::new())] {
            let mut form = fields.clone();
            if let Some(t) = &token {
                form.push(("csrf", t));
            }
            let page = b.post(path, &form);
            assert_eq!(page.status, 403, "{path} with {token:?}: {}", page.body);
        }
        let mut form = fields.clone();
        form.push(("csrf", &mine));
        let cross = b.post_with(path, &form, &[("Origin", "http://evil.example")]);
        assert_eq!(cross.status, 403, "{path} from another site");
    }
    let after = (
        s.get("/api/hunt_groups/"),
        s.get(&format!("/api/extensions/{ext}/features/")),
        s.get("/api/voicemail/"),
        s.get("/api/conditions/"),
    );
    assert_eq!(after, before, "nothing changed");

    // With the token: a group something leads to is kept, with the API's reason.
    let (status, _) = s.send_json(
        Method::PATCH,
        &format!("/api/extensions/{ext}/features/"),
        &json!({"forward_busy": format!("hunt:{gid}")}),
    );
    assert_eq!(status, 200);
    let kept = b.post(&format!("/console/hunt_groups/{gid}/delete"), &[("csrf", &mine)]);
    assert_eq!(kept.status, 409, "{}", kept.body);
    assert!(kept.body.contains("leads here; change it first."), "{}", kept.body);
    assert_eq!(s.get(&format!("/api/hunt_groups/{gid}/")).0, 200, "the group is still there");
    let heard = b.post(
        &format!("/console/voicemail/{message}/heard"),
        &[("csrf", &mine), ("heard", "1"), ("extension", &ext_id)],
    );
    assert_eq!(
        (heard.status, heard.location()),
        (303, format!("/console/voicemail?extension={ext}&done=heard").as_str())
    );
    assert_eq!(s.get(&format!("/api/voicemail/{message}/")).1["heard"], true);
}

#[test]
fn another_tenants_hunt_groups_messages_and_conditions_are_not_found() {
    let s = start();
    s.add_user("alice", ALICE_PASSWORD, &[]);
    let token = s.cli(&["token", "create", "--name", "other", "--tenant", "other.example"]);
    let (status, ext) = api_as(
        &s,
        &token,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "2001", "sip_password": "secret-2001"})),
    );
    assert_eq!(status, 201, "{ext}");
    let ext = ext["id"].as_i64().unwrap();
    let group = json!({"name": "Their sales", "number": "2501", "members": [ext]});
    let (status, group) = api_as(&s, &token, Method::POST, "/api/hunt_groups/", Some(group));
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_i64().unwrap();
    let cond = json!({"name": "theirs", "kind": "callerid", "callerid_pattern": "1514*"});
    let (status, cond) = api_as(&s, &token, Method::POST, "/api/conditions/", Some(cond));
    assert_eq!(status, 201, "{cond}");
    let cid = cond["id"].as_i64().unwrap();
    let message = leave_message(&s, "other.example", ext, "2999");

    let mut b = Browser::new(&s);
    assert_eq!(b.sign_in("alice", ALICE_PASSWORD).status, 303);
    let csrf = b.get("/console/").csrf();
    for path in [
        format!("/console/hunt_groups/{gid}"),
        format!("/console/extensions/{ext}"),
        format!("/console/voicemail/{message}/audio"),
        format!("/console/conditions/{cid}"),
    ] {
        let page = b.get(&path);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    let ext_id = ext.to_string();
    let changes: [(String, Vec<(&str, &str)>); 7] = [
        (format!("/console/hunt_groups/{gid}"), vec![("name", "hijacked"), ("number", "2502"), ("member_0", &ext_id)]),
        (format!("/console/hunt_groups/{gid}/delete"), vec![]),
        (format!("/console/extensions/{ext}/features"), vec![("dnd", "1")]),
        (format!("/console/voicemail/{message}/heard"), vec![("heard", "1")]),
        (format!("/console/voicemail/{message}/delete"), vec![]),
        (
            format!("/console/conditions/{cid}"),
            vec![("name", "hijacked"), ("kind", "callerid"), ("callerid_pattern", "1")],
        ),
        (format!("/console/conditions/{cid}/delete"), vec![]),
    ];
    for (path, fields) in &changes {
        let mut form = fields.clone();
        form.push(("csrf", &csrf));
        let page = b.post(path, &form);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
    }
    // Nor are they listed, or offered as members or destinations.
    assert!(!b.get("/console/hunt_groups").body.contains("Their sales"));
    assert!(!b.get("/console/voicemail").body.contains("2999"));
    assert!(!b.get("/console/conditions").body.contains("theirs"));
    let form = b.get("/console/hunt_groups/new").body;
    assert!(!form.contains("2001") && !form.contains(&format!("hunt:{gid}")), "{form}");
    assert!(b.get(&format!("/console/voicemail?extension={ext}")).body.contains("No messages."));

    // Nothing of theirs changed.
    let get = |path: String| api_as(&s, &token, Method::GET, &path, None);
    let (status, g) = get(format!("/api/hunt_groups/{gid}/"));
    assert_eq!((status, &g["name"], &g["members"]), (200, &json!("Their sales"), &json!([ext])));
    let (status, f) = get(format!("/api/extensions/{ext}/features/"));
    assert_eq!((status, &f["dnd"]), (200, &json!(false)));
    let (status, m) = get(format!("/api/voicemail/{message}/"));
    assert_eq!((status, &m["heard"]), (200, &json!(false)));
    let (status, c) = get(format!("/api/conditions/{cid}/"));
    assert_eq!((status, &c["name"]), (200, &json!("theirs")));
}
