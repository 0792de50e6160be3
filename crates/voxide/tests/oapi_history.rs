//! Seed 001's call history and recordings for apps: SIPp phones place real
//! calls (one answered and recorded, one busy, one cancelled, one to a
//! number that does not exist), then an app reads them back, signed with
//! `sha256(appId + … + appSecret)` in the query, pages through them, and
//! downloads the recording through a signed link that expires; anything
//! unsigned, altered, out of range or another tenant's is refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use voxide_testkit::{Server, free_port, testdata};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// Hex SHA-256 of the concatenated `parts`, as an app computes `hash`.
fn sha256_hex(parts: &[&str]) -> String {
    Sha256::digest(parts.concat().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `unix` as UTC `(YYYY-MM-DD, HH:MM:SS)` (days to civil date, proleptic
/// Gregorian).
fn utc(unix: i64) -> (String, String) {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
    (format!("{year:04}-{month:02}-{day:02}"), time)
}

fn date(unix: i64) -> String {
    utc(unix).0
}

fn date_time(unix: i64) -> String {
    let (d, t) = utc(unix);
    format!("{d} {t}")
}

fn rfc3339(unix: i64) -> String {
    let (d, t) = utc(unix);
    format!("{d}T{t}Z")
}

/// An app of the open API: its id and secret, and the server it talks to.
struct App<'a> {
    server: &'a Server,
    id: String,
    secret: String,
}

impl<'a> App<'a> {
    /// Makes an app with `token` (the admin token when `None`).
    fn create(server: &'a Server, token: Option<&str>) -> App<'a> {
        let token = token.unwrap_or(&server.token);
        let resp = server
            .client
            .post(server.url("/api/apps/"))
            .header("Authorization", format!("Token {token}"))
            .json(&json!({ "name": "crm" }))
            .send()
            .expect("create app");
        assert_eq!(resp.status().as_u16(), 201);
        let app: Value = resp.json().expect("app JSON");
        App {
            server,
            id: app["app_id"].as_str().expect("app_id").into(),
            secret: app["app_secret"].as_str().expect("secret").into(),
        }
    }

    /// `sha256(appId + fields… + appSecret)`.
    fn hash(&self, fields: &[&str]) -> String {
        let mut parts = vec![self.id.as_str()];
        parts.extend_from_slice(fields);
        parts.push(&self.secret);
        sha256_hex(&parts)
    }

    /// GET `path` with `query` as given (no signing added).
    fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        get(self.server, path, query, None)
    }

    /// The call history for the window, `limit` and `page` (each sent only
    /// when given), signed as the seed says.
    fn histories(&self, from: &str, to: &str, limit: Option<&str>, page: Option<&str>) -> (u16, Value) {
        let hash = self.hash(&[from, to, limit.unwrap_or("20"), page.unwrap_or("1")]);
        let mut query = vec![("appId", self.id.as_str()), ("created_from", from), ("created_to", to)];
        query.extend(limit.map(|l| ("limit", l)));
        query.extend(page.map(|p| ("page", p)));
        query.push(("hash", &hash));
        self.get("/oapi/v1/call/histories", &query)
    }

    fn play_recording(&self, media: &str) -> (u16, Value) {
        let hash = self.hash(&[media]);
        self.get("/oapi/v1/call/play_recording", &[("appId", &self.id), ("media", media), ("hash", &hash)])
    }
}

fn get(server: &Server, path: &str, query: &[(&str, &str)], host: Option<&str>) -> (u16, Value) {
    let mut req = server.client.get(server.url(path)).query(query);
    if let Some(host) = host {
        req = req.header("host", host);
    }
    let resp = req.send().expect("GET");
    (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
}

/// A SIPp phone registered as `user` (password `secret-<user>`).
struct Phone {
    user: String,
    port: u16,
    dir: PathBuf,
}

impl Phone {
    fn new(user: &str) -> Phone {
        let dir = std::env::temp_dir().join(format!("voxide-oapi-history-{}-{user}", rand_suffix()));
        std::fs::create_dir_all(&dir).expect("scratch");
        Phone { user: user.into(), port: free_port(), dir }
    }

    fn args(&self, server: &Server, scenario: &Path) -> Vec<String> {
        let inf = self.dir.join("user.csv");
        std::fs::write(&inf, format!("SEQUENTIAL\n{0};secret-{0}\n", self.user)).expect("inf");
        [
            "-sf",
            &scenario.display().to_string(),
            &server.sip.to_string(),
            "-i",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "40s",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            &self.dir.join("errors.log").display().to_string(),
            "-inf",
            &inf.display().to_string(),
        ]
        .map(String::from)
        .to_vec()
    }

    fn run(&self, server: &Server, scenario: &Path, extra: &[&str]) -> Output {
        let mut args = self.args(server, scenario);
        args.extend(extra.iter().map(|s| s.to_string()));
        Command::new("sipp").args(args).current_dir(&self.dir).output().expect("run sipp (is sip-tester installed?)")
    }

    fn register(&self, server: &Server) {
        let out = self.run(server, &testdata().join("sipp/register_auth.xml"), &[]);
        assert!(out.status.success(), "{} did not register: {}", self.user, self.errors());
    }

    /// Starts a callee scenario; join with [`Phone::finish`].
    fn answer_with(&self, server: &Server, name: &str, extra: &[&str]) -> Child {
        let mut args = self.args(server, &scenario(name));
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new("sipp")
            .args(args)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run sipp");
        // SIPp needs a moment to bind before the INVITE arrives.
        std::thread::sleep(Duration::from_millis(300));
        child
    }

    fn call(&self, server: &Server, scenario: &Path, dialed: &str) {
        let out = self.run(server, scenario, &["-s", dialed]);
        assert!(out.status.success(), "calling {dialed} failed: {}\n{}", self.errors(), server.log());
    }

    fn finish(&self, mut child: Child) {
        let status = child.wait().expect("sipp callee");
        assert!(status.success(), "callee scenario failed: {}", self.errors());
    }

    /// A caller scenario that expects the call to fail with `status`.
    fn fail_scenario(&self, status: u16) -> PathBuf {
        let text = std::fs::read_to_string(scenario("uac_fail.xml.in")).expect("template");
        let path = self.dir.join(format!("uac_fail_{status}.xml"));
        std::fs::write(&path, text.replace("{STATUS}", &status.to_string())).expect("write scenario");
        path
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join("errors.log")).unwrap_or_default()
    }
}

fn scenario(name: &str) -> PathBuf {
    testdata().join("sipp/calls").join(name)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(SystemTime::now())
}

/// The newest CDR once it has ended.
fn ended_cdr(server: &Server) -> Value {
    let cdr = server.last_cdr();
    assert!(!cdr["hangup_cause"].is_null(), "the call never ended: {cdr}");
    cdr
}

/// A switch with extensions 1001 and 1002, 1002 recording its calls.
fn switch() -> Server {
    let server =
        Server::start(BIN, &[("VOXIDE_CALLS_RING_TIMEOUT_SECS", "30"), ("VOXIDE_MEDIA_RTP_PORTS", "39200-39399")]);
    server.create_extension("1001", "secret-1001");
    let callee = server.create_extension("1002", "secret-1002");
    let path = format!("/api/extensions/{}/", callee["id"]);
    let (status, body) = server.send_json(Method::PATCH, &path, &json!({ "recording": 1 }));
    assert_eq!(status, 200, "{body}");
    server
}

/// Places, in order: an answered call 1001 → 1002 (recorded), a busy one,
/// one 1001 cancels while it rings, and one to a number that does not
/// exist. Returns their CDRs, oldest first.
fn place_calls(server: &Server) -> Vec<Value> {
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(server);
    let mut cdrs = Vec::new();

    let uas = callee.answer_with(server, "uas_answer.xml", &["-rtp_echo"]);
    caller.call(server, &scenario("uac_rtp.xml"), "1002");
    callee.finish(uas);
    cdrs.push(ended_cdr(server));

    let uas = callee.answer_with(server, "uas_busy.xml", &[]);
    caller.call(server, &caller.fail_scenario(486), "1002");
    callee.finish(uas);
    cdrs.push(ended_cdr(server));

    let uas = callee.answer_with(server, "uas_ring.xml", &[]);
    caller.call(server, &scenario("uac_cancel.xml"), "1002");
    callee.finish(uas);
    cdrs.push(ended_cdr(server));

    caller.call(server, &caller.fail_scenario(404), "4999");
    cdrs.push(ended_cdr(server));

    let causes: Vec<&str> = cdrs.iter().map(|c| c["hangup_cause"].as_str().unwrap_or_default()).collect();
    assert_eq!(causes, ["NORMAL_CLEARING", "USER_BUSY", "ORIGINATOR_CANCEL", "UNALLOCATED_NUMBER"]);
    cdrs
}

fn user(number: &str) -> Value {
    json!({ "number": number, "type": "user", "username": number })
}

#[test]
fn an_app_reads_its_tenants_calls_newest_first_in_the_seeds_shape_and_pages_through_them() {
    let server = switch();
    let app = App::create(&server, None);
    let before = unix_now();
    let cdrs = place_calls(&server);
    let after = unix_now();
    let (from, to) = (date(before - 86_400), date(after + 86_400));

    let (status, body) = app.histories(&from, &to, None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["page"].as_i64(), body["limit"].as_i64(), body["total"].as_i64()), (Some(1), Some(20), Some(4)));
    let rows = body["data"].as_array().expect("data").clone();
    let statuses: Vec<&str> = rows.iter().map(|r| r["status_detail"].as_str().unwrap_or_default()).collect();
    assert_eq!(statuses, ["UNSUCCESS", "CANCELLED", "BUSY", "SUCCESS"], "newest first: {body}");

    // The answered call, field by field.
    let answered = &rows[3];
    let recording_path = cdrs[0]["recording"].as_str().expect("the answered call was recorded");
    let file = recording_path.rsplit('/').next().expect("a file name");
    assert!(file.ends_with(".wav") && !file.contains('/'), "{file}");
    let billed = cdrs[0]["bill_duration"].as_i64().expect("bill_duration");
    assert!(billed >= 7, "the caller talks for 8 s: {billed}");
    let duration = answered["duration_seconds"].as_i64().expect("duration_seconds");
    assert!((billed..=billed + 5).contains(&duration), "duration {duration} vs billed {billed}");
    let started = answered["unix_timestamp"].as_i64().expect("unix_timestamp");
    assert!((before..=after).contains(&started), "{started} not in {before}..={after}");
    assert_eq!(
        answered,
        &json!({
            "caller": user("1001"),
            "callee": user("1002"),
            "class": "one_one",
            "did_number": null,
            "direction": "from_ab",
            "status_detail": "SUCCESS",
            "duration_seconds": duration,
            "unix_timestamp": started,
            "billing_seconds": billed,
            "recording": file,
        })
    );
    // The refused ones: no talk time, no recording.
    for row in &rows[..3] {
        assert_eq!((row["billing_seconds"].as_i64(), row["recording"].as_str()), (Some(0), Some("")), "{row}");
        assert_eq!((row["class"].as_str(), row["direction"].as_str()), (Some("one_one"), Some("from_ab")), "{row}");
        assert_eq!(row["caller"], user("1001"), "{row}");
        assert!(row["did_number"].is_null(), "{row}");
    }
    assert_eq!(rows[1]["callee"], user("1002"));
    assert_eq!(rows[0]["callee"], json!({ "number": "4999", "type": "realnumber" }), "not an extension");
    assert!(rows.windows(2).all(|w| w[0]["unix_timestamp"].as_i64() >= w[1]["unix_timestamp"].as_i64()));

    // Pages of two: the newest two, then the oldest two, then nothing.
    let page = |limit: &str, page: &str| {
        let (status, body) = app.histories(&from, &to, Some(limit), Some(page));
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["limit"].to_string(), body["page"].to_string(), body["total"].as_i64()),
            (limit.into(), page.into(), Some(4))
        );
        body["data"].as_array().expect("data").clone()
    };
    assert_eq!(page("2", "1"), rows[..2]);
    assert_eq!(page("2", "2"), rows[2..]);
    assert_eq!(page("2", "3"), Vec::<Value>::new());
    assert_eq!(page("100", "1"), rows);
    assert_eq!(page("3", "2"), rows[3..]);

    // The other two date forms; a window with none of the calls.
    let (status, body) = app.histories(&date_time(before - 1), &date_time(after + 1), None, None);
    assert_eq!((status, body["total"].as_i64()), (200, Some(4)), "{body}");
    let (status, body) = app.histories(&rfc3339(after + 3600), &rfc3339(after + 7200), None, None);
    assert_eq!((status, body["total"].as_i64(), body["data"].clone()), (200, Some(0), json!([])), "{body}");
    let (status, body) = app.histories(&rfc3339(before - 1), &rfc3339(started), None, None);
    assert_eq!((status, body["total"].as_i64()), (200, Some(1)), "only the first call started by then: {body}");

    // Another tenant's app sees none of it, and cannot have the recording.
    let theirs = server.cli(&["token", "create", "--name", "other", "--tenant", "other.example"]);
    let other = App::create(&server, Some(&theirs));
    let (status, body) = other.histories(&from, &to, None, None);
    assert_eq!((status, body["total"].as_i64()), (200, Some(0)), "{body}");
    let (status, body) = other.play_recording(file);
    assert_eq!((status, body), (404, json!({ "detail": "Not found." })));

    // The recording, through a signed link built on the Host the app used.
    let (status, body) = app.play_recording(file);
    assert_eq!(status, 200, "{body}");
    let link = body["media"].as_str().expect("media").to_string();
    let prefix = format!("http://{}/oapi/v1/call/recording/{file}?tenant=", server.http);
    assert!(link.starts_with(&prefix), "{link}");
    let download = server.client.get(&link).send().expect("download");
    assert_eq!(download.status().as_u16(), 200);
    let wav = download.bytes().expect("body");
    assert_eq!(&wav[..4], b"RIFF", "a WAV file");
    assert!(wav.len() > 44 + 16_000 * 6, "{} bytes for an 8 s call", wav.len());
    let local = server.dir.join("data/recordings").join(recording_path.trim_start_matches("/api/media/"));
    assert_eq!(wav.as_ref(), std::fs::read(&local).expect("the recording on disk").as_slice(), "the very file");
    let part = server.client.get(&link).header("Range", "bytes=0-99").send().expect("range");
    assert_eq!((part.status().as_u16(), part.bytes().map(|b| b.len()).ok()), (206, Some(100)));
    let hash = app.hash(&[file]);
    let query = [("appId", app.id.as_str()), ("media", file), ("hash", &hash)];
    let (status, body) = get(&server, "/oapi/v1/call/play_recording", &query, Some("pbx.example:8443"));
    assert_eq!(status, 200, "{body}");
    let via_proxy = body["media"].as_str().expect("media");
    assert!(via_proxy.starts_with(&format!("http://pbx.example:8443/oapi/v1/call/recording/{file}?")), "{via_proxy}");

    // Altered links are refused: a later expiry (which also breaks the
    // signature), another signature, another tenant or file, none at all.
    let params: Vec<(String, String)> = reqwest::Url::parse(&link).expect("url").query_pairs().into_owned().collect();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).expect(name);
    let expires: i64 = param("expires").parse().expect("expires");
    assert!((after + 590..=unix_now() + 600).contains(&expires), "ten minutes: {expires}");
    let fetch = |file: &str, tenant: &str, expires: &str, signature: &str| {
        let path = format!("/oapi/v1/call/recording/{file}");
        get(&server, &path, &[("tenant", tenant), ("expires", expires), ("signature", signature)], None)
    };
    let (tenant, signature) = (param("tenant"), param("signature"));
    let forbidden = json!({ "detail": "You do not have permission to perform this action." });
    let later = (expires + 3600).to_string();
    assert_eq!(fetch(file, &tenant, &later, &signature), (403, forbidden.clone()), "stretched expiry");
    let earlier = (unix_now() - 1).to_string();
    assert_eq!(fetch(file, &tenant, &earlier, &signature), (403, forbidden.clone()), "already expired");
    let flipped = format!("{}{}", if signature.starts_with('0') { "1" } else { "0" }, &signature[1..]);
    assert_eq!(fetch(file, &tenant, &expires.to_string(), &flipped), (403, forbidden.clone()), "forged");
    let next_tenant = (tenant.parse::<i64>().expect("tenant") + 1).to_string();
    assert_eq!(fetch(file, &next_tenant, &expires.to_string(), &signature), (403, forbidden.clone()));
    assert_eq!(fetch("other.wav", &tenant, &expires.to_string(), &signature), (403, forbidden.clone()));
    assert_eq!(fetch(file, &tenant, "soon", &signature), (403, forbidden));
    let (status, body) = get(&server, &format!("/oapi/v1/call/recording/{file}"), &[], None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(fetch(file, &tenant, &expires.to_string(), &signature).0, 200, "the genuine link still works");

    // Only recordings the history names: not a path, not an unknown file.
    // A call that only rang has no recording to hand out, whatever the switch opened for it.
    let rang = cdrs[2]["recording"].as_str().and_then(|r| r.rsplit('/').next()).unwrap_or("none.wav");
    for (media, status) in
        [("../domain_1/x.wav", 400), ("", 400), ("nothing.wav", 404), ("voxide.log", 404), (rang, 404)]
    {
        let (got, body) = app.play_recording(media);
        assert_eq!(got, status, "{media:?}: {body}");
        if status == 400 {
            assert!(body["media"].is_array(), "{body}");
        }
    }
}

#[test]
fn the_hash_covers_the_values_as_sent_with_limit_and_page_defaulting_to_20_and_1() {
    let server = switch();
    let app = App::create(&server, None);
    let (from, to) = ("2024-01-01", "2024-01-31");
    let base = [("appId", app.id.as_str()), ("created_from", from), ("created_to", to)];
    let with = |extra: &[(&str, &str)], hash: &str| {
        let mut q = base.to_vec();
        q.extend_from_slice(extra);
        q.push(("hash", hash));
        app.get("/oapi/v1/call/histories", &q)
    };
    let ok = |(status, body): (u16, Value)| {
        assert_eq!(status, 200, "{body}");
        (body["limit"].as_i64().unwrap_or(-1), body["page"].as_i64().unwrap_or(-1))
    };
    // Absent limit and page: the hash covers "20" and "1", not "".
    assert_eq!(ok(with(&[], &app.hash(&[from, to, "20", "1"]))), (20, 1));
    assert_eq!(with(&[], &app.hash(&[from, to, "", ""])).0, 401);
    assert_eq!(ok(with(&[("limit", "")], &app.hash(&[from, to, "20", "1"]))), (20, 1), "empty is absent");
    // Present: as sent, so "05" is signed as "05".
    assert_eq!(ok(with(&[("limit", "05"), ("page", "2")], &app.hash(&[from, to, "05", "2"]))), (5, 2));
    assert_eq!(with(&[("limit", "05"), ("page", "2")], &app.hash(&[from, to, "5", "2"])).0, 401);
    // Hex in either case.
    assert_eq!(ok(with(&[], &app.hash(&[from, to, "20", "1"]).to_uppercase())), (20, 1));
    // The same holds for play_recording: media as sent.
    let hash = app.hash(&["x.wav"]);
    let (status, _) =
        app.get("/oapi/v1/call/play_recording", &[("appId", &app.id), ("media", "x.wav"), ("hash", &hash)]);
    assert_eq!(status, 404, "signed right, but no such recording");
    let (status, _) =
        app.get("/oapi/v1/call/play_recording", &[("appId", &app.id), ("media", "y.wav"), ("hash", &hash)]);
    assert_eq!(status, 401, "signed for another file");
}

#[test]
fn an_unknown_app_or_a_bad_hash_is_401_and_every_bad_value_a_400_naming_it() {
    let server = switch();
    let app = App::create(&server, None);
    let unauthorized = |(status, body): (u16, Value)| {
        assert_eq!(status, 401, "{body}");
        assert!(body["detail"].is_string(), "{body}");
    };
    let (from, to) = ("2024-01-01", "2024-01-31");
    let good = app.hash(&[from, to, "20", "1"]);
    let query = |id: &str, hash: &str| -> Vec<(String, String)> {
        [("appId", id), ("created_from", from), ("created_to", to), ("hash", hash)]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .to_vec()
    };
    let send = |q: Vec<(String, String)>| {
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.get("/oapi/v1/call/histories", &q)
    };
    unauthorized(send(query("no-such-app", &good)));
    unauthorized(send(query(&app.id, &app.hash(&[from, "2024-01-30", "20", "1"]))));
    unauthorized(send(query(&app.id, &sha256_hex(&[&app.id, from, to, "20", "1", "not-the-secret"]))));
    unauthorized(send(query(&app.id, "")));
    unauthorized(send(query("", &good)));
    unauthorized(app.get("/oapi/v1/call/histories", &[]));
    unauthorized(app.get("/oapi/v1/call/play_recording", &[("appId", &app.id), ("media", "x.wav")]));
    unauthorized(app.get("/oapi/v1/call/play_recording", &[("appId", "nobody"), ("media", "x.wav"), ("hash", &good)]));

    // Signed right, but wrong: each names its field.
    let bad = |from: &str, to: &str, limit: Option<&str>, page: Option<&str>, field: &str| {
        let (status, body) = app.histories(from, to, limit, page);
        assert_eq!(status, 400, "{from} {to} {limit:?} {page:?}: {body}");
        assert!(body[field].is_array(), "{from} {to} {limit:?} {page:?} names {field}: {body}");
        body[field][0].as_str().unwrap_or_default().to_string()
    };
    bad("", to, None, None, "created_from");
    bad(from, "", None, None, "created_to");
    bad("01/01/2024", to, None, None, "created_from");
    bad(from, "2024-02-30", None, None, "created_to");
    bad(from, "2024-01-31T25:00:00Z", None, None, "created_to");
    bad(from, "2023-12-31", None, None, "created_to");
    let message = bad(from, "2024-02-01", None, None, "created_to");
    assert!(message.contains("31 days"), "a clear message: {message}");
    let message = bad("2024-01-01 00:00:00", "2024-02-01 00:00:01", None, None, "created_to");
    assert!(message.contains("31 days"), "{message}");
    for limit in ["0", "101", "-5", "ten"] {
        bad(from, to, Some(limit), None, "limit");
    }
    for page in ["0", "-1", "one"] {
        bad(from, to, None, Some(page), "page");
    }
    // The edges are fine: 31 whole days, 100 rows, a page past the end.
    let (status, body) = app.histories(from, to, Some("100"), Some("7"));
    assert_eq!((status, body), (200, json!({ "data": [], "page": 7, "limit": 100, "total": 0 })));
    let (status, _) = app.histories("2024-01-01 00:00:00", "2024-02-01 00:00:00", Some("1"), None);
    assert_eq!(status, 200);
    let (status, _) = app.histories("2024-01-01T00:00:00+07:00", "2024-01-31T23:59:59+07:00", None, None);
    assert_eq!(status, 200);
}
