//! SDP on both legs: every offer and answer is rewritten so media flows
//! through the call's relay, and what each side declares is passed to it.

use std::net::SocketAddr;

use voxide_sdp::{LegFormat, Sdp};

use super::{Call, State, contact, is_hold};
use crate::build;
use crate::{B2buaConfig, Command, Side};

impl Call {
    /// The audio address an SDP body declares, with the parsed SDP.
    pub(super) fn sdp_of(&self, body: &[u8], headers: &rsip::Headers) -> Option<(SocketAddr, Sdp)> {
        let (ct, body) = crate::build::body_of(headers, body)?;
        if !ct.to_ascii_lowercase().starts_with("application/sdp") {
            return None;
        }
        let sdp = Sdp::parse(body).ok()?;
        let i = sdp.audio_index()?;
        let addr = SocketAddr::new(sdp.connection(i)?, sdp.media[i].port);
        Some((addr, sdp))
    }

    /// The body to send toward `toward`: SDP anchored at the relay port
    /// facing that side; any other body unchanged.
    pub(super) fn anchored_body(
        &mut self,
        headers: &rsip::Headers,
        body: &[u8],
        toward: Side,
    ) -> Option<(String, Vec<u8>)> {
        let (ct, raw) = crate::build::body_of(headers, body)?;
        if !ct.to_ascii_lowercase().starts_with("application/sdp") {
            return Some((ct, raw.to_vec()));
        }
        let mut sdp = Sdp::parse(raw).ok()?;
        let (port, version) = self.next_origin(toward);
        sdp.anchor(self.media_ip, port, version);
        if let (Some(i), Some(formats)) = (sdp.audio_index(), self.formats) {
            match toward {
                // A hears its own codecs and payload types, whatever B chose.
                Side::A => {
                    // After early media from the switch, A keeps the codec it was given then.
                    if let Some(offer) = &self.a_offer {
                        sdp.answer_in_terms_of(i, offer, self.early_a);
                    }
                }
                // B keeps being offered what the relay can transcode.
                Side::B if formats.a != formats.b => sdp.offer_transcodable(i),
                Side::B => {}
            }
        }
        Some((ct, sdp.to_string().into_bytes()))
    }

    /// The relay port facing `toward` and the next session version of the
    /// SDP sent there.
    fn next_origin(&mut self, toward: Side) -> (u16, u64) {
        let (port, version) = match toward {
            Side::A => (self.media_ports.0, &mut self.sdp_version[0]),
            Side::B => (self.media_ports.1, &mut self.sdp_version[1]),
        };
        *version += 1;
        (port, *version)
    }

    /// The switch's own offer toward `side` of a call it placed.
    pub(super) fn own_offer(&mut self, toward: Side) -> (String, Vec<u8>) {
        let (port, version) = self.next_origin(toward);
        ("application/sdp".into(), Sdp::switch_offer(self.media_ip, port, version).to_string().into_bytes())
    }

    /// The first offer to B: A's, plus every codec the relay can transcode
    /// and telephone-event, so B can answer with what it likes.
    pub(super) fn initial_offer(&mut self, body: Option<(String, Vec<u8>)>) -> Option<(String, Vec<u8>)> {
        let (ct, raw) = body?;
        let Some(mut sdp) = Sdp::parse(&raw).ok().filter(|_| ct.to_ascii_lowercase().starts_with("application/sdp"))
        else {
            return Some((ct, raw));
        };
        let Some(i) = sdp.audio_index() else { return Some((ct, raw)) };
        self.a_offer = Some(sdp.clone());
        sdp.offer_transcodable(i);
        Some((ct, sdp.to_string().into_bytes()))
    }

    /// Settles each side's codec and telephone-event payload type from B's
    /// answer and tells the relay; it transcodes when they differ.
    pub(super) fn note_answer_codec(&mut self, headers: &rsip::Headers, body: &[u8]) -> Vec<Command> {
        let Some((_, sdp)) = self.sdp_of(body, headers) else { return Vec::new() };
        let Some(i) = sdp.audio_index() else { return Vec::new() };
        let b = sdp.leg_format(i);
        let a = match (self.a_settled, &self.a_offer) {
            (Some(a), _) => a,
            (None, Some(offer)) => match sdp.clone().answer_in_terms_of(i, offer, self.early_a) {
                Some(a) => a,
                None => return Vec::new(),
            },
            (None, None) => return Vec::new(),
        };
        let formats = Formats { a, b };
        if self.formats == Some(formats) {
            return Vec::new();
        }
        self.formats = Some(formats);
        vec![Command::MediaCodecs { call: self.id, a, b }]
    }

    /// The switch's own answer to an offer from A: A's first codec the
    /// relay can encode (or `keep`, if A still offers it), anchored at the
    /// relay; the body and the format it settles.
    pub(super) fn local_answer(&mut self, offer: &Sdp, keep: Option<LegFormat>) -> Option<(Vec<u8>, LegFormat)> {
        let i = offer.audio_index()?;
        let mut sdp = offer.clone();
        let want = keep.or_else(|| offer.first_transcodable(i));
        let a = sdp.answer_in_terms_of(i, offer, want).or_else(|| {
            sdp = offer.clone();
            sdp.answer_in_terms_of(i, offer, offer.first_transcodable(i))
        })?;
        a.audio?;
        let (port, version) = self.next_origin(Side::A);
        sdp.anchor(self.media_ip, port, version);
        Some((sdp.to_string().into_bytes(), a))
    }

    /// Early media from the switch itself: while B rings, A gets a 183
    /// whose SDP answers A's offer (its first codec the relay can encode),
    /// so the relay can play A a prompt before anyone answers.
    pub(crate) fn early_media(&mut self, cfg: &B2buaConfig) -> Vec<Command> {
        if self.state != State::Ringing || self.early_a.is_some() {
            return Vec::new();
        }
        // Only a phone's call has an offer of A's to answer.
        let Some(offer) = self.a_offer.clone() else { return Vec::new() };
        let Some((body, a)) = self.local_answer(&offer, None) else { return Vec::new() };
        self.early_a = Some(a);
        let b = self.formats.map(|f| f.b).unwrap_or_default();
        self.formats = Some(Formats { a, b });
        let contact_uri = contact(cfg, &self.a_user(), self.a.flow);
        let Some(invited) = &self.a.invited else { return Vec::new() };
        let r = build::response(
            &invited.invite,
            183,
            &self.a.local_tag,
            Some(&contact_uri),
            Some(("application/sdp", body)),
        );
        vec![Command::Respond { key: invited.key.clone(), response: r }, Command::MediaCodecs { call: self.id, a, b }]
    }

    /// Tells the relay what `side` declared in an SDP body.
    pub(super) fn note_sdp(&self, side: Side, headers: &rsip::Headers, body: &[u8]) -> Vec<Command> {
        let Some((addr, sdp)) = self.sdp_of(body, headers) else { return Vec::new() };
        let i = sdp.audio_index().unwrap_or(0);
        let mut out = vec![Command::MediaHold { call: self.id, on: is_hold(&sdp, i) }];
        if !addr.ip().is_unspecified() {
            out.push(Command::MediaRemote { call: self.id, side, addr });
        }
        out
    }
}

/// What each side sends, as settled by B's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Formats {
    pub(crate) a: LegFormat,
    pub(crate) b: LegFormat,
}
