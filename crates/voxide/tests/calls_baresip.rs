//! Two real softphones (baresip, the Debian package) register to the switch
//! and call each other through it: the caller hears ringing, the callee
//! answers, each one's microphone is a sine tone (1000 Hz for the caller,
//! 800 Hz for the callee) and each records what it hears. Both tones must
//! arrive intact across the switch's RTP relay, and the call must end in a
//! NORMAL_CLEARING CDR.

use std::time::Duration;

use voxide_testkit::audio::{assert_heard, tone, tone_at};
use voxide_testkit::{Baresip, PhoneSpec, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// baresip 1.0 answers only MD5 challenges; see `sip.digest_sha256`.
const MD5_ONLY: (&str, &str) = ("VOXIDE_SIP_DIGEST_SHA256", "false");

/// The switch's RTP ports in this test.
const RTP_PORTS: std::ops::RangeInclusive<u16> = 33000..=33999;

/// How long the phones talk once the call is up.
const TALK: Duration = Duration::from_secs(3);

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

#[test]
fn two_baresip_phones_call_each_other_and_hear_each_others_tone() {
    let ports = format!("{}-{}", RTP_PORTS.start(), RTP_PORTS.end());
    let server = Server::start(BIN, &[MD5_ONLY, ("VOXIDE_MEDIA_RTP_PORTS", &ports)]);
    let (caller_mic, callee_mic) = (tone(server.dir(), 1000), tone(server.dir(), 800));
    let (mut caller, mut callee) =
        server.two_phones(PhoneSpec::new(&caller_mic), PhoneSpec::new(&callee_mic).extra(";answermode=auto"));

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

#[test]
fn an_opus_phone_and_a_pcmu_phone_hear_each_others_tone_through_the_transcoder() {
    let ports = "33400-33599";
    let server = Server::start(BIN, &[MD5_ONLY, ("VOXIDE_MEDIA_RTP_PORTS", ports)]);
    // The caller speaks only Opus, the callee only PCMU: the switch must
    // offer the callee PCMU and transcode.
    let (caller_mic, callee_mic) = (tone_at(server.dir(), 1000, 48000, 2), tone(server.dir(), 800));
    let (mut caller, mut callee) = server.two_phones(
        PhoneSpec::new(&caller_mic).extra(";audio_codecs=opus/48000/2").modules(&["opus.so"]),
        PhoneSpec::new(&callee_mic).extra(";answermode=auto;audio_codecs=PCMU"),
    );

    let within = Duration::from_secs(10);
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", within);
    callee.wait_event("CALL_ESTABLISHED", within);
    std::thread::sleep(TALK);
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", within);
    callee.wait_event("CALL_CLOSED", within);
    caller.quit();
    callee.quit();

    let transcoded = server.metric("voxide_rtp_packets_transcoded_total");
    assert!(transcoded >= 200.0, "only {transcoded} packets transcoded\n{}", server.log());
    assert_heard(&callee, "the PCMU callee", 1000.0, 800.0);
    assert_heard(&caller, "the Opus caller", 800.0, 1000.0);
}
