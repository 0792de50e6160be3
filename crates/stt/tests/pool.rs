//! The worker pool on real speech and the real model: ordering per stream,
//! bounded concurrency, partial results, and dropping audio rather than
//! blocking when saturated.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{model, silence, speak};
use voxide_stt::{
    Recognizer, RecognizerSession, SessionOptions, StreamHandle, SttError, SttEvent, SttPool, Transcript,
};

/// 20 ms of 8 kHz audio, the size of one G.711 RTP packet.
const RTP_CHUNK: usize = 160;

/// Wraps the real recognizer to record how many decodes run at once.
struct Counting {
    inner: Arc<dyn Recognizer>,
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

struct CountingSession {
    inner: Box<dyn RecognizerSession>,
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Recognizer for Counting {
    fn session(&self, opts: SessionOptions) -> Result<Box<dyn RecognizerSession>, SttError> {
        Ok(Box::new(CountingSession {
            inner: self.inner.session(opts)?,
            running: Arc::clone(&self.running),
            most: Arc::clone(&self.most),
        }))
    }
}

impl RecognizerSession for CountingSession {
    fn accept(&mut self, pcm: &[i16]) -> Result<Option<Transcript>, SttError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        let result = self.inner.accept(pcm);
        self.running.fetch_sub(1, Ordering::SeqCst);
        result
    }
    fn partial(&mut self) -> Option<String> {
        self.inner.partial()
    }
    fn finish(&mut self) -> Result<Option<Transcript>, SttError> {
        self.inner.finish()
    }
}

/// Feeds `pcm` in RTP-sized chunks, then collects every final in order.
async fn run_stream(mut stream: StreamHandle, pcm: &[i16]) -> Vec<String> {
    for chunk in pcm.chunks(RTP_CHUNK) {
        stream.feed(chunk.to_vec()).expect("queue sized for the whole utterance");
    }
    let last = stream.finish().await.unwrap();
    let mut finals = Vec::new();
    while let Some(event) = stream.next_event().await {
        match event {
            SttEvent::Final(t) => finals.push(collapse_repeats(&t.text)),
            SttEvent::Partial(_) => {}
            SttEvent::Failed(err) => panic!("stream failed: {err}"),
        }
    }
    finals.extend(last.map(|t| collapse_repeats(&t.text)));
    finals
}

/// The decoder sometimes hears a long grammar phrase twice in a row in the
/// synthetic voice ("감사합니다 감사합니다"); what is under test is which
/// phrase each utterance holds and their order.
fn collapse_repeats(text: &str) -> String {
    let mut words: Vec<&str> = text.split(' ').collect();
    words.dedup();
    words.join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_streams_than_workers_all_finish_with_utterances_in_order() {
    let rate = 8_000;
    let grammar = ["안녕하세요", "감사합니다", "상담원"];
    let hello = speak("안녕하세요", 120, rate).0;
    let thanks = speak("감사합니다", 120, rate).0;
    let operator = speak("상담원", 120, rate).0;

    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let counting = Counting { inner: model(), running: Arc::clone(&running), most: Arc::clone(&most) };
    let workers = 2;
    let pool = Arc::new(SttPool::new(Arc::new(counting), workers, 4096));

    // Six streams on two workers, each saying three phrases with pauses
    // between, in a different order per stream.
    let orders = [
        [&hello, &thanks, &operator],
        [&thanks, &operator, &hello],
        [&operator, &hello, &thanks],
        [&hello, &operator, &thanks],
        [&thanks, &hello, &operator],
        [&operator, &thanks, &hello],
    ];
    let name = |pcm: &Vec<i16>| {
        if std::ptr::eq(pcm, &hello) {
            "안녕하세요"
        } else if std::ptr::eq(pcm, &thanks) {
            "감사합니다"
        } else {
            "상담원"
        }
    };
    let mut streams = Vec::new();
    for order in orders {
        let mut pcm = Vec::new();
        for phrase in order {
            pcm.extend_from_slice(phrase);
            pcm.extend(silence(1.2, rate));
        }
        let expected: Vec<String> = order.iter().map(|p| name(p).to_owned()).collect();
        let stream = pool.open(SessionOptions::new(rate).with_grammar(grammar)).await.unwrap();
        streams.push((stream, pcm, expected));
    }
    assert_eq!(pool.stats().streams_open, orders.len());
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|(stream, pcm, expected)| tokio::spawn(async move { (run_stream(stream, &pcm).await, expected) }))
        .collect();
    for task in tasks {
        let (finals, expected) = task.await.unwrap();
        assert_eq!(finals, expected);
    }
    assert!(most.load(Ordering::SeqCst) <= workers, "more decodes at once than workers");
    assert_eq!(pool.stats().chunks_dropped, 0);
    assert_eq!(pool.stats().streams_open, 0);
}

#[tokio::test]
async fn partials_grow_before_the_final_of_an_utterance() {
    let rate = 16_000;
    let mut pcm = speak("번호를 누르세요", 120, rate).0;
    pcm.extend(silence(1.5, rate));
    let pool = SttPool::new(model(), 1, 4096);
    let mut stream = pool.open(SessionOptions::new(rate)).await.unwrap();
    for chunk in pcm.chunks(rate as usize / 50) {
        stream.feed(chunk.to_vec()).unwrap();
    }
    let last = stream.finish().await.unwrap();
    let mut partials = Vec::new();
    let mut finals = Vec::new();
    while let Some(event) = stream.next_event().await {
        match event {
            SttEvent::Partial(text) => {
                assert!(finals.is_empty(), "partial {text:?} after the final");
                partials.push(text);
            }
            SttEvent::Final(t) => finals.push(t),
            SttEvent::Failed(err) => panic!("stream failed: {err}"),
        }
    }
    finals.extend(last);
    assert_eq!(finals.len(), 1, "{finals:?}");
    assert!(finals[0].text.contains("번호를"), "{finals:?}");
    assert!(!partials.is_empty(), "no partial before the final");
    assert!(partials.windows(2).all(|w| w[0] != w[1]), "repeated partials: {partials:?}");
}

#[tokio::test]
async fn a_saturated_worker_drops_chunks_counts_them_and_keeps_the_stream_alive() {
    let rate = 16_000;
    let pcm = speak("안녕하세요", 120, rate).0;
    let pool = SttPool::new(model(), 1, 4);
    let mut stream = pool.open(SessionOptions::new(rate).with_grammar(["안녕하세요", "감사합니다"])).await.unwrap();
    // Far faster than one worker decodes: feeding must not wait.
    let mut busy = 0;
    let started = std::time::Instant::now();
    for chunk in pcm.chunks(320) {
        match stream.feed(chunk.to_vec()) {
            Ok(()) => {}
            Err(SttError::Busy) => busy += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    let feeding = started.elapsed();
    assert!(busy > 0, "a queue of 4 took {} chunks", pcm.len() / 320);
    assert_eq!(pool.stats().chunks_dropped, busy);
    assert!(feeding < std::time::Duration::from_millis(100), "feeding blocked for {feeding:?}");
    // The stream itself survives the loss.
    assert!(stream.finish().await.is_ok());
}

#[tokio::test]
async fn a_finished_stream_refuses_audio_and_ends_its_events() {
    let pool = SttPool::new(model(), 1, 16);
    let mut stream = pool.open(SessionOptions::new(8_000)).await.unwrap();
    stream.feed(silence(0.2, 8_000)).unwrap();
    assert_eq!(stream.finish().await.unwrap(), None, "silence has no words");
    assert!(matches!(stream.feed(silence(0.02, 8_000)), Err(SttError::Closed)));
    assert!(matches!(stream.finish().await, Err(SttError::Closed)));
    assert!(stream.next_event().await.is_none());
}

#[tokio::test]
async fn a_bad_grammar_fails_the_open_not_the_worker() {
    let pool = SttPool::new(model(), 1, 16);
    let bad = pool.open(SessionOptions::new(8_000).with_grammar(["\"quoted\""])).await;
    assert!(matches!(bad, Err(SttError::InvalidGrammar { .. })));
    // The worker still serves the next stream.
    let mut good = pool.open(SessionOptions::new(8_000)).await.unwrap();
    assert_eq!(good.finish().await.unwrap(), None);
    assert_eq!(pool.stats().streams_open, 1);
}
