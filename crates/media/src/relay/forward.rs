//! One packet's way through the relay. Audio is relayed as it came (or
//! transcoded when the legs' codecs differ); RFC 4733 events are decoded,
//! reported once per digit and regenerated with the other leg's payload
//! type; digits the switch plays are injected between relayed packets with
//! sequence numbers of their own.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use tokio::time::Instant;
use voxide_sdp::AudioCodec;

use super::leg::{LegState, Outbound, Sent};
use super::{Sockets, State};
use crate::audio::VadEvent;
use crate::dtmf::{DtmfReceiver, DtmfUpdate, EventPacket, TelephoneEvent};
use crate::recorder::Recorder;
use crate::{MediaStats, g711, rtp};

/// Something the relay heard on a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Heard {
    Digit { digit: char, duration_ms: u32 },
    Speech(VadEvent),
}

/// Reads what is queued on one socket (up to a batch, so one busy leg
/// cannot starve the other) and relays it.
pub(super) fn drain(
    st: &mut State,
    leg: usize,
    rtcp: bool,
    buf: &mut [u8],
    sockets: &Sockets,
    stats: &MediaStats,
    report: &impl Fn(usize, Heard),
) {
    let socket = if rtcp { &sockets.rtcp[leg] } else { &sockets.rtp[leg] };
    for _ in 0..32 {
        match socket.try_recv_from(buf) {
            Ok((n, from)) if rtcp => {
                // Only the latched phone's reports count (and pass).
                let own = st.legs[leg].remote.is_some_and(|r| r.ip() == from.ip());
                if own {
                    st.legs[leg].last_heard = Instant::now();
                    forward_rtcp(st, 1 - leg, &buf[..n], sockets);
                }
            }
            Ok((n, from)) => forward_rtp(st, leg, buf, n, from, sockets, stats, report),
            Err(_) => return,
        }
    }
}

/// Relays one RTP packet (the first `len` bytes of `buf`) that arrived
/// from leg `from_leg`.
#[allow(clippy::too_many_arguments)]
fn forward_rtp(
    st: &mut State,
    from_leg: usize,
    buf: &mut [u8],
    len: usize,
    from: SocketAddr,
    sockets: &Sockets,
    stats: &MediaStats,
    report: &impl Fn(usize, Heard),
) {
    let mut len = len;
    if !rtp::is_rtp(&buf[..len]) {
        return;
    }
    let Some(off) = rtp::payload_offset(&buf[..len]) else { return };
    let now = Instant::now();
    let to_leg = 1 - from_leg;
    if (64..=95).contains(&rtp::payload_type(&buf[..len])) {
        // RTCP multiplexed on the RTP port (RFC 5761): not audio.
        if st.legs[from_leg].remote == Some(from) {
            st.legs[from_leg].last_heard = now;
            forward_rtcp(st, to_leg, &buf[..len], sockets);
        }
        return;
    }
    let [a, b] = &mut st.legs;
    let (src, dst) = if from_leg == 0 { (a, b) } else { (b, a) };
    // Symmetric RTP: answer to where packets come from, once they are the
    // leg's own.
    if !src.accepts(from, rtp::ssrc(&buf[..len]), now) {
        stats.packets_refused.fetch_add(1, Ordering::Relaxed);
        return;
    }
    src.last_heard = now;
    let pkt = &mut buf[..len];
    let seq = rtp::sequence(pkt);
    if let Some(last) = src.last_seq {
        let gap = seq.wrapping_sub(last);
        if gap > 1 && gap < 3000 {
            stats.packets_lost.fetch_add(u64::from(gap - 1), Ordering::Relaxed);
        }
    }
    src.last_seq = Some(seq);
    let pt = rtp::payload_type(pkt);
    if src.format.dtmf == Some(pt) {
        hear_event(src, pkt, off, now, |e| report(from_leg, e));
        // Regenerated with the other leg's payload type, or dropped when it
        // has none (the digit was reported all the same).
        match dst.format.dtmf {
            Some(out) if !dst.out.busy() => {
                if let Ok(ev) = TelephoneEvent::parse(&pkt[off..]) {
                    pkt[off..off + 4].copy_from_slice(&ev.to_bytes());
                }
                rtp::set_payload_type(pkt, out);
                src.map_timestamp(pkt);
            }
            _ => return drop_packet(dst),
        }
    } else {
        if let Some(e) = hear_tones(src, pt, &pkt[off..]) {
            report(from_leg, e);
        }
        if let (Some(l), Some((codec, audio_pt))) = (st.listener.as_mut(), src.format.audio)
            && audio_pt == pt
        {
            l.on_audio(from_leg, codec, &pkt[off..], |e| report(from_leg, Heard::Speech(e)));
        }
        if dst.out.busy() {
            // The switch is playing digits to that leg: they replace audio.
            return drop_packet(dst);
        }
        let own_audio = src.format.audio.is_some_and(|(_, audio_pt)| audio_pt == pt);
        if src.transcoder.is_some() && !own_audio {
            // Comfort noise or a codec nobody settled on: the other leg
            // agreed to neither, and the transcoder cannot convert it.
            return drop_packet(dst);
        }
        // The recording takes whichever side of the packet is G.711.
        let recorded_before = record(st.recorder.as_mut(), from_leg, pkt, off, now);
        match transcode(src, dst, buf, len, off, &mut st.scratch) {
            Ok(Some(n)) => {
                len = n;
                stats.packets_transcoded.fetch_add(1, Ordering::Relaxed);
            }
            Ok(None) => {}
            Err(()) => return drop_packet(dst),
        }
        if !recorded_before {
            record(st.recorder.as_mut(), from_leg, &buf[..len], off, now);
        }
    }
    let Some(dest) = dst.remote else { return };
    send(dst, &mut buf[..len], dest, sockets, to_leg, stats, now);
}

/// Adds a G.711 packet to the recording; whether it was one.
fn record(recorder: Option<&mut Recorder>, leg: usize, pkt: &[u8], off: usize, now: Instant) -> bool {
    let pt = rtp::payload_type(pkt);
    if pt != 0 && pt != 8 {
        return false;
    }
    if let Some(rec) = recorder {
        rec.add(leg, pt, rtp::timestamp(pkt), &pkt[off..], now.into_std());
    }
    true
}

/// A relayed packet withheld from `dst`: its sequence number is given back.
fn drop_packet(dst: &mut LegState) {
    dst.out.seq_shift = dst.out.seq_shift.wrapping_sub(1);
}

fn send(
    dst: &mut LegState,
    pkt: &mut [u8],
    dest: SocketAddr,
    sockets: &Sockets,
    to_leg: usize,
    stats: &MediaStats,
    now: Instant,
) {
    let seq = rtp::sequence(pkt).wrapping_add(dst.out.seq_shift);
    if dst.out.seq_shift != 0 {
        rtp::set_sequence(pkt, seq);
    }
    dst.out.last = Some(Sent { seq, ts: rtp::timestamp(pkt), ssrc: rtp::ssrc(pkt), at: now });
    // A full socket buffer drops this packet rather than stalling the call:
    // late audio is worthless.
    if sockets.rtp[to_leg].try_send_to(pkt, dest).is_ok() {
        stats.packets_relayed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Feeds an RFC 4733 packet to the leg's receiver and reports each key
/// press it finishes (one packet can finish two: the press whose end
/// packets were lost, and its own).
fn hear_event(src: &mut LegState, pkt: &[u8], off: usize, now: Instant, report: impl FnMut(Heard)) {
    let ms = src.millis(now);
    let Some(rx) = src.digits.as_mut() else { return };
    let packet = EventPacket {
        timestamp: rtp::timestamp(pkt),
        seq: rtp::sequence(pkt),
        marker: rtp::marker(pkt),
        payload: &pkt[off..],
    };
    if rx.handle_packet(packet, ms).is_ok() {
        ended_digits(rx, report);
    }
}

/// Reports the key presses the receiver has finished.
pub(super) fn ended_digits(rx: &mut DtmfReceiver, mut report: impl FnMut(Heard)) {
    while let Some(update) = rx.poll_update() {
        if let DtmfUpdate::Ended(d) = update {
            report(Heard::Digit { digit: d.digit.as_char(), duration_ms: d.duration_ms });
        }
    }
}

/// In-band tones in G.711 audio from a leg without telephone-event.
fn hear_tones(src: &mut LegState, pt: u8, payload: &[u8]) -> Option<Heard> {
    let det = src.tones.as_mut()?;
    let law = match src.format.audio {
        Some((law, p)) if p == pt => law,
        _ => return None,
    };
    let mut pcm = [0i16; 320];
    let n = payload.len().min(pcm.len());
    for (s, b) in pcm.iter_mut().zip(&payload[..n]) {
        *s = if law == AudioCodec::Pcma { g711::alaw_to_linear(*b) } else { g711::ulaw_to_linear(*b) };
    }
    det.push(&pcm[..n]).into_iter().last().map(|d| Heard::Digit {
        digit: d.digit.as_char(),
        duration_ms: u32::try_from((d.end_sample - d.start_sample) / 8).unwrap_or(u32::MAX),
    })
}

/// Turns the packet's payload into the other leg's codec. `Ok(Some(len))`
/// is the new packet length; `Ok(None)`: relayed as it is; `Err`: drop it.
fn transcode(
    src: &mut LegState,
    dst: &LegState,
    buf: &mut [u8],
    len: usize,
    off: usize,
    scratch: &mut [u8],
) -> Result<Option<usize>, ()> {
    let (Some((_, pt_in)), Some((_, pt_out))) = (src.format.audio, dst.format.audio) else { return Ok(None) };
    if rtp::payload_type(&buf[..len]) != pt_in {
        return Ok(None);
    }
    let Some(tc) = src.transcoder.as_mut() else {
        // Same codec, maybe another payload type number.
        rtp::set_payload_type(buf, pt_out);
        return Ok(None);
    };
    let n = tc.transcode(&buf[off..len], scratch).map_err(|_| ())?;
    let out = buf.get_mut(off..off + n).ok_or(())?;
    out.copy_from_slice(&scratch[..n]);
    rtp::set_payload_type(buf, pt_out);
    src.map_timestamp(buf);
    Ok(Some(off + n))
}

fn forward_rtcp(st: &State, to_leg: usize, pkt: &[u8], sockets: &Sockets) {
    if let Some(rtp_dest) = st.legs[to_leg].remote {
        let dest = SocketAddr::new(rtp_dest.ip(), rtp_dest.port().wrapping_add(1));
        let _ = sockets.rtcp[to_leg].try_send_to(pkt, dest);
    }
}

/// Sends the injected packets (digits, prompt frames) whose time has come;
/// reports each leg whose prompt finished.
pub(super) fn send_due(st: &mut State, sockets: &Sockets, now: Instant, mut finished: impl FnMut(usize)) {
    let mut pkt = [0u8; 1500];
    for (i, leg) in st.legs.iter_mut().enumerate() {
        if leg.format.dtmf.is_none() {
            leg.out.queue.clear();
        }
        while let Some(q) = leg.out.queue.front().filter(|q| q.due <= now) {
            let (pt, payload, marker, ts) = (leg.format.dtmf.unwrap_or(101), q.payload, q.marker, q.ts);
            leg.out.queue.pop_front();
            let len = build(&mut pkt, &mut leg.out, pt, marker, ts, &payload, now);
            if let Some(dest) = leg.remote {
                let _ = sockets.rtp[i].try_send_to(&pkt[..len], dest);
            }
        }
        if leg.out.playing.as_ref().is_some_and(|p| p.due <= now) && send_frame(leg, &mut pkt, sockets, i, now) {
            leg.out.playing = None;
            finished(i);
        }
    }
}

/// Sends the next 20 ms of a prompt; whether the prompt is over.
fn send_frame(leg: &mut LegState, pkt: &mut [u8; 1500], sockets: &Sockets, i: usize, now: Instant) -> bool {
    let Some(play) = leg.out.playing.as_mut() else { return true };
    let Some((codec, pt)) = leg.format.audio else {
        // The leg's codec is about to be settled (early media): wait a
        // second at most.
        play.due += std::time::Duration::from_millis(20);
        play.waited += 1;
        return play.waited > 50;
    };
    if codec == AudioCodec::Opus && play.opus.is_none() {
        play.opus = crate::audio::OpusEncoder::new(8000, 1).ok();
    }
    let Some(frame) = play.player.next_frame() else { return true };
    let mut payload = [0u8; 400];
    let n = match (codec, play.opus.as_mut()) {
        (AudioCodec::Opus, Some(enc)) => match enc.encode(frame, &mut payload) {
            Ok(n) => n,
            Err(_) => return true,
        },
        (AudioCodec::Opus, None) => return true,
        (law, _) => {
            let compress = if law == AudioCodec::Pcma { g711::linear_to_alaw } else { g711::linear_to_ulaw };
            for (b, s) in payload.iter_mut().zip(frame) {
                *b = compress(*s);
            }
            frame.len()
        }
    };
    let step = if codec == AudioCodec::Opus { 960 } else { 160 };
    let marker = std::mem::take(&mut play.first);
    play.due += std::time::Duration::from_millis(20);
    let ts = match leg.out.last {
        Some(s) if marker => s.ts.wrapping_add(elapsed_units(s.at, now, step)),
        Some(s) => s.ts.wrapping_add(step),
        None => super::leg::rand_ts(),
    };
    let len = build(pkt, &mut leg.out, pt, marker, ts, &payload[..n], now);
    if let Some(dest) = leg.remote {
        let _ = sockets.rtp[i].try_send_to(&pkt[..len], dest);
    }
    false
}

/// Timestamp units (at `step` per 20 ms) between two instants.
fn elapsed_units(from: Instant, to: Instant, step: u32) -> u32 {
    let frames = to.saturating_duration_since(from).as_millis() / 20;
    u32::try_from(frames).unwrap_or(u32::MAX).max(1).wrapping_mul(step)
}

/// Writes an injected packet that continues the leg's outbound stream
/// (next sequence number, same SSRC) into `pkt`; returns its length.
fn build(pkt: &mut [u8], out: &mut Outbound, pt: u8, marker: bool, ts: u32, payload: &[u8], now: Instant) -> usize {
    let last = out.last.unwrap_or(Sent { seq: 0, ts, ssrc: 0x5678_1234, at: now });
    let seq = last.seq.wrapping_add(1);
    out.seq_shift = out.seq_shift.wrapping_add(1);
    pkt[0] = 0x80;
    pkt[1] = (u8::from(marker) << 7) | pt;
    pkt[2..4].copy_from_slice(&seq.to_be_bytes());
    pkt[4..8].copy_from_slice(&ts.to_be_bytes());
    pkt[8..12].copy_from_slice(&last.ssrc.to_be_bytes());
    pkt[12..12 + payload.len()].copy_from_slice(payload);
    out.last = Some(Sent { seq, ts, ssrc: last.ssrc, at: now });
    12 + payload.len()
}
