//! `/user/…`: who is signed in, the users it may see, the tenants a user
//! belongs to, and a user's password.
//!
//! `us_username` is the username `voxide user add` gave (an email address
//! in the seed, any name here); `te_name` is the tenant's name (its SIP
//! domain unless renamed).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Failure, Params, SeedUser, done, parse_id, success};
use crate::AppState;
use crate::password::{PasswordError, hash_password};

/// `GET /user/login`: `{"user_id": …}` of the signed-in user.
pub(crate) async fn login(user: SeedUser) -> Json<Value> {
    success(json!({ "user_id": user.0.id.to_string() }))
}

/// `GET /user/get`: the users of the tenants the user belongs to (every
/// user for a super-admin), by id.
pub(crate) async fn list(State(state): State<AppState>, user: SeedUser) -> Result<Json<Value>, Failure> {
    let users = state.store.users_visible_to(user.0.id).await?;
    let rows: Vec<Value> =
        users.into_iter().map(|u| json!({ "us_id": u.id.to_string(), "us_username": u.username })).collect();
    Ok(success(rows))
}

/// `POST /user/tenants` (`user`: a username): the tenants that user
/// belongs to. A user may ask about itself; a super-admin about anyone.
pub(crate) async fn tenants(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [name] = params.required(["user"])?;
    let name = name.trim();
    let target = if name == user.0.username {
        user.0.clone()
    } else if user.0.is_superadmin {
        state.store.user_credentials(name).await?.ok_or(Failure::NotFound)?.0
    } else {
        return Err(Failure::Forbidden);
    };
    let tenants: Vec<Value> = state
        .store
        .user_tenants(target.id)
        .await?
        .into_iter()
        .map(|t| json!({ "te_id": t.id.to_string(), "te_name": t.name }))
        .collect();
    Ok(success(json!({ "user_id": target.id.to_string(), "tenants": tenants })))
}

/// `POST /user/updatebyid` (`user_id`, `password`): sets a user's
/// password, with the rules of `voxide user add`. A user may change its
/// own; a super-admin anyone's.
pub(crate) async fn update(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id, password] = params.required(["user_id", "password"])?;
    let id = parse_id(id)?;
    if id != user.0.id && !user.0.is_superadmin {
        return Err(Failure::Forbidden);
    }
    let target = state.store.user(id).await?.ok_or(Failure::NotFound)?;
    let password = password.to_string();
    let hashed = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| {
        tracing::error!(cause = %e, "password hashing task failed");
        internal()
    })?;
    let hash = match hashed {
        Ok(hash) => hash,
        Err(e @ (PasswordError::TooShort | PasswordError::TooLong)) => {
            return Err(Failure::field("password", sentence(&e.to_string())));
        }
        Err(e) => {
            tracing::error!(cause = %e, "password hashing failed");
            return Err(internal());
        }
    };
    if !state.store.set_user_password(target.id, Some(&hash)).await? {
        return Err(Failure::NotFound);
    }
    Ok(done("Record Updated Successfully."))
}

fn internal() -> Failure {
    Failure::Refused { status: StatusCode::INTERNAL_SERVER_ERROR, message: "Internal error.".into() }
}

/// `the password must …` as `The password must ….`
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| format!("{}{}.", first.to_uppercase(), chars.as_str()))
}
