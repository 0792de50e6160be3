//! The driver: binds the sockets, feeds the engine datagrams and the time
//! on one thread, paces calls and RTP, prints progress, and takes the
//! switch's measurements.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::cli::Args;
use crate::engine::{Engine, User};
use crate::report::{Progress, Timings};
use crate::rtp::{PHASES, RtpBook};
use crate::sysstat::{self, Host, Sample};
use crate::ua::Settings;

/// CPU and memory readings at the start and the end of the call phase:
/// the switch's (when its pid is known), ours and the whole machine's.
#[derive(Debug, Default, Clone)]
pub struct Watch {
    pub pid: Option<u32>,
    pub start: Option<Sample>,
    pub end: Option<Sample>,
    /// Highest switch RSS seen during the call phase (sampled every second).
    pub peak_rss_kb: u64,
    pub own: [Option<Sample>; 2],
    pub host: [Option<Host>; 2],
    /// The machine's UDP receive-buffer drops.
    pub udp_drops: [Option<u64>; 2],
    /// Our RTP sockets' ports, and their receive-buffer drops at the end.
    pub rtp_ports: Vec<u16>,
    pub own_drops: u64,
    /// The switch's RSS every --rss-every-secs of a soak run.
    pub soak: crate::soak::RssSeries,
}

impl Watch {
    pub fn sample(&mut self) -> Option<Sample> {
        let s = sysstat::sample(&self.pid?.to_string())?;
        self.peak_rss_kb = self.peak_rss_kb.max(s.rss_kb);
        Some(s)
    }

    /// Readings at the start (`at` 0) or end (1) of the call phase.
    pub fn mark(&mut self, at: usize) {
        let switch = self.sample();
        if at == 0 {
            self.start = switch
        } else {
            self.end = switch
        }
        self.own[at] = sysstat::sample("self");
        self.host[at] = sysstat::host();
        self.udp_drops[at] = sysstat::udp_rcvbuf_errors();
        self.own_drops = sysstat::udp_drops(&self.rtp_ports);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Registering,
    Calling,
    Unregistering,
}

/// Runs the whole load: register, call, unregister.
pub async fn run(args: &Args, users: &[(String, String)]) -> anyhow::Result<(Engine, Timings, Watch)> {
    let clock = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel::<(u32, Vec<u8>)>();
    let mut sip = Vec::with_capacity(users.len());
    let mut agents = Vec::with_capacity(users.len());
    for (i, (name, password)) in users.iter().enumerate() {
        let sock = Rc::new(UdpSocket::bind((args.local_ip, 0)).await.context("binding a SIP socket")?);
        // `try_send_to` refuses until the socket is known to be writable.
        sock.writable().await?;
        agents.push(User { name: name.clone(), password: password.clone(), local: sock.local_addr()? });
        tokio::task::spawn_local(datagram_reader(sock.clone(), i as u32, tx.clone()));
        sip.push(sock);
    }
    drop(tx);
    let settings = Settings {
        domain: args.domain.clone(),
        media_ip: args.local_ip,
        hold: Duration::from_secs_f64(args.hold_secs),
        drain: Duration::from_millis(args.drain_ms),
        setup_timeout: Duration::from_secs(args.setup_timeout_secs),
        expires: args.expires,
        profile: Arc::new(args.profile()?),
        on_hold: args
            .on_hold_at_secs
            .map(|at| (Duration::from_secs_f64(at), Duration::from_secs_f64(args.on_hold_for_secs))),
        dtmf: args.dtmf.clone().map(|d| (d, args.dtmf_at_secs)),
    };
    let rtp = bind_rtp(args.local_ip, args.rtp_sockets, args.rtp_rcvbuf).await?;
    let rtp_addrs = rtp.iter().map(|s| s.local_addr()).collect::<Result<Vec<_>, _>>()?;
    let rtp_ports = rtp_addrs.iter().map(SocketAddr::port).collect();
    let mut engine = Engine::new(settings, agents, rtp_addrs, args.media());
    for sock in &rtp {
        tokio::task::spawn_local(rtp_reader(sock.clone(), engine.media.book.clone(), clock));
    }

    let mut watch = Watch { pid: args.switch_pid, rtp_ports, ..Watch::default() };
    let calls = args.call_limit();
    let soak = Duration::from_secs_f64(args.soak_minutes * 60.0);
    let mut next_rss = clock;
    let mut timings = Timings::default();
    let mut progress = Progress::new(args.quiet);
    let mut rtp_tick = tokio::time::interval(Duration::from_millis(20 / PHASES as u64));
    rtp_tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    second.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let gap = Duration::from_secs_f64(1.0 / args.rate);
    let register_budget = Duration::from_secs(60 + users.len() as u64 / 100);
    let (mut phase, mut next_call, mut stage_end) = (0usize, clock, clock + register_budget);
    let mut stage = Stage::Registering;
    engine.register_more(clock, args.register_window as usize);
    flush(&mut engine, &sip, args.sip);

    loop {
        let calling = stage == Stage::Calling && engine.counters.placed < calls;
        let wake = [engine.next_deadline(), calling.then_some(next_call)].into_iter().flatten().min();
        let wake = wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            got = rx.recv() => {
                let Some((user, bytes)) = got else { break };
                let now = Instant::now();
                engine.on_datagram(user, &bytes, now);
                while let Ok((user, bytes)) = rx.try_recv() {
                    engine.on_datagram(user, &bytes, now);
                }
            }
            () = tokio::time::sleep_until(wake.into()) => engine.on_timers(Instant::now()),
            _ = rtp_tick.tick() => {
                let now_ns = clock.elapsed().as_nanos() as u64;
                engine.media.sender.tick(phase, now_ns, |i, to, pkt| rtp[i].try_send_to(pkt, to).is_ok());
                phase = (phase + 1) % PHASES;
            }
            _ = second.tick() => {
                if stage == Stage::Calling {
                    let sample = watch.sample();
                    let now = Instant::now();
                    if !soak.is_zero() && now >= next_rss {
                        next_rss = now + Duration::from_secs(args.rss_every_secs);
                        let secs = timings.calls_start.map_or(0.0, |s| now.duration_since(s).as_secs_f64());
                        if let Some(s) = sample {
                            watch.soak.push(secs, s.rss_kb, engine.active_calls() as usize);
                            if !args.quiet {
                                eprintln!("soak {:>6.0} s  rss {:>8} KiB  active {}", secs, s.rss_kb, engine.active_calls());
                            }
                        }
                    }
                }
                progress.line(clock.elapsed(), &engine, users.len());
            }
        }
        let now = Instant::now();
        if stage == Stage::Registering {
            engine.register_more(now, args.register_window as usize);
        }
        if stage == Stage::Calling {
            let soaking = !soak.is_zero() && timings.calls_start.is_some_and(|s| now.duration_since(s) < soak);
            let more = if soak.is_zero() { engine.counters.placed < calls } else { soaking };
            while more && engine.active_calls() < args.concurrency && now >= next_call {
                engine.place_call(now);
                timings.first_call.get_or_insert(now);
                timings.last_call = Some(now);
                next_call += gap;
            }
            // Calls held back by the concurrency limit are not made up in a burst.
            if engine.active_calls() >= args.concurrency && next_call < now {
                next_call = now;
            }
        }
        flush(&mut engine, &sip, args.sip);
        match stage {
            Stage::Registering if engine.settled() == users.len() || now >= stage_end => {
                timings.register_secs = now.duration_since(clock).as_secs_f64();
                timings.registered = engine.registered();
                watch.mark(0);
                timings.calls_start = Some(now);
                next_call = now;
                let placing = if soak.is_zero() { args.calls as f64 / args.rate } else { soak.as_secs_f64() };
                let budget = placing + args.hold_secs + 2.0 * args.setup_timeout_secs as f64 + 30.0;
                stage_end = now + Duration::from_secs_f64(budget);
                stage = Stage::Calling;
            }
            Stage::Calling
                if (placed_all(&engine, calls, soak, &timings, now) && engine.active_calls() == 0)
                    || now >= stage_end =>
            {
                watch.mark(1);
                timings.calls_end = Some(now);
                timings.unfinished = engine.active_calls();
                engine.unregister_all(now);
                flush(&mut engine, &sip, args.sip);
                stage_end = now + Duration::from_secs(5);
                stage = Stage::Unregistering;
            }
            Stage::Unregistering if engine.registered() == 0 || now >= stage_end => break,
            _ => {}
        }
    }
    timings.wall_secs = clock.elapsed().as_secs_f64();
    Ok((engine, timings, watch))
}

/// Whether the call phase has placed what it will: `calls` calls, or, in
/// a soak run, until the soak time is over.
fn placed_all(engine: &Engine, calls: u64, soak: Duration, timings: &Timings, now: Instant) -> bool {
    if soak.is_zero() {
        engine.counters.placed >= calls
    } else {
        timings.calls_start.is_some_and(|s| now.duration_since(s) >= soak)
    }
}

fn flush(engine: &mut Engine, sip: &[Rc<UdpSocket>], switch: SocketAddr) {
    for (user, bytes) in engine.take_sends() {
        // A full send buffer drops the datagram; retransmission recovers.
        let sent = sip.get(user as usize).is_some_and(|sock| sock.try_send_to(&bytes, switch).is_ok());
        if !sent {
            engine.counters.sip_send_errors += 1;
        }
    }
}

/// Our RTP sockets: `count` of them on `ip`, each with a receive buffer of
/// `rcvbuf` bytes where the kernel allows it. Every stream shares them.
pub async fn bind_rtp(ip: IpAddr, count: u16, rcvbuf: usize) -> anyhow::Result<Vec<Rc<UdpSocket>>> {
    let mut rtp = Vec::with_capacity(count.into());
    for _ in 0..count {
        let sock = UdpSocket::bind((ip, 0)).await.context("binding an RTP socket")?;
        // Best effort: the default buffer still works, with less slack.
        let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(rcvbuf);
        // `try_send_to` refuses until the socket is known to be writable.
        sock.writable().await?;
        rtp.push(Rc::new(sock));
    }
    Ok(rtp)
}

/// Hands every datagram arriving on `sock` to `tx`, tagged with `tag`.
pub async fn datagram_reader(sock: Rc<UdpSocket>, tag: u32, tx: mpsc::UnboundedSender<(u32, Vec<u8>)>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match sock.recv_from(&mut buf).await {
            Ok((n, _)) => {
                if tx.send((tag, buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Reads every datagram waiting on an RTP socket into the book, in batches.
pub async fn rtp_reader(sock: Rc<UdpSocket>, book: Rc<RefCell<RtpBook>>, clock: Instant) {
    let mut buf = [0u8; 2048];
    loop {
        if sock.readable().await.is_err() {
            return;
        }
        let mut n = 0;
        {
            let mut book = book.borrow_mut();
            while n < 256 {
                match sock.try_recv_from(&mut buf) {
                    Ok((len, _)) => book.on_packet(&buf[..len], clock.elapsed().as_nanos() as u64),
                    Err(_) => break,
                }
                n += 1;
            }
        }
        if n == 256 {
            tokio::task::yield_now().await;
        }
    }
}
