//! `/api/extensions/{id}/features/`: an extension's call handling — caller
//! id, call waiting, do-not-disturb, forwards (destinations such as
//! `voicemail:12` or `number:+15145550100`), ring time, follow-me and its
//! voicemail box — read with GET and changed field by field with PATCH.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use voxide_store::{DestinationRef, ExtensionFeatures, ExtensionFeaturesPatch, FollowMeStep, is_outside_number};

use crate::AppState;
use crate::auth::Caller;
use crate::destinations::{bad, check_destination, finish, flag};
use crate::error::{ApiError, FieldErrors};
use crate::extensions::parse_id;
use crate::json::ApiJson;

const MAX_FOLLOWME_STEPS: usize = 10;
const DEFAULT_STEP_SECS: i64 = 20;

#[derive(Debug, Serialize)]
pub struct StepView {
    pub number: String,
    pub ring_secs: i64,
}

#[derive(Debug, Serialize)]
pub struct FeaturesView {
    pub extension: i64,
    pub sip_username: String,
    pub cid_number: String,
    pub cid_name: String,
    pub call_waiting: bool,
    pub dnd: bool,
    pub forward_always: String,
    pub forward_busy: String,
    pub forward_no_answer: String,
    pub forward_unregistered: String,
    pub ring_secs: i64,
    pub followme_enabled: bool,
    pub followme_cid_number: String,
    pub followme_cid_name: String,
    pub followme: Vec<StepView>,
    pub voicemail_enabled: bool,
    pub voicemail_pin: String,
    pub voicemail_email: String,
    pub voicemail_greeting: String,
    /// Unheard and heard messages in the box.
    pub voicemail_new: i64,
    pub voicemail_old: i64,
}

fn view(f: ExtensionFeatures, (new, old): (i64, i64)) -> FeaturesView {
    FeaturesView {
        extension: f.extension_id,
        sip_username: f.sip_username,
        cid_number: f.cid_number,
        cid_name: f.cid_name,
        call_waiting: f.call_waiting,
        dnd: f.dnd,
        forward_always: f.forward_always,
        forward_busy: f.forward_busy,
        forward_no_answer: f.forward_no_answer,
        forward_unregistered: f.forward_unregistered,
        ring_secs: f.ring_secs,
        followme_enabled: f.followme_enabled,
        followme_cid_number: f.followme_cid_number,
        followme_cid_name: f.followme_cid_name,
        followme: f.followme.into_iter().map(|s| StepView { number: s.number, ring_secs: s.ring_secs }).collect(),
        voicemail_enabled: f.voicemail_enabled,
        voicemail_pin: f.voicemail_pin,
        voicemail_email: f.voicemail_email,
        voicemail_greeting: f.voicemail_greeting,
        voicemail_new: new,
        voicemail_old: old,
    }
}

/// Body of PATCH: every field optional. The read-only fields of a GET may
/// be sent back and are ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesBody {
    cid_number: Option<String>,
    cid_name: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    call_waiting: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    dnd: Option<bool>,
    forward_always: Option<String>,
    forward_busy: Option<String>,
    forward_no_answer: Option<String>,
    forward_unregistered: Option<String>,
    ring_secs: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    followme_enabled: Option<bool>,
    followme_cid_number: Option<String>,
    followme_cid_name: Option<String>,
    followme: Option<Vec<StepBody>>,
    #[serde(default, deserialize_with = "flag")]
    voicemail_enabled: Option<bool>,
    voicemail_pin: Option<String>,
    voicemail_email: Option<String>,
    voicemail_greeting: Option<String>,
    #[serde(default, rename = "extension")]
    _extension: Option<serde_json::Value>,
    #[serde(default, rename = "sip_username")]
    _sip_username: Option<serde_json::Value>,
    #[serde(default, rename = "voicemail_new")]
    _voicemail_new: Option<serde_json::Value>,
    #[serde(default, rename = "voicemail_old")]
    _voicemail_old: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    number: String,
    ring_secs: Option<i64>,
}

/// A caller-id number: '' or up to 20 digits, optionally after `+`.
fn check_cid_number(errors: &mut FieldErrors, field: &str, value: &str) {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if !value.is_empty() && (digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit())) {
        bad(errors, field, "Enter up to 20 digits, optionally after +.");
    }
}

/// A caller-id name: it travels in a quoted SIP display name.
fn check_cid_name(errors: &mut FieldErrors, field: &str, value: &str) {
    if value.chars().count() > 64 {
        bad(errors, field, "Ensure this field has no more than 64 characters.");
    } else if value.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        bad(errors, field, "Control characters, \" and \\ are not allowed.");
    }
}

/// Roughly `local@domain.tld`, as mail delivery needs.
fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
}

/// A file name of the greetings directory: no path, ends in `.wav`.
pub(crate) fn plain_wav_name(file: &str) -> bool {
    (5..=128).contains(&file.len())
        && file.to_ascii_lowercase().ends_with(".wav")
        && !file.starts_with('.')
        && file.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

pub(crate) async fn checked(
    state: &AppState,
    current: &ExtensionFeatures,
    body: FeaturesBody,
) -> Result<ExtensionFeaturesPatch, ApiError> {
    let tenant_id = current.tenant_id;
    let trim = |v: Option<String>| v.map(|s| s.trim().to_string());
    let patch = ExtensionFeaturesPatch {
        cid_number: trim(body.cid_number),
        cid_name: trim(body.cid_name),
        call_waiting: body.call_waiting,
        dnd: body.dnd,
        forward_always: trim(body.forward_always),
        forward_busy: trim(body.forward_busy),
        forward_no_answer: trim(body.forward_no_answer),
        forward_unregistered: trim(body.forward_unregistered),
        ring_secs: body.ring_secs,
        followme_enabled: body.followme_enabled,
        followme_cid_number: trim(body.followme_cid_number),
        followme_cid_name: trim(body.followme_cid_name),
        followme: body.followme.map(|steps| {
            steps
                .into_iter()
                .map(|s| FollowMeStep {
                    number: s.number.trim().to_string(),
                    ring_secs: s.ring_secs.unwrap_or(DEFAULT_STEP_SECS),
                })
                .collect()
        }),
        voicemail_enabled: body.voicemail_enabled,
        voicemail_pin: trim(body.voicemail_pin),
        voicemail_email: trim(body.voicemail_email),
        voicemail_greeting: trim(body.voicemail_greeting),
    };
    let mut errors = FieldErrors::new();
    for (field, value) in [("cid_number", &patch.cid_number), ("followme_cid_number", &patch.followme_cid_number)] {
        if let Some(v) = value {
            check_cid_number(&mut errors, field, v);
        }
    }
    for (field, value) in [("cid_name", &patch.cid_name), ("followme_cid_name", &patch.followme_cid_name)] {
        if let Some(v) = value {
            check_cid_name(&mut errors, field, v);
        }
    }
    let itself = DestinationRef::Extension(current.extension_id);
    for (field, value) in [
        ("forward_always", &patch.forward_always),
        ("forward_busy", &patch.forward_busy),
        ("forward_no_answer", &patch.forward_no_answer),
        ("forward_unregistered", &patch.forward_unregistered),
    ] {
        let Some(v) = value else { continue };
        if DestinationRef::parse(v) == Ok(Some(itself.clone())) {
            bad(&mut errors, field, "An extension cannot forward to itself.");
        } else {
            check_destination(state, tenant_id, field, v, &mut errors).await?;
        }
    }
    if let Some(secs) = patch.ring_secs
        && !(5..=300).contains(&secs)
    {
        bad(&mut errors, "ring_secs", "Enter a whole number of seconds between 5 and 300.");
    }
    if let Some(steps) = &patch.followme {
        if steps.len() > MAX_FOLLOWME_STEPS {
            bad(&mut errors, "followme", format!("Ensure this list has no more than {MAX_FOLLOWME_STEPS} steps."));
        }
        for (i, step) in steps.iter().enumerate().take(MAX_FOLLOWME_STEPS) {
            let field = |name: &str| format!("followme[{i}].{name}");
            if step.number == current.sip_username {
                bad(&mut errors, &field("number"), "Follow-me cannot ring the extension itself.");
            } else if !is_outside_number(&step.number)
                && state.store.extension_by_username(tenant_id, &step.number).await?.is_none()
            {
                bad(
                    &mut errors,
                    &field("number"),
                    "Enter an outside number (digits, optionally after +) or an extension.",
                );
            }
            if !(5..=120).contains(&step.ring_secs) {
                bad(&mut errors, &field("ring_secs"), "Enter a whole number of seconds between 5 and 120.");
            }
        }
    }
    if let Some(pin) = &patch.voicemail_pin
        && !pin.is_empty()
        && (!(4..=10).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()))
    {
        bad(&mut errors, "voicemail_pin", "Enter 4 to 10 digits, or nothing for no PIN.");
    }
    if let Some(email) = &patch.voicemail_email
        && !email.is_empty()
        && !plausible_email(email)
    {
        bad(&mut errors, "voicemail_email", "Enter a valid email address.");
    }
    if let Some(file) = &patch.voicemail_greeting
        && !file.is_empty()
        && !plain_wav_name(file)
    {
        bad(&mut errors, "voicemail_greeting", "Name a .wav file of voicemail/greetings/, without a path.");
    }
    finish(errors)?;
    Ok(patch)
}

/// The features of extension `id` as the caller may see them.
async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<ExtensionFeatures, ApiError> {
    let id = parse_id(id)?;
    // The extension's own lookup decides visibility (tenant, and any soft delete).
    state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    state.store.extension_features(id).await?.ok_or(ApiError::NotFound)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FeaturesView>, ApiError> {
    let f = find(&state, &caller, &id).await?;
    let counts = state.store.voicemail_counts(f.extension_id).await?;
    Ok(Json(view(f, counts)))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FeaturesBody>,
) -> Result<Json<FeaturesView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let patch = checked(&state, &current, body).await?;
    let f = state
        .store
        .set_extension_features(current.tenant_id, current.extension_id, &patch)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Calls to the extension follow a plan from now on (or ring it directly again).
    state.switch.extension_features_saved(&f);
    let counts = state.store.voicemail_counts(f.extension_id).await?;
    Ok(Json(view(f, counts)))
}
