//! The crawler as the rest of the switch uses it: start or resume a
//! crawl, call a node and bridge it ("skip the IVR"), and the retries
//! and restarts that need no cron.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use voxide_store::{CrawlRow, ScanRow, Store, StoreError};
use voxide_switch::SwitchControl;

use crate::call::{CallFailure, CrawlCall};
use crate::config::CrawlerConfig;
use crate::fingerprint::{Fingerprint, fingerprint};
use crate::job::{self, keys_of};
use crate::recognise::Recogniser;

/// What every crawl shares.
pub struct Shared {
    pub(crate) store: Store,
    pub(crate) control: SwitchControl,
    pub(crate) config: CrawlerConfig,
    pub recogniser: Recogniser,
    /// Crawls with an attempt in progress (one at a time per crawl).
    running: Mutex<HashSet<i64>>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Crawler {
    shared: Arc<Shared>,
}

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("a crawl of {0} is already running")]
    Running(String),
    #[error("the menu is completed already")]
    Completed,
    #[error("no such node")]
    NoNode,
    #[error("{0}")]
    Call(#[from] CallFailure),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What a number crawled for the first time is stored with.
#[derive(Debug, Clone)]
pub struct NewCrawl {
    pub business_name: Option<String>,
    /// Failed attempts are tried again (up to the configured attempts).
    pub retry_enabled: bool,
}

impl Default for NewCrawl {
    fn default() -> Self {
        NewCrawl { business_name: None, retry_enabled: true }
    }
}

/// A crawl attempt that was started.
#[derive(Debug, Clone)]
pub struct Started {
    pub crawl: CrawlRow,
    pub scan: ScanRow,
}

impl Crawler {
    pub fn new(store: Store, control: SwitchControl, config: CrawlerConfig, recogniser: Recogniser) -> Crawler {
        let shared = Shared { store, control, config, recogniser, running: Mutex::new(HashSet::new()) };
        Crawler { shared: Arc::new(shared) }
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Starts crawling `number` for `tenant_id`: from scratch when `fresh`,
    /// else resuming the tree it has (seed 004's `new=0`). A number crawled
    /// for the first time gets `about`'s name and retry setting.
    pub async fn start(
        &self,
        tenant_id: i64,
        number: &str,
        fresh: bool,
        about: &NewCrawl,
    ) -> Result<Started, CrawlError> {
        let store = &self.shared.store;
        let crawl = match store.crawl_by_number(tenant_id, number).await? {
            Some(c) => c,
            None => store.create_crawl(tenant_id, number, about.business_name.as_deref(), about.retry_enabled).await?,
        };
        if !self.claim(crawl.id) {
            return Err(CrawlError::Running(number.to_string()));
        }
        let mut crawl = crawl;
        if fresh {
            // Starting over: the tree and the attempt count begin anew.
            let reset = async {
                store.reset_crawl(crawl.id).await?;
                store.set_crawl_state(crawl.id, &crawl.status, 0, false, None, None).await
            }
            .await;
            if let Err(e) = reset {
                self.release(crawl.id);
                return Err(e.into());
            }
            crawl.attempt = 0;
        }
        self.begin_claimed(crawl).await
    }

    /// Starts the next attempt of `crawl`.
    async fn begin(&self, crawl: CrawlRow) -> Result<Started, CrawlError> {
        if !self.claim(crawl.id) {
            return Err(CrawlError::Running(crawl.number));
        }
        self.begin_claimed(crawl).await
    }

    /// [`Crawler::begin`] for a crawl this handle has claimed.
    async fn begin_claimed(&self, mut crawl: CrawlRow) -> Result<Started, CrawlError> {
        crawl.attempt += 1;
        crawl.status = "Calling".into();
        let store = &self.shared.store;
        let begun = async {
            store.set_crawl_state(crawl.id, "Calling", crawl.attempt, false, None, None).await?;
            store.add_scan(&crawl).await
        }
        .await;
        let scan = match begun {
            Ok(scan) => scan,
            Err(e) => {
                let reason = format!("could not start: {e}");
                let _ = store.set_crawl_state(crawl.id, "Failed", crawl.attempt, false, Some(&reason), None).await;
                self.release(crawl.id);
                return Err(e.into());
            }
        };
        tracing::info!(crawl = crawl.id, number = %crawl.number, attempt = crawl.attempt, "crawl started");
        let (me, row, scan_id) = (self.clone(), crawl.clone(), scan.id);
        tokio::spawn(async move {
            let shared = me.shared.clone();
            let attempt = tokio::spawn({
                let row = row.clone();
                async move { job::run(&shared, row, scan_id).await }
            });
            if attempt.await.is_err() {
                // A bug ended the attempt; it must not stay "Calling".
                tracing::error!(crawl = row.id, "crawl attempt stopped abnormally");
                let store = &me.shared.store;
                let reason = Some("stopped abnormally");
                let _ = store.set_crawl_state(row.id, "Failed", row.attempt, false, reason, None).await;
                let _ = store.set_scan_status(scan_id, "Failed", None).await;
            }
            me.release(row.id);
        });
        Ok(Started { crawl, scan })
    }

    /// Crawls what is missing under a node (the whole crawl resumes: the
    /// nodes already heard are kept).
    pub async fn resume_under(&self, tenant_id: i64, node_id: i64) -> Result<Started, CrawlError> {
        let (crawl, _) = self.shared.store.crawl_node(tenant_id, node_id).await?.ok_or(CrawlError::NoNode)?;
        if crawl.completed {
            return Err(CrawlError::Completed);
        }
        self.begin(crawl).await
    }

    /// Calls the number of `node_id`'s crawl, presses its keys, and bridges
    /// the call to `forward_to` once there. Returns the call's UUID as soon
    /// as it is answered; the keys are pressed afterwards.
    pub async fn forward(&self, tenant_id: i64, node_id: i64, forward_to: &str) -> Result<String, CrawlError> {
        let (crawl, node) = self.shared.store.crawl_node(tenant_id, node_id).await?.ok_or(CrawlError::NoNode)?;
        let keys = keys_of(&node.keys_to_reach);
        let prints = self.prints_along(&crawl, &node.keys_to_reach).await;
        let me = self.clone();
        let forward_to = forward_to.to_string();
        let (uuid_tx, uuid_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let shared = &me.shared;
            let mut call = match CrawlCall::dial(&shared.control, &shared.config, crawl.tenant_id, &crawl.number).await
            {
                Ok(call) => call,
                Err(e) => {
                    let _ = uuid_tx.send(Err(e));
                    return;
                }
            };
            let _ = uuid_tx.send(Ok(call.uuid().to_string()));
            let bridged = async {
                call.navigate(&keys, &prints).await?;
                call.bridge(&forward_to).await
            }
            .await;
            if let Err(e) = bridged {
                tracing::warn!(call_uuid = %call.uuid(), cause = %e, "forwarding through the menu failed");
                call.hangup().await;
            }
        });
        match uuid_rx.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(CrawlError::Call(CallFailure::Dial("the crawler stopped".into()))),
        }
    }

    /// The prints of the prompts on the way to `keys_to_reach`.
    async fn prints_along(&self, crawl: &CrawlRow, keys_to_reach: &str) -> Vec<Option<Fingerprint>> {
        let keys = keys_of(keys_to_reach);
        let nodes = self.shared.store.crawl_nodes(crawl.id).await.unwrap_or_default();
        let mut prints = Vec::new();
        for level in 0..keys.len() {
            let path: Vec<String> = keys[..level].iter().map(char::to_string).collect();
            let node = nodes.iter().find(|n| n.keys_to_reach == path.join(","));
            let file = node
                .and_then(|n| n.prompt_audio.as_deref())
                .and_then(|p| p.strip_prefix("/api/media/"))
                .map(|p| self.shared.config.media_dir.join(p));
            let pcm = file.and_then(|f| voxide_media::audio::load_wav(&f, crate::ear::RATE).ok());
            prints.push(pcm.map(|p| fingerprint(&p, crate::ear::RATE)));
        }
        prints
    }

    /// Resumes attempts a restart interrupted, then retries failed crawls
    /// when they are due, until `shutdown`.
    pub fn spawn_scheduler(&self, shutdown: CancellationToken) {
        let me = self.clone();
        tokio::spawn(async move {
            match me.shared.store.crawls_to_resume().await {
                Ok(crawls) => {
                    for crawl in crawls {
                        tracing::info!(crawl = crawl.id, number = %crawl.number, "resuming a crawl interrupted by a restart");
                        let _ = me.begin(crawl).await;
                    }
                }
                Err(e) => tracing::warn!(cause = %e, "interrupted crawls not read"),
            }
            let mut tick = tokio::time::interval(me.shared.config.retry_poll);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tick.tick() => me.retry_due().await,
                }
            }
        });
    }

    async fn retry_due(&self) {
        let now = voxide_store::clock::now();
        match self.shared.store.crawls_due_retry(&now).await {
            Ok(crawls) => {
                for crawl in crawls.into_iter().filter(|c| !self.is_running(c.id)) {
                    tracing::info!(crawl = crawl.id, number = %crawl.number, attempt = crawl.attempt + 1, "retrying a crawl");
                    let _ = self.begin(crawl).await;
                }
            }
            Err(e) => tracing::warn!(cause = %e, "due crawls not read"),
        }
    }

    fn is_running(&self, crawl_id: i64) -> bool {
        self.shared.running.lock().is_ok_and(|r| r.contains(&crawl_id))
    }

    fn claim(&self, crawl_id: i64) -> bool {
        self.shared.running.lock().is_ok_and(|mut r| r.insert(crawl_id))
    }

    fn release(&self, crawl_id: i64) {
        if let Ok(mut r) = self.shared.running.lock() {
            r.remove(&crawl_id);
        }
    }
}
