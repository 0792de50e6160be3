//! The driver: one task that owns the sans-IO cores (transaction layer,
//! registrar), feeds them what the transports receive and the timers they
//! ask for, and carries out what they return.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rsip::headers::{self, Header};
use rsip::prelude::*;
use rsip::{Method, Request, SipMessage};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use voxide_registrar::{BindingChange, Registrar};
use voxide_sip::transaction::{Incoming, TransactionEvent, TransactionKey, TransactionLayer};
use voxide_sip::{ParseError, Transport, parse_message, response_to};

use voxide_b2bua::B2bua;
use voxide_b2bua::routing::RouteTable;
use voxide_media::{MediaEngine, MediaEvent};

use crate::calls::{Calls, Trunk};
use crate::cdr::CdrWriter;
use crate::directory::Directory;
use crate::persist::Persist;
use crate::stats::Stats;
use crate::transport::{Inbound, TcpWriters};

/// Option tags we support; a `Require` naming another gets 420.
const SUPPORTED_TAGS: [&str; 3] = ["path", "replaces", "timer"];

pub(crate) struct Driver {
    pub(crate) udp: Arc<UdpSocket>,
    pub(crate) tcp: TcpWriters,
    pub(crate) layer: TransactionLayer,
    pub(crate) registrar: Registrar,
    pub(crate) directory: Directory,
    pub(crate) stats: Arc<Stats>,
    pub(crate) persist: Persist,
    /// Where each transaction's messages go.
    pub(crate) peers: HashMap<TransactionKey, (SocketAddr, Transport)>,
    pub(crate) b2bua: B2bua,
    pub(crate) media: MediaEngine,
    pub(crate) calls: Calls,
    pub(crate) next_call: u64,
    pub(crate) cdr: CdrWriter,
    pub(crate) routes: RouteTable,
    pub(crate) trunks: Vec<Trunk>,
    /// Tenant of calls that name none (e.g. from an unknown trunk).
    pub(crate) default_tenant: i64,
    pub(crate) recordings_dir: std::path::PathBuf,
    pub(crate) uplinks: crate::uplinks::Uplinks,
    /// Live events for API clients; publishing never waits.
    pub(crate) events: voxide_events::EventBus,
    /// Sends calls' events to their `status_callback`.
    pub(crate) callbacks: voxide_events::Webhooks,
    /// Recognizers for live transcription, when a model is configured.
    pub(crate) stt: Option<Arc<voxide_stt::SttPool>>,
    pub(crate) registration_events: crate::registration_events::RegistrationEvents,
    /// Runs the menus the switch hosts.
    pub(crate) menus: crate::menus::MenuHost,
    /// Runs PBX call plans (forwards, hunt groups, voicemail).
    pub(crate) plans: crate::plans::PlanHost,
    /// Texts (SIP MESSAGE) in flight to phones.
    pub(crate) texts: crate::texts::Texts,
}

impl Driver {
    pub(crate) async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut dropped_aors: mpsc::UnboundedReceiver<String>,
        mut media_events: mpsc::UnboundedReceiver<MediaEvent>,
        mut call_requests: mpsc::UnboundedReceiver<crate::call_control::CallRequest>,
        shutdown: CancellationToken,
    ) {
        let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
        loop {
            let deadline = match (self.layer.poll_timeout(), self.b2bua.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = inbound.recv() => match msg {
                    Some(msg) => self.handle_inbound(msg).await,
                    None => break,
                },
                () = sleep => {
                    let now = Instant::now();
                    self.layer.handle_timeout(now);
                    self.b2bua.handle_timeout(now);
                }
                Some(aor) = dropped_aors.recv() => self.registrar.drop_aor(&aor),
                Some(event) = media_events.recv() => self.on_media_event(event),
                Some(request) = call_requests.recv() => self.on_call_request(request),
                _ = housekeeping.tick() => {
                    self.registrar.handle_timeout(Instant::now(), unix_now());
                    self.register_uplinks(Instant::now());
                }
                () = shutdown.cancelled() => break,
            }
            self.drain().await;
        }
        // Calls in progress get BYE and a CDR saying why.
        for id in self.call_ids() {
            self.b2bua.hangup(Instant::now(), id, voxide_b2bua::HangupCause::SystemShutdown);
        }
        self.drain().await;
        self.persist.flush().await;
        self.cdr.flush().await;
    }

    async fn handle_inbound(&mut self, msg: Inbound) {
        Stats::inc(&self.stats.sip_messages_in);
        if is_stale_new_work(&msg) {
            // Overload: the sender has retransmitted or given up by now;
            // working on it would only delay what is still fresh.
            Stats::inc(&self.stats.sip_shed);
            return;
        }
        let parsed = match parse_message(&msg.bytes) {
            Ok(m) => m,
            Err(ParseError::Malformed(m)) => {
                Stats::inc(&self.stats.sip_bad_requests);
                tracing::info!(source = %msg.source, reason = %m.reason, "malformed SIP request answered 400");
                if let Some(reply) = m.reply {
                    self.send_bytes(msg.source, msg.transport, Bytes::from(reply)).await;
                }
                return;
            }
            Err(ParseError::Unanswerable(reason)) => {
                Stats::inc(&self.stats.sip_dropped);
                tracing::debug!(source = %msg.source, %reason, "unanswerable SIP message dropped");
                return;
            }
        };
        let parsed = match parsed {
            SipMessage::Request(mut req) => {
                voxide_sip::via::stamp_received(&mut req, msg.source);
                SipMessage::Request(req)
            }
            resp => resp,
        };
        let now = Instant::now();
        match self.layer.handle_incoming(now, parsed, msg.transport.is_reliable()) {
            Ok(Incoming::Request { key }) => {
                self.peers.insert(key, (msg.source, msg.transport));
            }
            Ok(Incoming::Stray(SipMessage::Request(ack))) => {
                let flow = voxide_b2bua::Flow { addr: msg.source, transport: msg.transport };
                self.b2bua.request(now, None, ack, flow);
            }
            Ok(Incoming::Stray(_)) | Ok(Incoming::Absorbed { .. }) => {}
            Ok(Incoming::Response { .. }) | Ok(Incoming::Ack { .. }) => {}
            Err(e) => {
                Stats::inc(&self.stats.sip_dropped);
                tracing::debug!(source = %msg.source, cause = %e, "message refused by the transaction layer");
            }
        }
    }

    /// Handles events and sends what the cores produced.
    async fn drain(&mut self) {
        // On reliable transports a transaction can end in the same step that
        // queues its last message (a final response with timer J or K at
        // zero, the ACK of a non-2xx with timer D at zero): forget its peer
        // only once that message has been sent.
        let mut ended = Vec::new();
        loop {
            while let Some(event) = self.layer.poll_event() {
                let now = Instant::now();
                match event {
                    TransactionEvent::Request { key, request } => self.handle_request(key, request),
                    TransactionEvent::Response { key, response } => {
                        if !self.uplink_response(now, &key, &response) && !self.text_response(&key, &response) {
                            self.b2bua.response(now, &key, response);
                        }
                    }
                    TransactionEvent::Timeout { key } | TransactionEvent::TransportError { key } => {
                        if key.is_client() && !self.uplink_timeout(now, &key) && !self.text_timeout(&key) {
                            self.b2bua.timeout(now, &key);
                        }
                    }
                    TransactionEvent::Ack { key, request } => {
                        if let Some(&(addr, transport)) = self.peers.get(&key) {
                            self.b2bua.request(now, None, request, voxide_b2bua::Flow { addr, transport });
                        }
                    }
                    TransactionEvent::Terminated { key } => ended.push(key),
                }
            }
            self.run_b2bua_commands().await;
            if self.b2bua_idle() {
                break;
            }
        }
        while let Some(tx) = self.layer.poll_transmit() {
            let Some(&(peer, transport)) = self.peers.get(&tx.key) else { continue };
            let bytes = Bytes::from(voxide_sip::to_wire(&tx.message));
            self.send_bytes(peer, transport, bytes).await;
        }
        for key in ended {
            self.peers.remove(&key);
        }
        while let Some(change) = self.registrar.poll_change() {
            match &change {
                BindingChange::Saved(_) => {}
                BindingChange::Removed { aor, .. } => tracing::debug!(%aor, "binding removed"),
            }
            if let Some((tenant_id, extension_id)) =
                self.registration_events.on_change(&self.events, &change, unix_now())
            {
                self.plans.new_phone(tenant_id, extension_id);
            }
            self.persist.send(change);
        }
        self.stats.bindings.store(self.registrar.location().len() as i64, Ordering::Relaxed);
    }

    /// Whether the B2BUA's commands produced no new transaction events.
    fn b2bua_idle(&self) -> bool {
        !self.layer.has_events()
    }

    fn handle_request(&mut self, key: TransactionKey, req: Request) {
        let Some(&(source, transport)) = self.peers.get(&key) else { return };
        let tag = voxide_sip::response::random_token();
        let now = Instant::now();
        let flow = voxide_b2bua::Flow { addr: source, transport };
        let in_dialog = req.to_header().is_ok_and(|t| t.value().contains("tag="));
        if req.method == Method::Invite && !in_dialog {
            // RFC 3261 §16.3 step 3 comes before any authentication.
            if req.max_forwards_header().ok().and_then(|m| m.num().ok()) == Some(0) {
                return self.respond(&key, response_to(&req, 483, &tag));
            }
            if unsupported_requirements(&req).is_none() {
                return self.admit_invite(key, req, source, transport);
            }
        } else if req.method == Method::Message && !in_dialog && unsupported_requirements(&req).is_none() {
            return self.admit_message(key, req, source, transport);
        } else if req.method == Method::Cancel {
            let answered =
                key.cancelled_invite().is_some_and(|invite| self.b2bua.cancel(now, &invite, key.clone(), &req));
            if !answered {
                self.respond(&key, response_to(&req, 481, &tag));
            }
            return;
        } else if in_dialog && req.method != Method::Register && req.method != Method::Options {
            if !self.b2bua.request(now, Some(key.clone()), req.clone(), flow) {
                self.respond(&key, response_to(&req, 481, &tag));
            }
            return;
        }
        let response = if let Some(unsupported) = unsupported_requirements(&req) {
            let mut r = response_to(&req, 420, &tag);
            voxide_sip::response::add_header(&mut r, Header::Unsupported(headers::Unsupported::new(unsupported)));
            r
        } else {
            match req.method {
                Method::Register => {
                    let now = Instant::now();
                    let out = self.registrar.handle_register(
                        now,
                        unix_now(),
                        &req,
                        voxide_registrar::Origin { source, transport },
                        &self.directory,
                        &tag,
                    );
                    if out.authenticated {
                        Stats::inc(&self.stats.registrations_ok);
                    }
                    if let Some(why) = &out.auth_failure {
                        Stats::inc(&self.stats.auth_failures);
                        tracing::info!(%source, reason = %why, "REGISTER authentication failed");
                    }
                    if out.throttled {
                        Stats::inc(&self.stats.auth_throttled);
                        tracing::warn!(%source, "REGISTER refused: source throttled after repeated auth failures");
                    }
                    out.response
                }
                Method::Options => response_to(&req, 200, &tag),
                // No dialogs exist yet for these to belong to.
                Method::Bye
                | Method::Cancel
                | Method::Info
                | Method::Update
                | Method::Refer
                | Method::Notify
                | Method::PRack => response_to(&req, 481, &tag),
                Method::Subscribe => response_to(&req, 489, &tag),
                Method::Invite | Method::Message | Method::Publish => {
                    let mut r = response_to(&req, 501, &tag);
                    voxide_sip::response::add_header(
                        &mut r,
                        Header::Warning(headers::Warning::new("399 voxide \"method not handled by this switch\"")),
                    );
                    r
                }
                Method::Ack => return,
            }
        };
        self.respond(&key, response);
    }

    pub(crate) async fn send_bytes(&self, peer: SocketAddr, transport: Transport, bytes: Bytes) {
        Stats::inc(&self.stats.sip_messages_out);
        match transport {
            Transport::Udp => {
                if let Err(e) = self.udp.send_to(&bytes, peer).await {
                    tracing::debug!(%peer, cause = %e, "udp send failed");
                }
            }
            Transport::Tcp => {
                if !self.tcp.send(&peer, bytes) {
                    tracing::debug!(%peer, "no open TCP connection for response");
                }
            }
        }
    }
}

/// Option tags in `Require` that we do not support, comma-separated.
fn unsupported_requirements(req: &Request) -> Option<String> {
    if req.method == Method::Ack || req.method == Method::Cancel {
        return None; // §8.2.2.3: never rejected for Require
    }
    let unknown: Vec<String> = req
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Require(r) => Some(r.value().to_string()),
            _ => None,
        })
        .flat_map(|v| v.split(',').map(|t| t.trim().to_string()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty() && !SUPPORTED_TAGS.iter().any(|s| s.eq_ignore_ascii_case(t)))
        .collect();
    (!unknown.is_empty()).then(|| unknown.join(", "))
}

/// Requests that start new work (not responses, ACK, CANCEL or BYE, which
/// finish work already paid for) are shed once they have waited this long.
const SHED_AFTER: Duration = Duration::from_millis(800);

fn is_stale_new_work(msg: &Inbound) -> bool {
    if msg.received.elapsed() < SHED_AFTER {
        return false;
    }
    let b = &msg.bytes[..];
    !(b.starts_with(b"SIP/") || b.starts_with(b"ACK ") || b.starts_with(b"CANCEL ") || b.starts_with(b"BYE "))
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
