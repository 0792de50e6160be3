//! End-to-end tests: published RFC vectors, client/server round trips,
//! replay and staleness handling, and hostile input.

use std::time::{Duration, Instant};

use super::*;

const REALM: &str = "voxide.test";
const USER: &str = "alice";
const PASS: &str = "s3cret";
const METHOD: &str = "REGISTER";
const URI: &str = "sip:voxide.test";

fn setup() -> (NonceManager, Instant) {
    let now = Instant::now();
    (NonceManager::with_secret([42; 32], NonceConfig::default(), now), now)
}

/// Challenges, then answers the challenge for `algorithm` with `nc`.
fn answer(nonces: &mut NonceManager, now: Instant, algorithm: Algorithm, nc: u32) -> Credentials {
    let values = challenge_values(REALM, nonces, now, false);
    let value = values.iter().find(|v| Challenge::parse(v).unwrap().algorithm == algorithm).unwrap();
    let header = authorization_header(value, USER, PASS, METHOD, URI, nc, "c0ffee").unwrap();
    Credentials::parse(&header).unwrap()
}

fn with_nc(creds: &Credentials, nc: u32) -> Credentials {
    let mut next = creds.clone();
    next.nc = Some(nc);
    next.response = expected_response(&next, METHOD, PASS);
    next
}

const RFC7616_AUTH: &str = r#"Digest username="Mufasa",
    realm="http-auth@example.org",
    uri="/dir/index.html",
    algorithm=ALG,
    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    nc=00000001,
    cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    qop=auth,
    response="RESP",
    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

#[test]
fn rfc7616_md5_and_sha256_examples() {
    for (alg, resp) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ] {
        let value = RFC7616_AUTH.replace("ALG", alg).replace("RESP", resp);
        let creds = Credentials::parse(&value).unwrap();
        assert_eq!(expected_response(&creds, "GET", "Circle of Life"), resp);

        // The client side must produce the very same header fields.
        let challenge = Challenge {
            realm: creds.realm.clone(),
            nonce: creds.nonce.clone(),
            opaque: creds.opaque.clone(),
            algorithm: alg.parse().unwrap(),
            qop: Some(Qop::Auth),
            stale: false,
        };
        let cnonce = creds.cnonce.as_deref().unwrap();
        let built = authorize(&challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, cnonce).unwrap();
        assert_eq!(built, creds);
    }
}

#[test]
fn rfc2617_example() {
    let value = r#"Digest username="Mufasa",
        realm="testrealm@host.com",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        uri="/dir/index.html",
        qop=auth,
        nc=00000001,
        cnonce="0a4f113b",
        response="6629fae49393a05397450978507c4ef1",
        opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
    let creds = Credentials::parse(value).unwrap();
    assert_eq!(creds.algorithm, Algorithm::Md5);
    assert_eq!(expected_response(&creds, "GET", "Circle Of Life"), creds.response);
    // The same exchange without qop is the RFC 2069 form.
    let legacy = Credentials { qop: None, nc: None, cnonce: None, ..creds };
    assert_eq!(expected_response(&legacy, "GET", "Circle Of Life"), "670fd8c2df070c60b045671b8b24ff02");
}

#[test]
fn round_trip_both_algorithms() {
    for algorithm in [Algorithm::Sha256, Algorithm::Md5] {
        let (mut nonces, now) = setup();
        let creds = answer(&mut nonces, now, algorithm, 1);
        assert_eq!(creds.algorithm, algorithm);
        assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Ok);
    }
}

#[test]
fn round_trip_without_qop_is_single_use() {
    let (mut nonces, now) = setup();
    let nonce = nonces.issue(now);
    let legacy = format!(r#"Digest realm="{REALM}", nonce="{nonce}""#);
    let header = authorization_header(&legacy, USER, PASS, METHOD, URI, 1, "x").unwrap();
    let creds = Credentials::parse(&header).unwrap();
    assert_eq!(creds.qop, None);
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Ok);
    assert_eq!(
        verify(&mut nonces, REALM, &creds, METHOD, PASS, now),
        Verdict::Invalid(InvalidReason::ReplayedNonceCount)
    );
}

#[test]
fn replayed_nc_rejected_and_increasing_nc_accepted() {
    let (mut nonces, now) = setup();
    let creds = answer(&mut nonces, now, Algorithm::Sha256, 1);
    let replay = Verdict::Invalid(InvalidReason::ReplayedNonceCount);
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Ok);
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), replay);
    let two = with_nc(&creds, 2);
    assert_eq!(verify(&mut nonces, REALM, &two, METHOD, PASS, now), Verdict::Ok);
    // Gaps are fine (lost requests), going back is not.
    let five = with_nc(&creds, 5);
    assert_eq!(verify(&mut nonces, REALM, &five, METHOD, PASS, now), Verdict::Ok);
    let four = with_nc(&creds, 4);
    assert_eq!(verify(&mut nonces, REALM, &four, METHOD, PASS, now), replay);
}

#[test]
fn failed_attempts_do_not_burn_counters() {
    let (mut nonces, now) = setup();
    let creds = answer(&mut nonces, now, Algorithm::Md5, 1);
    let mut forged = with_nc(&creds, 9);
    forged.response = "0".repeat(32);
    assert_eq!(verify(&mut nonces, REALM, &forged, METHOD, PASS, now), Verdict::Invalid(InvalidReason::BadResponse));
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Ok);
}

#[test]
fn stale_after_lifetime_only_with_right_password() {
    let (mut nonces, now) = setup();
    let creds = answer(&mut nonces, now, Algorithm::Sha256, 1);
    let later = now + NonceConfig::default().lifetime;
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, later), Verdict::Stale);
    assert_eq!(
        verify(&mut nonces, REALM, &creds, METHOD, "wrong", later),
        Verdict::Invalid(InvalidReason::BadResponse)
    );
    // Purging must not turn the expired nonce into a "forged" one.
    nonces.purge(later);
    assert!(nonces.is_empty());
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, later), Verdict::Stale);
}

#[test]
fn evicted_nonce_is_stale_not_replayable() {
    let now = Instant::now();
    let config = NonceConfig { lifetime: Duration::from_secs(300), max_entries: 1 };
    let mut nonces = NonceManager::with_secret([5; 32], config, now);
    let creds = answer(&mut nonces, now, Algorithm::Md5, 1);
    let _ = nonces.issue(now);
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Stale);
}

#[test]
fn forged_and_foreign_nonces_rejected() {
    let (mut nonces, now) = setup();
    let unknown = Verdict::Invalid(InvalidReason::UnknownNonce);
    let creds = answer(&mut nonces, now, Algorithm::Sha256, 1);

    let mut other = NonceManager::with_secret([43; 32], NonceConfig::default(), now);
    let foreign = answer(&mut other, now, Algorithm::Sha256, 1);
    let foreign = Credentials { opaque: None, ..foreign };
    assert_eq!(verify(&mut nonces, REALM, &foreign, METHOD, PASS, now), unknown);

    for nonce in [String::new(), "deadbeef".into(), "0".repeat(64)] {
        let mut forged = Credentials { nonce, ..creds.clone() };
        forged.response = expected_response(&forged, METHOD, PASS);
        assert_eq!(verify(&mut nonces, REALM, &forged, METHOD, PASS, now), unknown);
    }
}

#[test]
fn other_rejection_reasons() {
    let (mut nonces, now) = setup();
    let creds = answer(&mut nonces, now, Algorithm::Sha256, 1);
    let check = |nonces: &mut NonceManager, c: &Credentials| verify(nonces, REALM, c, METHOD, PASS, now);

    let mut realm = Credentials { realm: "evil.test".into(), ..creds.clone() };
    realm.response = expected_response(&realm, METHOD, PASS);
    let v = check(&mut nonces, &realm);
    assert_eq!(v, Verdict::Invalid(InvalidReason::RealmMismatch));

    let opaque = Credentials { opaque: Some("nope".into()), ..creds.clone() };
    let v = check(&mut nonces, &opaque);
    assert_eq!(v, Verdict::Invalid(InvalidReason::OpaqueMismatch));

    let int = Credentials { qop: Some(Qop::AuthInt), ..creds.clone() };
    let v = check(&mut nonces, &int);
    assert_eq!(v, Verdict::Invalid(InvalidReason::UnsupportedQop));

    let no_nc = Credentials { nc: None, ..creds.clone() };
    let v = check(&mut nonces, &no_nc);
    assert_eq!(v, Verdict::Invalid(InvalidReason::MissingQopParams));

    let v = verify(&mut nonces, REALM, &creds, "INVITE", PASS, now);
    assert_eq!(v, Verdict::Invalid(InvalidReason::BadResponse));

    // Dropped opaque is tolerated (some phones omit it) and uppercase hex
    // responses are accepted.
    let lenient = Credentials { opaque: None, response: creds.response.to_ascii_uppercase(), ..creds };
    assert_eq!(check(&mut nonces, &lenient), Verdict::Ok);
}

#[test]
fn unknown_user_looks_like_wrong_password() {
    let (mut nonces, now) = setup();
    let creds = answer(&mut nonces, now, Algorithm::Md5, 1);
    assert_eq!(verify_unknown_user(&nonces, REALM, &creds, METHOD, now), Verdict::Invalid(InvalidReason::UnknownUser));
    // The probe must not consume the nonce count of a real user.
    assert_eq!(verify(&mut nonces, REALM, &creds, METHOD, PASS, now), Verdict::Ok);
    let wrong_realm = Credentials { realm: "x".into(), ..creds };
    assert_eq!(
        verify_unknown_user(&nonces, REALM, &wrong_realm, METHOD, now),
        Verdict::Invalid(InvalidReason::RealmMismatch)
    );
}

#[test]
fn malformed_headers_give_errors() {
    let huge = format!(r#"Digest username="{}""#, "a".repeat(1 << 20));
    let cases: [(&str, DigestError); 5] = [
        ("", DigestError::Empty),
        ("Digest", DigestError::MissingParam("username")),
        (r#"Digest username="alice"#, DigestError::UnterminatedQuote),
        (r#"Digest username="alice""#, DigestError::MissingParam("realm")),
        (&huge, DigestError::TooLong { len: huge.len(), max: MAX_HEADER_LEN }),
    ];
    for (input, err) in cases {
        assert_eq!(Credentials::parse(input).unwrap_err(), err);
        assert!(Challenge::parse(input).is_err());
    }
}

#[test]
fn no_panic_on_truncated_or_mutated_input() {
    let (mut nonces, now) = setup();
    let good = answer(&mut nonces, now, Algorithm::Sha256, 1).to_string();
    let challenge = challenge_values(REALM, &mut nonces, now, true)[0].clone();
    for base in [good.as_str(), challenge.as_str()] {
        for (i, _) in base.char_indices() {
            let _ = Credentials::parse(&base[..i]);
            let _ = Challenge::parse(&base[..i]);
        }
        let noise = ['"', '\\', ',', '=', ' ', '\0', '\u{e9}', '\u{1F600}'];
        for (i, _) in base.char_indices().step_by(3) {
            for c in noise {
                let mut s = base.to_owned();
                s.insert(i, c);
                if let Ok(creds) = Credentials::parse(&s) {
                    let _ = verify(&mut nonces, REALM, &creds, METHOD, PASS, now);
                }
                let _ = Challenge::parse(&s);
            }
        }
    }
}
