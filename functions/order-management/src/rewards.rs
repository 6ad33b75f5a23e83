//! The reward routes of an instruction (seed 001): authorize a reward, claim one.

use crate::{instruction_path, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use payments_core::error::{Error, Violations};
use payments_core::http::{absolute_url, Caller, JsonBody, PathParams};
use payments_core::queue::Queue;
use payments_core::rewards;
use payments_core::vault::now_ms;

/// 201, no body; authorizing twice is harmless.
pub async fn authorize_reward(
    caller: Caller,
    path: PathParams,
    State(app): State<AppState>,
) -> Result<StatusCode, Error> {
    let (order, instruction) = instruction_path(&path).map_err(Error::Invalid)?;
    app.rewards
        .authorize(&caller.scope, &order, &instruction, now_ms())
        .await?;
    Ok(StatusCode::CREATED)
}

/// 202 with the reward transaction's absolute URL in `Location`; the settlement is queued.
pub async fn claim_reward(
    caller: Caller,
    path: PathParams,
    headers: HeaderMap,
    State(app): State<AppState>,
    body: JsonBody,
) -> Result<Response, Error> {
    let mut found = Violations::new();
    let refs = found.check(instruction_path(&path));
    let reward_id = found.check(rewards::parse_claim(body));
    let ((order, instruction), reward_id) = found.finish(refs.zip(reward_id))?;
    let transaction = app
        .rewards
        .claim(&caller.scope, &order, &instruction, reward_id, now_ms())
        .await?;
    // Sent after the write commits; a lost send is re-sent by the sweep.
    if let Err(e) = app
        .reward_settlements
        .send(&transaction.message(&caller.scope))
        .await
    {
        tracing::warn!(error = %e, "queueing a reward settlement failed; the sweep will queue it");
    }
    let location = absolute_url(
        app.public_base_url.as_deref(),
        &headers,
        &transaction.href(),
    );
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)]).into_response())
}
