//! How the crawler paces and bounds its work.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CrawlerConfig {
    /// Quiet after speech that ends a menu prompt (the original waited 5 s).
    pub menu_silence: Duration,
    /// A call not answered by then fails.
    pub answer_timeout: Duration,
    /// An answered call that says nothing for this long fails ("silence").
    pub first_speech_timeout: Duration,
    /// A prompt longer than this fails the crawl ("never ends").
    pub max_prompt: Duration,
    /// Menus deeper than this are not explored.
    pub max_depth: usize,
    /// Calls one crawl attempt may place.
    pub max_calls: usize,
    /// Pause between two calls of a crawl, to be polite to the IVR.
    pub pause: Duration,
    /// Length of each key pressed (RFC 4733 event duration).
    pub digit_ms: u32,
    /// What the dialled IVR is shown as the caller.
    pub caller_id: String,
    /// Attempts of a failed crawl, the first included.
    pub max_attempts: i64,
    /// Wait before the first retry; doubled for each further one.
    pub retry_backoff: Duration,
    /// How often due retries are looked for.
    pub retry_poll: Duration,
    /// Where each node's prompt is kept as WAV (`domain_<tenant>/crawl_…` below it,
    /// served under `/api/media/`).
    pub media_dir: PathBuf,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        CrawlerConfig {
            menu_silence: Duration::from_secs(5),
            answer_timeout: Duration::from_secs(60),
            first_speech_timeout: Duration::from_secs(15),
            max_prompt: Duration::from_secs(120),
            max_depth: 5,
            max_calls: 100,
            pause: Duration::from_secs(1),
            digit_ms: 120,
            caller_id: "voxide".into(),
            max_attempts: 3,
            retry_backoff: Duration::from_secs(60),
            retry_poll: Duration::from_secs(5),
            media_dir: PathBuf::from("data/recordings"),
        }
    }
}
