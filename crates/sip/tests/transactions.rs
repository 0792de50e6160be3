//! Transaction layer behaviour over a simulated network: a client layer and
//! a server layer wired back to back, a virtual clock that jumps straight
//! to the next event, configurable latency and loss.

use std::time::{Duration, Instant};

use rsip::prelude::*;
use voxide_sip::transaction::{
    Incoming, TimerConfig, TransactionEvent, TransactionKey, TransactionLayer, TransactionState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    ToServer,
    ToClient,
}

/// Something scheduled on the virtual timeline besides layer timers.
enum Pending {
    Deliver(Dir, rsip::SipMessage),
    /// A response the server TU sends at a scripted time.
    Answer(TransactionKey, rsip::Response),
}

/// One message put on the wire, kept for timing assertions.
#[derive(Debug)]
struct Wire {
    at: Duration,
    dir: Dir,
    /// Method for requests, status code for responses.
    label: String,
    dropped: bool,
}

struct Pair {
    start: Instant,
    now: Instant,
    client: TransactionLayer,
    server: TransactionLayer,
    reliable: bool,
    latency: Duration,
    /// 1-based indexes of messages to lose, counted per direction.
    drop_to_server: Vec<usize>,
    drop_to_client: Vec<usize>,
    sent_to_server: usize,
    sent_to_client: usize,
    pending: Vec<(Instant, u64, Pending)>,
    seq: u64,
    /// Server TU script: answer every new request with these statuses at
    /// these delays after it arrived.
    answers: Vec<(Duration, u16)>,
    wire: Vec<Wire>,
    client_events: Vec<(Duration, TransactionEvent)>,
    server_events: Vec<(Duration, TransactionEvent)>,
    client_incoming: Vec<Incoming>,
    server_incoming: Vec<Incoming>,
    tu_errors: Vec<String>,
    acks_sent: u32,
}

impl Pair {
    fn new(reliable: bool) -> Self {
        let start = Instant::now();
        Self {
            start,
            now: start,
            client: TransactionLayer::new(TimerConfig::default()),
            server: TransactionLayer::new(TimerConfig::default()),
            reliable,
            latency: ms(10),
            drop_to_server: Vec::new(),
            drop_to_client: Vec::new(),
            sent_to_server: 0,
            sent_to_client: 0,
            pending: Vec::new(),
            seq: 0,
            answers: Vec::new(),
            wire: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_incoming: Vec::new(),
            server_incoming: Vec::new(),
            tu_errors: Vec::new(),
            acks_sent: 0,
        }
    }

    fn udp() -> Self {
        Self::new(false)
    }

    fn answering(mut self, answers: &[(u64, u16)]) -> Self {
        self.answers = answers.iter().map(|&(at, code)| (ms(at), code)).collect();
        self
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    fn send(&mut self, request: rsip::Request) -> TransactionKey {
        let key = self.client.send_request(self.now, request, self.reliable).expect("client accepts the request");
        self.flush();
        key
    }

    fn schedule(&mut self, at: Instant, item: Pending) {
        self.seq += 1;
        self.pending.push((at, self.seq, item));
    }

    fn put_on_wire(&mut self, dir: Dir, message: rsip::SipMessage) {
        let (count, drops) = match dir {
            Dir::ToServer => (&mut self.sent_to_server, &self.drop_to_server),
            Dir::ToClient => (&mut self.sent_to_client, &self.drop_to_client),
        };
        *count += 1;
        let dropped = drops.contains(count);
        let label = match &message {
            rsip::SipMessage::Request(request) => request.method.to_string(),
            rsip::SipMessage::Response(response) => response.status_code.code().to_string(),
        };
        self.wire.push(Wire { at: self.elapsed(), dir, label, dropped });
        if !dropped {
            self.schedule(self.now + self.latency, Pending::Deliver(dir, message));
        }
    }

    /// Moves everything both layers produced onto the wire and plays the
    /// TUs: the server answers per script, the client ACKs every 2xx to
    /// INVITE with a fresh branch as a UAC core does (§13.2.2.4).
    fn flush(&mut self) {
        while let Some(transmit) = self.client.poll_transmit() {
            self.put_on_wire(Dir::ToServer, transmit.message);
        }
        while let Some(transmit) = self.server.poll_transmit() {
            self.put_on_wire(Dir::ToClient, transmit.message);
        }
        let at = self.elapsed();
        while let Some(event) = self.server.poll_event() {
            if let TransactionEvent::Request { key, request } = &event {
                for (delay, code) in self.answers.clone() {
                    let answer = Pending::Answer(key.clone(), response_to(request, code));
                    self.schedule(self.now + delay, answer);
                }
            }
            self.server_events.push((at, event));
        }
        while let Some(event) = self.client.poll_event() {
            if let TransactionEvent::Response { key, response } = &event
                && key.method() == rsip::Method::Invite
                && response.status_code.code() / 100 == 2
            {
                self.acks_sent += 1;
                let ack = ack_for_2xx(response, self.acks_sent);
                self.put_on_wire(Dir::ToServer, ack.into());
            }
            self.client_events.push((at, event));
        }
    }

    /// Processes the earliest pending delivery, TU action or layer timer.
    /// Returns false when nothing is left to happen.
    fn step(&mut self) -> bool {
        let next_pending = self
            .pending
            .iter()
            .enumerate()
            .min_by_key(|(_, (at, seq, _))| (*at, *seq))
            .map(|(index, (at, _, _))| (*at, index));
        let timers = [self.client.poll_timeout(), self.server.poll_timeout()];
        let next_timer = timers.iter().flatten().min().copied();
        match (next_pending, next_timer) {
            (Some((at, index)), timer) if timer.is_none_or(|t| at <= t) => {
                self.now = self.now.max(at);
                let (_, _, item) = self.pending.swap_remove(index);
                self.run(item);
            }
            (_, Some(at)) => {
                self.now = self.now.max(at);
                self.client.handle_timeout(self.now);
                self.server.handle_timeout(self.now);
            }
            _ => return false,
        }
        self.flush();
        true
    }

    fn run(&mut self, item: Pending) {
        match item {
            Pending::Deliver(Dir::ToServer, message) => {
                let incoming = self.server.handle_incoming(self.now, message, self.reliable);
                self.server_incoming.push(incoming.expect("server parses"));
            }
            Pending::Deliver(Dir::ToClient, message) => {
                let incoming = self.client.handle_incoming(self.now, message, self.reliable);
                self.client_incoming.push(incoming.expect("client parses"));
            }
            Pending::Answer(key, response) => {
                if let Err(error) = self.server.send_response(self.now, &key, response) {
                    self.tu_errors.push(error.to_string());
                }
            }
        }
    }

    /// Runs until nothing is scheduled: every transaction has terminated.
    fn drive(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                assert!(self.client.is_empty() && self.server.is_empty());
                return;
            }
        }
        panic!("simulation did not settle");
    }

    /// Runs until virtual time reaches `elapsed` after the start.
    fn run_until(&mut self, elapsed: Duration) {
        let deadline = self.start + elapsed;
        loop {
            let pending = self.pending.iter().map(|(at, _, _)| *at).min();
            let timers = [pending, self.client.poll_timeout(), self.server.poll_timeout()];
            match timers.iter().flatten().min() {
                Some(next) if *next <= deadline => {
                    self.step();
                }
                _ => break,
            }
        }
        self.now = self.now.max(deadline);
    }

    /// Times at which messages with `label` went onto the wire in `dir`.
    fn sent(&self, dir: Dir, label: &str) -> Vec<Duration> {
        self.wire.iter().filter(|w| w.dir == dir && w.label == label).map(|w| w.at).collect()
    }

    fn lost(&self) -> usize {
        self.wire.iter().filter(|w| w.dropped).count()
    }

    /// Codes of the responses the client TU received, in order.
    fn client_responses(&self) -> Vec<u16> {
        self.client_events
            .iter()
            .filter_map(|(_, event)| match event {
                TransactionEvent::Response { response, .. } => Some(response.status_code.code()),
                _ => None,
            })
            .collect()
    }

    fn requests_seen_by_server_tu(&self) -> usize {
        let new = |(_, e): &&(Duration, TransactionEvent)| matches!(e, TransactionEvent::Request { .. });
        self.server_events.iter().filter(new).count()
    }

    fn terminated_at(events: &[(Duration, TransactionEvent)]) -> Vec<Duration> {
        events.iter().filter(|(_, e)| matches!(e, TransactionEvent::Terminated { .. })).map(|(at, _)| *at).collect()
    }

    fn timeouts(events: &[(Duration, TransactionEvent)]) -> Vec<Duration> {
        events.iter().filter(|(_, e)| matches!(e, TransactionEvent::Timeout { .. })).map(|(at, _)| *at).collect()
    }

    fn absorbed_by_server(&self) -> usize {
        let absorbed = |i: &&Incoming| matches!(i, Incoming::Absorbed { .. });
        self.server_incoming.iter().filter(absorbed).count()
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn times(millis: &[u64]) -> Vec<Duration> {
    millis.iter().copied().map(ms).collect()
}

fn parse_request(text: &str) -> rsip::Request {
    match rsip::SipMessage::try_from(text) {
        Ok(rsip::SipMessage::Request(request)) => request,
        other => panic!("test request does not parse: {other:?}"),
    }
}

fn register() -> rsip::Request {
    parse_request(
        "REGISTER sip:registrar.example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKreg1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:alice@example.com>\r\n\
         Call-ID: reg-call@client.example.com\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:alice@client.example.com>\r\n\
         Expires: 3600\r\n\
         Content-Length: 0\r\n\r\n",
    )
}

fn invite() -> rsip::Request {
    parse_request(
        "INVITE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKinv1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: inv-call@client.example.com\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@client.example.com>\r\n\
         Content-Length: 0\r\n\r\n",
    )
}

/// A response as a UAS core builds it (§8.2.6): Via, From, Call-ID and
/// CSeq copied, a To tag added to anything but 100.
fn response_to(request: &rsip::Request, code: u16) -> rsip::Response {
    let mut text = format!("SIP/2.0 {code} Test\r\n");
    for header in request.headers.iter() {
        match header {
            rsip::Header::Via(_) | rsip::Header::From(_) | rsip::Header::CallId(_) | rsip::Header::CSeq(_) => {
                text.push_str(&format!("{header}\r\n"))
            }
            rsip::Header::To(_) if code > 100 => text.push_str(&format!("{header};tag=b1\r\n")),
            rsip::Header::To(_) => text.push_str(&format!("{header}\r\n")),
            _ => {}
        }
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match rsip::SipMessage::try_from(text) {
        Ok(rsip::SipMessage::Response(response)) => response,
        other => panic!("test response does not parse: {other:?}"),
    }
}

/// ACK for a 2xx as the UAC core sends it: a new transaction-less request
/// with its own branch (§13.2.2.4).
fn ack_for_2xx(response: &rsip::Response, n: u32) -> rsip::Request {
    let header = |value: Result<String, rsip::Error>| value.expect("2xx carries the header");
    let (seq, _) = response.cseq_header().map(|c| (c.seq(), c.method())).expect("2xx carries CSeq");
    parse_request(&format!(
        "ACK sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKack{n}\r\n\
         Max-Forwards: 70\r\n{}\r\n{}\r\n{}\r\nCSeq: {} ACK\r\nContent-Length: 0\r\n\r\n",
        header(response.from_header().map(|h| h.to_string())),
        header(response.to_header().map(|h| h.to_string())),
        header(response.call_id_header().map(|h| h.to_string())),
        seq.expect("numeric CSeq"),
    ))
}

// ---------------------------------------------------------------- timers

#[test]
fn unanswered_invite_is_retransmitted_on_timer_a_doubling_from_t1() {
    let mut pair = Pair::udp();
    pair.drop_to_server = (1..=20).collect();
    pair.send(invite());
    pair.drive();
    // Intervals 0.5, 1, 2, 4, 8, 16 s; the next would land after timer B.
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0, 500, 1500, 3500, 7500, 15500, 31500]));
}

#[test]
fn unanswered_invite_times_out_on_timer_b_after_64_t1() {
    let mut pair = Pair::udp();
    pair.drop_to_server = (1..=20).collect();
    pair.send(invite());
    pair.drive();
    assert_eq!(Pair::timeouts(&pair.client_events), times(&[32_000]));
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[32_000]));
}

#[test]
fn unanswered_register_retransmits_on_timer_e_capped_at_t2_until_timer_f() {
    let mut pair = Pair::udp();
    pair.drop_to_server = (1..=20).collect();
    pair.send(register());
    pair.drive();
    assert_eq!(
        pair.sent(Dir::ToServer, "REGISTER"),
        times(&[0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500])
    );
    assert_eq!(Pair::timeouts(&pair.client_events), times(&[32_000]));
}

#[test]
fn provisional_response_slows_register_retransmissions_to_t2() {
    let mut pair = Pair::udp().answering(&[(0, 100), (10_000, 200)]);
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "REGISTER"), times(&[0, 500, 4500, 8500]));
    // Each retransmission was answered with the latest provisional.
    assert_eq!(pair.sent(Dir::ToClient, "100"), times(&[10, 510, 4510, 8510]));
    // Proceeding passes every provisional up (§17.1.2.2), copies included.
    assert_eq!(pair.client_responses(), [100, 100, 100, 100, 200]);
}

#[test]
fn completed_register_client_lingers_for_timer_k_and_server_for_timer_j() {
    let mut pair = Pair::udp().answering(&[(0, 200)]);
    pair.send(register());
    pair.drive();
    // K = T4 after the 200 arrived at 20 ms; J = 64*T1 after it was sent.
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[5_020]));
    assert_eq!(Pair::terminated_at(&pair.server_events), times(&[32_010]));
}

#[test]
fn silent_invite_server_sends_100_trying_after_200ms() {
    let mut pair = Pair::udp().answering(&[(1_000, 180), (2_000, 486)]);
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "100"), times(&[210]));
    // The 100 reached the client before timer A, so no retransmission.
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0]));
    assert_eq!(pair.client_responses(), [100, 180, 486]);
}

#[test]
fn prompt_provisional_from_tu_suppresses_100_trying() {
    let mut pair = Pair::udp().answering(&[(100, 180), (2_000, 486)]);
    pair.send(invite());
    pair.drive();
    assert!(pair.sent(Dir::ToClient, "100").is_empty());
    assert_eq!(pair.client_responses(), [180, 486]);
}

#[test]
fn rejected_invite_lingers_for_timer_d_and_acked_server_for_timer_i() {
    let mut pair = Pair::udp().answering(&[(0, 486)]);
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "ACK"), times(&[20]));
    // D = 32 s after the 486 arrived; I = T4 after the ACK arrived.
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[32_020]));
    assert_eq!(Pair::terminated_at(&pair.server_events), times(&[5_030]));
}

#[test]
fn unacknowledged_rejection_is_resent_on_timer_g_until_timer_h() {
    let mut pair = Pair::udp().answering(&[(0, 486)]);
    pair.drop_to_server = (2..=40).collect();
    pair.send(invite());
    pair.drive();
    assert_eq!(
        pair.sent(Dir::ToClient, "486"),
        times(&[10, 510, 1510, 3510, 7510, 11510, 15510, 19510, 23510, 27510, 31510])
    );
    assert_eq!(Pair::timeouts(&pair.server_events), times(&[32_010]));
    // The client TU saw the rejection once; the rest were re-ACKed.
    assert_eq!(pair.client_responses(), [486]);
    assert_eq!(pair.sent(Dir::ToServer, "ACK").len(), 11);
}

#[test]
fn accepted_invite_ends_on_timer_l_at_server_and_timer_m_at_client() {
    let mut pair = Pair::udp().answering(&[(0, 200)]);
    let key = pair.send(invite());
    pair.run_until(ms(1_000));
    assert_eq!(pair.client.state(&key), Some(TransactionState::Accepted));
    pair.drive();
    assert_eq!(Pair::terminated_at(&pair.server_events), times(&[32_010]));
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[32_020]));
}

// ------------------------------------------------------- loss, REGISTER

#[test]
fn lost_register_request_is_retransmitted_until_answered() {
    let mut pair = Pair::udp().answering(&[(0, 200)]);
    pair.drop_to_server = vec![1];
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "REGISTER"), times(&[0, 500]));
    assert_eq!(pair.client_responses(), [200]);
    assert_eq!(pair.requests_seen_by_server_tu(), 1);
}

#[test]
fn lost_provisional_to_register_is_resent_on_request_retransmission() {
    let mut pair = Pair::udp().answering(&[(0, 100), (2_000, 200)]);
    pair.drop_to_client = vec![1];
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "100"), times(&[10, 510, 1510]));
    assert_eq!(pair.client_responses(), [100, 100, 200]);
}

#[test]
fn lost_register_final_is_resent_when_retransmitted_request_is_absorbed() {
    let mut pair = Pair::udp().answering(&[(0, 200)]);
    pair.drop_to_client = vec![1];
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "200"), times(&[10, 510]));
    assert_eq!(pair.client_responses(), [200]);
    // The retransmission never reached the server TU.
    assert_eq!(pair.requests_seen_by_server_tu(), 1);
    assert_eq!(pair.absorbed_by_server(), 1);
}

#[test]
fn register_request_retransmissions_after_completion_are_absorbed_by_client() {
    // With 400 ms each way timer E fires before the 200 is back; the
    // server answers the copy too, and the client absorbs the second 200.
    let mut pair = Pair::udp().answering(&[(0, 200)]);
    pair.latency = ms(400);
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "REGISTER"), times(&[0, 500]));
    assert_eq!(pair.client_responses(), [200]);
    let absorbed = |i: &&Incoming| matches!(i, Incoming::Absorbed { .. });
    assert_eq!(pair.client_incoming.iter().filter(absorbed).count(), 1);
}

// --------------------------------------------------------- loss, INVITE

#[test]
fn lost_invite_is_retransmitted_on_timer_a() {
    let mut pair = Pair::udp().answering(&[(0, 180), (1_000, 200)]);
    pair.drop_to_server = vec![1];
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0, 500]));
    assert_eq!(pair.client_responses(), [180, 200]);
    assert_eq!(pair.sent(Dir::ToServer, "ACK"), times(&[1_520]));
}

#[test]
fn lost_ringing_is_resent_when_invite_is_retransmitted() {
    let mut pair = Pair::udp().answering(&[(0, 180), (5_000, 200)]);
    pair.drop_to_client = vec![1];
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "180"), times(&[10, 510]));
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0, 500]));
    assert_eq!(pair.client_responses(), [180, 200]);
}

#[test]
fn lost_rejection_is_recovered_and_acked_once_delivered() {
    let mut pair = Pair::udp().answering(&[(0, 486)]);
    pair.drop_to_client = vec![1];
    pair.send(invite());
    pair.drive();
    // Timer G and the INVITE retransmission both bring the 486 back.
    assert_eq!(pair.sent(Dir::ToClient, "486"), times(&[10, 510, 510]));
    assert_eq!(pair.client_responses(), [486]);
    assert_eq!(pair.sent(Dir::ToServer, "ACK"), times(&[520, 520]));
    assert!(Pair::timeouts(&pair.server_events).is_empty());
}

#[test]
fn lost_ack_for_rejection_is_regenerated_on_retransmitted_response() {
    let mut pair = Pair::udp().answering(&[(0, 486)]);
    pair.drop_to_server = vec![2];
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "ACK"), times(&[20, 520]));
    assert_eq!(pair.sent(Dir::ToClient, "486"), times(&[10, 510]));
    assert_eq!(pair.client_responses(), [486]);
    assert!(Pair::timeouts(&pair.server_events).is_empty());
}

#[test]
fn lost_2xx_is_recovered_by_tu_retransmission_while_invite_copies_are_absorbed() {
    // The server TU retransmits its 200 itself (§13.3.1.4).
    let mut pair = Pair::udp().answering(&[(0, 200), (500, 200), (1_500, 200)]);
    pair.drop_to_client = vec![1];
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0, 500]));
    // Only the TU's copies went out: the transaction never resent the 2xx.
    assert_eq!(pair.sent(Dir::ToClient, "200"), times(&[10, 510, 1510]));
    assert_eq!(pair.absorbed_by_server(), 1);
    assert_eq!(pair.client_responses(), [200, 200]);
}

#[test]
fn retransmitted_2xx_reaches_client_tu_while_accepted() {
    let mut pair = Pair::udp().answering(&[(0, 200), (500, 200), (1_500, 200)]);
    pair.drop_to_server = vec![2];
    pair.send(invite());
    pair.drive();
    // RFC 6026: every 2xx copy goes up, so the TU can ACK each one.
    assert_eq!(pair.client_responses(), [200, 200, 200]);
    assert_eq!(pair.sent(Dir::ToServer, "ACK"), times(&[20, 520, 1520]));
    // ACKs for 2xx carry their own branch and reach the server TU as stray.
    let stray = |i: &&Incoming| matches!(i, Incoming::Stray(_));
    assert_eq!(pair.server_incoming.iter().filter(stray).count(), 2);
}

// ------------------------------------------------------ reliable transport

#[test]
fn reliable_transport_never_retransmits_unanswered_requests() {
    let mut pair = Pair::new(true);
    pair.drop_to_server = (1..=20).collect();
    pair.send(invite());
    pair.send(register());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToServer, "INVITE"), times(&[0]));
    assert_eq!(pair.sent(Dir::ToServer, "REGISTER"), times(&[0]));
    assert_eq!(Pair::timeouts(&pair.client_events), times(&[32_000, 32_000]));
}

#[test]
fn reliable_transport_terminates_completed_transactions_at_once() {
    let mut pair = Pair::new(true).answering(&[(0, 486)]);
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "486"), times(&[10]));
    // Timers D and I are zero: both sides end as soon as the exchange does.
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[20]));
    assert_eq!(Pair::terminated_at(&pair.server_events), times(&[30]));

    let mut pair = Pair::new(true).answering(&[(0, 200)]);
    pair.send(register());
    pair.drive();
    // Timers K and J are zero.
    assert_eq!(Pair::terminated_at(&pair.client_events), times(&[20]));
    assert_eq!(Pair::terminated_at(&pair.server_events), times(&[10]));
}

#[test]
fn reliable_rejection_waits_for_ack_until_timer_h_without_retransmitting() {
    let mut pair = Pair::new(true).answering(&[(0, 486)]);
    pair.drop_to_server = vec![2];
    pair.send(invite());
    pair.drive();
    assert_eq!(pair.sent(Dir::ToClient, "486"), times(&[10]));
    assert_eq!(Pair::timeouts(&pair.server_events), times(&[32_010]));
}

// ---------------------------------------------------------- bookkeeping

#[test]
fn every_transaction_is_removed_after_a_busy_exchange() {
    let mut pair = Pair::udp().answering(&[(0, 100), (300, 200)]);
    pair.drop_to_client = vec![2, 5];
    pair.drop_to_server = vec![3];
    for n in 0..20 {
        let mut request = register();
        let via = format!("SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKbulk{n}");
        if let Ok(header) = request.via_header_mut() {
            header.replace(via);
        }
        pair.send(request);
    }
    assert_eq!(pair.client.len(), 20);
    pair.drive();
    assert_eq!(pair.lost(), 3);
    assert!(pair.client.is_empty() && pair.server.is_empty());
    assert_eq!(Pair::terminated_at(&pair.client_events).len(), 20);
    assert_eq!(pair.requests_seen_by_server_tu(), 20);
    assert!(pair.tu_errors.is_empty(), "{:?}", pair.tu_errors);
}

#[test]
fn answering_a_terminated_transaction_is_an_error() {
    let mut pair = Pair::udp().answering(&[(0, 200), (40_000, 200)]);
    pair.send(register());
    pair.drive();
    assert_eq!(pair.tu_errors.len(), 1);
}
