//! Voxide's storage: one `Store` over SQLite (the embedded default) or
//! PostgreSQL, chosen by the URL scheme.
//!
//! Every query is written once with `$N` placeholders, which both engines
//! accept through sqlx's `Any` driver. Values are kept to the types both
//! engines share (64-bit integers, doubles, text): timestamps are RFC 3339
//! UTC text, binding expiries are Unix seconds.
//!
//! Layout: one module per table family (`tenants`, `tokens`, `apps`, `extensions`,
//! `dids`, `ivrs`, `crawls`, `cdrs`, `bindings`, `sms`), `secret` for SIP passwords at rest,
//! `clock` for the timestamp format.
//!
//! PBX objects (seed 003): `extension_features`, `hunt_groups`, `voicemail`,
//! `conditions`, `custom_destinations`, `destinations` (chained), `phones`;
//! `destination` parses the destination strings they hold.
//!
//! `user_tenants`: the tenants a user may act in (seed 003's face).

mod apps;
mod bindings;
mod cdrs;
pub mod clock;
pub mod conditions;
mod contacts;
mod crawls;
mod custom_destinations;
mod destination;
mod destinations;
mod dids;
mod error;
mod extension_features;
mod extensions;
mod hunt_groups;
mod ivrs;
mod phones;
mod secret;
mod sms;
mod tenants;
mod tokens;
mod user_tenants;
mod users;
mod voicemail;

pub use apps::AppRow;
pub use bindings::{BindingRow, NewBinding};
pub use cdrs::{CdrEnd, CdrFilter, CdrOrder, CdrRow, CdrStart};
pub use conditions::{ConditionKind, ConditionRow, NewCondition};
pub use contacts::ContactRow;
pub use crawls::{CrawlNodeRow, CrawlRow, ScanRow};
pub use custom_destinations::CustomDestinationRow;
pub use destination::{DestinationError, DestinationRef, is_outside_number};
pub use destinations::{DestinationRow, DestinationUse, NewDestination};
pub use dids::DidPbxChanges;
pub use dids::{DidRow, NewDid};
pub use error::StoreError;
pub use extension_features::{ExtensionFeatures, ExtensionFeaturesPatch, FollowMeStep};
pub use extensions::{ExtensionChanges, ExtensionRow, NewExtension};
pub use hunt_groups::{HuntGroup, HuntMember, HuntStrategy, NewHuntGroup};
pub use ivrs::{IvrDeletion, IvrOptionRow, IvrRow, NewIvr};
pub use phones::{NewPhone, PhoneRow, normalize_mac};
pub use secret::SecretBox;
pub use sms::{NewSms, SmsDirection, SmsRow, SmsStatus};
pub use tenants::{TenantRow, UserRow};
pub use tokens::{TokenScope, generate_token, hash_token};
pub use users::{NewSession, SessionRow};
pub use voicemail::{NewVoicemail, VoicemailRow};

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use std::path::Path;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which engine a `Store` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    secrets: SecretBox,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://…`).
    /// A SQLite file and its directory are created when missing.
    pub async fn connect(url: &str, secrets: SecretBox) -> Result<Self, StoreError> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path != ":memory:"
                && let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(dir.display().to_string(), e))?;
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            (Backend::Sqlite, format!("{url}{sep}mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        // SQLite allows one writer at a time; a small pool avoids lock churn.
        let max = if backend == Backend::Sqlite { 4 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, backend, secrets })
    }

    /// Applies every pending migration for this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
