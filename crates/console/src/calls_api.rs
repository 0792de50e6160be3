//! Forms into API calls: the console hands its forms to the API's own
//! handlers as the JSON bodies the API takes, so their validation, tenant
//! checks and side effects are exactly the API's. What the API answers
//! becomes a redirect, or the form again with the API's messages.

use axum::body::to_bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use serde::de::DeserializeOwned;
use serde_json::Value;
use voxide_api::ApiError;
use voxide_api::json::ApiJson;
use voxide_providers::ProviderError;
use voxide_store::StoreError;

use crate::error::ConsoleError;
use crate::layout::Errors;

/// `value` as the API's body extractor would have read it, with its
/// field-named errors.
pub(crate) fn body<T: DeserializeOwned>(value: Value) -> Result<ApiJson<T>, ApiError> {
    let bytes = serde_json::to_vec(&value).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    voxide_api::json::parse(&bytes).map(ApiJson)
}

/// The messages to show on a refused form, or the error when the refusal
/// is not about the form (not found, store failure, …).
pub(crate) fn form_errors(e: ApiError) -> Result<Errors, ConsoleError> {
    let mut errors = Errors::new();
    let mut one = |field: &str, msg: String| {
        errors.insert(field.to_string(), vec![msg]);
    };
    match e {
        ApiError::Fields(fields) => return Ok(fields),
        ApiError::BadRequest(msg) => one("non_field_errors", msg),
        ApiError::Store(StoreError::Conflict) => {
            one("non_field_errors", "An object with these values already exists.".into())
        }
        ApiError::Provider(ProviderError::InvalidInput(msg)) => one("non_field_errors", msg),
        ApiError::Provider(e @ (ProviderError::NotAvailable(_) | ProviderError::NotOwned(_))) => {
            one("phonenumber", e.to_string())
        }
        other => return Err(other.into()),
    }
    Ok(errors)
}

/// A handler's JSON answer, as its status and body (`Null` if not JSON).
pub(crate) async fn json_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A form's checkbox: present means on.
pub(crate) fn flag(form: &std::collections::HashMap<String, String>, name: &str) -> i64 {
    i64::from(form.get(name).is_some_and(|v| v == "1" || v == "on"))
}

/// A form's text field, trimmed.
pub(crate) fn text<'a>(form: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

/// Sends a form's `value` to an API handler (`send`) and answers: a
/// redirect to `done` when the API took it, or 400 with `again` (the form
/// once more, with the API's messages beside their fields) when it refused
/// the values. A refusal that is not about the form is the error it is.
pub(crate) async fn submit<T: DeserializeOwned, R>(
    value: Value,
    send: impl AsyncFnOnce(ApiJson<T>) -> Result<R, ApiError>,
    done: &str,
    again: impl AsyncFnOnce(Errors) -> Result<Markup, ConsoleError>,
) -> Result<Response, ConsoleError> {
    let result = match body(value) {
        Ok(b) => send(b).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(done).into_response()),
        Err(e) => Ok((StatusCode::BAD_REQUEST, again(form_errors(e)?).await?).into_response()),
    }
}

/// Answers an API handler's delete `response`: a redirect to `done` on 204,
/// else the API's status (409: something still leads to the object) with
/// `again`, the edit page showing the API's `detail` (or `fallback`).
pub(crate) async fn deleted(
    response: Response,
    done: &str,
    fallback: &str,
    again: impl AsyncFnOnce(Errors) -> Result<Markup, ConsoleError>,
) -> Result<Response, ConsoleError> {
    let (status, answer) = json_of(response).await;
    if status == 204 {
        return Ok(Redirect::to(done).into_response());
    }
    let detail = answer["detail"].as_str().unwrap_or(fallback).to_string();
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT);
    Ok((code, again(Errors::from([("detail".to_string(), vec![detail])])).await?).into_response())
}
