//! The tenants a user may act in, the users it may see, and seed 003's DID
//! label and phone name, on SQLite and, when `VOXIDE_TEST_POSTGRES_URL` is
//! set, on PostgreSQL in a schema of its own.

use voxide_store::{NewDid, NewPhone, TenantRow};

mod engines;

use engines::on_both_engines;

fn ids(tenants: &[TenantRow]) -> Vec<i64> {
    tenants.iter().map(|t| t.id).collect()
}

#[test]
fn a_user_acts_in_its_own_tenant_and_its_memberships_and_a_superadmin_in_all() {
    on_both_engines("user tenants", |s| async move {
        let home = s.ensure_tenant("home.example").await.unwrap();
        let extra = s.ensure_tenant("extra.example").await.unwrap();
        let foreign = s.ensure_tenant("foreign.example").await.unwrap();
        let alice = s.create_user(home.id, "alice@home.example", "h", false).await.unwrap();
        let root = s.create_user(foreign.id, "root", "h", true).await.unwrap();

        assert_eq!(ids(&s.user_tenants(alice.id).await.unwrap()), [home.id]);
        assert!(s.user_in_tenant(alice.id, home.id).await.unwrap());
        assert!(!s.user_in_tenant(alice.id, extra.id).await.unwrap());

        assert!(s.add_user_tenant(alice.id, extra.id).await.unwrap());
        assert!(!s.add_user_tenant(alice.id, extra.id).await.unwrap(), "already a member");
        assert!(!s.add_user_tenant(alice.id, home.id).await.unwrap(), "its own tenant is no membership");
        assert!(!s.add_user_tenant(alice.id, foreign.id + 100).await.unwrap(), "no such tenant");
        assert!(!s.add_user_tenant(alice.id + 100, extra.id).await.unwrap(), "no such user");
        let mine = s.user_tenants(alice.id).await.unwrap();
        assert_eq!(ids(&mine), [home.id, extra.id]);
        assert_eq!(mine[1], extra);
        assert!(s.user_in_tenant(alice.id, extra.id).await.unwrap());
        assert!(!s.user_in_tenant(alice.id, foreign.id).await.unwrap());

        let all = ids(&s.tenants().await.unwrap());
        assert_eq!(ids(&s.user_tenants(root.id).await.unwrap()), all, "a super-admin belongs everywhere");
        assert!(s.user_in_tenant(root.id, home.id).await.unwrap());
        assert!(s.user_tenants(alice.id + 100).await.unwrap().is_empty());
        assert!(!s.user_in_tenant(alice.id + 100, home.id).await.unwrap());

        assert!(s.remove_user_tenant(alice.id, extra.id).await.unwrap());
        assert!(!s.remove_user_tenant(alice.id, extra.id).await.unwrap());
        assert!(!s.remove_user_tenant(alice.id, home.id).await.unwrap());
        assert_eq!(ids(&s.user_tenants(alice.id).await.unwrap()), [home.id]);
    });
}

#[test]
fn a_user_sees_the_users_of_its_tenants_and_a_superadmin_sees_everyone() {
    on_both_engines("visible users", |s| async move {
        let a = s.ensure_tenant("a.example").await.unwrap();
        let b = s.ensure_tenant("b.example").await.unwrap();
        let c = s.ensure_tenant("c.example").await.unwrap();
        let ann = s.create_user(a.id, "ann", "h", false).await.unwrap();
        let bob = s.create_user(b.id, "bob", "h", false).await.unwrap();
        let cat = s.create_user(c.id, "cat", "h", false).await.unwrap();
        let dan = s.create_user(c.id, "dan", "h", false).await.unwrap();
        let root = s.create_user(c.id, "root", "h", true).await.unwrap();
        let names = |users: Vec<voxide_store::UserRow>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();

        assert_eq!(names(s.users_visible_to(ann.id).await.unwrap()), ["ann"]);
        assert_eq!(names(s.users_visible_to(cat.id).await.unwrap()), ["cat", "dan", "root"]);
        // Dan also works for tenant a: ann sees dan, dan sees ann.
        assert!(s.add_user_tenant(dan.id, a.id).await.unwrap());
        assert_eq!(names(s.users_visible_to(ann.id).await.unwrap()), ["ann", "dan"]);
        assert_eq!(names(s.users_visible_to(dan.id).await.unwrap()), ["ann", "cat", "dan", "root"]);
        assert_eq!(names(s.users_visible_to(bob.id).await.unwrap()), ["bob"]);
        assert_eq!(names(s.users_visible_to(root.id).await.unwrap()), ["ann", "bob", "cat", "dan", "root"]);
        assert!(s.users_visible_to(root.id + 100).await.unwrap().is_empty());
    });
}

#[test]
fn a_did_keeps_its_label_and_a_phone_its_name_within_their_tenant() {
    on_both_engines("did comment phone name", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let provider = s.ensure_provider("fake", "fake").await.unwrap();
        let new =
            NewDid { tenant_id: t.id, provider_id: provider, phonenumber: "15146339933".into(), extension_id: None };
        let did = s.insert_did(&new).await.unwrap();
        assert_eq!(did.comment, "");
        let labelled = s.set_did_comment(t.id, did.id, "Uniglobe Dorval - Main").await.unwrap().unwrap();
        assert_eq!(labelled.comment, "Uniglobe Dorval - Main");
        assert_eq!(s.did_by_id(None, did.id).await.unwrap().unwrap().comment, "Uniglobe Dorval - Main");
        assert_eq!(s.set_did_comment(other.id, did.id, "not mine").await.unwrap(), None);
        assert_eq!(s.dids(Some(t.id)).await.unwrap()[0].comment, "Uniglobe Dorval - Main", "unchanged by the other");

        let phone = NewPhone {
            mac: "00:15:65:ab:cd:ef".into(),
            model: "yealink".into(),
            extension_id: None,
            http_username: "prov".into(),
            http_password: "prov-pass-1".into(),
        };
        let made = s.create_phone(t.id, &phone).await.unwrap();
        assert_eq!(made.name, "");
        let named = s.set_phone_name(t.id, made.id, "Front desk").await.unwrap().unwrap();
        assert_eq!((named.name.as_str(), named.http_password.as_str()), ("Front desk", "prov-pass-1"));
        assert_eq!(s.set_phone_name(other.id, made.id, "not mine").await.unwrap(), None);
        assert_eq!(s.phones(t.id).await.unwrap()[0].name, "Front desk");
        // Replacing the phone's settings keeps its name.
        let moved = s.update_phone(t.id, made.id, &NewPhone { model: "polycom".into(), ..phone }).await.unwrap();
        assert_eq!(moved.map(|p| (p.model, p.name)), Some(("polycom".into(), "Front desk".into())));
    });
}
