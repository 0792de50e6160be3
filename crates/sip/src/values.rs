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

/// One Via value taken apart leniently: rsip's typed Via cannot read an
/// IPv6 sent-by (`[::1]:5060`), so the cores read Vias with this instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViaParts<'a> {
    /// `SIP/2.0/UDP`, with any whitespace around the slashes removed by the parser.
    pub protocol: &'a str,
    /// `host[:port]`, an IPv6 host in brackets.
    pub sent_by: &'a str,
    /// The `branch` parameter, when present.
    pub branch: Option<&'a str>,
}

/// Reads the first value of a Via header; `None` when it is not
/// `protocol/version/transport SP host[:port] *(;param)`.
pub fn via_parts(value: &str) -> Option<ViaParts<'_>> {
    let first = value.split(',').next()?.trim();
    let (head, params) = first.split_once(';').unwrap_or((first, ""));
    let mut words = head.split_whitespace();
    let (protocol, sent_by) = (words.next()?, words.next()?);
    if words.next().is_some() || protocol.split('/').count() != 3 || protocol.split('/').any(str::is_empty) {
        return None;
    }
    let port = match sent_by.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']')?;
            addr.parse::<std::net::Ipv6Addr>().ok()?;
            match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            }
        }
        None => {
            let (host, port) = sent_by.split_once(':').map_or((sent_by, None), |(h, p)| (h, Some(p)));
            let host_ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
            if host.is_empty() || !host_ok {
                return None;
            }
            port
        }
    };
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return None;
    }
    let branch = params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case("branch").then(|| v.trim())
    });
    Some(ViaParts { protocol, sent_by, branch })
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

    #[test]
    fn vias_are_read_with_ipv6_hosts() {
        let v = via_parts("SIP/2.0/UDP [::1]:5062;branch=z9hG4bK1;rport, SIP/2.0/TCP b").unwrap();
        assert_eq!((v.protocol, v.sent_by, v.branch), ("SIP/2.0/UDP", "[::1]:5062", Some("z9hG4bK1")));
        let v = via_parts("SIP/2.0/TCP Host.Example.com ;received=1.2.3.4").unwrap();
        assert_eq!((v.sent_by, v.branch), ("Host.Example.com", None));
        for bad in ["", "SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDP a b", "SIP/2.0/UDP [::1", "SIP/2.0/UDP h:x"] {
            assert_eq!(via_parts(bad), None, "{bad:?}");
        }
    }
}
