use std::sync::Arc;

use serde_json::json;

use crate::{Event, EventBus, EventKind, Subscription};

fn up(bus: &EventBus, tenant: i64, n: u64) -> u64 {
    bus.publish(tenant, EventKind::RegistrationUp, None, json!({ "n": n }))
}

/// Everything ready now, as (tenant, kind, seq).
fn drain(sub: &mut Subscription) -> Vec<(i64, EventKind, u64)> {
    std::iter::from_fn(|| sub.try_recv()).map(|e| (e.tenant_id, e.kind, e.seq)).collect()
}

fn seqs(events: &[(i64, EventKind, u64)]) -> Vec<u64> {
    events.iter().map(|e| e.2).collect()
}

fn gap_range(e: &Event) -> (u64, u64) {
    assert_eq!(e.kind, EventKind::Gap, "{e:?}");
    (e.data["from"].as_u64().unwrap(), e.data["to"].as_u64().unwrap())
}

#[test]
fn each_tenant_counts_from_one_and_events_read_as_json() {
    let bus = EventBus::new(10);
    let mut all = bus.subscribe(None, None);
    assert_eq!(up(&bus, 1, 0), 1);
    assert_eq!(up(&bus, 2, 0), 1);
    assert_eq!(bus.publish(1, EventKind::CallHangup, Some("u-1".into()), json!({ "cause": "NORMAL_CLEARING" })), 2);
    assert_eq!(bus.last_seq(1), 2);
    assert_eq!(bus.last_seq(3), 0);

    let got = drain(&mut all);
    assert_eq!(
        got,
        [(1, EventKind::RegistrationUp, 1), (2, EventKind::RegistrationUp, 1), (1, EventKind::CallHangup, 2)]
    );

    let mut replay = bus.subscribe(Some(1), Some(1));
    let hangup = replay.try_recv().unwrap();
    let text = serde_json::to_value(&*hangup).unwrap();
    assert_eq!(text["kind"], "call.hangup");
    assert_eq!(text["call_uuid"], "u-1");
    assert_eq!(text["data"]["cause"], "NORMAL_CLEARING");
    assert_eq!(text["seq"], 2);
    let at = text["at"].as_str().unwrap();
    let parsed = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    assert_eq!(parsed.offset().local_minus_utc(), 0, "{at}");
    assert!(at.ends_with('Z') && at.len() == "2025-01-31T12:00:00.250Z".len(), "{at}");
    let back: Event = serde_json::from_value(text).unwrap();
    assert_eq!(back, *hangup);
}

#[test]
fn every_kind_has_its_dotted_name_on_the_wire() {
    use EventKind::*;
    for kind in [
        CallCreated,
        CallRinging,
        CallAnswered,
        CallDtmf,
        CallSpeechStarted,
        CallSpeechEnded,
        CallSilence,
        CallTranscript,
        CallHangup,
        RegistrationUp,
        RegistrationDown,
        Gap,
    ] {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        assert_eq!(kind.to_string(), kind.as_str());
    }
}

#[test]
fn since_replays_exactly_what_the_client_missed_then_goes_live() {
    let bus = EventBus::new(10);
    for n in 1..=5 {
        up(&bus, 1, n);
    }
    let mut sub = bus.subscribe(Some(1), Some(2));
    assert_eq!(seqs(&drain(&mut sub)), [3, 4, 5]);
    up(&bus, 1, 6);
    assert_eq!(seqs(&drain(&mut sub)), [6]);

    let mut fresh = bus.subscribe(Some(1), None);
    assert!(fresh.try_recv().is_none(), "no since: live only");
    let mut caught_up = bus.subscribe(Some(1), Some(6));
    assert!(caught_up.try_recv().is_none());
    up(&bus, 1, 7);
    assert_eq!(seqs(&drain(&mut fresh)), [7]);
    assert_eq!(seqs(&drain(&mut caught_up)), [7]);
}

#[test]
fn since_from_before_a_restart_replays_the_whole_buffer() {
    let bus = EventBus::new(10);
    for n in 1..=3 {
        up(&bus, 1, n);
    }
    let mut sub = bus.subscribe(Some(1), Some(500));
    assert_eq!(seqs(&drain(&mut sub)), [1, 2, 3]);
}

#[test]
fn events_gone_from_the_buffer_are_reported_as_a_gap_before_the_replay() {
    let bus = EventBus::new(3);
    for n in 1..=10 {
        up(&bus, 1, n);
    }
    let mut sub = bus.subscribe(Some(1), Some(2));
    let gap = sub.try_recv().unwrap();
    assert_eq!(gap_range(&gap), (3, 7));
    assert_eq!((gap.tenant_id, gap.seq), (1, 7), "a gap carries its last seq");
    assert_eq!(seqs(&drain(&mut sub)), [8, 9, 10]);

    // Nothing was lost for a client that read up to 7.
    let mut sub = bus.subscribe(Some(1), Some(7));
    assert_eq!(seqs(&drain(&mut sub)), [8, 9, 10]);
}

#[test]
fn a_reader_behind_the_live_queue_reads_back_from_the_buffer_without_a_gap() {
    let bus = EventBus::with_live_queue(100, 4);
    let mut sub = bus.subscribe(Some(1), None);
    for n in 1..=50 {
        up(&bus, 1, n);
    }
    let got = drain(&mut sub);
    assert!(got.iter().all(|e| e.1 == EventKind::RegistrationUp), "{got:?}");
    assert_eq!(seqs(&got), (1..=50).collect::<Vec<_>>());
}

#[test]
fn a_reader_behind_the_buffer_too_gets_a_gap_then_the_rest() {
    let bus = EventBus::with_live_queue(5, 4);
    let mut sub = bus.subscribe(Some(1), None);
    for n in 1..=20 {
        up(&bus, 1, n);
    }
    let gap = sub.try_recv().unwrap();
    assert_eq!(gap_range(&gap), (1, 15));
    assert_eq!(seqs(&drain(&mut sub)), [16, 17, 18, 19, 20]);
    up(&bus, 1, 21);
    assert_eq!(seqs(&drain(&mut sub)), [21]);
}

#[test]
fn tenants_see_only_their_own_events_and_a_super_admin_sees_all_in_order() {
    let bus = EventBus::with_live_queue(10, 4);
    let mut one = bus.subscribe(Some(1), None);
    let mut two = bus.subscribe(Some(2), None);
    let mut all = bus.subscribe(None, None);
    for n in 1..=6 {
        up(&bus, 1, n);
        up(&bus, 2, n);
    }
    // Twelve events through a live queue of four: every reader lagged and
    // read back from the buffers.
    let mine = drain(&mut one);
    assert!(mine.iter().all(|e| e.0 == 1), "{mine:?}");
    assert_eq!(seqs(&mine), [1, 2, 3, 4, 5, 6]);
    let theirs = drain(&mut two);
    assert!(theirs.iter().all(|e| e.0 == 2), "{theirs:?}");
    assert_eq!(seqs(&theirs), [1, 2, 3, 4, 5, 6]);
    let both: Vec<(i64, u64)> = drain(&mut all).into_iter().map(|e| (e.0, e.2)).collect();
    let expected: Vec<(i64, u64)> = (1..=6).flat_map(|n| [(1, n), (2, n)]).collect();
    assert_eq!(both, expected);

    // Replay is per tenant too.
    let mut replay = bus.subscribe(Some(2), Some(0));
    assert!(drain(&mut replay).iter().all(|e| e.0 == 2));
}

#[test]
fn a_super_admin_behind_the_buffers_gets_a_gap_per_tenant() {
    let bus = EventBus::with_live_queue(2, 2);
    let mut all = bus.subscribe(None, None);
    for n in 1..=5 {
        up(&bus, 7, n);
        up(&bus, 8, n);
    }
    let got = drain(&mut all);
    let mut gaps: Vec<(i64, u64)> = got.iter().filter(|e| e.1 == EventKind::Gap).map(|e| (e.0, e.2)).collect();
    gaps.sort_unstable();
    assert_eq!(gaps, [(7, 3), (8, 3)], "{got:?}");
    let rest: Vec<(i64, u64)> = got.iter().filter(|e| e.1 != EventKind::Gap).map(|e| (e.0, e.2)).collect();
    assert_eq!(rest, [(7, 4), (8, 4), (7, 5), (8, 5)]);
}

/// Subscribing while another thread publishes: whatever the interleaving,
/// the replay and the live stream join with no event twice and none left
/// out.
#[test]
fn subscribing_during_publishing_has_no_duplicate_and_no_hole() {
    const N: u64 = 20_000;
    for since in [Some(0), None] {
        let bus = EventBus::with_live_queue(N as usize, N as usize);
        let publisher = {
            let bus = bus.clone();
            std::thread::spawn(move || {
                for n in 1..=N {
                    up(&bus, 1, n);
                }
            })
        };
        while bus.last_seq(1) < N / 4 {
            std::thread::yield_now();
        }
        let mut sub = bus.subscribe(Some(1), since);
        let mut got = Vec::new();
        while got.last().copied() != Some(N) {
            match sub.try_recv() {
                Some(e) => got.push(e.seq),
                None => std::thread::yield_now(),
            }
        }
        publisher.join().unwrap();
        assert!(sub.try_recv().is_none());
        let first = got[0];
        if since.is_some() {
            assert_eq!(first, 1);
        } else {
            assert!(first > N / 4, "started live at {first}");
        }
        assert_eq!(got, (first..=N).collect::<Vec<_>>(), "since {since:?}");
    }
}

/// The same with a live queue far shorter than the burst: the reader keeps
/// falling behind and reading back, and still sees every event once.
#[test]
fn a_reader_racing_a_fast_publisher_misses_nothing_the_buffer_holds() {
    const N: u64 = 20_000;
    let bus = EventBus::with_live_queue(N as usize, 8);
    let mut sub = bus.subscribe(Some(1), None);
    let publisher = {
        let bus = bus.clone();
        std::thread::spawn(move || {
            for n in 1..=N {
                up(&bus, 1, n);
            }
        })
    };
    let mut got = Vec::new();
    while got.last().copied() != Some(N) {
        match sub.try_recv() {
            Some(e) => got.push(e.seq),
            None => std::thread::yield_now(),
        }
    }
    publisher.join().unwrap();
    assert_eq!(got, (1..=N).collect::<Vec<_>>());
}

#[test]
fn publishing_does_not_wait_for_a_reader_that_never_reads() {
    let bus = EventBus::with_live_queue(10, 4);
    let mut idle = bus.subscribe(Some(1), None);
    let started = std::time::Instant::now();
    for n in 1..=100_000 {
        up(&bus, 1, n);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let gap = idle.try_recv().unwrap();
    assert_eq!(gap_range(&gap), (1, 99_990));
    assert_eq!(drain(&mut idle).len(), 10);
}

#[tokio::test]
async fn recv_waits_for_the_next_event_and_ends_with_the_bus() {
    let bus = EventBus::new(10);
    let mut sub = bus.subscribe(Some(1), None);
    let publisher = bus.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        up(&publisher, 2, 1);
        up(&publisher, 1, 1);
    });
    let event: Arc<Event> = sub.recv().await.unwrap();
    assert_eq!((event.tenant_id, event.seq), (1, 1));
    drop(bus);
    tokio::time::timeout(std::time::Duration::from_secs(5), async { while sub.recv().await.is_some() {} })
        .await
        .expect("recv ends once the bus is gone");
}
