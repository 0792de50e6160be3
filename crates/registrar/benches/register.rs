//! `register_parse_and_handle`: the registrar's hot path without sockets.
//! Each iteration takes one authenticated REGISTER refresh as bytes, parses
//! and validates it (`voxide_sip::parse_message`) and runs
//! `Registrar::handle_register` on it (digest check, replay check, binding
//! update, 200 with the contact list), rotating over 1000 accounts.
//! `parse_register` is the parsing half alone.
//!
//! Run: `cargo bench -p voxide-registrar --bench register`.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rsip::prelude::*;
use rsip::{Header, SipMessage};
use voxide_registrar::digest::authorization_header;
use voxide_registrar::{Account, Accounts, Origin, Registrar, RegistrarConfig};
use voxide_sip::{Transport, parse_message};

const USERS: usize = 1000;
const REALM: &str = "voxide.local";

struct Book(HashMap<String, Account>);

impl Accounts for Book {
    fn knows_realm(&self, realm: &str) -> bool {
        realm == REALM
    }

    fn account(&self, realm: &str, username: &str) -> Option<Account> {
        (realm == REALM).then(|| self.0.get(username).cloned()).flatten()
    }
}

/// One phone's state: its MD5 challenge and the next nonce count and CSeq.
struct Phone {
    user: String,
    challenge: String,
    nc: u32,
    cseq: u32,
}

fn register(user: &str, cseq: u32, authorization: Option<&str>) -> String {
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "REGISTER sip:{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-{user}-{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@{REALM}>;tag=bench-{user}\r\n\
         To: <sip:{user}@{REALM}>\r\n\
         Call-ID: bench-{user}@192.0.2.10\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:{user}@192.0.2.10:5062>\r\n\
         {auth}Expires: 3600\r\n\
         User-Agent: voxide-bench\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn request(bytes: &[u8]) -> rsip::Request {
    match parse_message(bytes) {
        Ok(SipMessage::Request(req)) => req,
        other => panic!("not a request: {other:?}"),
    }
}

struct Bench {
    registrar: Registrar,
    book: Book,
    phones: Vec<Phone>,
    origin: Origin,
    next: usize,
}

impl Bench {
    fn new() -> Bench {
        let now = Instant::now();
        let config = RegistrarConfig {
            default_realm: REALM.into(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            // Long enough that no nonce ages out during a run.
            nonce_lifetime: Duration::from_secs(86_400),
            auth_failure_limit: 20,
            auth_failure_window: Duration::from_secs(60),
            prefer_sha256: false,
            offer_sha256: true,
        };
        let mut registrar = Registrar::new(config, now);
        let book = Book(
            (0..USERS)
                .map(|i| {
                    let user = format!("{}", 100_000 + i);
                    let account = Account { tenant_id: 1, extension_id: i as i64, password: format!("secret-{user}") };
                    (user, account)
                })
                .collect(),
        );
        let origin = Origin { source: SocketAddr::from(([192, 0, 2, 10], 5062)), transport: Transport::Udp };
        let phones = (0..USERS)
            .map(|i| {
                let user = format!("{}", 100_000 + i);
                let req = request(register(&user, 1, None).as_bytes());
                let out = registrar.handle_register(now, unix_now(), &req, origin, &book, "t");
                let challenge = out
                    .response
                    .headers
                    .iter()
                    .find_map(|h| match h {
                        Header::WwwAuthenticate(w) if w.value().contains("MD5") => Some(w.value().to_string()),
                        _ => None,
                    })
                    .expect("an MD5 challenge");
                Phone { user, challenge, nc: 0, cseq: 1 }
            })
            .collect();
        Bench { registrar, book, phones, origin, next: 0 }
    }

    /// The next `n` authenticated REGISTERs, round robin over the phones.
    fn messages(&mut self, n: u64) -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| {
                let at = self.next;
                self.next = (at + 1) % self.phones.len();
                let phone = &mut self.phones[at];
                phone.nc += 1;
                phone.cseq += 1;
                let password = format!("secret-{}", phone.user);
                let uri = format!("sip:{REALM}");
                let auth = authorization_header(
                    &phone.challenge,
                    &phone.user,
                    &password,
                    "REGISTER",
                    &uri,
                    phone.nc,
                    "0a4f113b",
                )
                .expect("authorization");
                register(&phone.user, phone.cseq, Some(&auth)).into_bytes()
            })
            .collect()
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn benches(c: &mut Criterion) {
    let mut bench = Bench::new();
    c.bench_function("register_parse_and_handle", |b| {
        b.iter_custom(|iters| {
            let messages = bench.messages(iters);
            let (now, unix) = (Instant::now(), unix_now());
            let mut refused = 0u64;
            let start = Instant::now();
            for bytes in &messages {
                let Ok(SipMessage::Request(req)) = parse_message(black_box(bytes)) else { unreachable!() };
                let out = bench.registrar.handle_register(now, unix, &req, bench.origin, &bench.book, "t");
                refused += u64::from(out.response.status_code.code() != 200);
                while let Some(change) = bench.registrar.poll_change() {
                    black_box(change);
                }
                black_box(out.response);
            }
            let took = start.elapsed();
            assert_eq!(refused, 0, "every REGISTER must be accepted");
            took
        })
    });
    let sample = bench.messages(1).remove(0);
    c.bench_function("parse_register", |b| b.iter(|| parse_message(black_box(&sample)).is_ok()));
}

criterion_group!(registrar, benches);
criterion_main!(registrar);
