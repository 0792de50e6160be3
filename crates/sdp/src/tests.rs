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
fn an_offer_gains_every_transcodable_codec_and_telephone_event() {
    let only_u = OFFER
        .replace("RTP/AVP 0 8 101", "RTP/AVP 0")
        .replace("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n", "");
    let mut sdp = Sdp::parse(only_u.as_bytes()).unwrap();
    sdp.offer_transcodable(0);
    let names: Vec<_> = sdp.codecs(0).into_iter().map(|c| (c.name, c.clock_rate)).collect();
    assert_eq!(
        names,
        [("PCMU".into(), 8000), ("PCMA".into(), 8000), ("OPUS".into(), 48000), ("TELEPHONE-EVENT".into(), 8000)]
    );
    let text = sdp.to_string();
    assert!(text.contains("m=audio 4000 RTP/AVP 0 8 96 97\r\n"), "{text}");
    assert!(text.contains("a=fmtp:96 minptime=10;useinbandfec=1\r\n") && text.contains("a=fmtp:97 0-16\r\n"));
    // The caller's own order and telephone-event survive; only what is missing is added.
    let mut full = Sdp::parse(OFFER.as_bytes()).unwrap();
    full.offer_transcodable(0);
    assert_eq!(full.media[0].formats, ["0", "8", "96", "101"]);
}

#[test]
fn an_answer_is_rewritten_in_the_offerers_payload_types() {
    let offer = Sdp::parse(
        OFFER
            .replace("RTP/AVP 0 8 101", "RTP/AVP 111 101")
            .replace("a=rtpmap:101", "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101")
            .as_bytes(),
    )
    .unwrap();
    // The callee picked PCMU (which the caller never offered) and telephone-event 100.
    let b_answer = OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 0 100").replace(":101", ":100");
    let mut answer = Sdp::parse(b_answer.as_bytes()).unwrap();
    let b = answer.leg_format(0);
    assert_eq!(b, LegFormat { audio: Some((AudioCodec::Pcmu, 0)), dtmf: Some(100) });
    let a = answer.answer_in_terms_of(0, &offer, None).unwrap();
    assert_eq!(a, LegFormat { audio: Some((AudioCodec::Opus, 111)), dtmf: Some(101) });
    let text = answer.to_string();
    assert!(text.contains("m=audio 4000 RTP/AVP 111 101\r\n"), "{text}");
    assert!(
        text.contains("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000")
    );
    assert!(!text.contains(":100 "), "{text}");
    // A codec both sides have is kept, under the caller's payload type.
    let mut same = Sdp::parse(OFFER.as_bytes()).unwrap();
    let a = same.answer_in_terms_of(0, &Sdp::parse(OFFER.as_bytes()).unwrap(), None).unwrap();
    assert_eq!(a, LegFormat { audio: Some((AudioCodec::Pcmu, 0)), dtmf: Some(101) });
    // Nothing the switch can transcode: untouched.
    let g729 = Sdp::parse(OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 18").as_bytes()).unwrap();
    let mut answer = Sdp::parse(OFFER.as_bytes()).unwrap();
    assert_eq!(answer.answer_in_terms_of(0, &g729, None), None);
    // ...and is offered nothing more: the answerer must pick from what it can speak.
    let mut only_g729 = g729.clone();
    only_g729.offer_transcodable(0);
    assert_eq!(only_g729, g729);
}

#[test]
fn the_switchs_own_offer_has_every_transcodable_codec_and_reads_back() {
    let text = Sdp::switch_offer("198.51.100.7".parse().unwrap(), 20000, 3).to_string();
    let sdp = Sdp::parse(text.as_bytes()).unwrap();
    assert!(text.starts_with("v=0\r\no=voxide 1 3 IN IP4 198.51.100.7\r\n"), "{text}");
    assert!(text.contains("m=audio 20000 RTP/AVP 0 8 96 101\r\n"), "{text}");
    assert!(text.contains("a=fmtp:96 minptime=10;useinbandfec=1\r\n") && text.contains("a=fmtp:101 0-16\r\n"));
    assert_eq!((sdp.connection(0), sdp.direction(0)), (Some("198.51.100.7".parse().unwrap()), Direction::SendRecv));
    let codecs: Vec<_> = sdp.codecs(0).into_iter().map(|c| (c.payload_type, c.name, c.clock_rate)).collect();
    assert_eq!(
        codecs,
        [
            (0, "PCMU".into(), 8000),
            (8, "PCMA".into(), 8000),
            (96, "OPUS".into(), 48000),
            (101, "TELEPHONE-EVENT".into(), 8000)
        ]
    );
    // Offering it again adds nothing: it already has everything.
    let mut again = sdp.clone();
    again.offer_transcodable(0);
    assert_eq!(again, sdp);
    // A phone answering PCMA and telephone-event settles that format.
    let answer = Sdp::parse(OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101").as_bytes()).unwrap();
    assert_eq!(answer.leg_format(0), LegFormat { audio: Some((AudioCodec::Pcma, 8)), dtmf: Some(101) });
    let v6 = Sdp::switch_offer("2001:db8::7".parse().unwrap(), 20002, 1).to_string();
    assert!(v6.contains("c=IN IP6 2001:db8::7\r\n"), "{v6}");
}

#[test]
fn a_shared_codec_the_switch_cannot_transcode_is_kept_not_replaced() {
    // A phone offering G.722 first, answered with G.722: relayed as it is.
    let offer = Sdp::parse(
        OFFER
            .replace("RTP/AVP 0 8 101", "RTP/AVP 9 0 101")
            .replace("a=rtpmap:101", "a=rtpmap:9 G722/8000\r\na=rtpmap:101")
            .as_bytes(),
    )
    .unwrap();
    let mut answer = Sdp::parse(
        OFFER
            .replace("RTP/AVP 0 8 101", "RTP/AVP 9 101")
            .replace("a=rtpmap:101", "a=rtpmap:9 G722/8000\r\na=rtpmap:101")
            .as_bytes(),
    )
    .unwrap();
    let a = answer.answer_in_terms_of(0, &offer, None).unwrap();
    assert_eq!(a, LegFormat { audio: None, dtmf: Some(101) });
    assert!(answer.to_string().contains("m=audio 4000 RTP/AVP 9 101\r\n"), "{answer}");
    // Asked for a codec the switch encodes (early media), it gets PCMU.
    let want = offer.first_transcodable(0);
    let mut early = offer.clone();
    let a = early.answer_in_terms_of(0, &offer, want).unwrap();
    assert_eq!(a.audio, Some((AudioCodec::Pcmu, 0)));
}
