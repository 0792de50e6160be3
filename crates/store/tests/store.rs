//! The store against both engines. Every test runs its case on a fresh
//! SQLite file, then on PostgreSQL when `VOXIDE_TEST_POSTGRES_URL` is set
//! (`make test` sets it). Each PostgreSQL run gets its own schema, dropped
//! afterwards, so parallel tests and other users of the database do not
//! collide.

use std::future::Future;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use voxide_store::{
    CdrEnd, CdrFilter, CdrOrder, CdrStart, ExtensionChanges, NewBinding, NewDid, NewExtension, SecretBox, Store,
    StoreError, TenantRow, UserRow, generate_token, hash_token,
};

const KEY: &str = "test key material";

/// One engine's store, with a raw pool to look behind it.
#[derive(Clone)]
struct Db {
    store: Store,
    raw: AnyPool,
    url: String,
}

impl Db {
    async fn open(url: String) -> Db {
        let store = Store::connect(&url, SecretBox::from_key_material(KEY)).await.expect("connect");
        store.migrate().await.expect("migrate");
        let raw = AnyPoolOptions::new().max_connections(1).connect(&url).await.expect("raw pool");
        Db { store, raw, url }
    }

    async fn close(&self) {
        self.raw.close().await;
        self.store.close().await;
    }

    async fn texts(&self, sql: &str) -> Vec<String> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.raw).await.unwrap();
        rows.iter().map(|r| r.try_get::<String, _>(0).unwrap()).collect()
    }
}

/// Runs `case` on SQLite, then on PostgreSQL if configured.
fn on_both_engines<F, Fut>(name: &str, case: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let file = std::env::temp_dir().join(format!("voxide-store-{}.db", rand::random::<u64>()));
        let db = Db::open(format!("sqlite://{}", file.display())).await;
        case(db.clone()).await;
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }

        let Some(base) = std::env::var("VOXIDE_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
            println!("{name}: PostgreSQL half skipped: VOXIDE_TEST_POSTGRES_URL is not set");
            return;
        };
        let schema = format!("voxide_test_{:016x}", rand::random::<u64>());
        let admin = AnyPoolOptions::new().max_connections(1).connect(&base).await.expect("PostgreSQL");
        let create = format!("CREATE SCHEMA {schema}");
        sqlx::query(sqlx::AssertSqlSafe(create)).execute(&admin).await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let db = Db::open(format!("{base}{sep}options=-c%20search_path%3D{schema}")).await;
        case(db.clone()).await;
        db.close().await;
        let drop = format!("DROP SCHEMA {schema} CASCADE");
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&admin).await.unwrap();
        admin.close().await;
    });
}

async fn tenant(store: &Store, domain: &str) -> (TenantRow, UserRow) {
    let t = store.ensure_tenant(domain).await.unwrap();
    let u = store.ensure_user(t.id, &format!("admin@{domain}"), false).await.unwrap();
    (t, u)
}

fn extension(t: &TenantRow, u: &UserRow, user: &str, password: &str) -> NewExtension {
    NewExtension {
        tenant_id: t.id,
        user_id: u.id,
        sip_username: user.into(),
        sip_password: password.into(),
        cellphone: String::new(),
        transcription: 0,
        recording: 0,
    }
}

#[test]
fn migrations_apply_once_and_are_idempotent() {
    on_both_engines("migrations", |db| async move {
        db.store.migrate().await.expect("a second migrate is a no-op");
        let versions = sqlx::query("SELECT version FROM _sqlx_migrations").fetch_all(&db.raw).await.unwrap();
        let shipped =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/sqlite")).unwrap().count();
        assert_eq!(versions.len(), shipped, "each shipped migration applied exactly once");
        assert!(db.store.tenants().await.unwrap().is_empty());
        let a = db.store.ensure_tenant("example.com").await.unwrap();
        assert_eq!(db.store.ensure_tenant("example.com").await.unwrap(), a);
        assert_eq!(db.store.tenant(a.id).await.unwrap(), Some(a.clone()));
        let u = db.store.ensure_user(a.id, "admin", true).await.unwrap();
        assert!(u.is_superadmin);
        assert_eq!(db.store.ensure_user(a.id, "admin", true).await.unwrap(), u);
        let p = db.store.ensure_provider("local", "local").await.unwrap();
        assert_eq!(db.store.ensure_provider("local", "local").await.unwrap(), p);
    });
}

#[test]
fn extension_passwords_are_sealed_at_rest() {
    on_both_engines("sealed passwords", |db| async move {
        let (t, u) = tenant(&db.store, "example.com").await;
        let a = db.store.insert_extension(&extension(&t, &u, "1001", "hunter2-secret")).await.unwrap();
        db.store.insert_extension(&extension(&t, &u, "1002", "hunter2-secret")).await.unwrap();
        assert_eq!(a.sip_password, "hunter2-secret");
        let sealed = db.texts("SELECT sip_password_enc FROM extensions ORDER BY id").await;
        assert_eq!(sealed.len(), 2);
        assert!(sealed.iter().all(|s| !s.contains("hunter2")), "{sealed:?}");
        assert_ne!(sealed[0], sealed[1], "each seal has its own nonce");

        let wrong = Store::connect(&db.url, SecretBox::from_key_material("another key")).await.unwrap();
        assert!(matches!(wrong.extensions(Some(t.id)).await, Err(StoreError::Secret(_))));
        wrong.close().await;
        let right = Store::connect(&db.url, SecretBox::from_key_material(KEY)).await.unwrap();
        assert_eq!(right.extension_by_id(None, a.id).await.unwrap().unwrap().sip_password, "hunter2-secret");
        right.close().await;
    });
}

#[test]
fn extension_crud_is_scoped_to_its_tenant() {
    on_both_engines("extension crud", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let (other, _) = tenant(s, "other.example").await;
        let mut new = extension(&t, &u, "1001", "secret-1001");
        new.cellphone = "13055550100".into();
        new.transcription = 1;
        let e = s.insert_extension(&new).await.unwrap();
        assert_eq!((e.domain.as_str(), e.cellphone.as_str(), e.transcription), ("example.com", "13055550100", 1));
        assert_eq!(s.extension_by_id(Some(t.id), e.id).await.unwrap(), Some(e.clone()));
        assert_eq!(s.extension_by_id(None, e.id).await.unwrap(), Some(e.clone()));
        assert_eq!(s.extension_by_id(Some(other.id), e.id).await.unwrap(), None);
        assert_eq!(s.extension_by_username(t.id, "1001").await.unwrap(), Some(e.clone()));
        assert_eq!(s.extension_by_username(other.id, "1001").await.unwrap(), None);
        assert!(s.extensions(Some(other.id)).await.unwrap().is_empty());

        let changes = ExtensionChanges { sip_password: Some("changed-pw".into()), ..Default::default() };
        let changed = s.update_extension(e.id, &changes).await.unwrap().unwrap();
        assert_eq!((changed.sip_password.as_str(), changed.cellphone.as_str()), ("changed-pw", "13055550100"));
        assert!(changed.updated_at >= e.updated_at);
        let renamed = ExtensionChanges { sip_username: Some("2001".into()), ..Default::default() };
        assert_eq!(s.update_extension(e.id, &renamed).await.unwrap().unwrap().sip_username, "2001");
        assert_eq!(s.update_extension(9999, &renamed).await.unwrap(), None);

        assert!(s.delete_extension(e.id).await.unwrap());
        assert!(!s.delete_extension(e.id).await.unwrap());
        assert!(s.extensions(None).await.unwrap().is_empty());
    });
}

#[test]
fn unique_values_conflict_as_store_errors() {
    on_both_engines("conflicts", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let (t2, u2) = tenant(s, "other.example").await;
        let a = s.insert_extension(&extension(&t, &u, "1001", "secret-1")).await.unwrap();
        let b = s.insert_extension(&extension(&t, &u, "1002", "secret-2")).await.unwrap();
        let dup = s.insert_extension(&extension(&t, &u, "1001", "secret-3")).await;
        assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
        s.insert_extension(&extension(&t2, &u2, "1001", "secret-4")).await.expect("same name, other tenant");
        let rename = ExtensionChanges { sip_username: Some("1001".into()), ..Default::default() };
        assert!(matches!(s.update_extension(b.id, &rename).await, Err(StoreError::Conflict)));
        assert_eq!(s.extension_by_id(None, a.id).await.unwrap().unwrap().sip_password, "secret-1");

        let p = s.ensure_provider("local", "local").await.unwrap();
        let did = NewDid { tenant_id: t.id, provider_id: p, phonenumber: "17865550100".into(), extension_id: None };
        s.insert_did(&did).await.unwrap();
        let elsewhere = NewDid { tenant_id: t2.id, ..did };
        assert!(matches!(s.insert_did(&elsewhere).await, Err(StoreError::Conflict)), "a number has one owner");

        let call = cdr_start(t.id, "call-1", None, None);
        s.start_cdr(&call).await.unwrap();
        assert!(matches!(s.start_cdr(&call).await, Err(StoreError::Conflict)));
        s.insert_token(t.id, u.id, "ci", "same-token-value", false).await.unwrap();
        let again = s.insert_token(t.id, u.id, "ci-2", "same-token-value", false).await;
        assert!(matches!(again, Err(StoreError::Conflict)));
    });
}

#[test]
fn dids_route_to_extensions_and_outlive_them() {
    on_both_engines("dids", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let (other, _) = tenant(s, "other.example").await;
        let p = s.ensure_provider("local", "local").await.unwrap();
        let one = s.insert_extension(&extension(&t, &u, "1001", "secret-1")).await.unwrap();
        let two = s.insert_extension(&extension(&t, &u, "1002", "secret-2")).await.unwrap();
        let new =
            NewDid { tenant_id: t.id, provider_id: p, phonenumber: "17865550100".into(), extension_id: Some(one.id) };
        let d = s.insert_did(&new).await.unwrap();
        assert_eq!(
            (d.phonenumber.as_str(), d.domain.as_str(), d.extension_id, d.provider_id),
            ("17865550100", "example.com", Some(one.id), p)
        );
        assert_eq!(s.did_by_number("17865550100").await.unwrap(), Some(d.clone()));
        assert_eq!(s.did_by_number("17865550199").await.unwrap(), None);
        assert_eq!(s.did_by_id(Some(t.id), d.id).await.unwrap(), Some(d.clone()));
        assert_eq!(s.did_by_id(Some(other.id), d.id).await.unwrap(), None);
        assert!(s.dids(Some(other.id)).await.unwrap().is_empty());
        assert_eq!(s.dids(None).await.unwrap(), vec![d.clone()]);

        assert_eq!(s.assign_did(d.id, Some(two.id)).await.unwrap().unwrap().extension_id, Some(two.id));
        assert_eq!(s.assign_did(d.id, None).await.unwrap().unwrap().extension_id, None);
        s.assign_did(d.id, Some(two.id)).await.unwrap();
        assert!(s.delete_extension(two.id).await.unwrap());
        assert_eq!(s.did_by_id(None, d.id).await.unwrap().unwrap().extension_id, None, "unassigned, still owned");
        assert!(s.delete_did(d.id).await.unwrap());
        assert!(!s.delete_did(d.id).await.unwrap());
        assert_eq!(s.did_by_number("17865550100").await.unwrap(), None);
    });
}

fn cdr_start(tenant_id: i64, uuid: &str, did: Option<i64>, ext: Option<i64>) -> CdrStart {
    CdrStart {
        tenant_id,
        call_uuid: uuid.into(),
        call_direction: "inbound".into(),
        did_number_id: did,
        call_from: "13055550111".into(),
        call_to: "17865550100".into(),
        extension_id: ext,
        is_verified: false,
        in_contact: true,
        started_at: "2024-05-01T10:00:00.000000Z".into(),
    }
}

fn cdr_end(uuid: &str) -> CdrEnd {
    CdrEnd {
        call_uuid: uuid.into(),
        answered_at: Some("2024-05-01T10:00:02.000000Z".into()),
        ended_at: "2024-05-01T10:01:02.000000Z".into(),
        bill_duration: 60,
        hangup_cause: "NORMAL_CLEARING".into(),
        recording: Some("domain_1/call-1.wav".into()),
        transcription_text: Some("hello".into()),
    }
}

#[test]
fn cdrs_are_written_at_start_completed_at_end_and_closed_after_a_crash() {
    on_both_engines("cdr lifecycle", |db| async move {
        let s = &db.store;
        let (t, _) = tenant(s, "example.com").await;
        for uuid in ["call-1", "call-2", "call-3"] {
            s.start_cdr(&cdr_start(t.id, uuid, None, None)).await.unwrap();
        }
        let open = s.cdr_by_uuid("call-1").await.unwrap().unwrap();
        assert_eq!((open.ended_at, open.hangup_cause, open.bill_duration, open.in_contact), (None, None, 0, true));
        assert!(s.end_cdr(&cdr_end("call-1")).await.unwrap());
        assert!(!s.end_cdr(&cdr_end("no-such-call")).await.unwrap());
        let done = s.cdr_by_uuid("call-1").await.unwrap().unwrap();
        assert_eq!(done.bill_duration, 60);
        assert_eq!(done.hangup_cause.as_deref(), Some("NORMAL_CLEARING"));
        assert_eq!(done.recording.as_deref(), Some("domain_1/call-1.wav"));
        assert_eq!(done.transcription_text.as_deref(), Some("hello"));

        assert_eq!(s.close_unfinished_cdrs("CRASH").await.unwrap(), 2);
        assert_eq!(s.close_unfinished_cdrs("CRASH").await.unwrap(), 0);
        for uuid in ["call-2", "call-3"] {
            let closed = s.cdr_by_uuid(uuid).await.unwrap().unwrap();
            assert_eq!(closed.hangup_cause.as_deref(), Some("CRASH"));
            assert!(closed.ended_at.is_some());
        }
        let untouched = s.cdr_by_uuid("call-1").await.unwrap().unwrap();
        assert_eq!(untouched, done, "a finished call keeps its own cause");
        assert_eq!(s.cdr_by_uuid("no-such-call").await.unwrap(), None);
    });
}

#[test]
fn cdr_filters_search_order_and_pages() {
    on_both_engines("cdr filters", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let (other, _) = tenant(s, "other.example").await;
        let p = s.ensure_provider("local", "local").await.unwrap();
        let ext = s.insert_extension(&extension(&t, &u, "1001", "secret-1")).await.unwrap();
        let new = NewDid { tenant_id: t.id, provider_id: p, phonenumber: "17865550100".into(), extension_id: None };
        let did = s.insert_did(&new).await.unwrap();
        let mut ids = Vec::new();
        for (i, (d, e)) in [(Some(did.id), Some(ext.id)), (Some(did.id), None), (None, Some(ext.id)), (None, None)]
            .into_iter()
            .enumerate()
        {
            ids.push(s.start_cdr(&cdr_start(t.id, &format!("call-{i}"), d, e)).await.unwrap());
        }
        s.start_cdr(&cdr_start(other.id, "theirs", None, None)).await.unwrap();

        let list = |f: CdrFilter| async move {
            let (rows, total) = s.cdrs(&f).await.unwrap();
            (rows.iter().map(|c| c.id).collect::<Vec<_>>(), total)
        };
        let mine = CdrFilter { tenant_id: Some(t.id), ..Default::default() };
        let rev: Vec<i64> = ids.iter().rev().copied().collect();
        assert_eq!(list(mine.clone()).await, (rev.clone(), 4), "newest first by default");
        assert_eq!(list(CdrFilter { order: CdrOrder::CreatedAsc, ..mine.clone() }).await, (ids.clone(), 4));
        assert_eq!(list(CdrFilter::default()).await.1, 5, "no tenant filter: every tenant");
        let by_did = CdrFilter { did_number: Some("17865550100".into()), ..mine.clone() };
        assert_eq!(list(by_did).await, (vec![ids[1], ids[0]], 2));
        let by_ext = CdrFilter { extension_number: Some("1001".into()), ..mine.clone() };
        assert_eq!(list(by_ext).await, (vec![ids[2], ids[0]], 2));
        let by_id = CdrFilter { search: Some(ids[2].to_string()), ..mine.clone() };
        assert!(list(by_id).await.0.contains(&ids[2]));
        let created = s.cdr_by_uuid("call-0").await.unwrap().unwrap().created_at;
        let by_date = CdrFilter { search: Some(created[..10].to_string()), ..mine.clone() };
        assert_eq!(list(by_date).await.1, 4);
        for hostile in ["' OR '1'='1", "%' --", "1; DROP TABLE cdrs"] {
            let f = CdrFilter { search: Some(hostile.into()), did_number: Some(hostile.into()), ..mine.clone() };
            assert_eq!(list(f).await, (vec![], 0), "{hostile}");
        }
        let page = CdrFilter { limit: Some(2), offset: 1, ..mine.clone() };
        assert_eq!(list(page).await, (rev[1..3].to_vec(), 4), "total counts every match, not the page");
        let past = CdrFilter { limit: Some(2), offset: 10, ..mine };
        assert_eq!(list(past).await, (vec![], 4));
    });
}

#[test]
fn bindings_upsert_expire_and_purge() {
    on_both_engines("bindings", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let (other, ou) = tenant(s, "other.example").await;
        let e = s.insert_extension(&extension(&t, &u, "1001", "secret-1")).await.unwrap();
        let f = s.insert_extension(&extension(&other, &ou, "1001", "secret-2")).await.unwrap();
        let now = s.unix_now();
        let binding = |ext: i64, tenant_id: i64, aor: &str, contact: &str, expires_at: i64| NewBinding {
            tenant_id,
            extension_id: ext,
            aor: aor.into(),
            contact: contact.into(),
            q: 0.5,
            call_id: "cid".into(),
            cseq: 1,
            expires_at,
            source: "127.0.0.1:5062".into(),
            transport: "udp".into(),
            user_agent: "phone".into(),
            path: String::new(),
        };
        let aor = "sip:1001@example.com";
        s.upsert_binding(&binding(e.id, t.id, aor, "sip:1001@10.0.0.1", now + 60)).await.unwrap();
        let refreshed = NewBinding { cseq: 2, ..binding(e.id, t.id, aor, "sip:1001@10.0.0.1", now + 120) };
        s.upsert_binding(&refreshed).await.unwrap();
        s.upsert_binding(&binding(e.id, t.id, aor, "sip:1001@10.0.0.2", now - 1)).await.unwrap();
        s.upsert_binding(&binding(f.id, other.id, "sip:1001@other.example", "sip:x@10.0.0.3", now + 60)).await.unwrap();

        assert_eq!(
            s.live_bindings(Some(t.id), now).await.unwrap(),
            vec![refreshed.clone()],
            "refreshed, not duplicated"
        );
        assert_eq!(s.live_bindings(None, now).await.unwrap().len(), 2);
        assert_eq!(s.purge_expired_bindings(now).await.unwrap(), 1);
        assert_eq!(s.purge_expired_bindings(now).await.unwrap(), 0);

        s.delete_binding(aor, "sip:1001@10.0.0.1").await.unwrap();
        assert!(s.live_bindings(Some(t.id), now).await.unwrap().is_empty());
        s.upsert_binding(&refreshed).await.unwrap();
        s.delete_bindings_of(aor).await.unwrap();
        assert!(s.live_bindings(Some(t.id), now).await.unwrap().is_empty());

        // Renaming or deleting an extension drops its bindings.
        s.upsert_binding(&refreshed).await.unwrap();
        let rename = ExtensionChanges { sip_username: Some("1009".into()), ..Default::default() };
        s.update_extension(e.id, &rename).await.unwrap();
        assert!(s.live_bindings(Some(t.id), now).await.unwrap().is_empty());
        assert!(s.delete_extension(f.id).await.unwrap());
        assert!(s.live_bindings(None, now).await.unwrap().is_empty());
    });
}

#[test]
fn tokens_are_stored_only_as_hashes() {
    on_both_engines("tokens", |db| async move {
        let s = &db.store;
        let (t, u) = tenant(s, "example.com").await;
        let token = generate_token();
        assert_eq!(token.len(), 40);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(generate_token(), token);
        assert_eq!(s.token_count().await.unwrap(), 0);
        let id = s.insert_token(t.id, u.id, "ci", &token, true).await.unwrap();
        let scope = s.token_scope(&token).await.unwrap().unwrap();
        assert_eq!((scope.token_id, scope.tenant_id, scope.user_id, scope.is_superadmin), (id, t.id, u.id, true));
        assert_eq!(s.token_scope("not-the-token").await.unwrap(), None);
        assert_eq!(s.token_scope(&token.to_uppercase()).await.unwrap(), None);
        assert_eq!(s.token_count().await.unwrap(), 1);

        let stored = db.texts("SELECT token_hash FROM api_tokens").await;
        assert_eq!(stored, [hash_token(&token)]);
        assert_eq!(stored[0].len(), 64, "hex SHA-256");
        assert!(!stored[0].contains(&token));
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    });
}

#[test]
fn app_secrets_are_sealed_and_verify_the_seed_hash() {
    on_both_engines("apps", |db| async move {
        let (t, u) = tenant(&db.store, "example.com").await;
        let app = db.store.insert_app(t.id, u.id, "crm").await.unwrap();
        assert_eq!((app.tenant_id, app.user_id, app.name.as_str()), (t.id, u.id, "crm"));
        assert_eq!((app.app_id.len(), app.app_secret.len()), (24, 48));
        let sealed = db.texts("SELECT app_secret_enc FROM apps").await;
        assert_eq!(sealed.len(), 1);
        assert!(!sealed[0].contains(&app.app_secret), "the secret is not stored in the clear");
        assert_eq!(db.store.app_by_app_id(&app.app_id).await.unwrap(), Some(app.clone()));
        assert_eq!(db.store.app_by_app_id("nope").await.unwrap(), None);

        // sha256(appId + appSecret), as seed 001's x-auth-app-hash.
        let concatenated = format!("{}{}", app.app_id, app.app_secret);
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(concatenated.as_bytes()));
        assert_eq!(app.signature(&[]), hash);
        assert!(app.verify(&[], &hash) && app.verify(&[], &hash.to_ascii_uppercase()));
        assert!(!app.verify(&[], &hash[1..]) && !app.verify(&["x"], &hash));
        let with_fields = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            format!("{}2025-01-0120{}", app.app_id, app.app_secret).as_bytes(),
        ));
        assert!(app.verify(&["2025-01-01", "20"], &with_fields));

        let other = db.store.insert_app(t.id, u.id, "crm").await.unwrap();
        assert_ne!((other.app_id.as_str(), other.app_secret.as_str()), (app.app_id.as_str(), app.app_secret.as_str()));
        let (t2, u2) = tenant(&db.store, "other.example").await;
        db.store.insert_app(t2.id, u2.id, "elsewhere").await.unwrap();
        assert_eq!(db.store.apps(Some(t.id)).await.unwrap().len(), 2);
        assert_eq!(db.store.apps(None).await.unwrap().len(), 3);
        assert!(db.store.delete_app(app.id).await.unwrap());
        assert_eq!(db.store.app_by_id(app.id).await.unwrap(), None);
        assert!(!db.store.delete_app(app.id).await.unwrap());
    });
}
