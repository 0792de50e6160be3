//! DTMF carried in SIP INFO requests, for peers that signal digits out of
//! band instead of in RTP. Two bodies are in use:
//!
//! ```text
//! Content-Type: application/dtmf-relay      Content-Type: application/dtmf
//!
//! Signal=5                                  5
//! Duration=160
//! ```
//!
//! `Duration` is in milliseconds. Keys are matched without regard to case,
//! and some phones send `*` and `#` as their event codes, `Signal=10` and
//! `Signal=11`; both are accepted.

use super::{Digit, DtmfError};

pub const DTMF_RELAY_CONTENT_TYPE: &str = "application/dtmf-relay";
const DTMF_CONTENT_TYPE: &str = "application/dtmf";

/// Duration assumed when a body does not state one: a typical key press.
pub const DEFAULT_INFO_DURATION_MS: u32 = 250;

/// A digit received in an INFO body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoDigit {
    pub digit: Digit,
    pub duration_ms: u32,
}

/// Reads the digit from an INFO request's body, given its Content-Type
/// header value (parameters such as `charset` are ignored).
pub fn parse_info_body(content_type: &str, body: &str) -> Result<InfoDigit, DtmfError> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case(DTMF_RELAY_CONTENT_TYPE) {
        parse_relay(body)
    } else if media_type.eq_ignore_ascii_case(DTMF_CONTENT_TYPE) {
        let signal = body.trim();
        if signal.is_empty() {
            return Err(DtmfError::MissingSignal);
        }
        Ok(InfoDigit { digit: parse_signal(signal)?, duration_ms: DEFAULT_INFO_DURATION_MS })
    } else {
        Err(DtmfError::UnsupportedContentType(content_type.to_owned()))
    }
}

/// An `application/dtmf-relay` body for sending `digit`.
pub fn info_body(digit: Digit, duration_ms: u32) -> String {
    format!("Signal={digit}\r\nDuration={duration_ms}\r\n")
}

fn parse_relay(body: &str) -> Result<InfoDigit, DtmfError> {
    let mut digit = None;
    let mut duration_ms = None;
    for (key, value) in body.lines().filter_map(|line| line.split_once('=')) {
        let (key, value) = (key.trim(), value.trim());
        if key.eq_ignore_ascii_case("signal") && digit.is_none() {
            digit = Some(parse_signal(value)?);
        } else if key.eq_ignore_ascii_case("duration") && duration_ms.is_none() {
            duration_ms = Some(value.parse().map_err(|_| DtmfError::InvalidDuration(value.to_owned()))?);
        }
    }
    let digit = digit.ok_or(DtmfError::MissingSignal)?;
    Ok(InfoDigit { digit, duration_ms: duration_ms.unwrap_or(DEFAULT_INFO_DURATION_MS) })
}

/// A key (`5`, `*`, `d`) or an event code (`10` for `*`, `11` for `#`).
fn parse_signal(signal: &str) -> Result<Digit, DtmfError> {
    let mut chars = signal.chars();
    let single = match (chars.next(), chars.next()) {
        (Some(c), None) => Digit::from_char(c),
        _ => None,
    };
    single
        .or_else(|| signal.parse::<u8>().ok().and_then(Digit::from_event))
        .ok_or_else(|| DtmfError::InvalidSignal(signal.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit(c: char) -> Digit {
        Digit::from_char(c).unwrap()
    }

    #[test]
    fn dtmf_relay_body_gives_digit_and_duration() {
        let got = parse_info_body("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n").unwrap();
        assert_eq!(got, InfoDigit { digit: digit('5'), duration_ms: 160 });
    }

    #[test]
    fn keys_and_content_type_are_case_insensitive_and_spacing_tolerated() {
        let got = parse_info_body("Application/DTMF-Relay; charset=utf-8", "signal = #\nDURATION= 250 \n").unwrap();
        assert_eq!(got, InfoDigit { digit: digit('#'), duration_ms: 250 });
        let got = parse_info_body("application/dtmf-relay", "Signal=b\r\nDuration=100").unwrap();
        assert_eq!(got.digit, digit('B'));
    }

    #[test]
    fn numeric_signals_ten_and_eleven_are_star_and_pound() {
        let star = parse_info_body("application/dtmf-relay", "Signal=10\r\nDuration=100\r\n").unwrap();
        let pound = parse_info_body("application/dtmf-relay", "Signal=11\r\nDuration=100\r\n").unwrap();
        assert_eq!((star.digit, pound.digit), (digit('*'), digit('#')));
        assert_eq!(parse_info_body("application/dtmf", "10").unwrap().digit, digit('*'));
    }

    #[test]
    fn plain_dtmf_body_is_just_the_digit() {
        let got = parse_info_body("application/dtmf", "7\r\n").unwrap();
        assert_eq!(got, InfoDigit { digit: digit('7'), duration_ms: DEFAULT_INFO_DURATION_MS });
    }

    #[test]
    fn missing_duration_takes_the_default() {
        let got = parse_info_body("application/dtmf-relay", "Signal=0\r\n").unwrap();
        assert_eq!(got.duration_ms, DEFAULT_INFO_DURATION_MS);
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let relay = |body| parse_info_body("application/dtmf-relay", body);
        assert_eq!(relay("Duration=100\r\n"), Err(DtmfError::MissingSignal));
        assert_eq!(relay(""), Err(DtmfError::MissingSignal));
        assert_eq!(relay("Signal=E\r\n"), Err(DtmfError::InvalidSignal("E".into())));
        assert_eq!(relay("Signal=16\r\n"), Err(DtmfError::InvalidSignal("16".into())));
        assert_eq!(relay("Signal=!\r\n"), Err(DtmfError::InvalidSignal("!".into())));
        assert_eq!(relay("Signal=1\r\nDuration=long\r\n"), Err(DtmfError::InvalidDuration("long".into())));
        assert_eq!(parse_info_body("application/dtmf", "  \r\n"), Err(DtmfError::MissingSignal));
        assert_eq!(
            parse_info_body("text/plain", "Signal=1"),
            Err(DtmfError::UnsupportedContentType("text/plain".into()))
        );
    }

    #[test]
    fn sent_bodies_parse_back() {
        for d in Digit::all() {
            let body = info_body(d, 180);
            assert_eq!(
                parse_info_body(DTMF_RELAY_CONTENT_TYPE, &body).unwrap(),
                InfoDigit { digit: d, duration_ms: 180 }
            );
        }
        assert_eq!(info_body(digit('*'), 160), "Signal=*\r\nDuration=160\r\n");
    }
}
