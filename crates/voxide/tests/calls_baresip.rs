//! Two real softphones (baresip, the Debian package) register to the switch
//! and call each other through it: the caller hears ringing, the callee
//! answers, each one's microphone is a sine tone (1000 Hz for the caller,
//! 800 Hz for the callee) and each records what it hears. Both tones must
//! arrive intact across the switch's RTP relay, and the call must end in a
//! NORMAL_CLEARING CDR.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use voxide_testkit::{Baresip, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// baresip 1.0 answers only MD5 challenges; see `sip.digest_sha256`.
const MD5_ONLY: (&str, &str) = ("VOXIDE_SIP_DIGEST_SHA256", "false");

/// The switch's RTP ports in this test.
const RTP_PORTS: std::ops::RangeInclusive<u16> = 33000..=33999;

const RATE: f64 = 8000.0;

/// How long the phones talk once the call is up.
const TALK: Duration = Duration::from_secs(3);

/// A 10 s sine of `hz` as 8 kHz mono 16-bit WAV, made by sox in `dir`: longer
/// than the call, since baresip hangs up when its microphone file ends.
fn tone(dir: &Path, hz: u32) -> PathBuf {
    let path = dir.join(format!("tone-{hz}.wav"));
    let out = Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(["synth", "10", "sine", &hz.to_string(), "vol", "0.5"])
        .output()
        .expect("run sox (is the sox package installed?)");
    assert!(out.status.success(), "sox: {}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The samples of a WAV file in [-1, 1], read through sox as 8 kHz mono.
fn samples(wav: &Path) -> Vec<f64> {
    let out = Command::new("sox")
        .arg(wav)
        .args(["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-r", "8000", "-L", "-"])
        .output()
        .expect("run sox");
    assert!(out.status.success(), "sox {}: {}", wav.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(2).map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0).collect()
}

/// Seconds of `samples` that are not silence (20 ms blocks with RMS > 0.05;
/// the tones have an RMS of 0.35).
fn audible_secs(samples: &[f64]) -> f64 {
    let block = (RATE / 50.0) as usize;
    let loud = samples
        .chunks_exact(block)
        .filter(|c| (c.iter().map(|s| s * s).sum::<f64>() / block as f64).sqrt() > 0.05)
        .count();
    loud as f64 / 50.0
}

/// The spectrum of a recording: Hann-windowed 1024-sample blocks whose
/// power at a frequency is measured with the Goertzel filter and averaged.
struct Spectrum(Vec<Vec<f64>>);

impl Spectrum {
    const N: usize = 1024;

    fn new(samples: &[f64]) -> Spectrum {
        let window: Vec<f64> =
            (0..Self::N).map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / Self::N as f64).cos()).collect();
        Spectrum(samples.chunks_exact(Self::N).map(|b| b.iter().zip(&window).map(|(x, w)| x * w).collect()).collect())
    }

    fn power(&self, hz: f64) -> f64 {
        let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / RATE).cos();
        let total: f64 = self
            .0
            .iter()
            .map(|block| {
                let (mut s1, mut s2) = (0.0, 0.0);
                for x in block {
                    let s0 = x + coeff * s1 - s2;
                    s2 = s1;
                    s1 = s0;
                }
                s1 * s1 + s2 * s2 - coeff * s1 * s2
            })
            .sum();
        total / self.0.len().max(1) as f64
    }

    /// The strongest frequency between 100 Hz and 3900 Hz, to 2 Hz.
    fn dominant_hz(&self) -> f64 {
        (50..=1950)
            .map(|i| f64::from(i) * 2.0)
            .map(|hz| (hz, self.power(hz)))
            .fold((0.0, f64::MIN), |best, (hz, p)| if p > best.1 { (hz, p) } else { best })
            .0
    }
}

/// Checks what `phone` heard: at least 2 s of sound whose dominant
/// frequency is `expected` and in which the `other` tone (its own) is
/// absent. Returns the measured frequency.
fn assert_heard(phone: &Baresip, who: &str, expected: f64, other: f64) -> f64 {
    let wav = phone.heard();
    let heard = samples(&wav);
    let secs = audible_secs(&heard);
    assert!(secs >= 2.0, "{who} heard only {secs} s of sound in {}:\n{}", wav.display(), phone.log());
    let spectrum = Spectrum::new(&heard);
    let hz = spectrum.dominant_hz();
    let (wanted, unwanted) = (spectrum.power(expected), spectrum.power(other));
    eprintln!(
        "{who} heard {secs:.2} s of sound at {hz} Hz ({expected} Hz / {other} Hz power: {:.0})",
        wanted / unwanted
    );
    assert!((hz - expected).abs() <= 10.0, "{who} heard {hz} Hz, not {expected} Hz");
    assert!(wanted > 1000.0 * unwanted, "{who} heard its own {other} Hz tone: {wanted} vs {unwanted}");
    hz
}

/// The audio ports in the SDP bodies a phone received from the switch.
fn offered_audio_ports(phone: &Baresip, server: &Server) -> Vec<u16> {
    let inbound = format!("UDP {} -> 127.0.0.1:{}", server.sip, phone.port);
    let log = phone.log();
    let mut ports = Vec::new();
    let mut from_switch = false;
    for line in log.lines() {
        if line.starts_with("UDP ") {
            from_switch = line.trim() == inbound;
        } else if from_switch && let Some(rest) = line.strip_prefix("m=audio ") {
            ports.extend(rest.split(' ').next().and_then(|p| p.parse::<u16>().ok()));
        }
    }
    ports
}

fn wait_for_binding(server: &Server, phone: &Baresip, user: &str) {
    let aor = format!("sip:{user}@voxide.local");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = server.get("/api/registrations/");
        assert_eq!(status, 200, "{body}");
        if body.as_array().is_some_and(|list| list.iter().any(|b| b["aor"] == aor.as_str())) {
            return;
        }
        assert!(Instant::now() < deadline, "{aor} never registered\n{}\n{}", phone.log(), server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_baresip_phones_call_each_other_and_hear_each_others_tone() {
    let ports = format!("{}-{}", RTP_PORTS.start(), RTP_PORTS.end());
    let server = Server::start(BIN, &[MD5_ONLY, ("VOXIDE_MEDIA_RTP_PORTS", &ports)]);
    server.create_extension("1001", "secret-1001");
    server.create_extension("1002", "secret-1002");
    let account =
        |user: &str, extra: &str| format!("<sip:{user}@{}>;auth_pass=secret-{user};regint=600{extra}", server.sip);
    let mut caller = Baresip::phone(&account("1001", ""), &tone(server.dir(), 1000));
    let mut callee = Baresip::phone(&account("1002", ";answermode=auto"), &tone(server.dir(), 800));
    wait_for_binding(&server, &caller, "1001");
    wait_for_binding(&server, &callee, "1002");

    let within = Duration::from_secs(10);
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_RINGING", within);
    caller.wait_event("CALL_ESTABLISHED", within);
    callee.wait_event("CALL_ESTABLISHED", within);
    let events = caller.event_types();
    let at = |kind: &str| events.iter().position(|e| e == kind);
    assert!(at("CALL_RINGING") < at("CALL_ESTABLISHED"), "the caller heard no ringing before the answer: {events:?}");

    std::thread::sleep(TALK);
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", within);
    // The switch passes the hangup on to the callee.
    callee.wait_event("CALL_CLOSED", within);
    caller.quit();
    callee.quit();

    // The media went through the switch: each phone was given one of the
    // switch's RTP ports, not the other phone's.
    for (phone, who) in [(&caller, "caller"), (&callee, "callee")] {
        let offered = offered_audio_ports(phone, &server);
        assert!(!offered.is_empty(), "the {who} got no SDP from the switch:\n{}", phone.log());
        assert!(offered.iter().all(|p| RTP_PORTS.contains(p)), "the {who} was offered {offered:?}");
    }
    // 50 packets a second each way for 3 s; some slack for the edges.
    let relayed = server.metric("voxide_rtp_packets_relayed_total");
    assert!(relayed >= 200.0, "only {relayed} RTP packets relayed\n{}", server.log());

    assert_heard(&callee, "the callee", 1000.0, 800.0);
    assert_heard(&caller, "the caller", 800.0, 1000.0);

    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert_eq!(cdr["call_from"], "1001", "{cdr}");
    assert_eq!(cdr["call_to"], "1002", "{cdr}");
    assert!(!cdr["answered_at"].is_null(), "{cdr}");
    let billed = cdr["bill_duration"].as_i64().unwrap_or(-1);
    assert!((2..=10).contains(&billed), "bill_duration {billed}: {cdr}");
}
