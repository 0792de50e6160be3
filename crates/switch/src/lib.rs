//! The switch: the async driver that owns the SIP sockets, feeds what
//! arrives into the sans-IO cores (`voxide-sip` transactions, the
//! registrar) and carries out what they ask for (send, persist, schedule).
//!
//! Layout: `transport` (UDP and TCP sockets, framing), `driver` (the loop
//! that ties messages, timers and cores together), `persist` (ordered
//! binding writes), `directory` (credentials known to the registrar),
//! `originate` (calls the switch places: click-to-call),
//! `stats` (counters for `/metrics`), `control` (the handle the API holds),
//! `texts` (SIP MESSAGE from and to phones).

mod call_control;
mod call_events;
mod calls;
mod cdr;
mod control;
mod directory;
mod driver;
mod menus;
mod originate;
mod persist;
mod plans;
mod registration_events;
mod sessions;
mod stats;
mod texts;
mod transcribe;
mod transport;
mod uplinks;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voxide_b2bua::routing::RouteTable;
use voxide_b2bua::{B2bua, B2buaConfig};
use voxide_media::{MediaConfig, MediaEngine};
use voxide_registrar::client::{ClientConfig, RegisterClient};
use voxide_registrar::{Registrar, RegistrarConfig};
use voxide_sip::transaction::{TimerConfig, TransactionLayer};
use voxide_store::{Store, StoreError};

pub use call_control::{CallSide, LiveCall};
pub use calls::Trunk;
pub use control::{Features, SwitchControl};
pub use directory::{Account, Directory};
pub use menus::Tts;
pub use originate::{OriginateError, OriginateRequest, Originated, dialable};
pub use plans::mail::{SmtpConfig, SmtpError, SmtpStep, is_mail_address};
pub use sessions::{CallSession, CallSignal, DialRequest};
pub use stats::Stats;
pub use texts::{InboundText, MAX_TEXT_CHARS, OutgoingText, TextOutcome};
pub use voxide_events::{EventBus, EventKind};
pub use voxide_media::audio::Prompt;

/// The bound sockets the switch serves SIP on (the binary binds them).
pub struct SipSockets {
    pub udp: UdpSocket,
    pub tcp: TcpListener,
}

/// Settings of the switch.
#[derive(Debug, Clone)]
pub struct SwitchConfig {
    pub registrar: RegistrarConfig,
    pub b2bua: B2buaConfig,
    pub media: MediaConfig,
    pub routes: RouteTable,
    pub trunks: Vec<Trunk>,
    /// The tenant of calls from trunks to numbers no tenant owns.
    pub default_tenant: i64,
    /// Where call recordings are written (`domain_<tenant>/…wav` below it).
    pub recordings_dir: std::path::PathBuf,
    /// Events kept per tenant for API clients that reconnect with `since`.
    pub events_buffer: usize,
    /// Signs calls' `status_callback` POSTs (`X-Voxide-Signature`), if set.
    pub callback_secret: Option<String>,
    /// Speech-to-text for calls of extensions with `transcription` on.
    pub stt: Option<SpeechToText>,
    /// Where the WAV prompts menus name are.
    pub prompts_dir: std::path::PathBuf,
    /// How menus' text is spoken.
    pub tts: Tts,
    /// A fixed "now" for time conditions of call plans (to test a
    /// schedule); `None`: the system clock.
    pub pbx_now: Option<chrono::DateTime<chrono::Utc>>,
    /// The mail server voicemail messages are e-mailed through; `None`: none.
    pub voicemail_smtp: Option<SmtpConfig>,
}

/// The recognizer pool live transcription uses.
#[derive(Clone)]
pub struct SpeechToText(pub Arc<voxide_stt::SttPool>);

impl std::fmt::Debug for SpeechToText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SpeechToText").field(&self.0.stats()).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("loading from the store: {0}")]
    Store(#[from] StoreError),
}

/// A running switch.
pub struct Switch {
    pub control: SwitchControl,
    /// Ends when the switch has stopped and flushed its writes.
    pub done: JoinHandle<()>,
    /// Texts phones sent that the switch accepted (202): whoever takes
    /// this stores and delivers them. Dropping it makes the switch refuse
    /// texts with 503.
    pub texts: mpsc::UnboundedReceiver<InboundText>,
}

/// Loads realms, accounts and bindings from `store`, then serves SIP on
/// `sockets` until `shutdown` is cancelled.
pub async fn start(
    config: SwitchConfig,
    store: Store,
    sockets: SipSockets,
    shutdown: CancellationToken,
) -> Result<Switch, SwitchError> {
    let directory = Directory::default();
    for tenant in store.tenants().await? {
        directory.add_realm(&tenant.domain, tenant.id);
    }
    for ext in store.extensions(None).await? {
        let account = Account { tenant_id: ext.tenant_id, extension_id: ext.id, password: ext.sip_password };
        directory.upsert(&ext.domain, &ext.sip_username, account);
        directory.set_recording(Some(ext.id), None, ext.recording != 0);
        directory.set_transcription(ext.id, ext.transcription != 0);
        directory.set_owner(ext.id, ext.user_id);
        directory.set_direct(ext.id, ext.direct_hash.as_deref());
    }
    for c in store.contacts(None).await? {
        directory.add_contact(c.user_id, &c.number);
    }
    for did in store.dids(None).await? {
        directory.set_did(&did.phonenumber, did.tenant_id, did.id, did.extension_id);
        directory.set_recording(None, Some(did.id), did.recording != 0);
        directory.set_did_menu(did.id, did.ivr_id);
    }
    plans::load(&store, &directory).await?;
    let now = Instant::now();
    let mut registrar = Registrar::new(config.registrar, now);
    let unix_now = driver::unix_now();
    store.purge_expired_bindings(unix_now).await?;
    let restored: Vec<_> =
        store.live_bindings(None, unix_now).await?.into_iter().filter_map(persist::binding).collect();
    tracing::info!(bindings = restored.len(), accounts = directory.len(), "registrar state loaded");
    let registration_events = registration_events::RegistrationEvents::new(&restored);
    registrar.restore(restored);

    let sip_addr = config.b2bua.sip_addr;
    let stats = Stats::shared();
    let (media_tx, media_rx) = mpsc::unbounded_channel();
    let media = MediaEngine::new(config.media.clone(), media_tx);
    let (aor_tx, aor_rx) = mpsc::unbounded_channel();
    let events = EventBus::new(config.events_buffer);
    let (calls_tx, calls_rx) = mpsc::unbounded_channel();
    let control =
        SwitchControl::new(directory.clone(), stats.clone(), media.stats().clone(), aor_tx, events.clone(), calls_tx);
    let (texts_tx, texts_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::channel(4096);
    let udp = Arc::new(sockets.udp);
    let writers = transport::TcpWriters::default();
    tokio::spawn(transport::udp_loop(udp.clone(), in_tx.clone(), shutdown.child_token()));
    tokio::spawn(transport::tcp_accept_loop(
        sockets.tcp,
        in_tx,
        writers.clone(),
        stats.clone(),
        shutdown.child_token(),
    ));
    let menus = menus::MenuHost {
        store: store.clone(),
        control: control.clone(),
        prompts_dir: config.prompts_dir,
        tts: config.tts.clone(),
    };
    let driver = driver::Driver {
        udp,
        tcp: writers,
        layer: TransactionLayer::new(TimerConfig::default()),
        registrar,
        directory,
        stats,
        persist: persist::Persist::start(store.clone()),
        peers: HashMap::new(),
        b2bua: B2bua::new(config.b2bua),
        media,
        calls: HashMap::new(),
        next_call: 0,
        plans: plans::PlanHost {
            store: store.clone(),
            control: control.clone(),
            menus: menus.clone(),
            voicemail: plans::Voicemail {
                store: store.clone(),
                control: control.clone(),
                tts: config.tts.clone(),
                recordings_dir: config.recordings_dir.clone(),
                smtp: config.voicemail_smtp,
            },
            now: config.pbx_now,
        },
        menus,
        cdr: cdr::CdrWriter::start(store),
        routes: config.routes,
        trunks: config.trunks.clone(),
        default_tenant: config.default_tenant,
        recordings_dir: config.recordings_dir,
        events,
        callbacks: voxide_events::Webhooks::new(
            config.callback_secret.as_deref(),
            voxide_events::RetryPolicy::default(),
        ),
        stt: config.stt.map(|s| s.0),
        registration_events,
        texts: texts::Texts::new(sip_addr, texts_tx),
        uplinks: uplinks::Uplinks {
            list: config
                .trunks
                .iter()
                .filter_map(|t| {
                    let (user, pass) = t.credentials.clone()?;
                    t.register.then(|| uplinks::Uplink {
                        trunk: t.clone(),
                        client: RegisterClient::new(
                            ClientConfig {
                                registrar_uri: format!("sip:{}", t.addr),
                                username: user,
                                password: pass,
                                contact: sip_addr,
                                expires: 600,
                                retry: std::time::Duration::from_secs(30),
                            },
                            now,
                        ),
                    })
                })
                .collect(),
            ..Default::default()
        },
    };
    let done = tokio::spawn(driver.run(in_rx, aor_rx, media_rx, calls_rx, shutdown));
    Ok(Switch { control, done, texts: texts_rx })
}
