//! Seed 002's extension fields in the store: display name and detail,
//! direct-address hashes, the newest-first page, and soft delete — on
//! SQLite and, when `VOXIDE_TEST_POSTGRES_URL` is set, on PostgreSQL.

use voxide_store::{
    ExtensionChanges, ExtensionRow, HuntStrategy, NewBinding, NewDid, NewExtension, NewHuntGroup, Store, StoreError,
};

mod engines;

use engines::on_both_engines;

/// A tenant with its admin user: (tenant id, user id).
async fn tenant(s: &Store, domain: &str) -> (i64, i64) {
    let t = s.ensure_tenant(domain).await.unwrap();
    let u = s.ensure_user(t.id, &format!("admin@{domain}"), false).await.unwrap();
    (t.id, u.id)
}

/// Adds extension `name` with seed 002's display name and detail.
async fn add(s: &Store, (tenant_id, user_id): (i64, i64), name: &str, labels: (&str, &str)) -> ExtensionRow {
    let new = NewExtension {
        tenant_id,
        user_id,
        sip_username: name.into(),
        sip_password: format!("secret-{name}"),
        cellphone: String::new(),
        transcription: 0,
        recording: 0,
    };
    s.insert_labelled_extension(&new, labels.0, labels.1).await.unwrap()
}

const NO_LABELS: (&str, &str) = ("", "");

#[test]
fn labels_are_stored_and_changed_like_any_field() {
    on_both_engines("ext-labels", |s| async move {
        let t = tenant(&s, "example.com").await;
        let e = add(&s, t, "1001", ("Front desk", "by the door")).await;
        assert_eq!((e.display_name.as_str(), e.detail.as_str()), ("Front desk", "by the door"));
        assert_eq!(e.created_at, e.updated_at, "a new row was never updated");
        assert_eq!((e.direct_hash.as_deref(), e.deleted_at.as_deref()), (None, None));
        assert!(e.created_at.ends_with('Z'), "{}", e.created_at);

        // The native insert leaves them empty.
        let plain = NewExtension {
            tenant_id: t.0,
            user_id: t.1,
            sip_username: "1002".into(),
            sip_password: "secret-1002".into(),
            cellphone: String::new(),
            transcription: 0,
            recording: 0,
        };
        let p = s.insert_extension(&plain).await.unwrap();
        assert_eq!((p.display_name.as_str(), p.detail.as_str()), ("", ""));

        let changes = ExtensionChanges { detail: Some("moved upstairs".into()), ..Default::default() };
        let changed = s.update_extension(e.id, &changes).await.unwrap().unwrap();
        assert_eq!(changed.display_name, "Front desk", "untouched fields are kept");
        assert_eq!(changed.detail, "moved upstairs");
        assert_eq!(changed.sip_password, "secret-1001");
        assert_eq!(s.extension_by_id(None, e.id).await.unwrap(), Some(changed));
    });
}

#[test]
fn a_direct_hash_is_set_replaced_and_removed_and_unique_across_tenants() {
    on_both_engines("ext-direct", |s| async move {
        let a = tenant(&s, "a.example").await;
        let b = tenant(&s, "b.example").await;
        let ea = add(&s, a, "1001", NO_LABELS).await;
        let eb = add(&s, b, "1001", NO_LABELS).await;

        let set = |h: Option<&str>| ExtensionChanges { direct_hash: Some(h.map(str::to_string)), ..Default::default() };
        let on = s.update_extension(ea.id, &set(Some("a1b2c3d4e5f60718"))).await.unwrap().unwrap();
        assert_eq!(on.direct_hash.as_deref(), Some("a1b2c3d4e5f60718"));
        assert!(on.updated_at > on.created_at, "{} !> {}", on.updated_at, on.created_at);
        // Loaded again (as the switch does at start), it is there.
        let all = s.extensions(None).await.unwrap();
        assert_eq!(
            all.iter().find(|e| e.id == ea.id).and_then(|e| e.direct_hash.clone()).as_deref(),
            Some("a1b2c3d4e5f60718")
        );

        // Another extension, even in another tenant, cannot hold the same hash.
        let taken = s.update_extension(eb.id, &set(Some("a1b2c3d4e5f60718"))).await;
        assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
        assert_eq!(s.extension_by_id(None, eb.id).await.unwrap().unwrap().direct_hash, None);

        // Changing other fields keeps the hash; a new one replaces it.
        let renamed = ExtensionChanges { display_name: Some("Sales".into()), ..Default::default() };
        let kept = s.update_extension(ea.id, &renamed).await.unwrap().unwrap();
        assert_eq!(kept.direct_hash.as_deref(), Some("a1b2c3d4e5f60718"));
        let again = s.update_extension(ea.id, &set(Some("0f1e2d3c4b5a6978"))).await.unwrap().unwrap();
        assert_eq!(again.direct_hash.as_deref(), Some("0f1e2d3c4b5a6978"));
        // The old hash is free again.
        let moved = s.update_extension(eb.id, &set(Some("a1b2c3d4e5f60718"))).await.unwrap().unwrap();
        assert_eq!(moved.direct_hash.as_deref(), Some("a1b2c3d4e5f60718"));

        let off = s.update_extension(ea.id, &set(None)).await.unwrap().unwrap();
        assert_eq!(off.direct_hash, None);
        assert_eq!(off.display_name, "Sales");
    });
}

#[test]
fn the_page_is_newest_first_and_continues_before_the_token() {
    on_both_engines("ext-page", |s| async move {
        let a = tenant(&s, "a.example").await;
        let b = tenant(&s, "b.example").await;
        let mut mine = Vec::new();
        for n in 0..5 {
            mine.push(add(&s, a, &format!("10{n:02}"), NO_LABELS).await);
            // Microsecond timestamps: make each creation time distinct.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let theirs = add(&s, b, "2000", NO_LABELS).await;

        let first = s.extensions_page(Some(a.0), None, 2).await.unwrap();
        let ids = |rows: &[ExtensionRow]| rows.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&first), [mine[4].id, mine[3].id]);
        let second = s.extensions_page(Some(a.0), Some(&first[1].created_at), 2).await.unwrap();
        assert_eq!(ids(&second), [mine[2].id, mine[1].id]);
        let third = s.extensions_page(Some(a.0), Some(&second[1].created_at), 2).await.unwrap();
        assert_eq!(ids(&third), [mine[0].id]);
        assert!(s.extensions_page(Some(a.0), Some(&third[0].created_at), 2).await.unwrap().is_empty());

        // Without a tenant (a super-admin), every tenant's rows.
        let everyone = s.extensions_page(None, None, 10).await.unwrap();
        assert_eq!(everyone.len(), 6);
        assert_eq!(everyone[0].id, theirs.id);
    });
}

#[test]
fn a_soft_deleted_extension_keeps_its_record_but_leaves_every_lookup() {
    on_both_engines("ext-soft-delete", |s| async move {
        let t = tenant(&s, "example.com").await;
        let e = add(&s, t, "1001", ("Front desk", "")).await;
        let other = add(&s, t, "1002", NO_LABELS).await;
        let hashed = ExtensionChanges { direct_hash: Some(Some("a1b2c3d4e5f60718".into())), ..Default::default() };
        s.update_extension(e.id, &hashed).await.unwrap().unwrap();
        let now = s.unix_now();
        s.upsert_binding(&NewBinding {
            tenant_id: t.0,
            extension_id: e.id,
            aor: "sip:1001@example.com".into(),
            contact: "sip:1001@127.0.0.1:5062".into(),
            q: 1.0,
            call_id: "c1".into(),
            cseq: 1,
            expires_at: now + 3600,
            source: "127.0.0.1:5062".into(),
            transport: "UDP".into(),
            user_agent: String::new(),
            path: String::new(),
        })
        .await
        .unwrap();
        let provider = s.ensure_provider("local", "local").await.unwrap();
        let did = s
            .insert_did(&NewDid {
                tenant_id: t.0,
                provider_id: provider,
                phonenumber: "17865550100".into(),
                extension_id: Some(e.id),
            })
            .await
            .unwrap();

        let hunt = NewHuntGroup {
            name: "Sales".into(),
            number: "501".into(),
            strategy: HuntStrategy::RingAll,
            ring_secs: 20,
            skip_busy: false,
            overflow: String::new(),
            members: vec![e.id, other.id],
        };
        let group = s.create_hunt_group(t.0, &hunt).await.unwrap();

        let gone = s.soft_delete_extension(e.id).await.unwrap().expect("was live");
        assert!(gone.deleted_at.as_deref().is_some_and(|d| d.ends_with('Z')), "{gone:?}");
        assert_eq!(gone.direct_hash, None, "its direct address goes with it");
        assert_eq!(gone.display_name, "Front desk");

        // Left out of everything that means a live extension...
        assert_eq!(s.extension_by_id(None, e.id).await.unwrap(), None);
        assert_eq!(s.extension_by_username(t.0, "1001").await.unwrap(), None);
        assert_eq!(s.extensions(Some(t.0)).await.unwrap(), vec![other.clone()]);
        assert_eq!(s.extensions(None).await.unwrap(), vec![other.clone()]);
        assert_eq!(s.extensions_page(Some(t.0), None, 10).await.unwrap(), vec![other.clone()]);
        assert!(s.update_extension(e.id, &ExtensionChanges::default()).await.unwrap().is_none());
        assert!(s.live_bindings(Some(t.0), now).await.unwrap().is_empty(), "bindings dropped");
        assert_eq!(s.did_by_id(None, did.id).await.unwrap().unwrap().extension_id, None, "DID unassigned");
        let members = s.hunt_group(t.0, group.id).await.unwrap().unwrap().members;
        assert_eq!(members.iter().map(|m| m.extension_id).collect::<Vec<_>>(), [other.id], "out of its hunt group");
        // ...but its record stays, inside its tenant only.
        assert_eq!(s.extension_record(Some(t.0), e.id).await.unwrap(), Some(gone.clone()));
        assert_eq!(s.extension_record(Some(t.0 + 1), e.id).await.unwrap(), None);
        // Deleting twice finds nothing live.
        assert_eq!(s.soft_delete_extension(e.id).await.unwrap(), None);

        // Its username can be taken again; the old record is purged then.
        let reborn = add(&s, t, "1001", NO_LABELS).await;
        assert_ne!(reborn.id, e.id);
        assert_eq!(s.extension_record(None, e.id).await.unwrap(), None);
        // Renaming onto a deleted name works the same way.
        s.soft_delete_extension(reborn.id).await.unwrap().unwrap();
        let rename = ExtensionChanges { sip_username: Some("1001".into()), ..Default::default() };
        let renamed = s.update_extension(other.id, &rename).await.unwrap().unwrap();
        assert_eq!(renamed.sip_username, "1001");
        assert_eq!(s.extension_record(None, reborn.id).await.unwrap(), None);
    });
}
