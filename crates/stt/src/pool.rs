//! A fixed set of worker threads that run recognition off the async runtime.
//!
//! Each stream is pinned to one worker (the one with the fewest streams when
//! it opens) and its commands travel through that worker's FIFO queue, so a
//! stream's audio is decoded strictly in order and at most `workers` decodes
//! run at once, however many calls are being transcribed.
//!
//! Feeding never waits. When a worker's queue is full the chunk is dropped,
//! counted in [`PoolStats::chunks_dropped`] and reported as
//! [`SttError::Busy`]: the caller is usually the RTP relay of a live call, and
//! a gap in a transcript is a far smaller harm than late or lost voice for
//! the people on the call. Opening and finishing a stream, which happen once
//! each, wait for room instead.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};

use crate::{Recognizer, RecognizerSession, SessionOptions, SttError, Transcript};

/// Partials are recomputed at most this often (in audio time): asking the
/// decoder for its best path costs about as much as decoding the chunk.
const PARTIAL_EVERY_MS: u64 = 200;

/// What a stream reports while audio is decoded.
#[derive(Debug)]
pub enum SttEvent {
    /// The utterance in progress, as currently understood; replaced by later
    /// partials and finally by a [`SttEvent::Final`].
    Partial(String),
    /// An utterance ended (the speaker paused).
    Final(Transcript),
    /// Decoding failed; the stream takes no more audio.
    Failed(SttError),
}

/// A snapshot of the pool's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: usize,
    /// Streams opened and not yet dropped.
    pub streams_open: usize,
    /// Chunks refused with [`SttError::Busy`] since the pool started.
    pub chunks_dropped: u64,
}

/// Worker threads shared by every stream. Cheap to share behind an `Arc`;
/// dropping it lets each worker exit once its last stream is dropped.
pub struct SttPool {
    workers: Vec<WorkerLink>,
    chunks_dropped: Arc<AtomicU64>,
}

struct WorkerLink {
    jobs: mpsc::Sender<Job>,
    /// Streams pinned to this worker, for placing new ones.
    streams: Arc<AtomicUsize>,
}

impl SttPool {
    /// Starts `workers` threads (at least one), each with a queue of `queue`
    /// pending chunks (at least one) shared by the streams pinned to it.
    /// With the small Korean model a 20 ms chunk costs about 8 ms of CPU in
    /// open dictation and well under 1 ms with a grammar, so a worker keeps
    /// up with two or three dictated calls; the queue absorbs bursts.
    pub fn new(recognizer: Arc<dyn Recognizer>, workers: usize, queue: usize) -> Self {
        let workers = (0..workers.max(1))
            .map(|index| {
                let (jobs, inbox) = mpsc::channel(queue.max(1));
                let recognizer = Arc::clone(&recognizer);
                std::thread::Builder::new()
                    .name(format!("stt-worker-{index}"))
                    .spawn(move || run_worker(inbox, recognizer))
                    .expect("spawning an STT worker thread");
                WorkerLink { jobs, streams: Arc::new(AtomicUsize::new(0)) }
            })
            .collect();
        Self { workers, chunks_dropped: Arc::new(AtomicU64::new(0)) }
    }

    /// Opens a stream on the least loaded worker. Creating the decoder (and
    /// compiling a grammar) runs on that worker, not on the caller's thread.
    pub async fn open(&self, opts: SessionOptions) -> Result<StreamHandle, SttError> {
        let worker = self
            .workers
            .iter()
            .min_by_key(|w| w.streams.load(Ordering::Relaxed))
            .expect("a pool has at least one worker");
        let placement = Placement::new(Arc::clone(&worker.streams));
        let (events_tx, events) = mpsc::unbounded_channel();
        let stream = Arc::new(Mutex::new(StreamState {
            session: None,
            events: Some(events_tx),
            sample_rate: u64::from(opts.sample_rate.max(1)),
            samples_since_partial: 0,
            last_partial: String::new(),
        }));
        let (reply, opened) = oneshot::channel();
        let job = Job { stream: Arc::clone(&stream), command: Command::Open { opts, reply } };
        worker.jobs.send(job).await.map_err(|_| SttError::Closed)?;
        opened.await.map_err(|_| SttError::Closed)??;
        Ok(StreamHandle {
            jobs: worker.jobs.clone(),
            stream,
            events,
            chunks_dropped: Arc::clone(&self.chunks_dropped),
            finished: false,
            _placement: placement,
        })
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            workers: self.workers.len(),
            streams_open: self.workers.iter().map(|w| w.streams.load(Ordering::Relaxed)).sum(),
            chunks_dropped: self.chunks_dropped.load(Ordering::Relaxed),
        }
    }
}

/// One audio stream being transcribed. Dropping it abandons the stream;
/// [`StreamHandle::finish`] decodes the tail first.
pub struct StreamHandle {
    jobs: mpsc::Sender<Job>,
    stream: Arc<Mutex<StreamState>>,
    events: mpsc::UnboundedReceiver<SttEvent>,
    chunks_dropped: Arc<AtomicU64>,
    finished: bool,
    _placement: Placement,
}

impl StreamHandle {
    /// Queues mono samples at the stream's rate without waiting. See the
    /// module docs for why a full queue drops the chunk.
    pub fn feed(&self, pcm: impl Into<Arc<[i16]>>) -> Result<(), SttError> {
        if self.finished {
            return Err(SttError::Closed);
        }
        let job = Job { stream: Arc::clone(&self.stream), command: Command::Audio(pcm.into()) };
        self.jobs.try_send(job).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => {
                self.chunks_dropped.fetch_add(1, Ordering::Relaxed);
                SttError::Busy
            }
            mpsc::error::TrySendError::Closed(_) => SttError::Closed,
        })
    }

    /// The next partial or final result; `None` once the stream is finished
    /// (or failed) and every event has been read.
    pub async fn next_event(&mut self) -> Option<SttEvent> {
        self.events.recv().await
    }

    /// An event already produced, without waiting.
    pub fn try_next_event(&mut self) -> Option<SttEvent> {
        self.events.try_recv().ok()
    }

    /// Waits for every queued chunk to be decoded, then returns the last
    /// utterance (the one still open when audio stopped). Events produced
    /// before it stay readable; no more are produced.
    pub async fn finish(&mut self) -> Result<Option<Transcript>, SttError> {
        if self.finished {
            return Err(SttError::Closed);
        }
        self.finished = true;
        let (reply, done) = oneshot::channel();
        let job = Job { stream: Arc::clone(&self.stream), command: Command::Finish { reply } };
        self.jobs.send(job).await.map_err(|_| SttError::Closed)?;
        done.await.map_err(|_| SttError::Closed)?
    }
}

/// Counts a stream against its worker for as long as its handle lives.
struct Placement(Arc<AtomicUsize>);

impl Placement {
    fn new(streams: Arc<AtomicUsize>) -> Self {
        streams.fetch_add(1, Ordering::Relaxed);
        Self(streams)
    }
}

impl Drop for Placement {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Job {
    stream: Arc<Mutex<StreamState>>,
    command: Command,
}

enum Command {
    Open { opts: SessionOptions, reply: oneshot::Sender<Result<(), SttError>> },
    Audio(Arc<[i16]>),
    Finish { reply: oneshot::Sender<Result<Option<Transcript>, SttError>> },
}

/// A stream's decoder and where its results go. Only its worker locks it,
/// one job at a time, so the lock is never contended; it is shared only so
/// that whichever of handle and queued jobs goes last frees the decoder.
struct StreamState {
    /// `None` before opening and after finishing or failing.
    session: Option<Box<dyn RecognizerSession>>,
    /// Dropped on finish or failure so that the handle's receiver ends.
    events: Option<mpsc::UnboundedSender<SttEvent>>,
    sample_rate: u64,
    samples_since_partial: u64,
    last_partial: String,
}

impl StreamState {
    fn emit(&self, event: SttEvent) {
        if let Some(events) = &self.events {
            // A handle that stopped reading loses nothing it wanted.
            let _ = events.send(event);
        }
    }

    fn fail(&mut self, error: SttError) {
        tracing::warn!(cause = %error, "speech stream failed");
        self.session = None;
        self.emit(SttEvent::Failed(error));
        self.events = None;
    }

    fn accept(&mut self, pcm: &[i16]) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match guarded(|| session.accept(pcm)) {
            Ok(Some(transcript)) => {
                self.last_partial.clear();
                self.samples_since_partial = 0;
                self.emit(SttEvent::Final(transcript));
            }
            Ok(None) => self.maybe_partial(pcm.len()),
            Err(error) => self.fail(error),
        }
    }

    fn maybe_partial(&mut self, fed: usize) {
        self.samples_since_partial += fed as u64;
        if self.samples_since_partial * 1000 < PARTIAL_EVERY_MS * self.sample_rate {
            return;
        }
        self.samples_since_partial = 0;
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match guarded(|| Ok(session.partial())) {
            Ok(Some(partial)) if partial != self.last_partial => {
                self.last_partial.clone_from(&partial);
                self.emit(SttEvent::Partial(partial));
            }
            Ok(_) => {}
            Err(error) => self.fail(error),
        }
    }

    fn finish(&mut self) -> Result<Option<Transcript>, SttError> {
        let result = match self.session.as_mut() {
            Some(session) => guarded(|| session.finish()),
            None => Err(SttError::Closed),
        };
        self.session = None;
        self.events = None;
        result
    }
}

fn run_worker(mut inbox: mpsc::Receiver<Job>, recognizer: Arc<dyn Recognizer>) {
    while let Some(Job { stream, command }) = inbox.blocking_recv() {
        let mut state = stream.lock().unwrap_or_else(PoisonError::into_inner);
        match command {
            Command::Open { opts, reply } => {
                let opened = guarded(|| recognizer.session(opts)).map(|session| {
                    state.session = Some(session);
                });
                let _ = reply.send(opened);
            }
            Command::Audio(pcm) => state.accept(&pcm),
            Command::Finish { reply } => {
                let _ = reply.send(state.finish());
            }
        }
    }
}

/// Runs recognizer code so that a panic in it fails one stream instead of
/// killing the worker and every stream pinned to it.
fn guarded<T>(f: impl FnOnce() -> Result<T, SttError>) -> Result<T, SttError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(SttError::Panicked { message })
    })
}
