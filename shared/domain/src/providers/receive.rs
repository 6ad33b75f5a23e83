//! Where a provider's webhook is taken in (docs/api.md §8): its app's source checks the
//! signature and timestamp, then the event, before anything is stored; the raw event is
//! stored once per app and event id, and a worker is asked to apply it. The answer never
//! waits on the event's effect.

use super::inbox::{ApplyProviderEvent, Inbox, InboxEvent};
use super::sources::{WebhookRequest, WebhookSources};
use crate::clock::Now;
use crate::error::{AuthFailure, Error, ErrorCode, Violation};
use crate::work::{send_after_commit, Queue};

pub async fn receive_webhook(
    inbox: &impl Inbox,
    queue: &impl Queue<ApplyProviderEvent>,
    sources: &WebhookSources,
    app_id: &str,
    request: &WebhookRequest<'_>,
    now: Now,
) -> Result<(), Error> {
    let source = sources.find(app_id).ok_or(Error::UnknownRoute)?;
    if let Err(refusal) = source.verify(request, now) {
        tracing::warn!(app_id, ?refusal, "webhook refused");
        return Err(Error::Unauthenticated(AuthFailure::InvalidWebhook));
    }
    let event_id = source
        .event_id(request)
        .ok_or(Error::Unauthenticated(AuthFailure::InvalidWebhook))?;
    source.translate(request.body).map_err(Error::Invalid)?;
    let body = std::str::from_utf8(request.body)
        .map_err(|_| Error::invalid(Violation::new(ErrorCode::BODY_IS_INVALID)))?;
    let event = InboxEvent::new(app_id, event_id, body.to_owned(), now.epoch_ms());
    if inbox.store_event(&event).await? {
        send_after_commit(queue, &event.message()).await;
        tracing::info!(app_id, event_id, "webhook stored");
    } else {
        tracing::info!(app_id, event_id, "webhook already stored");
    }
    Ok(())
}
