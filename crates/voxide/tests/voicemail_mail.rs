//! Voicemail by e-mail: a baresip phone calls an extension nobody answers,
//! leaves a message, and the box's owner is mailed it through the
//! configured SMTP server. The server here is a small one inside the test,
//! standing in for the mail relay outside the switch: it speaks just
//! enough SMTP to take one message (or refuse its recipient) and keeps
//! what it was sent.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::{Spectrum, samples, tone};
use voxide_testkit::{Baresip, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const WITHIN: Duration = Duration::from_secs(15);

/// What one SMTP client said.
#[derive(Debug, Default, Clone)]
struct Session {
    commands: Vec<String>,
    /// The message DATA carried, dot-stuffing undone.
    data: Option<String>,
}

/// The relay: refuses every recipient when `refuse_rcpt`.
struct Relay {
    addr: SocketAddr,
    sessions: Arc<Mutex<Vec<Session>>>,
}

impl Relay {
    fn start(refuse_rcpt: bool) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let addr = listener.local_addr().expect("relay address");
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let kept = sessions.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let session = serve(stream, refuse_rcpt);
                kept.lock().expect("sessions").push(session);
            }
        });
        Relay { addr, sessions }
    }

    /// The sessions once one has ended, within `WITHIN`.
    fn wait_session(&self, server: &Server) -> Session {
        let deadline = Instant::now() + WITHIN;
        loop {
            if let Some(s) = self.sessions.lock().expect("sessions").first() {
                return s.clone();
            }
            assert!(Instant::now() < deadline, "the switch never finished an SMTP session\n{}", server.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One SMTP session, RFC 5321 as far as a client sending one message needs.
fn serve(stream: TcpStream, refuse_rcpt: bool) -> Session {
    let mut session = Session::default();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut out = stream.try_clone().expect("clone the stream");
    let mut lines = BufReader::new(stream);
    let mut say = |text: &str| {
        let _ = out.write_all(text.as_bytes());
    };
    say("220 relay.test ESMTP ready\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return session;
        }
        let command = line.trim_end_matches(['\r', '\n']).to_string();
        session.commands.push(command.clone());
        let verb = command.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => say("250-relay.test greets you\r\n250-8BITMIME\r\n250 AUTH LOGIN PLAIN\r\n"),
            "AUTH" => say("235 2.7.0 authenticated\r\n"),
            "MAIL" => say("250 2.1.0 sender ok\r\n"),
            "RCPT" if refuse_rcpt => say("550 5.1.1 mailbox unavailable\r\n"),
            "RCPT" => say("250 2.1.5 recipient ok\r\n"),
            "DATA" => {
                say("354 end with <CRLF>.<CRLF>\r\n");
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).unwrap_or(0) == 0 {
                        return session;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                session.data = Some(data);
                say("250 2.0.0 queued\r\n");
            }
            "QUIT" => {
                say("221 2.0.0 bye\r\n");
                return session;
            }
            _ => say("502 5.5.2 command not recognised\r\n"),
        }
    }
}

fn switch(ports: &str, relay: &Relay, extra: &[(&str, &str)]) -> Server {
    let server = relay.addr.to_string();
    let mut env = vec![
        ("VOXIDE_SIP_DIGEST_SHA256", "false"),
        ("VOXIDE_MEDIA_RTP_PORTS", ports),
        ("VOXIDE_VOICEMAIL_SMTP_SERVER", server.as_str()),
        ("VOXIDE_VOICEMAIL_SMTP_FROM", "voicemail@pbx.example.com"),
        ("VOXIDE_VOICEMAIL_SMTP_TIMEOUT_SECS", "10"),
    ];
    env.extend_from_slice(extra);
    Server::start(BIN, &env)
}

fn extension_id(server: &Server, user: &str) -> i64 {
    let (status, list) = server.get("/api/extensions/");
    assert_eq!(status, 200, "{list}");
    let rows = list.as_array().cloned().or_else(|| list["results"].as_array().cloned()).expect("extension list");
    rows.iter().find(|e| e["sip_username"] == user).and_then(|e| e["id"].as_i64()).expect("extension id")
}

/// Phone 1001 (a 1 kHz tone) calls 1002, whose box mails owner@example.org
/// and which has no phone registered, so voicemail answers at once; it
/// talks for about 5 s after the tone and hangs up. Returns 1002's
/// message list once the message is kept.
fn leave_a_message(server: &Server) -> Vec<Value> {
    let dir = server.dir().to_path_buf();
    server.create_extension("1001", "secret-1001");
    server.create_extension("1002", "secret-1002");
    let owner = extension_id(server, "1002");
    let body = json!({
        "voicemail_enabled": true,
        "voicemail_pin": "2468",
        "voicemail_email": "owner@example.org",
        "ring_secs": 5,
    });
    let (status, got) = server.send_json(Method::PATCH, &format!("/api/extensions/{owner}/features/"), &body);
    assert_eq!(status, 200, "{body} → {got}");

    let account = format!("<sip:1001@{}>;auth_pass=secret-1001;regint=600", server.sip);
    let mut caller = Baresip::phone_with(&account, &tone(&dir, 1000), &[]);
    server.wait_for_binding("1001", &caller.log());
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    // The greeting (about 4 s), the tone, then about 5 s of the caller's tone.
    std::thread::sleep(Duration::from_secs(10));
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);

    let deadline = Instant::now() + WITHIN;
    loop {
        let (status, list) = server.get(&format!("/api/voicemail/?extension={owner}"));
        assert_eq!(status, 200, "{list}");
        let list = list.as_array().cloned().expect("a list of messages");
        if !list.is_empty() {
            return list;
        }
        assert!(Instant::now() < deadline, "no message was kept\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Headers (unfolded) and body of a message or MIME part.
fn split_message(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = text.split_once("\r\n\r\n").expect("headers end with an empty line");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a folded line continues a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name} header"))
}

fn metric_reaches(server: &Server, name: &str, value: f64) -> f64 {
    let deadline = Instant::now() + WITHIN;
    loop {
        let got = server.metric(name);
        if got == value || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_kept_message_is_mailed_to_the_box_owner_with_the_recording_attached() {
    let relay = Relay::start(false);
    let server = switch(
        "43000-43199",
        &relay,
        &[("VOXIDE_VOICEMAIL_SMTP_USERNAME", "pbx"), ("VOXIDE_VOICEMAIL_SMTP_PASSWORD", "relay-secret")],
    );
    let messages = leave_a_message(&server);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let kept = &messages[0];
    let session = relay.wait_session(&server);

    // The envelope, after AUTH PLAIN with the configured credentials.
    let auth = session.commands.iter().find_map(|c| c.strip_prefix("AUTH PLAIN ")).expect("AUTH PLAIN");
    assert_eq!(STANDARD.decode(auth).expect("base64"), b"\0pbx\0relay-secret");
    assert!(session.commands.contains(&"MAIL FROM:<voicemail@pbx.example.com>".to_string()), "{session:?}");
    assert!(session.commands.contains(&"RCPT TO:<owner@example.org>".to_string()), "{session:?}");
    assert_eq!(session.commands.last().map(String::as_str), Some("QUIT"));

    let data = session.data.expect("the message was sent");
    let (headers, body) = split_message(&data);
    assert_eq!(header(&headers, "from"), "<voicemail@pbx.example.com>");
    assert_eq!(header(&headers, "to"), "<owner@example.org>");
    assert_eq!(header(&headers, "subject"), "Voicemail from 1001 for extension 1002");
    assert_eq!(header(&headers, "mime-version"), "1.0");
    let content_type = header(&headers, "content-type");
    assert!(content_type.starts_with("multipart/mixed;"), "{content_type}");
    let boundary = content_type.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()).expect("boundary");

    // Two parts: the text, then the WAV in base64.
    let delimiter = format!("\r\n--{boundary}");
    let parts: Vec<&str> = body.split(delimiter.as_str()).collect();
    assert_eq!(parts.len(), 4, "preamble, two parts, the end: {body:.2000}");
    assert!(parts[3].starts_with("--"), "the closing delimiter");
    let (text_headers, text) = split_message(parts[1].trim_start_matches("\r\n"));
    assert!(header(&text_headers, "content-type").starts_with("text/plain"));
    let duration_ms = kept["duration_ms"].as_i64().expect("duration_ms");
    assert!(text.contains("From:     1001\r\n"), "{text}");
    let secs = (duration_ms + 500) / 1000;
    assert!(text.contains(&format!("Length:   {secs} seconds\r\n")), "{duration_ms} ms in {text}");
    assert!(text.contains("Received: 20"), "{text}");

    let (wav_headers, encoded) = split_message(parts[2].trim_start_matches("\r\n"));
    assert!(header(&wav_headers, "content-type").starts_with("audio/wav"), "{wav_headers:?}");
    assert_eq!(header(&wav_headers, "content-transfer-encoding"), "base64");
    assert!(header(&wav_headers, "content-disposition").starts_with("attachment;"));
    assert!(encoded.split("\r\n").all(|l| l.len() <= 76), "base64 lines of at most 76 characters");
    let wav = STANDARD.decode(encoded.replace("\r\n", "")).expect("the attachment is base64");
    assert_eq!((&wav[..4], &wav[8..12]), (&b"RIFF"[..], &b"WAVE"[..]));

    // The attachment is the message: its length and the caller's tone.
    let path = server.dir().join("attached.wav");
    std::fs::write(&path, &wav).expect("write the attachment");
    let audio = samples(&path);
    let attached_ms = audio.len() as i64 / 8;
    assert!((attached_ms - duration_ms).abs() <= 100, "attachment {attached_ms} ms, message {duration_ms} ms");
    let hz = Spectrum::new(&audio).dominant_hz();
    assert!((hz - 1000.0).abs() <= 10.0, "the attachment is the caller's 1 kHz tone, not {hz} Hz");

    assert_eq!(metric_reaches(&server, "voxide_voicemail_emails_sent_total", 1.0), 1.0);
    assert_eq!(server.metric("voxide_voicemail_email_failures_total"), 0.0);
}

#[test]
fn a_relay_refusing_the_recipient_leaves_the_message_and_counts_the_failure() {
    let relay = Relay::start(true);
    let server = switch("43200-43399", &relay, &[]);
    let messages = leave_a_message(&server);
    let session = relay.wait_session(&server);
    assert!(session.commands.contains(&"RCPT TO:<owner@example.org>".to_string()), "{session:?}");
    assert!(!session.commands.iter().any(|c| c.starts_with("AUTH")), "no credentials, no AUTH: {session:?}");
    assert!(session.data.is_none(), "nothing is sent after a refused recipient: {session:?}");

    assert_eq!(metric_reaches(&server, "voxide_voicemail_email_failures_total", 1.0), 1.0, "{}", server.log());
    assert_eq!(server.metric("voxide_voicemail_emails_sent_total"), 0.0);
    let log = server.log();
    assert!(
        log.contains("voicemail not e-mailed") && log.contains("the server refused RCPT TO with 550"),
        "the failure is logged with its cause:\n{log}"
    );
    // The message stays, and can still be fetched.
    assert_eq!(messages.len(), 1, "{messages:?}");
    let owner = extension_id(&server, "1002");
    let (status, list) = server.get(&format!("/api/voicemail/?extension={owner}"));
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let audio = server.request(Method::GET, list[0]["audio"].as_str().expect("audio link")).send().expect("download");
    assert_eq!(audio.status().as_u16(), 200);
}
