//! baresip (the Debian package) as a real phone, run headless in a
//! scratch configuration directory: either registering only (`start`), or
//! placing and answering calls with a WAV file as its microphone, recording
//! what it hears, driven over its `ctrl_tcp` JSON interface (`phone`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running baresip. Killed on drop; its directory is removed.
pub struct Baresip {
    child: Option<Child>,
    pub dir: PathBuf,
    /// Where its SIP stack listens (UDP and TCP on 127.0.0.1).
    pub port: u16,
    /// The `ctrl_tcp` connection of a `phone`.
    ctrl: Option<TcpStream>,
    /// Bytes read from `ctrl` and not yet parsed.
    inbox: Vec<u8>,
    events: Vec<Value>,
    commands_sent: u32,
}

impl Baresip {
    /// Starts baresip with `account` as the one line of its `accounts`
    /// file, e.g. `<sip:1001@127.0.0.1:5060;transport=tcp>;auth_pass=…`.
    /// Only the account module is loaded: registering needs no audio.
    pub fn start(account: &str) -> Baresip {
        let (dir, port) = scratch();
        let config = format!(
            "poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:{port}\n\
             module_path\t\t/usr/lib/baresip/modules\nmodule_app\t\taccount.so\n"
        );
        Baresip::spawn(dir, port, &config, account)
    }

    /// Starts baresip as a phone that places and answers calls: `account`
    /// as in `start` (add `;answermode=auto` to answer every call),
    /// PCMU/PCMA only, media on 127.0.0.1. `microphone` is what it sends: a
    /// WAV file, 8 kHz mono 16-bit; baresip ends a call when the file runs
    /// out, so make it longer than the call. What it hears is dumped to
    /// `heard()`. Drive it with `command` and watch it with `wait_event`.
    pub fn phone(account: &str, microphone: &Path) -> Baresip {
        Baresip::phone_with(account, microphone, &[])
    }

    /// A `phone` that also loads `modules` (e.g. `opus.so`); limit what it
    /// offers with `;audio_codecs=…` in `account`.
    pub fn phone_with(account: &str, microphone: &Path, modules: &[&str]) -> Baresip {
        let (dir, port) = scratch();
        let extra: String = modules.iter().map(|m| format!("module\t\t\t{m}\n")).collect();
        let ctrl_port = loop {
            let p = crate::free_port();
            if p != port && p != port + 1 {
                break p;
            }
        };
        let rec = dir.join("rec");
        std::fs::create_dir_all(&rec).expect("baresip rec dir");
        // The player is a bridge device nothing reads from: a silent sink.
        // sndfile records the decoded audio before it reaches the player.
        let config = format!(
            "poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:{port}\nnet_interface\t\t127.0.0.1\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             audio_source\t\taufile,{mic}\naudio_player\t\taubridge,sink-{port}\n\
             audio_alert\t\taubridge,sink-{port}\nsnd_path\t\t{rec}\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n\
             module\t\t\tg711.so\nmodule\t\t\taufile.so\nmodule\t\t\taubridge.so\n\
             module\t\t\tsndfile.so\nmodule_tmp\t\taccount.so\n\
             module_app\t\tmenu.so\nmodule_app\t\tctrl_tcp.so\n{extra}",
            mic = microphone.display(),
            rec = rec.display(),
        );
        let mut phone = Baresip::spawn(dir, port, &config, account);
        let deadline = Instant::now() + Duration::from_secs(10);
        while phone.ctrl.is_none() {
            assert!(phone.running(), "baresip exited:\n{}", phone.log());
            assert!(Instant::now() < deadline, "baresip ctrl_tcp never listened:\n{}", phone.log());
            phone.ctrl = TcpStream::connect(("127.0.0.1", ctrl_port)).ok();
            std::thread::sleep(Duration::from_millis(20));
        }
        phone
    }

    fn spawn(dir: PathBuf, port: u16, config: &str, account: &str) -> Baresip {
        std::fs::write(dir.join("config"), config).expect("baresip config");
        std::fs::write(dir.join("accounts"), format!("{account}\n")).expect("baresip accounts");
        let log = std::fs::File::create(dir.join("baresip.log")).expect("baresip log");
        // `-s` traces SIP into the log, which is what a failing test shows.
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir)
            .arg("-s")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run baresip (is the baresip package installed?): {e}"));
        Baresip { child: Some(child), dir, port, ctrl: None, inbox: Vec::new(), events: Vec::new(), commands_sent: 0 }
    }

    /// Everything it printed so far (the SIP trace included).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Runs a command of a `phone` (`dial` with the URI as `params`,
    /// `hangup`, …) and returns its output; panics if it fails or gets no
    /// answer within 5 s.
    pub fn command(&mut self, command: &str, params: &str) -> String {
        let token = self.send(command, params);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.next_message(deadline) {
                Some(m) if m["response"] == true && m["token"] == token.as_str() => {
                    assert!(m["ok"] == true, "baresip {command} {params}: {m}\n{}", self.log());
                    return m["data"].as_str().unwrap_or_default().to_string();
                }
                Some(_) => {}
                None => panic!("baresip did not answer {command} {params}:\n{}", self.log()),
            }
        }
    }

    /// Sends a command to a `phone`'s `ctrl_tcp`; returns its token.
    fn send(&mut self, command: &str, params: &str) -> String {
        self.commands_sent += 1;
        let token = format!("cmd-{}", self.commands_sent);
        let body = serde_json::json!({ "command": command, "params": params, "token": token }).to_string();
        let ctrl = self.ctrl.as_mut().expect("commands need a phone");
        ctrl.write_all(format!("{}:{body},", body.len()).as_bytes()).expect("ctrl_tcp write");
        token
    }

    /// The first event of type `kind` (`CALL_RINGING`, `CALL_ESTABLISHED`,
    /// `CALL_CLOSED`, …) a `phone` reported since it started, waiting up to
    /// `within` for it; panics with the log if none comes.
    pub fn wait_event(&mut self, kind: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(e) = self.events.iter().find(|e| e["type"] == kind) {
                return e.clone();
            }
            if self.next_message(deadline).is_none() {
                panic!("baresip never reported {kind}; events: {:?}\n{}", self.event_types(), self.log());
            }
        }
    }

    /// The `n`-th event of type `kind` (counting from 1) a `phone` reported
    /// since it started, waiting up to `within`: for a phone in several calls.
    pub fn wait_nth_event(&mut self, kind: &str, n: usize, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            if let Some(e) = self.events.iter().filter(|e| e["type"] == kind).nth(n.saturating_sub(1)) {
                return e.clone();
            }
            if self.next_message(deadline).is_none() {
                panic!("baresip never reported {kind} #{n}; events: {:?}\n{}", self.event_types(), self.log());
            }
        }
    }

    /// Every event of type `kind` a `phone` reports until `until` passes
    /// (e.g. `CALL_DTMF_START`, whose `param` is the digit).
    pub fn events_until(&mut self, kind: &str, until: Instant) -> Vec<Value> {
        while self.next_message(until).is_some() {}
        self.events.iter().filter(|e| e["type"] == kind).cloned().collect()
    }

    /// The types of the events a `phone` reported so far, in order.
    pub fn event_types(&self) -> Vec<String> {
        self.events.iter().map(|e| e["type"].as_str().unwrap_or_default().to_string()).collect()
    }

    /// Quits a `phone` cleanly (it unregisters and closes its recordings)
    /// and waits up to 5 s for it to exit.
    pub fn quit(&mut self) {
        // It may exit before its answer gets out: wait for the exit instead.
        self.send("quit", "");
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The WAV file (8 kHz mono 16-bit) of what a `phone` heard in its call:
    /// the decoded audio it received.
    pub fn heard(&self) -> PathBuf {
        let rec = self.dir.join("rec");
        std::fs::read_dir(&rec)
            .expect("baresip rec dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .unwrap_or_else(|| panic!("baresip recorded nothing in {}:\n{}", rec.display(), self.log()))
    }

    /// The next message from `ctrl_tcp` (a netstring holding JSON), events
    /// kept in `events`; None once `deadline` passes.
    fn next_message(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(colon) = self.inbox.iter().position(|&b| b == b':') {
                let len: usize =
                    std::str::from_utf8(&self.inbox[..colon]).ok().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
                        panic!("bad netstring from baresip: {:?}", String::from_utf8_lossy(&self.inbox))
                    });
                let end = colon + 1 + len;
                if self.inbox.len() > end {
                    let message: Value = serde_json::from_slice(&self.inbox[colon + 1..end]).expect("ctrl_tcp JSON");
                    self.inbox.drain(..=end);
                    if message["event"] == true {
                        self.events.push(message.clone());
                    }
                    return Some(message);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let ctrl = self.ctrl.as_mut().expect("ctrl_tcp");
            ctrl.set_read_timeout(Some(left)).expect("read timeout");
            let mut chunk = [0u8; 4096];
            match ctrl.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.inbox.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return None;
                }
                Err(e) => panic!("ctrl_tcp read: {e}"),
            }
        }
    }
}

/// A scratch directory and a SIP port whose next port is free too: baresip
/// also listens on port + 1 (for TLS).
fn scratch() -> (PathBuf, u16) {
    let dir = std::env::temp_dir().join(format!("baresip-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("baresip dir");
    loop {
        let port = crate::free_port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return (dir, port);
        }
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// What one of `two_phones`' phones is: its microphone (a WAV file), text
/// added to its account line (e.g. `;answermode=auto`), extra modules.
#[derive(Clone, Copy)]
pub struct PhoneSpec<'a> {
    pub mic: &'a Path,
    pub extra: &'a str,
    pub modules: &'a [&'a str],
}

impl<'a> PhoneSpec<'a> {
    pub fn new(mic: &'a Path) -> Self {
        PhoneSpec { mic, extra: "", modules: &[] }
    }

    pub fn extra(self, extra: &'a str) -> Self {
        PhoneSpec { extra, ..self }
    }

    pub fn modules(self, modules: &'a [&'a str]) -> Self {
        PhoneSpec { modules, ..self }
    }
}

impl crate::Server {
    /// Extensions 1001 (password `secret-1001`) and 1002 with a baresip
    /// phone registered on each: the caller on 1001, the callee on 1002.
    pub fn two_phones(&self, caller: PhoneSpec<'_>, callee: PhoneSpec<'_>) -> (Baresip, Baresip) {
        let phones: Vec<Baresip> = [("1001", caller), ("1002", callee)]
            .into_iter()
            .map(|(user, spec)| {
                self.create_extension(user, &format!("secret-{user}"));
                let account = format!("<sip:{user}@{}>;auth_pass=secret-{user};regint=600{}", self.sip, spec.extra);
                Baresip::phone_with(&account, spec.mic, spec.modules)
            })
            .collect();
        let [caller, callee]: [Baresip; 2] = phones.try_into().unwrap_or_else(|_| unreachable!());
        self.wait_for_binding("1001", &caller.log());
        self.wait_for_binding("1002", &callee.log());
        (caller, callee)
    }
}
