//! Creating the extensions over the REST API: `POST /api/extensions/`, or
//! for one that already exists, `PATCH` its password.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// Requests in flight at once.
const PARALLEL: usize = 16;

#[derive(Debug, Default, Clone, Copy)]
pub struct Provisioned {
    pub created: u64,
    pub updated: u64,
    pub secs: f64,
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    /// Existing extensions: user name → id.
    async fn ids(&self) -> anyhow::Result<HashMap<String, i64>> {
        let resp = self.client.get(self.url("/api/extensions/")).header("Authorization", &self.auth).send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.context("extension list is not JSON")?;
        if !status.is_success() {
            bail!("listing extensions: HTTP {status}: {body}");
        }
        let list = body.as_array().or_else(|| body["results"].as_array()).cloned().unwrap_or_default();
        Ok(list.iter().filter_map(|e| Some((e["sip_username"].as_str()?.to_owned(), e["id"].as_i64()?))).collect())
    }

    async fn set_password(&self, id: i64, password: &str) -> anyhow::Result<()> {
        let resp = self
            .client
            .patch(self.url(&format!("/api/extensions/{id}/")))
            .header("Authorization", &self.auth)
            .json(&json!({ "sip_password": password }))
            .send()
            .await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("updating extension {id}: HTTP {status}: {}", resp.text().await.unwrap_or_default());
        }
        Ok(())
    }

    /// Creates `name`; `Ok(false)` when it already exists.
    async fn create(&self, name: &str, password: &str) -> anyhow::Result<bool> {
        let resp = self
            .client
            .post(self.url("/api/extensions/"))
            .header("Authorization", &self.auth)
            .json(&json!({ "sip_username": name, "sip_password": password }))
            .send()
            .await?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            201 => Ok(true),
            400 if text.contains("already exists") => Ok(false),
            _ => bail!("creating extension {name}: HTTP {status}: {text}"),
        }
    }
}

/// Makes every extension in `names` exist with `password`.
pub async fn ensure_users(base: &str, token: &str, names: &[String], password: &str) -> anyhow::Result<Provisioned> {
    let started = Instant::now();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let api = Api { client, base: base.to_owned(), auth: format!("Token {token}") };
    let mut known = api.ids().await?;
    let mut out = Provisioned::default();
    for chunk in names.chunks(PARALLEL) {
        let mut tasks = tokio::task::JoinSet::new();
        for name in chunk {
            let (api, name, password) = (api.clone(), name.clone(), password.to_owned());
            let id = known.get(&name).copied();
            tasks.spawn(async move {
                match id {
                    Some(id) => api.set_password(id, &password).await.map(|()| (name, false)),
                    None => api.create(&name, &password).await.map(|created| (name, created)),
                }
            });
        }
        let mut taken = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (name, created) = done.context("provisioning task")??;
            match (created, known.contains_key(&name)) {
                (true, _) => out.created += 1,
                (false, true) => out.updated += 1,
                // Created by someone else since we listed: set its password.
                (false, false) => taken.push(name),
            }
        }
        if !taken.is_empty() {
            known = api.ids().await?;
            for name in taken {
                let id = *known.get(&name).with_context(|| format!("extension {name} exists but is not listed"))?;
                api.set_password(id, password).await?;
                out.updated += 1;
            }
        }
    }
    out.secs = started.elapsed().as_secs_f64();
    Ok(out)
}
