//! Console users and sessions in the store, on SQLite and, when
//! `VOXIDE_TEST_POSTGRES_URL` is set, on PostgreSQL in a schema of its own.

use voxide_store::{NewSession, StoreError, generate_token};

mod engines;

use engines::on_both_engines;

const NOW: i64 = 1_750_000_000;

#[test]
fn a_user_keeps_its_password_hash_and_usernames_are_unique() {
    on_both_engines("users", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let alice = s.create_user(t.id, "alice", "$argon2id$v=19$hash-a", false).await.unwrap();
        assert_eq!((alice.tenant_id, alice.username.as_str(), alice.is_superadmin), (t.id, "alice", false));
        let root = s.create_user(other.id, "root", "$argon2id$v=19$hash-r", true).await.unwrap();
        assert!(root.is_superadmin);

        let (found, hash) = s.user_credentials("alice").await.unwrap().expect("alice");
        assert_eq!((found, hash.as_deref()), (alice.clone(), Some("$argon2id$v=19$hash-a")));
        assert_eq!(s.user(root.id).await.unwrap(), Some(root.clone()));
        assert_eq!(s.user_credentials("nobody").await.unwrap(), None);
        assert_eq!(s.user(root.id + 100).await.unwrap(), None);

        let taken = s.create_user(other.id, "alice", "$argon2id$v=19$other", false).await;
        assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");

        // The users that own tokens and extensions have no password.
        let admin = s.ensure_user(t.id, "admin", true).await.unwrap();
        assert_eq!(s.user_credentials("admin").await.unwrap(), Some((admin.clone(), None)));
        assert!(s.set_user_password(admin.id, Some("$argon2id$v=19$new")).await.unwrap());
        assert_eq!(s.user_credentials("admin").await.unwrap().unwrap().1.as_deref(), Some("$argon2id$v=19$new"));
        assert!(s.set_user_password(alice.id, None).await.unwrap());
        assert_eq!(s.user_credentials("alice").await.unwrap().unwrap().1, None);
        assert!(!s.set_user_password(root.id + 100, None).await.unwrap());
    });
}

#[test]
fn a_session_is_found_by_its_secret_until_it_expires_or_ends() {
    on_both_engines("sessions", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let alice = s.create_user(t.id, "alice", "h", false).await.unwrap();
        let new = NewSession {
            user_id: alice.id,
            token_id: None,
            tenant_id: t.id,
            is_superadmin: false,
            lifetime_secs: 3600,
        };
        let (secret, made) = s.create_session(&new, NOW).await.unwrap();
        assert_eq!(secret.len(), 64);
        assert_eq!((made.user_id, made.home_tenant_id, made.tenant_id), (alice.id, t.id, t.id));
        assert_eq!((made.is_superadmin, made.token_id, made.expires_at), (false, None, NOW + 3600));
        assert_eq!(made.csrf_token.len(), 64);
        assert_ne!(made.csrf_token, secret);

        assert_eq!(s.session(&secret, NOW + 10).await.unwrap(), Some(made.clone()));
        assert_eq!(s.session(&secret, NOW + 3600).await.unwrap(), None, "expired");
        assert_eq!(s.session("not-a-session", NOW).await.unwrap(), None);
        assert_eq!(s.session(&made.csrf_token, NOW).await.unwrap(), None, "the CSRF token is no session id");

        // A second session has its own secret and CSRF token.
        let (second, other_session) = s.create_session(&new, NOW).await.unwrap();
        assert_ne!(second, secret);
        assert_ne!(other_session.csrf_token, made.csrf_token);

        s.set_session_tenant(made.id, other.id).await.unwrap();
        let moved = s.session(&secret, NOW).await.unwrap().unwrap();
        assert_eq!((moved.home_tenant_id, moved.tenant_id), (t.id, other.id));

        assert!(s.delete_session(&secret).await.unwrap());
        assert!(!s.delete_session(&secret).await.unwrap());
        assert_eq!(s.session(&secret, NOW).await.unwrap(), None, "signed out");
        assert!(s.session(&second, NOW).await.unwrap().is_some(), "other sessions stay");

        let short = NewSession { lifetime_secs: 5, ..new.clone() };
        s.create_session(&short, NOW).await.unwrap();
        assert_eq!(s.delete_expired_sessions(NOW + 5).await.unwrap(), 1);
        assert!(s.session(&second, NOW + 5).await.unwrap().is_some());
    });
}

#[test]
fn a_session_signed_in_with_a_token_keeps_its_scope() {
    on_both_engines("token sessions", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let admin = s.ensure_user(t.id, "admin", true).await.unwrap();
        let token = generate_token();
        let token_id = s.insert_token(t.id, admin.id, "console", &token, true).await.unwrap();
        let scope = s.token_scope(&token).await.unwrap().unwrap();
        let new = NewSession {
            user_id: scope.user_id,
            token_id: Some(scope.token_id),
            tenant_id: scope.tenant_id,
            is_superadmin: scope.is_superadmin,
            lifetime_secs: 60,
        };
        let (secret, made) = s.create_session(&new, NOW).await.unwrap();
        assert_eq!((made.token_id, made.is_superadmin, made.user_id), (Some(token_id), true, admin.id));
        assert_eq!(s.session(&secret, NOW).await.unwrap(), Some(made));
    });
}
