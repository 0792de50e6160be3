//! Message-waiting indication (RFC 3842): an unsolicited NOTIFY with a
//! `message-summary` body to every phone registered for an extension, so
//! its lamp shows whether voicemail waits.

use std::net::SocketAddr;

use rsip::Request;
use voxide_b2bua::build::{RequestSpec, request};
use voxide_sip::Transport;

use crate::driver::Driver;

/// The number phones dial to hear their messages.
pub(crate) const VOICEMAIL_ACCESS: &str = "*97";

/// The `application/simple-message-summary` body for `account`.
pub(crate) fn summary(account: &str, new: u32, old: u32) -> String {
    let waiting = if new > 0 { "yes" } else { "no" };
    format!("Messages-Waiting: {waiting}\r\nMessage-Account: {account}\r\nVoice-Message: {new}/{old}\r\n")
}

/// One NOTIFY to one registered contact.
pub(crate) struct Notify<'a> {
    pub(crate) contact: &'a str,
    pub(crate) aor: &'a str,
    pub(crate) realm: &'a str,
    pub(crate) route: &'a [String],
    pub(crate) via: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) body: &'a str,
}

/// Writes the NOTIFY; `None` if the contact is not a usable URI.
pub(crate) fn build(n: &Notify, branch: &str, call_id: &str, from_tag: &str) -> Option<Request> {
    let from = format!("<sip:{VOICEMAIL_ACCESS}@{}>;tag={from_tag}", n.realm);
    let to = format!("<{}>", n.aor);
    request(&RequestSpec {
        method: "NOTIFY",
        uri: n.contact,
        via_host: n.via,
        transport: n.transport,
        branch,
        from: &from,
        to: &to,
        call_id,
        cseq: 1,
        contact: None,
        route: n.route,
        max_forwards: 70,
        extra: vec![("Event".into(), "message-summary".into()), ("Subscription-State".into(), "active".into())],
        body: Some(("application/simple-message-summary", n.body.as_bytes())),
    })
}

impl Driver {
    /// Sends the message summary to every phone of an extension.
    pub(crate) fn notify_message_waiting(&mut self, tenant_id: i64, extension_id: i64, new: u32, old: u32) {
        let Some((realm, user)) = self.directory.extension(extension_id) else { return };
        if self.directory.realm_of_tenant(tenant_id).as_deref() != Some(realm.as_str()) {
            return;
        }
        let aor = format!("sip:{user}@{realm}");
        let body = summary(&format!("sip:{VOICEMAIL_ACCESS}@{realm}"), new, old);
        let via = self.texts.sip_addr();
        let (phones, _) = self.send_to_phones(&aor, "NOTIFY", |b, branch, call_id| {
            let notify = Notify {
                contact: &b.contact,
                aor: &aor,
                realm: &realm,
                route: &b.path,
                via,
                transport: b.transport,
                body: &body,
            };
            build(&notify, branch, call_id, &voxide_sip::response::random_token())
        });
        tracing::info!(%aor, new, old, phones, "message waiting sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notify_carries_the_summary_rfc_3842_asks_for() {
        let body = summary("sip:*97@voxide.test", 2, 1);
        assert_eq!(body, "Messages-Waiting: yes\r\nMessage-Account: sip:*97@voxide.test\r\nVoice-Message: 2/1\r\n");
        assert!(summary("sip:*97@voxide.test", 0, 3).starts_with("Messages-Waiting: no\r\n"));
        let n = Notify {
            contact: "sip:1002@10.0.0.2:5062",
            aor: "sip:1002@voxide.test",
            realm: "voxide.test",
            route: &[],
            via: "192.0.2.10:5060".parse().unwrap(),
            transport: Transport::Udp,
            body: &body,
        };
        let text = build(&n, "z9hG4bKmwi", "c1@voxide", "t1").expect("a request").to_string();
        assert!(text.starts_with("NOTIFY sip:1002@10.0.0.2:5062 SIP/2.0\r\n"), "{text}");
        for line in [
            "Event: message-summary",
            "Subscription-State: active",
            "Content-Type: application/simple-message-summary",
            "To: <sip:1002@voxide.test>",
        ] {
            assert!(text.contains(line), "{line} missing: {text}");
        }
        assert!(text.ends_with(&body), "{text}");
    }
}
