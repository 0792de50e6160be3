//! Lenient readers for header values: comma-separated lists and `;name=value`
//! parameters, tolerant of the whitespace RFC 3261 allows and rsip's typed
//! parsers refuse.

/// Splits a header value at commas outside `<…>` and quotes.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => depth += 1,
            b'>' if !quoted => depth -= 1,
            b',' if !quoted && depth <= 0 => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(value[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// The part of a name-addr value holding the URI: inside `<…>` if present,
/// else up to the first `;`.
pub fn uri_part(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].trim(),
        _ => value.split(';').next().unwrap_or("").trim(),
    }
}

/// The header parameters after the URI (after `>` when there is one).
fn params_part(value: &str) -> &str {
    match value.rfind('>') {
        Some(b) => &value[b + 1..],
        None => value.split_once(';').map_or("", |(_, p)| p),
    }
}

/// A header parameter's value (`""` for a flag such as `;lr`).
pub fn header_param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    params_part(value).split(';').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"'))
    })
}

/// The user part of a SIP URI (`sip:user@host` → `user`).
pub fn uri_user(uri: &str) -> Option<&str> {
    let rest = uri.split_once(':')?.1;
    let (user, _) = rest.split_once('@')?;
    Some(user.split(';').next().unwrap_or(user).split(':').next().unwrap_or(user))
}

/// The host part of a SIP URI, lower-cased, without port or parameters.
pub fn uri_host(uri: &str) -> Option<String> {
    let rest = uri.split_once(':')?.1;
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = hostport.split([';', '?']).next().unwrap_or(hostport);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().map(|h| format!("[{h}]"))?
    } else {
        hostport.split(':').next()?.to_string()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_params_and_uris_are_read_leniently() {
        assert_eq!(
            split_list("<sip:a@h>;expires=60, \"B, b\" <sip:b@h;x=1,2>;q=0.5"),
            vec!["<sip:a@h>;expires=60", "\"B, b\" <sip:b@h;x=1,2>;q=0.5"]
        );
        assert_eq!(header_param("<sip:a@h;lr> ; tag = abc ;q=1", "tag"), Some("abc"));
        assert_eq!(header_param("sip:a@h;expires=30", "expires"), Some("30"));
        assert_eq!(uri_part("\"A\" <sip:a@h:5060;transport=tcp>;expires=5"), "sip:a@h:5060;transport=tcp");
        assert_eq!(uri_user("sip:1001@voxide.local:5060"), Some("1001"));
        assert_eq!(uri_host("sip:1001@Voxide.Local:5060;transport=udp").as_deref(), Some("voxide.local"));
        assert_eq!(uri_host("sip:[::1]:5060").as_deref(), Some("[::1]"));
    }
}
