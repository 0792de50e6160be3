//! SDP on both legs: every offer and answer is rewritten so media flows
//! through the call's relay, and what each side declares is passed to it.

use std::net::SocketAddr;

use voxide_sdp::Sdp;

use super::{Call, is_hold};
use crate::{Command, Side};

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
        let (port, version) = match toward {
            Side::A => (self.media_ports.0, &mut self.sdp_version[0]),
            Side::B => (self.media_ports.1, &mut self.sdp_version[1]),
        };
        *version += 1;
        let version = *version;
        sdp.anchor(self.media_ip(), port, version);
        if let (Side::A, Some((a_pt, _)), Some(i)) = (toward, self.transcode, sdp.audio_index()) {
            // B chose the other G.711 law: A hears the one it offered.
            sdp.answer_with_g711(i, a_pt);
        }
        Some((ct, sdp.to_string().into_bytes()))
    }

    /// The first offer to B: A's, plus the other G.711 law when A offered
    /// only one, so B can take either and the relay transcodes.
    pub(super) fn initial_offer(&mut self, body: Option<(String, Vec<u8>)>) -> Option<(String, Vec<u8>)> {
        let (ct, raw) = body?;
        let Some(mut sdp) = Sdp::parse(&raw).ok().filter(|_| ct.to_ascii_lowercase().starts_with("application/sdp"))
        else {
            return Some((ct, raw));
        };
        let Some(i) = sdp.audio_index() else { return Some((ct, raw)) };
        self.a_g711 = sdp.offer_both_g711(i);
        Some((ct, sdp.to_string().into_bytes()))
    }

    /// Looks at the codec B answered with; when it is the other G.711 law
    /// than A's, asks the relay to transcode.
    pub(super) fn note_answer_codec(&mut self, headers: &rsip::Headers, body: &[u8]) -> Vec<Command> {
        let Some((_, sdp)) = self.sdp_of(body, headers) else { return Vec::new() };
        let Some(b_codec) = sdp.audio_index().and_then(|i| sdp.codecs(i).into_iter().next()) else { return Vec::new() };
        match self.a_g711 {
            Some(a) if (b_codec.payload_type == 0 || b_codec.payload_type == 8) && b_codec.payload_type != a => {
                self.transcode = Some((a, b_codec.payload_type));
                vec![Command::MediaCodecs { call: self.id, a, b: b_codec.payload_type }]
            }
            _ => Vec::new(),
        }
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

    fn media_ip(&self) -> std::net::IpAddr {
        self.media_ip
    }
}
