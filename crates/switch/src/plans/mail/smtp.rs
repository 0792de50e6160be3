//! The SMTP dialogue of RFC 5321 for one message, sans-IO: replies are
//! framed from bytes ([`Reply::parse`]) and fed to a [`Dialogue`], which
//! answers with the next command to send or an error naming the step the
//! server refused. The socket loop around it is in `super::deliver`.
//!
//! ```text
//!  Greeting ─220→ Ehlo ─250→ [Auth] ─→ MailFrom ─250→ RcptTo ─250/251→ Data
//!                  │5xx (no credentials)                                │354
//!                  └→ Helo ─250→ MailFrom          Quit ←250─ Message ←─┘
//! ```
//!
//! Auth is `AUTH PLAIN` (with its initial response) or `AUTH LOGIN`,
//! whichever the server lists after EHLO, when credentials are given.
//! STARTTLS is not spoken: the client is meant for a relay on a trusted
//! network (or the same host).

use super::message::base64;

/// A reply longer than this is not from a mail server worth waiting for.
pub(crate) const MAX_REPLY: usize = 16 * 1024;

/// The step of the dialogue a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStep {
    Greeting,
    Ehlo,
    Helo,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    /// The message text and its final `.`.
    Message,
    Quit,
}

impl std::fmt::Display for SmtpStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SmtpStep::Greeting => "the greeting",
            SmtpStep::Ehlo => "EHLO",
            SmtpStep::Helo => "HELO",
            SmtpStep::Auth => "AUTH",
            SmtpStep::MailFrom => "MAIL FROM",
            SmtpStep::RcptTo => "RCPT TO",
            SmtpStep::Data => "DATA",
            SmtpStep::Message => "the message",
            SmtpStep::Quit => "QUIT",
        })
    }
}

/// Why a message was not handed to the mail server.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The server's address did not resolve or refused the connection.
    #[error("connecting to {server}: {source}")]
    Connect { server: String, source: std::io::Error },
    /// Reading or writing the connection failed.
    #[error("at {step}: {source}")]
    Io { step: SmtpStep, source: std::io::Error },
    /// The server closed the connection before answering.
    #[error("the server closed the connection at {step}")]
    Closed { step: SmtpStep },
    /// The whole dialogue took longer than allowed.
    #[error("no answer within {0:?}")]
    TimedOut(std::time::Duration),
    /// The server answered a step with a code that is not a success.
    #[error("the server refused {step} with {code} {text}")]
    Rejected { step: SmtpStep, code: u16, text: String },
    /// The server's answer is not an SMTP reply.
    #[error("not an SMTP reply at {step}: {line:?}")]
    Malformed { step: SmtpStep, line: String },
    /// Credentials are set but the server lists neither PLAIN nor LOGIN.
    #[error("the server offers no AUTH PLAIN or LOGIN (it offers {offered:?})")]
    NoAuthMechanism { offered: String },
}

/// One reply: its code and the text of each line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) lines: Vec<String>,
}

/// Why bytes are not a reply (the step is added by the caller).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadReply(pub(crate) String);

impl Reply {
    /// The first complete reply at the start of `buf` and the bytes it
    /// took; `Ok(None)` while it is incomplete (more must be read).
    pub(crate) fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, BadReply> {
        let mut lines = Vec::new();
        let mut code = None;
        let mut at = 0;
        while let Some(end) = buf[at..].iter().position(|&b| b == b'\n') {
            let raw = &buf[at..at + end];
            at += end + 1;
            let line = String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw)).into_owned();
            let bytes = line.as_bytes();
            let digits = bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[0] != b'0';
            let sep = bytes.get(3).copied();
            if !digits || !matches!(sep, None | Some(b' ' | b'-')) {
                return Err(BadReply(line));
            }
            let this: u16 = line[..3].parse().map_err(|_| BadReply(line.clone()))?;
            if *code.get_or_insert(this) != this {
                return Err(BadReply(line));
            }
            lines.push(line.get(4..).unwrap_or_default().to_string());
            if sep != Some(b'-') {
                return Ok(Some((Reply { code: this, lines }, at)));
            }
        }
        if buf.len() > MAX_REPLY {
            return Err(BadReply(format!("{} bytes without the end of a reply", buf.len())));
        }
        Ok(None)
    }

    fn text(&self) -> String {
        let text = self.lines.join(" ");
        text.chars().take(200).collect()
    }
}

/// What to do after a reply.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Send(Vec<u8>),
    /// The server took the message and was told QUIT; close.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginStage {
    Username,
    Password,
    Sent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Ehlo,
    Helo,
    AuthPlain,
    AuthLogin(LoginStage),
    MailFrom,
    RcptTo,
    Data,
    Message,
    Quit,
    Finished,
}

/// One message's way through the dialogue.
pub(crate) struct Dialogue {
    state: State,
    /// How the client names itself in EHLO (a domain or address literal).
    client: String,
    from: String,
    to: String,
    credentials: Option<(String, String)>,
    /// The dot-stuffed message with its final `.` line.
    data: Vec<u8>,
}

impl Dialogue {
    /// Waits for the greeting; `data` is the message as DATA sends it.
    pub(crate) fn new(
        client: &str,
        from: &str,
        to: &str,
        credentials: Option<(String, String)>,
        data: Vec<u8>,
    ) -> Dialogue {
        Dialogue {
            state: State::Greeting,
            client: client.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            credentials,
            data,
        }
    }

    /// The step the next reply answers.
    pub(crate) fn step(&self) -> SmtpStep {
        match self.state {
            State::Greeting => SmtpStep::Greeting,
            State::Ehlo => SmtpStep::Ehlo,
            State::Helo => SmtpStep::Helo,
            State::AuthPlain | State::AuthLogin(_) => SmtpStep::Auth,
            State::MailFrom => SmtpStep::MailFrom,
            State::RcptTo => SmtpStep::RcptTo,
            State::Data => SmtpStep::Data,
            State::Message => SmtpStep::Message,
            State::Quit | State::Finished => SmtpStep::Quit,
        }
    }

    /// Takes the server's reply to the current step.
    pub(crate) fn on_reply(&mut self, reply: &Reply) -> Result<Next, SmtpError> {
        let step = self.step();
        let refused = || SmtpError::Rejected { step, code: reply.code, text: reply.text() };
        let (next, send) = match (self.state, reply.code) {
            (State::Greeting, 220) => (State::Ehlo, format!("EHLO {}\r\n", self.client).into_bytes()),
            (State::Ehlo, 250) => match &self.credentials {
                None => self.mail_from(),
                Some((user, pass)) => {
                    let offered = mechanisms(reply);
                    if offered.iter().any(|m| m == "PLAIN") {
                        let token = base64(format!("\0{user}\0{pass}").as_bytes());
                        (State::AuthPlain, format!("AUTH PLAIN {token}\r\n").into_bytes())
                    } else if offered.iter().any(|m| m == "LOGIN") {
                        (State::AuthLogin(LoginStage::Username), b"AUTH LOGIN\r\n".to_vec())
                    } else {
                        return Err(SmtpError::NoAuthMechanism { offered: offered.join(" ") });
                    }
                }
            },
            // A server that does not know EHLO (RFC 5321 §3.2); without
            // extensions there is no AUTH, so only when none is needed.
            (State::Ehlo, 500..=504 | 550) if self.credentials.is_none() => {
                (State::Helo, format!("HELO {}\r\n", self.client).into_bytes())
            }
            (State::Helo, 250) | (State::AuthPlain, 235) | (State::AuthLogin(LoginStage::Sent), 235) => {
                self.mail_from()
            }
            (State::AuthLogin(LoginStage::Username), 334) => {
                let user = self.credentials.as_ref().map(|c| c.0.as_str()).unwrap_or_default();
                (State::AuthLogin(LoginStage::Password), format!("{}\r\n", base64(user.as_bytes())).into_bytes())
            }
            (State::AuthLogin(LoginStage::Password), 334) => {
                let pass = self.credentials.as_ref().map(|c| c.1.as_str()).unwrap_or_default();
                (State::AuthLogin(LoginStage::Sent), format!("{}\r\n", base64(pass.as_bytes())).into_bytes())
            }
            (State::MailFrom, 250) => (State::RcptTo, format!("RCPT TO:<{}>\r\n", self.to).into_bytes()),
            (State::RcptTo, 250 | 251) => (State::Data, b"DATA\r\n".to_vec()),
            (State::Data, 354) => (State::Message, std::mem::take(&mut self.data)),
            (State::Message, 250) => (State::Quit, b"QUIT\r\n".to_vec()),
            // The message is taken: whatever QUIT gets, the work is done.
            (State::Quit | State::Finished, _) => {
                self.state = State::Finished;
                return Ok(Next::Done);
            }
            _ => return Err(refused()),
        };
        self.state = next;
        Ok(Next::Send(send))
    }

    fn mail_from(&self) -> (State, Vec<u8>) {
        (State::MailFrom, format!("MAIL FROM:<{}>\r\n", self.from).into_bytes())
    }
}

/// The SASL mechanisms an EHLO reply lists (`AUTH PLAIN LOGIN`, or the
/// older `AUTH=PLAIN LOGIN`), upper-cased.
fn mechanisms(ehlo: &Reply) -> Vec<String> {
    ehlo.lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let upper = line.to_ascii_uppercase();
            let rest = upper.strip_prefix("AUTH")?;
            rest.starts_with([' ', '=']).then(|| rest[1..].split_whitespace().map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Reply {
        let (r, used) = Reply::parse(text.as_bytes()).expect("a reply").expect("complete");
        assert_eq!(used, text.len());
        r
    }

    /// Feeds `replies` in turn; returns what the client sent, and how it ended.
    fn drive(d: &mut Dialogue, replies: &[&str]) -> (Vec<String>, Result<(), SmtpError>) {
        let mut sent = Vec::new();
        for r in replies {
            match d.on_reply(&reply(r)) {
                Ok(Next::Send(bytes)) => sent.push(String::from_utf8(bytes).expect("ASCII")),
                Ok(Next::Done) => return (sent, Ok(())),
                Err(e) => return (sent, Err(e)),
            }
        }
        (sent, Ok(()))
    }

    fn dialogue(credentials: Option<(&str, &str)>) -> Dialogue {
        let credentials = credentials.map(|(u, p)| (u.to_string(), p.to_string()));
        Dialogue::new("[127.0.0.1]", "pbx@example.com", "owner@example.org", credentials, b"Hi\r\n.\r\n".to_vec())
    }

    #[test]
    fn replies_are_framed_over_lines_and_partial_reads() {
        let text = b"250-mail.example.org greets [127.0.0.1]\r\n250-SIZE 10240000\r\n250 AUTH PLAIN LOGIN\r\n220 x";
        for cut in 0..70 {
            assert_eq!(Reply::parse(&text[..cut]), Ok(None), "{cut} bytes are not a whole reply");
        }
        let (r, used) = Reply::parse(text).expect("valid").expect("complete");
        assert_eq!(used, text.len() - 5);
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, ["mail.example.org greets [127.0.0.1]", "SIZE 10240000", "AUTH PLAIN LOGIN"]);
        assert_eq!(reply("354\n").lines, [""]);
        assert!(Reply::parse(b"hello there\r\n").is_err());
        assert!(Reply::parse(b"250-a\r\n251 b\r\n").is_err(), "one code per reply");
        assert!(Reply::parse(&vec![b'2'; MAX_REPLY + 1]).is_err());
    }

    #[test]
    fn a_message_goes_through_ehlo_mail_rcpt_data_and_quit() {
        let mut d = dialogue(None);
        let (sent, end) = drive(
            &mut d,
            &[
                "220 mx ready\r\n",
                "250-mx\r\n250 8BITMIME\r\n",
                "250 ok\r\n",
                "250 ok\r\n",
                "354 go\r\n",
                "250 queued\r\n",
                "221 bye\r\n",
            ],
        );
        end.expect("delivered");
        assert_eq!(
            sent,
            [
                "EHLO [127.0.0.1]\r\n",
                "MAIL FROM:<pbx@example.com>\r\n",
                "RCPT TO:<owner@example.org>\r\n",
                "DATA\r\n",
                "Hi\r\n.\r\n",
                "QUIT\r\n"
            ]
        );
    }

    #[test]
    fn a_refused_recipient_is_an_error_naming_rcpt_to() {
        let mut d = dialogue(None);
        let (sent, end) = drive(&mut d, &["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "550 5.1.1 no such user\r\n"]);
        assert_eq!(sent.last().map(String::as_str), Some("RCPT TO:<owner@example.org>\r\n"));
        let err = end.expect_err("refused");
        assert!(
            matches!(&err, SmtpError::Rejected { step: SmtpStep::RcptTo, code: 550, text } if text == "5.1.1 no such user"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "the server refused RCPT TO with 550 5.1.1 no such user");
    }

    #[test]
    fn each_step_checks_its_code() {
        let steps = ["220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"];
        let wrong = [
            ("554 go away\r\n", SmtpStep::Greeting),
            ("421 busy\r\n", SmtpStep::Ehlo),
            ("451 later\r\n", SmtpStep::MailFrom),
            ("452 full\r\n", SmtpStep::RcptTo),
            ("503 no\r\n", SmtpStep::Data),
            ("552 too big\r\n", SmtpStep::Message),
        ];
        for (i, (bad, step)) in wrong.iter().enumerate() {
            let mut replies: Vec<&str> = steps[..i].to_vec();
            replies.push(bad);
            let (_, end) = drive(&mut dialogue(None), &replies);
            match end {
                Err(SmtpError::Rejected { step: s, .. }) => assert_eq!(s, *step, "{bad}"),
                other => panic!("{bad} at {step}: {other:?}"),
            }
        }
    }

    #[test]
    fn auth_plain_is_preferred_and_login_is_used_when_it_is_all_there_is() {
        let mut d = dialogue(Some(("pbx", "s3cret")));
        let (sent, end) =
            drive(&mut d, &["220 mx\r\n", "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 SIZE\r\n", "235 ok\r\n"]);
        end.expect("going on");
        assert_eq!(sent[1], format!("AUTH PLAIN {}\r\n", base64(b"\0pbx\0s3cret")));
        assert_eq!(sent[2], "MAIL FROM:<pbx@example.com>\r\n");

        let mut d = dialogue(Some(("pbx", "s3cret")));
        let replies = [
            "220 mx\r\n",
            "250-mx\r\n250 AUTH=LOGIN\r\n",
            "334 VXNlcm5hbWU6\r\n",
            "334 UGFzc3dvcmQ6\r\n",
            "235 ok\r\n",
        ];
        let (sent, end) = drive(&mut d, &replies);
        end.expect("going on");
        assert_eq!(sent[1..], ["AUTH LOGIN\r\n", "cGJ4\r\n", "czNjcmV0\r\n", "MAIL FROM:<pbx@example.com>\r\n"]);

        let (_, end) = drive(&mut dialogue(Some(("pbx", "x"))), &["220 mx\r\n", "250-mx\r\n250 AUTH CRAM-MD5\r\n"]);
        assert!(matches!(end, Err(SmtpError::NoAuthMechanism { offered }) if offered == "CRAM-MD5"));

        let (_, end) = drive(&mut dialogue(Some(("pbx", "bad"))), &["220 mx\r\n", "250 AUTH PLAIN\r\n", "235 ok\r\n"]);
        assert!(end.is_err(), "AUTH on the first EHLO line is the greeting's text, not an extension");

        let (_, end) =
            drive(&mut dialogue(Some(("pbx", "bad"))), &["220 mx\r\n", "250-mx\r\n250 AUTH PLAIN\r\n", "535 no\r\n"]);
        assert!(matches!(end, Err(SmtpError::Rejected { step: SmtpStep::Auth, code: 535, .. })));
    }

    #[test]
    fn a_server_without_ehlo_is_spoken_to_with_helo() {
        let mut d = dialogue(None);
        let (sent, end) = drive(&mut d, &["220 old\r\n", "502 what\r\n", "250 old\r\n"]);
        end.expect("going on");
        assert_eq!(sent[1..], ["HELO [127.0.0.1]\r\n", "MAIL FROM:<pbx@example.com>\r\n"]);
    }

    #[test]
    fn any_bytes_from_the_server_are_framed_or_refused_without_panicking() {
        // A small LCG: the same inputs on every run.
        let mut seed: u64 = 0x5eed;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        let pieces: [&[u8]; 8] = [b"250", b"-", b" ", b"\r\n", b"\n", b"354", "é".as_bytes(), b"AUTH PLAIN"];
        for _ in 0..5000 {
            let mut buf = Vec::new();
            for _ in 0..(next() % 12) {
                match next() % 3 {
                    0 => buf.push(next()),
                    _ => buf.extend_from_slice(pieces[usize::from(next()) % pieces.len()]),
                }
            }
            let mut d = dialogue(Some(("pbx", "x")));
            let mut rest = buf.as_slice();
            while let Ok(Some((r, used))) = Reply::parse(rest) {
                assert!(used > 0 && used <= rest.len());
                rest = &rest[used..];
                if d.on_reply(&r).is_err() {
                    break;
                }
            }
        }
    }
}
