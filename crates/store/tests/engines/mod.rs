//! Shared by the store's test files: each case runs on a fresh SQLite
//! file and, when `VOXIDE_TEST_POSTGRES_URL` is set, on PostgreSQL in a
//! schema of its own.

use std::future::Future;

use sqlx::any::AnyPoolOptions;
use voxide_store::{SecretBox, Store};

/// Runs `case` on a fresh SQLite file, then on PostgreSQL if configured.
pub fn on_both_engines<F, Fut>(name: &str, case: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let file = std::env::temp_dir().join(format!("voxide-{name}-{}.db", rand::random::<u64>()));
        let store = open(format!("sqlite://{}", file.display())).await;
        case(store.clone()).await;
        store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }

        let Some(base) = std::env::var("VOXIDE_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
            println!("{name}: PostgreSQL half skipped: VOXIDE_TEST_POSTGRES_URL is not set");
            return;
        };
        let schema = format!("voxide_test_{:016x}", rand::random::<u64>());
        let admin = AnyPoolOptions::new().max_connections(1).connect(&base).await.expect("PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let store = open(format!("{base}{sep}options=-c%20search_path%3D{schema}")).await;
        case(store.clone()).await;
        store.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&admin).await.unwrap();
        admin.close().await;
    });
}

pub async fn open(url: String) -> Store {
    let store = Store::connect(&url, SecretBox::from_key_material("test key material")).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}
