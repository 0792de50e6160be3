//! Calls in the driver: admitting a new INVITE (authenticate, route, find
//! the callee's bindings, allocate a relay, open the CDR) and carrying out
//! the B2BUA's commands.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use rsip::Request;
use rsip::prelude::*;
use voxide_b2bua::routing::{Caller, Destination};
use voxide_b2bua::{Command, Flow, HangupCause, NewCall, Side, Target};
use voxide_events::EventKind;
use voxide_media::{Leg, Relay};
use voxide_sip::transaction::TransactionKey;
use voxide_sip::values::{uri_part, uri_user};
use voxide_sip::{Transport, response_to};
use voxide_store::{CdrEnd, CdrStart};

use crate::cdr::{CdrOp, stamp};
use crate::driver::Driver;
use crate::stats::Stats;

/// A configured SIP trunk (carrier or gateway).
#[derive(Debug, Clone)]
pub struct Trunk {
    pub name: String,
    pub addr: SocketAddr,
    pub transport: Transport,
    /// The tenant that inbound calls from it are billed to when the DID
    /// does not say (unassigned numbers).
    pub tenant_id: Option<i64>,
    /// Digest credentials the carrier challenges us for.
    pub credentials: Option<(String, String)>,
    /// Register to the carrier with those credentials.
    pub register: bool,
}

/// What the driver remembers of a call besides the B2BUA's state.
pub(crate) struct CallInfo {
    pub(crate) uuid: String,
    pub(crate) tenant_id: i64,
    pub(crate) direction: &'static str,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) started: SystemTime,
    pub(crate) relay: Relay,
    /// `/api/media/…` path of the recording, when recorded.
    pub(crate) recording: Option<String>,
    /// Whether the relay is writing that recording now (it may have been
    /// stopped).
    pub(crate) recording_now: bool,
    pub(crate) answered: Option<SystemTime>,
    /// Whether the call is transcribed live once answered.
    pub(crate) transcribe: bool,
    pub(crate) transcript: Option<tokio::task::JoinHandle<Vec<crate::transcribe::Segment>>>,
    /// The call's events, in order, for its `status_callback`.
    pub(crate) callback: Option<tokio::sync::mpsc::UnboundedSender<serde_json::Value>>,
    /// The task that drives the call, when the switch talks to it alone.
    pub(crate) session: Option<tokio::sync::mpsc::UnboundedSender<crate::sessions::CallSignal>>,
    /// The caller's and the callee's extensions, where known: they are
    /// busy while the call lasts.
    pub(crate) parties: [Option<i64>; 2],
}

/// Identity and routing facts for the CDR.
pub(crate) struct Attempt {
    pub(crate) tenant_id: i64,
    pub(crate) direction: &'static str,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) extension_id: Option<i64>,
    pub(crate) did_id: Option<i64>,
    pub(crate) verified: bool,
    pub(crate) in_contact: bool,
    /// Where the call's events are also POSTed (`status_callback`).
    pub(crate) status_callback: Option<String>,
}

impl Driver {
    /// A new INVITE (no To-tag) arrived through server transaction `key`.
    pub(crate) fn admit_invite(&mut self, key: TransactionKey, req: Request, source: SocketAddr, transport: Transport) {
        let tag = voxide_sip::response::random_token();
        let trunk = self.trunks.iter().find(|t| t.addr.ip() == source.ip()).cloned();
        let caller = match &trunk {
            Some(_) => Caller::Trunk,
            None => {
                let origin = voxide_registrar::Origin { source, transport };
                match self.registrar.authenticate(Instant::now(), &req, origin, &self.directory, &tag) {
                    Ok(auth) => Caller::Extension { tenant_id: auth.account.tenant_id },
                    Err(outcome) => {
                        if let Some(why) = &outcome.auth_failure {
                            Stats::inc(&self.stats.auth_failures);
                            tracing::info!(%source, reason = %why, "INVITE authentication failed");
                        }
                        self.respond(&key, outcome.response);
                        return;
                    }
                }
            }
        };
        if req.max_forwards_header().ok().and_then(|m| m.num().ok()) == Some(0) {
            self.respond(&key, response_to(&req, 483, &tag));
            return;
        }
        let dialed = uri_user(&req.uri.to_string()).unwrap_or("").to_string();
        let from_value = req.from_header().map(|f| f.value().to_string()).unwrap_or_default();
        let from_user = uri_user(uri_part(&from_value)).unwrap_or("").to_string();
        let (caller_tenant, caller_ext) = match caller {
            Caller::Extension { tenant_id } => {
                let ext = self.directory.realm_of_tenant(tenant_id).and_then(|r| self.directory.lookup(&r, &from_user));
                (Some(tenant_id), ext.map(|a| a.extension_id))
            }
            Caller::Trunk => (trunk.as_ref().and_then(|t| t.tenant_id), None),
        };
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut attempt = Attempt {
            tenant_id: caller_tenant.unwrap_or(self.default_tenant),
            direction: if caller == Caller::Trunk { "inbound" } else { "internal" },
            from: from_user,
            to: dialed.clone(),
            extension_id: caller_ext,
            did_id: None,
            verified: caller != Caller::Trunk || has_asserted_identity(&req),
            in_contact: false,
            status_callback: None,
        };
        let admitted = |uuid: &str| crate::plans::admit::Admitted {
            key: key.clone(),
            req: req.clone(),
            source,
            transport,
            tag: tag.clone(),
            uuid: uuid.to_string(),
            caller_ext,
        };
        if Self::is_voicemail_access(caller, &dialed) {
            return self.start_voicemail_access(admitted(&uuid), attempt);
        }
        let destination = self.routes.route(caller, &dialed, &self.directory);
        if let Some(plan) = self.plan_for(caller, caller_ext, &dialed, &destination) {
            return self.start_plan(admitted(&uuid), attempt, plan);
        }
        let callee_ext = match &destination {
            Some(Destination::Extension { extension_id, .. }) => Some(*extension_id),
            _ => None,
        };
        if let Some(Destination::Ivr { tenant_id, ivr_id, did_id }) = destination {
            attempt.tenant_id = tenant_id;
            attempt.did_id = Some(did_id);
            let new = |id, media_ports| NewCall {
                id,
                call_uuid: uuid.clone(),
                key: key.clone(),
                invite: req.clone(),
                a_flow: Flow { addr: source, transport },
                targets: Vec::new(),
                media_ports,
            };
            return match self.open_call(&uuid, &mut attempt, caller_ext, None, 0) {
                Ok((id, ports)) => {
                    let session = self.attach_session(id);
                    self.b2bua.answer(Instant::now(), new(id, ports));
                    if let Some(session) = session {
                        self.menus.run(session, tenant_id, ivr_id);
                    }
                }
                Err(cause) => self.refuse(key, &req, &tag, &uuid, attempt, cause),
            };
        }
        let targets = match destination {
            None => return self.refuse(key, &req, &tag, &uuid, attempt, HangupCause::UnallocatedNumber),
            Some(Destination::UnassignedDid { tenant_id, did_id }) => {
                attempt.tenant_id = tenant_id;
                attempt.did_id = Some(did_id);
                return self.refuse(key, &req, &tag, &uuid, attempt, HangupCause::UnallocatedNumber);
            }
            Some(Destination::Extension { tenant_id, extension_id, username, did_id }) => {
                attempt.tenant_id = tenant_id;
                attempt.did_id = did_id;
                if caller == Caller::Trunk {
                    attempt.extension_id = Some(extension_id);
                }
                self.extension_targets(tenant_id, &username)
            }
            Some(Destination::Trunk { trunk, number }) => {
                attempt.direction = "outbound";
                self.trunk_targets(&trunk, &number)
            }
            Some(Destination::Ivr { .. }) => Vec::new(),
        };
        if targets.is_empty() {
            return self.refuse(key, &req, &tag, &uuid, attempt, HangupCause::UserNotRegistered);
        }
        let (id, media_ports) = match self.open_call(&uuid, &mut attempt, caller_ext, callee_ext, targets.len()) {
            Ok(opened) => opened,
            Err(cause) => return self.refuse(key, &req, &tag, &uuid, attempt, cause),
        };
        let new = NewCall {
            id,
            call_uuid: uuid,
            key,
            invite: req,
            a_flow: Flow { addr: source, transport },
            targets,
            media_ports,
        };
        self.b2bua.start(Instant::now(), new);
    }

    /// Where an extension rings: each contact it has registered.
    pub(crate) fn extension_targets(&self, tenant_id: i64, username: &str) -> Vec<Target> {
        let realm = self.directory.realm_of_tenant(tenant_id).unwrap_or_default();
        let aor = format!("sip:{username}@{realm}");
        let to = format!("<{aor}>");
        self.registrar
            .location()
            .lookup(&aor, crate::driver::unix_now())
            .into_iter()
            .map(|b| Target {
                uri: b.contact.clone(),
                to: to.clone(),
                flow: Flow { addr: b.source, transport: b.transport },
                credentials: None,
            })
            .collect()
    }

    /// `number` through trunk `trunk` (none if no trunk has that name).
    pub(crate) fn trunk_targets(&self, trunk: &str, number: &str) -> Vec<Target> {
        self.trunks
            .iter()
            .filter(|t| t.name == trunk)
            .map(|t| Target {
                uri: format!("sip:{number}@{}", t.addr),
                to: format!("<sip:{number}@{}>", t.addr),
                flow: Flow { addr: t.addr, transport: t.transport },
                credentials: t.credentials.clone(),
            })
            .take(1)
            .collect()
    }

    /// Gives a routed call its id and relay, opens its CDR, starts
    /// recording it when asked for, and announces it. Fails only when no
    /// media ports are free (nothing is written then).
    pub(crate) fn open_call(
        &mut self,
        uuid: &str,
        attempt: &mut Attempt,
        caller_ext: Option<i64>,
        callee_ext: Option<i64>,
        forks: usize,
    ) -> Result<(u64, (u16, u16)), HangupCause> {
        self.next_call += 1;
        let id = self.next_call;
        let relay = self.media.allocate(id).map_err(|e| {
            tracing::warn!(cause = %e, "no media for a new call");
            HangupCause::ServiceUnavailable
        })?;
        attempt.in_contact = callee_ext.is_some_and(|ext| self.directory.in_contacts(ext, &attempt.from));
        let started = SystemTime::now();
        self.cdr.send(CdrOp::Start(cdr_start(uuid, attempt, started)));
        tracing::info!(call_uuid = %uuid, from = %attempt.from, to = %attempt.to, forks, "call started");
        let media_ports = (relay.local_port(Leg::A), relay.local_port(Leg::B));
        // A ringing call has no media to time out yet; the clock starts at answer.
        relay.set_hold(true);
        let recorded_ext = attempt.extension_id.or(callee_ext);
        let recording =
            if self.directory.records(callee_ext, attempt.did_id) || self.directory.records(caller_ext, None) {
                let dir = format!("domain_{}", attempt.tenant_id);
                let file = format!("{}_{uuid}.wav", recorded_ext.unwrap_or(0));
                relay.record(self.recordings_dir.join(&dir).join(&file));
                Some(format!("/api/media/{dir}/{file}"))
            } else {
                None
            };
        let transcribe = self.directory.transcribes(callee_ext) || self.directory.transcribes(caller_ext);
        let info = CallInfo {
            uuid: uuid.to_string(),
            tenant_id: attempt.tenant_id,
            direction: attempt.direction,
            from: attempt.from.clone(),
            to: attempt.to.clone(),
            started,
            relay,
            recording_now: recording.is_some(),
            recording,
            answered: None,
            transcribe,
            transcript: None,
            callback: attempt.status_callback.as_deref().map(|url| self.status_callback(url)),
            session: None,
            parties: [caller_ext, callee_ext],
        };
        self.publish_call(
            &info,
            EventKind::CallCreated,
            serde_json::json!({ "from": attempt.from, "to": attempt.to, "direction": attempt.direction }),
        );
        self.calls.insert(id, info);
        self.stats.active_calls.fetch_add(1, Ordering::Relaxed);
        Ok((id, media_ports))
    }

    /// Refuses a call that cannot be placed, with a CDR saying why.
    pub(crate) fn refuse(
        &mut self,
        key: TransactionKey,
        req: &Request,
        tag: &str,
        uuid: &str,
        attempt: Attempt,
        cause: HangupCause,
    ) {
        let (status, _) = cause.status();
        let mut resp = response_to(req, status, tag);
        voxide_sip::response::add_header(&mut resp, rsip::Header::Other("X-Call-UUID".into(), uuid.to_string()));
        self.respond(&key, resp);
        let now = SystemTime::now();
        self.cdr.send(CdrOp::Start(cdr_start(uuid, &attempt, now)));
        self.cdr.send(CdrOp::End(CdrEnd {
            call_uuid: uuid.to_string(),
            answered_at: None,
            ended_at: stamp(now),
            bill_duration: 0,
            hangup_cause: cause.as_str().to_string(),
            recording: None,
            transcription_text: None,
        }));
        self.stats.call_ended(cause.as_str());
        tracing::info!(call_uuid = %uuid, to = %attempt.to, %cause, "call refused");
    }

    /// Carries out what the B2BUA asked for.
    pub(crate) async fn run_b2bua_commands(&mut self) {
        while let Some(cmd) = self.b2bua.poll_command() {
            match cmd {
                Command::Respond { key, response } => self.respond(&key, response),
                Command::Request { flow, request } => {
                    match self.layer.send_request(Instant::now(), request, flow.transport.is_reliable()) {
                        Ok(key) => {
                            self.peers.insert(key, (flow.addr, flow.transport));
                        }
                        Err(e) => tracing::warn!(cause = %e, "could not send a request"),
                    }
                }
                Command::Ack { flow, request } => {
                    self.send_bytes(flow.addr, flow.transport, Bytes::from(voxide_sip::to_wire(&request.into()))).await;
                }
                Command::MediaRemote { call, side, addr } => {
                    if let Some(c) = self.calls.get(&call) {
                        c.relay.set_remote(if side == Side::A { Leg::A } else { Leg::B }, addr);
                    }
                }
                Command::MediaCodecs { call, a, b } => {
                    if let Some(c) = self.calls.get(&call) {
                        c.relay.set_formats(a, b);
                    }
                }
                Command::MediaHold { call, on } => {
                    if let Some(c) = self.calls.get(&call) {
                        c.relay.set_hold(on);
                    }
                }
                Command::Ringing { call, side } => self.call_ringing(call, leg_of(side)),
                Command::Answered { call } => {
                    let Some(c) = self.calls.get_mut(&call) else { continue };
                    c.relay.set_hold(false);
                    // A call the switch answered and later bridged is
                    // billed from the first answer.
                    if c.answered.is_some() {
                        continue;
                    }
                    let at = SystemTime::now();
                    c.answered = Some(at);
                    self.cdr.send(CdrOp::Answered { call_uuid: c.uuid.clone(), at: stamp(at) });
                    tracing::info!(call_uuid = %c.uuid, "call answered");
                    self.signal(call, crate::sessions::CallSignal::Answered);
                    self.call_answered(call);
                }
                Command::Digit { call, side, digit, duration_ms } => {
                    self.digit_heard(call, leg_of(side), digit, duration_ms, "info");
                }
                Command::SendDigits { call, side, digits, duration_ms } => {
                    if let Some(c) = self.calls.get(&call) {
                        c.relay.send_dtmf(leg_of(side), &digits, duration_ms);
                    }
                }
                Command::Unanswered { call, status, .. } => {
                    self.signal(call, crate::sessions::CallSignal::Unanswered(status));
                }
                Command::Ended { call, cause } => self.call_ended(call, cause),
                Command::TransferAsked { call, to, .. } => self.transfer_asked(call, &to),
            }
        }
    }

    fn call_ended(&mut self, call: u64, cause: HangupCause) {
        self.signal(call, crate::sessions::CallSignal::Ended(cause.as_str().to_string()));
        let Some(info) = self.calls.remove(&call) else { return };
        self.stats.active_calls.fetch_sub(1, Ordering::Relaxed);
        self.stats.call_ended(cause.as_str());
        let now = SystemTime::now();
        let bill = info.answered.and_then(|a| now.duration_since(a).ok()).map_or(0, |d| d.as_secs_f64().round() as i64);
        tracing::info!(call_uuid = %info.uuid, %cause, bill_duration = bill, "call ended");
        self.publish_call(
            &info,
            EventKind::CallHangup,
            serde_json::json!({ "cause": cause.as_str(), "bill_duration": bill }),
        );
        let mut end = CdrEnd {
            call_uuid: info.uuid,
            answered_at: info.answered.map(stamp),
            ended_at: stamp(now),
            bill_duration: bill,
            hangup_cause: cause.as_str().to_string(),
            recording: info.recording,
            transcription_text: None,
        };
        // The relay finishes its recording, and the recognizer the last
        // words, before the CDR links to them.
        let cdr = self.cdr.sender();
        let transcript = info.transcript;
        tokio::spawn(async move {
            info.relay.close().await;
            if let Some(task) = transcript {
                end.transcription_text = crate::call_events::transcription_text(task).await;
            }
            let _ = cdr.send(CdrOp::End(end));
        });
    }

    pub(crate) fn respond(&mut self, key: &TransactionKey, response: rsip::Response) {
        if let Err(e) = self.layer.send_response(Instant::now(), key, response) {
            tracing::debug!(cause = %e, "could not send response");
        }
    }

    /// Every call in progress, by id, for shutdown.
    pub(crate) fn call_ids(&self) -> Vec<u64> {
        self.calls.keys().copied().collect()
    }
}

fn cdr_start(uuid: &str, a: &Attempt, started: SystemTime) -> CdrStart {
    CdrStart {
        tenant_id: a.tenant_id,
        call_uuid: uuid.to_string(),
        call_direction: a.direction.to_string(),
        did_number_id: a.did_id,
        call_from: a.from.clone(),
        call_to: a.to.clone(),
        extension_id: a.extension_id,
        is_verified: a.verified,
        in_contact: a.in_contact,
        started_at: stamp(started),
    }
}

/// A trunk vouches for the caller with P-Asserted-Identity (RFC 3325) or a
/// STIR/SHAKEN Identity header with attestation A.
fn has_asserted_identity(req: &Request) -> bool {
    req.headers.iter().any(|h| match h {
        rsip::Header::Other(n, v) => {
            n.eq_ignore_ascii_case("p-asserted-identity")
                || (n.eq_ignore_ascii_case("identity") && shaken_attestation(v) == Some('A'))
        }
        _ => false,
    })
}

/// The `attest` claim of a PASSporT in an Identity header.
fn shaken_attestation(identity: &str) -> Option<char> {
    use std::str;
    let token = identity.split(';').next()?.trim();
    let payload = token.split('.').nth(1)?;
    let json = base64_url_decode(payload)?;
    let text = str::from_utf8(&json).ok()?;
    let at = text.find("\"attest\"")?;
    text[at + 8..].chars().find(|c| c.is_ascii_alphabetic())
}

fn base64_url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Bindings are looked up by AOR; this keeps the call map type in one place.
pub(crate) type Calls = HashMap<u64, CallInfo>;

pub(crate) fn leg_of(side: Side) -> Leg {
    if side == Side::A { Leg::A } else { Leg::B }
}
