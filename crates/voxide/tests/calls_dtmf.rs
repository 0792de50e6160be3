//! DTMF across the switch with real peers. A SIPp caller sends the RFC 4733
//! key presses captured in the files that ship with SIPp (laid out as one
//! stream, and again with 5 % of the packets lost on the way) or SIP INFO
//! digits; a baresip phone answers and reports every digit it receives.
//! The switch must hear each digit exactly once and pass it on exactly
//! once, regenerated with the callee's payload type. The other way round,
//! baresip presses keys toward a SIPp caller that echoes its RTP: each key
//! reaches SIPp and comes back through the switch once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use voxide_testkit::audio::tone;
use voxide_testkit::{Baresip, Server, Sipp, dtmf_pcap, testdata};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// Every DTMF key of a phone, in the order the test presses them.
const ALL_KEYS: &str = "0123456789*#";

/// Seconds between key presses in the generated capture.
const PRESS_GAP: f64 = 0.4;

/// A switch with 1001 (the SIPp caller) and 1002 (baresip), and baresip
/// registered and answering on its own.
fn switch_and_callee(rtp_ports: &str) -> (Server, Baresip) {
    let server = Server::start(BIN, &[("VOXIDE_SIP_DIGEST_SHA256", "false"), ("VOXIDE_MEDIA_RTP_PORTS", rtp_ports)]);
    server.create_extension("1001", "secret-1001");
    server.create_extension("1002", "secret-1002");
    let account = format!("<sip:1002@{}>;auth_pass=secret-1002;regint=600;answermode=auto", server.sip);
    let callee = Baresip::phone(&account, &tone(server.dir(), 440));
    server.wait_for_binding("1002", &callee.log());
    (server, callee)
}

/// The SIPp caller scenario with `digits` (scenario XML) in the middle.
fn caller_scenario(dir: &Path, name: &str, digits: &str, bye_cseq: u32) -> PathBuf {
    let template = std::fs::read_to_string(testdata().join("sipp/calls/uac_dtmf.xml.in")).expect("template");
    let path = dir.join(format!("{name}.xml"));
    let text = template.replace("{DIGITS}", digits).replace("{BYE_CSEQ}", &bye_cseq.to_string());
    std::fs::write(&path, text).expect("write scenario");
    path
}

fn play_pcap(pcap: &Path, secs: f64) -> String {
    format!(
        "  <nop>\n    <action>\n      <exec play_pcap_audio=\"{}\"/>\n    </action>\n  </nop>\n  \
         <pause milliseconds=\"{}\"/>",
        pcap.display(),
        (secs * 1000.0) as u64
    )
}

/// One SIP INFO per digit (`application/dtmf-relay`), CSeq 3 onwards.
fn info_requests(digits: &str) -> String {
    digits
        .chars()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "  <send retrans=\"500\">\n    <![CDATA[\n      INFO [next_url] SIP/2.0\n      \
                 Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport\n      \
                 From: <sip:[field0]@voxide.local>;tag=[pid]SIPpTag00[call_number]\n      \
                 To: <sip:[service]@voxide.local>[peer_tag_param]\n      Call-ID: [call_id]\n      \
                 CSeq: {} INFO\n      Max-Forwards: 70\n      Content-Type: application/dtmf-relay\n      \
                 Content-Length: [len]\n\n      Signal={d}\n      Duration=160\n    ]]>\n  </send>\n  \
                 <recv response=\"200\"/>\n  <pause milliseconds=\"400\"/>\n",
                3 + i
            )
        })
        .collect()
}

/// Calls 1002 from 1001 with `scenario` and returns the digits baresip
/// reported, in order.
fn call_and_collect(server: &Server, callee: &mut Baresip, scenario: &Path) -> String {
    let out = Sipp::scenario(&scenario.display().to_string(), server.sip)
        .users(1)
        .set("-s", "1002")
        .arg("-mp")
        .arg(voxide_testkit::free_port().to_string())
        .set("-timeout", "40s")
        .run();
    assert!(out.success, "caller failed: {}\n{}\n{}", out.errors, out.stderr, server.log());
    callee.wait_event("CALL_CLOSED", Duration::from_secs(10));
    let events = callee.events_until("CALL_DTMF_START", Instant::now() + Duration::from_millis(200));
    events.iter().map(|e: &Value| e["param"].as_str().unwrap_or("?").to_string()).collect()
}

#[test]
fn rfc4733_digits_reach_the_callee_exactly_once() {
    let (server, mut callee) = switch_and_callee("34000-34199");
    let (pcap, lost) = dtmf_pcap(server.dir(), ALL_KEYS, 101, PRESS_GAP, 0.0, 1);
    assert_eq!(lost, 0);
    let secs = ALL_KEYS.len() as f64 * PRESS_GAP + 0.5;
    let scenario = caller_scenario(server.dir(), "rfc4733", &play_pcap(&pcap, secs), 3);
    let heard = call_and_collect(&server, &mut callee, &scenario);
    assert_eq!(heard, ALL_KEYS, "baresip received other digits\n{}", callee.log());
    assert_eq!(server.metric("voxide_dtmf_digits_total"), ALL_KEYS.len() as f64, "{}", server.log());
    callee.quit();
}

#[test]
fn rfc4733_digits_survive_five_percent_packet_loss() {
    let (server, mut callee) = switch_and_callee("34200-34399");
    let (pcap, lost) = dtmf_pcap(server.dir(), ALL_KEYS, 101, PRESS_GAP, 0.05, 7);
    eprintln!("{lost} of the capture's packets lost on the way");
    assert!(lost > 0, "the seed loses no packet: pick another");
    let secs = ALL_KEYS.len() as f64 * PRESS_GAP + 0.5;
    let scenario = caller_scenario(server.dir(), "rfc4733-lossy", &play_pcap(&pcap, secs), 3);
    let heard = call_and_collect(&server, &mut callee, &scenario);
    assert_eq!(server.metric("voxide_dtmf_digits_total"), ALL_KEYS.len() as f64, "{}", server.log());
    assert_eq!(heard, ALL_KEYS, "baresip received other digits\n{}", callee.log());
    callee.quit();
}

#[test]
fn sip_info_digits_are_played_to_the_callee_as_rfc4733_events() {
    let (server, mut callee) = switch_and_callee("34400-34599");
    let digits = "19#*";
    let scenario = caller_scenario(server.dir(), "info", &info_requests(digits), 3 + digits.len() as u32);
    let heard = call_and_collect(&server, &mut callee, &scenario);
    assert_eq!(heard, digits, "baresip received other digits\n{}", callee.log());
    assert_eq!(server.metric("voxide_dtmf_digits_total"), digits.len() as f64, "{}", server.log());
    callee.quit();
}

/// The caller scenario waiting `secs` after the answer, then hanging up.
fn wait(secs: f64) -> String {
    format!("  <pause milliseconds=\"{}\"/>", (secs * 1000.0) as u64)
}

#[test]
fn digits_from_baresip_reach_sipp_and_come_back_from_its_echo() {
    let (server, mut callee) = switch_and_callee("34600-34799");
    let scenario = caller_scenario(server.dir(), "echo", &wait(8.0), 3);
    let sipp = std::thread::spawn({
        let scenario = scenario.clone();
        let sip = server.sip;
        move || {
            Sipp::scenario(&scenario.display().to_string(), sip)
                .users(1)
                .set("-s", "1002")
                .arg("-rtp_echo")
                .arg("-mp")
                .arg(voxide_testkit::free_port().to_string())
                .set("-timeout", "40s")
                .run()
        }
    });
    callee.wait_event("CALL_ESTABLISHED", std::time::Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    for key in ALL_KEYS.chars() {
        callee.command("sndcode", &key.to_string());
        std::thread::sleep(Duration::from_millis(350));
    }
    let out = sipp.join().unwrap();
    assert!(out.success, "caller failed: {}\n{}", out.errors, server.log());
    callee.wait_event("CALL_CLOSED", Duration::from_secs(10));
    let echoed: String = callee
        .events_until("CALL_DTMF_START", Instant::now() + Duration::from_millis(200))
        .iter()
        .map(|e| e["param"].as_str().unwrap_or("?").to_string())
        .collect();
    // Each key went baresip → switch → SIPp, and SIPp's echo → switch → baresip.
    assert_eq!(echoed, ALL_KEYS, "baresip got back other digits\n{}", callee.log());
    assert_eq!(server.metric("voxide_dtmf_digits_total"), 2.0 * ALL_KEYS.len() as f64, "{}", server.log());
    callee.quit();
}
