//! Carrier callbacks as Flowroute documents them for messaging v2.1: an
//! inbound SMS, delivery receipts at both levels, and the flat shape of the
//! older SMS callback.

use serde_json::json;
use voxide_providers::{DeliveryReport, InboundSms, ProviderError, WebhookEvent, parse_webhook};

fn parse(v: serde_json::Value) -> Result<WebhookEvent, ProviderError> {
    parse_webhook(v.to_string().as_bytes())
}

#[test]
fn an_inbound_sms_in_the_json_api_shape_is_read() {
    let posted = json!({
        "data": {
            "attributes": {
                "amount_display": "0.0000",
                "amount_nanodollars": 0,
                "body": "Fydyd",
                "delivery_receipts": [],
                "direction": "inbound",
                "from": "17866648610",
                "is_mms": false,
                "message_callback_url": "https://example.com/sms",
                "message_encoding": 0,
                "message_type": "longcode",
                "status": "delivered",
                "timestamp": "2024-05-01T17:38:21.31Z",
                "to": "14582037530"
            },
            "id": "mdr2-ca82be46e6ba11e79d08862d9a04d4a0",
            "links": {"self": "https://api.flowroute.com/v2.1/messages/mdr2-ca82be46e6ba11e79d08862d9a04d4a0"},
            "type": "message"
        }
    });
    assert_eq!(
        parse(posted).unwrap(),
        WebhookEvent::Message(InboundSms {
            id: Some("mdr2-ca82be46e6ba11e79d08862d9a04d4a0".into()),
            from: "17866648610".into(),
            to: "14582037530".into(),
            body: "Fydyd".into(),
        })
    );
}

#[test]
fn e164_numbers_and_the_flat_legacy_shape_are_read() {
    let v22 = json!({"data": {"type": "message", "id": "mdr2-1", "attributes": {
        "from": "+447700900123", "to": "+1 (786) 555-0100", "body": "hi", "direction": "inbound"}}});
    let WebhookEvent::Message(m) = parse(v22).unwrap() else { panic!("not a message") };
    assert_eq!((m.from.as_str(), m.to.as_str()), ("447700900123", "17865550100"));

    let flat = json!({"to": "12066418000", "body": "Hello there from Flowroute!", "from": "18553569768",
                      "id": "mdr1-febb118b9b034338adf0662a3c02fd88"});
    assert_eq!(
        parse(flat).unwrap(),
        WebhookEvent::Message(InboundSms {
            id: Some("mdr1-febb118b9b034338adf0662a3c02fd88".into()),
            from: "18553569768".into(),
            to: "12066418000".into(),
            body: "Hello there from Flowroute!".into(),
        })
    );
}

#[test]
fn delivery_receipts_say_delivered_failed_or_still_on_the_way() {
    let receipt = |level: u8, status: &str, description: &str| {
        json!({"data": {"type": "delivery_receipt", "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
            "attributes": {"body": "Your code is 1234", "level": level, "status": status,
                           "status_code": "1003", "status_code_description": description,
                           "timestamp": "2024-05-01T17:38:21Z"},
            "links": {"related": "https://api.flowroute.com/v2.1/messages/mdr2-39cadeace66e11e7aff806cd7f24ba2d"}}})
    };
    let id = "mdr2-39cadeace66e11e7aff806cd7f24ba2d".to_string();
    assert_eq!(
        parse(receipt(1, "message buffered", "Message buffered")).unwrap(),
        WebhookEvent::Receipt { id: id.clone(), report: DeliveryReport::InProgress }
    );
    assert_eq!(
        parse(receipt(2, "delivered", "Message delivered to handset")).unwrap(),
        WebhookEvent::Receipt { id: id.clone(), report: DeliveryReport::Delivered }
    );
    assert_eq!(
        parse(receipt(2, "undeliverable", "Destination unreachable")).unwrap(),
        WebhookEvent::Receipt { id, report: DeliveryReport::Failed("undeliverable: Destination unreachable".into()) }
    );
}

#[test]
fn anything_else_is_refused_as_invalid_input() {
    for bad in [
        json!({}),
        json!([]),
        json!({"data": {"type": "number", "id": "12065551234"}}),
        json!({"data": {"type": "message", "id": "x", "attributes": {"from": "1", "to": "17865550100"}}}),
        json!({"data": {"type": "message", "id": "x", "attributes": {"to": "17865550100", "body": "no sender"}}}),
        json!({"data": {"type": "message", "attributes": {
            "from": "17865550100", "to": "13055550150", "body": "ours", "direction": "outbound"}}}),
        json!({"data": {"type": "delivery_receipt", "attributes": {"status": "delivered"}}}),
        json!({"to": "17865550100", "from": "not a number", "body": "x"}),
    ] {
        assert!(matches!(parse(bad.clone()), Err(ProviderError::InvalidInput(_))), "{bad}");
    }
    assert!(matches!(parse_webhook(b"<xml/>"), Err(ProviderError::InvalidInput(_))));
}
