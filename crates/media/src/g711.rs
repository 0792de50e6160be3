//! G.711 μ-law and A-law (ITU-T G.711), with direct μ-law ↔ A-law tables so
//! transcoding between PCMU and PCMA is one lookup per byte, in place.

/// μ-law byte → 16-bit linear PCM.
pub fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = u & 0x0f;
    let magnitude = ((i32::from(mantissa) << 3) + 0x84) << exponent;
    let sample = magnitude - 0x84;
    (if sign != 0 { -sample } else { sample }) as i16
}

/// 16-bit linear PCM → μ-law byte.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exponent = (7 - (s.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// A-law byte → 16-bit linear PCM.
pub fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let sign = a & 0x80;
    let exponent = (a >> 4) & 0x07;
    let mantissa = i32::from(a & 0x0f);
    let magnitude = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

/// 16-bit linear PCM → A-law byte.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    s = s.min(32767);
    let code = if s < 256 {
        (s >> 4) as u8
    } else {
        let exponent = (31 - (s as u32).leading_zeros() - 7) as u8; // 1..=7
        let mantissa = ((s >> (exponent + 3)) & 0x0f) as u8;
        (exponent << 4) | mantissa
    };
    (sign | code) ^ 0x55
}

static ULAW_TO_ALAW: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
static ALAW_TO_ULAW: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();

fn table(ulaw_to_alaw: bool) -> &'static [u8; 256] {
    let cell = if ulaw_to_alaw { &ULAW_TO_ALAW } else { &ALAW_TO_ULAW };
    cell.get_or_init(|| {
        let mut t = [0u8; 256];
        for (i, out) in t.iter_mut().enumerate() {
            let b = i as u8;
            *out = if ulaw_to_alaw { linear_to_alaw(ulaw_to_linear(b)) } else { linear_to_ulaw(alaw_to_linear(b)) };
        }
        t
    })
}

/// Converts a PCMU payload to PCMA in place.
pub fn ulaw_to_alaw_in_place(payload: &mut [u8]) {
    let t = table(true);
    for b in payload {
        *b = t[usize::from(*b)];
    }
}

/// Converts a PCMA payload to PCMU in place.
pub fn alaw_to_ulaw_in_place(payload: &mut [u8]) {
    let t = table(false);
    for b in payload {
        *b = t[usize::from(*b)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_stay_within_quantisation_error() {
        for s in (-32000i32..32000).step_by(97) {
            let s = s as i16;
            let u = ulaw_to_linear(linear_to_ulaw(s));
            let a = alaw_to_linear(linear_to_alaw(s));
            let tol = (i32::from(s).abs() / 16).max(16);
            assert!((i32::from(u) - i32::from(s)).abs() <= tol, "ulaw {s} -> {u}");
            assert!((i32::from(a) - i32::from(s)).abs() <= tol, "alaw {s} -> {a}");
        }
    }

    #[test]
    fn known_code_points() {
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(alaw_to_linear(0xd5), 8);
    }

    #[test]
    fn cross_law_transcoding_keeps_the_signal() {
        let samples: Vec<i16> = (0..160).map(|i| ((i as f64 / 8.0).sin() * 12000.0) as i16).collect();
        let mut payload: Vec<u8> = samples.iter().map(|s| linear_to_ulaw(*s)).collect();
        ulaw_to_alaw_in_place(&mut payload);
        for (s, a) in samples.iter().zip(&payload) {
            assert!((i32::from(alaw_to_linear(*a)) - i32::from(*s)).abs() < 800);
        }
        alaw_to_ulaw_in_place(&mut payload);
        for (s, u) in samples.iter().zip(&payload) {
            assert!((i32::from(ulaw_to_linear(*u)) - i32::from(*s)).abs() < 800);
        }
    }
}
