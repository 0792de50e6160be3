//! Text messages in the store, on SQLite and, when
//! `VOXIDE_TEST_POSTGRES_URL` is set, on PostgreSQL in a schema of its own.

use voxide_store::{NewSms, SmsDirection, SmsStatus};

mod engines;

use engines::on_both_engines;

fn outgoing(tenant_id: i64, to: &str, body: &str) -> NewSms {
    NewSms {
        tenant_id,
        direction: SmsDirection::Out,
        sms_from: "17865550100".into(),
        sms_to: to.into(),
        body: body.into(),
        status: SmsStatus::Queued,
        callback_url: Some("http://127.0.0.1:9/hook".into()),
        provider_id: None,
    }
}

#[test]
fn a_message_is_stored_with_its_fields_and_seen_only_by_its_tenant() {
    on_both_engines("sms fields", |s| async move {
        let a = s.ensure_tenant("a.example").await.unwrap();
        let b = s.ensure_tenant("b.example").await.unwrap();
        let body = "Grüße, 1 € — \u{1F44B}";
        let m = s.insert_sms(&outgoing(a.id, "1002", body)).await.unwrap();
        assert_eq!((m.tenant_id, m.direction, m.status), (a.id, SmsDirection::Out, SmsStatus::Queued));
        assert_eq!((m.sms_from.as_str(), m.sms_to.as_str(), m.body.as_str()), ("17865550100", "1002", body));
        assert_eq!(m.callback_url.as_deref(), Some("http://127.0.0.1:9/hook"));
        assert_eq!((m.provider_id.as_deref(), m.error.as_deref()), (None, None));
        assert_eq!(m.created_at, m.updated_at);

        assert_eq!(s.sms_by_id(Some(a.id), m.id).await.unwrap(), Some(m.clone()));
        assert_eq!(s.sms_by_id(None, m.id).await.unwrap(), Some(m.clone()));
        assert_eq!(s.sms_by_id(Some(b.id), m.id).await.unwrap(), None);
        assert_eq!(s.sms_by_id(None, m.id + 1000).await.unwrap(), None);
    });
}

#[test]
fn status_moves_forward_and_a_final_status_sticks() {
    on_both_engines("sms status", |s| async move {
        let t = s.ensure_tenant("a.example").await.unwrap();
        let m = s.insert_sms(&outgoing(t.id, "13055550150", "hi")).await.unwrap();
        assert_eq!(s.queued_sms().await.unwrap(), vec![m.clone()]);

        let (sent, changed) = s.set_sms_status(m.id, SmsStatus::Sent, Some("mdr2-abc"), None).await.unwrap().unwrap();
        assert!(changed);
        assert_eq!((sent.status, sent.provider_id.as_deref()), (SmsStatus::Sent, Some("mdr2-abc")));
        assert!(sent.updated_at >= m.updated_at);
        assert!(s.queued_sms().await.unwrap().is_empty(), "a sent message is no longer queued");
        assert_eq!(s.sms_by_provider_id("mdr2-abc").await.unwrap(), Some(sent.clone()));
        assert_eq!(s.sms_by_provider_id("mdr2-other").await.unwrap(), None);

        // The same receipt twice is no change.
        let (_, again) = s.set_sms_status(m.id, SmsStatus::Sent, None, None).await.unwrap().unwrap();
        assert!(!again);

        let (failed, changed) =
            s.set_sms_status(m.id, SmsStatus::Failed, None, Some("carrier said no")).await.unwrap().unwrap();
        assert!(changed);
        assert_eq!((failed.status, failed.error.as_deref()), (SmsStatus::Failed, Some("carrier said no")));
        assert_eq!(failed.provider_id.as_deref(), Some("mdr2-abc"), "kept when not given");

        let (after, changed) = s.set_sms_status(m.id, SmsStatus::Delivered, None, None).await.unwrap().unwrap();
        assert!(!changed, "a late receipt does not undo a failure");
        assert_eq!(after, failed);
        assert_eq!(s.set_sms_status(m.id + 1000, SmsStatus::Sent, None, None).await.unwrap(), None);
    });
}

#[test]
fn pages_list_the_newest_first_within_a_tenant() {
    on_both_engines("sms pages", |s| async move {
        let a = s.ensure_tenant("a.example").await.unwrap();
        let b = s.ensure_tenant("b.example").await.unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(s.insert_sms(&outgoing(a.id, "1002", &format!("text {i}"))).await.unwrap().id);
        }
        let theirs = s.insert_sms(&outgoing(b.id, "2002", "theirs")).await.unwrap();

        let (all, total) = s.sms_page(Some(a.id), None, 0).await.unwrap();
        assert_eq!(total, 5);
        let listed: Vec<i64> = all.iter().map(|m| m.id).collect();
        let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
        assert_eq!(listed, newest_first);

        let (page, total) = s.sms_page(Some(a.id), Some(2), 1).await.unwrap();
        assert_eq!(total, 5);
        assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), newest_first[1..3]);

        let (everyone, total) = s.sms_page(None, None, 0).await.unwrap();
        assert_eq!(total, 6);
        assert_eq!(everyone[0], theirs);
        assert_eq!(s.sms_page(Some(b.id), Some(10), 0).await.unwrap(), (vec![theirs], 1));
    });
}

#[test]
fn inbound_messages_keep_their_direction_and_carrier_id() {
    on_both_engines("sms inbound", |s| async move {
        let t = s.ensure_tenant("a.example").await.unwrap();
        let new = NewSms {
            tenant_id: t.id,
            direction: SmsDirection::In,
            sms_from: "13055550150".into(),
            sms_to: "17865550100".into(),
            body: "hello from outside".into(),
            status: SmsStatus::Delivered,
            callback_url: None,
            provider_id: Some("mdr2-in-1".into()),
        };
        let m = s.insert_sms(&new).await.unwrap();
        assert_eq!((m.direction, m.status, m.callback_url), (SmsDirection::In, SmsStatus::Delivered, None));
        assert_eq!(s.sms_by_provider_id("mdr2-in-1").await.unwrap().map(|r| r.id), Some(m.id));
        assert!(s.queued_sms().await.unwrap().is_empty());
    });
}
