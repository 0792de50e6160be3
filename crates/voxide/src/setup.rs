//! Start-up steps shared by `serve`, `migrate` and `token create`: open
//! the store, migrate, make sure the default tenant and an admin exist.

use anyhow::Context;
use voxide_store::{SecretBox, Store, TenantRow, UserRow, generate_token};

use crate::config::Config;

/// Opens and migrates the configured store.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let secrets = if config.store.secret_key.is_empty() {
        SecretBox::from_key_file(std::path::Path::new(&config.store.secret_key_file))?
    } else {
        SecretBox::from_key_material(&config.store.secret_key)
    };
    let store = Store::connect(&config.store.url, secrets).await.context("opening the store")?;
    store.migrate().await.context("migrating the store")?;
    Ok(store)
}

/// The default tenant (named by `sip.domain`) and its admin user.
pub async fn default_tenant(store: &Store, config: &Config) -> anyhow::Result<(TenantRow, UserRow)> {
    let tenant = store.ensure_tenant(&config.sip.domain).await?;
    let admin = store.ensure_user(tenant.id, "admin", true).await?;
    Ok((tenant, admin))
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    store.close().await;
    println!("migrations applied");
    Ok(())
}

pub async fn create_token(config: &Config, name: &str, tenant: Option<&str>, superadmin: bool) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let (default, admin) = default_tenant(&store, config).await?;
    let (tenant, user) = match tenant {
        Some(domain) if !domain.eq_ignore_ascii_case(&default.domain) => {
            let t = store.ensure_tenant(&domain.to_ascii_lowercase()).await?;
            let u = store.ensure_user(t.id, &format!("admin@{}", t.domain), false).await?;
            (t, u)
        }
        _ => (default, admin),
    };
    let token = generate_token();
    store.insert_token(tenant.id, user.id, name, &token, superadmin).await?;
    store.close().await;
    println!("{token}");
    Ok(())
}

/// `voxide user add`: a console user whose password is read from stdin.
/// Adds (`join`) or removes a user's membership of another tenant.
pub async fn user_membership(config: &Config, username: &str, tenant: &str, join: bool) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let outcome = async {
        let (user, _) =
            store.user_credentials(username.trim()).await?.with_context(|| format!("no user named {username}"))?;
        let tenant = tenant.trim();
        let found = if !tenant.is_empty() && tenant.chars().all(|c| c.is_ascii_digit()) {
            store.tenant(tenant.parse().context("tenant id")?).await?
        } else {
            store.tenant_by_domain(&tenant.to_ascii_lowercase()).await?
        };
        let tenant = found.with_context(|| format!("no tenant {tenant}"))?;
        let changed = if join {
            store.add_user_tenant(user.id, tenant.id).await?
        } else {
            store.remove_user_tenant(user.id, tenant.id).await?
        };
        let verb = match (join, changed) {
            (true, true) => "now belongs to",
            (true, false) => "already belonged to",
            (false, true) => "no longer belongs to",
            (false, false) => "did not belong to",
        };
        println!("user {} {verb} tenant {}", user.username, tenant.domain);
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    outcome
}

pub async fn add_user(config: &Config, username: &str, tenant: Option<&str>, superadmin: bool) -> anyhow::Result<()> {
    let username = username.trim();
    if username.is_empty() || username.len() > 150 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        anyhow::bail!("the username must be 1 to 150 characters without spaces");
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let hash = tokio::task::spawn_blocking(move || voxide_console::hash_password(&password)).await??;
    let store = open_store(config).await?;
    let (default, _) = default_tenant(&store, config).await?;
    let tenant = match tenant.map(str::trim) {
        None | Some("") => default,
        Some(id) if id.chars().all(|c| c.is_ascii_digit()) => {
            let id: i64 = id.parse().context("tenant id")?;
            store.tenant(id).await?.with_context(|| format!("no tenant has id {id}"))?
        }
        Some(domain) => store.ensure_tenant(&domain.to_ascii_lowercase()).await?,
    };
    let created = store.create_user(tenant.id, username, &hash, superadmin).await;
    store.close().await;
    match created {
        Ok(user) => {
            println!("user {} (id {}) added to tenant {}", user.username, user.id, tenant.domain);
            Ok(())
        }
        Err(voxide_store::StoreError::Conflict) => anyhow::bail!("a user named {username} already exists"),
        Err(e) => Err(e.into()),
    }
}

/// On a first start with no token at all, makes one and prints it once.
/// A configured `api.bootstrap_token` is stored (as a hash) if new.
pub async fn bootstrap_token(
    store: &Store,
    config: &Config,
    tenant: &TenantRow,
    admin: &UserRow,
) -> anyhow::Result<()> {
    if !config.api.bootstrap_token.is_empty() {
        if store.token_scope(&config.api.bootstrap_token).await?.is_none() {
            store.insert_token(tenant.id, admin.id, "bootstrap", &config.api.bootstrap_token, true).await?;
        }
        return Ok(());
    }
    if store.token_count().await? == 0 {
        let token = generate_token();
        store.insert_token(tenant.id, admin.id, "admin", &token, true).await?;
        eprintln!("\n  Admin API token (shown once, keep it): {token}\n");
    }
    Ok(())
}
