use super::*;

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=call\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtcp:4001\r\na=sendrecv\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

#[test]
fn connection_port_and_codecs_are_read() {
    let sdp = Sdp::parse(OFFER.as_bytes()).unwrap();
    assert_eq!(sdp.audio_index(), Some(0));
    assert_eq!(sdp.connection(0), Some("10.0.0.5".parse().unwrap()));
    assert_eq!(sdp.media[0].port, 4000);
    let names: Vec<_> = sdp.codecs(0).into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["PCMU", "PCMA", "TELEPHONE-EVENT"]);
    assert_eq!(sdp.direction(0), Direction::SendRecv);
}

#[test]
fn anchoring_points_audio_at_the_switch_and_disables_other_streams() {
    let mut sdp = Sdp::parse(OFFER.as_bytes()).unwrap();
    sdp.anchor("203.0.113.1".parse().unwrap(), 20000, 7);
    let text = sdp.to_string();
    assert!(text.contains("c=IN IP4 203.0.113.1\r\n"));
    assert!(text.contains("m=audio 20000 RTP/AVP 0 8 101\r\n"));
    assert!(text.contains("m=video 0 RTP/AVP 96\r\n"));
    assert!(text.contains("o=voxide 1 7 IN IP4 203.0.113.1\r\n"));
    assert!(!text.contains("a=rtcp:4001"));
    assert!(text.contains("a=fmtp:101 0-16\r\n"));
    let again = Sdp::parse(text.as_bytes()).unwrap();
    assert_eq!(again.connection(0), Some("203.0.113.1".parse().unwrap()));
}

#[test]
fn hold_directions_are_read() {
    let held = OFFER.replace("a=sendrecv", "a=sendonly");
    assert_eq!(Sdp::parse(held.as_bytes()).unwrap().direction(0), Direction::SendOnly);
    let zero = OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0");
    assert_eq!(Sdp::parse(zero.as_bytes()).unwrap().connection(0), Some("0.0.0.0".parse().unwrap()));
}

#[test]
fn malformed_descriptions_are_errors_not_panics() {
    for bad in [
        "",
        "x",
        "v=0\r\nm=audio\r\n",
        "v=0\r\nc=IN IP4 nowhere\r\n",
        "o=- 1 1 IN IP4 h\r\n",
        "v=0\r\nm=audio 99999 RTP/AVP 0\r\n",
    ] {
        assert!(Sdp::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    assert!(Sdp::parse(&[0xff, 0xfe]).is_err());
}

#[test]
fn a_pcmu_only_offer_gains_pcma_and_an_answer_can_be_narrowed_back() {
    let only_u = OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 0 101");
    let mut sdp = Sdp::parse(only_u.as_bytes()).unwrap();
    assert_eq!(sdp.offer_both_g711(0), Some(0));
    let names: Vec<_> = sdp.codecs(0).into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["PCMU", "PCMA", "TELEPHONE-EVENT"]);
    let mut answer = Sdp::parse(OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101").as_bytes()).unwrap();
    answer.answer_with_g711(0, 0);
    let text = answer.to_string();
    assert!(text.contains("m=audio 4000 RTP/AVP 0 101\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:0 PCMU/8000") && text.contains("a=fmtp:101 0-16"));
    // Both already offered: nothing added.
    let mut both = Sdp::parse(OFFER.as_bytes()).unwrap();
    assert_eq!(both.offer_both_g711(0), Some(0));
    assert_eq!(both.media[0].formats, ["0", "8", "101"]);
}
