//! `GET /api/events` from a websocket client: phones register and
//! unregister over SIP, the events arrive with per-tenant sequence numbers,
//! a client that reconnects with `?since=` gets exactly what it missed, and
//! other tenants see nothing.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::{Message, WebSocket};
use voxide_registrar::digest::authorization_header;
use voxide_testkit::{RawSip, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

type Socket = WebSocket<TcpStream>;

/// How a client proves who it is.
enum Auth<'a> {
    Header(&'a str),
    Query(&'a str),
}

/// Opens the websocket at `/api/events?{query}`; an HTTP refusal comes
/// back as its status and JSON body.
fn connect(s: &Server, auth: Auth, query: &str) -> Result<Socket, (u16, Value)> {
    let mut params: Vec<String> = query.split('&').filter(|p| !p.is_empty()).map(str::to_string).collect();
    if let Auth::Query(token) = auth {
        params.push(format!("token={token}"));
    }
    let url = format!("ws://{}/api/events?{}", s.http, params.join("&"));
    let mut request = url.into_client_request().expect("request");
    if let Auth::Header(token) = auth {
        request.headers_mut().insert("Authorization", format!("Token {token}").parse().expect("header"));
    }
    let stream = TcpStream::connect(s.http).expect("connect");
    match tungstenite::client(request, stream) {
        Ok((socket, _)) => Ok(socket),
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            let body = response.body().as_deref().unwrap_or_default();
            Err((response.status().as_u16(), serde_json::from_slice(body).unwrap_or(Value::Null)))
        }
        Err(e) => panic!("websocket handshake: {e}"),
    }
}

/// The next event, or `None` when none comes within `wait`.
fn next_event(ws: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())?;
        ws.get_mut().set_read_timeout(Some(left)).expect("timeout");
        match ws.read() {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("each frame is JSON")),
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(e) => panic!("reading events: {e}"),
        }
    }
}

/// Exactly `n` events, each within five seconds.
fn events(ws: &mut Socket, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| next_event(ws, Duration::from_secs(5)).unwrap_or_else(|| panic!("event {} of {n} missing", i + 1)))
        .collect()
}

/// A REGISTER of `contact(user, sip)` with Expires: `expires`, answering
/// the digest challenge; returns the final status.
fn register(sip: &mut RawSip, user: &str, expires: u32) -> u16 {
    let contact = contact(user, sip);
    let call_id = format!("events-{user}-{}", sip.local().port());
    let (transport, local) = (sip.transport(), sip.local());
    let request = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch=z9hG4bK{call_id}-{cseq};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@voxide.local>;tag=t{cseq}\r\nTo: <sip:{user}@voxide.local>\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nContact: <{contact}>\r\nExpires: {expires}\r\n\
             {auth}User-Agent: events-test\r\nContent-Length: 0\r\n\r\n"
        )
    };
    // CSeqs (and so branches) never repeat within the Call-ID.
    static CSEQ: AtomicU32 = AtomicU32::new(1);
    let base = CSEQ.fetch_add(2, Ordering::Relaxed);
    let challenge = sip.request(&request(base, ""));
    if challenge.status() != 401 {
        return challenge.status();
    }
    let md5 = challenge.headers("WWW-Authenticate").into_iter().find(|c| c.contains("MD5")).expect("MD5 challenge");
    let auth = authorization_header(md5, user, &format!("secret-{user}"), "REGISTER", "sip:voxide.local", 1, "0a4f")
        .expect("digest");
    sip.request(&request(base + 1, &format!("Authorization: {auth}\r\n"))).status()
}

fn contact(user: &str, sip: &RawSip) -> String {
    format!("sip:{user}@{}", sip.local())
}

#[test]
fn registrations_stream_live_and_a_reconnect_with_since_gets_exactly_what_was_missed() {
    let s = Server::start(BIN, &[]);
    let ext_1001 = s.create_extension("1001", "secret-1001");
    let ext_1002 = s.create_extension("1002", "secret-1002");
    let mine = s.cli(&["token", "create", "--name", "events"]);
    let theirs = s.cli(&["token", "create", "--name", "other", "--tenant", "other.example"]);

    let mut home = connect(&s, Auth::Header(&mine), "").expect("tenant token connects");
    let mut other = connect(&s, Auth::Query(&theirs), "").expect("other tenant's token connects");
    let mut admin = connect(&s, Auth::Query(&s.token), "").expect("super-admin connects");

    // A phone registers: the tenant's first event.
    let mut phone_1001 = RawSip::udp(s.sip);
    assert_eq!(register(&mut phone_1001, "1001", 600), 200);
    let up = &events(&mut home, 1)[0];
    assert_eq!(up["kind"], "registration.up", "{up}");
    assert_eq!(up["seq"], 1, "{up}");
    assert_eq!(up["data"]["extension"], "1001", "{up}");
    assert_eq!(up["data"]["extension_id"], ext_1001["id"], "{up}");
    assert_eq!(up["data"]["contact"], contact("1001", &phone_1001), "{up}");
    assert_eq!(up["data"]["source"], phone_1001.local().to_string(), "{up}");
    assert_eq!(up["data"]["transport"], "UDP", "{up}");
    assert!((590..=600).contains(&up["data"]["expires"].as_i64().unwrap()), "{up}");
    assert!(up["call_uuid"].is_null(), "{up}");
    assert!(up["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{up}");
    let tenant = up["tenant_id"].clone();
    assert_eq!(events(&mut admin, 1)[0], *up, "the super-admin sees the same event");

    // The client answers pings and closes cleanly.
    home.send(Message::Ping(b"alive?".to_vec().into())).expect("ping");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no pong");
        home.get_mut().set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        if let Message::Pong(payload) = home.read().expect("pong") {
            assert_eq!(&payload[..], b"alive?");
            break;
        }
    }
    home.close(None).expect("close");
    loop {
        match home.read() {
            Ok(_) => continue,
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("the server should answer the close: {e}"),
        }
    }

    // While it is away: another phone comes up, the first unregisters.
    let mut phone_1002 = RawSip::udp(s.sip);
    assert_eq!(register(&mut phone_1002, "1002", 600), 200);
    assert_eq!(register(&mut phone_1001, "1001", 0), 200);
    let seen: Vec<(Value, Value)> =
        events(&mut admin, 2).iter().map(|e| (e["kind"].clone(), e["seq"].clone())).collect();
    assert_eq!(seen, [("registration.up".into(), 2.into()), ("registration.down".into(), 3.into())]);

    // Back with the last seq it saw: exactly the two it missed, in order.
    let mut back = connect(&s, Auth::Query(&mine), "since=1").expect("reconnect");
    let missed = events(&mut back, 2);
    assert_eq!(missed[0]["seq"], 2);
    assert_eq!(missed[0]["kind"], "registration.up");
    assert_eq!(missed[0]["data"]["extension"], "1002");
    assert_eq!(missed[0]["data"]["extension_id"], ext_1002["id"]);
    assert_eq!(missed[1]["seq"], 3);
    assert_eq!(missed[1]["kind"], "registration.down");
    assert_eq!(missed[1]["data"]["extension"], "1001");
    assert_eq!(missed[1]["data"]["reason"], "unregistered");
    assert_eq!(missed[1]["data"]["contact"], contact("1001", &phone_1001));
    assert!(missed.iter().all(|e| e["tenant_id"] == tenant));
    assert_eq!(next_event(&mut back, Duration::from_millis(300)), None, "nothing more was missed");

    // Then it goes on live from there.
    assert_eq!(register(&mut phone_1001, "1001", 600), 200);
    let live = &events(&mut back, 1)[0];
    assert_eq!((live["seq"].clone(), live["kind"].clone()), (4.into(), "registration.up".into()), "{live}");

    // The other tenant saw none of it.
    assert_eq!(next_event(&mut other, Duration::from_millis(300)), None);
}

#[test]
fn bad_tokens_and_scopes_are_refused_before_the_upgrade() {
    let s = Server::start(BIN, &[]);
    let mine = s.cli(&["token", "create", "--name", "events"]);
    let theirs = s.cli(&["token", "create", "--name", "other", "--tenant", "other.example"]);

    let (status, body) = connect(&s, Auth::Header("not-a-real-token-at-all"), "").unwrap_err();
    assert_eq!((status, body["detail"].as_str()), (401, Some("Invalid token.")));
    let (status, body) = connect(&s, Auth::Query("not-a-real-token-at-all"), "").unwrap_err();
    assert_eq!((status, body["detail"].as_str()), (401, Some("Invalid token.")));
    let (status, body) = connect(&s, Auth::Query(""), "").unwrap_err();
    assert_eq!(status, 401, "{body}");

    // A tenant's token cannot follow another tenant.
    let (status, _) = connect(&s, Auth::Query(&theirs), "tenant_id=999999").unwrap_err();
    assert_eq!(status, 403);

    // Sequence numbers are per tenant: a super-admin resuming must name one.
    let (status, body) = connect(&s, Auth::Query(&s.token), "since=5").unwrap_err();
    assert_eq!(status, 400);
    assert!(body["since"][0].as_str().is_some_and(|m| m.contains("tenant_id")), "{body}");
    assert!(connect(&s, Auth::Query(&s.token), "since=5&tenant_id=1").is_ok());
    let (status, body) = connect(&s, Auth::Query(&mine), "since=soon").unwrap_err();
    assert_eq!(status, 400, "{body}");

    // Without the upgrade it is a JSON error, not a socket.
    let resp = s.request(reqwest::Method::GET, "/api/events/").send().expect("GET");
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let body: Value = resp.json().expect("JSON body");
    assert!(body["detail"].is_string(), "{body}");
}
