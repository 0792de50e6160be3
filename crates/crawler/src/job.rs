//! A crawl attempt: explore the number's menu tree depth-first, one call
//! per unexplored node, storing every node as it is heard, so an attempt
//! cut short (a failure, a restart) is resumed where it stopped.

use std::collections::HashMap;

use serde_json::json;
use voxide_store::{CrawlNodeRow, CrawlRow, StoreError, clock};

use crate::call::{CallFailure, CrawlCall, Heard};
use crate::ear::RATE;
use crate::fingerprint::{Fingerprint, fingerprint, matches};
use crate::options::extract_options;
use crate::service::Shared;

/// Why an attempt did not finish the tree.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error("{0}")]
    Call(#[from] CallFailure),
    #[error("the crawl's budget of {0} calls is spent")]
    Budget(usize),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The keys of a `keys_to_reach` ("1,3" → ['1', '3']).
pub fn keys_of(keys_to_reach: &str) -> Vec<char> {
    keys_to_reach.split(',').filter_map(|k| k.trim().chars().next()).collect()
}

/// Runs attempt `scan_id` of `crawl` to its end and records the outcome.
pub async fn run(shared: &Shared, crawl: CrawlRow, scan_id: i64) {
    let outcome = explore(shared, &crawl, scan_id).await;
    let store = &shared.store;
    let result = match &outcome {
        Ok(()) => {
            tracing::info!(crawl = crawl.id, number = %crawl.number, "crawl complete");
            let done = store.set_crawl_state(crawl.id, "Processed", crawl.attempt, true, None, None).await;
            done.and(store.set_scan_status(scan_id, "Processed", None).await)
        }
        Err(why) => {
            let reason = why.to_string();
            let retry = (crawl.retry_enabled && crawl.attempt < shared.config.max_attempts).then(|| {
                let factor = 1u32 << (crawl.attempt.clamp(1, 10) - 1) as u32;
                clock::format(
                    chrono::Utc::now()
                        + chrono::TimeDelta::from_std(shared.config.retry_backoff * factor).unwrap_or_default(),
                )
            });
            tracing::warn!(crawl = crawl.id, number = %crawl.number, %reason, retry_at = ?retry, "crawl attempt failed");
            let failed =
                store.set_crawl_state(crawl.id, "Failed", crawl.attempt, false, Some(&reason), retry.as_deref()).await;
            failed.and(store.set_scan_status(scan_id, "Failed", None).await)
        }
    };
    if let Err(e) = result {
        tracing::warn!(crawl = crawl.id, cause = %e, "crawl outcome not stored");
    }
}

async fn explore(shared: &Shared, crawl: &CrawlRow, scan_id: i64) -> Result<(), AttemptError> {
    let store = &shared.store;
    let mut prints = known_prints(shared, crawl.id).await?;
    let mut calls = 0;
    loop {
        let nodes = store.crawl_nodes(crawl.id).await?;
        if nodes.is_empty() {
            store.upsert_node(crawl.id, None, "", "", "").await?;
            continue;
        }
        let Some(node) = next_unexplored(&nodes) else { return Ok(()) };
        if calls >= shared.config.max_calls {
            return Err(AttemptError::Budget(shared.config.max_calls));
        }
        if calls > 0 {
            tokio::time::sleep(shared.config.pause).await;
        }
        calls += 1;
        let keys = keys_of(&node.keys_to_reach);
        let known: Vec<Option<Fingerprint>> =
            (0..keys.len()).map(|level| prints.get(&path_of(&keys[..level])).cloned()).collect();
        let heard = match visit(shared, crawl, &keys, &known).await {
            Ok(heard) => heard,
            // A branch that hangs up, stays silent or never stops is a leaf
            // with a reason; the rest of the tree is still explored. A call
            // that cannot even be placed or answered fails the attempt.
            Err(why @ (CallFailure::HungUp | CallFailure::Silence | CallFailure::NeverEnds)) if !keys.is_empty() => {
                tracing::info!(crawl = crawl.id, keys = %node.keys_to_reach, %why, "branch ends without a menu");
                let debug = json!([{ "transcript": "", "error": why.to_string() }]);
                store.set_node_prompt(node.id, "", Some(&debug), None).await?;
                continue;
            }
            Err(why) => return Err(why.into()),
        };
        store.set_scan_status(scan_id, "Calling", Some(&heard.call_uuid)).await?;
        let print = record_node(shared, crawl, node, &nodes, &keys, &prints, &heard).await?;
        prints.insert(node.keys_to_reach.clone(), print);
    }
}

/// One call: reach the node, hear its menu, hang up.
async fn visit(
    shared: &Shared,
    crawl: &CrawlRow,
    keys: &[char],
    known: &[Option<Fingerprint>],
) -> Result<Heard, CallFailure> {
    let mut call = CrawlCall::dial(&shared.control, &shared.config, crawl.tenant_id, &crawl.number).await?;
    let heard = async {
        call.navigate(keys, known).await?;
        call.hear_menu().await
    }
    .await;
    call.hangup().await;
    heard
}

/// Stores what a node said and adds its options as children; returns
/// the prompt's print.
async fn record_node(
    shared: &Shared,
    crawl: &CrawlRow,
    node: &CrawlNodeRow,
    nodes: &[CrawlNodeRow],
    keys: &[char],
    prints: &HashMap<String, Fingerprint>,
    heard: &Heard,
) -> Result<Fingerprint, AttemptError> {
    let (said, print) = shared.recogniser.recognise(&heard.prompt).await;
    let ancestors: Vec<&CrawlNodeRow> = nodes.iter().filter(|n| is_ancestor(&n.keys_to_reach, keys)).collect();
    let loop_of = ancestors.iter().find(|a| {
        prints.get(&a.keys_to_reach).is_some_and(|p| matches(p, &print))
            || (!said.text.is_empty() && same_words(&a.audio_text, &said.text))
    });
    let mut debug = said.debug.clone();
    let options = if let Some(a) = loop_of {
        tracing::info!(crawl = crawl.id, keys = %node.keys_to_reach, back_to = %a.keys_to_reach, "menu loops back");
        debug = Some(json!({ "segments": said.debug, "loops_to": a.keys_to_reach }));
        Vec::new()
    } else if keys.len() >= shared.config.max_depth {
        Vec::new()
    } else {
        extract_options(&said.text)
    };
    let audio = save_prompt(shared, crawl, node.id, &heard.prompt).await;
    shared.store.set_node_prompt(node.id, &said.text, debug.as_ref(), audio.as_deref()).await?;
    let mut taken = Vec::new();
    for option in options {
        if taken.contains(&option.key) {
            continue;
        }
        taken.push(option.key);
        let mut path = keys.to_vec();
        path.push(option.key);
        let key = option.key.to_string();
        shared.store.upsert_node(crawl.id, Some(node.id), &key, &path_of(&path), &option.phrase).await?;
    }
    Ok(print)
}

/// The unexplored node first in depth-first order.
fn next_unexplored(nodes: &[CrawlNodeRow]) -> Option<&CrawlNodeRow> {
    nodes
        .iter()
        .filter(|n| !n.explored)
        .min_by_key(|n| keys_of(&n.keys_to_reach).into_iter().map(key_rank).collect::<Vec<_>>())
}

/// Keys in menu order: digits, then `*`, then `#`.
fn key_rank(key: char) -> u8 {
    match key {
        '0'..='9' => key as u8 - b'0',
        '*' => 10,
        _ => 11,
    }
}

fn path_of(keys: &[char]) -> String {
    keys.iter().map(char::to_string).collect::<Vec<_>>().join(",")
}

fn is_ancestor(candidate: &str, keys: &[char]) -> bool {
    let theirs = keys_of(candidate);
    theirs.len() < keys.len() && keys.starts_with(&theirs)
}

fn same_words(a: &str, b: &str) -> bool {
    let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
    words(a) == words(b)
}

/// Prints of the prompts already heard, from their WAVs (a resumed crawl).
async fn known_prints(shared: &Shared, crawl_id: i64) -> Result<HashMap<String, Fingerprint>, AttemptError> {
    let mut prints = HashMap::new();
    for node in shared.store.crawl_nodes(crawl_id).await? {
        let Some(path) = node.prompt_audio.as_deref().and_then(|p| p.strip_prefix("/api/media/")) else { continue };
        let file = shared.config.media_dir.join(path);
        let pcm = tokio::task::spawn_blocking(move || voxide_media::audio::load_wav(&file, RATE)).await;
        if let Ok(Ok(pcm)) = pcm {
            prints.insert(node.keys_to_reach.clone(), fingerprint(&pcm, RATE));
        }
    }
    Ok(prints)
}

/// Keeps a node's prompt as WAV; its `/api/media/…` path.
async fn save_prompt(shared: &Shared, crawl: &CrawlRow, node_id: i64, pcm: &[i16]) -> Option<String> {
    let crawl_id = crawl.id;
    let relative = format!("domain_{}/crawl_{crawl_id}_node_{node_id}.wav", crawl.tenant_id);
    let file = shared.config.media_dir.join(&relative);
    let pcm = pcm.to_vec();
    let written = tokio::task::spawn_blocking(move || {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        voxide_media::audio::write_wav(&file, RATE, &pcm).map_err(|e| e.to_string())
    })
    .await;
    match written {
        Ok(Ok(())) => Some(format!("/api/media/{relative}")),
        Ok(Err(e)) => {
            tracing::warn!(crawl = crawl_id, node = node_id, cause = %e, "prompt audio not kept");
            None
        }
        Err(_) => None,
    }
}
