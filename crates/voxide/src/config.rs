//! Configuration: plain structs with documented defaults (mirrored in
//! `config/voxide.toml`), read from a TOML file, overridden by
//! `VOXIDE_<SECTION>_<KEY>` environment variables, then validated in one
//! step that reports every bad key at once.

use std::net::{IpAddr, SocketAddr};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use toml::Table;
use voxide_providers::{FlowrouteConfig, ProviderConfig};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipSection {
    /// Address for both UDP and TCP.
    pub listen: String,
    /// The default tenant's SIP domain, also its digest realm.
    pub domain: String,
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    /// How long a digest nonce stays valid, in seconds.
    pub nonce_lifetime_secs: u32,
    /// Authentication failures from one source IP before it is throttled.
    pub auth_failure_limit: u32,
    /// Window over which failures are counted and throttling lasts, in seconds.
    pub auth_failure_window_secs: u32,
    /// Offer the SHA-256 digest challenge before the MD5 one.
    pub digest_prefer_sha256: bool,
    /// Offer a SHA-256 digest challenge at all (off: MD5 only).
    pub digest_sha256: bool,
}

impl Default for SipSection {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:5060".into(),
            domain: "voxide.local".into(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            nonce_lifetime_secs: 300,
            auth_failure_limit: 20,
            auth_failure_window_secs: 60,
            digest_prefer_sha256: false,
            digest_sha256: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    pub listen: String,
    pub max_body_bytes: u64,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self { listen: "127.0.0.1:8080".into(), max_body_bytes: 64 * 1024 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSection {
    /// `LOW-HIGH`, inclusive; RTP takes even ports, RTCP the odd ones above.
    pub rtp_ports: String,
    /// Address written into SDP; empty means the SIP listen address (or
    /// 127.0.0.1 when that is a wildcard).
    pub public_ip: String,
    /// Hang up a call when a leg sends no RTP for this long, in seconds.
    pub rtp_timeout_secs: u32,
    /// WAV prompts the API may play into calls (any common format).
    pub prompts_dir: String,
    /// Look for DTMF tones in the audio of G.711 legs without
    /// telephone-event.
    pub inband_dtmf: bool,
}

impl Default for MediaSection {
    fn default() -> Self {
        Self {
            rtp_ports: "20000-30000".into(),
            public_ip: String::new(),
            rtp_timeout_secs: 60,
            prompts_dir: "data/prompts".into(),
            inband_dtmf: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsSection {
    /// Give up on an unanswered call after this many seconds (480, NO_ANSWER).
    pub ring_timeout_secs: u32,
    /// A fixed time (RFC 3339) time conditions of call plans see instead
    /// of the clock, to try out a schedule; empty: the clock.
    pub condition_clock: String,
}

impl Default for CallsSection {
    fn default() -> Self {
        Self { ring_timeout_secs: 60, condition_clock: String::new() }
    }
}

impl CallsSection {
    /// The fixed time of `condition_clock`, if one is set (and valid).
    pub fn condition_now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(&self.condition_clock).ok().map(|t| t.with_timezone(&chrono::Utc))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsSection {
    /// Live events kept per tenant, so a websocket client that reconnects
    /// with `?since=SEQ` gets what it missed; older ones are reported to it
    /// as a `gap`.
    pub buffer: usize,
    /// Signs the POSTs to a call's `status_callback` (`X-Voxide-Signature:
    /// sha256=<HMAC-SHA256 of the body>`); empty: unsigned.
    pub callback_secret: String,
}

impl Default for EventsSection {
    fn default() -> Self {
        Self { buffer: 1000, callback_secret: String::new() }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSection {
    /// Every text that arrives (from a phone, or from the carrier's
    /// webhook) is POSTed here as `{from, to, text}`. Empty: nowhere.
    pub inbound_callback: String,
    /// Secret the carrier's webhook (`POST /api/sms/inbound/`) presents as
    /// `?secret=` or `X-Voxide-Secret`. Empty: the webhook is refused.
    pub inbound_secret: String,
    /// Key of the `X-Voxide-Signature: sha256=<hex HMAC-SHA256 of the
    /// body>` header on every callback. Empty: callbacks are unsigned.
    pub callback_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IvrSection {
    /// Speaks a menu's text: the program and its arguments, split on
    /// spaces; `{out}` is the WAV to write; the text is on its standard
    /// input. Empty: menus need WAV greetings.
    pub tts_command: String,
    /// Quiet after speech that ends a crawled menu's prompt, in ms.
    pub crawl_menu_silence_ms: u64,
    /// A crawled call that is not answered by then fails, in seconds.
    pub crawl_answer_timeout_secs: u64,
    /// An answered crawl call that says nothing for this long fails.
    pub crawl_first_speech_timeout_secs: u64,
    /// A prompt longer than this fails the crawl ("never ends"), in seconds.
    pub crawl_max_prompt_secs: u64,
    /// Deepest menu level explored.
    pub crawl_max_depth: usize,
    /// Calls one crawl attempt may place.
    pub crawl_max_calls: usize,
    /// Pause between two calls of a crawl, in ms.
    pub crawl_pause_ms: u64,
    /// Attempts of a crawl that fails, the first included.
    pub crawl_max_attempts: i64,
    /// Wait before retrying a failed crawl, doubled per attempt, in seconds.
    pub crawl_retry_backoff_secs: u64,
    /// The caller ID crawled numbers see.
    pub crawl_caller_id: String,
    /// Prompts whose text is known: `NAME.wav` with its text in
    /// `NAME.txt`. Recognised by their sound, without speech-to-text.
    pub known_prompts_dir: String,
}

impl Default for IvrSection {
    fn default() -> Self {
        Self {
            tts_command: "espeak-ng -v en-us -s 150 -w {out} --stdin".into(),
            crawl_menu_silence_ms: 5000,
            crawl_answer_timeout_secs: 60,
            crawl_first_speech_timeout_secs: 15,
            crawl_max_prompt_secs: 120,
            crawl_max_depth: 5,
            crawl_max_calls: 100,
            crawl_pause_ms: 1000,
            crawl_max_attempts: 3,
            crawl_retry_backoff_secs: 60,
            crawl_caller_id: "voxide".into(),
            known_prompts_dir: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoicemailSection {
    /// `host:port` of the SMTP server that voicemail messages are e-mailed
    /// through to boxes with a `voicemail_email`. Empty: no e-mail.
    pub smtp_server: String,
    /// The sender address of those e-mails.
    pub smtp_from: String,
    /// Credentials for `AUTH PLAIN` or `LOGIN`; empty: no AUTH.
    pub smtp_username: String,
    pub smtp_password: String,
    /// A mail not handed over within this many seconds has failed.
    pub smtp_timeout_secs: u64,
}

impl Default for VoicemailSection {
    fn default() -> Self {
        Self {
            smtp_server: String::new(),
            smtp_from: String::new(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_timeout_secs: 20,
        }
    }
}

impl VoicemailSection {
    /// The mail server settings, when one is set.
    pub fn smtp(&self) -> Option<voxide_switch::SmtpConfig> {
        (!self.smtp_server.is_empty()).then(|| voxide_switch::SmtpConfig {
            server: self.smtp_server.clone(),
            from: self.smtp_from.clone(),
            credentials: (!self.smtp_username.is_empty())
                .then(|| (self.smtp_username.clone(), self.smtp_password.clone())),
            timeout: std::time::Duration::from_secs(self.smtp_timeout_secs),
        })
    }

    fn validate(&self, bad: &mut impl FnMut(&str, String)) {
        if !self.smtp_server.is_empty() {
            let port = self.smtp_server.rsplit_once(':').map(|(host, port)| (host, port.parse::<u16>()));
            let host_ok =
                |h: &str| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
            if !matches!(port, Some((host, Ok(p))) if p > 0 && host_ok(host)) {
                bad(
                    "voicemail.smtp_server",
                    format!("{:?} is not host:port such as 127.0.0.1:25 or mail.example.com:587", self.smtp_server),
                );
            }
        }
        let needed = !self.smtp_server.is_empty() || !self.smtp_from.is_empty();
        if needed && !voxide_switch::is_mail_address(&self.smtp_from) {
            bad(
                "voicemail.smtp_from",
                format!("{:?} is not an e-mail address (smtp_server needs one)", self.smtp_from),
            );
        }
        if self.smtp_username.is_empty() != self.smtp_password.is_empty() {
            let key = if self.smtp_username.is_empty() { "voicemail.smtp_username" } else { "voicemail.smtp_password" };
            bad(key, "smtp_username and smtp_password are set together".into());
        }
        if !(1..=600).contains(&self.smtp_timeout_secs) {
            bad("voicemail.smtp_timeout_secs", "must lie between 1 and 600".into());
        }
    }
}

/// A SIP trunk: calls from its address are trusted as the carrier's and
/// may reach our DIDs; dialled numbers matching its prefixes leave through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkConfig {
    pub name: String,
    /// `host:port` of the carrier's SIP server (an IP address).
    pub address: String,
    #[serde(default = "default_transport")]
    pub transport: String,
    /// Dialled numbers starting with any of these go out through this trunk.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Digits removed from the front of the number before sending.
    #[serde(default)]
    pub strip: usize,
    /// Digits put in front after stripping.
    #[serde(default)]
    pub prepend: String,
    /// Digest credentials, when the carrier challenges our INVITEs.
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// Register to the carrier (as `username`) and keep the registration fresh.
    #[serde(default)]
    pub register: bool,
}

fn default_transport() -> String {
    "udp".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSection {
    pub url: String,
    /// Key material that encrypts SIP passwords at rest. Empty: use
    /// `secret_key_file`, created with a random key on first start.
    pub secret_key: String,
    pub secret_key_file: String,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            url: "sqlite://data/voxide.db".into(),
            secret_key: String::new(),
            secret_key_file: "data/secret.key".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingsSection {
    pub dir: String,
}

impl Default for RecordingsSection {
    fn default() -> Self {
        Self { dir: "data/recordings".into() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SttSection {
    /// Path to a vosk model directory; empty disables transcription.
    pub vosk_model: String,
    /// Recognizer threads; each keeps up with two or three dictated calls.
    pub workers: usize,
    /// 100 ms audio chunks queued per worker before audio is dropped.
    pub queue: usize,
    /// Voice activity: frames louder than this (dBFS) may be speech.
    pub vad_threshold_dbfs: f32,
    /// Sound must last this long (ms) to count as speech.
    pub vad_min_speech_ms: u32,
    /// Silence after speech is reported once it lasts this long (ms).
    pub vad_min_silence_ms: u32,
}

impl Default for SttSection {
    fn default() -> Self {
        Self {
            vosk_model: String::new(),
            workers: 2,
            queue: 64,
            vad_threshold_dbfs: -45.0,
            vad_min_speech_ms: 100,
            vad_min_silence_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSection {
    /// A token accepted as the default tenant's super-admin. Empty: a token
    /// is generated and printed once on first start.
    pub bootstrap_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// A tracing filter such as `info` or `voxide_switch=debug,info`.
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self { level: "info".into() }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sip: SipSection,
    pub http: HttpSection,
    pub media: MediaSection,
    pub store: StoreSection,
    pub recordings: RecordingsSection,
    pub stt: SttSection,
    pub api: ApiSection,
    pub log: LogSection,
    pub calls: CallsSection,
    pub events: EventsSection,
    pub sms: SmsSection,
    pub ivr: IvrSection,
    pub voicemail: VoicemailSection,
    pub provider: ProviderConfig,
    pub trunks: Vec<TrunkConfig>,
}

/// Every problem found, one line each.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct ConfigErrors(pub Vec<String>);

const SECTIONS: [&str; 15] = [
    "sip",
    "http",
    "media",
    "store",
    "recordings",
    "stt",
    "api",
    "log",
    "calls",
    "events",
    "sms",
    "ivr",
    "voicemail",
    "provider",
    "trunks",
];

impl Config {
    /// Reads `path` (when given), applies `env` overrides, validates.
    pub fn load(
        path: Option<&std::path::Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut table = match path {
            None => Table::new(),
            Some(p) => match std::fs::read_to_string(p) {
                Err(e) => return Err(ConfigErrors(vec![format!("{}: {e}", p.display())])),
                Ok(text) => match text.parse::<Table>() {
                    Ok(t) => t,
                    Err(e) => return Err(ConfigErrors(vec![format!("{}: {e}", p.display())])),
                },
            },
        };
        apply_env(&mut table, env, &mut errors);
        let config = Config {
            sip: section(&table, "sip", &mut errors),
            http: section(&table, "http", &mut errors),
            media: section(&table, "media", &mut errors),
            store: section(&table, "store", &mut errors),
            recordings: section(&table, "recordings", &mut errors),
            stt: section(&table, "stt", &mut errors),
            api: section(&table, "api", &mut errors),
            log: section(&table, "log", &mut errors),
            calls: section(&table, "calls", &mut errors),
            events: section(&table, "events", &mut errors),
            sms: section(&table, "sms", &mut errors),
            ivr: section(&table, "ivr", &mut errors),
            voicemail: section(&table, "voicemail", &mut errors),
            provider: provider_section(&table, &mut errors),
            trunks: trunks_section(&table, &mut errors),
        };
        for key in table.keys().filter(|k| !SECTIONS.contains(&k.as_str())) {
            errors.push(format!("{key}: unknown section"));
        }
        config.validate(&mut errors);
        if errors.is_empty() { Ok(config) } else { Err(ConfigErrors(errors)) }
    }

    fn validate(&self, errors: &mut Vec<String>) {
        let mut bad = |key: &str, msg: String| errors.push(format!("{key}: {msg}"));
        if self.ivr.tts_command.contains("{text}") {
            bad("ivr.tts_command", "takes the text on standard input, not as {text}".into());
        }
        if !(500..=60_000).contains(&self.ivr.crawl_menu_silence_ms) {
            bad("ivr.crawl_menu_silence_ms", "must lie between 500 and 60000".into());
        }
        if !(1..=20).contains(&self.ivr.crawl_max_depth) {
            bad("ivr.crawl_max_depth", "must lie between 1 and 20".into());
        }
        if !(1..=10_000).contains(&self.ivr.crawl_max_calls) {
            bad("ivr.crawl_max_calls", "must lie between 1 and 10000".into());
        }
        if !(1..=100).contains(&self.ivr.crawl_max_attempts) {
            bad("ivr.crawl_max_attempts", "must lie between 1 and 100".into());
        }
        if !voxide_switch::dialable(&self.ivr.crawl_caller_id) {
            bad("ivr.crawl_caller_id", "must be 1 to 64 letters, digits or + - . _ * #".into());
        }
        if !self.ivr.known_prompts_dir.is_empty() && !std::path::Path::new(&self.ivr.known_prompts_dir).is_dir() {
            bad("ivr.known_prompts_dir", format!("{:?} is not a directory", self.ivr.known_prompts_dir));
        }
        if self.sip.listen.parse::<SocketAddr>().is_err() {
            bad("sip.listen", format!("{:?} is not an address such as 0.0.0.0:5060", self.sip.listen));
        }
        if self.http.listen.parse::<SocketAddr>().is_err() {
            bad("http.listen", format!("{:?} is not an address such as 127.0.0.1:8080", self.http.listen));
        }
        let domain_ok = !self.sip.domain.is_empty()
            && self.sip.domain.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if !domain_ok {
            bad("sip.domain", format!("{:?} is not a host name", self.sip.domain));
        }
        if self.sip.min_expires == 0 || self.sip.min_expires > self.sip.max_expires {
            bad("sip.min_expires", "must be at least 1 and at most sip.max_expires".into());
        }
        if !(self.sip.min_expires..=self.sip.max_expires).contains(&self.sip.default_expires) {
            bad("sip.default_expires", "must lie between sip.min_expires and sip.max_expires".into());
        }
        if self.sip.nonce_lifetime_secs == 0 {
            bad("sip.nonce_lifetime_secs", "must be at least 1".into());
        }
        if self.rtp_ports().is_none() {
            bad(
                "media.rtp_ports",
                format!("{:?} is not a range LOW-HIGH of ports with at least 2 ports", self.media.rtp_ports),
            );
        }
        if !self.media.public_ip.is_empty() && self.media.public_ip.parse::<IpAddr>().is_err() {
            bad("media.public_ip", format!("{:?} is not an IP address", self.media.public_ip));
        }
        let url = &self.store.url;
        if !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bad("store.url", format!("{url:?} must start with sqlite:// or postgres://"));
        }
        if self.store.secret_key.is_empty() && self.store.secret_key_file.is_empty() {
            bad("store.secret_key_file", "set store.secret_key or store.secret_key_file".into());
        }
        if self.recordings.dir.is_empty() {
            bad("recordings.dir", "must not be empty".into());
        }
        if !self.stt.vosk_model.is_empty() && !std::path::Path::new(&self.stt.vosk_model).is_dir() {
            bad("stt.vosk_model", format!("{:?} is not a directory", self.stt.vosk_model));
        }
        if !self.api.bootstrap_token.is_empty() && self.api.bootstrap_token.len() < 16 {
            bad("api.bootstrap_token", "must be at least 16 characters".into());
        }
        if self.http.max_body_bytes < 1024 {
            bad("http.max_body_bytes", "must be at least 1024".into());
        }
        if !self.calls.condition_clock.is_empty() && self.calls.condition_now().is_none() {
            bad("calls.condition_clock", "must be an RFC 3339 time such as 2026-11-23T09:30:00Z, or empty".into());
        }
        if self.calls.ring_timeout_secs == 0 {
            bad("calls.ring_timeout_secs", "must be at least 1".into());
        }
        if !(1..=64).contains(&self.stt.workers) {
            bad("stt.workers", "must lie between 1 and 64".into());
        }
        if !(1..=100_000).contains(&self.stt.queue) {
            bad("stt.queue", "must lie between 1 and 100000".into());
        }
        if !(-90.0..=0.0).contains(&self.stt.vad_threshold_dbfs) {
            bad("stt.vad_threshold_dbfs", "must lie between -90 and 0".into());
        }
        if self.stt.vad_min_silence_ms < 100 {
            bad("stt.vad_min_silence_ms", "must be at least 100".into());
        }
        if !self.stt.vosk_model.is_empty() && !std::path::Path::new(&self.stt.vosk_model).is_dir() {
            bad("stt.vosk_model", format!("{:?} is not a directory", self.stt.vosk_model));
        }
        if !(1..=1_000_000).contains(&self.events.buffer) {
            bad("events.buffer", "must lie between 1 and 1000000".into());
        }
        let url = &self.sms.inbound_callback;
        let web = url.starts_with("http://") || url.starts_with("https://");
        if !url.is_empty() && !web {
            bad("sms.inbound_callback", format!("{url:?} is not an http:// or https:// URL"));
        }
        for (key, secret) in
            [("sms.inbound_secret", &self.sms.inbound_secret), ("sms.callback_secret", &self.sms.callback_secret)]
        {
            if !secret.is_empty() && secret.len() < 16 {
                bad(key, "must be at least 16 characters".into());
            }
        }
        self.voicemail.validate(&mut bad);
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            bad("log.level", format!("{:?} is not a log filter", self.log.level));
        }
    }

    /// The address SDP and SIP headers advertise: `media.public_ip`, else
    /// the SIP listen address, else loopback when that is a wildcard.
    pub fn advertised_ip(&self) -> IpAddr {
        if let Ok(ip) = self.media.public_ip.parse() {
            return ip;
        }
        match self.sip.listen.parse::<SocketAddr>() {
            Ok(a) if !a.ip().is_unspecified() => a.ip(),
            Ok(a) if a.is_ipv6() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            _ => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        }
    }

    /// The inclusive RTP port range.
    pub fn rtp_ports(&self) -> Option<(u16, u16)> {
        let (lo, hi) = self.media.rtp_ports.split_once('-')?;
        let (lo, hi) = (lo.trim().parse::<u16>().ok()?, hi.trim().parse::<u16>().ok()?);
        (lo >= 1024 && lo < hi).then_some((lo, hi))
    }
}

/// Applies `VOXIDE_<SECTION>_<KEY>` overrides. A value that reads as a TOML
/// value (number, boolean) is taken as one, anything else as a string.
fn apply_env(table: &mut Table, env: impl Iterator<Item = (String, String)>, errors: &mut Vec<String>) {
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("VOXIDE_") else { continue };
        let Some((section, key)) = rest.split_once('_') else { continue };
        let section = section.to_ascii_lowercase();
        if !SECTIONS.contains(&section.as_str()) {
            continue; // e.g. VOXIDE_TEST_…: not a setting
        }
        let key = key.to_ascii_lowercase();
        let parsed = if is_text_key(&section, &key) {
            toml::Value::String(value.clone())
        } else {
            format!("v = {value}")
                .parse::<Table>()
                .ok()
                .and_then(|mut t| t.remove("v"))
                .filter(|v| !v.is_table())
                .unwrap_or_else(|| toml::Value::String(value.clone()))
        };
        match table.entry(section.clone()).or_insert_with(|| toml::Value::Table(Table::new())) {
            toml::Value::Table(t) => {
                t.insert(key, parsed);
            }
            _ => errors.push(format!("{section}: must be a table (set by {name})")),
        }
    }
}

/// Whether `section.key` holds text, so an environment value for it is taken
/// as given even when it reads as a number (a numeric Flowroute access key,
/// an all-digit token).
fn is_text_key(section: &str, key: &str) -> bool {
    let defaults = toml::Value::try_from(Config::default()).ok().and_then(|c| c.get(section).cloned());
    let flowroute = (section == "provider")
        .then(|| toml::Value::try_from(ProviderConfig::Flowroute(FlowrouteConfig::new("", ""))).ok())
        .flatten();
    [defaults, flowroute].iter().flatten().any(|t| t.get(key).is_some_and(toml::Value::is_str))
}

/// Deserialises one section key by key, so every bad key is reported, not
/// just the first; the default stands for each bad key.
fn section<T: DeserializeOwned + Serialize + Default>(table: &Table, name: &str, errors: &mut Vec<String>) -> T {
    let Some(value) = table.get(name) else { return T::default() };
    let Some(given) = value.as_table() else {
        errors.push(format!("{name}: must be a table"));
        return T::default();
    };
    let mut merged = match toml::Value::try_from(T::default()) {
        Ok(toml::Value::Table(t)) => t,
        _ => Table::new(),
    };
    for (key, v) in given {
        if !merged.contains_key(key) {
            errors.push(format!("{name}.{key}: unknown setting"));
            continue;
        }
        let previous = merged.insert(key.clone(), v.clone());
        if let Err(e) = toml::Value::Table(merged.clone()).try_into::<T>() {
            errors.push(format!("{name}.{key}: {}", e.message()));
            if let Some(p) = previous {
                merged.insert(key.clone(), p);
            }
        }
    }
    toml::Value::Table(merged).try_into::<T>().unwrap_or_default()
}

fn trunks_section(table: &Table, errors: &mut Vec<String>) -> Vec<TrunkConfig> {
    let Some(v) = table.get("trunks") else { return Vec::new() };
    let trunks: Vec<TrunkConfig> = match v.clone().try_into() {
        Ok(t) => t,
        Err(e) => {
            errors.push(format!("trunks: {}", e.message()));
            return Vec::new();
        }
    };
    for (i, t) in trunks.iter().enumerate() {
        if t.address.parse::<SocketAddr>().is_err() {
            errors.push(format!("trunks[{i}].address: {:?} is not an address such as 192.0.2.10:5060", t.address));
        }
        if !matches!(t.transport.as_str(), "udp" | "tcp") {
            errors.push(format!("trunks[{i}].transport: must be \"udp\" or \"tcp\""));
        }
        if t.prefixes.iter().any(|p| !p.chars().all(|c| c.is_ascii_digit())) {
            errors.push(format!("trunks[{i}].prefixes: prefixes are digits"));
        }
    }
    trunks
}

fn provider_section(table: &Table, errors: &mut Vec<String>) -> ProviderConfig {
    match table.get("provider") {
        None => ProviderConfig::default(),
        Some(v) => v.clone().try_into::<ProviderConfig>().unwrap_or_else(|e| {
            errors.push(format!("provider: {}", e.message()));
            ProviderConfig::default()
        }),
    }
}

#[cfg(test)]
mod tests;
