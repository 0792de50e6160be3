//! Just enough of the classic pcap format to pull RTP out of a capture:
//! a 24-byte file header, then per packet a 16-byte record header and the
//! frame, here Ethernet / IPv4 / UDP.

/// One UDP payload and when it was captured.
pub struct Datagram {
    pub arrival_ms: u64,
    pub payload: Vec<u8>,
}

const LINKTYPE_ETHERNET: u32 = 1;

/// The UDP payloads of every IPv4/UDP frame in `file`, in capture order.
pub fn udp_payloads(file: &[u8]) -> Result<Vec<Datagram>, String> {
    let header = file.get(..24).ok_or("shorter than a pcap header")?;
    let magic = u32::from_le_bytes(header[0..4].try_into().unwrap());
    let read_u32: fn([u8; 4]) -> u32 = match magic {
        0xa1b2_c3d4 => u32::from_le_bytes,
        0xd4c3_b2a1 => u32::from_be_bytes,
        other => return Err(format!("not a microsecond pcap (magic {other:#x})")),
    };
    let field = |buf: &[u8], at: usize| read_u32(buf[at..at + 4].try_into().unwrap());
    let link_type = field(header, 20);
    if link_type != LINKTYPE_ETHERNET {
        return Err(format!("link type {link_type}, expected Ethernet"));
    }
    let mut out = Vec::new();
    let mut rest = &file[24..];
    while !rest.is_empty() {
        let record = rest.get(..16).ok_or("truncated record header")?;
        let (secs, micros, len) = (field(record, 0), field(record, 4), field(record, 8) as usize);
        let frame = rest.get(16..16 + len).ok_or("truncated frame")?;
        rest = &rest[16 + len..];
        if let Some(payload) = ethernet_udp_payload(frame) {
            let arrival_ms = u64::from(secs) * 1000 + u64::from(micros) / 1000;
            out.push(Datagram { arrival_ms, payload: payload.to_vec() });
        }
    }
    Ok(out)
}

fn ethernet_udp_payload(frame: &[u8]) -> Option<&[u8]> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let ip = frame.get(14..)?;
    if ethertype != 0x0800 || ip.first()? >> 4 != 4 || *ip.get(9)? != 17 {
        return None;
    }
    let ip_header = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let udp = ip.get(ip_header..total)?;
    udp.get(8..)
}
