//! RTP captures for SIPp's `play_pcap_audio`: read the RFC 4733 captures
//! that ship with SIPp and lay their telephone-event payloads out again as
//! one coherent stream (one SSRC, consecutive sequence numbers, a timestamp
//! per key press), optionally losing packets at random on the way, the way
//! a lossy network between the phone and the switch would.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};

/// Where the `sip-tester` package installs its captures.
pub const SIPP_PCAPS: &str = "/usr/share/sip-tester";

/// One captured RTP packet: seconds since the capture started and the RTP
/// bytes (header and payload).
#[derive(Debug, Clone)]
pub struct RtpRecord {
    pub time: f64,
    pub rtp: Vec<u8>,
}

/// The RTP packets of a pcap file (Ethernet, IPv4, UDP).
pub fn read_rtp(path: &Path) -> Vec<RtpRecord> {
    let data = std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read {} (is the sip-tester package installed?): {e}", path.display()));
    assert!(data.len() >= 24 && data[..4] == [0xd4, 0xc3, 0xb2, 0xa1], "{} is not a pcap file", path.display());
    let u32_at = |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let mut out = Vec::new();
    let mut off = 24;
    let mut first = None;
    while off + 16 <= data.len() {
        let time = f64::from(u32_at(off)) + f64::from(u32_at(off + 4)) / 1e6;
        let len = u32_at(off + 8) as usize;
        let frame = &data[off + 16..(off + 16 + len).min(data.len())];
        off += 16 + len;
        let ip = &frame[14..];
        let udp = &ip[usize::from(ip[0] & 0x0f) * 4..];
        let t0 = *first.get_or_insert(time);
        out.push(RtpRecord { time: time - t0, rtp: udp[8..].to_vec() });
    }
    out
}

/// The telephone-event payloads SIPp's `dtmf_2833_<digit>.pcap` holds for
/// `digit`, with their offsets in seconds from the first packet.
fn sipp_digit(digit: char) -> Vec<(f64, [u8; 4])> {
    let name = match digit {
        '*' => "star".to_string(),
        '#' => "pound".to_string(),
        d => d.to_string(),
    };
    read_rtp(&Path::new(SIPP_PCAPS).join(format!("dtmf_2833_{name}.pcap")))
        .into_iter()
        .map(|r| (r.time, [r.rtp[12], r.rtp[13], r.rtp[14], r.rtp[15]]))
        .collect()
}

/// Writes a pcap of `digits` pressed `gap` seconds apart, made of SIPp's
/// captured payloads for each digit, as payload type `pt` from one SSRC;
/// each packet is lost with probability `loss` (a seeded generator, so a
/// run is repeatable). Returns the path and how many packets were lost.
pub fn dtmf_pcap(dir: &Path, digits: &str, pt: u8, gap: f64, loss: f64, seed: u64) -> (PathBuf, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut records, mut lost) = (Vec::new(), 0);
    let mut seq: u16 = 1000;
    for (i, digit) in digits.chars().enumerate() {
        let start = i as f64 * gap;
        let ts = 8000 + u32::try_from(i).unwrap_or(0) * (gap * 8000.0) as u32;
        for (k, (at, payload)) in sipp_digit(digit).into_iter().enumerate() {
            seq = seq.wrapping_add(1);
            if rng.random_bool(loss) {
                lost += 1;
                continue;
            }
            let mut rtp = vec![0x80, (u8::from(k == 0) << 7) | pt];
            rtp.extend_from_slice(&seq.to_be_bytes());
            rtp.extend_from_slice(&ts.to_be_bytes());
            rtp.extend_from_slice(&0x7e57_d7f0_u32.to_be_bytes());
            rtp.extend_from_slice(&payload);
            records.push(RtpRecord { time: start + at, rtp });
        }
    }
    let path = dir.join(format!("dtmf-{seed}.pcap"));
    write_rtp(&path, &records);
    (path, lost)
}

/// Writes RTP packets as a pcap of Ethernet/IPv4/UDP frames (the addresses
/// and ports are placeholders: SIPp sends to the call's media address).
pub fn write_rtp(path: &Path, records: &[RtpRecord]) {
    let mut out = Vec::new();
    out.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for r in records {
        let udp_len = 8 + r.rtp.len();
        let ip_len = 20 + udp_len;
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
        ip[2..4].copy_from_slice(&u16::try_from(ip_len).unwrap_or(u16::MAX).to_be_bytes());
        let sum = ip_checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&u16::try_from(udp_len).unwrap_or(u16::MAX).to_be_bytes());
        frame.extend_from_slice(&[0, 0]); // no UDP checksum
        frame.extend_from_slice(&r.rtp);
        let secs = r.time.floor();
        out.extend_from_slice(&(secs as u32).to_le_bytes());
        out.extend_from_slice(&(((r.time - secs) * 1e6) as u32).to_le_bytes());
        out.extend_from_slice(&u32::try_from(frame.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&u32::try_from(frame.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn ip_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
