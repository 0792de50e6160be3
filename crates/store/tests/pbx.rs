//! The PBX objects in the store (extension features and follow-me, hunt
//! groups, voicemail, conditions, custom and chained destinations, DID
//! prefixes, phones), on SQLite and, when `VOXIDE_TEST_POSTGRES_URL` is
//! set, on PostgreSQL in a schema of its own.

use voxide_store::{
    CdrEnd, CdrStart, ConditionKind, DestinationRef, DidPbxChanges, ExtensionFeatures, ExtensionFeaturesPatch,
    FollowMeStep, HuntStrategy, NewCondition, NewDestination, NewDid, NewExtension, NewHuntGroup, NewPhone,
    NewVoicemail, Store, StoreError,
};

mod engines;

use engines::on_both_engines;

async fn extension(s: &Store, tenant_id: i64, user: &str) -> i64 {
    let owner = s.ensure_user(tenant_id, &format!("owner-{tenant_id}"), false).await.unwrap();
    let new = NewExtension {
        tenant_id,
        user_id: owner.id,
        sip_username: user.into(),
        sip_password: format!("secret-{user}"),
        cellphone: String::new(),
        transcription: 0,
        recording: 0,
    };
    s.insert_extension(&new).await.unwrap().id
}

fn step(number: &str, ring_secs: i64) -> FollowMeStep {
    FollowMeStep { number: number.into(), ring_secs }
}

#[test]
fn an_extension_starts_with_plain_features_and_keeps_what_is_set() {
    on_both_engines("pbx features", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let ext = extension(&s, t.id, "1001").await;
        let f = s.extension_features(ext).await.unwrap().unwrap();
        assert_eq!((f.extension_id, f.tenant_id, f.sip_username.as_str()), (ext, t.id, "1001"));
        assert!(f.call_waiting && !f.dnd && !f.followme_enabled && !f.voicemail_enabled, "defaults: {f:?}");
        assert_eq!((f.ring_secs, f.forward_busy.as_str(), f.followme.len()), (20, "", 0));
        assert_eq!(s.extension_features(ext + 1000).await.unwrap(), None);

        let patch = ExtensionFeaturesPatch {
            cid_number: Some("15146339933".into()),
            cid_name: Some("Uniglobe Dorval".into()),
            call_waiting: Some(false),
            dnd: Some(true),
            forward_busy: Some("voicemail:1".into()),
            forward_no_answer: Some("number:+15145550100".into()),
            ring_secs: Some(35),
            followme_enabled: Some(true),
            followme_cid_name: Some("FMF".into()),
            followme: Some(vec![step("15145550100", 25), step("1002", 15)]),
            voicemail_enabled: Some(true),
            voicemail_pin: Some("4321".into()),
            voicemail_email: Some("info@example.com".into()),
            voicemail_greeting: Some("1001.wav".into()),
            ..Default::default()
        };
        assert_eq!(s.set_extension_features(other.id, ext, &patch).await.unwrap(), None, "another tenant's");
        let f = s.set_extension_features(t.id, ext, &patch).await.unwrap().unwrap();
        assert_eq!((f.cid_number.as_str(), f.cid_name.as_str()), ("15146339933", "Uniglobe Dorval"));
        assert!(!f.call_waiting && f.dnd && f.followme_enabled && f.voicemail_enabled);
        assert_eq!((f.forward_busy.as_str(), f.forward_no_answer.as_str()), ("voicemail:1", "number:+15145550100"));
        assert_eq!((f.forward_always.as_str(), f.forward_unregistered.as_str()), ("", ""));
        assert_eq!(f.ring_secs, 35);
        assert_eq!(f.followme, vec![step("15145550100", 25), step("1002", 15)], "in the given order");
        assert_eq!((f.voicemail_pin.as_str(), f.voicemail_greeting.as_str()), ("4321", "1001.wav"));
        assert_eq!(s.extension_features(ext).await.unwrap(), Some(f.clone()));

        // A patch changes only what it names.
        let small = ExtensionFeaturesPatch { dnd: Some(false), ..Default::default() };
        let g = s.set_extension_features(t.id, ext, &small).await.unwrap().unwrap();
        assert_eq!(g, ExtensionFeatures { dnd: false, ..f.clone() });

        s.set_followme(ext, &[step("1003", 10)]).await.unwrap();
        assert_eq!(s.extension_features(ext).await.unwrap().unwrap().followme, vec![step("1003", 10)]);
        // All of them at once (the switch's start-up) read the same.
        let plain = extension(&s, t.id, "1002").await;
        let all = s.all_extension_features().await.unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[0], s.extension_features(ext).await.unwrap().unwrap());
        assert_eq!(all[1], s.extension_features(plain).await.unwrap().unwrap());
        s.set_followme(ext, &[]).await.unwrap();
        assert!(s.extension_features(ext).await.unwrap().unwrap().followme.is_empty());

        // The extension's own row is untouched, and deleting it takes its steps.
        let row = s.extension_by_id(Some(t.id), ext).await.unwrap().unwrap();
        assert_eq!(row.sip_password, "secret-1001");
        s.set_followme(ext, &[step("1003", 10)]).await.unwrap();
        assert!(s.delete_extension(ext).await.unwrap());
        assert_eq!(s.extension_features(ext).await.unwrap(), None);
    });
}

fn group(name: &str, number: &str, strategy: HuntStrategy, members: Vec<i64>) -> NewHuntGroup {
    NewHuntGroup {
        name: name.into(),
        number: number.into(),
        strategy,
        ring_secs: 15,
        skip_busy: true,
        overflow: "hangup".into(),
        members,
    }
}

#[test]
fn a_hunt_group_rings_its_members_in_order_within_its_tenant() {
    on_both_engines("pbx hunt", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let (a, b) = (extension(&s, t.id, "1001").await, extension(&s, t.id, "1002").await);
        let c = extension(&s, t.id, "1003").await;
        let h =
            s.create_hunt_group(t.id, &group("Sales", "501", HuntStrategy::RoundRobin, vec![c, a, b])).await.unwrap();
        assert_eq!((h.tenant_id, h.name.as_str(), h.number.as_str()), (t.id, "Sales", "501"));
        assert_eq!(
            (h.strategy, h.ring_secs, h.skip_busy, h.overflow.as_str()),
            (HuntStrategy::RoundRobin, 15, true, "hangup")
        );
        let order: Vec<(i64, &str, i64)> =
            h.members.iter().map(|m| (m.extension_id, m.sip_username.as_str(), m.ord)).collect();
        assert_eq!(order, [(c, "1003", 0), (a, "1001", 1), (b, "1002", 2)]);
        assert_eq!(h.last_member_id, None);
        assert_eq!(s.hunt_group(t.id, h.id).await.unwrap(), Some(h.clone()));
        assert_eq!(s.hunt_group(other.id, h.id).await.unwrap(), None);
        assert_eq!(s.hunt_group_any_tenant(h.id).await.unwrap(), Some(h.clone()));
        assert_eq!(s.hunt_group_by_number(t.id, "501").await.unwrap(), Some(h.clone()));
        assert_eq!(s.hunt_group_by_number(other.id, "501").await.unwrap(), None);

        let taken = s.create_hunt_group(t.id, &group("Again", "501", HuntStrategy::RingAll, vec![])).await;
        assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
        let twice = s.create_hunt_group(t.id, &group("Twice", "502", HuntStrategy::RingAll, vec![a, a])).await;
        assert!(matches!(twice, Err(StoreError::Conflict)), "{twice:?}");
        assert_eq!(s.hunt_groups(t.id).await.unwrap(), vec![h.clone()], "a failed create leaves nothing");
        let theirs =
            s.create_hunt_group(other.id, &group("Sales", "501", HuntStrategy::RingAll, vec![])).await.unwrap();
        assert_eq!(s.hunt_groups(other.id).await.unwrap(), vec![theirs]);

        s.set_hunt_last_member(h.id, a).await.unwrap();
        assert_eq!(s.hunt_group(t.id, h.id).await.unwrap().unwrap().last_member_id, Some(a));
        let mut changed = group("Support", "510", HuntStrategy::LongestIdle, vec![a, b]);
        changed.skip_busy = false;
        changed.overflow = String::new();
        let u = s.update_hunt_group(t.id, h.id, &changed).await.unwrap().unwrap();
        assert_eq!((u.name.as_str(), u.number.as_str(), u.strategy), ("Support", "510", HuntStrategy::LongestIdle));
        assert!(!u.skip_busy && u.overflow.is_empty());
        assert_eq!(u.members.iter().map(|m| m.extension_id).collect::<Vec<_>>(), [a, b]);
        assert_eq!(u.last_member_id, Some(a), "the member stays, so does the position");
        assert_eq!(u.created_at, h.created_at);
        let u = s.update_hunt_group(t.id, h.id, &group("Support", "510", HuntStrategy::RoundRobin, vec![b])).await;
        assert_eq!(u.unwrap().unwrap().last_member_id, None, "a member taken out loses the position");
        assert_eq!(s.update_hunt_group(other.id, h.id, &changed).await.unwrap(), None);

        // Deleting a member extension takes it out of the group.
        s.set_hunt_last_member(h.id, b).await.unwrap();
        s.delete_extension(b).await.unwrap();
        let g = s.hunt_group(t.id, h.id).await.unwrap().unwrap();
        assert!(g.members.is_empty());
        assert_eq!(g.last_member_id, None);

        assert!(!s.delete_hunt_group(other.id, h.id).await.unwrap());
        assert!(s.delete_hunt_group(t.id, h.id).await.unwrap());
        assert_eq!(s.hunt_group(t.id, h.id).await.unwrap(), None);
        assert!(!s.delete_hunt_group(t.id, h.id).await.unwrap());
        assert!(HuntStrategy::ALL.iter().all(|k| HuntStrategy::parse(k.as_str()) == Some(*k)));
    });
}

#[test]
fn longest_idle_reads_when_each_members_last_call_ended() {
    on_both_engines("pbx idle", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let (a, b) = (extension(&s, t.id, "1001").await, extension(&s, t.id, "1002").await);
        let c = extension(&s, t.id, "1003").await;
        let call = |uuid: &str, ext: i64, start: &str, end: Option<&str>| {
            let (s, uuid, start, end) = (s.clone(), uuid.to_string(), start.to_string(), end.map(str::to_string));
            async move {
                let row = CdrStart {
                    tenant_id: t.id,
                    call_uuid: uuid.clone(),
                    call_direction: "local".into(),
                    did_number_id: None,
                    call_from: "1009".into(),
                    call_to: "501".into(),
                    extension_id: Some(ext),
                    is_verified: true,
                    in_contact: false,
                    started_at: start,
                };
                s.start_cdr(&row).await.unwrap();
                if let Some(ended_at) = end {
                    let done = CdrEnd {
                        call_uuid: uuid,
                        answered_at: None,
                        ended_at,
                        bill_duration: 0,
                        hangup_cause: "NORMAL_CLEARING".into(),
                        recording: None,
                        transcription_text: None,
                    };
                    s.end_cdr(&done).await.unwrap();
                }
            }
        };
        call("u1", a, "2026-01-05T09:00:00.000000Z", Some("2026-01-05T09:05:00.000000Z")).await;
        call("u2", a, "2026-01-05T10:00:00.000000Z", Some("2026-01-05T10:01:00.000000Z")).await;
        call("u3", b, "2026-01-05T08:00:00.000000Z", Some("2026-01-05T08:30:00.000000Z")).await;
        call("u4", b, "2026-01-05T11:00:00.000000Z", None).await;
        let last = s.last_call_ended(&[a, b, c]).await.unwrap();
        assert_eq!(last.len(), 3);
        assert_eq!(last[&a].as_deref(), Some("2026-01-05T10:01:00.000000Z"), "the latest end");
        assert_eq!(last[&b].as_deref(), Some("2026-01-05T08:30:00.000000Z"), "a call in progress has no end yet");
        assert_eq!(last[&c], None, "never called");
        assert!(s.last_call_ended(&[]).await.unwrap().is_empty());
    });
}

fn message(tenant_id: i64, extension_id: i64, caller: &str) -> NewVoicemail {
    NewVoicemail {
        tenant_id,
        extension_id,
        caller: caller.into(),
        call_uuid: format!("uuid-{caller}"),
        path: format!("voicemail/{extension_id}/{caller}.wav"),
        duration_ms: 4200,
    }
}

#[test]
fn voicemail_is_listed_newest_first_and_counted_new_and_old() {
    on_both_engines("pbx voicemail", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let (a, b) = (extension(&s, t.id, "1001").await, extension(&s, t.id, "1002").await);
        let first = s.add_voicemail(&message(t.id, a, "15145550100")).await.unwrap();
        let second = s.add_voicemail(&message(t.id, a, "15145550101")).await.unwrap();
        let third = s.add_voicemail(&message(t.id, b, "1001")).await.unwrap();
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (2, 0));
        let all: Vec<i64> = s.voicemails(t.id, None).await.unwrap().iter().map(|v| v.id).collect();
        assert_eq!(all, [third, second, first]);
        let mine = s.voicemails(t.id, Some(a)).await.unwrap();
        assert_eq!(mine.iter().map(|v| v.id).collect::<Vec<_>>(), [second, first]);
        let v = &mine[1];
        assert_eq!((v.caller.as_str(), v.call_uuid.as_str()), ("15145550100", "uuid-15145550100"));
        assert_eq!(
            (v.path.as_str(), v.duration_ms, v.heard),
            (&*format!("voicemail/{a}/15145550100.wav"), 4200, false)
        );
        assert!(s.voicemails(other.id, None).await.unwrap().is_empty());
        assert_eq!(s.voicemail(other.id, first).await.unwrap(), None);
        assert_eq!(s.voicemail(t.id, first).await.unwrap().as_ref(), Some(v));

        assert!(s.mark_voicemail_heard(first, true).await.unwrap());
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (1, 1));
        assert!(s.voicemail(t.id, first).await.unwrap().unwrap().heard);
        assert!(s.mark_voicemail_heard(first, false).await.unwrap());
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (2, 0));
        assert!(!s.mark_voicemail_heard(first + 1000, true).await.unwrap());

        assert_eq!(s.delete_voicemail(other.id, first).await.unwrap(), None);
        let gone = s.delete_voicemail(t.id, first).await.unwrap().unwrap();
        assert_eq!(gone.id, first);
        assert_eq!(s.voicemail(t.id, first).await.unwrap(), None);
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (1, 0));

        s.delete_extension(a).await.unwrap();
        assert_eq!(s.voicemail(t.id, second).await.unwrap(), None, "messages go with their extension");
        assert_eq!(s.voicemail_counts(b).await.unwrap(), (1, 0));
    });
}

fn office_hours() -> NewCondition {
    NewCondition {
        name: "office hours".into(),
        kind: ConditionKind::Time,
        time_zone: "America/New_York".into(),
        weekdays: "mon,tue,wed,thu,fri".into(),
        start_time: "09:00".into(),
        end_time: "17:00".into(),
        callerid_pattern: String::new(),
        match_destination: "hunt:1".into(),
        nomatch_destination: "voicemail:1".into(),
    }
}

#[test]
fn conditions_and_custom_destinations_stay_in_their_tenant() {
    on_both_engines("pbx conditions", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let c = s.create_condition(t.id, &office_hours()).await.unwrap();
        assert_eq!(
            (c.kind, c.time_zone.as_str(), c.weekdays.as_str()),
            (ConditionKind::Time, "America/New_York", "mon,tue,wed,thu,fri")
        );
        assert_eq!((c.start_time.as_str(), c.end_time.as_str()), ("09:00", "17:00"));
        assert_eq!((c.match_destination.as_str(), c.nomatch_destination.as_str()), ("hunt:1", "voicemail:1"));
        assert_eq!(s.condition(t.id, c.id).await.unwrap(), Some(c.clone()));
        assert_eq!(s.condition(other.id, c.id).await.unwrap(), None);
        assert_eq!(s.condition_any_tenant(c.id).await.unwrap(), Some(c.clone()));
        let vip = NewCondition {
            name: "VIP".into(),
            kind: ConditionKind::CallerId,
            callerid_pattern: "5146349955,1514*".into(),
            time_zone: "UTC".into(),
            weekdays: String::new(),
            start_time: String::new(),
            end_time: String::new(),
            ..office_hours()
        };
        let changed = s.update_condition(t.id, c.id, &vip).await.unwrap().unwrap();
        assert_eq!((changed.kind, changed.callerid_pattern.as_str()), (ConditionKind::CallerId, "5146349955,1514*"));
        assert_eq!(changed.created_at, c.created_at);
        assert!(changed.matches(chrono::Utc::now(), "+1 514 555 0000"));
        assert_eq!(s.update_condition(other.id, c.id, &vip).await.unwrap(), None);
        assert_eq!(s.conditions(t.id).await.unwrap(), vec![changed]);
        assert!(s.conditions(other.id).await.unwrap().is_empty());
        assert!(!s.delete_condition(other.id, c.id).await.unwrap());
        assert!(s.delete_condition(t.id, c.id).await.unwrap());
        assert!(s.conditions(t.id).await.unwrap().is_empty());

        let cu = s.create_custom_destination(t.id, "Vickie mobile", "+15145550123").await.unwrap();
        assert_eq!((cu.name.as_str(), cu.number.as_str(), cu.tenant_id), ("Vickie mobile", "+15145550123", t.id));
        assert_eq!(s.custom_destination(other.id, cu.id).await.unwrap(), None);
        assert_eq!(s.custom_destination_any_tenant(cu.id).await.unwrap(), Some(cu.clone()));
        let renamed = s.update_custom_destination(t.id, cu.id, "Vickie", "15145550124").await.unwrap().unwrap();
        assert_eq!((renamed.name.as_str(), renamed.number.as_str()), ("Vickie", "15145550124"));
        assert_eq!(s.update_custom_destination(other.id, cu.id, "x", "1").await.unwrap(), None);
        assert_eq!(s.custom_destinations(t.id).await.unwrap(), vec![renamed]);
        assert!(!s.delete_custom_destination(other.id, cu.id).await.unwrap());
        assert!(s.delete_custom_destination(t.id, cu.id).await.unwrap());
        assert!(s.custom_destinations(t.id).await.unwrap().is_empty());
    });
}

fn link(src_type: &str, src_id: i64, dst_type: &str, dst_id: Option<i64>, ord: i64) -> NewDestination {
    NewDestination { src_type: src_type.into(), src_id, dst_type: dst_type.into(), dst_id, ord }
}

#[test]
fn chained_destinations_list_by_order_and_uses_are_found() {
    on_both_engines("pbx chains", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let ext = extension(&s, t.id, "1001").await;
        let h = s.create_hunt_group(t.id, &group("Sales", "501", HuntStrategy::RingAll, vec![ext])).await.unwrap();
        let second = s.create_destination(t.id, &link("condition", 3, "hunt", Some(h.id), 2)).await.unwrap();
        let first = s.create_destination(t.id, &link("notcondition", 3, "hangup", None, 1)).await.unwrap();
        assert_eq!((first.dst_type.as_str(), first.dst_id, first.ord), ("hangup", None, 1));
        let listed: Vec<i64> = s.destinations(t.id).await.unwrap().iter().map(|d| d.id).collect();
        assert_eq!(listed, [first.id, second.id], "by ord");
        assert!(s.destinations(other.id).await.unwrap().is_empty());
        assert_eq!(s.destination(other.id, first.id).await.unwrap(), None);
        let moved = s.update_destination(t.id, first.id, &link("notcondition", 3, "extension", Some(ext), 5)).await;
        let moved = moved.unwrap().unwrap();
        assert_eq!((moved.dst_type.as_str(), moved.dst_id, moved.ord), ("extension", Some(ext), 5));
        assert_eq!(s.destinations(t.id).await.unwrap().last(), Some(&moved));
        assert_eq!(s.update_destination(other.id, first.id, &link("did", 1, "hangup", None, 1)).await.unwrap(), None);

        // Everything that leads to the hunt group is found.
        let target = DestinationRef::Hunt(h.id);
        let patch = ExtensionFeaturesPatch { forward_busy: Some(target.to_string()), ..Default::default() };
        s.set_extension_features(t.id, ext, &patch).await.unwrap();
        let only_nomatch = NewCondition {
            match_destination: "hangup".into(),
            nomatch_destination: target.to_string(),
            ..office_hours()
        };
        let c = s.create_condition(t.id, &only_nomatch).await;
        let c = c.unwrap();
        let provider = s.ensure_provider("local", "local").await.unwrap();
        let did = s
            .insert_did(&NewDid {
                tenant_id: t.id,
                provider_id: provider,
                phonenumber: "15146001434".into(),
                extension_id: None,
            })
            .await
            .unwrap();
        let pbx = DidPbxChanges { destination: Some(target.to_string()), ..Default::default() };
        s.set_did_pbx(t.id, did.id, &pbx).await.unwrap();
        let uses = s.destination_uses(t.id, &target).await.unwrap();
        let found: Vec<(&str, i64, &str)> = uses.iter().map(|u| (u.table, u.id, u.field)).collect();
        assert_eq!(
            found,
            [
                ("extensions", ext, "forward_busy"),
                ("conditions", c.id, "nomatch_destination"),
                ("did_numbers", did.id, "destination"),
                ("destinations", second.id, "dst_id"),
            ]
        );
        assert!(uses[0].label.contains("1001") && uses[2].label.contains("15146001434"), "{uses:?}");
        assert!(s.destination_uses(other.id, &target).await.unwrap().is_empty());
        assert!(s.destination_uses(t.id, &DestinationRef::Hunt(h.id + 1)).await.unwrap().is_empty());

        assert!(!s.delete_destination(other.id, second.id).await.unwrap());
        assert!(s.delete_destination(t.id, second.id).await.unwrap());
        assert_eq!(s.destinations(t.id).await.unwrap(), vec![moved]);
    });
}

#[test]
fn a_did_keeps_its_caller_id_prefixes_and_destination() {
    on_both_engines("pbx did", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let ext = extension(&s, t.id, "1001").await;
        let provider = s.ensure_provider("local", "local").await.unwrap();
        let new = NewDid {
            tenant_id: t.id,
            provider_id: provider,
            phonenumber: "12894701289".into(),
            extension_id: Some(ext),
        };
        let d = s.insert_did(&new).await.unwrap();
        assert_eq!((d.cid_name_prefix.as_str(), d.number_prefix.as_str(), d.destination.as_str()), ("", "", ""));
        let changes = DidPbxChanges {
            cid_name_prefix: Some("Sales: ".into()),
            number_prefix: Some("9".into()),
            destination: Some("condition:4".into()),
        };
        assert_eq!(s.set_did_pbx(other.id, d.id, &changes).await.unwrap(), None);
        let changed = s.set_did_pbx(t.id, d.id, &changes).await.unwrap().unwrap();
        assert_eq!(
            (changed.cid_name_prefix.as_str(), changed.number_prefix.as_str(), changed.destination.as_str()),
            ("Sales: ", "9", "condition:4")
        );
        assert_eq!(changed.extension_id, Some(ext), "routing is untouched");
        let only = DidPbxChanges { destination: Some(String::new()), ..Default::default() };
        let cleared = s.set_did_pbx(t.id, d.id, &only).await.unwrap().unwrap();
        assert_eq!((cleared.cid_name_prefix.as_str(), cleared.destination.as_str()), ("Sales: ", ""));
        assert_eq!(s.did_by_number("12894701289").await.unwrap(), Some(cleared));
    });
}

fn phone(mac: &str, extension_id: Option<i64>) -> NewPhone {
    NewPhone {
        mac: mac.into(),
        model: "yealink".into(),
        extension_id,
        http_username: "prov".into(),
        http_password: "prov-pass-1".into(),
    }
}

#[test]
fn a_phone_is_found_by_any_form_of_its_mac_and_its_password_is_sealed() {
    on_both_engines("pbx phones", |s| async move {
        let t = s.ensure_tenant("example.com").await.unwrap();
        let other = s.ensure_tenant("other.example").await.unwrap();
        let ext = extension(&s, t.id, "1001").await;
        let p = s.create_phone(t.id, &phone("00:15:65:AB:CD:EF", Some(ext))).await.unwrap();
        assert_eq!((p.mac.as_str(), p.model.as_str(), p.extension_id), ("001565abcdef", "yealink", Some(ext)));
        assert_eq!((p.http_username.as_str(), p.http_password.as_str()), ("prov", "prov-pass-1"));
        for form in ["001565abcdef", "00-15-65-ab-cd-ef", "001565ABCDEF"] {
            assert_eq!(s.phone_by_mac(form).await.unwrap().as_ref(), Some(&p), "{form}");
        }
        assert_eq!(s.phone_by_mac("00156").await.unwrap(), None);
        assert_eq!(s.phone(other.id, p.id).await.unwrap(), None);
        assert_eq!(s.phone_any_tenant(p.id).await.unwrap(), Some(p.clone()));

        let dup = s.create_phone(other.id, &phone("001565abcdef", None)).await;
        assert!(matches!(dup, Err(StoreError::Conflict)), "a MAC is known once, in any tenant: {dup:?}");
        let bad = s.create_phone(t.id, &phone("not-a-mac", None)).await;
        assert!(matches!(bad, Err(StoreError::Conflict)), "{bad:?}");

        let mut changed = phone("00:15:65:00:00:01", None);
        changed.model = "polycom".into();
        changed.http_password = "another-pass".into();
        let u = s.update_phone(t.id, p.id, &changed).await.unwrap().unwrap();
        assert_eq!((u.mac.as_str(), u.model.as_str(), u.extension_id), ("001565000001", "polycom", None));
        assert_eq!(u.http_password, "another-pass");
        assert_eq!(s.update_phone(other.id, p.id, &changed).await.unwrap(), None);

        let second = s.create_phone(t.id, &phone("001565000002", Some(ext))).await.unwrap();
        assert_eq!(s.phones(t.id).await.unwrap(), vec![u.clone(), second.clone()]);
        s.delete_extension(ext).await.unwrap();
        assert_eq!(s.phone(t.id, second.id).await.unwrap().unwrap().extension_id, None, "its extension went away");
        assert!(!s.delete_phone(other.id, p.id).await.unwrap());
        assert!(s.delete_phone(t.id, p.id).await.unwrap());
        assert_eq!(s.phone_by_mac("001565000001").await.unwrap(), None);
    });
}
