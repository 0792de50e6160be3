//! The B2BUA driven through its public API on a virtual clock, the way the
//! switch's driver drives it: requests and responses are literal SIP text,
//! transaction keys are derived as the transaction layer derives them, and
//! every test reads the commands the B2BUA queues.
//!
//! Layout: this module holds the harness (a switch on a virtual clock, the
//! calls the tests start from); `messages` writes and reads what the phones
//! send and receive; `forking` covers the initial INVITE, `auth` a trunk's
//! digest challenge, `dialog` the in-dialog requests, `timers` what happens
//! when time passes, `originate` the calls the switch places itself.

mod auth;
mod dialog;
mod forking;
mod hosted;
mod messages;
mod originate;
mod plans;
mod timers;
mod transfer;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rsip::{Request, Response};
use voxide_sdp::Direction;
use voxide_sip::Transport;
use voxide_sip::transaction::TransactionKey;

use crate::{B2bua, B2buaConfig, Command, Flow, HangupCause, NewCall, Side, Target};
use messages::*;

const T1: Duration = Duration::from_millis(500);
const RING_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an ended call is remembered for late messages.
const LINGER: Duration = Duration::from_secs(32);
/// Relay ports facing A and B.
const PORT_A: u16 = 20000;
const PORT_B: u16 = 20002;
const CALL: u64 = 7;
const UUID: &str = "6f1c2d9e-0b7a-4a43-9a35-1d2c3b4a5f60";

fn switch_sip() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}

fn media_ip() -> IpAddr {
    "198.51.100.7".parse().unwrap()
}

fn udp(addr: &str) -> Flow {
    Flow { addr: addr.parse().unwrap(), transport: Transport::Udp }
}

/// The caller's phone.
const A_ADDR: &str = "10.0.0.1:5060";
const A_CALL_ID: &str = "a84b4c76e66710@10.0.0.1";
const A_FROM: &str = "\"Alice\" <sip:1001@voxide.test>;tag=a-tag";
const A_CONTACT: &str = "sip:1001@10.0.0.1:5060";

/// Callee devices: (address, Contact they register and answer with).
const FORKS: [(&str, &str); 3] = [
    ("10.0.0.2:5070", "sip:1002@10.0.0.2:5070"),
    ("10.0.0.3:5080", "sip:1002@10.0.0.3:5080"),
    ("10.0.0.4:5090", "sip:1002@10.0.0.4:5090"),
];

/// What one step of the B2BUA produced.
#[derive(Debug)]
struct Out(Vec<Command>);

impl Out {
    /// Requests sent through client transactions with `method`.
    fn requests(&self, method: &str) -> Vec<(Flow, Request)> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::Request { flow, request } if request.method.to_string() == method => {
                    Some((*flow, request.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn request(&self, method: &str) -> (Flow, Request) {
        let mut all = self.requests(method);
        assert_eq!(all.len(), 1, "expected one {method} in {:#?}", self.0);
        all.remove(0)
    }

    fn acks(&self) -> Vec<(Flow, Request)> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::Ack { flow, request } => Some((*flow, request.clone())),
                _ => None,
            })
            .collect()
    }

    /// Responses sent through server transaction `key`, as statuses.
    fn statuses(&self, key: &TransactionKey) -> Vec<u16> {
        self.responses(key).iter().map(crate::build::status).collect()
    }

    fn responses(&self, key: &TransactionKey) -> Vec<Response> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::Respond { key: k, response } if k == key => Some(response.clone()),
                _ => None,
            })
            .collect()
    }

    fn response(&self, key: &TransactionKey) -> Response {
        let mut all = self.responses(key);
        assert_eq!(all.len(), 1, "expected one response on {key} in {:#?}", self.0);
        all.remove(0)
    }

    fn ended(&self) -> Vec<HangupCause> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::Ended { call, cause } => {
                    assert_eq!(*call, CALL);
                    Some(*cause)
                }
                _ => None,
            })
            .collect()
    }

    fn answered(&self) -> bool {
        self.0.iter().any(|c| matches!(c, Command::Answered { call: CALL }))
    }

    fn media_remote(&self, side: Side) -> Vec<SocketAddr> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::MediaRemote { call: CALL, side: s, addr } if *s == side => Some(*addr),
                _ => None,
            })
            .collect()
    }

    fn holds(&self) -> Vec<bool> {
        self.0
            .iter()
            .filter_map(|c| match c {
                Command::MediaHold { call: CALL, on } => Some(*on),
                _ => None,
            })
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The B2BUA on a virtual clock.
struct Switch {
    b2b: B2bua,
    start: Instant,
    now: Instant,
}

impl Switch {
    fn new() -> Self {
        let config = B2buaConfig { sip_addr: switch_sip(), media_ip: media_ip(), ring_timeout: RING_TIMEOUT, t1: T1 };
        let now = Instant::now();
        Self { b2b: B2bua::new(config), start: now, now }
    }

    fn out(&mut self) -> Out {
        Out(std::iter::from_fn(|| self.b2b.poll_command()).collect())
    }

    fn at(&mut self, since_start: Duration) {
        assert!(self.start + since_start >= self.now, "the clock only moves forward");
        self.now = self.start + since_start;
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Runs every timer due up to `since_start`, returning what each
    /// firing produced and when.
    fn run_until(&mut self, since_start: Duration) -> Vec<(Duration, Out)> {
        let end = self.start + since_start;
        let mut fired = Vec::new();
        while let Some(at) = self.b2b.poll_timeout().filter(|t| *t <= end) {
            assert!(at >= self.now, "a timer is due in the past");
            self.now = at;
            self.b2b.handle_timeout(at);
            fired.push((self.elapsed(), self.out()));
        }
        self.now = end;
        fired
    }

    fn response(&mut self, resp: Response, to: &Request) -> Out {
        self.b2b.response(self.now, &client_key(to), resp);
        self.out()
    }

    fn request(&mut self, req: Request, from: Flow) -> (bool, Out) {
        let key = (req.method != rsip::Method::Ack).then(|| server_key(&req));
        let owned = self.b2b.request(self.now, key, req, from);
        (owned, self.out())
    }
}

/// A call whose INVITE has been forked; the phones have not answered yet.
struct Ringing {
    sw: Switch,
    invite: Request,
    key: TransactionKey,
    /// The INVITE each fork received, in target order.
    forks: Vec<(Flow, Request)>,
    start: Out,
}

fn ringing(n: usize) -> Ringing {
    ringing_from(caller_invite("z9hG4bKcaller1"), n)
}

fn ringing_from(invite: Request, n: usize) -> Ringing {
    let targets = FORKS[..n]
        .iter()
        .map(|(addr, contact)| Target {
            uri: contact.to_string(),
            to: "<sip:1002@voxide.test>".into(),
            flow: udp(addr),
            credentials: None,
        })
        .collect();
    start_call_from(invite, targets)
}

fn start_call(targets: Vec<Target>) -> Ringing {
    start_call_from(caller_invite("z9hG4bKcaller1"), targets)
}

fn start_call_from(invite: Request, targets: Vec<Target>) -> Ringing {
    let mut sw = Switch::new();
    let key = server_key(&invite);
    let n = targets.len();
    sw.b2b.start(
        sw.now,
        NewCall {
            id: CALL,
            call_uuid: UUID.into(),
            key: key.clone(),
            invite: invite.clone(),
            a_flow: udp(A_ADDR),
            targets,
            media_ports: (PORT_A, PORT_B),
        },
    );
    let start = sw.out();
    let forks = start.requests("INVITE");
    assert_eq!(forks.len(), n, "one INVITE per target");
    Ringing { sw, invite, key, forks, start }
}

/// A call answered by its only fork; A has not ACKed yet.
struct Answered {
    sw: Switch,
    invite: Request,
    key: TransactionKey,
    /// B's INVITE and B's 200 to it.
    b_invite: Request,
    b_ok: Response,
    /// Our 200 to A.
    a_ok: Response,
}

const B_TAG: &str = "b-tag";
const B_ADDR: &str = FORKS[0].0;
const B_CONTACT: &str = FORKS[0].1;

fn answered() -> Answered {
    answered_with(caller_invite("z9hG4bKcaller1"), &[])
}

/// A call from `invite`, answered by its only fork with `extra` headers.
fn answered_with(invite: Request, extra: &[(&str, &str)]) -> Answered {
    let Ringing { mut sw, invite, key, forks, .. } = ringing_from(invite, 1);
    let (_, b_invite) = forks[0].clone();
    sw.response(reply(&b_invite, 180, B_TAG, Some(B_CONTACT), None), &b_invite);
    let b_ok = reply_with(&b_invite, 200, B_TAG, Some(B_CONTACT), extra, Some(&sdp("10.0.0.2", 30000, "sendrecv")));
    let a_ok = sw.response(b_ok.clone(), &b_invite).response(&key);
    Answered { sw, invite, key, b_invite, b_ok, a_ok }
}

/// A call answered and ACKed by A.
fn confirmed() -> Answered {
    confirm(answered())
}

fn confirm(mut call: Answered) -> Answered {
    let ack = call.a_request("ACK", 1, "z9hG4bKcaller1ack", None);
    let (owned, out) = call.sw.request(ack, udp(A_ADDR));
    assert!(owned && out.is_empty(), "{out:?}");
    call
}

impl Answered {
    /// Our To-tag toward A.
    fn a_tag(&self) -> String {
        tag(&header(&self.a_ok.to_string(), "To").unwrap())
    }

    /// An in-dialog request from A.
    fn a_request(&self, method: &str, cseq: u32, branch: &str, body: Option<&str>) -> Request {
        let target = crate::build::contact_uri(&self.a_ok.headers).expect("our Contact toward A");
        let head = format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {A_ADDR};branch={branch};rport\r\nMax-Forwards: 70\r\n\
             From: {A_FROM}\r\nTo: <sip:1002@voxide.test>;tag={}\r\nCall-ID: {A_CALL_ID}\r\nCSeq: {cseq} {method}\r\n\
             Contact: <{A_CONTACT}>\r\n",
            self.a_tag()
        );
        parse_request(&with_body(head, body))
    }

    /// An in-dialog request from B.
    fn b_request(&self, method: &str, cseq: u32, branch: &str, body: Option<&str>) -> Request {
        let b = Answerer { invite: &self.b_invite, ok: &self.b_ok, addr: B_ADDR, contact: B_CONTACT };
        b.request(method, cseq, branch, body)
    }
}

/// A phone the switch dialled (`invite`) that answered (`ok`) from `addr`
/// with Contact `contact`.
struct Answerer<'a> {
    invite: &'a Request,
    ok: &'a Response,
    addr: &'a str,
    contact: &'a str,
}

impl Answerer<'_> {
    /// A request of its own in the dialog, in its own CSeq space.
    fn request(&self, method: &str, cseq: u32, branch: &str, body: Option<&str>) -> Request {
        let (addr, contact, text) = (self.addr, self.contact, self.invite.to_string());
        let target = crate::build::contact_uri(&self.invite.headers).expect("our Contact in the INVITE");
        let head = format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {addr};branch={branch};rport\r\nMax-Forwards: 70\r\n\
             From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\nContact: <{contact}>\r\n",
            header(&self.ok.to_string(), "To").unwrap(),
            header(&text, "From").unwrap(),
            header(&text, "Call-ID").unwrap(),
        );
        parse_request(&with_body(head, body))
    }
}
