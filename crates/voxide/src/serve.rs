//! `voxide serve`: open the store, start the switch and the API, and stop
//! both cleanly on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use voxide_api::{AppState, HttpOptions};
use voxide_providers::Provider;
use voxide_registrar::RegistrarConfig;

use voxide_b2bua::B2buaConfig;
use voxide_b2bua::routing::{RouteTable, Rule};
use voxide_media::MediaConfig;
use voxide_media::audio::VadConfig;
use voxide_sip::Transport;
use voxide_switch::{SipSockets, SpeechToText, SwitchConfig, Trunk};

use crate::config::Config;
use crate::setup;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = setup::open_store(&config).await?;
    let (tenant, admin) = setup::default_tenant(&store, &config).await?;
    setup::bootstrap_token(&store, &config, &tenant, &admin).await?;
    let closed = store.close_unfinished_cdrs("CRASH").await?;
    if closed > 0 {
        tracing::warn!(cdrs = closed, "closed CDRs left open by an unclean stop");
    }

    let provider = Provider::from_config(&config.provider).context("DID provider")?;
    let provider_id = store.ensure_provider(provider.name(), provider.name()).await?;
    provider.restore_owned(store.dids(None).await?.into_iter().map(|d| d.phonenumber));

    let shutdown = CancellationToken::new();
    let sip_addr: SocketAddr = config.sip.listen.parse()?;
    let sockets = SipSockets {
        udp: tokio::net::UdpSocket::bind(sip_addr).await.with_context(|| format!("binding SIP UDP {sip_addr}"))?,
        tcp: tokio::net::TcpListener::bind(sip_addr).await.with_context(|| format!("binding SIP TCP {sip_addr}"))?,
    };
    let speech_model = speech_model(&config)?;
    let switch_config = SwitchConfig {
        registrar: RegistrarConfig {
            default_realm: config.sip.domain.to_ascii_lowercase(),
            min_expires: config.sip.min_expires,
            max_expires: config.sip.max_expires,
            default_expires: config.sip.default_expires,
            nonce_lifetime: Duration::from_secs(config.sip.nonce_lifetime_secs.into()),
            auth_failure_limit: config.sip.auth_failure_limit,
            auth_failure_window: Duration::from_secs(config.sip.auth_failure_window_secs.into()),
            prefer_sha256: config.sip.digest_prefer_sha256,
            offer_sha256: config.sip.digest_sha256,
        },
        b2bua: B2buaConfig {
            sip_addr: SocketAddr::new(config.advertised_ip(), sip_addr.port()),
            media_ip: config.advertised_ip(),
            ring_timeout: Duration::from_secs(config.calls.ring_timeout_secs.into()),
            t1: Duration::from_millis(500),
        },
        media: MediaConfig {
            bind_ip: sip_addr.ip(),
            public_ip: config.advertised_ip(),
            ports: config.rtp_ports().unwrap_or((20000, 30000)),
            rtp_timeout: Duration::from_secs(config.media.rtp_timeout_secs.into()),
            vad: VadConfig {
                threshold_dbfs: config.stt.vad_threshold_dbfs,
                min_speech_ms: config.stt.vad_min_speech_ms,
                min_silence_ms: config.stt.vad_min_silence_ms,
                ..VadConfig::default()
            },
            inband_dtmf: config.media.inband_dtmf,
        },
        routes: RouteTable::standard(trunk_rules(&config)),
        trunks: config
            .trunks
            .iter()
            .filter_map(|t| {
                Some(Trunk {
                    name: t.name.clone(),
                    addr: t.address.parse().ok()?,
                    transport: if t.transport == "tcp" { Transport::Tcp } else { Transport::Udp },
                    tenant_id: Some(tenant.id),
                    credentials: (!t.username.is_empty()).then(|| (t.username.clone(), t.password.clone())),
                    register: t.register,
                })
            })
            .collect(),
        default_tenant: tenant.id,
        recordings_dir: config.recordings.dir.clone().into(),
        events_buffer: config.events.buffer,
        callback_secret: Some(config.events.callback_secret.clone()).filter(|s| !s.is_empty()),
        stt: speech_model
            .clone()
            .map(|model| SpeechToText(Arc::new(voxide_stt::SttPool::new(model, config.stt.workers, config.stt.queue)))),
        prompts_dir: config.media.prompts_dir.clone().into(),
        tts: voxide_switch::Tts {
            command: config.ivr.tts_command.split_whitespace().map(str::to_string).collect(),
            cache_dir: std::path::Path::new(&config.recordings.dir).join("tts"),
        },
        pbx_now: config.calls.condition_now(),
        voicemail_smtp: config.voicemail.smtp(),
    };
    let switch = voxide_switch::start(switch_config, store.clone(), sockets, shutdown.child_token()).await?;
    let provider = Arc::new(provider);
    let sms = sms_service(&config, &store, &switch.control, &provider);
    tokio::spawn(sms.clone().run(switch.texts, shutdown.child_token()));
    let crawler = crawler(&config, &store, &switch.control, speech_model.clone())?;
    crawler.spawn_scheduler(shutdown.child_token());

    let http_addr: std::net::SocketAddr = config.http.listen.parse()?;
    let listener =
        tokio::net::TcpListener::bind(http_addr).await.with_context(|| format!("binding HTTP {http_addr}"))?;
    let state = AppState {
        store: store.clone(),
        switch: switch.control.clone(),
        provider,
        provider_id,
        recordings_dir: config.recordings.dir.clone().into(),
        prompts_dir: config.media.prompts_dir.clone().into(),
        sms,
        event_tokens: Arc::default(),
        recording_links: Arc::default(),
        crawler: Some(crawler),
        sip_addr: SocketAddr::new(config.advertised_ip(), sip_addr.port()),
    };
    let options = HttpOptions { max_body_bytes: config.http.max_body_bytes as usize };
    let console = voxide_console::ConsoleOptions { shutdown: shutdown.child_token(), ..Default::default() };
    let app = voxide_api::router(state.clone(), &options).merge(voxide_console::router(state, console));
    let api = tokio::spawn(voxide_api::serve_app(listener, app, shutdown.child_token()));
    tracing::info!(sip = %sip_addr, http = %http_addr, domain = %config.sip.domain, "voxide is up");

    wait_for_signal().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    let _ = switch.done.await;
    if let Ok(Err(e)) = api.await {
        tracing::warn!(cause = %e, "HTTP server stopped with an error");
    }
    store.close_unfinished_cdrs("SYSTEM_SHUTDOWN").await?;
    store.close().await;
    Ok(())
}

/// The text message service, with the `[sms]` settings.
fn sms_service(
    config: &Config,
    store: &voxide_store::Store,
    switch: &voxide_switch::SwitchControl,
    provider: &Arc<Provider>,
) -> voxide_sms::SmsService {
    let set = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let sms = voxide_sms::SmsConfig {
        inbound_callback: set(&config.sms.inbound_callback),
        callback_secret: set(&config.sms.callback_secret),
        inbound_secret: set(&config.sms.inbound_secret),
        retry: voxide_sms::RetryPolicy::default(),
    };
    voxide_sms::SmsService::new(store.clone(), switch.clone(), provider.clone(), sms)
}

/// The IVR crawler, with the `[ivr]` settings and the known prompts.
fn crawler(
    config: &Config,
    store: &voxide_store::Store,
    switch: &voxide_switch::SwitchControl,
    model: Option<Arc<voxide_stt::VoskRecognizer>>,
) -> anyhow::Result<voxide_crawler::Crawler> {
    let ivr = &config.ivr;
    let settings = voxide_crawler::CrawlerConfig {
        menu_silence: Duration::from_millis(ivr.crawl_menu_silence_ms),
        answer_timeout: Duration::from_secs(ivr.crawl_answer_timeout_secs),
        first_speech_timeout: Duration::from_secs(ivr.crawl_first_speech_timeout_secs),
        max_prompt: Duration::from_secs(ivr.crawl_max_prompt_secs),
        max_depth: ivr.crawl_max_depth,
        max_calls: ivr.crawl_max_calls,
        pause: Duration::from_millis(ivr.crawl_pause_ms),
        caller_id: ivr.crawl_caller_id.clone(),
        max_attempts: ivr.crawl_max_attempts,
        retry_backoff: Duration::from_secs(ivr.crawl_retry_backoff_secs),
        media_dir: config.recordings.dir.clone().into(),
        ..voxide_crawler::CrawlerConfig::default()
    };
    let recogniser = voxide_crawler::Recogniser::new(model.map(|m| m as Arc<dyn voxide_stt::Recognizer>));
    if !ivr.known_prompts_dir.is_empty() {
        let n = recogniser
            .load_known(std::path::Path::new(&ivr.known_prompts_dir))
            .with_context(|| format!("reading {}", ivr.known_prompts_dir))?;
        tracing::info!(prompts = n, dir = %ivr.known_prompts_dir, "known IVR prompts loaded");
    }
    Ok(voxide_crawler::Crawler::new(store.clone(), switch.clone(), settings, recogniser))
}

/// One prefix rule per trunk prefix, in configuration order.
fn trunk_rules(config: &Config) -> Vec<Rule> {
    config
        .trunks
        .iter()
        .flat_map(|t| {
            t.prefixes.iter().map(|p| Rule::Prefix {
                prefix: p.clone(),
                trunk: t.name.clone(),
                strip: t.strip,
                prepend: t.prepend.clone(),
            })
        })
        .collect()
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Loads the configured vosk model once; calls and the crawler share it.
fn speech_model(config: &Config) -> anyhow::Result<Option<Arc<voxide_stt::VoskRecognizer>>> {
    if config.stt.vosk_model.is_empty() {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let model = voxide_stt::VoskRecognizer::load(std::path::Path::new(&config.stt.vosk_model))?;
    tracing::info!(model = %config.stt.vosk_model, secs = started.elapsed().as_secs_f32(), "speech-to-text model loaded");
    Ok(Some(model))
}
