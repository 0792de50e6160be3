//! Where a call goes next, written as text in the PBX tables (an
//! extension's forwards, a hunt group's overflow, a condition's branches, a
//! DID's destination): `extension:<id>`, `hunt:<id>`, `voicemail:<extension
//! id>`, `ivr:<id>`, `condition:<id>`, `custom:<id>`, `number:<digits>`,
//! `hangup`, or the empty string for none.

use std::fmt;
use std::str::FromStr;

/// A parsed destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DestinationRef {
    /// Ring an extension (its own forwards apply).
    Extension(i64),
    /// Ring a hunt group.
    Hunt(i64),
    /// Straight to the voicemail box of an extension.
    Voicemail(i64),
    /// A hosted IVR menu.
    Ivr(i64),
    /// A time or caller-id condition, which picks one of its two branches.
    Condition(i64),
    /// A custom destination: an outside number with a name.
    Custom(i64),
    /// An outside number, dialled through the tenant's trunk routing:
    /// 1 to 32 digits with an optional leading `+`.
    Number(String),
    /// End the call.
    Hangup,
}

/// Why a destination string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    /// The part before `:` is not a known kind.
    #[error("unknown destination kind {0:?}: use extension, hunt, voicemail, ivr, condition, custom, number or hangup")]
    UnknownKind(String),
    /// A kind that names an object without a positive integer id after `:`.
    #[error("{0}: expected a positive id after the colon")]
    BadId(&'static str),
    /// `number:` without 1 to 32 digits (optionally after `+`).
    #[error("number: expected 1 to 32 digits, optionally after +")]
    BadNumber,
    /// `hangup` followed by something.
    #[error("hangup takes nothing after it")]
    HangupWithValue,
}

/// The longest outside number a destination may hold.
const MAX_NUMBER_DIGITS: usize = 32;

/// Whether `s` is an outside number: digits with an optional leading `+`.
pub fn is_outside_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (1..=MAX_NUMBER_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl DestinationRef {
    /// Parses a stored or submitted destination; `Ok(None)` for `""` (none).
    pub fn parse(s: &str) -> Result<Option<Self>, DestinationError> {
        if s.is_empty() {
            return Ok(None);
        }
        if s == "hangup" {
            return Ok(Some(DestinationRef::Hangup));
        }
        let (kind, value) = s.split_once(':').unwrap_or((s, ""));
        let id = |name: &'static str| {
            // Plain decimal only: no sign, no leading zeros, so the text is canonical.
            let ok = !value.is_empty() && !value.starts_with('0') && value.bytes().all(|b| b.is_ascii_digit());
            value.parse::<i64>().ok().filter(|_| ok).ok_or(DestinationError::BadId(name))
        };
        Ok(Some(match kind {
            "extension" => DestinationRef::Extension(id("extension")?),
            "hunt" => DestinationRef::Hunt(id("hunt")?),
            "voicemail" => DestinationRef::Voicemail(id("voicemail")?),
            "ivr" => DestinationRef::Ivr(id("ivr")?),
            "condition" => DestinationRef::Condition(id("condition")?),
            "custom" => DestinationRef::Custom(id("custom")?),
            "number" if is_outside_number(value) => DestinationRef::Number(value.to_string()),
            "number" => return Err(DestinationError::BadNumber),
            "hangup" => return Err(DestinationError::HangupWithValue),
            other => return Err(DestinationError::UnknownKind(other.chars().take(32).collect())),
        }))
    }

    /// The kind, as written before the colon.
    pub fn kind(&self) -> &'static str {
        match self {
            DestinationRef::Extension(_) => "extension",
            DestinationRef::Hunt(_) => "hunt",
            DestinationRef::Voicemail(_) => "voicemail",
            DestinationRef::Ivr(_) => "ivr",
            DestinationRef::Condition(_) => "condition",
            DestinationRef::Custom(_) => "custom",
            DestinationRef::Number(_) => "number",
            DestinationRef::Hangup => "hangup",
        }
    }

    /// The object id it names, if it names one.
    pub fn id(&self) -> Option<i64> {
        match self {
            DestinationRef::Extension(id)
            | DestinationRef::Hunt(id)
            | DestinationRef::Voicemail(id)
            | DestinationRef::Ivr(id)
            | DestinationRef::Condition(id)
            | DestinationRef::Custom(id) => Some(*id),
            DestinationRef::Number(_) | DestinationRef::Hangup => None,
        }
    }
}

impl fmt::Display for DestinationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestinationRef::Number(n) => write!(f, "number:{n}"),
            DestinationRef::Hangup => f.write_str("hangup"),
            other => write!(f, "{}:{}", other.kind(), other.id().unwrap_or_default()),
        }
    }
}

impl FromStr for DestinationRef {
    type Err = DestinationError;

    /// Like `parse`, but the empty string is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DestinationRef::parse(s)?.ok_or(DestinationError::UnknownKind(String::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_prints_back_to_what_was_parsed() {
        for text in [
            "extension:12",
            "hunt:3",
            "voicemail:12",
            "ivr:1",
            "condition:7",
            "custom:2",
            "number:+17865550100",
            "number:5551234",
            "hangup",
        ] {
            let parsed = DestinationRef::parse(text).unwrap().unwrap();
            assert_eq!(parsed.to_string(), text);
            assert_eq!(text.parse::<DestinationRef>().unwrap(), parsed);
        }
        assert_eq!(DestinationRef::parse("").unwrap(), None);
        assert_eq!(DestinationRef::parse("hunt:42").unwrap().unwrap().id(), Some(42));
        assert_eq!(DestinationRef::parse("number:911").unwrap().unwrap().id(), None);
    }

    #[test]
    fn malformed_destinations_say_what_is_wrong() {
        use DestinationError::*;
        let cases: [(&str, DestinationError); 14] = [
            ("extension", BadId("extension")),
            ("extension:", BadId("extension")),
            ("extension:abc", BadId("extension")),
            ("extension:-1", BadId("extension")),
            ("extension:0", BadId("extension")),
            ("extension:007", BadId("extension")),
            ("hunt:99999999999999999999", BadId("hunt")),
            ("number:", BadNumber),
            ("number:12a", BadNumber),
            ("number:+", BadNumber),
            ("number:123456789012345678901234567890123", BadNumber),
            ("hangup:1", HangupWithValue),
            ("queue:1", UnknownKind("queue".into())),
            (" extension:1", UnknownKind(" extension".into())),
        ];
        for (text, want) in cases {
            assert_eq!(DestinationRef::parse(text), Err(want), "{text:?}");
        }
        assert!("".parse::<DestinationRef>().is_err());
    }

    #[test]
    fn outside_numbers_are_digits_with_an_optional_plus() {
        assert!(is_outside_number("+15146339933"));
        assert!(is_outside_number("0"));
        assert!(!is_outside_number("++1"));
        assert!(!is_outside_number("1 514"));
        assert!(!is_outside_number(""));
    }
}
