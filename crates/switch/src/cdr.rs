//! CDR writes, in order, off the driver's task. A row is written when a
//! call reaches the switch and completed when it ends, so a crash leaves an
//! open row that the next start closes.

use std::time::SystemTime;

use tokio::sync::mpsc;
use voxide_store::{CdrEnd, CdrStart, Store, clock};

pub(crate) enum CdrOp {
    Start(CdrStart),
    Answered { call_uuid: String, at: String },
    End(CdrEnd),
}

pub(crate) struct CdrWriter {
    tx: mpsc::UnboundedSender<CdrOp>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl CdrWriter {
    pub(crate) fn start(store: Store) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<CdrOp>();
        let done = tokio::spawn(async move {
            while let Some(op) = rx.recv().await {
                let result = match &op {
                    CdrOp::Start(s) => store.start_cdr(s).await.map(|_| ()),
                    CdrOp::Answered { call_uuid, at } => store.answer_cdr(call_uuid, at).await.map(|_| ()),
                    CdrOp::End(e) => store.end_cdr(e).await.map(|_| ()),
                };
                if let Err(e) = result {
                    tracing::error!(cause = %e, "could not write a CDR");
                }
            }
        });
        Self { tx, done: Some(done) }
    }

    pub(crate) fn send(&self, op: CdrOp) {
        let _ = self.tx.send(op);
    }

    /// A sender for tasks that finish a CDR later (after a recording closes).
    pub(crate) fn sender(&self) -> mpsc::UnboundedSender<CdrOp> {
        self.tx.clone()
    }

    pub(crate) async fn flush(&mut self) {
        let (tx, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

/// A time as the store writes it.
pub(crate) fn stamp(t: SystemTime) -> String {
    clock::format(t.into())
}
