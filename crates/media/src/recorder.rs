//! Call recording: both legs decoded from G.711 and mixed into one mono
//! 8 kHz 16-bit WAV file.
//!
//! Each leg's packets are placed by RTP timestamp (relative to that leg's
//! first packet, anchored at its arrival time), so jitter and reordering do
//! not smear the audio; samples are summed into a window that is flushed to
//! disk once it is older than the jitter allowance. The WAV header is
//! written with placeholder sizes and fixed when the recording ends, so a
//! crash leaves a file most players still read.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

use crate::g711;

const RATE: u32 = 8000;
/// Audio older than this (in samples) is final and goes to disk.
const HOLD_BACK: usize = 4000; // 500 ms

pub(crate) struct Recorder {
    out: BufWriter<File>,
    start: Instant,
    /// Sample index of `window[0]`.
    base: u64,
    window: Vec<i32>,
    /// Per leg: (first RTP timestamp, sample index it maps to).
    anchor: [Option<(u32, u64)>; 2],
    written: u64,
    /// Only this leg (0 or 1) is recorded, when set.
    only: Option<usize>,
}

impl Recorder {
    /// Records both legs mixed, or only leg `only` (0 or 1).
    pub(crate) fn create(path: &Path, start: Instant, only: Option<usize>) -> std::io::Result<Recorder> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut out = BufWriter::with_capacity(32 * 1024, File::create(path)?);
        out.write_all(&header(u32::MAX - 44))?;
        Ok(Recorder {
            out,
            start,
            base: 0,
            window: Vec::with_capacity(RATE as usize * 2),
            anchor: [None, None],
            written: 0,
            only,
        })
    }

    /// Adds one RTP packet's audio from `leg` (0 or 1).
    pub(crate) fn add(&mut self, leg: usize, payload_type: u8, timestamp: u32, payload: &[u8], now: Instant) {
        if self.only.is_some_and(|only| only != leg) {
            return;
        }
        let decode: fn(u8) -> i16 = match payload_type {
            0 => g711::ulaw_to_linear,
            8 => g711::alaw_to_linear,
            _ => return, // not audio we can decode (e.g. telephone-event)
        };
        let arrived = (now.duration_since(self.start).as_secs_f64() * f64::from(RATE)) as i64;
        let (ts0, at0) = *self.anchor[leg].get_or_insert((timestamp, arrived as u64));
        let mut offset = i64::from(timestamp.wrapping_sub(ts0) as i32);
        if (at0 as i64 + offset - arrived).abs() > i64::from(RATE) {
            // The timestamps jumped (a new stream, a reset, or a packet
            // claiming to be hours away): place audio by arrival from here
            // on rather than leave a gap, or grow the window, that long.
            self.anchor[leg] = Some((timestamp, arrived as u64));
            offset = 0;
        }
        let at0 = self.anchor[leg].map_or(0, |(_, at)| at);
        let Some(pos) = (at0 as i64 + offset).checked_sub(self.base as i64) else { return };
        if pos < 0 {
            return; // too late: already written
        }
        let pos = pos as usize;
        let end = pos + payload.len();
        if end > self.window.len() {
            self.window.resize(end, 0);
        }
        for (slot, b) in self.window[pos..end].iter_mut().zip(payload) {
            *slot += i32::from(decode(*b));
        }
        if self.window.len() > HOLD_BACK * 2 {
            let _ = self.flush_older_than(self.window.len() - HOLD_BACK);
        }
    }

    fn flush_older_than(&mut self, n: usize) -> std::io::Result<()> {
        let n = n.min(self.window.len());
        let mut bytes = Vec::with_capacity(n * 2);
        for s in self.window.drain(..n) {
            bytes.extend_from_slice(&(s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16).to_le_bytes());
        }
        self.base += n as u64;
        self.written += n as u64;
        self.out.write_all(&bytes)
    }

    /// Writes what is left and fixes the header; returns seconds recorded.
    pub(crate) fn finish(mut self) -> std::io::Result<f64> {
        self.flush_older_than(self.window.len())?;
        let data = u32::try_from(self.written * 2).unwrap_or(u32::MAX - 44);
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header(data))?;
        file.sync_data()?;
        Ok(self.written as f64 / f64::from(RATE))
    }
}

/// A 44-byte PCM WAV header for `data` bytes of 8 kHz mono 16-bit audio.
fn header(data: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data.saturating_add(36).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&RATE.to_le_bytes());
    h[28..32].copy_from_slice(&(RATE * 2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn both_legs_are_mixed_by_timestamp_into_a_valid_wav() {
        let dir = std::env::temp_dir().join(format!("rec-{}", std::process::id()));
        let path = dir.join("call.wav");
        let t0 = Instant::now();
        let mut rec = Recorder::create(&path, t0, None).unwrap();
        let tone_a = g711::linear_to_ulaw(4000);
        let tone_b = g711::linear_to_alaw(-2000);
        for i in 0..100u32 {
            let at = t0 + Duration::from_millis(u64::from(i) * 20);
            rec.add(0, 0, 1000 + i * 160, &[tone_a; 160], at);
            rec.add(1, 8, 50_000 + i * 160, &[tone_b; 160], at);
        }
        let secs = rec.finish().unwrap();
        assert!((secs - 2.0).abs() < 0.05, "{secs}");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize, bytes.len() - 44);
        let mid = 44 + 8000; // 0.5 s in
        let sample = i16::from_le_bytes([bytes[mid], bytes[mid + 1]]);
        let expected = g711::ulaw_to_linear(tone_a) + g711::alaw_to_linear(tone_b);
        assert_eq!(sample, expected);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_timestamp_hours_away_is_placed_by_arrival_not_by_timestamp() {
        let dir = std::env::temp_dir().join(format!("rec-jump-{}", std::process::id()));
        let t0 = Instant::now();
        let mut rec = Recorder::create(&dir.join("call.wav"), t0, None).unwrap();
        let tone = g711::linear_to_ulaw(1000);
        rec.add(0, 0, 1000, &[tone; 160], t0);
        // A hostile or reset stream: 0x7fff_0000 units (about 3 days) ahead.
        rec.add(0, 0, 1000u32.wrapping_add(0x7fff_0000), &[tone; 160], t0 + Duration::from_millis(20));
        assert!(rec.window.len() < 8000, "the window grew to {} samples", rec.window.len());
        let secs = rec.finish().unwrap();
        assert!(secs < 1.0, "{secs}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
