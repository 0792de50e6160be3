//! `voxide-loadgen`: a load generator for Voxide.
//!
//! It plays a crowd of phones: registers N extensions (creating them over
//! the REST API with `--create-users`) and keeps them registered, places
//! calls from the first half to the second half at a target rate up to a
//! target concurrency, with RTP both ways (G.711 or Opus, 20 ms packets of
//! a tone or a WAV file, a send timestamp in a header extension), optional
//! RFC 4733 digits and a hold and resume, holds each call, hangs up, and
//! checks what arrived: RTP loss, jitter, one-way latency, digits. It
//! reports a line per second while running and a table (and `--json`) at
//! the end.
//!
//! `voxide-loadgen relay` sends the same RTP streams through a bare media
//! relay instead, rtpengine or `voxide-loadgen echo-server`, to compare
//! the switch with them.
//!
//! Layout: `cli` (arguments), `provision` (REST), `sipmsg` (SIP messages
//! in and out), `ua` (sans-IO registration, calling and answering legs),
//! `rtp` (sans-IO RTP sending and accounting), `engine` (the sans-IO core
//! tying them together), `run` (sockets, pacing, the event loop),
//! `report`, `histogram`, `sysstat` (`/proc`); `relay` (the relay mode:
//! its core, driver and report, and rtpengine's NG protocol over
//! `bencode`) and `echo` (the echo relay).

mod bencode;
mod cli;
mod echo;
mod engine;
mod histogram;
mod provision;
mod relay;
mod report;
mod rtp;
mod run;
mod sipmsg;
mod soak;
mod sysstat;
mod ua;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::cli::{Args, Cli, Mode, RelayArgs};
use crate::relay::report::RelayReport;
use crate::report::Report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.mode {
        None => run_all(&cli.switch),
        Some(Mode::Relay(args)) => run_relay(args),
        Some(Mode::EchoServer(args)) => echo::serve(args).map(|()| true),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("voxide-loadgen: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether the run passed.
fn run_all(args: &Args) -> anyhow::Result<bool> {
    args.validate()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(&runtime, async {
        let password = args.password.clone().unwrap_or_else(|| format!("lg-{:016x}", rand::random::<u64>()));
        let names = args.user_names();
        if args.create_users {
            let token = args.token.as_deref().unwrap_or_default();
            let done = provision::ensure_users(&args.api, token, &names, &password).await?;
            if !args.quiet {
                eprintln!(
                    "provisioned {} extensions ({} created, {} updated) in {:.2} s",
                    names.len(),
                    done.created,
                    done.updated,
                    done.secs
                );
            }
        }
        let users: Vec<(String, String)> = names.into_iter().map(|n| (n, password.clone())).collect();
        let (engine, timings, watch) = run::run(args, &users).await?;
        anyhow::Ok(Report::build(args, &engine, &timings, &watch, users.len()))
    })?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report.passed)
}

/// The relay mode; returns whether the run passed.
fn run_relay(args: &RelayArgs) -> anyhow::Result<bool> {
    args.validate()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(&runtime, async {
        let (calls, timings, watch) = relay::run::run(args).await?;
        anyhow::Ok(RelayReport::build(args, &calls, &timings, &watch))
    })?;
    print!("{}", report.table());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report.passed)
}
