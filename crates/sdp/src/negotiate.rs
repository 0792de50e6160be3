//! Codec negotiation for a transcoding B2BUA (RFC 3264 offer/answer).
//!
//! The switch can decode and encode PCMU, PCMA and Opus, so whatever the
//! caller offers, the callee is offered those three too (after the caller's
//! own codecs, which keep their preference), plus `telephone-event/8000`.
//! When the callee answers with a codec the caller also offered, audio is
//! relayed untouched; otherwise the caller's answer is rewritten to the
//! caller's first codec the switch can transcode, and the relay transcodes.
//! A call the switch places itself starts from [`Sdp::switch_offer`]: the
//! same three codecs and telephone-event, offered to each leg.

use std::net::IpAddr;

use crate::{Codec, Line, Media, Sdp};

/// A codec the switch can decode and encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    Pcmu,
    Pcma,
    Opus,
}

impl AudioCodec {
    /// The codec `codec` names, when the switch can transcode it.
    pub fn of(codec: &Codec) -> Option<AudioCodec> {
        match (codec.name.as_str(), codec.clock_rate) {
            ("PCMU", 8000) => Some(AudioCodec::Pcmu),
            ("PCMA", 8000) => Some(AudioCodec::Pcma),
            ("OPUS", 48000) => Some(AudioCodec::Opus),
            _ => None,
        }
    }

    /// `rtpmap` encoding, static payload type (if any) and default `fmtp`.
    fn description(self) -> (&'static str, Option<u8>, Option<&'static str>) {
        match self {
            AudioCodec::Pcmu => ("PCMU/8000", Some(0), None),
            AudioCodec::Pcma => ("PCMA/8000", Some(8), None),
            AudioCodec::Opus => ("opus/48000/2", None, Some("minptime=10;useinbandfec=1")),
        }
    }
}

/// What one side of a call sends and receives, as settled by an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegFormat {
    /// The audio codec and its payload type, when the switch knows it.
    pub audio: Option<(AudioCodec, u8)>,
    /// The payload type of `telephone-event/8000` (RFC 4733), if agreed.
    pub dtmf: Option<u8>,
}

const TRANSCODABLE: [AudioCodec; 3] = [AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::Opus];

/// The telephone-event payload type of the switch's own offers: the one
/// most phones use, so an answer rarely has to renumber it.
const OWN_DTMF_PT: u8 = 101;

impl Sdp {
    /// The switch's own offer, for a call it places itself (nobody's offer
    /// to pass on): one audio stream at `ip:port` offering every codec the
    /// switch transcodes, in that order, then `telephone-event/8000`.
    pub fn switch_offer(ip: IpAddr, port: u16, session_version: u64) -> Sdp {
        let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let line = |kind, value: String| Line { kind, value };
        let mut formats = Vec::new();
        let mut lines = Vec::new();
        let mut dynamic = 96..;
        for k in TRANSCODABLE {
            let (enc, fixed, fmtp) = k.description();
            let Some(pt) = fixed.or_else(|| dynamic.next()) else { continue };
            formats.push(pt.to_string());
            lines.push(line('a', format!("rtpmap:{pt} {enc}")));
            if let Some(f) = fmtp {
                lines.push(line('a', format!("fmtp:{pt} {f}")));
            }
        }
        formats.push(OWN_DTMF_PT.to_string());
        lines.push(line('a', format!("rtpmap:{OWN_DTMF_PT} telephone-event/8000")));
        lines.push(line('a', format!("fmtp:{OWN_DTMF_PT} 0-16")));
        lines.push(line('a', "ptime:20".into()));
        lines.push(line('a', "sendrecv".into()));
        Sdp {
            session: vec![
                line('v', "0".into()),
                line('o', format!("voxide 1 {session_version} IN {family} {ip}")),
                line('s', "voxide".into()),
                line('c', format!("IN {family} {ip}")),
                line('t', "0 0".into()),
            ],
            media: vec![Media { kind: "audio".into(), port, proto: "RTP/AVP".into(), formats, lines }],
        }
    }

    /// The format of stream `index` of an answer: its first audio codec and
    /// its telephone-event payload type.
    pub fn leg_format(&self, index: usize) -> LegFormat {
        let codecs = self.codecs(index);
        let audio = codecs
            .iter()
            .find(|c| c.name != "TELEPHONE-EVENT" && c.name != "CN")
            .and_then(|c| AudioCodec::of(c).map(|k| (k, c.payload_type)));
        LegFormat { audio, dtmf: dtmf_pt(&codecs) }
    }

    /// Adds to an offer each codec the switch transcodes that it lacks, and
    /// `telephone-event/8000`, so the answerer can pick what it likes.
    pub fn offer_transcodable(&mut self, index: usize) {
        let codecs = self.codecs(index);
        if !codecs.iter().any(|c| AudioCodec::of(c).is_some()) {
            // Nothing the switch could transcode from: offering more would
            // let the answerer pick a codec the offerer cannot speak.
            return;
        }
        let has = |k: AudioCodec| codecs.iter().any(|c| AudioCodec::of(c) == Some(k));
        let missing: Vec<AudioCodec> = TRANSCODABLE.into_iter().filter(|k| !has(*k)).collect();
        let has_dtmf = dtmf_pt(&codecs).is_some();
        let Some(m) = self.media.get_mut(index) else { return };
        // After the offered audio codecs, before telephone-event and friends.
        let mut at = m
            .formats
            .iter()
            .position(|f| {
                f.parse::<u8>().ok().is_some_and(|pt| codecs.iter().any(|c| c.payload_type == pt && is_aux(c)))
            })
            .unwrap_or(m.formats.len());
        for k in missing {
            let (enc, fixed, fmtp) = k.description();
            let Some(pt) = fixed.or_else(|| free_dynamic_pt(&m.formats)) else { continue };
            m.formats.insert(at, pt.to_string());
            at += 1;
            m.lines.insert(0, Line { kind: 'a', value: format!("rtpmap:{pt} {enc}") });
            if let Some(f) = fmtp {
                m.lines.insert(1, Line { kind: 'a', value: format!("fmtp:{pt} {f}") });
            }
        }
        if !has_dtmf && let Some(pt) = free_dynamic_pt(&m.formats) {
            m.formats.push(pt.to_string());
            m.lines.insert(0, Line { kind: 'a', value: format!("rtpmap:{pt} telephone-event/8000") });
            m.lines.insert(1, Line { kind: 'a', value: format!("fmtp:{pt} 0-16") });
        }
    }

    /// The offer's first codec the switch can encode (for media of its own,
    /// such as prompts), as a format to ask `answer_in_terms_of` for.
    pub fn first_transcodable(&self, index: usize) -> Option<LegFormat> {
        let codecs = self.codecs(index);
        let audio = codecs.iter().find_map(|c| AudioCodec::of(c).map(|k| (k, c.payload_type)))?;
        Some(LegFormat { audio: Some(audio), dtmf: dtmf_pt(&codecs) })
    }

    /// Rewrites an answer to stream `index` so that it speaks the offerer's
    /// language, with the offer's payload types: the codec of `want` if
    /// given; else the answer's own codec when the offer had it too (even
    /// one the switch cannot transcode, such as G.722: it is relayed as it
    /// is); else the offer's first codec the switch can transcode.
    /// telephone-event is kept whenever the offer had it (the switch
    /// regenerates digits itself). Returns the format settled for the
    /// offerer, or `None` (answer untouched) when nothing fits.
    pub fn answer_in_terms_of(&mut self, index: usize, offer: &Sdp, want: Option<LegFormat>) -> Option<LegFormat> {
        let offer_index = offer.audio_index()?;
        let offered = offer.codecs(offer_index);
        let answered = self.codecs(index).into_iter().find(|c| !is_aux(c));
        let same = |a: &Codec, b: &Codec| a.name == b.name && a.clock_rate == b.clock_rate;
        let pick = match want.and_then(|w| w.audio) {
            Some((k, _)) => offered.iter().find(|c| AudioCodec::of(c) == Some(k)),
            None => answered.as_ref().and_then(|a| offered.iter().find(|c| !is_aux(c) && same(c, a))),
        }
        .or_else(|| offered.iter().find(|c| AudioCodec::of(c).is_some()))?;
        let audio = AudioCodec::of(pick).map(|k| (k, pick.payload_type));
        let dtmf = dtmf_pt(&offered);
        let keep: Vec<u8> = std::iter::once(pick.payload_type).chain(dtmf).collect();
        let offer_lines = &offer.media[offer_index].lines;
        let m = self.media.get_mut(index)?;
        m.formats = keep.iter().map(u8::to_string).collect();
        m.lines.retain(|l| l.kind != 'a' || payload_of(&l.value).is_none());
        let mapped =
            offer_lines.iter().filter(|l| l.kind == 'a' && payload_of(&l.value).is_some_and(|p| keep.contains(&p)));
        let mut lines: Vec<Line> = mapped.cloned().collect();
        if let Some((k @ (AudioCodec::Pcmu | AudioCodec::Pcma), pt)) = audio {
            // A static payload type may have been offered without rtpmap.
            if !lines.iter().any(|l| payload_of(&l.value) == Some(pt)) {
                lines.insert(0, Line { kind: 'a', value: format!("rtpmap:{pt} {}", k.description().0) });
            }
        }
        m.lines.splice(0..0, lines);
        Some(LegFormat { audio, dtmf })
    }
}

fn is_aux(c: &Codec) -> bool {
    c.name == "TELEPHONE-EVENT" || c.name == "CN"
}

fn dtmf_pt(codecs: &[Codec]) -> Option<u8> {
    codecs.iter().find(|c| c.name == "TELEPHONE-EVENT" && c.clock_rate == 8000).map(|c| c.payload_type)
}

/// The payload type an `a=rtpmap:` or `a=fmtp:` value is about.
fn payload_of(value: &str) -> Option<u8> {
    let rest = value.strip_prefix("rtpmap:").or_else(|| value.strip_prefix("fmtp:"))?;
    rest.split(' ').next()?.parse().ok()
}

fn free_dynamic_pt(formats: &[String]) -> Option<u8> {
    (96..=127u8).find(|pt| !formats.iter().any(|f| f == &pt.to_string()))
}
