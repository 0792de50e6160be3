use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>().into_iter()
}

#[test]
fn defaults_are_valid() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.sip.listen, "0.0.0.0:5060");
    assert_eq!(c.http.listen, "127.0.0.1:8080");
    assert_eq!(c.store.url, "sqlite://data/voxide.db");
    assert_eq!(c.rtp_ports(), Some((20000, 30000)));
}

#[test]
fn environment_overrides_any_key_with_its_type() {
    let c = Config::load(
        None,
        env(&[
            ("VOXIDE_SIP_LISTEN", "127.0.0.1:5080"),
            ("VOXIDE_SIP_MIN_EXPIRES", "30"),
            ("VOXIDE_MEDIA_RTP_PORTS", "40000-40100"),
            ("VOXIDE_STORE_URL", "postgres://u@localhost/v"),
            ("VOXIDE_TEST_SOMETHING", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(c.sip.listen, "127.0.0.1:5080");
    assert_eq!(c.sip.min_expires, 30);
    assert_eq!(c.rtp_ports(), Some((40000, 40100)));
    assert_eq!(c.store.url, "postgres://u@localhost/v");
}

#[test]
fn numeric_looking_text_settings_from_env_stay_text() {
    let c = Config::load(
        None,
        env(&[
            ("VOXIDE_PROVIDER_KIND", "flowroute"),
            ("VOXIDE_PROVIDER_ACCESS_KEY", "12345678"),
            ("VOXIDE_PROVIDER_SECRET_KEY", "true"),
            ("VOXIDE_PROVIDER_TIMEOUT_SECS", "5"),
            ("VOXIDE_API_BOOTSTRAP_TOKEN", "1234567890123456"),
        ]),
    )
    .unwrap();
    let ProviderConfig::Flowroute(f) = &c.provider else { panic!("{:?}", c.provider) };
    assert_eq!((f.access_key.as_str(), f.secret_key.as_str(), f.timeout_secs), ("12345678", "true", 5));
    assert_eq!(c.api.bootstrap_token, "1234567890123456");
}

#[test]
fn every_bad_key_is_named_at_once() {
    let err = Config::load(
        None,
        env(&[
            ("VOXIDE_SIP_LISTEN", "nowhere"),
            ("VOXIDE_SIP_MIN_EXPIRES", "soon"),
            ("VOXIDE_MEDIA_RTP_PORTS", "9-3"),
            ("VOXIDE_STORE_URL", "mysql://x"),
            ("VOXIDE_HTTP_COLOUR", "blue"),
        ]),
    )
    .unwrap_err();
    let text = err.to_string();
    for key in ["sip.listen", "sip.min_expires", "media.rtp_ports", "store.url", "http.colour"] {
        assert!(text.contains(key), "{key} missing from {text}");
    }
}

#[test]
fn shipped_config_file_is_valid_and_matches_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/voxide.toml");
    let c = Config::load(Some(&path), env(&[])).unwrap();
    let d = Config::default();
    assert_eq!(toml::to_string(&c).unwrap(), toml::to_string(&d).unwrap());
}

#[test]
fn events_buffer_defaults_to_1000_and_must_be_positive() {
    assert_eq!(Config::load(None, env(&[])).unwrap().events.buffer, 1000);
    let c = Config::load(None, env(&[("VOXIDE_EVENTS_BUFFER", "50")])).unwrap();
    assert_eq!(c.events.buffer, 50);
    for bad in ["0", "many", "-1"] {
        let err = Config::load(None, env(&[("VOXIDE_EVENTS_BUFFER", bad)])).unwrap_err();
        assert!(err.to_string().contains("events.buffer"), "{bad}: {err}");
    }
}

#[test]
fn sms_settings_are_off_by_default_and_checked_when_set() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!((c.sms.inbound_callback.as_str(), c.sms.inbound_secret.as_str()), ("", ""));
    let c = Config::load(
        None,
        env(&[
            ("VOXIDE_SMS_INBOUND_CALLBACK", "https://hooks.example.com/sms"),
            ("VOXIDE_SMS_INBOUND_SECRET", "0123456789012345"),
            ("VOXIDE_SMS_CALLBACK_SECRET", "a-long-signing-key"),
        ]),
    )
    .unwrap();
    assert_eq!(c.sms.inbound_secret, "0123456789012345", "an all-digit secret stays text");
    assert_eq!(c.sms.callback_secret, "a-long-signing-key");
    let err = Config::load(
        None,
        env(&[
            ("VOXIDE_SMS_INBOUND_CALLBACK", "hooks.example.com/sms"),
            ("VOXIDE_SMS_INBOUND_SECRET", "short"),
            ("VOXIDE_SMS_CALLBACK_SECRET", "short"),
        ]),
    )
    .unwrap_err()
    .to_string();
    for key in ["sms.inbound_callback", "sms.inbound_secret", "sms.callback_secret"] {
        assert!(err.contains(key), "{key} missing from {err}");
    }
}

#[test]
fn voicemail_mail_is_off_by_default_and_its_settings_are_checked() {
    let c = Config::load(None, env(&[])).unwrap();
    assert!(c.voicemail.smtp().is_none());
    assert_eq!(c.voicemail.smtp_timeout_secs, 20);
    let c = Config::load(
        None,
        env(&[
            ("VOXIDE_VOICEMAIL_SMTP_SERVER", "127.0.0.1:2525"),
            ("VOXIDE_VOICEMAIL_SMTP_FROM", "pbx@example.com"),
            ("VOXIDE_VOICEMAIL_SMTP_USERNAME", "1234"),
            ("VOXIDE_VOICEMAIL_SMTP_PASSWORD", "5678"),
            ("VOXIDE_VOICEMAIL_SMTP_TIMEOUT_SECS", "5"),
        ]),
    )
    .unwrap();
    let smtp = c.voicemail.smtp().expect("a mail server");
    assert_eq!((smtp.server.as_str(), smtp.from.as_str()), ("127.0.0.1:2525", "pbx@example.com"));
    assert_eq!(smtp.credentials, Some(("1234".into(), "5678".into())), "all-digit credentials stay text");
    assert_eq!(smtp.timeout, std::time::Duration::from_secs(5));
    let err = Config::load(
        None,
        env(&[
            ("VOXIDE_VOICEMAIL_SMTP_SERVER", "mail.example.com"),
            ("VOXIDE_VOICEMAIL_SMTP_FROM", "pbx at example.com"),
            ("VOXIDE_VOICEMAIL_SMTP_USERNAME", "pbx"),
            ("VOXIDE_VOICEMAIL_SMTP_TIMEOUT_SECS", "0"),
        ]),
    )
    .unwrap_err()
    .to_string();
    for key in
        ["voicemail.smtp_server", "voicemail.smtp_from", "voicemail.smtp_password", "voicemail.smtp_timeout_secs"]
    {
        assert!(err.contains(key), "{key} missing from {err}");
    }
    let err = Config::load(None, env(&[("VOXIDE_VOICEMAIL_SMTP_SERVER", "127.0.0.1:25")])).unwrap_err();
    assert!(err.to_string().contains("voicemail.smtp_from"), "a server needs a sender: {err}");
}
