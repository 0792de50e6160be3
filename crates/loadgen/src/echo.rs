//! `voxide-loadgen echo-server`: the dumbest relay that has the switch's
//! socket pattern, as the machine's ceiling for relaying RTP.
//!
//! Per call two ports, one task serving both (like the switch's relay):
//! what arrives on one port leaves through the other, to the address the
//! other port last heard from. Nothing is parsed, copied twice or
//! allocated per packet. An empty datagram only teaches a port its peer's
//! address, so a call's first RTP packet does not find the other leg
//! unknown. It runs as a process of its own so that its CPU time and
//! memory can be read from `/proc`, like the switch's and rtpengine's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::net::UdpSocket;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::EchoArgs;

/// One call's two legs and the address each last heard from.
#[derive(Debug, Default)]
struct Latch {
    peers: [Option<SocketAddr>; 2],
}

impl Latch {
    /// A datagram of `len` bytes from `from` arrived on `leg` (0 or 1):
    /// where to forward it, through the other leg, if anywhere.
    fn on_datagram(&mut self, leg: usize, from: SocketAddr, len: usize) -> Option<SocketAddr> {
        self.peers[leg] = Some(from);
        if len == 0 {
            return None;
        }
        self.peers[1 - leg]
    }
}

/// Totals over every pair, reported when the server stops.
#[derive(Debug, Default)]
struct Stats {
    forwarded: AtomicU64,
    /// Dropped because the other leg had not been heard from yet.
    unlatched: AtomicU64,
    send_errors: AtomicU64,
}

/// Relays until SIGTERM, Ctrl-C or the end of `--lifetime-secs`.
pub fn serve(args: &EchoArgs) -> anyhow::Result<()> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads.max(1)).enable_all().build()?;
    runtime.block_on(async {
        let stats = Arc::new(Stats::default());
        for k in 0..args.ports.pairs() {
            let port = args.ports.first + 2 * k;
            let mut legs = Vec::with_capacity(2);
            for p in [port, port + 1] {
                legs.push(UdpSocket::bind((args.ip, p)).await.with_context(|| format!("binding {}:{p}", args.ip))?);
            }
            let [a, b]: [UdpSocket; 2] = legs.try_into().expect("two legs");
            tokio::spawn(relay_pair([a, b], stats.clone()));
        }
        println!(
            "echo-server: {} port pairs on {} ports {}, {threads} threads",
            args.ports.pairs(),
            args.ip,
            args.ports
        );
        let mut term = signal(SignalKind::terminate())?;
        let lifetime = async {
            match args.lifetime_secs {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            () = lifetime => {}
        }
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        eprintln!(
            "echo-server: {} forwarded, {} dropped before the other leg was known, {} send errors",
            n(&stats.forwarded),
            n(&stats.unlatched),
            n(&stats.send_errors)
        );
        anyhow::Ok(())
    })
}

async fn relay_pair(legs: [UdpSocket; 2], stats: Arc<Stats>) {
    let mut latch = Latch::default();
    let mut buf = [0u8; 2048];
    loop {
        let ready = tokio::select! {
            r = legs[0].readable() => r.map(|()| 0),
            r = legs[1].readable() => r.map(|()| 1),
        };
        let Ok(leg) = ready else { return };
        let (mut forwarded, mut unlatched, mut errors) = (0, 0, 0);
        // Everything waiting on this leg, then back to waiting. WouldBlock
        // ends the round; so does any other error (an ICMP error from an
        // earlier send), which leaves the socket readable for the next.
        while let Ok((n, from)) = legs[leg].try_recv_from(&mut buf) {
            match latch.on_datagram(leg, from, n) {
                Some(to) => match legs[1 - leg].try_send_to(&buf[..n], to) {
                    Ok(_) => forwarded += 1,
                    Err(_) => errors += 1,
                },
                None => unlatched += u64::from(n > 0),
            }
        }
        for (total, n) in [(&stats.forwarded, forwarded), (&stats.unlatched, unlatched), (&stats.send_errors, errors)] {
            if n > 0 {
                total.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_leg_forwards_to_the_address_the_other_last_heard_from() {
        let (a, b, b2): (SocketAddr, SocketAddr, SocketAddr) =
            ("127.0.0.1:7000".parse().unwrap(), "127.0.0.1:7002".parse().unwrap(), "127.0.0.1:7004".parse().unwrap());
        let mut latch = Latch::default();
        assert_eq!(latch.on_datagram(0, a, 172), None, "B is not known yet: dropped");
        assert_eq!(latch.on_datagram(1, b, 0), None, "an empty datagram only latches");
        assert_eq!(latch.on_datagram(0, a, 172), Some(b));
        assert_eq!(latch.on_datagram(1, b, 172), Some(a));
        // B moves (a new call on this pair): it follows at once.
        assert_eq!(latch.on_datagram(1, b2, 0), None);
        assert_eq!(latch.on_datagram(0, a, 172), Some(b2));
    }
}
