//! The relay mode's driver: binds the sockets, feeds [`Calls`] control
//! replies and the time on one thread, paces calls and RTP exactly as the
//! switch mode does, and takes the relay's measurements.

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::calls::{Calls, Target, Timing, Transmit};
use crate::cli::{RelayArgs, TargetKind};
use crate::report::Timings;
use crate::rtp::PHASES;
use crate::run::{Watch, bind_rtp, datagram_reader, rtp_reader};

/// Runs the calls; returns them with their timings and measurements.
pub async fn run(args: &RelayArgs) -> anyhow::Result<(Calls, Timings, Watch)> {
    let clock = Instant::now();
    let target = match args.target {
        TargetKind::Rtpengine => Target::Rtpengine,
        TargetKind::Echo => Target::Echo { ip: args.relay_ip, first_port: args.ports.first, pairs: args.ports.pairs() },
    };
    let timing = Timing {
        hold: Duration::from_secs_f64(args.hold_secs),
        drain: Duration::from_millis(args.drain_ms),
        prime: Duration::from_millis(args.prime_ms),
        control_timeout: Duration::from_millis(args.control_timeout_ms),
        control_tries: args.control_tries,
    };
    let rtp = bind_rtp(args.local_ip, args.rtp_sockets, args.rtp_rcvbuf).await?;
    let rtp_addrs = rtp.iter().map(|s| s.local_addr()).collect::<Result<Vec<_>, _>>()?;
    let mut calls = Calls::new(target, timing, rtp_addrs.clone());
    for sock in &rtp {
        tokio::task::spawn_local(rtp_reader(sock.clone(), calls.media.book.clone(), clock));
    }
    let control = Rc::new(UdpSocket::bind((args.local_ip, 0)).await.context("binding the control socket")?);
    control.writable().await?;
    let (tx, mut replies) = mpsc::unbounded_channel();
    if args.target == TargetKind::Rtpengine {
        tokio::task::spawn_local(datagram_reader(control.clone(), 0, tx));
    }

    let mut watch =
        Watch { pid: args.pid, rtp_ports: rtp_addrs.iter().map(|a| a.port()).collect(), ..Watch::default() };
    let mut timings = Timings::default();
    let mut rtp_tick = tokio::time::interval(Duration::from_millis(20 / PHASES as u64));
    rtp_tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let gap = Duration::from_secs_f64(1.0 / args.rate);
    let start = Instant::now();
    watch.mark(0);
    timings.calls_start = Some(start);
    let control_wait = timing.control_timeout * timing.control_tries;
    let budget = args.calls as f64 / args.rate + args.hold_secs + 3.0 * control_wait.as_secs_f64() + 30.0;
    let stage_end = start + Duration::from_secs_f64(budget);
    let (mut phase, mut next_call, mut last_placed) = (0usize, start, 0u64);

    loop {
        let placing = calls.counters.placed < args.calls;
        let wake = [calls.next_deadline(), placing.then_some(next_call)].into_iter().flatten().min();
        let wake = wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            Some((_, bytes)) = replies.recv() => {
                let now = Instant::now();
                calls.on_control(&bytes, now);
                while let Ok((_, bytes)) = replies.try_recv() {
                    calls.on_control(&bytes, now);
                }
            }
            () = tokio::time::sleep_until(wake.into()) => calls.on_timers(Instant::now()),
            _ = rtp_tick.tick() => {
                let now_ns = clock.elapsed().as_nanos() as u64;
                calls.media.sender.tick(phase, now_ns, |i, to, pkt| rtp[i].try_send_to(pkt, to).is_ok());
                phase = (phase + 1) % PHASES;
            }
            _ = second.tick() => {
                watch.sample();
                if !args.quiet {
                    let c = &calls.counters;
                    eprintln!(
                        "t={}s cps={} active={} up={} ok={} failed={} loss={:.2}% rtp_streams={}",
                        start.elapsed().as_secs(),
                        c.placed - last_placed,
                        calls.active_calls(),
                        c.up,
                        c.ok,
                        c.failed,
                        calls.media.loss().loss_pct,
                        calls.media.sender.active(),
                    );
                }
                last_placed = calls.counters.placed;
            }
        }
        let now = Instant::now();
        while calls.counters.placed < args.calls && calls.active_calls() < args.concurrency && now >= next_call {
            calls.place_call(now);
            timings.first_call.get_or_insert(now);
            timings.last_call = Some(now);
            next_call += gap;
        }
        // Calls held back by the concurrency limit are not made up in a burst.
        if calls.active_calls() >= args.concurrency && next_call < now {
            next_call = now;
        }
        for t in calls.take_transmits() {
            match t {
                Transmit::Control(bytes) => {
                    // Lost like a datagram on the wire: the resend covers it.
                    let _ = control.try_send_to(&bytes, args.ng);
                }
                Transmit::Rtp { sock, to, bytes } => {
                    let _ = rtp[sock].try_send_to(&bytes, to);
                }
            }
        }
        if (calls.counters.placed >= args.calls && calls.active_calls() == 0) || now >= stage_end {
            watch.mark(1);
            timings.calls_end = Some(now);
            timings.unfinished = calls.active_calls();
            break;
        }
    }
    timings.wall_secs = clock.elapsed().as_secs_f64();
    Ok((calls, timings, watch))
}
