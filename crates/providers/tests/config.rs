//! Parsing of the provider section of the configuration file, as the binary
//! embeds it.

use serde::Deserialize;
use voxide_providers::{
    DEFAULT_TIMEOUT_SECS, FLOWROUTE_BASE_URL, FlowrouteConfig, LocalConfig, Provider, ProviderConfig, ProviderError,
};

/// Mirrors how the binary's configuration embeds the provider table.
#[derive(Debug, Deserialize)]
struct FileConfig {
    provider: ProviderConfig,
}

fn parse(text: &str) -> Result<ProviderConfig, toml::de::Error> {
    toml::from_str::<FileConfig>(text).map(|f| f.provider)
}

#[test]
fn local_table_with_explicit_numbers() {
    let cfg = parse(
        r#"
        [provider]
        kind = "local"
        numbers = ["17865550100", "+1 305 555 0100"]
        monthly_cost = 0.75
        "#,
    )
    .unwrap();
    assert_eq!(
        cfg,
        ProviderConfig::Local(LocalConfig {
            numbers: vec!["17865550100".into(), "+1 305 555 0100".into()],
            monthly_cost: 0.75,
        })
    );
    let provider = Provider::from_config(&cfg).unwrap();
    assert_eq!(provider.name(), "local");
}

#[test]
fn local_table_without_numbers_uses_demo_pool() {
    let cfg = parse("[provider]\nkind = \"local\"\n").unwrap();
    assert_eq!(cfg, ProviderConfig::Local(LocalConfig::default()));
    assert_eq!(cfg, ProviderConfig::default());
}

#[test]
fn flowroute_table_fills_in_defaults() {
    let cfg = parse(
        r#"
        [provider]
        kind = "flowroute"
        access_key = "12345678"
        secret_key = "s3cret"
        "#,
    )
    .unwrap();
    let ProviderConfig::Flowroute(fr) = &cfg else {
        panic!("expected flowroute, got {cfg:?}");
    };
    assert_eq!(fr.base_url, FLOWROUTE_BASE_URL);
    assert_eq!(fr.timeout_secs, DEFAULT_TIMEOUT_SECS);
    assert_eq!(fr, &FlowrouteConfig::new("12345678", "s3cret"));
    assert_eq!(Provider::from_config(&cfg).unwrap().name(), "flowroute");
}

#[test]
fn flowroute_table_accepts_custom_endpoint() {
    let cfg = parse(
        r#"
        [provider]
        kind = "flowroute"
        access_key = "a"
        secret_key = "b"
        base_url = "http://127.0.0.1:9000/"
        timeout_secs = 3
        "#,
    )
    .unwrap();
    let ProviderConfig::Flowroute(fr) = cfg else {
        panic!("expected flowroute");
    };
    assert_eq!(fr.base_url, "http://127.0.0.1:9000/");
    assert_eq!(fr.timeout_secs, 3);
}

#[test]
fn mistakes_in_the_file_are_reported() {
    // Unknown provider, missing credentials and misspelt keys all fail to
    // parse rather than silently falling back to a default.
    assert!(parse("[provider]\nkind = \"acme\"\n").is_err());
    assert!(parse("[provider]\nkind = \"flowroute\"\naccess_key = \"a\"\n").is_err());
    assert!(parse("[provider]\nkind = \"local\"\nnumber = [\"17865550100\"]\n").is_err());
    assert!(parse("[provider]\nnumbers = []\n").is_err());
}

#[test]
fn unusable_values_are_rejected_when_building() {
    let mut fr = FlowrouteConfig::new("", "secret");
    assert!(matches!(Provider::from_config(&ProviderConfig::Flowroute(fr.clone())), Err(ProviderError::Config(_))));
    fr.access_key = "key".into();
    for bad in ["not a url", "ftp://example.test", "http://h/?x=1"] {
        fr.base_url = bad.into();
        assert!(
            matches!(Provider::from_config(&ProviderConfig::Flowroute(fr.clone())), Err(ProviderError::Config(_))),
            "{bad:?} should be rejected"
        );
    }
    fr.base_url = FLOWROUTE_BASE_URL.into();
    fr.timeout_secs = 0;
    assert!(matches!(Provider::from_config(&ProviderConfig::Flowroute(fr)), Err(ProviderError::Config(_))));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let cfg = FlowrouteConfig::new("key-id", "very-secret-value");
    assert!(!format!("{cfg:?}").contains("very-secret-value"));
    let provider = Provider::from_config(&ProviderConfig::Flowroute(cfg)).unwrap();
    let shown = format!("{provider:?}");
    assert!(shown.contains("key-id"));
    assert!(!shown.contains("very-secret-value"));
}

#[test]
fn config_round_trips_through_toml() {
    let cfg = ProviderConfig::Flowroute(FlowrouteConfig::new("a", "b"));
    let text = toml::to_string(&cfg).unwrap();
    let back: ProviderConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, cfg);
}
