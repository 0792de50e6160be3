//! The text of a voicemail e-mail (RFC 5322 headers, a MIME
//! `multipart/mixed` body with a text part and the WAV in base64), and the
//! DATA it is sent as (dot-stuffed, CRLF). No I/O: what goes on the wire
//! is decided here and tested byte for byte.

use chrono::{DateTime, Utc};

/// What the owner of a box is told about a message kept for them.
#[derive(Debug, Clone)]
pub(crate) struct VoicemailNotice {
    /// The message's id in the store.
    pub(crate) id: i64,
    /// Who called (their number or username).
    pub(crate) caller: String,
    /// The box's extension (its SIP username).
    pub(crate) extension: String,
    pub(crate) received: DateTime<Utc>,
    pub(crate) duration_ms: i64,
}

/// One e-mail, ready to render.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) date: DateTime<Utc>,
    /// Without the angle brackets.
    pub(crate) message_id: String,
    /// Separates the MIME parts; must not occur in them.
    pub(crate) boundary: String,
    pub(crate) text: String,
    pub(crate) attachment: Attachment,
}

#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub(crate) filename: String,
    pub(crate) content_type: String,
    pub(crate) data: Vec<u8>,
}

/// Base64 lines are cut at this many characters (RFC 2045 §6.8).
const BASE64_LINE: usize = 76;
/// Longest caller shown in a subject; a subject stays one readable line.
const SUBJECT_CALLER_CHARS: usize = 64;

impl VoicemailNotice {
    /// The e-mail for this message, `wav` attached. `unique` makes the
    /// boundary and Message-ID (a UUID in practice; fixed in tests).
    pub(crate) fn mail(&self, from: &str, to: &str, wav: Vec<u8>, unique: &str) -> Mail {
        let caller: String = clean(&self.caller).chars().take(SUBJECT_CALLER_CHARS).collect();
        let extension = clean(&self.extension);
        let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
        let text = format!(
            "A new voicemail message was left for extension {extension}.\r\n\
             \r\n\
             From:     {caller}\r\n\
             Received: {}\r\n\
             Length:   {}\r\n\
             \r\n\
             The message is attached as a WAV file.\r\n",
            self.received.format("%Y-%m-%d %H:%M:%S UTC"),
            spoken_length(self.duration_ms),
        );
        Mail {
            from: from.to_string(),
            to: to.to_string(),
            subject: format!("Voicemail from {caller} for extension {extension}"),
            date: self.received,
            message_id: format!("voicemail-{}.{unique}@{domain}", self.id),
            boundary: format!("voxide=_{unique}"),
            text,
            attachment: Attachment {
                filename: format!("voicemail-{}.wav", self.id),
                content_type: "audio/wav".into(),
                data: wav,
            },
        }
    }
}

impl Mail {
    /// The whole message, headers and body, CRLF line endings, ASCII only.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(self.attachment.data.len() * 4 / 3 + 2048);
        let mut header = |name: &str, value: &str| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        };
        header("From", &format!("<{}>", self.from));
        header("To", &format!("<{}>", self.to));
        header("Subject", &encode_header_text(&clean(&self.subject)));
        header("Date", &self.date.to_rfc2822());
        header("Message-ID", &format!("<{}>", self.message_id));
        header("MIME-Version", "1.0");
        // Folded: a UUID boundary would take the line past 78 characters.
        header("Content-Type", &format!("multipart/mixed;\r\n boundary=\"{}\"", self.boundary));
        out.push_str("\r\nThis is a MIME message with a voicemail recording attached.\r\n");

        out.push_str(&format!("\r\n--{}\r\n", self.boundary));
        out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        if self.text.is_ascii() {
            out.push_str("Content-Transfer-Encoding: 7bit\r\n\r\n");
            out.push_str(&crlf(&self.text));
        } else {
            // Not every relay takes 8-bit text (8BITMIME), so it goes in base64.
            out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
            out.push_str(&base64_lines(self.text.as_bytes()));
        }

        let a = &self.attachment;
        let name = clean(&a.filename).replace(['"', '\\'], "");
        out.push_str(&format!("\r\n--{}\r\n", self.boundary));
        out.push_str(&format!("Content-Type: {}; name=\"{name}\"\r\n", a.content_type));
        out.push_str("Content-Transfer-Encoding: base64\r\n");
        out.push_str(&format!("Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n"));
        out.push_str(&base64_lines(&a.data));
        out.push_str(&format!("\r\n--{}--\r\n", self.boundary));
        out
    }
}

/// The message as DATA carries it (RFC 5321 §4.5.2): every line ends in
/// CRLF, a line starting with `.` gets another `.`, and `.` CRLF ends it.
pub(crate) fn dot_stuffed(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let body = message.strip_suffix("\r\n").or_else(|| message.strip_suffix('\n')).unwrap_or(message);
    if !body.is_empty() {
        for line in body.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('.') {
                out.push(b'.');
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// "5 seconds", "2 minutes 5 seconds", rounded to the second.
fn spoken_length(ms: i64) -> String {
    let secs = (ms.max(0) + 500) / 1000;
    let unit = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (secs / 60, secs % 60) {
        (0, s) => unit(s, "second"),
        (m, 0) => unit(m, "minute"),
        (m, s) => format!("{} {}", unit(m, "minute"), unit(s, "second")),
    }
}

/// Header-safe text: control characters (CR and LF above all, which would
/// start a header of the caller's choosing) become spaces.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Bare LFs made CRLF.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// ASCII text as it is; anything else as RFC 2047 encoded-words (UTF-8,
/// base64), each under 76 characters, folded onto continuation lines.
fn encode_header_text(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    // 39 bytes of UTF-8 make 52 base64 characters, 64 with the "=?UTF-8?B?"
    // wrapping: with "Subject: " the first line stays under 78.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), on one line.
pub(crate) fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 cut into CRLF-ended lines of at most 76 characters.
fn base64_lines(data: &[u8]) -> String {
    let flat = base64(data);
    let mut out = String::with_capacity(flat.len() + flat.len() / BASE64_LINE * 2 + 2);
    // The alphabet is ASCII, so cutting at any byte index is cutting at a character.
    for line in flat.as_bytes().chunks(BASE64_LINE) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn notice() -> VoicemailNotice {
        VoicemailNotice {
            id: 7,
            caller: "1001".into(),
            extension: "1002".into(),
            received: Utc.with_ymd_and_hms(2026, 3, 14, 15, 9, 26).single().expect("a time"),
            duration_ms: 65_400,
        }
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn base64_lines_are_76_characters_and_crlf() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let text = base64_lines(&data);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.last(), Some(&""), "ends in CRLF");
        assert!(lines[..lines.len() - 1].iter().all(|l| !l.is_empty() && l.len() <= 76));
        assert_eq!(lines[0].len(), 76);
        assert_eq!(lines.concat(), base64(&data));
        assert!(!text.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn the_mail_names_the_caller_and_extension_and_attaches_the_wav() {
        let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        let mail = notice().mail("pbx@example.com", "owner@example.org", wav.clone(), "abc123");
        let text = mail.render();
        let (head, body) = text.split_once("\r\n\r\n").expect("headers, then a body");
        let headers: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(
            headers,
            [
                "From: <pbx@example.com>",
                "To: <owner@example.org>",
                "Subject: Voicemail from 1001 for extension 1002",
                "Date: Sat, 14 Mar 2026 15:09:26 +0000",
                "Message-ID: <voicemail-7.abc123@example.com>",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed;",
                " boundary=\"voxide=_abc123\"",
            ]
        );
        let parts: Vec<&str> = body.split("\r\n--voxide=_abc123").collect();
        assert_eq!(parts.len(), 4, "preamble, two parts, the closing delimiter: {body}");
        assert_eq!(parts[3], "--\r\n");
        let (text_head, text_body) = parts[1].split_once("\r\n\r\n").expect("text part");
        assert_eq!(text_head, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit");
        assert!(text_body.contains("From:     1001\r\n"), "{text_body}");
        assert!(text_body.contains("Received: 2026-03-14 15:09:26 UTC\r\n"), "{text_body}");
        assert!(text_body.contains("Length:   1 minute 5 seconds\r\n"), "{text_body}");
        let (wav_head, wav_body) = parts[2].split_once("\r\n\r\n").expect("attachment part");
        assert_eq!(
            wav_head,
            "\r\nContent-Type: audio/wav; name=\"voicemail-7.wav\"\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"voicemail-7.wav\""
        );
        assert_eq!(wav_body, format!("{}\r\n", base64(&wav)));
        assert!(text.split("\r\n").all(|l| l.len() <= 78 && l.is_ascii()), "short ASCII lines");
        assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "CRLF only");
    }

    #[test]
    fn a_caller_cannot_add_headers_and_other_scripts_are_encoded() {
        let mut n = notice();
        n.caller = "evil\r\nBcc: someone@example.net".into();
        let text = n.mail("pbx@example.com", "o@example.org", Vec::new(), "u").render();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(text.contains("Subject: Voicemail from evil  Bcc: someone@example.net for extension 1002\r\n"));

        n.caller = "Zoë Ångström".into();
        let text = n.mail("pbx@example.com", "o@example.org", Vec::new(), "u").render();
        // 39 bytes of UTF-8 per encoded-word.
        let first = base64("Voicemail from Zoë Ångström for exte".as_bytes());
        let second = base64(b"nsion 1002");
        assert!(text.contains(&format!("Subject: =?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?=\r\n")), "{text}");
        assert!(text.split("\r\n").all(|l| l.len() <= 78), "{text}");
        assert!(text.is_ascii());
        assert!(text.contains("Content-Transfer-Encoding: base64\r\n\r\nQSBuZXcg"), "the text part in base64");
    }

    #[test]
    fn lengths_are_spoken_in_minutes_and_seconds() {
        assert_eq!(spoken_length(400), "0 seconds");
        assert_eq!(spoken_length(1499), "1 second");
        assert_eq!(spoken_length(5200), "5 seconds");
        assert_eq!(spoken_length(60_000), "1 minute");
        assert_eq!(spoken_length(125_000), "2 minutes 5 seconds");
    }

    #[test]
    fn data_is_dot_stuffed_crlf_and_ends_with_a_lone_dot() {
        assert_eq!(dot_stuffed("a\r\n.b\r\n..c\r\nd.\r\n"), b"a\r\n..b\r\n...c\r\nd.\r\n.\r\n");
        assert_eq!(dot_stuffed("bare\nlf\n."), b"bare\r\nlf\r\n..\r\n.\r\n");
        assert_eq!(dot_stuffed(""), b".\r\n");
        let text = notice().mail("pbx@example.com", "o@example.org", vec![0; 500], "u").render();
        let data = dot_stuffed(&text);
        assert!(data.ends_with(b"--voxide=_u--\r\n.\r\n"));
        assert_eq!(&data[..data.len() - 3], text.as_bytes(), "nothing in a voicemail mail starts with a dot");
    }
}
