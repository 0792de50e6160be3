//! `/phone/…`: a tenant's provisioned desk phones through the native
//! `/api/phones/` handlers.
//!
//! `ph_pm_id` is the phone model: `1` generic, `2` Yealink-style, `3`
//! Polycom-style (the native `model`); `ph_filename` the configuration
//! file the phone fetches from `/provision/`; `ph_name` its name. A phone
//! added without `ph_http_user` fetches its file as its MAC address (12
//! hex digits), and without `ph_http_password` with a random one of 16
//! hex digits, shown by the native `/api/phones/{id}/`. Which extension
//! it registers as is set there too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use rand::RngCore;
use serde_json::{Map, Value, json};
use voxide_store::{PhoneRow, normalize_mac};

use super::{Failure, Params, SeedUser, native_body, parse_id, success, text};
use crate::AppState;
use crate::error::FieldErrors;
use crate::json::ApiJson;
use crate::provisioning::Model;

/// The fields `phone` may carry.
const KNOWN: &[&str] = &["ph_name", "ph_te_id", "ph_pm_id", "ph_mac", "ph_http_user", "ph_http_password"];
/// Native field names and the seed's.
const NAMES: &[(&str, &str)] = &[
    ("name", "ph_name"),
    ("mac", "ph_mac"),
    ("model", "ph_pm_id"),
    ("http_username", "ph_http_user"),
    ("http_password", "ph_http_password"),
];

/// `ph_pm_id` of a model: its place in `Model::ALL`, from 1.
fn model_id(model: &str) -> String {
    Model::ALL.iter().position(|m| m.name() == model).map_or_else(String::new, |i| (i + 1).to_string())
}

fn model_named(id: &str) -> Option<Model> {
    let i = id.trim().parse::<usize>().ok()?.checked_sub(1)?;
    Model::ALL.get(i).copied()
}

fn row(p: &PhoneRow) -> Value {
    let suffix = Model::parse(&p.model).map_or("cfg", Model::suffix);
    json!({
        "ph_id": p.id.to_string(),
        "ph_name": p.name,
        "ph_te_id": p.tenant_id.to_string(),
        "ph_pm_id": model_id(&p.model),
        "ph_mac": p.mac,
        "ph_filename": format!("{}.{suffix}", p.mac),
    })
}

/// `POST /phone/bytenant` (`tenant_id`): the tenant's phones, by id.
pub(crate) async fn by_tenant(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let rows: Vec<Value> = state.store.phones(tenant.id).await?.iter().map(row).collect();
    Ok(success(rows))
}

/// `POST /phone/deletebyid` (`phone_id`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["phone_id"])?;
    let p = state.store.phone_any_tenant(parse_id(id)?).await?.ok_or(Failure::NotFound)?;
    user.check(&state, p.tenant_id).await?;
    crate::phones::delete(State(state), user.caller(p.tenant_id), Path(p.id.to_string())).await?;
    Ok(success("Record Deleted Successfully."))
}

/// 16 random hex digits.
fn random_password() -> String {
    let mut raw = [0u8; 8];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// `POST /phone/AddNewPhone` (`phone`: JSON of `ph_name`, `ph_te_id`,
/// `ph_pm_id`, `ph_mac`, all required, and `ph_http_user`,
/// `ph_http_password`): `{"msg", "PhoneID"}`.
pub(crate) async fn add(State(state): State<AppState>, user: SeedUser, params: Params) -> Result<Json<Value>, Failure> {
    let fields = params.object("phone", KNOWN)?;
    let given = |name: &str| fields.get(name).and_then(text).filter(|v| !v.trim().is_empty());
    let missing: Vec<String> = ["ph_name", "ph_te_id", "ph_pm_id", "ph_mac"]
        .into_iter()
        .filter(|f| given(f).is_none())
        .map(str::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Required(missing));
    }
    let tenant = user.tenant(&state, &given("ph_te_id").unwrap_or_default()).await?;
    let name = given("ph_name").unwrap_or_default().trim().to_string();
    let mut errors = FieldErrors::new();
    crate::destinations::check_name(&mut errors, "name", &name, 64);
    let model = model_named(&given("ph_pm_id").unwrap_or_default());
    if model.is_none() {
        let ids: Vec<String> =
            Model::ALL.iter().enumerate().map(|(i, m)| format!("{} ({})", i + 1, m.name())).collect();
        errors.insert("model".into(), vec![format!("Enter one of {}.", ids.join(", "))]);
    }
    if !errors.is_empty() {
        return Err(Failure::from_api(crate::ApiError::Fields(errors), NAMES));
    }
    let mac = given("ph_mac").unwrap_or_default();
    let mut native = Map::new();
    native.insert("model".into(), json!(model.map(Model::name)));
    native.insert(
        "http_username".into(),
        json!(given("ph_http_user").unwrap_or_else(|| normalize_mac(&mac).unwrap_or_default())),
    );
    native.insert("http_password".into(), json!(given("ph_http_password").unwrap_or_else(random_password)));
    native.insert("mac".into(), json!(mac));
    let body = native_body(native, NAMES)?;
    let created = crate::phones::create(State(state.clone()), user.caller(tenant.id), ApiJson(body))
        .await
        .map_err(|e| Failure::from_api(e, NAMES))?
        .into_response();
    if created.status() != StatusCode::CREATED {
        return Err(Failure::from_response(created).await);
    }
    let bytes = axum::body::to_bytes(created.into_body(), 64 * 1024).await.unwrap_or_default();
    let id = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["id"].as_i64()).ok_or(Failure::NotFound)?;
    state.store.set_phone_name(tenant.id, id, &name).await?.ok_or(Failure::NotFound)?;
    Ok(success(json!({ "msg": "Record Inserted Successfully.", "PhoneID": id.to_string() })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_count_from_one_in_the_native_order() {
        assert_eq!(model_id("generic"), "1");
        assert_eq!(model_id("polycom"), "3");
        assert_eq!(model_named("2"), Some(Model::Yealink));
        assert_eq!(model_named("0"), None);
        assert_eq!(model_named("4"), None);
        assert_eq!(model_named("x"), None);
    }
}
