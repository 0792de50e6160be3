//! `/api/ivrs/`: a tenant's hosted IVR menus. A menu plays its greeting
//! (TTS text or a WAV of the prompts directory), waits for a digit and acts
//! on it; a DID routes to a menu through `/api/did_numbers/{id}/`'s
//! `ivr_id`. A super-admin lists its own tenant's menus and reaches any
//! menu by id.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use voxide_store::{IvrDeletion, IvrOptionRow, IvrRow, NewIvr, StoreError};
use voxide_switch::dialable;

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::error::{ApiError, FieldErrors};
use crate::extensions::parse_id;
use crate::json::ApiJson;

/// What a menu does when nothing else is said.
const DEFAULT_TIMEOUT_MS: i64 = 5000;
const DEFAULT_REPEAT: i64 = 3;
/// The longest text a menu speaks.
const MAX_TEXT: usize = 1000;
const ACTIONS: [&str; 5] = ["extension", "ivr", "number", "hangup", "playback"];

/// A menu as the API shows it.
#[derive(Debug, Serialize)]
pub struct IvrView {
    pub id: i64,
    pub name: String,
    pub greeting_text: Option<String>,
    pub greeting_file: Option<String>,
    pub timeout_ms: i64,
    pub repeat: i64,
    pub invalid_text: Option<String>,
    pub timeout_text: Option<String>,
    pub options: Vec<OptionView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
pub struct OptionView {
    pub digit: String,
    pub action: String,
    pub target: String,
}

impl From<IvrRow> for IvrView {
    fn from(m: IvrRow) -> Self {
        IvrView {
            id: m.id,
            name: m.name,
            greeting_text: m.greeting_text,
            greeting_file: m.greeting_file,
            timeout_ms: m.timeout_ms,
            repeat: m.repeat,
            invalid_text: m.invalid_text,
            timeout_text: m.timeout_text,
            options: m
                .options
                .into_iter()
                .map(|o| OptionView { digit: o.digit, action: o.action, target: o.target })
                .collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Body of POST/PUT/PATCH. A field left out keeps its value on PATCH and
/// takes its default otherwise; `null` clears the optional texts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IvrBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    greeting_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    greeting_file: Option<Option<String>>,
    timeout_ms: Option<i64>,
    repeat: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    invalid_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    timeout_text: Option<Option<String>>,
    options: Option<Vec<OptionBody>>,
    /// Read-only fields clients echo back from a GET; accepted and ignored.
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    digit: String,
    action: String,
    #[serde(default)]
    target: Option<Target>,
}

/// An option's target: text, or an IVR id given as a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Target {
    Text(String),
    Id(i64),
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A text field, with blank meaning none.
fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The menu `body` describes, on top of `current` for PATCH.
fn merge(body: IvrBody, current: Option<IvrRow>) -> NewIvr {
    let base = current.map_or_else(
        || NewIvr { timeout_ms: DEFAULT_TIMEOUT_MS, repeat: DEFAULT_REPEAT, ..NewIvr::default() },
        |m| NewIvr {
            name: m.name,
            greeting_text: m.greeting_text,
            greeting_file: m.greeting_file,
            timeout_ms: m.timeout_ms,
            repeat: m.repeat,
            invalid_text: m.invalid_text,
            timeout_text: m.timeout_text,
            options: m.options,
        },
    );
    let options = body.options.map(|list| {
        list.into_iter()
            .map(|o| {
                let target = match o.target {
                    None => String::new(),
                    Some(Target::Text(t)) => t.trim().to_string(),
                    Some(Target::Id(id)) => id.to_string(),
                };
                IvrOptionRow { digit: o.digit, action: o.action, target }
            })
            .collect()
    });
    NewIvr {
        name: body.name.map_or(base.name, |n| n.trim().to_string()),
        greeting_text: body.greeting_text.map_or(base.greeting_text, text),
        greeting_file: body.greeting_file.map_or(base.greeting_file, text),
        timeout_ms: body.timeout_ms.unwrap_or(base.timeout_ms),
        repeat: body.repeat.unwrap_or(base.repeat),
        invalid_text: body.invalid_text.map_or(base.invalid_text, text),
        timeout_text: body.timeout_text.map_or(base.timeout_text, text),
        options: options.unwrap_or(base.options),
    }
}

/// Checks everything but whether `ivr` targets exist; reports every bad field.
fn validate(menu: &NewIvr, errors: &mut FieldErrors) {
    let mut bad = |field: &str, msg: String| errors.entry(field.to_string()).or_default().push(msg);
    match menu.name.chars().count() {
        0 => bad("name", "This field is required.".into()),
        65.. => bad("name", "Ensure this field has no more than 64 characters.".into()),
        _ if menu.name.chars().any(char::is_control) => bad("name", "Control characters are not allowed.".into()),
        _ => {}
    }
    if menu.greeting_text.is_none() && menu.greeting_file.is_none() {
        bad("greeting_text", "Give greeting_text or greeting_file.".into());
    }
    if let Some(file) = &menu.greeting_file
        && !plain_wav_name(file)
    {
        bad("greeting_file", "Name a .wav file of the prompts directory, without a path.".into());
    }
    for (field, value) in [
        ("greeting_text", &menu.greeting_text),
        ("invalid_text", &menu.invalid_text),
        ("timeout_text", &menu.timeout_text),
    ] {
        if value.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
            bad(field, format!("Ensure this field has no more than {MAX_TEXT} characters."));
        }
    }
    if !(1000..=60_000).contains(&menu.timeout_ms) {
        bad("timeout_ms", "Enter a whole number of milliseconds between 1000 and 60000.".into());
    }
    if !(1..=10).contains(&menu.repeat) {
        bad("repeat", "Enter a whole number between 1 and 10.".into());
    }
    let mut seen = HashSet::new();
    for (i, o) in menu.options.iter().enumerate() {
        let field = |name: &str| format!("options[{i}].{name}");
        if !matches!(o.digit.as_bytes(), [b'0'..=b'9' | b'*' | b'#']) {
            bad(&field("digit"), "Enter one of 0-9, * or #.".into());
        } else if !seen.insert(o.digit.as_str()) {
            bad(&field("digit"), format!("Digit {} is given twice.", o.digit));
        }
        if let Some(msg) = target_problem(o) {
            bad(&field(if ACTIONS.contains(&o.action.as_str()) { "target" } else { "action" }), msg);
        }
    }
}

/// A file name of the prompts directory: no path, ends in `.wav`.
fn plain_wav_name(file: &str) -> bool {
    file.len() <= 128
        && file.len() > 4
        && file.to_ascii_lowercase().ends_with(".wav")
        && !file.contains(['/', '\\'])
        && !file.contains("..")
        && !file.chars().any(char::is_control)
}

/// Why an option's action or target is unusable, if it is.
fn target_problem(o: &IvrOptionRow) -> Option<String> {
    let t = o.target.as_str();
    match o.action.as_str() {
        "extension" | "number" if !dialable(t) => Some("Enter up to 64 of 0-9, A-Z, a-z, + * # . _ - to dial.".into()),
        "ivr" if parse_id(t).is_err() => Some("Enter the id of an IVR.".into()),
        "playback" if t.is_empty() => Some("Enter the text or .wav file to play.".into()),
        "playback" if t.chars().count() > MAX_TEXT => {
            Some(format!("Ensure this field has no more than {MAX_TEXT} characters."))
        }
        "extension" | "number" | "ivr" | "playback" | "hangup" => None,
        _ => Some(format!("Enter one of {}.", ACTIONS.join(", "))),
    }
}

/// Checks that `ivr` targets are menus of `tenant_id` (`itself` may be
/// named before it exists only by id, so it is always fine).
async fn check_targets(
    state: &AppState,
    tenant_id: i64,
    itself: Option<i64>,
    menu: &NewIvr,
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    for (i, o) in menu.options.iter().enumerate() {
        let Ok(id) = parse_id(&o.target) else { continue };
        if o.action != "ivr" || Some(id) == itself {
            continue;
        }
        if state.store.ivr(tenant_id, id).await?.is_none() {
            let msg = format!("Invalid pk \"{id}\" - object does not exist.");
            errors.entry(format!("options[{i}].target")).or_default().push(msg);
        }
    }
    Ok(())
}

/// Normalises and checks a menu; `hangup` targets are dropped.
async fn checked(state: &AppState, tenant_id: i64, itself: Option<i64>, mut menu: NewIvr) -> Result<NewIvr, ApiError> {
    for o in &mut menu.options {
        if o.action == "hangup" {
            o.target.clear();
        }
    }
    let mut errors = FieldErrors::new();
    validate(&menu, &mut errors);
    check_targets(state, tenant_id, itself, &menu, &mut errors).await?;
    if errors.is_empty() { Ok(menu) } else { Err(ApiError::Fields(errors)) }
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::field("name", "ivr with this name already exists."),
        e => e.into(),
    }
}

/// The menu `id` as the caller may see it.
async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<IvrRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.ivr(t, id), |id| store.ivr_any_tenant(id)).await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<IvrView>>, ApiError> {
    let rows = state.store.ivrs(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IvrView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<IvrBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let menu = checked(&state, tenant_id, None, merge(body, None)).await?;
    let row = state.store.create_ivr(tenant_id, &menu).await.map_err(taken)?;
    Ok((StatusCode::CREATED, Json(IvrView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: IvrBody,
    full: bool,
) -> Result<Json<IvrView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let menu = merge(body, (!full).then_some(current));
    let menu = checked(&state, tenant_id, Some(id), menu).await?;
    let row = state.store.replace_ivr(tenant_id, id, &menu).await.map_err(taken)?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IvrBody>,
) -> Result<Json<IvrView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IvrBody>,
) -> Result<Json<IvrView>, ApiError> {
    change(state, caller, id, body, false).await
}

/// Deletes a menu; 409 naming what still leads to it.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let menu = find(&state, &caller, &id).await?;
    let detail = match state.store.delete_ivr(menu.tenant_id, menu.id).await? {
        IvrDeletion::Deleted => return Ok(StatusCode::NO_CONTENT.into_response()),
        IvrDeletion::NotFound => return Err(ApiError::NotFound),
        IvrDeletion::RoutedFromDid { did_id, phonenumber } => {
            format!("The DID {phonenumber} (id {did_id}) routes to this IVR; route it elsewhere first.")
        }
        IvrDeletion::TargetOfOption { ivr_id, name, digit } => {
            format!("Digit {digit} of IVR \"{name}\" (id {ivr_id}) leads to this IVR; change it first.")
        }
    };
    Ok(crud::conflict(detail))
}
