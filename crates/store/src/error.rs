use thiserror::Error;

/// What can go wrong talking to the database.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The store URL names an engine Voxide does not speak.
    #[error("unsupported store url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A directory or key file could not be created or read.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The database driver failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed to apply.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row that must be unique already exists.
    #[error("already exists")]
    Conflict,
    /// A secret could not be encrypted or decrypted (wrong key?).
    #[error("secret: {0}")]
    Secret(&'static str),
}

impl StoreError {
    /// Maps unique-constraint violations to `Conflict` so callers can answer 400.
    pub(crate) fn from_write(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return StoreError::Conflict;
        }
        StoreError::Database(err)
    }
}
