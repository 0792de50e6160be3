//! Writes binding changes to the store in the order they happened, off the
//! driver's task, so a slow disk never stalls SIP.

use tokio::sync::mpsc;
use voxide_registrar::{Binding, BindingChange};
use voxide_store::{BindingRow, Store};

pub(crate) struct Persist {
    tx: mpsc::UnboundedSender<BindingChange>,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl Persist {
    pub(crate) fn start(store: Store) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<BindingChange>();
        let done = tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                let result = match &change {
                    BindingChange::Saved(b) => store.upsert_binding(&row(b)).await,
                    BindingChange::Removed { aor, contact } => store.delete_binding(aor, contact).await,
                };
                if let Err(e) = result {
                    tracing::error!(cause = %e, "could not persist a binding change");
                }
            }
        });
        Self { tx, done: Some(done) }
    }

    pub(crate) fn send(&self, change: BindingChange) {
        let _ = self.tx.send(change);
    }

    /// Waits until every queued change is written.
    pub(crate) async fn flush(&mut self) {
        let (tx, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

fn row(b: &Binding) -> BindingRow {
    BindingRow {
        tenant_id: b.tenant_id,
        extension_id: b.extension_id,
        aor: b.aor.clone(),
        contact: b.contact.clone(),
        q: f64::from(b.q),
        call_id: b.call_id.clone(),
        cseq: i64::from(b.cseq),
        expires_at: b.expires_at,
        source: b.source.to_string(),
        transport: b.transport.as_str().to_string(),
        user_agent: b.user_agent.clone(),
        path: b.path.join(","),
    }
}

/// The reverse, for bindings loaded at start-up. Rows that no longer parse
/// (a hand-edited source address) are skipped.
pub(crate) fn binding(r: BindingRow) -> Option<Binding> {
    Some(Binding {
        tenant_id: r.tenant_id,
        extension_id: r.extension_id,
        aor: r.aor,
        contact: r.contact,
        q: r.q as f32,
        call_id: r.call_id,
        cseq: u32::try_from(r.cseq).ok()?,
        expires_at: r.expires_at,
        source: r.source.parse().ok()?,
        transport: if r.transport.eq_ignore_ascii_case("tcp") {
            voxide_sip::Transport::Tcp
        } else {
            voxide_sip::Transport::Udp
        },
        user_agent: r.user_agent,
        path: r.path.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
    })
}
