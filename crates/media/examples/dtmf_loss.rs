//! DTMF detection rate against packet loss: key presses laid out by our
//! RFC 4733 sender (100 ms each, the three end packets included) lose each
//! packet with probability p, and the receiver must report each press
//! exactly once with the right digit. Prints a Markdown table.
//!
//! Run: `cargo run --release -p voxide-media --example dtmf_loss [PRESSES]`.

use voxide_media::dtmf::{Digit, DtmfReceiver, DtmfSender, DtmfUpdate, EventPacket};

/// A small deterministic generator (xorshift), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn main() {
    let presses: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let keys: Vec<Digit> = Digit::all().collect();
    println!("| packet loss | presses | reported once, right digit | missed | duplicated | wrong digit |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for loss in [0.0, 0.05, 0.10, 0.20] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut ok, mut missed, mut dup, mut wrong) = (0, 0, 0, 0);
        let mut rx = DtmfReceiver::new(8000);
        let mut seq: u16 = 0;
        let mut now: u64 = 0;
        for n in 0..presses {
            let digit = keys[n % keys.len()];
            let start_ts = (n as u32).wrapping_mul(2400);
            let mut heard = Vec::new();
            for p in DtmfSender::default().packets(digit, 100, 10, start_ts) {
                seq = seq.wrapping_add(1);
                now = now.max(n as u64 * 300 + u64::from(p.send_at_ms));
                if rng.chance(loss) {
                    continue;
                }
                let packet = EventPacket { timestamp: p.timestamp, seq, marker: p.marker, payload: &p.payload };
                let _ = rx.handle_packet(packet, now);
                while let Some(u) = rx.poll_update() {
                    if let DtmfUpdate::Ended(d) = u {
                        heard.push(d.digit);
                    }
                }
            }
            // A quiet gap between presses lets a press whose end packets were
            // all lost time out.
            now += 250;
            rx.handle_timeout(now);
            while let Some(u) = rx.poll_update() {
                if let DtmfUpdate::Ended(d) = u {
                    heard.push(d.digit);
                }
            }
            match heard.as_slice() {
                [d] if *d == digit => ok += 1,
                [] => missed += 1,
                [_] => wrong += 1,
                _ => dup += 1,
            }
        }
        let pct = |x: usize| 100.0 * x as f64 / presses as f64;
        println!(
            "| {:.0} % | {presses} | {:.2} % | {:.2} % | {:.2} % | {:.2} % |",
            loss * 100.0,
            pct(ok),
            pct(missed),
            pct(dup),
            pct(wrong)
        );
    }
}
