//! SDP (RFC 4566) as far as a media-anchoring B2BUA needs it: parse a
//! session description, read and rewrite the connection address and port of
//! each media stream, read codecs (rtpmap) and direction, print it back.
//! Lines this crate does not interpret are kept verbatim, in order, so a
//! rewritten description says everything the original said.

use std::net::IpAddr;

mod negotiate;

pub use negotiate::{AudioCodec, LegFormat};

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// Session-level lines (`v=` … up to the first `m=`), verbatim except `c=` and `o=`.
    pub session: Vec<Line>,
    pub media: Vec<Media>,
}

/// One `x=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: char,
    pub value: String,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, …
    pub kind: String,
    pub port: u16,
    pub proto: String,
    /// Payload type numbers (or format tokens), in preference order.
    pub formats: Vec<String>,
    /// The lines after `m=`, verbatim.
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP is not UTF-8")]
    NotUtf8,
    #[error("line {0} is not of the form x=value")]
    BadLine(usize),
    #[error("missing v= line")]
    MissingVersion,
    #[error("malformed m= line {0}")]
    BadMedia(usize),
    #[error("malformed c= line {0}")]
    BadConnection(usize),
}

/// Media direction (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// A codec named by an `a=rtpmap` line (or a static payload type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    pub payload_type: u8,
    /// Upper-case encoding name: `PCMU`, `PCMA`, `OPUS`, `TELEPHONE-EVENT`.
    pub name: String,
    pub clock_rate: u32,
}

impl Sdp {
    pub fn parse(bytes: &[u8]) -> Result<Sdp, SdpError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SdpError::NotUtf8)?;
        let mut session = Vec::new();
        let mut media: Vec<Media> = Vec::new();
        for (i, raw) in text.split('\n').enumerate() {
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                continue;
            }
            let mut chars = raw.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else { return Err(SdpError::BadLine(i + 1)) };
            let value = raw[2..].to_string();
            if kind == 'm' {
                let mut parts = value.split_whitespace();
                let (Some(k), Some(port), Some(proto)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(SdpError::BadMedia(i + 1));
                };
                let port = port.split('/').next().and_then(|p| p.parse().ok()).ok_or(SdpError::BadMedia(i + 1))?;
                media.push(Media {
                    kind: k.to_string(),
                    port,
                    proto: proto.to_string(),
                    formats: parts.map(str::to_string).collect(),
                    lines: Vec::new(),
                });
                continue;
            }
            if kind == 'c' && parse_connection(&value).is_none() {
                return Err(SdpError::BadConnection(i + 1));
            }
            let line = Line { kind, value };
            match media.last_mut() {
                Some(m) => m.lines.push(line),
                None => session.push(line),
            }
        }
        if session.first().is_none_or(|l| l.kind != 'v') {
            return Err(SdpError::MissingVersion);
        }
        Ok(Sdp { session, media })
    }

    /// The connection address for `media[index]` (media-level `c=` wins).
    pub fn connection(&self, index: usize) -> Option<IpAddr> {
        let m = self.media.get(index)?;
        m.lines.iter().chain(self.session.iter()).find(|l| l.kind == 'c').and_then(|l| parse_connection(&l.value))
    }

    /// Index of the first audio stream with a non-zero port.
    pub fn audio_index(&self) -> Option<usize> {
        self.media.iter().position(|m| m.kind == "audio" && m.port != 0)
    }

    /// Points every stream at `ip`, audio at `audio_port`, and marks the
    /// origin line as ours, for sending a rewritten offer or answer.
    /// Streams other than the anchored audio one are disabled (port 0):
    /// their media would not pass through the switch.
    pub fn anchor(&mut self, ip: IpAddr, audio_port: u16, session_version: u64) {
        let c = format!("IN {} {ip}", if ip.is_ipv4() { "IP4" } else { "IP6" });
        let audio = self.audio_index();
        for line in &mut self.session {
            match line.kind {
                'c' => line.value = c.clone(),
                'o' => {
                    let mut parts: Vec<String> = line.value.split_whitespace().map(str::to_string).collect();
                    if parts.len() == 6 {
                        parts[0] = "voxide".into();
                        parts[2] = session_version.to_string();
                        parts[4] = if ip.is_ipv4() { "IP4".into() } else { "IP6".into() };
                        parts[5] = ip.to_string();
                        line.value = parts.join(" ");
                    }
                }
                _ => {}
            }
        }
        if !self.session.iter().any(|l| l.kind == 'c') {
            let at = self.session.iter().position(|l| l.kind == 't').unwrap_or(self.session.len());
            self.session.insert(at, Line { kind: 'c', value: c.clone() });
        }
        for (i, m) in self.media.iter_mut().enumerate() {
            if Some(i) == audio {
                m.port = audio_port;
                for l in m.lines.iter_mut().filter(|l| l.kind == 'c') {
                    l.value = c.clone();
                }
                // RTCP goes to port+1 through the switch; a phone's own
                // a=rtcp would point past us, and the relay does not
                // multiplex RTCP onto the RTP port.
                m.lines.retain(|l| !(l.kind == 'a' && (l.value.starts_with("rtcp:") || l.value == "rtcp-mux")));
            } else {
                m.port = 0;
            }
        }
    }

    /// The direction attribute of `media[index]` (media level, then session).
    pub fn direction(&self, index: usize) -> Direction {
        let Some(m) = self.media.get(index) else { return Direction::SendRecv };
        for l in m.lines.iter().chain(self.session.iter()).filter(|l| l.kind == 'a') {
            match l.value.as_str() {
                "sendrecv" => return Direction::SendRecv,
                "sendonly" => return Direction::SendOnly,
                "recvonly" => return Direction::RecvOnly,
                "inactive" => return Direction::Inactive,
                _ => {}
            }
        }
        Direction::SendRecv
    }

    /// Codecs of `media[index]` in preference order.
    pub fn codecs(&self, index: usize) -> Vec<Codec> {
        let Some(m) = self.media.get(index) else { return Vec::new() };
        m.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter_map(|pt| {
                let mapped = m.lines.iter().filter(|l| l.kind == 'a').find_map(|l| {
                    let rest = l.value.strip_prefix("rtpmap:")?;
                    let (num, enc) = rest.split_once(' ')?;
                    (num.trim().parse::<u8>().ok()? == pt).then_some(enc.trim())
                });
                let (name, rate) = match mapped {
                    Some(enc) => {
                        let mut p = enc.split('/');
                        (p.next()?.to_ascii_uppercase(), p.next()?.parse().ok()?)
                    }
                    None => match pt {
                        0 => ("PCMU".to_string(), 8000),
                        8 => ("PCMA".to_string(), 8000),
                        9 => ("G722".to_string(), 8000),
                        18 => ("G729".to_string(), 8000),
                        _ => return None,
                    },
                };
                Some(Codec { payload_type: pt, name, clock_rate: rate })
            })
            .collect()
    }
}

impl std::fmt::Display for Sdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for l in &self.session {
            write!(f, "{}={}\r\n", l.kind, l.value)?;
        }
        for m in &self.media {
            write!(f, "m={} {} {}", m.kind, m.port, m.proto)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            f.write_str("\r\n")?;
            for l in &m.lines {
                write!(f, "{}={}\r\n", l.kind, l.value)?;
            }
        }
        Ok(())
    }
}

/// `IN IP4 192.0.2.1` → the address (TTL/count suffixes ignored).
fn parse_connection(value: &str) -> Option<IpAddr> {
    let mut parts = value.split_whitespace();
    let (Some("IN"), Some(_), Some(addr)) = (parts.next(), parts.next(), parts.next()) else { return None };
    addr.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests;
