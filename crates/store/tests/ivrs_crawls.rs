//! Hosted IVR menus and IVR crawls in the store, on SQLite and, when
//! `VOXIDE_TEST_POSTGRES_URL` is set, on PostgreSQL in a schema of its own.

use serde_json::json;
use voxide_store::{CrawlRow, IvrDeletion, IvrOptionRow, NewDid, NewIvr, Store, StoreError};

mod engines;

use engines::on_both_engines;

fn opt(digit: &str, action: &str, target: &str) -> IvrOptionRow {
    IvrOptionRow { digit: digit.into(), action: action.into(), target: target.into() }
}

fn menu(name: &str, options: Vec<IvrOptionRow>) -> NewIvr {
    NewIvr {
        name: name.into(),
        greeting_text: Some("Press 1 for sales, 2 for support.".into()),
        greeting_file: None,
        timeout_ms: 5000,
        repeat: 3,
        invalid_text: Some("That is not an option.".into()),
        timeout_text: None,
        options,
    }
}

async fn did(store: &Store, tenant_id: i64, number: &str) -> i64 {
    let provider = store.ensure_provider("local", "local").await.unwrap();
    let new = NewDid { tenant_id, provider_id: provider, phonenumber: number.into(), extension_id: None };
    store.insert_did(&new).await.unwrap().id
}

#[test]
fn a_menu_keeps_its_options_in_order_and_stays_in_its_tenant() {
    on_both_engines("ivr crud", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let options = vec![opt("2", "extension", "1002"), opt("1", "number", "+17865550100"), opt("#", "hangup", "")];
        let m = s.create_ivr(t.id, &menu("main", options.clone())).await.unwrap();
        assert_eq!((m.tenant_id, m.name.as_str(), m.timeout_ms, m.repeat), (t.id, "main", 5000, 3));
        assert_eq!(m.options, options, "given order, not digit order");
        assert_eq!(m.created_at, m.updated_at);
        assert_eq!(s.ivr(t.id, m.id).await.unwrap(), Some(m.clone()));
        assert_eq!(s.ivr(other.id, m.id).await.unwrap(), None);
        assert_eq!(s.ivr_any_tenant(m.id).await.unwrap(), Some(m.clone()));
        assert!(s.ivrs(other.id).await.unwrap().is_empty());

        let taken = s.create_ivr(t.id, &menu("main", vec![])).await;
        assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
        let theirs = s.create_ivr(other.id, &menu("main", vec![opt("0", "playback", "bye.wav")])).await.unwrap();
        let sub = s.create_ivr(t.id, &menu("sub", vec![opt("*", "ivr", &m.id.to_string())])).await.unwrap();
        let mine = s.ivrs(t.id).await.unwrap();
        assert_eq!(mine, vec![m.clone(), sub.clone()]);
        assert_eq!(s.ivrs(other.id).await.unwrap(), vec![theirs]);
    });
}

#[test]
fn replacing_a_menu_swaps_all_its_options_at_once() {
    on_both_engines("ivr replace", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let m = s.create_ivr(t.id, &menu("main", vec![opt("1", "extension", "1001")])).await.unwrap();
        s.create_ivr(t.id, &menu("taken", vec![])).await.unwrap();
        let mut new = menu("renamed", vec![opt("9", "playback", "Goodbye."), opt("0", "extension", "1000")]);
        new.greeting_text = None;
        new.greeting_file = Some("welcome.wav".into());
        new.repeat = 1;
        let changed = s.replace_ivr(t.id, m.id, &new).await.unwrap().unwrap();
        assert_eq!(
            (changed.name.as_str(), changed.greeting_file.as_deref(), changed.repeat),
            ("renamed", Some("welcome.wav"), 1)
        );
        assert_eq!(changed.greeting_text, None);
        assert_eq!(changed.options, new.options);
        assert_eq!(changed.created_at, m.created_at);
        assert!(changed.updated_at >= m.updated_at);
        assert_eq!(s.replace_ivr(other.id, m.id, &new).await.unwrap(), None, "another tenant's menu");

        let clash = s.replace_ivr(t.id, m.id, &menu("taken", vec![])).await;
        assert!(matches!(clash, Err(StoreError::Conflict)), "{clash:?}");
        let twice =
            s.replace_ivr(t.id, m.id, &menu("renamed", vec![opt("1", "hangup", ""), opt("1", "hangup", "")])).await;
        assert!(matches!(twice, Err(StoreError::Conflict)), "a digit twice: {twice:?}");
        assert_eq!(s.ivr(t.id, m.id).await.unwrap(), Some(changed), "a failed replace changes nothing");
    });
}

#[test]
fn a_menu_something_leads_to_is_not_deleted() {
    on_both_engines("ivr delete", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let main = s.create_ivr(t.id, &menu("main", vec![opt("1", "extension", "1001")])).await.unwrap();
        let main_id = main.id.to_string();
        let sub = s.create_ivr(t.id, &menu("sub", vec![opt("*", "ivr", &main_id)])).await.unwrap();
        let sub_id = sub.id.to_string();
        s.replace_ivr(t.id, main.id, &menu("main", vec![opt("2", "ivr", &sub_id), opt("0", "ivr", &main_id)]))
            .await
            .unwrap();
        let d = did(&s, t.id, "17865550100").await;
        s.assign_did(d, None).await.unwrap();
        let routed = s.set_did_ivr(t.id, d, Some(main.id)).await.unwrap().unwrap();
        assert_eq!((routed.ivr_id, routed.extension_id), (Some(main.id), None));
        assert_eq!(s.set_did_ivr(other.id, d, None).await.unwrap(), None, "another tenant's DID");

        assert_eq!(s.delete_ivr(other.id, main.id).await.unwrap(), IvrDeletion::NotFound);
        assert_eq!(
            s.delete_ivr(t.id, main.id).await.unwrap(),
            IvrDeletion::RoutedFromDid { did_id: d, phonenumber: "17865550100".into() }
        );
        s.set_did_ivr(t.id, d, None).await.unwrap();
        assert_eq!(
            s.delete_ivr(t.id, main.id).await.unwrap(),
            IvrDeletion::TargetOfOption { ivr_id: sub.id, name: "sub".into(), digit: "*".into() }
        );
        assert_eq!(
            s.delete_ivr(t.id, sub.id).await.unwrap(),
            IvrDeletion::TargetOfOption { ivr_id: main.id, name: "main".into(), digit: "2".into() }
        );
        s.replace_ivr(t.id, main.id, &menu("main", vec![opt("0", "ivr", &main_id)])).await.unwrap();
        assert_eq!(s.delete_ivr(t.id, sub.id).await.unwrap(), IvrDeletion::Deleted);
        assert_eq!(s.delete_ivr(t.id, main.id).await.unwrap(), IvrDeletion::Deleted, "a loop to itself goes with it");
        assert_eq!(s.delete_ivr(t.id, main.id).await.unwrap(), IvrDeletion::NotFound);
        assert!(s.ivrs(t.id).await.unwrap().is_empty());
    });
}

#[test]
fn a_did_routes_to_an_extension_or_a_menu_not_both() {
    on_both_engines("did ivr", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let m = s.create_ivr(t.id, &menu("main", vec![])).await.unwrap();
        let d = did(&s, t.id, "17865550101").await;
        assert_eq!(s.did_by_id(None, d).await.unwrap().unwrap().ivr_id, None);
        let row = s.set_did_ivr(t.id, d, Some(m.id)).await.unwrap().unwrap();
        assert_eq!(row.ivr_id, Some(m.id));
        assert_eq!(
            s.did_by_number("17865550101").await.unwrap().unwrap().ivr_id,
            Some(m.id),
            "inbound routing sees it"
        );
        let row = s.set_did_ivr(t.id, d, None).await.unwrap().unwrap();
        assert_eq!(row.ivr_id, None);
    });
}

#[test]
fn a_crawl_moves_through_its_states_and_retries_when_due() {
    on_both_engines("crawl state", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let c = s.create_crawl(t.id, "14582037530", Some("DP Software"), true).await.unwrap();
        assert_eq!((c.status.as_str(), c.attempt, c.completed, c.retry_enabled), (CrawlRow::CALLING, 0, false, true));
        assert_eq!(c.business_name.as_deref(), Some("DP Software"));
        assert_eq!(s.crawl_by_number(t.id, "14582037530").await.unwrap(), Some(c.clone()));
        assert_eq!(s.crawl_by_number(other.id, "14582037530").await.unwrap(), None);
        assert_eq!(s.crawls_to_resume().await.unwrap(), vec![c.clone()], "cut short by a restart");

        s.set_crawl_state(c.id, CrawlRow::FAILED, 1, false, Some("busy"), Some("2030-01-01T00:10:00.000000Z"))
            .await
            .unwrap();
        let failed = s.crawl(c.id).await.unwrap().unwrap();
        assert_eq!(
            (failed.status.as_str(), failed.attempt, failed.reason.as_deref()),
            (CrawlRow::FAILED, 1, Some("busy"))
        );
        assert!(s.crawls_to_resume().await.unwrap().is_empty());
        assert!(s.crawls_due_retry("2030-01-01T00:09:59.999999Z").await.unwrap().is_empty());
        assert_eq!(s.crawls_due_retry("2030-01-01T00:10:00.000000Z").await.unwrap(), vec![failed.clone()]);

        let no_retry = s.create_crawl(t.id, "18009256278", None, false).await.unwrap();
        s.set_crawl_state(
            no_retry.id,
            CrawlRow::FAILED,
            1,
            false,
            Some("no answer"),
            Some("2030-01-01T00:00:00.000000Z"),
        )
        .await
        .unwrap();
        let due: Vec<i64> =
            s.crawls_due_retry("2031-01-01T00:00:00.000000Z").await.unwrap().iter().map(|c| c.id).collect();
        assert_eq!(due, [c.id], "retries off");

        s.set_crawl_state(c.id, CrawlRow::PROCESSED, 2, true, None, None).await.unwrap();
        let done = s.crawl(c.id).await.unwrap().unwrap();
        assert_eq!((done.completed, done.reason, done.next_retry_at), (true, None, None));
        let newer = s.create_crawl(t.id, "14582037530", None, true).await.unwrap();
        assert_eq!(s.crawl_by_number(t.id, "14582037530").await.unwrap().map(|c| c.id), Some(newer.id), "the latest");
    });
}

#[test]
fn scans_list_newest_first_with_their_calls() {
    on_both_engines("scans", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let a = s.create_crawl(t.id, "18009256278", None, true).await.unwrap();
        let b = s.create_crawl(t.id, "14582037530", None, true).await.unwrap();
        let theirs = s.create_crawl(other.id, "18009256278", None, true).await.unwrap();
        let first = s.add_scan(&a).await.unwrap();
        assert_eq!((first.status.as_str(), first.attempt, first.call_uuids.len()), (CrawlRow::CALLING, 0, 0));
        s.set_crawl_state(a.id, CrawlRow::CALLING, 1, false, None, None).await.unwrap();
        let second = s.add_scan(&s.crawl(a.id).await.unwrap().unwrap()).await.unwrap();
        s.add_scan(&b).await.unwrap();
        s.add_scan(&theirs).await.unwrap();
        s.set_scan_status(second.id, CrawlRow::CALLING, Some("uuid-1")).await.unwrap();
        s.set_scan_status(second.id, CrawlRow::PROCESSED, Some("uuid-2")).await.unwrap();
        s.set_scan_status(first.id, CrawlRow::FAILED, None).await.unwrap();

        let (count, page) = s.scans(t.id, Some("18009256278"), 10, 0).await.unwrap();
        assert_eq!(count, 2);
        let ids: Vec<i64> = page.iter().map(|r| r.id).collect();
        assert_eq!(ids, [second.id, first.id]);
        assert_eq!((page[0].status.as_str(), page[0].attempt), (CrawlRow::PROCESSED, 1));
        assert_eq!(page[0].call_uuids, ["uuid-1", "uuid-2"]);
        assert_eq!((page[1].status.as_str(), page[1].call_uuids.len()), (CrawlRow::FAILED, 0));
        assert!(page[0].updated_at >= page[0].created_at);

        let (count, page) = s.scans(t.id, None, 1, 1).await.unwrap();
        assert_eq!((count, page.len(), page[0].id), (3, 1, second.id));
        assert_eq!(s.scans(t.id, None, 10, 5).await.unwrap(), (3, vec![]));
        assert_eq!(s.scans(other.id, None, 10, 0).await.unwrap().0, 1);
        assert_eq!(s.scans(t.id, Some("1999"), 10, 0).await.unwrap(), (0, vec![]));
    });
}

#[test]
fn nodes_are_found_once_and_keep_what_their_prompt_said() {
    on_both_engines("nodes", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let c = s.create_crawl(t.id, "14582037530", None, true).await.unwrap();
        let root = s.upsert_node(c.id, None, "", "", "").await.unwrap();
        assert_eq!((root.parent_id, root.key.as_str(), root.audio_text.as_str(), root.explored), (None, "", "", false));
        let debug =
            json!([{"transcript": "press 1 for sales", "confidence": 0.97, "timestamps": [["press", 7.8, 8.07]]}]);
        s.set_node_prompt(root.id, " press one for sales", Some(&debug), Some("/api/media/crawls/1/root.wav"))
            .await
            .unwrap();
        let sales = s.upsert_node(c.id, Some(root.id), "1", "1", "press one for sales").await.unwrap();
        let again = s.upsert_node(c.id, Some(root.id), "1", "1", "a resumed crawl hears it again").await.unwrap();
        assert_eq!(again, sales, "no duplicate, and the first words stay");
        let voice = s.upsert_node(c.id, Some(sales.id), "3", "1,3", "press three to voice").await.unwrap();

        let nodes = s.crawl_nodes(c.id).await.unwrap();
        assert_eq!(nodes.iter().map(|n| n.keys_to_reach.as_str()).collect::<Vec<_>>(), ["", "1", "1,3"]);
        assert_eq!(nodes[0].audio_text_debug, Some(debug));
        assert_eq!(nodes[0].prompt_audio.as_deref(), Some("/api/media/crawls/1/root.wav"));
        assert!(nodes[0].explored && !nodes[1].explored);
        assert_eq!(nodes[2].parent_id, Some(sales.id));
        s.set_node_prompt(voice.id, " thanks for your query", None, None).await.unwrap();
        let (owner, found) = s.crawl_node(t.id, voice.id).await.unwrap().unwrap();
        assert_eq!(
            (owner.id, found.audio_text.as_str(), found.audio_text_debug, found.explored),
            (c.id, " thanks for your query", None, true)
        );
        assert_eq!(s.crawl_node(other.id, voice.id).await.unwrap(), None);

        s.set_crawl_state(c.id, CrawlRow::PROCESSED, 1, true, None, None).await.unwrap();
        s.reset_crawl(c.id).await.unwrap();
        assert!(s.crawl_nodes(c.id).await.unwrap().is_empty());
        assert!(!s.crawl(c.id).await.unwrap().unwrap().completed);
        let fresh = s.upsert_node(c.id, None, "", "", "").await.unwrap();
        assert!(!fresh.explored);
    });
}
