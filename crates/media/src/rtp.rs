//! The RTP header fields the relay needs (RFC 3550 §5.1), read in place
//! without allocating.

/// Whether `buf` looks like RTP version 2 with a whole fixed header.
pub fn is_rtp(buf: &[u8]) -> bool {
    buf.len() >= 12 && buf[0] >> 6 == 2
}

pub fn payload_type(buf: &[u8]) -> u8 {
    buf[1] & 0x7f
}

pub fn set_payload_type(buf: &mut [u8], pt: u8) {
    buf[1] = (buf[1] & 0x80) | (pt & 0x7f);
}

pub fn sequence(buf: &[u8]) -> u16 {
    u16::from_be_bytes([buf[2], buf[3]])
}

pub fn set_sequence(buf: &mut [u8], seq: u16) {
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
}

pub fn set_timestamp(buf: &mut [u8], ts: u32) {
    buf[4..8].copy_from_slice(&ts.to_be_bytes());
}

pub fn marker(buf: &[u8]) -> bool {
    buf[1] & 0x80 != 0
}

pub fn ssrc(buf: &[u8]) -> u32 {
    u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]])
}

pub fn timestamp(buf: &[u8]) -> u32 {
    u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]])
}

/// Offset of the payload: fixed header, CSRCs and the extension header.
/// `None` when the lengths do not fit the packet.
pub fn payload_offset(buf: &[u8]) -> Option<usize> {
    let csrc = usize::from(buf[0] & 0x0f) * 4;
    let mut off = 12 + csrc;
    if buf[0] & 0x10 != 0 {
        let ext = buf.get(off + 2..off + 4)?;
        off += 4 + usize::from(u16::from_be_bytes([ext[0], ext[1]])) * 4;
    }
    let padding = if buf[0] & 0x20 != 0 { usize::from(*buf.last()?) } else { 0 };
    (off + padding <= buf.len()).then_some(off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_read_and_written_in_place() {
        let mut pkt = [0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 1, 2, 3, 4, 0xff, 0xff];
        assert!(is_rtp(&pkt));
        assert_eq!(sequence(&pkt), 0x1234);
        assert_eq!(payload_offset(&pkt), Some(12));
        set_payload_type(&mut pkt, 8);
        assert_eq!(payload_type(&pkt), 8);
        pkt[0] |= 0x10; // extension flag with no room for it
        assert_eq!(payload_offset(&pkt), None);
        assert!(!is_rtp(&[0x40; 20]));
    }
}
