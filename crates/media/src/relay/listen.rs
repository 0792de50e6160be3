//! Listening to a call: each leg's audio decoded to 8 kHz linear PCM, run
//! through a voice-activity detector, and handed in 100 ms chunks to
//! whoever listens (speech-to-text, in the switch). A listener that falls
//! behind loses chunks; the relay never waits for it.

use std::sync::Arc;

use tokio::sync::mpsc;
use voxide_sdp::AudioCodec;

use crate::audio::{OpusDecoder, Vad, VadConfig, VadEvent};
use crate::{Leg, g711};

/// 100 ms of 8 kHz audio: what a listener gets at a time.
const CHUNK: usize = 800;
/// The most one packet decodes to (120 ms of Opus at 8 kHz).
const MAX_PACKET_SAMPLES: usize = 960;

/// Decoded audio of one leg, in the order it arrived.
#[derive(Debug, Clone)]
pub struct AudioChunk {
    pub leg: Leg,
    /// 8 kHz mono samples.
    pub pcm: Arc<[i16]>,
}

pub(super) struct Listener {
    sink: mpsc::Sender<AudioChunk>,
    legs: [LegTap; 2],
    pcm: [i16; MAX_PACKET_SAMPLES],
}

struct LegTap {
    vad: Option<Vad>,
    opus: Option<OpusDecoder>,
    pending: Vec<i16>,
}

impl Listener {
    pub fn new(sink: mpsc::Sender<AudioChunk>, vad: &VadConfig) -> Listener {
        let tap = || LegTap {
            vad: Vad::new(vad.clone()).map_err(|e| tracing::warn!(cause = %e, "VAD off")).ok(),
            opus: None,
            pending: Vec::with_capacity(CHUNK),
        };
        Listener { sink, legs: [tap(), tap()], pcm: [0; MAX_PACKET_SAMPLES] }
    }

    /// Takes one audio payload of `leg` in `codec`; reports what the VAD
    /// found in it.
    pub fn on_audio(&mut self, leg: usize, codec: AudioCodec, payload: &[u8], mut report: impl FnMut(VadEvent)) {
        let tap = &mut self.legs[leg];
        let n = match codec {
            AudioCodec::Pcmu | AudioCodec::Pcma => {
                let n = payload.len().min(self.pcm.len());
                let expand = if codec == AudioCodec::Pcmu { g711::ulaw_to_linear } else { g711::alaw_to_linear };
                for (s, b) in self.pcm.iter_mut().zip(&payload[..n]) {
                    *s = expand(*b);
                }
                n
            }
            AudioCodec::Opus => {
                if tap.opus.is_none() {
                    tap.opus = OpusDecoder::new(8000, 1).ok();
                }
                match tap.opus.as_mut().map(|d| d.decode(Some(payload), &mut self.pcm)) {
                    Some(Ok(n)) => n,
                    _ => return,
                }
            }
        };
        let pcm = &self.pcm[..n];
        if let Some(vad) = tap.vad.as_mut() {
            vad.push(pcm).iter().copied().for_each(&mut report);
        }
        tap.pending.extend_from_slice(pcm);
        if tap.pending.len() >= CHUNK {
            let chunk = AudioChunk { leg: if leg == 0 { Leg::A } else { Leg::B }, pcm: Arc::from(&tap.pending[..]) };
            tap.pending.clear();
            // A listener that is behind loses this chunk rather than the call
            // waiting for it.
            let _ = self.sink.try_send(chunk);
        }
    }

    /// Hands over what is left and ends speech in progress.
    pub fn finish(mut self, mut report: impl FnMut(usize, VadEvent)) {
        for (i, tap) in self.legs.iter_mut().enumerate() {
            if let Some(vad) = tap.vad.as_mut() {
                vad.finish().iter().for_each(|e| report(i, *e));
            }
            if !tap.pending.is_empty() {
                let leg = if i == 0 { Leg::A } else { Leg::B };
                let _ = self.sink.try_send(AudioChunk { leg, pcm: Arc::from(&tap.pending[..]) });
            }
        }
    }
}
