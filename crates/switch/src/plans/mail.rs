//! Voicemail by e-mail: when a box with an e-mail address keeps a message,
//! the owner is sent it (a short text and the WAV attached) through the
//! configured SMTP server, from a task of its own after the message is
//! stored, within a time limit. A failure is logged and counted
//! (`voxide_voicemail_email_failures_total`); the message stays either way.
//!
//! Layout: `message` (the e-mail's text, sans-IO), `smtp` (the RFC 5321
//! dialogue, sans-IO); this module is the thin socket part. Plain TCP
//! only: STARTTLS is not done, so the server should be a relay on the same
//! host or a trusted network.

mod message;
mod smtp;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use voxide_store::ExtensionFeatures;

use crate::control::SwitchControl;
use crate::stats::Stats;
pub(crate) use message::VoicemailNotice;
use smtp::{Dialogue, Next, Reply};
pub use smtp::{SmtpError, SmtpStep};

/// The mail server voicemail is sent through.
#[derive(Clone)]
pub struct SmtpConfig {
    /// `host:port` of the server (a name or an address).
    pub server: String,
    /// The sender address (envelope and `From:`).
    pub from: String,
    /// `AUTH PLAIN` or `LOGIN` with these, when set.
    pub credentials: Option<(String, String)>,
    /// The whole dialogue, connecting included, must end within this.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("server", &self.server)
            .field("from", &self.from)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Whether `s` can be put in an envelope as `<s>`: `local@domain`, no
/// spaces, angle brackets or control characters, at most 254 characters.
pub fn is_mail_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let plain = |c: char| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c);
    s.len() <= 254
        && !local.is_empty()
        && local.chars().all(|c| plain(c) && c != '@')
        && !domain.is_empty()
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

impl VoicemailNotice {
    /// Message `id`, just kept in `owner`'s box.
    pub(crate) fn kept(id: i64, caller: &str, owner: &ExtensionFeatures, duration_ms: i64) -> VoicemailNotice {
        VoicemailNotice {
            id,
            caller: caller.to_string(),
            extension: owner.sip_username.clone(),
            received: chrono::Utc::now(),
            duration_ms,
        }
    }
}

/// Mails `notice` to `to` with the WAV at `wav` attached, from a task of
/// its own, and returns at once; nothing happens without a mail server or
/// an address.
pub(crate) fn send_voicemail(
    smtp: Option<&SmtpConfig>,
    control: &SwitchControl,
    notice: VoicemailNotice,
    to: &str,
    wav: std::path::PathBuf,
) {
    let Some(smtp) = smtp.filter(|_| !to.is_empty()).cloned() else { return };
    let (control, to) = (control.clone(), to.to_string());
    tokio::spawn(async move {
        let id = notice.id;
        match mail_voicemail(&smtp, notice, &to, &wav).await {
            Ok(()) => {
                Stats::inc(&control.stats().voicemail_emails_sent);
                tracing::info!(voicemail = id, %to, server = %smtp.server, "voicemail e-mailed");
            }
            Err(e) => {
                Stats::inc(&control.stats().voicemail_email_failures);
                tracing::warn!(voicemail = id, %to, server = %smtp.server, cause = %e, "voicemail not e-mailed");
            }
        }
    });
}

/// Why a voicemail was not mailed.
#[derive(Debug, thiserror::Error)]
enum MailError {
    /// The message's recording could not be read.
    #[error("reading the recording: {0}")]
    Recording(std::io::Error),
    /// The box's address cannot be written in an envelope.
    #[error("{0:?} is not an e-mail address")]
    Address(String),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
}

async fn mail_voicemail(
    smtp: &SmtpConfig,
    notice: VoicemailNotice,
    to: &str,
    wav: &std::path::Path,
) -> Result<(), MailError> {
    if !is_mail_address(to) {
        return Err(MailError::Address(to.to_string()));
    }
    let audio = tokio::fs::read(wav).await.map_err(MailError::Recording)?;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let text = notice.mail(&smtp.from, to, audio, &unique).render();
    Ok(deliver(smtp, to, &text).await?)
}

/// Hands `message` for `to` to the server, within `smtp.timeout`.
async fn deliver(smtp: &SmtpConfig, to: &str, message: &str) -> Result<(), SmtpError> {
    let data = message::dot_stuffed(message);
    tokio::time::timeout(smtp.timeout, async {
        let mut stream = TcpStream::connect(&smtp.server)
            .await
            .map_err(|source| SmtpError::Connect { server: smtp.server.clone(), source })?;
        let client = match stream.local_addr() {
            Ok(std::net::SocketAddr::V4(a)) => format!("[{}]", a.ip()),
            Ok(std::net::SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
            Err(_) => "[127.0.0.1]".into(),
        };
        let mut dialogue = Dialogue::new(&client, &smtp.from, to, smtp.credentials.clone(), data);
        let mut buf = Vec::with_capacity(1024);
        loop {
            let step = dialogue.step();
            let reply = read_reply(&mut stream, &mut buf, step).await?;
            let io = |source| SmtpError::Io { step, source };
            match dialogue.on_reply(&reply) {
                Ok(Next::Send(bytes)) => stream.write_all(&bytes).await.map_err(io)?,
                Ok(Next::Done) => return Ok(()),
                Err(e) => {
                    // Polite, but nothing waits for the answer.
                    let _ = stream.write_all(b"QUIT\r\n").await;
                    return Err(e);
                }
            }
        }
    })
    .await
    .map_err(|_| SmtpError::TimedOut(smtp.timeout))?
}

async fn read_reply(stream: &mut TcpStream, buf: &mut Vec<u8>, step: SmtpStep) -> Result<Reply, SmtpError> {
    loop {
        match Reply::parse(buf) {
            Ok(Some((reply, used))) => {
                buf.drain(..used);
                return Ok(reply);
            }
            Ok(None) => {}
            Err(bad) => return Err(SmtpError::Malformed { step, line: bad.0 }),
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.map_err(|source| SmtpError::Io { step, source })?;
        if n == 0 {
            return Err(SmtpError::Closed { step });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_fit_an_envelope() {
        for good in ["a@example.com", "first.last+tag@mail.example.org", "x@localhost"] {
            assert!(is_mail_address(good), "{good}");
        }
        for bad in ["", "example.com", "@example.com", "a@", "a b@example.com", "a@exa mple.com", "<a>@x.org"] {
            assert!(!is_mail_address(bad), "{bad}");
        }
        assert!(!is_mail_address("a@x.org>\r\nRCPT TO:<b@y.org"));
        assert!(!is_mail_address("a@.example.com"));
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let c = SmtpConfig {
            server: "127.0.0.1:25".into(),
            from: "pbx@example.com".into(),
            credentials: Some(("pbx".into(), "hunter2".into())),
            timeout: Duration::from_secs(20),
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("pbx@example.com") && !shown.contains("hunter2"), "{shown}");
    }

    fn config(server: String, timeout_ms: u64) -> SmtpConfig {
        let timeout = Duration::from_millis(timeout_ms);
        SmtpConfig { server, from: "pbx@example.com".into(), credentials: None, timeout }
    }

    #[tokio::test]
    async fn a_silent_server_times_out_and_a_closing_one_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = tokio::spawn(async move {
            let (_silent, _) = listener.accept().await.expect("accept");
            let (mut closing, _) = listener.accept().await.expect("accept");
            closing.write_all(b"220 mx\r\n").await.expect("greet");
            let mut ehlo = [0u8; 64];
            let _ = closing.read(&mut ehlo).await;
            drop(closing);
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let err = deliver(&config(addr.clone(), 300), "o@example.org", "Hi\r\n").await.expect_err("no greeting");
        assert!(matches!(err, SmtpError::TimedOut(_)), "{err}");
        let err = deliver(&config(addr, 3000), "o@example.org", "Hi\r\n").await.expect_err("closed");
        assert!(matches!(err, SmtpError::Closed { step: SmtpStep::Ehlo }), "{err}");
        server.abort();
    }
}
