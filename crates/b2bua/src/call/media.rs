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
        let port = match toward {
            Side::A => self.media_ports.0,
            Side::B => self.media_ports.1,
        };
        self.sdp_version += 1;
        sdp.anchor(self.media_ip(), port, self.sdp_version);
        Some((ct, sdp.to_string().into_bytes()))
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
