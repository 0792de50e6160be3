//! The sender's packets fed to the receiver across a network that loses,
//! duplicates and reorders them.

use super::super::{
    DEFAULT_END_TIMEOUT_MS, Digit, DigitEvent, DtmfError, DtmfReceiver, DtmfSender, DtmfUpdate, EndReason, EventPacket,
};
use super::signal::Rng;

const PT: u8 = 101;
const GAP_MS: u32 = 100;

/// A whole RTP packet as it would arrive.
#[derive(Clone, Debug)]
struct Arrival {
    bytes: Vec<u8>,
    at_ms: u64,
}

/// One side of a call sending key presses back to back.
struct Phone {
    sender: DtmfSender,
    seq: u16,
    ts: u32,
    clock_ms: u64,
}

impl Phone {
    fn new(start_ts: u32) -> Self {
        Self { sender: DtmfSender::default(), seq: 0xfff0, ts: start_ts, clock_ms: 1_000 }
    }

    /// The packets of one press, then a pause before the next.
    fn press(&mut self, key: char, ms: u32) -> Vec<Arrival> {
        let digit = Digit::from_char(key).unwrap();
        let packets = self.sender.packets(digit, ms, 10, self.ts);
        let mut out = Vec::new();
        for p in &packets {
            let mut bytes = vec![0x80, (u8::from(p.marker) << 7) | PT];
            bytes.extend_from_slice(&self.seq.to_be_bytes());
            bytes.extend_from_slice(&p.timestamp.to_be_bytes());
            bytes.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            bytes.extend_from_slice(&p.payload);
            out.push(Arrival { bytes, at_ms: self.clock_ms + u64::from(p.send_at_ms) });
            self.seq = self.seq.wrapping_add(1);
        }
        let elapsed = packets.last().unwrap().send_at_ms + GAP_MS;
        self.clock_ms += u64::from(elapsed);
        self.ts = self.ts.wrapping_add(elapsed * 8);
        out
    }

    fn presses(&mut self, keys: &str, ms: u32) -> Vec<Vec<Arrival>> {
        keys.chars().map(|k| self.press(k, ms)).collect()
    }
}

fn deliver(rx: &mut DtmfReceiver, arrivals: &[Arrival]) -> Vec<DtmfUpdate> {
    let mut updates = Vec::new();
    for a in arrivals {
        rx.handle_timeout(a.at_ms);
        rx.handle_packet(EventPacket::from_rtp(&a.bytes).unwrap(), a.at_ms).unwrap();
        updates.extend(std::iter::from_fn(|| rx.poll_update()));
    }
    updates
}

/// Runs the receiver's clock past any pending timeout.
fn settle(rx: &mut DtmfReceiver, updates: &mut Vec<DtmfUpdate>) {
    if let Some(deadline) = rx.poll_timeout() {
        rx.handle_timeout(deadline);
    }
    updates.extend(std::iter::from_fn(|| rx.poll_update()));
    assert_eq!(rx.poll_timeout(), None);
}

fn ended(updates: &[DtmfUpdate]) -> Vec<DigitEvent> {
    updates.iter().filter_map(|u| if let DtmfUpdate::Ended(ev) = u { Some(*ev) } else { None }).collect()
}

fn keys(events: &[DigitEvent]) -> String {
    events.iter().map(|e| e.digit.as_char()).collect()
}

/// Arrival times that follow the (possibly reordered) delivery order.
fn retime(mut arrivals: Vec<Arrival>, first_ms: u64) -> Vec<Arrival> {
    for (i, a) in arrivals.iter_mut().enumerate() {
        a.at_ms = first_ms + 20 * i as u64;
    }
    arrivals
}

#[test]
fn clean_presses_are_each_reported_once_with_their_length() {
    let mut phone = Phone::new(4000);
    let stream: Vec<Arrival> = phone.presses("159#", 100).concat();
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &stream);
    settle(&mut rx, &mut updates);
    let events = ended(&updates);
    assert_eq!(keys(&events), "159#");
    assert!(events.iter().all(|e| e.duration == 800 && e.duration_ms == 100 && e.ended_by == EndReason::EndPacket));
    assert_eq!(updates.len(), 8, "one Started and one Ended per press: {updates:?}");
}

#[test]
fn press_whose_first_packets_were_lost_is_reported_once() {
    let press = Phone::new(0).press('7', 100);
    let mut rx = DtmfReceiver::new(8000);
    let updates = deliver(&mut rx, &press[3..]);
    let digit = Digit::from_char('7').unwrap();
    assert_eq!(updates[0], DtmfUpdate::Started { digit, start_ts: 0 });
    let events = ended(&updates);
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].digit, events[0].duration, events[0].ended_by), (digit, 800, EndReason::EndPacket));
}

#[test]
fn press_whose_end_packets_were_all_lost_ends_when_the_next_begins() {
    let mut phone = Phone::new(0);
    let [first, second] = [phone.press('3', 100), phone.press('4', 100)];
    let stream = [&first[..first.len() - 3], &second[..]].concat();
    let mut rx = DtmfReceiver::new(8000);
    let updates = deliver(&mut rx, &stream);
    let events = ended(&updates);
    assert_eq!(keys(&events), "34");
    assert_eq!((events[0].duration, events[0].ended_by), (640, EndReason::NextEvent));
    assert_eq!((events[1].duration, events[1].ended_by), (800, EndReason::EndPacket));
    assert!(matches!(updates[1], DtmfUpdate::Ended(_)), "3 ends before 4 starts: {updates:?}");
}

#[test]
fn last_press_whose_end_packets_were_all_lost_ends_on_timeout() {
    let press = Phone::new(0).press('9', 100);
    let kept = &press[..press.len() - 3];
    let mut rx = DtmfReceiver::new(8000);
    let updates = deliver(&mut rx, kept);
    assert!(ended(&updates).is_empty());
    let last = kept.last().unwrap().at_ms;
    assert_eq!(rx.poll_timeout(), Some(last + DEFAULT_END_TIMEOUT_MS));
    rx.handle_timeout(last + DEFAULT_END_TIMEOUT_MS - 1);
    assert_eq!(rx.poll_update(), None);
    rx.handle_timeout(last + DEFAULT_END_TIMEOUT_MS);
    let Some(DtmfUpdate::Ended(ev)) = rx.poll_update() else { panic!("no timeout report") };
    assert_eq!((ev.digit.as_char(), ev.duration, ev.ended_by), ('9', 640, EndReason::Timeout));
    // The end packets turning up after all do not report it again.
    let late = deliver(&mut rx, &retime(press[press.len() - 3..].to_vec(), last + 300));
    assert!(late.is_empty(), "{late:?}");
}

#[test]
fn packets_shuffled_within_each_press_give_each_digit_once_with_its_length() {
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let mut phone = Phone::new(seed as u32 * 7919);
        let mut stream = Vec::new();
        for mut press in phone.presses("2580", 120) {
            rng.shuffle(&mut press);
            stream.extend(press);
        }
        let mut rx = DtmfReceiver::new(8000);
        let mut updates = deliver(&mut rx, &retime(stream, 0));
        settle(&mut rx, &mut updates);
        let events = ended(&updates);
        assert_eq!(keys(&events), "2580", "seed {seed}");
        assert!(events.iter().all(|e| e.duration == 960 && e.ended_by == EndReason::EndPacket), "seed {seed}");
    }
}

#[test]
fn duplicated_packets_are_reported_once() {
    let stream: Vec<Arrival> = Phone::new(0).presses("*0#", 80).concat();
    let doubled: Vec<Arrival> = stream.iter().flat_map(|a| [a.clone(), a.clone()]).collect();
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &doubled);
    // The whole stream replayed later changes nothing either.
    updates.extend(deliver(&mut rx, &retime(stream, 10_000)));
    settle(&mut rx, &mut updates);
    assert_eq!(keys(&ended(&updates)), "*0#");
    assert_eq!(updates.len(), 6);
}

#[test]
fn late_packets_of_a_finished_press_do_not_report_it_again() {
    let mut phone = Phone::new(0);
    let [a, b] = [phone.press('1', 100), phone.press('2', 100)];
    // A's second update and last end copy arrive after B has begun.
    let mut stream = vec![a[0].clone(), a[2].clone(), a[3].clone(), a[4].clone(), a[5].clone()];
    stream.push(b[0].clone());
    stream.push(a[1].clone());
    stream.push(a[6].clone());
    stream.extend(b[1..].iter().cloned());
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &retime(stream, 0));
    settle(&mut rx, &mut updates);
    let events = ended(&updates);
    assert_eq!(keys(&events), "12");
    assert!(events.iter().all(|e| e.duration == 800 && e.ended_by == EndReason::EndPacket));
}

#[test]
fn random_loss_never_reports_a_press_twice_and_keeps_the_order() {
    for seed in 0..100 {
        let mut rng = Rng::new(seed + 1000);
        let presses = Phone::new(90_000).presses("0123456789*#ABCD", 100);
        let mut expected = String::new();
        let mut stream = Vec::new();
        for (press, key) in presses.into_iter().zip("0123456789*#ABCD".chars()) {
            let kept: Vec<Arrival> = press.into_iter().filter(|_| rng.below(10) >= 3).collect();
            if !kept.is_empty() {
                expected.push(key);
            }
            stream.extend(kept);
        }
        let mut rx = DtmfReceiver::new(8000);
        let mut updates = deliver(&mut rx, &stream);
        settle(&mut rx, &mut updates);
        let events = ended(&updates);
        assert_eq!(keys(&events), expected, "seed {seed}");
        for e in &events {
            assert!(e.duration <= 800 && (e.ended_by != EndReason::EndPacket || e.duration == 800), "seed {seed}");
        }
    }
}

#[test]
fn sender_reusing_a_timestamp_is_still_heard_twice() {
    let mut phone = Phone::new(5000);
    let first = phone.press('5', 60);
    phone.ts = 5000; // this sender stamps both presses with the same instant
    let second = phone.press('5', 60);
    // A copy of the first press's marker packet, held up in the network.
    let stream = [&first[..], &first[..1], &second[..]].concat();
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &retime(stream, 0));
    settle(&mut rx, &mut updates);
    assert_eq!(keys(&ended(&updates)), "55");
}

#[test]
fn long_press_split_into_segments_is_one_digit() {
    let press = Phone::new(u32::MAX - 4000).press('D', 10_000);
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &press);
    settle(&mut rx, &mut updates);
    let events = ended(&updates);
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!((events[0].digit.as_char(), events[0].start_ts), ('D', u32::MAX - 4000));
    assert_eq!((events[0].duration, events[0].duration_ms), (80_000, 10_000));
}

#[test]
fn non_dtmf_events_and_short_payloads_are_refused_without_disturbing_a_press() {
    let press = Phone::new(0).press('6', 100);
    let mut rx = DtmfReceiver::new(8000);
    let mut updates = deliver(&mut rx, &press[..2]);
    let flash = EventPacket { timestamp: 0, seq: 9, marker: false, payload: &[16, 10, 0, 160] };
    assert_eq!(rx.handle_packet(flash, 1_050), Err(DtmfError::NotADigit(16)));
    let short = EventPacket { timestamp: 0, seq: 9, marker: false, payload: &[6, 10] };
    assert_eq!(rx.handle_packet(short, 1_050), Err(DtmfError::PayloadTooShort { len: 2 }));
    assert_eq!(rx.current(), Digit::from_char('6'));
    updates.extend(deliver(&mut rx, &press[2..]));
    assert_eq!(ended(&updates).iter().map(|e| e.duration).collect::<Vec<_>>(), [800]);
}

#[test]
fn flush_reports_a_press_in_progress() {
    let press = Phone::new(0).press('8', 100);
    let mut rx = DtmfReceiver::new(8000);
    deliver(&mut rx, &press[..2]);
    rx.flush();
    let Some(DtmfUpdate::Ended(ev)) = rx.poll_update() else { panic!("nothing flushed") };
    assert_eq!((ev.digit.as_char(), ev.duration, ev.ended_by), ('8', 320, EndReason::Flushed));
    assert_eq!(rx.current(), None);
}
