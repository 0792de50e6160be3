//! Validation of the user-supplied pieces every provider shares: telephone
//! numbers, area codes, search limits and SMS bodies.
//!
//! Everything that reaches a provider passes through here first, so a bad
//! value is rejected with [`ProviderError::InvalidInput`] before it can be
//! spliced into an upstream URL or consume part of a carrier's rate limit.

use crate::ProviderError;

/// Largest page a search returns. Flowroute caps its own pages at 200, and
/// the local pool follows the same bound so callers see one behaviour.
pub const MAX_SEARCH_LIMIT: u32 = 200;

/// Longest SMS body accepted, in characters. Longer texts are refused here
/// rather than being silently truncated or split by a carrier.
pub const MAX_SMS_BODY_CHARS: usize = 1600;

/// Characters people commonly type inside a phone number; they carry no
/// meaning and are dropped before validation.
const SEPARATORS: [char; 5] = [' ', '-', '(', ')', '.'];

/// Normalises a North American number to the 11-digit form `1NPANXXXXXX`
/// that every provider in this crate stores and sends.
///
/// Accepts an optional leading `+`, the usual separators, and a bare 10-digit
/// number (the country code `1` is then added).
///
/// # Errors
/// [`ProviderError::InvalidInput`] when the value is not a plausible NANP
/// number: wrong length, non-digits, or an area code / exchange starting with
/// 0 or 1 (those are never assigned to subscribers).
pub fn normalize_number(input: &str) -> Result<String, ProviderError> {
    let trimmed = input.trim();
    let without_plus = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let digits: String = without_plus.chars().filter(|c| !SEPARATORS.contains(c)).collect();
    let invalid = || ProviderError::InvalidInput(format!("not a NANP telephone number: {input:?}"));
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let full = match digits.len() {
        10 => format!("1{digits}"),
        11 if digits.starts_with('1') => digits,
        _ => return Err(invalid()),
    };
    // Positions 1 and 4 are the first digits of the NPA and the exchange.
    let bytes = full.as_bytes();
    if !(b'2'..=b'9').contains(&bytes[1]) || !(b'2'..=b'9').contains(&bytes[4]) {
        return Err(invalid());
    }
    Ok(full)
}

/// Checks a three-digit area code (NPA) and returns it trimmed.
///
/// # Errors
/// [`ProviderError::InvalidInput`] unless the value is exactly three ASCII
/// digits with the first in `2..=9`.
pub fn validate_npa(npa: &str) -> Result<&str, ProviderError> {
    let npa = npa.trim();
    let bytes = npa.as_bytes();
    let ok = bytes.len() == 3 && bytes.iter().all(u8::is_ascii_digit) && (b'2'..=b'9').contains(&bytes[0]);
    if ok {
        Ok(npa)
    } else {
        Err(ProviderError::InvalidInput(format!("area code must be three digits starting with 2-9, got {npa:?}")))
    }
}

/// Clamps a requested search size to [`MAX_SEARCH_LIMIT`].
pub fn clamp_limit(limit: u32) -> u32 {
    limit.min(MAX_SEARCH_LIMIT)
}

/// Checks an outgoing SMS body.
///
/// # Errors
/// [`ProviderError::InvalidInput`] when the body is blank or longer than
/// [`MAX_SMS_BODY_CHARS`].
pub fn validate_sms_body(body: &str) -> Result<(), ProviderError> {
    if body.trim().is_empty() {
        return Err(ProviderError::InvalidInput("SMS body must not be empty".to_owned()));
    }
    let chars = body.chars().count();
    if chars > MAX_SMS_BODY_CHARS {
        return Err(ProviderError::InvalidInput(format!(
            "SMS body is {chars} characters; the limit is {MAX_SMS_BODY_CHARS}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_to_eleven_digits() {
        assert_eq!(normalize_number("17865550100").unwrap(), "17865550100");
        assert_eq!(normalize_number("+1 (786) 555-0100").unwrap(), "17865550100");
        assert_eq!(normalize_number("786.555.0100").unwrap(), "17865550100");
    }

    #[test]
    fn implausible_numbers_are_rejected() {
        for bad in [
            "",
            "+",
            "12345",
            "27865550100",
            "11865550100",
            "17861550100",
            "1786555010a",
            "178655501000",
            "1786/5550100",
        ] {
            assert!(matches!(normalize_number(bad), Err(ProviderError::InvalidInput(_))), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn area_codes_are_checked() {
        assert_eq!(validate_npa(" 786 ").unwrap(), "786");
        for bad in ["", "78", "7860", "086", "1a5", "١٢٣"] {
            assert!(validate_npa(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn limits_and_bodies_are_bounded() {
        assert_eq!(clamp_limit(5), 5);
        assert_eq!(clamp_limit(u32::MAX), MAX_SEARCH_LIMIT);
        assert!(validate_sms_body("hello").is_ok());
        assert!(validate_sms_body("   ").is_err());
        assert!(validate_sms_body(&"x".repeat(MAX_SMS_BODY_CHARS)).is_ok());
        assert!(validate_sms_body(&"x".repeat(MAX_SMS_BODY_CHARS + 1)).is_err());
    }
}
