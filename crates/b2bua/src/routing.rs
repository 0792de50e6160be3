//! Call routing as a small rule table: the first rule that matches the
//! dialled number decides. Rules are data (built from configuration), so
//! routing is testable without a switch.
//!
//! - `Direct`: `direct.<hash>` reaches the extension holding that secret
//!   hash (seed 002's direct extensions), from trunks and any tenant, like
//!   a DID.
//! - `Did`: a number we own routes to the extension it is assigned to.
//! - `Extension`: an extension calling a sibling extension of its tenant.
//! - `Prefix`: numbers starting with a prefix leave through a trunk,
//!   optionally with digits stripped and prepended. Only outside numbers
//!   (at least `MIN_OUTSIDE_DIGITS` digits) go out, so a mistyped or
//!   foreign extension number never becomes a carrier call.

/// Where a call should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Extension {
        tenant_id: i64,
        extension_id: i64,
        username: String,
        did_id: Option<i64>,
    },
    Trunk {
        trunk: String,
        number: String,
    },
    /// A DID we own that routes to a menu the switch hosts: the switch
    /// answers the call itself.
    Ivr {
        tenant_id: i64,
        ivr_id: i64,
        did_id: i64,
    },
    /// A DID we own that is not assigned to anything.
    UnassignedDid {
        tenant_id: i64,
        did_id: i64,
    },
}

/// Who is calling, as far as routing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// An authenticated extension of a tenant.
    Extension { tenant_id: i64 },
    /// A configured trunk (the carrier): only our DIDs are reachable.
    Trunk,
}

/// A DID as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidRoute {
    pub tenant_id: i64,
    pub did_id: i64,
    /// The assigned extension's id and SIP username.
    pub extension: Option<(i64, String)>,
    /// The hosted menu it routes to instead of an extension.
    pub ivr: Option<i64>,
}

/// The lookups routing needs.
pub trait Numbering {
    /// The id of extension `username` in `tenant_id`.
    fn extension_id(&self, tenant_id: i64, username: &str) -> Option<i64>;
    /// The DID with this (E.164 digits) number.
    fn did(&self, number: &str) -> Option<DidRoute>;
    /// The extension whose direct address is `direct.<hash>`: its tenant
    /// id, extension id and SIP username.
    fn direct(&self, hash: &str) -> Option<(i64, i64, String)> {
        let _ = hash;
        None
    }
}

/// The user part prefix of direct addresses (`sip:direct.<hash>@domain`).
pub const DIRECT_PREFIX: &str = "direct.";

/// Shorter dialled strings are extensions, never numbers for a trunk.
pub const MIN_OUTSIDE_DIGITS: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Direct,
    Did,
    Extension,
    Prefix { prefix: String, trunk: String, strip: usize, prepend: String },
}

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    rules: Vec<Rule>,
}

impl RouteTable {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self { rules }
    }

    /// Direct addresses, DIDs, then extensions, then the given trunk
    /// prefixes in order.
    pub fn standard(trunk_prefixes: Vec<Rule>) -> Self {
        let mut rules = vec![Rule::Direct, Rule::Did, Rule::Extension];
        rules.extend(trunk_prefixes);
        Self { rules }
    }

    pub fn route(&self, caller: Caller, dialed: &str, numbering: &impl Numbering) -> Option<Destination> {
        let digits = normalize(dialed);
        for rule in &self.rules {
            match rule {
                Rule::Direct => {
                    let Some(hash) = dialed.strip_prefix(DIRECT_PREFIX) else { continue };
                    if let Some((tenant_id, extension_id, username)) = numbering.direct(hash) {
                        return Some(Destination::Extension { tenant_id, extension_id, username, did_id: None });
                    }
                }
                Rule::Did => {
                    let Some(did) = digits.as_deref().and_then(|d| did_lookup(d, numbering)) else { continue };
                    return Some(match (did.extension, did.ivr) {
                        (_, Some(ivr_id)) => Destination::Ivr { tenant_id: did.tenant_id, ivr_id, did_id: did.did_id },
                        (Some((extension_id, username)), None) => Destination::Extension {
                            tenant_id: did.tenant_id,
                            extension_id,
                            username,
                            did_id: Some(did.did_id),
                        },
                        (None, None) => Destination::UnassignedDid { tenant_id: did.tenant_id, did_id: did.did_id },
                    });
                }
                Rule::Extension => {
                    let Caller::Extension { tenant_id } = caller else { continue };
                    if let Some(extension_id) = numbering.extension_id(tenant_id, dialed) {
                        return Some(Destination::Extension {
                            tenant_id,
                            extension_id,
                            username: dialed.to_string(),
                            did_id: None,
                        });
                    }
                }
                Rule::Prefix { prefix, trunk, strip, prepend } => {
                    if caller == Caller::Trunk {
                        continue; // never hairpin carrier calls back out
                    }
                    let Some(d) = digits.as_deref().filter(|d| d.len() >= MIN_OUTSIDE_DIGITS) else { continue };
                    if let Some(rest) = d.strip_prefix(prefix.as_str()).map(|_| d) {
                        let kept = rest.get(*strip..).unwrap_or("");
                        return Some(Destination::Trunk { trunk: trunk.clone(), number: format!("{prepend}{kept}") });
                    }
                }
            }
        }
        None
    }
}

/// DIDs are stored as 11-digit NANP numbers; callers dial 10 or 11 digits.
fn did_lookup(digits: &str, numbering: &impl Numbering) -> Option<DidRoute> {
    numbering.did(digits).or_else(|| (digits.len() == 10).then(|| numbering.did(&format!("1{digits}"))).flatten())
}

/// A dialled string as digits (a leading `+` dropped), or `None` if it has
/// anything else in it.
fn normalize(dialed: &str) -> Option<String> {
    let d = dialed.strip_prefix('+').unwrap_or(dialed);
    (!d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Book;
    impl Numbering for Book {
        fn extension_id(&self, tenant_id: i64, username: &str) -> Option<i64> {
            match (tenant_id, username) {
                (1, "1001") => Some(11),
                (1, "1002") => Some(12),
                (2, "1001") => Some(21),
                _ => None,
            }
        }
        fn did(&self, number: &str) -> Option<DidRoute> {
            match number {
                "17865550100" => {
                    Some(DidRoute { tenant_id: 1, did_id: 5, extension: Some((12, "1002".into())), ivr: None })
                }
                "17865550101" => Some(DidRoute { tenant_id: 1, did_id: 6, extension: None, ivr: None }),
                "17865550102" => Some(DidRoute { tenant_id: 1, did_id: 7, extension: None, ivr: Some(3) }),
                _ => None,
            }
        }
        fn direct(&self, hash: &str) -> Option<(i64, i64, String)> {
            (hash == "a1b2c3d4e5f60718").then(|| (2, 21, "1001".into()))
        }
    }

    fn table() -> RouteTable {
        RouteTable::standard(vec![
            Rule::Prefix { prefix: "1".into(), trunk: "carrier".into(), strip: 0, prepend: "".into() },
            Rule::Prefix { prefix: "9".into(), trunk: "carrier".into(), strip: 1, prepend: "1".into() },
        ])
    }

    #[test]
    fn extension_calls_a_sibling_in_its_own_tenant_only() {
        let t = table();
        let dest = t.route(Caller::Extension { tenant_id: 1 }, "1002", &Book);
        assert_eq!(
            dest,
            Some(Destination::Extension { tenant_id: 1, extension_id: 12, username: "1002".into(), did_id: None })
        );
        assert_eq!(t.route(Caller::Extension { tenant_id: 2 }, "1002", &Book), None);
    }

    #[test]
    fn did_routes_to_its_extension_from_trunks_and_extensions() {
        let t = table();
        for caller in [Caller::Trunk, Caller::Extension { tenant_id: 2 }] {
            for dialed in ["17865550100", "+17865550100", "7865550100"] {
                let Some(Destination::Extension { extension_id, did_id, .. }) = t.route(caller, dialed, &Book) else {
                    panic!("{dialed} not routed")
                };
                assert_eq!((extension_id, did_id), (12, Some(5)));
            }
        }
        assert_eq!(
            t.route(Caller::Trunk, "17865550101", &Book),
            Some(Destination::UnassignedDid { tenant_id: 1, did_id: 6 })
        );
    }

    #[test]
    fn did_with_a_menu_is_answered_by_the_switch() {
        let t = table();
        for caller in [Caller::Trunk, Caller::Extension { tenant_id: 1 }] {
            assert_eq!(
                t.route(caller, "+17865550102", &Book),
                Some(Destination::Ivr { tenant_id: 1, ivr_id: 3, did_id: 7 })
            );
        }
    }

    #[test]
    fn outside_numbers_leave_through_the_trunk_but_never_hairpin() {
        let t = table();
        let out = t.route(Caller::Extension { tenant_id: 1 }, "13055550199", &Book);
        assert_eq!(out, Some(Destination::Trunk { trunk: "carrier".into(), number: "13055550199".into() }));
        let nine = t.route(Caller::Extension { tenant_id: 1 }, "93055550199", &Book);
        assert_eq!(nine, Some(Destination::Trunk { trunk: "carrier".into(), number: "13055550199".into() }));
        assert_eq!(t.route(Caller::Trunk, "13055550199", &Book), None);
        assert_eq!(t.route(Caller::Extension { tenant_id: 1 }, "abc", &Book), None);
    }

    #[test]
    fn direct_address_reaches_its_extension_from_trunks_and_every_tenant() {
        let t = table();
        let want = Destination::Extension { tenant_id: 2, extension_id: 21, username: "1001".into(), did_id: None };
        for caller in [Caller::Trunk, Caller::Extension { tenant_id: 1 }, Caller::Extension { tenant_id: 2 }] {
            assert_eq!(t.route(caller, "direct.a1b2c3d4e5f60718", &Book), Some(want.clone()), "{caller:?}");
        }
    }

    #[test]
    fn unknown_or_malformed_direct_addresses_route_nowhere() {
        let t = table();
        for dialed in ["direct.ffffffffffffffff", "direct.", "direct.a1b2c3d4e5f6071", "a1b2c3d4e5f60718", "direct"] {
            assert_eq!(t.route(Caller::Trunk, dialed, &Book), None, "{dialed}");
            assert_eq!(t.route(Caller::Extension { tenant_id: 2 }, dialed, &Book), None, "{dialed}");
        }
    }

    #[test]
    fn a_numbering_without_direct_addresses_never_matches_them() {
        struct Plain;
        impl Numbering for Plain {
            fn extension_id(&self, _: i64, _: &str) -> Option<i64> {
                None
            }
            fn did(&self, _: &str) -> Option<DidRoute> {
                None
            }
        }
        assert_eq!(table().route(Caller::Trunk, "direct.a1b2c3d4e5f60718", &Plain), None);
    }
}
