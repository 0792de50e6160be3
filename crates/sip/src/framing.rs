//! Framing SIP over a byte stream (RFC 3261 §18.3): a message ends
//! `Content-Length` bytes after the blank line that ends its headers.
//! An incomplete buffer is `Incomplete`, not an error (mini-redis style),
//! so the caller reads more and tries again.

/// Largest header block accepted on a stream before the connection is
/// dropped as abusive.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body accepted on a stream.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole message occupies the first `len` bytes.
    Message { len: usize },
    /// Keep-alive CRLFs (RFC 5626 §3.5.1) to skip: `len` bytes.
    KeepAlive { len: usize },
    /// More bytes are needed.
    Incomplete,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("header block larger than {MAX_HEADER_BYTES} bytes")]
    HeadersTooLarge,
    #[error("missing Content-Length on a stream transport")]
    MissingContentLength,
    #[error("invalid Content-Length")]
    BadContentLength,
    #[error("body larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
}

/// Looks at the start of `buf` for one frame.
pub fn check(buf: &[u8]) -> Result<Frame, FramingError> {
    let crlfs = buf.iter().take_while(|b| **b == b'\r' || **b == b'\n').count();
    if crlfs > 0 {
        return Ok(Frame::KeepAlive { len: crlfs });
    }
    let Some(end) = find_blank_line(buf) else {
        return if buf.len() > MAX_HEADER_BYTES { Err(FramingError::HeadersTooLarge) } else { Ok(Frame::Incomplete) };
    };
    if end > MAX_HEADER_BYTES {
        return Err(FramingError::HeadersTooLarge);
    }
    let body_len = content_length(&buf[..end])?.ok_or(FramingError::MissingContentLength)?;
    if body_len > MAX_BODY_BYTES {
        return Err(FramingError::BodyTooLarge);
    }
    let len = end + body_len;
    if buf.len() < len { Ok(Frame::Incomplete) } else { Ok(Frame::Message { len }) }
}

/// Index just past the `\r\n\r\n` that ends the headers.
fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The value of `Content-Length` (or its compact form `l`), if present.
pub fn content_length(headers: &[u8]) -> Result<Option<usize>, FramingError> {
    let text = std::str::from_utf8(headers).map_err(|_| FramingError::BadContentLength)?;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            return value.trim().parse::<usize>().map(Some).map_err(|_| FramingError::BadContentLength);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";

    #[test]
    fn partial_reads_are_incomplete_until_the_body_arrives() {
        for cut in 0..MSG.len() {
            assert_eq!(check(&MSG[..cut]).unwrap(), Frame::Incomplete, "cut at {cut}");
        }
        assert_eq!(check(MSG).unwrap(), Frame::Message { len: MSG.len() });
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(check(&two).unwrap(), Frame::Message { len: MSG.len() });
    }

    #[test]
    fn keepalives_are_skipped_and_bad_lengths_refused() {
        assert_eq!(check(b"\r\n\r\nOPT").unwrap(), Frame::KeepAlive { len: 4 });
        assert_eq!(check(b"A sip:x SIP/2.0\r\nl: x\r\n\r\n"), Err(FramingError::BadContentLength));
        assert_eq!(check(b"A sip:x SIP/2.0\r\nVia: x\r\n\r\n"), Err(FramingError::MissingContentLength));
        assert_eq!(check(&vec![b'a'; MAX_HEADER_BYTES + 1]), Err(FramingError::HeadersTooLarge));
    }
}
