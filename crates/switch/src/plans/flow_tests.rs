use std::collections::{HashMap, HashSet};

use super::*;

#[derive(Default)]
struct Phones {
    registered: HashSet<i64>,
    busy: HashSet<i64>,
}

impl Presence for Phones {
    fn registered(&self, id: i64) -> bool {
        self.registered.contains(&id)
    }
    fn busy(&self, id: i64) -> bool {
        self.busy.contains(&id)
    }
}

fn phones(registered: &[i64], busy: &[i64]) -> Phones {
    Phones { registered: registered.iter().copied().collect(), busy: busy.iter().copied().collect() }
}

fn ext() -> ExtensionView {
    ExtensionView { id: 7, username: "1007".into(), call_waiting: true, ring_secs: 20, ..Default::default() }
}

fn rings_self(action: &Action) -> bool {
    matches!(action, Action::Ring { parties, ring_secs: 20, caller_id: None }
        if parties == &[Party::Extension { id: 7, username: "1007".into() }])
}

#[test]
fn a_plain_extension_rings_then_is_refused_with_the_outcome() {
    let online = phones(&[7], &[]);
    let mut flow = ExtensionFlow::new(ext());
    assert!(rings_self(&flow.next(None, &online)));
    assert_eq!(flow.next(Some(Outcome::Busy), &online), Action::Refuse(486));
    let mut flow = ExtensionFlow::new(ext());
    flow.next(None, &online);
    assert_eq!(flow.next(Some(Outcome::NoAnswer), &online), Action::Refuse(480));
    assert_eq!(ExtensionFlow::new(ext()).next(None, &phones(&[], &[])), Action::Refuse(480), "not registered");
}

#[test]
fn forwards_apply_in_their_situations() {
    let to = |n: &str| Some(DestinationRef::Number(n.into()));
    let all = ExtensionView {
        forward_busy: to("1"),
        forward_no_answer: to("2"),
        forward_unregistered: to("3"),
        call_waiting: false,
        ..ext()
    };
    let online = phones(&[7], &[]);
    let always = ExtensionView { forward_always: to("9"), ..all.clone() };
    assert_eq!(ExtensionFlow::new(always).next(None, &online), Action::Goto(DestinationRef::Number("9".into())));
    assert_eq!(
        ExtensionFlow::new(all.clone()).next(None, &phones(&[], &[])),
        Action::Goto(DestinationRef::Number("3".into()))
    );
    // On a call without call waiting: busy at once, nothing rung.
    assert_eq!(
        ExtensionFlow::new(all.clone()).next(None, &phones(&[7], &[7])),
        Action::Goto(DestinationRef::Number("1".into()))
    );
    let mut flow = ExtensionFlow::new(all.clone());
    assert!(rings_self(&flow.next(None, &online)));
    assert_eq!(flow.next(Some(Outcome::NoAnswer), &online), Action::Goto(DestinationRef::Number("2".into())));
    let mut flow = ExtensionFlow::new(all);
    flow.next(None, &online);
    assert_eq!(flow.next(Some(Outcome::Busy), &online), Action::Goto(DestinationRef::Number("1".into())));
    // With call waiting a busy extension still rings.
    assert!(rings_self(&ExtensionFlow::new(ext()).next(None, &phones(&[7], &[7]))));
}

#[test]
fn do_not_disturb_and_voicemail() {
    let online = phones(&[7], &[]);
    let dnd = ExtensionView { dnd: true, voicemail: true, ..ext() };
    assert_eq!(ExtensionFlow::new(dnd).next(None, &online), Action::Voicemail(7));
    let boxed = ExtensionView { voicemail: true, ..ext() };
    let mut flow = ExtensionFlow::new(boxed.clone());
    flow.next(None, &online);
    assert_eq!(flow.next(Some(Outcome::NoAnswer), &online), Action::Voicemail(7));
    assert_eq!(ExtensionFlow::new(boxed).next(None, &phones(&[], &[])), Action::Voicemail(7));
}

#[test]
fn follow_me_tries_each_number_with_its_own_caller_id_then_voicemail() {
    let shown = CallerId { number: "5550100".into(), name: "Office".into() };
    let view = ExtensionView {
        followme: vec![("15551230001".into(), 15), ("15551230002".into(), 25)],
        followme_caller_id: Some(shown.clone()),
        voicemail: true,
        ..ext()
    };
    let online = phones(&[7], &[]);
    let mut flow = ExtensionFlow::new(view.clone());
    assert!(rings_self(&flow.next(None, &online)));
    let cell = |n: &str, secs| Action::Ring {
        parties: vec![Party::Number(n.into())],
        ring_secs: secs,
        caller_id: Some(shown.clone()),
    };
    assert_eq!(flow.next(Some(Outcome::NoAnswer), &online), cell("15551230001", 15));
    assert_eq!(
        flow.next(Some(Outcome::Busy), &online),
        cell("15551230002", 25),
        "a busy cell phone goes on down the list"
    );
    assert_eq!(flow.next(Some(Outcome::NoAnswer), &online), Action::Voicemail(7));
    // A desk phone that is not registered goes straight to the list.
    let mut flow = ExtensionFlow::new(view);
    assert_eq!(flow.next(None, &phones(&[], &[])), cell("15551230001", 15));
}

fn members() -> Vec<(i64, String)> {
    vec![(1, "101".into()), (2, "102".into()), (3, "103".into())]
}

fn hunt(strategy: Strategy) -> HuntView {
    HuntView {
        strategy,
        ring_secs: 10,
        skip_busy: true,
        members: members(),
        overflow: Some(DestinationRef::Voicemail(1)),
    }
}

fn rung(action: &Action) -> Vec<i64> {
    match action {
        Action::Ring { parties, .. } => parties
            .iter()
            .filter_map(|p| match p {
                Party::Extension { id, .. } => Some(*id),
                Party::Number(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn ring_all_rings_every_free_registered_member_once_then_overflows() {
    let mut flow = HuntFlow::new(hunt(Strategy::RingAll));
    let presence = phones(&[1, 2, 3], &[2]);
    assert_eq!(rung(&flow.next(&presence)), [1, 3], "busy member 2 is skipped");
    assert_eq!(flow.next(&presence), Action::Goto(DestinationRef::Voicemail(1)));
    let mut nobody = HuntFlow::new(HuntView { overflow: None, ..hunt(Strategy::RingAll) });
    assert_eq!(nobody.next(&phones(&[], &[])), Action::Refuse(480));
}

#[test]
fn one_by_one_groups_try_each_member_in_order() {
    let presence = phones(&[1, 3], &[]);
    let mut flow = HuntFlow::new(hunt(Strategy::Sequential));
    assert_eq!(rung(&flow.next(&presence)), [1]);
    assert_eq!(flow.last_rung, Some(1));
    assert_eq!(rung(&flow.next(&presence)), [3], "unregistered 2 is skipped");
    assert_eq!(flow.next(&presence), Action::Goto(DestinationRef::Voicemail(1)));
    let keep_busy = HuntView { skip_busy: false, ..hunt(Strategy::Sequential) };
    assert_eq!(rung(&HuntFlow::new(keep_busy).next(&phones(&[1], &[1]))), [1]);
}

#[test]
fn round_robin_and_longest_idle_orders() {
    let ids = |v: Vec<(i64, String)>| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    let none = HashMap::new();
    assert_eq!(ids(member_order(Strategy::RoundRobin, &members(), Some(2), &none)), [3, 1, 2]);
    assert_eq!(ids(member_order(Strategy::RoundRobin, &members(), None, &none)), [1, 2, 3]);
    let ended: HashMap<i64, Option<String>> =
        [(1, Some("2026-11-23T10:00:00Z".to_string())), (2, Some("2026-11-23T09:00:00Z".to_string())), (3, None)]
            .into_iter()
            .collect();
    assert_eq!(ids(member_order(Strategy::LongestIdle, &members(), None, &ended)), [3, 2, 1]);
    assert_eq!(ids(member_order(Strategy::Sequential, &members(), Some(2), &ended)), [1, 2, 3]);
}

#[test]
fn busy_statuses_are_told_from_no_answer() {
    assert_eq!(Outcome::of_status(486), Outcome::Busy);
    assert_eq!(Outcome::of_status(480), Outcome::NoAnswer);
    assert_eq!(Outcome::of_status(408), Outcome::NoAnswer);
}
