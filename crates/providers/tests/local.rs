//! Behaviour of the in-process number pool, driven through [`Provider`] as the
//! admin API uses it.

use voxide_providers::{
    DEFAULT_AREA_CODES, DEFAULT_NUMBERS_PER_AREA_CODE, LocalConfig, LocalProvider, Provider, ProviderConfig,
    ProviderError,
};

fn demo_provider() -> Provider {
    Provider::from_config(&ProviderConfig::default()).expect("default config is valid")
}

#[test]
fn default_pool_is_deterministic_and_covers_each_area_code() {
    let a = LocalConfig::default();
    let b = LocalConfig::default();
    assert_eq!(a, b);
    let per = DEFAULT_NUMBERS_PER_AREA_CODE as usize;
    assert_eq!(a.numbers.len(), DEFAULT_AREA_CODES.len() * per);
    assert_eq!(a.numbers[0], "17865550100");
    assert_eq!(a.numbers[per - 1], "17865550119");
    assert!(a.numbers.iter().all(|n| n.len() == 11 && n.starts_with('1')));
    let provider = LocalProvider::new(&a).unwrap();
    assert_eq!(provider.pool_size(), a.numbers.len());
}

#[test]
fn from_area_codes_validates_and_caps_the_block() {
    let cfg = LocalConfig::from_area_codes(&["212"], 500, 2.5).unwrap();
    assert_eq!(cfg.numbers.len(), 100);
    assert_eq!(cfg.numbers.last().unwrap(), "12125550199");
    assert!(matches!(LocalConfig::from_area_codes(&["21"], 5, 1.0), Err(ProviderError::InvalidInput(_))));
}

#[tokio::test]
async fn search_filters_by_area_code_and_respects_limit() {
    let provider = demo_provider();
    let found = provider.search(Some("305"), 5).await.unwrap();
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|n| n.number.starts_with("1305")));
    assert!(found.iter().all(|n| n.monthly_cost == 1.0));

    let all = provider.search(None, 1000).await.unwrap();
    assert_eq!(all.len(), 60);
    assert!(provider.search(Some("212"), 10).await.unwrap().is_empty());
    assert!(provider.search(None, 0).await.unwrap().is_empty());
    assert!(matches!(provider.search(Some("3O5"), 5).await, Err(ProviderError::InvalidInput(_))));
}

#[tokio::test]
async fn purchase_hides_number_and_release_returns_it() {
    let provider = demo_provider();
    let number = "17865550103";
    provider.purchase("+1 786-555-0103").await.unwrap();
    let found = provider.search(Some("786"), 100).await.unwrap();
    assert_eq!(found.len(), 19);
    assert!(found.iter().all(|n| n.number != number));

    provider.release(number).await.unwrap();
    let found = provider.search(Some("786"), 100).await.unwrap();
    assert!(found.iter().any(|n| n.number == number));
}

#[tokio::test]
async fn taken_unknown_and_unowned_numbers_are_refused() {
    let provider = demo_provider();
    provider.purchase("13055550100").await.unwrap();
    assert_eq!(provider.purchase("13055550100").await, Err(ProviderError::NotAvailable("13055550100".into())));
    assert_eq!(provider.purchase("12125550100").await, Err(ProviderError::NotAvailable("12125550100".into())));
    assert_eq!(provider.release("14155550100").await, Err(ProviderError::NotOwned("14155550100".into())));
    assert!(matches!(provider.purchase("not a number").await, Err(ProviderError::InvalidInput(_))));
}

#[test]
fn malformed_pool_entries_stop_start_up() {
    let cfg = LocalConfig { numbers: vec!["17865550100".into(), "555".into()], monthly_cost: 1.0 };
    assert!(matches!(LocalProvider::new(&cfg), Err(ProviderError::Config(_))));
    let cfg = LocalConfig { numbers: vec![], monthly_cost: f64::NAN };
    assert!(matches!(LocalProvider::new(&cfg), Err(ProviderError::Config(_))));
}

#[tokio::test]
async fn restore_owned_reseeds_after_restart() {
    let provider = demo_provider();
    let marked = provider.restore_owned(["17865550100", "+17865550101", "19995550100", "junk"]);
    assert_eq!(marked, 2);
    assert_eq!(provider.restore_owned(["17865550100"]), 0);
    let found = provider.search(Some("786"), 100).await.unwrap();
    assert_eq!(found.len(), 18);
    assert_eq!(found[0].number, "17865550102");
}

#[tokio::test]
async fn sms_is_refused_as_unsupported_after_the_input_is_checked() {
    let provider = demo_provider();
    provider.purchase("17865550100").await.unwrap();
    let refused = provider.send_sms("17865550100", "13055550100", "hi").await.unwrap_err();
    assert!(matches!(refused, ProviderError::Unsupported { provider: "local", .. }), "{refused:?}");
    let said = refused.to_string();
    assert!(said.contains("cannot send SMS") && said.contains("Flowroute"), "{said}");
    // Bad input is reported as such, not hidden behind "unsupported".
    assert!(matches!(provider.send_sms("17865550100", "13055550100", "").await, Err(ProviderError::InvalidInput(_))));
    assert!(matches!(provider.send_sms("555", "13055550100", "hi").await, Err(ProviderError::InvalidInput(_))));
}

#[test]
fn provider_futures_are_send_for_axum_handlers() {
    fn assert_send<T: Send>(_: &T) {}
    let provider = demo_provider();
    assert_eq!(provider.name(), "local");
    assert_send(&provider.search(None, 1));
    assert_send(&provider.purchase("17865550100"));
    assert_send(&provider.release("17865550100"));
    assert_send(&provider.send_sms("17865550100", "13055550100", "x"));
}
