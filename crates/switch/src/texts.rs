//! Text messages through the switch (RFC 3428 MESSAGE), both ways:
//!
//! * a registered phone sends a MESSAGE: it is authenticated like an
//!   INVITE (407 challenge, 403 once throttled), its text checked, and —
//!   when it is for an extension with a registered phone or for a
//!   telephone number — accepted with 202 (store and forward, RFC 3428 §7)
//!   and handed on as an [`InboundText`] to whoever holds
//!   [`Switch::texts`](crate::Switch::texts), which stores and delivers it;
//! * [`SwitchControl::send_text`](crate::SwitchControl::send_text) sends a
//!   text to every phone registered for an extension, through the
//!   transaction layer, and answers with the [`TextOutcome`].
//!
//! Layout: `message` writes and reads MESSAGE requests, `fanout` decides
//! a text sent to several phones; both are sans-IO. This file is the
//! driver's side.

mod fanout;
mod message;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use rsip::headers::{self, Header};
use rsip::prelude::*;
use rsip::{Request, Response};
use tokio::sync::{mpsc, oneshot};
use voxide_sip::transaction::TransactionKey;
use voxide_sip::values::uri_user;
use voxide_sip::{Transport, response_to};

pub use message::MAX_TEXT_CHARS;

use crate::driver::Driver;
use crate::stats::Stats;
use fanout::{Fanout, Verdict};

/// A text a registered phone sent, accepted by the switch (202).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText {
    /// The sender's tenant.
    pub tenant_id: i64,
    /// The sender's extension, as it authenticated.
    pub from_extension_id: i64,
    /// Its SIP username.
    pub from: String,
    /// The Request-URI's user: an extension of the tenant (when
    /// `to_extension`) or a telephone number (digits, maybe a leading `+`).
    pub to: String,
    pub to_extension: bool,
    pub text: String,
}

/// A text for the phones of an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingText {
    pub tenant_id: i64,
    /// The extension's SIP username.
    pub to: String,
    /// The sender the phone shows: an extension or a telephone number.
    pub from: String,
    pub text: String,
}

/// How sending an [`OutgoingText`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextOutcome {
    /// A phone of the extension accepted it (2xx).
    Delivered,
    /// The extension has no registered phone (or does not exist).
    NotRegistered,
    /// Every phone refused or did not answer; `status` is the last
    /// refusal's (`None`: no answer, or the switch is not running).
    Failed { status: Option<u16>, reason: String },
}

/// The driver's text state.
pub(crate) struct Texts {
    /// Our address, for Via.
    sip_addr: SocketAddr,
    /// Where accepted texts from phones go.
    inbound: mpsc::UnboundedSender<InboundText>,
    fanout: Fanout,
    replies: HashMap<u64, oneshot::Sender<TextOutcome>>,
}

impl Texts {
    pub(crate) fn new(sip_addr: SocketAddr, inbound: mpsc::UnboundedSender<InboundText>) -> Self {
        Self { sip_addr, inbound, fanout: Fanout::default(), replies: HashMap::new() }
    }

    /// Our SIP address, for the Via of requests the switch sends.
    pub(crate) fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }
}

impl Driver {
    /// A MESSAGE outside any dialog arrived through server transaction `key`.
    pub(crate) fn admit_message(
        &mut self,
        key: TransactionKey,
        req: Request,
        source: SocketAddr,
        transport: Transport,
    ) {
        let tag = voxide_sip::response::random_token();
        if req.max_forwards_header().ok().and_then(|m| m.num().ok()) == Some(0) {
            return self.respond(&key, response_to(&req, 483, &tag));
        }
        let origin = voxide_registrar::Origin { source, transport };
        let auth = match self.registrar.authenticate(Instant::now(), &req, origin, &self.directory, &tag) {
            Ok(auth) => auth,
            Err(outcome) => {
                if let Some(why) = &outcome.auth_failure {
                    Stats::inc(&self.stats.auth_failures);
                    tracing::info!(%source, reason = %why, "MESSAGE authentication failed");
                }
                return self.respond(&key, outcome.response);
            }
        };
        let text = match message::text_of(&req) {
            Ok(text) => text,
            Err(refusal) => {
                let mut r = with_warning(response_to(&req, refusal.status(), &tag), refusal.reason());
                if refusal == message::Refusal::NotPlainText {
                    voxide_sip::response::add_header(&mut r, Header::Accept(headers::Accept::new("text/plain")));
                }
                return self.respond(&key, r);
            }
        };
        let tenant_id = auth.account.tenant_id;
        let to = uri_user(&req.uri.to_string()).unwrap_or_default().to_string();
        let realm = self.directory.realm_of_tenant(tenant_id).unwrap_or(auth.realm);
        let to_extension = self.directory.lookup(&realm, &to).is_some();
        let status = if to_extension {
            let aor = format!("sip:{to}@{realm}");
            if self.registrar.location().lookup(&aor, crate::driver::unix_now()).is_empty() { 480 } else { 202 }
        } else if message::is_phone_number(&to) {
            202
        } else {
            404
        };
        // Accepting means promising delivery; nobody is there to deliver.
        let status = if status == 202 && self.texts.inbound.is_closed() { 503 } else { status };
        self.respond(&key, response_to(&req, status, &tag));
        tracing::info!(from = %auth.username, %to, status, chars = text.chars().count(), "text from a phone");
        if status == 202 {
            let inbound = InboundText {
                tenant_id,
                from_extension_id: auth.account.extension_id,
                from: auth.username,
                to,
                to_extension,
                text,
            };
            let _ = self.texts.inbound.send(inbound);
        }
    }

    /// Sends `text` to every phone registered for its extension; `reply`
    /// gets the outcome.
    pub(crate) fn send_text(&mut self, text: OutgoingText, reply: oneshot::Sender<TextOutcome>) {
        let Some(realm) = self.directory.realm_of_tenant(text.tenant_id) else {
            let _ = reply.send(TextOutcome::NotRegistered);
            return;
        };
        let aor = format!("sip:{}@{realm}", text.to);
        let via = self.texts.sip_addr;
        let (phones, branches) = self.send_to_phones(&aor, "MESSAGE", |b, branch, call_id| {
            let outgoing = message::Outgoing {
                contact: &b.contact,
                aor: &aor,
                from_user: &text.from,
                realm: &realm,
                route: &b.path,
                via,
                transport: b.transport,
                text: &text.text,
            };
            message::build(&outgoing, branch, call_id, &voxide_sip::response::random_token())
        });
        if phones == 0 {
            let _ = reply.send(TextOutcome::NotRegistered);
            return;
        }
        if branches.is_empty() {
            let _ = reply.send(TextOutcome::Failed { status: None, reason: "no MESSAGE could be sent".into() });
            return;
        }
        tracing::info!(%aor, phones = branches.len(), "text sent to phones");
        let id = self.texts.fanout.start(branches);
        self.texts.replies.insert(id, reply);
    }

    /// Sends a request `build` writes (from a binding, a branch and a
    /// Call-ID) to every phone registered for `aor`, each through its own
    /// client transaction. Returns how many phones there were and the
    /// branches of the requests sent.
    pub(crate) fn send_to_phones(
        &mut self,
        aor: &str,
        method: &str,
        build: impl Fn(&voxide_registrar::Binding, &str, &str) -> Option<Request>,
    ) -> (usize, Vec<String>) {
        let bindings: Vec<_> =
            self.registrar.location().lookup(aor, crate::driver::unix_now()).into_iter().cloned().collect();
        let now = Instant::now();
        let mut branches = Vec::new();
        for b in &bindings {
            let branch = voxide_b2bua::build::new_branch();
            let call_id = format!("{}@voxide", voxide_sip::response::random_token());
            let Some(req) = build(b, &branch, &call_id) else {
                tracing::warn!(contact = %b.contact, method, "cannot write a request to this contact");
                continue;
            };
            match self.layer.send_request(now, req, b.transport.is_reliable()) {
                Ok(key) => {
                    self.peers.insert(key, (b.source, b.transport));
                    branches.push(branch);
                }
                Err(e) => tracing::warn!(cause = %e, method, "could not send a request to a phone"),
            }
        }
        (bindings.len(), branches)
    }

    /// Whether `key` is one of our MESSAGEs; takes its response if so.
    pub(crate) fn text_response(&mut self, key: &TransactionKey, resp: &Response) -> bool {
        if !self.texts.fanout.owns(key.branch()) {
            return false;
        }
        let status = u16::from(resp.status_code.clone());
        if status >= 200 {
            let verdict = self.texts.fanout.on_final(key.branch(), status, voxide_sip::wire::reason_phrase(status));
            self.text_decided(verdict);
        }
        true
    }

    /// Whether `key` was one of our MESSAGEs that got no answer.
    pub(crate) fn text_timeout(&mut self, key: &TransactionKey) -> bool {
        if !self.texts.fanout.owns(key.branch()) {
            return false;
        }
        let verdict = self.texts.fanout.on_timeout(key.branch());
        self.text_decided(verdict);
        true
    }

    fn text_decided(&mut self, verdict: Option<(u64, Verdict)>) {
        let Some((id, verdict)) = verdict else { return };
        let outcome = match verdict {
            Verdict::Delivered => TextOutcome::Delivered,
            Verdict::Failed { status, reason } => TextOutcome::Failed { status, reason },
        };
        tracing::info!(?outcome, "text to phones decided");
        if let Some(reply) = self.texts.replies.remove(&id) {
            let _ = reply.send(outcome);
        }
    }
}

fn with_warning(mut r: Response, text: &str) -> Response {
    let warning = format!("399 voxide \"{text}\"");
    voxide_sip::response::add_header(&mut r, Header::Warning(headers::Warning::new(warning)));
    r
}
