//! The SMS service with a real store (SQLite), a stub of Flowroute's v2.1
//! messaging API and a local receiver for callbacks. Phones are covered
//! end to end in the server's tests (`api_sms`), with baresip.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use voxide_providers::{FlowrouteConfig, Provider, ProviderConfig};
use voxide_sms::{RetryPolicy, SendSms, SmsConfig, SmsError, SmsService, WebhookOutcome, signature};
use voxide_store::{NewDid, NewExtension, NewSms, SecretBox, SmsDirection, SmsRow, SmsStatus, Store};
use voxide_switch::SwitchControl;

const SECRET: &str = "callback-secret-for-tests";
const DID: &str = "17865550100";

/// What a local HTTP server received, and how many requests it refuses
/// (with 500) before it takes one.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(Instant, HeaderMap, Bytes)>>>,
    refuse_first: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(self, path: &str) -> String {
        async fn take(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
            r.got.lock().unwrap().push((Instant::now(), headers, body));
            let mut refuse = r.refuse_first.lock().unwrap();
            if *refuse > 0 {
                *refuse -= 1;
                return (StatusCode::INTERNAL_SERVER_ERROR, "try later").into_response();
            }
            // What Flowroute answers a message it accepts.
            let n = r.got.lock().unwrap().len();
            (StatusCode::ACCEPTED, axum::Json(json!({"data": {"id": format!("mdr2-stub-{n}")}}))).into_response()
        }
        let app = Router::new().route(path, post(take)).with_state(self);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn bodies(&self) -> Vec<Value> {
        self.got.lock().unwrap().iter().map(|(_, _, b)| serde_json::from_slice(b).unwrap()).collect()
    }

    /// Waits up to 5 s for `n` requests.
    async fn wait_for(&self, n: usize) -> Vec<(Instant, HeaderMap, Bytes)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

struct World {
    file: std::path::PathBuf,
    store: Store,
    tenant_id: i64,
    carrier: Receiver,
    callbacks: Receiver,
    callback_url: String,
    sms: SmsService,
}

async fn world(local_provider: bool) -> World {
    let file = std::env::temp_dir().join(format!("voxide-sms-service-{}.db", rand_suffix()));
    let store =
        Store::connect(&format!("sqlite://{}", file.display()), SecretBox::from_key_material("k")).await.unwrap();
    store.migrate().await.unwrap();
    let tenant_id = store.ensure_tenant("voxide.local").await.unwrap().id;
    let carrier = Receiver::default();
    let base = carrier.clone().start("/v2.1/messages").await;
    let provider = if local_provider {
        Provider::from_config(&ProviderConfig::default()).unwrap()
    } else {
        let cfg = FlowrouteConfig { base_url: base, timeout_secs: 5, ..FlowrouteConfig::new("key", "secret") };
        Provider::from_config(&ProviderConfig::Flowroute(cfg)).unwrap()
    };
    let callbacks = Receiver::default();
    let callback_url = format!("{}/hook", callbacks.clone().start("/hook").await);
    let config = SmsConfig {
        inbound_callback: Some(format!("{callback_url}?inbound")),
        callback_secret: Some(SECRET.into()),
        inbound_secret: Some("webhook-secret".into()),
        retry: RetryPolicy { attempts: 4, first_delay: Duration::from_millis(100), timeout: Duration::from_secs(2) },
    };
    let sms = SmsService::new(store.clone(), SwitchControl::detached(), Arc::new(provider), config);
    World { file, store, tenant_id, carrier, callbacks, callback_url, sms }
}

impl Drop for World {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
        }
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

impl World {
    async fn buy(&self, number: &str) {
        let provider_id = self.store.ensure_provider("flowroute", "flowroute").await.unwrap();
        let new = NewDid { tenant_id: self.tenant_id, provider_id, phonenumber: number.into(), extension_id: None };
        self.store.insert_did(&new).await.unwrap();
    }

    fn send(&self, to: &str, body: &str) -> SendSms {
        SendSms {
            tenant_id: self.tenant_id,
            to: to.into(),
            body: body.into(),
            callback_url: Some(self.callback_url.clone()),
        }
    }

    /// The message once its status is no longer `queued` (5 s at most).
    async fn settled(&self, id: i64) -> SmsRow {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let row = self.store.sms_by_id(None, id).await.unwrap().unwrap();
            if row.status != SmsStatus::Queued || Instant::now() > deadline {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Checks a callback's signature against its body.
fn assert_signed(headers: &HeaderMap, body: &[u8]) {
    let sig = headers.get("x-voxide-signature").expect("signature header").to_str().unwrap();
    assert_eq!(sig, signature(SECRET.as_bytes(), body));
}

#[tokio::test]
async fn an_outside_number_goes_to_the_carrier_and_the_callback_hears_sent_then_delivered() {
    let w = world(false).await;
    w.buy(DID).await;
    let queued = w.sms.send(w.send("13055550150", "Your code is 1234")).await.unwrap();
    assert_eq!((queued.status, queued.sms_from.as_str()), (SmsStatus::Queued, DID));

    let sent = w.settled(queued.id).await;
    assert_eq!((sent.status, sent.provider_id.as_deref()), (SmsStatus::Sent, Some("mdr2-stub-1")));
    assert_eq!(
        w.carrier.bodies(),
        [json!({"data": {"type": "message", "attributes": {
            "to": "13055550150", "from": DID, "body": "Your code is 1234"}}})]
    );
    let got = w.callbacks.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_signed(&got[0].1, &got[0].2);
    assert_eq!(
        w.callbacks.bodies()[0],
        json!({"id": queued.id, "status": "sent", "from": DID, "to": "13055550150",
               "text": "Your code is 1234", "error": null})
    );

    // Flowroute's level-2 receipt for it arrives on the webhook.
    let receipt = json!({"data": {"type": "delivery_receipt", "id": "mdr2-stub-1",
        "attributes": {"level": 2, "status": "delivered", "status_code": "1003"}}});
    let outcome = w.sms.provider_webhook(receipt.to_string().as_bytes()).await.unwrap();
    let WebhookOutcome::Receipt(row) = outcome else { panic!("{outcome:?}") };
    assert_eq!(row.status, SmsStatus::Delivered);
    let got = w.callbacks.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(w.callbacks.bodies()[1]["status"], "delivered");
    assert_signed(&got[1].1, &got[1].2);

    // The same receipt again is no news: no third callback.
    w.sms.provider_webhook(receipt.to_string().as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.callbacks.got.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_callback_the_receiver_refuses_is_retried_with_doubling_waits() {
    let w = world(false).await;
    w.buy(DID).await;
    *w.callbacks.refuse_first.lock().unwrap() = 2;
    let m = w.sms.send(w.send("13055550150", "retry me")).await.unwrap();
    let got = w.callbacks.wait_for(3).await;
    assert_eq!(got.len(), 3, "two refusals, then taken");
    let waits: Vec<Duration> = got.windows(2).map(|p| p[1].0 - p[0].0).collect();
    assert!(waits[0] >= Duration::from_millis(100) && waits[1] >= Duration::from_millis(200), "{waits:?}");
    for (_, headers, body) in &got {
        assert_signed(headers, body);
        assert_eq!(serde_json::from_slice::<Value>(body).unwrap()["id"], m.id);
    }
}

#[tokio::test]
async fn a_callback_nobody_takes_is_given_up_after_four_tries() {
    let w = world(false).await;
    w.buy(DID).await;
    *w.callbacks.refuse_first.lock().unwrap() = usize::MAX;
    w.sms.send(w.send("13055550150", "nobody home")).await.unwrap();
    // 100 + 200 + 400 ms of waits: all four tries are in well within 2 s.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(w.callbacks.got.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn without_a_number_to_send_from_the_text_fails_and_says_why() {
    let w = world(false).await;
    let m = w.sms.send(w.send("13055550150", "hi")).await.unwrap();
    assert_eq!(m.sms_from, voxide_sms::DEFAULT_SENDER);
    let failed = w.settled(m.id).await;
    assert_eq!(failed.status, SmsStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("the tenant has no DID number to send from"));
    assert!(w.carrier.got.lock().unwrap().is_empty(), "the carrier was not asked");
    w.callbacks.wait_for(1).await;
    assert_eq!(w.callbacks.bodies()[0]["status"], "failed");
}

#[tokio::test]
async fn the_local_pool_refuses_outside_texts_in_words() {
    let w = world(true).await;
    w.buy(DID).await;
    let failed = w.settled(w.sms.send(w.send("13055550150", "hi")).await.unwrap().id).await;
    assert_eq!(failed.status, SmsStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("local number pool cannot send SMS"), "{error}");
}

#[tokio::test]
async fn a_text_for_an_extension_fails_when_no_switch_runs() {
    let w = world(false).await;
    let user = w.store.ensure_user(w.tenant_id, "owner", false).await.unwrap();
    w.store
        .insert_extension(&NewExtension {
            tenant_id: w.tenant_id,
            user_id: user.id,
            sip_username: "1002".into(),
            sip_password: "secret-1002".into(),
            cellphone: String::new(),
            transcription: 0,
            recording: 0,
        })
        .await
        .unwrap();
    let failed = w.settled(w.sms.send(w.send("1002", "hi")).await.unwrap().id).await;
    assert_eq!((failed.status, failed.error.as_deref()), (SmsStatus::Failed, Some("the switch is not running")));
    assert!(w.carrier.got.lock().unwrap().is_empty(), "an extension is never texted through the carrier");
}

#[tokio::test]
async fn an_inbound_text_is_stored_once_and_posted_to_the_inbound_callback() {
    let w = world(false).await;
    w.buy(DID).await;
    let posted = json!({"data": {"type": "message", "id": "mdr2-in-1", "attributes": {
        "from": "+13055550150", "to": "+17865550100", "body": "Fydyd", "direction": "inbound", "is_mms": false}}});
    let outcome = w.sms.provider_webhook(posted.to_string().as_bytes()).await.unwrap();
    let WebhookOutcome::Received(row) = outcome else { panic!("{outcome:?}") };
    assert_eq!((row.direction, row.sms_from.as_str(), row.sms_to.as_str()), (SmsDirection::In, "13055550150", DID));
    assert_eq!((row.tenant_id, row.provider_id.as_deref()), (w.tenant_id, Some("mdr2-in-1")));
    // The number is assigned to no extension: the tenant has it, and that is all.
    assert_eq!(w.settled(row.id).await.status, SmsStatus::Delivered);

    let got = w.callbacks.wait_for(1).await;
    assert_eq!(got[0].1.get("content-type").unwrap(), "application/json");
    assert_signed(&got[0].1, &got[0].2);
    assert_eq!(w.callbacks.bodies(), [json!({"from": "13055550150", "to": DID, "text": "Fydyd"})]);

    // Flowroute retries a callback it thinks failed: the text is not taken twice.
    let again = w.sms.provider_webhook(posted.to_string().as_bytes()).await.unwrap();
    assert_eq!(again, WebhookOutcome::Repeated(w.store.sms_by_id(None, row.id).await.unwrap().unwrap()));
    assert_eq!(w.store.sms_page(None, None, 0).await.unwrap().1, 1);

    let stranger = json!({"to": "14155550100", "from": "13055550150", "body": "wrong number"});
    let err = w.sms.provider_webhook(stranger.to_string().as_bytes()).await.unwrap_err();
    assert!(matches!(err, SmsError::UnknownNumber(ref n) if n == "14155550100"), "{err:?}");
    assert!(matches!(w.sms.provider_webhook(b"{}").await, Err(SmsError::Webhook(_))));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(w.callbacks.got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn texts_left_queued_are_delivered_when_the_service_runs_again() {
    let w = world(false).await;
    w.buy(DID).await;
    let left = w
        .store
        .insert_sms(&NewSms {
            tenant_id: w.tenant_id,
            direction: SmsDirection::Out,
            sms_from: DID.into(),
            sms_to: "13055550150".into(),
            body: "sent before the restart".into(),
            status: SmsStatus::Queued,
            callback_url: None,
            provider_id: None,
        })
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    drop(tx);
    w.sms.clone().run(rx, CancellationToken::new()).await;
    assert_eq!(w.settled(left.id).await.status, SmsStatus::Sent);
    assert_eq!(w.carrier.bodies()[0]["data"]["attributes"]["body"], "sent before the restart");
}

#[test]
fn the_webhook_secret_is_compared_whole() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let w = rt.block_on(world(false));
    assert!(w.sms.webhook_secret_matches("webhook-secret"));
    for wrong in ["", "webhook-secreT", "webhook-secret ", "webhook"] {
        assert!(!w.sms.webhook_secret_matches(wrong), "{wrong:?}");
    }
}
