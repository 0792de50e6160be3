//! Seed 003's multi-tenant PBX API end to end against the real binary:
//! users made with `voxide user add` sign in with HTTP Basic; every
//! endpoint answers in the seed's envelopes and fields, with its errors
//! ("Unauthorized Access", "Record Not Found.", "Please Enter Required
//! Fields."); tenants are kept apart unless a membership joins them; and
//! the objects are the native API's (made through `/api/…`, read here;
//! changed here, read through `/api/…` and seed 002's `/v1.0/extensions`),
//! down to SIP: a renamed extension registers under its new name, and the
//! call history holds calls SIPp placed through the switch.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::{Server, Sipp, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const UNAUTHORIZED: &str = "Unauthorized Access";
const NOT_FOUND: &str = "Record Not Found.";
const REQUIRED: &str = "Please Enter Required Fields.";

fn start() -> Server {
    Server::start(BIN, &[])
}

/// A seed 003 client signed in as one user.
struct Seed<'a> {
    s: &'a Server,
    user: String,
    password: String,
}

fn read(resp: reqwest::blocking::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} answer is not JSON: {text:?}")))
}

impl<'a> Seed<'a> {
    fn new(s: &'a Server, user: &str, password: &str) -> Seed<'a> {
        Seed { s, user: user.into(), password: password.into() }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        read(self.s.client.get(self.s.url(path)).basic_auth(&self.user, Some(&self.password)).send().expect("GET"))
    }

    /// POSTs `params` as a form, as the seed's clients do.
    fn post(&self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let req = self.s.client.post(self.s.url(path)).basic_auth(&self.user, Some(&self.password)).form(params);
        read(req.send().expect("POST"))
    }

    /// The `data` of a successful answer.
    fn data(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(path, params);
        assert_eq!((status, &body["status"]), (200, &json!("success")), "{path} {params:?}: {body}");
        body["data"].clone()
    }

    /// Asserts `path` fails with `status` and `message`; returns the body.
    fn fails(&self, path: &str, params: &[(&str, &str)], status: u16, message: &str) -> Value {
        let (got, body) = self.post(path, params);
        assert_eq!((got, &body["status"]), (status, &json!("failed")), "{path} {params:?}: {body}");
        assert_eq!(body["message"], message, "{path} {params:?}: {body}");
        body
    }

    /// Asserts `path` refuses a value of `field` (400, named in `errors`).
    fn refuses(&self, path: &str, params: &[(&str, &str)], field: &str) {
        let (got, body) = self.post(path, params);
        assert_eq!((got, &body["status"]), (400, &json!("failed")), "{path} {params:?}: {body}");
        assert!(body["errors"][field].is_array(), "{path} {params:?}: expected {field} named in {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(field)), "{body}");
    }

    fn user_id(&self) -> String {
        let (status, body) = self.get("/user/login");
        assert_eq!(status, 200, "{body}");
        body["data"]["user_id"].as_str().expect("user_id is a string").to_string()
    }
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn native(s: &Server, method: Method, path: &str, body: Value) -> Value {
    let (status, v) = s.send_json(method.clone(), path, &body);
    assert!((200..300).contains(&status), "{method} {path} {body}: {status} {v}");
    v
}

fn native_get(s: &Server, path: &str) -> Value {
    let (status, v) = s.get(path);
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// The id the native API gave an object, as the seed writes ids.
fn sid(v: &Value) -> String {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The default tenant's id, as the seed writes it.
fn tenant_of(seed: &Seed) -> String {
    let user = seed.user.clone();
    let data = seed.data("/user/tenants", &[("user", &user)]);
    data["tenants"][0]["te_id"].as_str().expect("te_id").to_string()
}

const ALICE: (&str, &str) = ("alice@example.com", "alice-password-1");

/// A switch and Alice, a user of its default tenant.
fn with_alice() -> Server {
    let s = start();
    s.add_user(ALICE.0, ALICE.1, &[]);
    s
}

#[test]
fn only_a_users_password_over_http_basic_gets_in() {
    let s = with_alice();
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let (status, body) = alice.get("/user/login");
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), ["data", "status"]);
    assert_eq!(keys(&body["data"]), ["user_id"]);
    assert!(alice.user_id().parse::<i64>().is_ok());

    let refused = json!({"status": "failed", "message": UNAUTHORIZED});
    let token = format!("Token {}", s.token);
    let attempts: Vec<(&str, reqwest::blocking::RequestBuilder)> = vec![
        ("no credentials", s.client.get(s.url("/user/login"))),
        ("wrong password", s.client.get(s.url("/user/login")).basic_auth(ALICE.0, Some("alice-password-2"))),
        ("unknown user", s.client.get(s.url("/user/login")).basic_auth("mallory", Some(ALICE.1))),
        ("no password", s.client.get(s.url("/user/login")).basic_auth(ALICE.0, None::<&str>)),
        ("an API token", s.client.get(s.url("/user/get")).header("Authorization", token)),
        ("not base64", s.client.get(s.url("/user/get")).header("Authorization", "Basic !!!")),
        // Credentials are checked before the parameters.
        ("a POST without either", s.client.post(s.url("/extension/bytenant"))),
        ("a wrong password on a POST", s.client.post(s.url("/hunt/deletebyid")).basic_auth(ALICE.0, Some("x"))),
    ];
    for (what, req) in attempts {
        let resp = req.send().expect("request");
        let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(read(resp), (401, refused.clone()), "{what}");
        assert!(challenge.is_some_and(|c| c.starts_with("Basic ")), "{what}: a Basic challenge");
    }
    // Still in with the right password.
    assert_eq!(alice.get("/user/login").0, 200);
}

#[test]
fn users_see_the_users_and_tenants_they_share_and_a_superadmin_sees_all() {
    let s = with_alice();
    s.add_user("bob@b.example", "bob-password-1", &["--tenant", "b.example"]);
    s.add_user("root", "root-password-1", &["--superadmin"]);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let bob = Seed::new(&s, "bob@b.example", "bob-password-1");
    let root = Seed::new(&s, "root", "root-password-1");
    let names = |seed: &Seed| -> Vec<String> {
        let (status, body) = seed.get("/user/get");
        assert_eq!(status, 200, "{body}");
        let rows = body["data"].as_array().expect("a list").clone();
        rows.iter()
            .map(|u| {
                assert_eq!(keys(u), ["us_id", "us_username"]);
                assert!(u["us_id"].as_str().is_some_and(|id| id.parse::<i64>().is_ok()), "{u}");
                u["us_username"].as_str().unwrap().to_string()
            })
            .collect()
    };
    // The default tenant also holds the owner of the bootstrap token.
    let alices = names(&alice);
    assert!(alices.contains(&ALICE.0.to_string()) && alices.contains(&"root".to_string()), "{alices:?}");
    assert!(!alices.contains(&"bob@b.example".to_string()), "{alices:?}");
    assert_eq!(names(&bob), ["bob@b.example"]);
    assert!(names(&root).contains(&"bob@b.example".to_string()));

    let mine = alice.data("/user/tenants", &[("user", ALICE.0)]);
    assert_eq!(keys(&mine), ["tenants", "user_id"]);
    assert_eq!(mine["user_id"].as_str(), Some(alice.user_id().as_str()));
    let home = mine["tenants"][0].clone();
    assert_eq!(keys(&home), ["te_id", "te_name"]);
    assert_eq!((mine["tenants"].as_array().unwrap().len(), &home["te_name"]), (1, &json!("voxide.local")));

    alice.fails("/user/tenants", &[("user", "bob@b.example")], 403, UNAUTHORIZED);
    let body = alice.fails("/user/tenants", &[], 400, REQUIRED);
    assert_eq!(body["fields"], json!(["user"]));
    let bobs = root.data("/user/tenants", &[("user", "bob@b.example")]);
    assert_eq!(bobs["user_id"].as_str(), Some(bob.user_id().as_str()));
    assert_eq!(bobs["tenants"][0]["te_name"], "b.example");
    let b_id = bobs["tenants"][0]["te_id"].as_str().unwrap().to_string();
    root.fails("/user/tenants", &[("user", "nobody@example.com")], 404, NOT_FOUND);
    let everything = root.data("/user/tenants", &[("user", "root")]);
    assert_eq!(everything["tenants"].as_array().unwrap().len(), 2, "a super-admin belongs to every tenant");

    // An operator lets Alice into tenant b: she sees it and its users, and they see her.
    let joined = s.cli(&["user", "join", "--username", ALICE.0, "--tenant", &b_id]);
    assert!(joined.contains("now belongs to tenant b.example"), "{joined}");
    let joined = alice.data("/user/tenants", &[("user", ALICE.0)]);
    let tenant_names: Vec<&str> =
        joined["tenants"].as_array().unwrap().iter().map(|t| t["te_name"].as_str().unwrap()).collect();
    assert_eq!(tenant_names, ["voxide.local", "b.example"]);
    assert!(names(&alice).contains(&"bob@b.example".to_string()));
    assert!(names(&bob).contains(&ALICE.0.to_string()));
    // And out again.
    let left = s.cli(&["user", "leave", "--username", ALICE.0, "--tenant", "b.example"]);
    assert!(left.contains("no longer belongs to tenant b.example"), "{left}");
    assert_eq!(alice.data("/user/tenants", &[("user", ALICE.0)])["tenants"].as_array().unwrap().len(), 1);
}

#[test]
fn a_user_sets_its_own_password_and_a_superadmin_anyones() {
    let s = with_alice();
    s.add_user("bob@b.example", "bob-password-1", &["--tenant", "b.example"]);
    s.add_user("root", "root-password-1", &["--superadmin"]);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let root = Seed::new(&s, "root", "root-password-1");
    let (alice_id, bob_id) = (alice.user_id(), Seed::new(&s, "bob@b.example", "bob-password-1").user_id());

    let body = alice.fails("/user/updatebyid", &[], 400, REQUIRED);
    assert_eq!(body["fields"], json!(["user_id", "password"]));
    alice.refuses("/user/updatebyid", &[("user_id", &alice_id), ("password", "short")], "password");
    alice.fails("/user/updatebyid", &[("user_id", &bob_id), ("password", "bobs-new-password")], 403, UNAUTHORIZED);
    let changed = alice.data("/user/updatebyid", &[("user_id", &alice_id), ("password", "alice-new-password")]);
    assert_eq!(changed, json!({"msg": "Record Updated Successfully."}));
    assert_eq!(alice.get("/user/login").0, 401, "the old password no longer works");
    assert_eq!(Seed::new(&s, ALICE.0, "alice-new-password").user_id(), alice_id);

    root.data("/user/updatebyid", &[("user_id", &bob_id), ("password", "set-by-root-1")]);
    assert_eq!(Seed::new(&s, "bob@b.example", "set-by-root-1").user_id(), bob_id);
    assert_eq!(Seed::new(&s, "bob@b.example", "bob-password-1").get("/user/login").0, 401);
    root.fails("/user/updatebyid", &[("user_id", "999999"), ("password", "set-by-root-1")], 404, NOT_FOUND);
    root.fails("/user/updatebyid", &[("user_id", "bob"), ("password", "set-by-root-1")], 404, NOT_FOUND);
}

/// Extensions 221 and 222 made through the native API, 221 with caller ids.
fn two_extensions(s: &Server) -> (Value, Value) {
    let chris = native(
        s,
        Method::POST,
        "/api/extensions/",
        json!({"sip_username": "221", "sip_password": "secret-221", "display_name": "Chris Latremoille"}),
    );
    let features = json!({"cid_number": "15146339933", "cid_name": "Uniglobe Dorval", "call_waiting": false,
                          "followme_cid_number": "15145550000"});
    native(s, Method::PATCH, &format!("/api/extensions/{}/features/", chris["id"]), features);
    let francine = native(
        s,
        Method::POST,
        "/api/extensions/",
        json!({"sip_username": "222", "sip_password": "secret-222", "display_name": "Francine Girard"}),
    );
    (chris, francine)
}

#[test]
fn extensions_made_through_the_native_api_are_read_in_the_seeds_shapes() {
    let s = with_alice();
    let (chris, francine) = two_extensions(&s);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let (c, f) = (sid(&chris), sid(&francine));
    let chris_row = json!({"ex_id": c, "ex_name": "Chris Latremoille", "ex_number": "221", "ex_cidnum": "15146339933",
                           "ex_cidname": "Uniglobe Dorval", "ex_callwaiting": "no"});
    let francine_row = json!({"ex_id": f, "ex_name": "Francine Girard", "ex_number": "222", "ex_cidnum": "",
                              "ex_cidname": "", "ex_callwaiting": "yes"});
    let by_tenant = [("tenant_id", tenant.as_str())];
    let one = [("extension_id", c.as_str())];
    let both = [("tenant_id", tenant.as_str()), ("extension_id", c.as_str())];
    assert_eq!(alice.data("/extension/bytenant", &by_tenant), json!([chris_row, francine_row]));
    assert_eq!(alice.data("/extension/byid", &one), json!([chris_row]));
    assert_eq!(
        alice.data("/extension/user", &both),
        json!([{"name": "221", "host": "dynamic", "secret": "secret-221"}])
    );
    assert_eq!(alice.data("/extension/usersecret", &both), json!("secret-221"));
    assert_eq!(alice.data("/extension/getCidNumber", &one), json!("15146339933"));
    assert_eq!(
        alice.data("/extension/getCidNumberList", &by_tenant),
        json!([{"ex_cidnum": "15146339933"}, {"ex_cidnum": ""}])
    );
    assert_eq!(alice.data("/extension/GetFMFCallerId", &one), json!("15145550000"));
    assert_eq!(
        alice.data("/extension/GetFMFCallerIdList", &by_tenant),
        json!([{"GetFMFCallerId": "15145550000"}, {"GetFMFCallerId": ""}])
    );

    // The same answers for a JSON body and for the query string.
    let req = s.client.post(s.url("/extension/byid")).basic_auth(ALICE.0, Some(ALICE.1));
    assert_eq!(read(req.json(&json!({"extension_id": chris["id"]})).send().unwrap()).1["data"], json!([chris_row]));
    let req = s.client.post(s.url(&format!("/extension/byid?extension_id={c}"))).basic_auth(ALICE.0, Some(ALICE.1));
    assert_eq!(read(req.send().unwrap()).1["data"], json!([chris_row]));

    for (path, needs) in [
        ("/extension/bytenant", vec!["tenant_id"]),
        ("/extension/byid", vec!["extension_id"]),
        ("/extension/user", vec!["tenant_id", "extension_id"]),
        ("/extension/usersecret", vec!["tenant_id", "extension_id"]),
        ("/extension/getCidNumber", vec!["extension_id"]),
        ("/extension/getCidNumberList", vec!["tenant_id"]),
        ("/extension/GetFMFCallerId", vec!["extension_id"]),
        ("/extension/GetFMFCallerIdList", vec!["tenant_id"]),
    ] {
        assert_eq!(alice.fails(path, &[], 400, REQUIRED)["fields"], json!(needs), "{path}");
        let unknown: Vec<(&str, &str)> = needs.iter().map(|n| (*n, "999999")).collect();
        alice.fails(path, &unknown, 404, NOT_FOUND);
        let garbage: Vec<(&str, &str)> = needs.iter().map(|n| (*n, "abc")).collect();
        alice.fails(path, &garbage, 404, NOT_FOUND);
    }
    // A deleted extension is gone here too.
    assert_eq!(s.request(Method::DELETE, &format!("/api/extensions/{f}/")).send().unwrap().status().as_u16(), 204);
    alice.fails("/extension/byid", &[("extension_id", &f)], 404, NOT_FOUND);
    assert_eq!(alice.data("/extension/bytenant", &by_tenant), json!([chris_row]));
}

/// Registers `user` with SIPp; whether the switch took the password.
fn registers(sip: SocketAddr, user: &str, password: &str) -> bool {
    let dir = std::env::temp_dir().join(format!("voxide-seed003-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let csv = dir.join("user.csv");
    std::fs::write(&csv, format!("SEQUENTIAL\n{user};{password}\n")).expect("csv");
    let out = Sipp::scenario("register_auth.xml", sip).set("-inf", csv.display().to_string()).run();
    let _ = std::fs::remove_dir_all(&dir);
    out.success
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

#[test]
fn an_extension_changed_here_is_changed_in_every_face_and_on_the_wire() {
    let s = with_alice();
    let (chris, francine) = two_extensions(&s);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let c = sid(&chris);
    let path = "/extension/updatebyid";
    let change = json!({"ex_name": "AAA", "ex_number": "251", "ex_cidnum": "12", "ex_cidname": "AAA",
                        "ex_callwaiting": "yes"})
    .to_string();
    let done = alice.data(path, &[("extension_id", &c), ("extension", &change)]);
    assert_eq!(done, json!({"msg": "Record Updated Successfully."}));

    let account = native_get(&s, &format!("/api/extensions/{c}/"));
    assert_eq!((&account["sip_username"], &account["display_name"]), (&json!("251"), &json!("AAA")));
    let features = native_get(&s, &format!("/api/extensions/{c}/features/"));
    assert_eq!(
        (&features["cid_number"], &features["cid_name"], &features["call_waiting"]),
        (&json!("12"), &json!("AAA"), &json!(true))
    );
    let (status, v1) = read(s.client.get(s.url(&format!("/v1.0/extensions/{c}?token={}", s.token))).send().unwrap());
    assert_eq!(status, 200, "{v1}");
    assert_eq!((&v1["name"], &v1["extension"], &v1["password"]), (&json!("AAA"), &json!("251"), &json!("secret-221")));
    // The switch knows the new name at once: a phone registers as 251, no longer as 221.
    assert!(registers(s.sip, "251", "secret-221"), "251 registers\n{}", s.log());
    assert!(!registers(s.sip, "221", "secret-221"), "221 is gone");

    let before = alice.data("/extension/byid", &[("extension_id", &c)]);
    let refusals = [
        (json!({"ex_name": "BBB", "ex_cidnum": "12a"}), "ex_cidnum"),
        (json!({"ex_cidname": "say \"hi\""}), "ex_cidname"),
        (json!({"ex_number": "no spaces"}), "ex_number"),
        (json!({"ex_number": "222"}), "ex_number"),
        (json!({"ex_callwaiting": "perhaps"}), "ex_callwaiting"),
        (json!({"ex_nickname": "x"}), "ex_nickname"),
    ];
    for (body, field) in refusals {
        alice.refuses(path, &[("extension_id", &c), ("extension", &body.to_string())], field);
    }
    alice.refuses(path, &[("extension_id", &c), ("extension", "ex_name=AAA")], "extension");
    assert_eq!(alice.data("/extension/byid", &[("extension_id", &c)]), before, "refused changes change nothing");
    assert_eq!(alice.fails(path, &[], 400, REQUIRED)["fields"], json!(["extension_id"]));
    assert_eq!(alice.fails(path, &[("extension_id", &c)], 400, REQUIRED)["fields"], json!(["extension"]));
    alice.fails(path, &[("extension_id", "999999"), ("extension", "{}")], 404, NOT_FOUND);
    let untouched = native_get(&s, &format!("/api/extensions/{}/", francine["id"]));
    assert_eq!(untouched["sip_username"], "222");
}

#[test]
fn a_did_is_read_and_its_prefixes_and_label_changed_keeping_its_route() {
    let s = with_alice();
    let (chris, _) = two_extensions(&s);
    let did =
        native(&s, Method::POST, "/api/did_numbers/", json!({"phonenumber": "17865550100", "extension": chris["id"]}));
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let d = sid(&did);
    let row = json!({"di_id": d, "di_country": "", "di_area": "", "di_number": "17865550100", "di_comment": ""});
    assert_eq!(alice.data("/did/bytenant", &[("tenant_id", &tenant)]), json!([row]));

    let change = json!({"di_number": "17865550100", "di_didprefix": "12", "di_didnameprefix": "asd",
                        "di_country": "USA", "di_area": "test", "di_comment": "Test Comment"})
    .to_string();
    let done = alice.data("/did/updatebyid", &[("did_id", &d), ("did", &change)]);
    assert_eq!(done, json!({"msg": "Record Updated Successfully."}));
    let detail = json!({"di_te_id": tenant, "di_country": "", "di_area": "", "di_number": "17865550100",
                        "di_comment": "Test Comment", "di_recording": "no", "di_fax": "no", "di_didprefix": "12",
                        "di_didnameprefix": "asd"});
    assert_eq!(alice.data("/did/byid", &[("did_id", &d)]), json!([detail]));
    let through_native = native_get(&s, &format!("/api/did_numbers/{d}/"));
    assert_eq!(
        (&through_native["number_prefix"], &through_native["cid_name_prefix"], &through_native["extension"]),
        (&json!("12"), &json!("asd"), &chris["id"]),
        "the extension route is kept"
    );
    // A label alone changes nothing else.
    alice.data("/did/updatebyid", &[("did_id", &d), ("did", &json!({"di_comment": "Main"}).to_string())]);
    assert_eq!(native_get(&s, &format!("/api/did_numbers/{d}/"))["extension"], chris["id"]);
    assert_eq!(alice.data("/did/bytenant", &[("tenant_id", &tenant)])[0]["di_comment"], "Main");

    let before = alice.data("/did/byid", &[("did_id", &d)]);
    for (body, field) in [
        (json!({"di_number": "1111111"}), "di_number"),
        (json!({"di_didprefix": "9a", "di_comment": "x"}), "di_didprefix"),
        (json!({"di_didnameprefix": "x".repeat(33)}), "di_didnameprefix"),
        (json!({"di_comment": "bell\u{7}"}), "di_comment"),
        (json!({"di_carrier": "x"}), "di_carrier"),
    ] {
        alice.refuses("/did/updatebyid", &[("did_id", &d), ("did", &body.to_string())], field);
    }
    assert_eq!(alice.data("/did/byid", &[("did_id", &d)]), before, "refused changes change nothing");
    assert_eq!(alice.fails("/did/byid", &[], 400, REQUIRED)["fields"], json!(["did_id"]));
    assert_eq!(alice.fails("/did/bytenant", &[], 400, REQUIRED)["fields"], json!(["tenant_id"]));
    alice.fails("/did/byid", &[("did_id", "999999")], 404, NOT_FOUND);
    alice.fails("/did/updatebyid", &[("did_id", "999999"), ("did", "{}")], 404, NOT_FOUND);
}

#[test]
fn a_hunt_group_is_read_changed_and_deleted_through_the_native_checks() {
    let s = with_alice();
    let (chris, francine) = two_extensions(&s);
    let group = native(
        &s,
        Method::POST,
        "/api/hunt_groups/",
        json!({"name": "Franchise Opportunities", "number": "501", "ring_secs": 60,
               "members": [chris["id"], francine["id"]]}),
    );
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let h = sid(&group);
    let row = json!({"hu_id": h, "hu_number": "501", "hu_name": "Franchise Opportunities", "hu_type": "RINGALL",
                     "hu_ringtime": "60"});
    assert_eq!(alice.data("/hunt/bytenant", &[("tenant_id", &tenant)]), json!([row]));
    let mut detail = row.clone();
    detail["hu_checkinuse"] = json!("no");
    assert_eq!(alice.data("/hunt/byid", &[("hunt_id", &h)]), json!([detail]));

    let change = json!({"hu_number": "111", "hu_name": "AAA", "hu_type": "SEQUENTIAL", "hu_ringtime": "30",
                        "hu_checkinuse": "yes"})
    .to_string();
    let done = alice.data("/hunt/updatebyid", &[("hunt_id", &h), ("hunt", &change)]);
    assert_eq!(done, json!({"msg": "Record Updated Successfully."}));
    let through_native = native_get(&s, &format!("/api/hunt_groups/{h}/"));
    assert_eq!(
        (&through_native["number"], &through_native["name"], &through_native["strategy"]),
        (&json!("111"), &json!("AAA"), &json!("sequential"))
    );
    assert_eq!((&through_native["ring_secs"], &through_native["skip_busy"]), (&json!(30), &json!(true)));
    assert_eq!(through_native["members"], json!([chris["id"], francine["id"]]), "members are kept");
    let shown = alice.data("/hunt/byid", &[("hunt_id", &h)]);
    assert_eq!((&shown[0]["hu_type"], &shown[0]["hu_checkinuse"]), (&json!("SEQUENTIAL"), &json!("yes")));

    for (body, field) in [
        (json!({"hu_type": "AA"}), "hu_type"),
        (json!({"hu_ringtime": "2"}), "hu_ringtime"),
        (json!({"hu_ringtime": "soon"}), "hu_ringtime"),
        (json!({"hu_number": "221"}), "hu_number"),
        (json!({"hu_name": ""}), "hu_name"),
        (json!({"hu_members": "1"}), "hu_members"),
    ] {
        alice.refuses("/hunt/updatebyid", &[("hunt_id", &h), ("hunt", &body.to_string())], field);
    }
    assert_eq!(alice.data("/hunt/byid", &[("hunt_id", &h)]), shown, "refused changes change nothing");

    // Kept while a DID still sends calls there.
    let did = native(&s, Method::POST, "/api/did_numbers/", json!({"phonenumber": "13055550101"}));
    let route = json!({"destination": format!("hunt:{h}")});
    native(&s, Method::PATCH, &format!("/api/did_numbers/{}/", did["id"]), route);
    let body = alice.post("/hunt/deletebyid", &[("hunt_id", &h)]);
    assert_eq!((body.0, &body.1["status"]), (409, &json!("failed")), "{body:?}");
    assert!(body.1["message"].as_str().unwrap().contains("13055550101"), "{body:?}");
    native(&s, Method::PATCH, &format!("/api/did_numbers/{}/", did["id"]), json!({"destination": ""}));
    assert_eq!(alice.data("/hunt/deletebyid", &[("hunt_id", &h)]), json!("Record Deleted Successfully."));
    alice.fails("/hunt/deletebyid", &[("hunt_id", &h)], 404, NOT_FOUND);
    assert_eq!(s.get(&format!("/api/hunt_groups/{h}/")).0, 404);
    alice.fails("/hunt/byid", &[("hunt_id", &h)], 404, NOT_FOUND);
    alice.fails("/hunt/updatebyid", &[("hunt_id", &h), ("hunt", "{}")], 404, NOT_FOUND);
    for path in ["/hunt/bytenant", "/hunt/byid", "/hunt/deletebyid"] {
        alice.fails(path, &[], 400, REQUIRED);
    }
    assert_eq!(alice.data("/hunt/bytenant", &[("tenant_id", &tenant)]), json!([]));
}

#[test]
fn a_phone_added_here_is_the_native_phone_and_fetches_its_configuration() {
    let s = with_alice();
    let (chris, _) = two_extensions(&s);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let add = |phone: Value| alice.post("/phone/AddNewPhone", &[("phone", &phone.to_string())]);
    let phone = json!({"ph_name": "xyz", "ph_te_id": tenant, "ph_pm_id": "2", "ph_mac": "00:15:65:AB:CD:EF",
                       "ph_http_user": "desk1", "ph_http_password": "prov-pass-1"});
    let (status, body) = add(phone.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body["data"]), ["PhoneID", "msg"]);
    assert_eq!(body["data"]["msg"], "Record Inserted Successfully.");
    let p = body["data"]["PhoneID"].as_str().expect("PhoneID is a string").to_string();

    let through_native = native_get(&s, &format!("/api/phones/{p}/"));
    assert_eq!(
        (&through_native["mac"], &through_native["model"], &through_native["http_username"]),
        (&json!("001565abcdef"), &json!("yealink"), &json!("desk1"))
    );
    native(&s, Method::PATCH, &format!("/api/phones/{p}/"), json!({"extension": chris["id"]}));
    let cfg = s.client.get(s.url("/provision/001565abcdef.cfg")).basic_auth("desk1", Some("prov-pass-1")).send();
    let cfg = cfg.unwrap();
    assert_eq!(cfg.status().as_u16(), 200);
    assert!(cfg.text().unwrap().contains("secret-221"), "the phone is set up as 221");
    let row = json!({"ph_id": p, "ph_name": "xyz", "ph_te_id": tenant, "ph_pm_id": "2", "ph_mac": "001565abcdef",
                     "ph_filename": "001565abcdef.cfg"});
    assert_eq!(alice.data("/phone/bytenant", &[("tenant_id", &tenant)]), json!([row]));

    // Without HTTP credentials it gets the MAC as its user and a random password.
    let (status, body) = add(json!({"ph_name": "Lobby", "ph_te_id": tenant, "ph_pm_id": 3, "ph_mac": "001565000001"}));
    assert_eq!(status, 200, "{body}");
    let lobby = native_get(&s, &format!("/api/phones/{}/", body["data"]["PhoneID"].as_str().unwrap()));
    assert_eq!((&lobby["http_username"], &lobby["model"]), (&json!("001565000001"), &json!("polycom")));
    let password = lobby["http_password"].as_str().unwrap();
    assert!(password.len() == 16 && password.bytes().all(|b| b.is_ascii_hexdigit()), "{password}");
    let rows = alice.data("/phone/bytenant", &[("tenant_id", &tenant)]);
    assert_eq!((&rows[1]["ph_name"], &rows[1]["ph_filename"]), (&json!("Lobby"), &json!("001565000001.xml")));

    let (status, body) = add(json!({"ph_name": "xyz", "ph_te_id": tenant, "ph_pm_id": "1"}));
    assert_eq!((status, &body["message"], &body["fields"]), (400, &json!(REQUIRED), &json!(["ph_mac"])));
    let (status, body) = add(json!({}));
    assert_eq!((status, &body["fields"]), (400, &json!(["ph_name", "ph_te_id", "ph_pm_id", "ph_mac"])));
    let bad = |field: &str, value: Value| {
        let mut body = phone.clone();
        body[field] = value;
        alice.refuses("/phone/AddNewPhone", &[("phone", &body.to_string())], field);
    };
    bad("ph_mac", json!("1.1.25.1"));
    bad("ph_mac", json!("001565abcdef"));
    bad("ph_pm_id", json!("9"));
    bad("ph_name", json!("x".repeat(65)));
    bad("ph_http_password", json!("short"));
    bad("ph_color", json!("red"));
    let mut elsewhere = phone.clone();
    elsewhere["ph_te_id"] = json!("999999");
    elsewhere["ph_mac"] = json!("001565000002");
    assert_eq!(add(elsewhere).0, 404);
    assert_eq!(alice.data("/phone/bytenant", &[("tenant_id", &tenant)]).as_array().unwrap().len(), 2);

    assert_eq!(alice.data("/phone/deletebyid", &[("phone_id", &p)]), json!("Record Deleted Successfully."));
    alice.fails("/phone/deletebyid", &[("phone_id", &p)], 404, NOT_FOUND);
    assert_eq!(s.get(&format!("/api/phones/{p}/")).0, 404);
    assert_eq!(alice.fails("/phone/deletebyid", &[], 400, REQUIRED)["fields"], json!(["phone_id"]));
    assert_eq!(alice.fails("/phone/AddNewPhone", &[], 400, REQUIRED)["fields"], json!(["phone"]));
}

#[test]
fn destinations_conditions_menus_custom_numbers_and_voicemail_boxes_are_listed_per_tenant() {
    let s = with_alice();
    let (chris, francine) = two_extensions(&s);
    let vip = native(
        &s,
        Method::POST,
        "/api/conditions/",
        json!({"name": "Chris Latremoille DISA", "kind": "callerid", "callerid_pattern": "5146349955,5149239933"}),
    );
    let open = native(
        &s,
        Method::POST,
        "/api/conditions/",
        json!({"name": "Open", "kind": "time", "time_zone": "America/Montreal", "weekdays": "mon,tue",
               "start_time": "09:00", "end_time": "17:00"}),
    );
    let mobile =
        native(&s, Method::POST, "/api/custom_destinations/", json!({"name": "Vickie Mobile", "number": "5145550123"}));
    let hang_up = native(
        &s,
        Method::POST,
        "/api/destinations/",
        json!({"src_type": "condition", "src_id": vip["id"], "dst_type": "hangup"}),
    );
    let chain = native(
        &s,
        Method::POST,
        "/api/destinations/",
        json!({"src_type": "notcondition", "src_id": vip["id"], "dst_type": "condition", "dst_id": open["id"], "ord": 2}),
    );
    let menu = native(&s, Method::POST, "/api/ivrs/", json!({"name": "Main Menu - FR", "greeting_text": "Bonjour"}));
    let boxed = json!({"voicemail_enabled": true, "voicemail_email": "info@escapegames.ca"});
    native(&s, Method::PATCH, &format!("/api/extensions/{}/features/", francine["id"]), boxed);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let t = [("tenant_id", tenant.as_str())];

    assert_eq!(
        alice.data("/destination/all", &t),
        json!([
            {"de_id": sid(&hang_up), "de_type_src": "CONDITION", "de_type_dst": "HANGUP", "de_ord": "1",
             "de_src_id": sid(&vip), "de_dst_id": ""},
            {"de_id": sid(&chain), "de_type_src": "NOTCONDITION", "de_type_dst": "CONDITION", "de_ord": "2",
             "de_src_id": sid(&vip), "de_dst_id": sid(&open)},
        ])
    );
    let conditions = alice.data("/condition/bytenant", &t);
    let (callerid, time) = (&conditions[0], &conditions[1]);
    assert_eq!(keys(callerid).len(), 16, "{callerid}");
    assert_eq!(
        (&callerid["co_id"], &callerid["co_name"], &callerid["co_type"], &callerid["co_timezone"]),
        (&json!(sid(&vip)), &json!("Chris Latremoille DISA"), &json!("CALLERID"), &json!(""))
    );
    assert_eq!((&callerid["co_param1"], &callerid["co_param2"]), (&json!("5146349955"), &json!("5149239933")));
    assert!((3..=12).all(|i| callerid[format!("co_param{i}")] == ""), "{callerid}");
    assert_eq!((&time["co_type"], &time["co_timezone"]), (&json!("TIME"), &json!("America/Montreal")));
    assert_eq!(
        (&time["co_param1"], &time["co_param2"], &time["co_param3"], &time["co_param4"]),
        (&json!("mon,tue"), &json!("09:00"), &json!("17:00"), &json!(""))
    );
    assert_eq!(alice.data("/ivr/bytenant", &t), json!([{"iv_id": sid(&menu), "iv_name": "Main Menu - FR"}]));
    assert_eq!(
        alice.data("/custom/bytenant", &t),
        json!([{"cu_id": sid(&mobile), "cu_name": "Vickie Mobile", "cu_ct_id": "1", "ct_name": "FORWARD",
                "ct_description": "<t>Forward call to</t>", "cu_number": "5145550123"}])
    );
    assert_eq!(
        alice.data("/voicemail/bytenant", &t),
        json!([{"uniqueid": sid(&francine), "context": "voxide.local", "fullname": "Francine Girard",
                "email": "info@escapegames.ca"}]),
        "only boxes that are on: {chris}"
    );
    for path in ["/destination/all", "/condition/bytenant", "/ivr/bytenant", "/custom/bytenant", "/voicemail/bytenant"]
    {
        assert_eq!(alice.fails(path, &[], 400, REQUIRED)["fields"], json!(["tenant_id"]), "{path}");
        alice.fails(path, &[("tenant_id", "999999")], 404, NOT_FOUND);
        alice.fails(path, &[("tenant_id", "voxide.local")], 404, NOT_FOUND);
    }
}

/// Every read endpoint with the ids of `tenant` and of its objects.
fn every_read(tenant: &str, ext: &str, did: &str, hunt: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let t = || ("tenant_id", tenant.to_string());
    let e = || ("extension_id", ext.to_string());
    vec![
        ("/destination/all", vec![t()]),
        ("/extension/bytenant", vec![t()]),
        ("/extension/byid", vec![e()]),
        ("/extension/user", vec![t(), e()]),
        ("/extension/usersecret", vec![t(), e()]),
        ("/extension/getCidNumber", vec![e()]),
        ("/extension/getCidNumberList", vec![t()]),
        ("/extension/GetFMFCallerId", vec![e()]),
        ("/extension/GetFMFCallerIdList", vec![t()]),
        ("/did/bytenant", vec![t()]),
        ("/did/byid", vec![("did_id", did.to_string())]),
        ("/hunt/bytenant", vec![t()]),
        ("/hunt/byid", vec![("hunt_id", hunt.to_string())]),
        ("/phone/bytenant", vec![t()]),
        ("/voicemail/bytenant", vec![t()]),
        ("/condition/bytenant", vec![t()]),
        ("/ivr/bytenant", vec![t()]),
        ("/custom/bytenant", vec![t()]),
    ]
}

fn pairs<'a>(params: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn another_tenants_objects_are_not_found_until_a_membership_joins_its_tenant() {
    let s = with_alice();
    s.add_user("bob@b.example", "bob-password-1", &["--tenant", "b.example"]);
    let (chris, _) = two_extensions(&s);
    let did = native(&s, Method::POST, "/api/did_numbers/", json!({"phonenumber": "14155550102"}));
    let group = native(&s, Method::POST, "/api/hunt_groups/", json!({"name": "Sales", "number": "501"}));
    let phone =
        json!({"mac": "001565abcdef", "model": "generic", "http_username": "p", "http_password": "prov-pass-1"});
    let phone = native(&s, Method::POST, "/api/phones/", phone);
    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let bob = Seed::new(&s, "bob@b.example", "bob-password-1");
    let (a, b) = (tenant_of(&alice), tenant_of(&bob));
    let (ext, d, h, p) = (sid(&chris), sid(&did), sid(&group), sid(&phone));
    let reads = every_read(&a, &ext, &d, &h);

    for (path, params) in &reads {
        assert_eq!(alice.post(path, &pairs(params)).0, 200, "{path}");
        bob.fails(path, &pairs(params), 404, NOT_FOUND);
    }
    let writes: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/extension/updatebyid", vec![("extension_id", &ext), ("extension", r#"{"ex_name": "Bob was here"}"#)]),
        ("/did/updatebyid", vec![("did_id", &d), ("did", r#"{"di_comment": "Bob was here"}"#)]),
        ("/hunt/updatebyid", vec![("hunt_id", &h), ("hunt", r#"{"hu_name": "Bob was here"}"#)]),
        ("/hunt/deletebyid", vec![("hunt_id", &h)]),
        ("/phone/deletebyid", vec![("phone_id", &p)]),
    ];
    let snapshot =
        |seed: &Seed| -> Vec<Value> { reads.iter().map(|(path, params)| seed.post(path, &pairs(params)).1).collect() };
    let before = snapshot(&alice);
    for (path, params) in &writes {
        bob.fails(path, params, 404, NOT_FOUND);
    }
    let stolen = json!({"ph_name": "x", "ph_te_id": a, "ph_pm_id": "1", "ph_mac": "001565000009"}).to_string();
    bob.fails("/phone/AddNewPhone", &[("phone", &stolen)], 404, NOT_FOUND);
    let history = [("start_date_ymd", "2024-01-01"), ("end_date_ymd", "2024-01-02"), ("tenant_code", a.as_str())];
    bob.fails("/cdr/getCallHistory", &history, 404, NOT_FOUND);
    assert_eq!(snapshot(&alice), before, "nothing of tenant a changed");
    assert_eq!(native_get(&s, "/api/phones/").as_array().unwrap().len(), 1);
    // Bob's own tenant is empty.
    for path in ["/extension/bytenant", "/did/bytenant", "/hunt/bytenant", "/phone/bytenant"] {
        assert_eq!(bob.data(path, &[("tenant_id", &b)]), json!([]), "{path}");
    }
    alice.fails("/extension/bytenant", &[("tenant_id", &b)], 404, NOT_FOUND);

    // A membership lets Bob act in tenant a; taking it back shuts him out again.
    let (bob_id, a_id) = (bob.user_id().parse::<i64>().unwrap(), a.parse::<i64>().unwrap());
    assert!(s.with_store(|store| async move { store.add_user_tenant(bob_id, a_id).await.unwrap() }));
    for (path, params) in &reads {
        assert_eq!(bob.post(path, &pairs(params)), alice.post(path, &pairs(params)), "{path}");
    }
    bob.data("/hunt/updatebyid", &[("hunt_id", &h), ("hunt", r#"{"hu_name": "Bob was here"}"#)]);
    assert_eq!(native_get(&s, &format!("/api/hunt_groups/{h}/"))["name"], "Bob was here");
    assert!(s.with_store(|store| async move { store.remove_user_tenant(bob_id, a_id).await.unwrap() }));
    bob.fails("/hunt/byid", &[("hunt_id", &h)], 404, NOT_FOUND);
}

/// A SIPp phone with its own port and credentials file.
struct Phone {
    port: u16,
    csv: PathBuf,
}

impl Phone {
    fn new(user: &str) -> Phone {
        let csv = std::env::temp_dir().join(format!("voxide-seed003-{}-{user}.csv", rand_suffix()));
        std::fs::write(&csv, format!("SEQUENTIAL\n{user};secret-{user}\n")).expect("csv");
        Phone { port: free_port(), csv }
    }

    fn sipp(&self, s: &Server, scenario: &str) -> Sipp {
        Sipp::scenario(scenario, s.sip).set("-p", self.port.to_string()).set("-inf", self.csv.display().to_string())
    }

    /// Runs a callee scenario while `call` runs; both must succeed.
    fn answer(&self, s: &Server, scenario: &str, extra: &[&str], call: impl FnOnce()) {
        let mut uas = self.sipp(s, scenario).set("-timeout", "40s");
        for a in extra {
            uas = uas.arg(*a);
        }
        let uas = std::thread::spawn(move || uas.run());
        // SIPp needs a moment to bind before the INVITE arrives.
        std::thread::sleep(Duration::from_millis(300));
        call();
        let out = uas.join().expect("callee thread");
        assert!(out.success, "callee {scenario}: {}", out.errors);
    }

    fn call(&self, s: &Server, scenario: &str, dialled: &str) {
        let out = self.sipp(s, scenario).arg("-s").arg(dialled).run();
        assert!(out.success, "calling {dialled} with {scenario}: {}\n{}", out.errors, s.log());
    }
}

/// `scenario` (a `uac_fail.xml.in` copy) expecting `status`.
fn fail_scenario(status: u16) -> String {
    let calls = voxide_testkit::testdata().join("sipp/calls");
    let text = std::fs::read_to_string(calls.join("uac_fail.xml.in")).expect("template");
    let name = format!("uac_fail_{status}_{}.xml", rand_suffix());
    std::fs::write(std::env::temp_dir().join(&name), text.replace("{STATUS}", &status.to_string())).expect("write");
    // Sipp::scenario takes a path under testdata/sipp; an absolute path replaces it.
    std::env::temp_dir().join(name).display().to_string()
}

#[test]
fn the_call_history_holds_the_calls_placed_through_the_switch() {
    // A carrier's trunk at 127.0.0.2 delivers calls to the tenant's DID.
    let trunk_port = free_port();
    let config = std::env::temp_dir().join(format!("voxide-seed003-{}.toml", rand_suffix()));
    let trunk = format!("[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.2:{trunk_port}\"\nprefixes = [\"1\"]\n");
    std::fs::write(&config, trunk).expect("config");
    let s = Server::start(
        BIN,
        &[
            ("VOXIDE_CALLS_RING_TIMEOUT_SECS", "30"),
            ("VOXIDE_MEDIA_RTP_PORTS", "39400-39599"),
            ("VOXIDE_CONFIG", config.to_str().expect("utf-8 path")),
        ],
    );
    s.add_user(ALICE.0, ALICE.1, &[]);
    s.add_user("bob@b.example", "bob-password-1", &["--tenant", "b.example"]);
    s.create_extension("1001", "secret-1001");
    let callee_ext = s.create_extension("1002", "secret-1002");
    native(&s, Method::POST, "/api/did_numbers/", json!({"phonenumber": "17865550100", "extension": callee_ext["id"]}));
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    let registered = callee.sipp(&s, "register_auth.xml").run();
    assert!(registered.success, "1002 registers: {}", registered.errors);
    let carrier = Phone { port: trunk_port, ..Phone::new("13055550142") };
    callee.answer(&s, "calls/uas_answer.xml", &[], || {
        let out = carrier.sipp(&s, "calls/uac_trunk.xml").set("-i", "127.0.0.2").arg("-s").arg("17865550100").run();
        assert!(out.success, "the carrier's call: {}\n{}", out.errors, s.log());
    });
    let inbound = s.last_cdr();
    assert_eq!(inbound["call_direction"], "inbound", "{inbound}");
    callee.answer(&s, "calls/uas_answer.xml", &["-rtp_echo"], || caller.call(&s, "calls/uac_rtp.xml", "1002"));
    let answered = s.last_cdr();
    callee.answer(&s, "calls/uas_busy.xml", &[], || caller.call(&s, &fail_scenario(486), "1002"));
    callee.answer(&s, "calls/uas_ring.xml", &[], || caller.call(&s, "calls/uac_cancel.xml", "1002"));
    caller.call(&s, &fail_scenario(404), "4999");
    let last = s.last_cdr();
    assert_eq!(last["hangup_cause"], "UNALLOCATED_NUMBER", "{last}");

    let alice = Seed::new(&s, ALICE.0, ALICE.1);
    let tenant = tenant_of(&alice);
    let today = chrono::Utc::now().date_naive();
    let (from, to) = ((today - chrono::Days::new(1)).to_string(), (today + chrono::Days::new(1)).to_string());
    let window = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, String)> {
        let mut p =
            vec![("start_date_ymd", from.clone()), ("end_date_ymd", to.clone()), ("tenant_code", tenant.clone())];
        p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };
    let history = |params: Vec<(&str, String)>| alice.data("/cdr/getCallHistory", &pairs(&params));
    let calls = history(window(&[]));
    let calls = calls.as_array().expect("a list");
    let outcomes: Vec<(&str, &str)> =
        calls.iter().map(|c| (c["firstdst"].as_str().unwrap(), c["disposition"].as_str().unwrap())).collect();
    assert_eq!(
        outcomes,
        [
            ("4999", "FAILED"),
            ("1002", "NO ANSWER"),
            ("1002", "BUSY"),
            ("1002", "ANSWERED"),
            ("17865550100", "ANSWERED")
        ]
    );
    let from_carrier = &calls[4];
    assert_eq!(
        (&from_carrier["direction"], &from_carrier["src"], &from_carrier["did"], &from_carrier["dst"]),
        (&json!("inbound"), &json!("13055550142"), &json!("17865550100"), &json!("1002")),
        "a call in on the DID was put through to 1002: {from_carrier}"
    );
    assert_eq!(from_carrier["uniqueid"], inbound["call_uuid"]);
    let ok = &calls[3];
    assert_eq!(
        keys(ok),
        [
            "billsec",
            "calldate",
            "cost",
            "did",
            "direction",
            "disposition",
            "dst",
            "duration",
            "firstdst",
            "recordingfile",
            "src",
            "uniqueid"
        ]
    );
    assert_eq!((&ok["src"], &ok["dst"], &ok["uniqueid"]), (&json!("1001"), &json!("1002"), &answered["call_uuid"]));
    assert_eq!((&ok["direction"], &ok["did"], &ok["cost"]), (&json!("internal"), &json!(""), &json!("0")));
    assert_eq!(ok["billsec"], json!(answered["bill_duration"].as_i64().unwrap().to_string()));
    let duration: i64 = ok["duration"].as_str().unwrap().parse().unwrap();
    assert!(duration >= answered["bill_duration"].as_i64().unwrap(), "{ok}");
    let date = ok["calldate"].as_str().unwrap();
    assert!(chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S").is_ok(), "{date}");
    assert_eq!(calls[0]["dst"], "4999", "no extension took it");

    assert_eq!(history(window(&[("disposition", "ANSWERED")])).as_array().unwrap().len(), 2);
    let busy = history(window(&[("disposition", "BUSY")]));
    assert_eq!((busy.as_array().unwrap().len(), &busy[0]["disposition"]), (1, &json!("BUSY")));
    assert_eq!(history(window(&[("disposition", "no answer")])).as_array().unwrap().len(), 1);
    let dialled = history(window(&[("firstdst", "4999"), ("cost", "1")]));
    assert_eq!((dialled.as_array().unwrap().len(), &dialled[0]["disposition"]), (1, &json!("FAILED")));
    let mut by_domain = window(&[]);
    by_domain[2].1 = "voxide.local".into();
    assert_eq!(history(by_domain).as_array().unwrap().len(), 5);
    let mut later = window(&[]);
    let next_week = (today + chrono::Days::new(7)).to_string();
    (later[0].1, later[1].1) = (next_week.clone(), next_week);
    assert_eq!(history(later), json!([]));

    let path = "/cdr/getCallHistory";
    let body = alice.fails(path, &[], 400, REQUIRED);
    assert_eq!(body["fields"], json!(["start_date_ymd", "end_date_ymd", "tenant_code"]));
    let mut bad = window(&[]);
    bad[0].1 = "yesterday".into();
    alice.refuses(path, &pairs(&bad), "start_date_ymd");
    let mut backwards = window(&[]);
    (backwards[0].1, backwards[1].1) = (to.clone(), from.clone());
    alice.refuses(path, &pairs(&backwards), "end_date_ymd");
    alice.refuses(path, &pairs(&window(&[("disposition", "MAYBE")])), "disposition");
    let bob = Seed::new(&s, "bob@b.example", "bob-password-1");
    bob.fails(path, &pairs(&window(&[])), 404, NOT_FOUND);
    let mut theirs = window(&[]);
    theirs[2].1 = tenant_of(&bob);
    assert_eq!(bob.data(path, &pairs(&theirs)), json!([]), "bob's tenant has no calls");
}
