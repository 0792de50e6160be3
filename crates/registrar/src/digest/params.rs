//! Tokenizer for `Digest name=value, name="quoted value", ...` header values.
//!
//! Written by hand rather than borrowed from a SIP parser because the digest
//! grammar (RFC 7235 auth-param) has its own quoting rules and because this
//! is attacker-facing input: every path must end in a typed error, never a
//! panic, and the work done must stay linear in the (capped) input length.

use super::{DigestError, MAX_HEADER_LEN};

/// Upper bound on parameters; legitimate credentials carry about ten.
pub(crate) const MAX_PARAMS: usize = 32;

/// Parsed parameters of one `Digest` header value, names lowercased.
#[derive(Debug)]
pub(crate) struct Params {
    items: Vec<(String, String)>,
}

impl Params {
    /// Parses a full header value, scheme included.
    pub(crate) fn parse(input: &str) -> Result<Self, DigestError> {
        if input.len() > MAX_HEADER_LEN {
            return Err(DigestError::TooLong { len: input.len(), max: MAX_HEADER_LEN });
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DigestError::Empty);
        }
        let scheme_end = trimmed.find(|c: char| c.is_ascii_whitespace()).unwrap_or(trimmed.len());
        if !trimmed[..scheme_end].eq_ignore_ascii_case("Digest") {
            return Err(DigestError::NotDigest);
        }
        let mut cursor = Cursor { s: trimmed, pos: scheme_end };
        let mut items = Vec::new();
        loop {
            // Empty list elements (`a=1,,b=2`) are legal in the #rule syntax.
            cursor.skip_while(|c| c.is_ascii_whitespace() || c == ',');
            if cursor.at_end() {
                break;
            }
            if items.len() == MAX_PARAMS {
                return Err(DigestError::TooManyParams(MAX_PARAMS));
            }
            let name = cursor.token();
            if name.is_empty() {
                return Err(DigestError::Malformed(cursor.pos));
            }
            let name = name.to_ascii_lowercase();
            cursor.skip_while(|c| c.is_ascii_whitespace());
            if cursor.peek() != Some('=') {
                return Err(DigestError::Malformed(cursor.pos));
            }
            cursor.bump();
            cursor.skip_while(|c| c.is_ascii_whitespace());
            let value = if cursor.peek() == Some('"') {
                cursor.bump();
                cursor.quoted()?
            } else {
                let token = cursor.bare_value();
                if token.is_empty() {
                    return Err(DigestError::Malformed(cursor.pos));
                }
                token.to_owned()
            };
            cursor.skip_while(|c| c.is_ascii_whitespace());
            match cursor.peek() {
                None | Some(',') => {}
                Some(_) => return Err(DigestError::Malformed(cursor.pos)),
            }
            items.push((name, value));
        }
        Ok(Params { items })
    }

    /// Returns the value of `name` (lowercase), rejecting duplicates: two
    /// different `nonce` or `response` values would make the meaning of the
    /// header depend on which one a given implementation picks.
    pub(crate) fn get(&self, name: &'static str) -> Result<Option<&str>, DigestError> {
        let mut found = None;
        for (k, v) in &self.items {
            if k == name {
                if found.is_some() {
                    return Err(DigestError::DuplicateParam(name));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// Like [`Params::get`] but the parameter must be present.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, DigestError> {
        self.get(name)?.ok_or(DigestError::MissingParam(name))
    }
}

/// Byte-position cursor over a `&str`; positions always sit on char
/// boundaries because it only advances by whole chars.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn skip_while(&mut self, pred: impl Fn(char) -> bool) {
        while let Some(c) = self.peek() {
            if !pred(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Consumes an RFC 7230 token (possibly empty).
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        self.skip_while(is_tchar);
        &self.s[start..self.pos]
    }

    /// Consumes an unquoted value. Looser than a token on purpose: some
    /// phones send `uri=sip:a@b;transport=udp` unquoted, and rejecting them
    /// gains nothing since the value is only ever compared, never parsed.
    fn bare_value(&mut self) -> &'a str {
        let start = self.pos;
        self.skip_while(|c| !(c.is_whitespace() || c == ',' || c == '"'));
        &self.s[start..self.pos]
    }

    /// Consumes the rest of a quoted string whose opening quote was already
    /// eaten, resolving `\x` escapes.
    fn quoted(&mut self) -> Result<String, DigestError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(DigestError::UnterminatedQuote),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    None => return Err(DigestError::UnterminatedQuote),
                    Some(c) => out.push(c),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Renders `s` as a quoted string, escaping `"` and `\`.
///
/// Control characters are dropped: they cannot legally appear in a quoted
/// string and a CR/LF would let a value smuggle in extra header lines.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True if `s` is free of control characters and thus safe to place in a
/// header value verbatim.
pub(crate) fn is_clean(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_quotes_and_escapes() {
        let p = Params::parse(r#"DIGEST  Username="a\"b\\c" , nc=00000001,,qop=auth"#).unwrap();
        assert_eq!(p.get("username").unwrap(), Some(r#"a"b\c"#));
        assert_eq!(p.get("nc").unwrap(), Some("00000001"));
        assert_eq!(p.get("qop").unwrap(), Some("auth"));
        assert_eq!(p.get("realm").unwrap(), None);
    }

    #[test]
    fn token_values_may_hold_uri_characters() {
        let p = Params::parse("Digest uri=sip:alice@example.com;transport=udp").unwrap();
        assert_eq!(p.get("uri").unwrap(), Some("sip:alice@example.com;transport=udp"));
    }

    #[test]
    fn rejects_bad_syntax() {
        assert_eq!(Params::parse("").unwrap_err(), DigestError::Empty);
        assert_eq!(Params::parse(" \t ").unwrap_err(), DigestError::Empty);
        assert_eq!(Params::parse("Basic abc").unwrap_err(), DigestError::NotDigest);
        assert_eq!(Params::parse(r#"Digest a="x"#).unwrap_err(), DigestError::UnterminatedQuote);
        assert_eq!(Params::parse(r#"Digest a="x\"#).unwrap_err(), DigestError::UnterminatedQuote);
        assert!(matches!(Params::parse("Digest a").unwrap_err(), DigestError::Malformed(_)));
        assert!(matches!(Params::parse("Digest a=").unwrap_err(), DigestError::Malformed(_)));
        assert!(matches!(Params::parse(r#"Digest a="x" b="y""#).unwrap_err(), DigestError::Malformed(_)));
        assert!(matches!(Params::parse("Digest =x").unwrap_err(), DigestError::Malformed(_)));
    }

    #[test]
    fn duplicates_and_limits() {
        let p = Params::parse("Digest nonce=a, NONCE=b").unwrap();
        assert_eq!(p.get("nonce").unwrap_err(), DigestError::DuplicateParam("nonce"));
        let many = format!("Digest {}", vec!["x=1"; MAX_PARAMS + 1].join(","));
        assert_eq!(Params::parse(&many).unwrap_err(), DigestError::TooManyParams(MAX_PARAMS));
    }

    #[test]
    fn quote_escapes_and_strips_controls() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("x\r\nInjected: 1"), r#""xInjected: 1""#);
        assert!(is_clean("sip:alice@example.com"));
        assert!(!is_clean("a\nb"));
    }
}
