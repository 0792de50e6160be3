//! What a carrier posts to us: inbound SMS and delivery receipts, in
//! Flowroute's v2.1 callback shapes (JSON:API), plus the flat shape of its
//! older SMS callback, which accounts set up long ago still receive:
//!
//! ```text
//! {"data": {"type": "message", "id": "mdr2-…",
//!           "attributes": {"from": "13055550150", "to": "17865550100", "body": "hi", "direction": "inbound", …}}}
//! {"data": {"type": "delivery_receipt", "id": "mdr2-…",
//!           "attributes": {"level": 2, "status": "delivered", "status_code_description": "…", …}}}
//! {"to": "17865550100", "from": "13055550150", "body": "hi", "id": "mdr1-…"}
//! ```

use serde::Deserialize;

use crate::ProviderError;
use crate::number::normalize_number;

/// An SMS a carrier received for one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    /// The carrier's message id, the same on every retry of the callback.
    pub id: Option<String>,
    /// The sender's number, digits only.
    pub from: String,
    /// Our number, in the 11-digit form DIDs are stored in when it is a
    /// NANP number, else its digits.
    pub to: String,
    pub body: String,
}

/// What a delivery receipt says about a message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryReport {
    /// It reached the handset.
    Delivered,
    /// It will not arrive; the carrier's words.
    Failed(String),
    /// An intermediate step (buffered, submitted to the next carrier).
    InProgress,
}

/// One callback from the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Message(InboundSms),
    Receipt {
        /// Id of the message it is about, as [`send_sms`](crate::Provider::send_sms) returned it.
        id: String,
        report: DeliveryReport,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    JsonApi { data: Resource },
    Flat { to: String, from: String, body: String, id: Option<String> },
}

#[derive(Deserialize)]
struct Resource {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    #[serde(default)]
    attributes: Attributes,
}

#[derive(Default, Deserialize)]
struct Attributes {
    from: Option<String>,
    to: Option<String>,
    body: Option<String>,
    direction: Option<String>,
    status: Option<String>,
    status_code_description: Option<String>,
}

/// Reads a carrier callback.
///
/// # Errors
/// [`ProviderError::InvalidInput`] when the body is not one of the shapes
/// above, names an outbound message, or carries a number that is not a
/// phone number.
pub fn parse_webhook(body: &[u8]) -> Result<WebhookEvent, ProviderError> {
    let invalid = |what: &str| ProviderError::InvalidInput(what.to_owned());
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|_| invalid("not a message or delivery receipt in Flowroute's callback format"))?;
    let (kind, id, attrs) = match parsed {
        Body::Flat { to, from, body, id } => return inbound(id, &from, &to, body),
        Body::JsonApi { data } => (data.kind, data.id, data.attributes),
    };
    match kind.as_str() {
        "message" => {
            if attrs.direction.as_deref().is_some_and(|d| !d.eq_ignore_ascii_case("inbound")) {
                return Err(invalid("only inbound messages are accepted"));
            }
            let (Some(from), Some(to)) = (attrs.from, attrs.to) else {
                return Err(invalid("a message needs \"from\" and \"to\""));
            };
            inbound(id, &from, &to, attrs.body.unwrap_or_default())
        }
        "delivery_receipt" => {
            let id = id.filter(|i| !i.trim().is_empty()).ok_or_else(|| invalid("a delivery receipt needs an id"))?;
            let status = attrs.status.unwrap_or_default();
            let report = match receipt_outcome(&status) {
                Some(true) => DeliveryReport::Delivered,
                Some(false) => {
                    let detail = attrs.status_code_description.filter(|d| !d.trim().is_empty());
                    DeliveryReport::Failed(detail.map_or_else(|| status.clone(), |d| format!("{status}: {d}")))
                }
                None => DeliveryReport::InProgress,
            };
            Ok(WebhookEvent::Receipt { id, report })
        }
        other => Err(ProviderError::InvalidInput(format!("unknown callback type {other:?}"))),
    }
}

fn inbound(id: Option<String>, from: &str, to: &str, body: String) -> Result<WebhookEvent, ProviderError> {
    let from = digits(from).ok_or_else(|| ProviderError::InvalidInput(format!("\"from\" {from:?} is not a number")))?;
    let to_digits = digits(to).ok_or_else(|| ProviderError::InvalidInput(format!("\"to\" {to:?} is not a number")))?;
    let to = normalize_number(&to_digits).unwrap_or(to_digits);
    Ok(WebhookEvent::Message(InboundSms { id: id.filter(|i| !i.trim().is_empty()), from, to, body }))
}

/// The digits of an E.164 or bare number (3 to 15 of them, separators
/// such as spaces and dashes dropped), else `None`.
fn digits(number: &str) -> Option<String> {
    let trimmed = number.trim();
    let bare: String = trimmed.strip_prefix('+').unwrap_or(trimmed).chars().filter(|c| !" -().".contains(*c)).collect();
    let ok = (3..=15).contains(&bare.len()) && bare.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(bare)
}

/// `Some(true)` for a receipt saying the message arrived, `Some(false)` for
/// one saying it never will, `None` for a step on the way. Carriers word
/// these freely ("delivered", "delivery success", "undeliverable",
/// "smsc reject", "message buffered"), so failure words are looked for
/// first: "undelivered" contains "deliver".
fn receipt_outcome(status: &str) -> Option<bool> {
    let s = status.to_ascii_lowercase();
    const FAILED: [&str; 6] = ["fail", "reject", "undeliver", "expire", "error", "not deliver"];
    if FAILED.iter().any(|w| s.contains(w)) {
        Some(false)
    } else if s.contains("deliver") || s.contains("success") {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_wording_is_classified() {
        for ok in ["delivered", "Delivery Success", "DELIVRD success"] {
            assert_eq!(receipt_outcome(ok), Some(true), "{ok}");
        }
        for bad in ["undelivered", "delivery failure", "smsc reject", "expired", "Not Delivered"] {
            assert_eq!(receipt_outcome(bad), Some(false), "{bad}");
        }
        for pending in ["message buffered", "smsc submit", "smsc intermediate notifications", ""] {
            assert_eq!(receipt_outcome(pending), None, "{pending}");
        }
    }

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(digits("+12065551234").as_deref(), Some("12065551234"));
        assert_eq!(digits(" 447700900123 ").as_deref(), Some("447700900123"));
        assert_eq!(digits("+1 (786) 555-0100").as_deref(), Some("17865550100"));
        for bad in ["", "+", "12", "1206555123x", "1234567890123456", "++1206"] {
            assert_eq!(digits(bad), None, "{bad:?}");
        }
    }
}
