//! SIPp's shipped RFC 2833 captures, one key press per file, read as a
//! receiver would see them on the wire.

use super::super::{Digit, DtmfReceiver, DtmfUpdate, EndReason, EventPacket, TelephoneEvent};
use super::pcap::{Datagram, udp_payloads};
use crate::rtp;

const CAPTURES: &str = "/usr/share/sip-tester";
/// Payload type SIPp's scenarios negotiate for telephone-event.
const TELEPHONE_EVENT_PT: u8 = 101;
/// SIPp holds each key for 2240 units (280 ms at 8 kHz): seven updates, from
/// zero in steps of 320, then three end packets stating 2240.
const HELD: u32 = 2240;

fn capture(name: &str) -> Vec<Datagram> {
    let path = format!("{CAPTURES}/dtmf_2833_{name}.pcap");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {path} ({e}); install the sip-tester package (scripts/deps.sh test)"));
    udp_payloads(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn feed(rx: &mut DtmfReceiver, datagrams: &[Datagram]) -> Vec<DtmfUpdate> {
    let mut updates = Vec::new();
    for d in datagrams {
        assert_eq!(rtp::payload_type(&d.payload), TELEPHONE_EVENT_PT);
        rx.handle_packet(EventPacket::from_rtp(&d.payload).unwrap(), d.arrival_ms).unwrap();
        updates.extend(std::iter::from_fn(|| rx.poll_update()));
    }
    updates
}

fn names() -> impl Iterator<Item = (&'static str, char)> {
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "pound"].into_iter().zip("0123456789*#".chars())
}

#[test]
fn each_sipp_capture_yields_exactly_its_digit_with_its_duration() {
    for (name, key) in names() {
        let datagrams = capture(name);
        assert_eq!(datagrams.len(), 10, "{name}: seven updates and three end packets");
        let first = EventPacket::from_rtp(&datagrams[0].payload).unwrap();
        assert!(first.marker);
        assert_eq!(TelephoneEvent::parse(first.payload).unwrap().volume, 10);

        let mut rx = DtmfReceiver::new(8000);
        let updates = feed(&mut rx, &datagrams);
        let digit = Digit::from_char(key).unwrap();
        let Some(DtmfUpdate::Ended(ev)) = updates.get(1) else { panic!("{name}: {updates:?}") };
        assert_eq!(updates.len(), 2, "{name}: {updates:?}");
        assert_eq!(updates[0], DtmfUpdate::Started { digit, start_ts: first.timestamp });
        assert_eq!((ev.digit, ev.start_ts, ev.duration), (digit, first.timestamp, HELD), "{name}");
        assert_eq!((ev.duration_ms, ev.volume, ev.ended_by), (280, 10, EndReason::EndPacket), "{name}");

        rx.handle_timeout(datagrams[9].arrival_ms + 10_000);
        assert_eq!(rx.poll_update(), None, "{name}: reported twice");
    }
}

#[test]
fn started_is_reported_on_the_first_packet_so_audio_can_be_muted() {
    let datagrams = capture("5");
    let mut rx = DtmfReceiver::new(8000);
    let updates = feed(&mut rx, &datagrams[..1]);
    assert!(matches!(updates[..], [DtmfUpdate::Started { .. }]));
    assert_eq!(rx.current(), Digit::from_char('5'));
}

#[test]
fn all_captures_merged_in_timestamp_order_give_the_whole_keypad_once_each() {
    // The files share one SSRC and clock; in RTP timestamp order they are
    // one stream again. (Capture times cannot order them: `0` and `1` carry
    // the same one.)
    let mut files: Vec<(char, Vec<Datagram>)> = names().map(|(name, key)| (key, capture(name))).collect();
    files.sort_by_key(|(_, datagrams)| rtp::timestamp(&datagrams[0].payload));
    let expected: String = files.iter().map(|(key, _)| *key).collect();
    let stream: Vec<Datagram> = files.into_iter().flat_map(|(_, datagrams)| datagrams).collect();

    let mut rx = DtmfReceiver::new(8000);
    let dialled: String = feed(&mut rx, &stream)
        .into_iter()
        .filter_map(|u| match u {
            DtmfUpdate::Ended(ev) => Some(ev.digit.as_char()),
            DtmfUpdate::Started { .. } => None,
        })
        .collect();
    assert_eq!(dialled, expected);
    let mut sorted: Vec<char> = dialled.chars().collect();
    sorted.sort_unstable();
    assert_eq!(sorted.into_iter().collect::<String>(), "#*0123456789");
}

#[test]
fn capture_with_its_first_packets_lost_still_yields_the_digit_once() {
    let datagrams = capture("pound");
    let mut rx = DtmfReceiver::new(8000);
    let updates = feed(&mut rx, &datagrams[3..]);
    let ends: Vec<_> = updates.iter().filter(|u| matches!(u, DtmfUpdate::Ended(_))).collect();
    assert_eq!(ends.len(), 1);
    let DtmfUpdate::Ended(ev) = ends[0] else { unreachable!() };
    assert_eq!((ev.digit.as_char(), ev.duration), ('#', HELD));
}
