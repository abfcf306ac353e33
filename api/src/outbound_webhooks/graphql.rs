use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{enums::DeliveryState, webhook_delivery, webhook_endpoint};

use super::{EventType, endpoints};
use crate::{
    config::Config,
    connection,
    graphql::context::{actor, db, loaders, parse_id},
    pagination::{PageArgs, wants_total},
    users::graphql::User,
};

/// Where contact events are posted. Its secret is never readable back.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn events(&self) -> Vec<EventType> {
        let names = self.0.events.as_array().cloned().unwrap_or_default();
        names.iter().filter_map(|n| n.as_str().and_then(EventType::from_name)).collect()
    }

    /// An inactive endpoint keeps its pending deliveries until it is active again.
    async fn active(&self) -> bool {
        self.0.active
    }

    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.created_by else { return Ok(None) };
        Ok(loaders(ctx).user(id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::DeliveryState")]
pub enum WebhookDeliveryState {
    Pending,
    Delivered,
    Failed,
}

/// One try at posting a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    pub at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status; null when no answer came.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

/// One event for one endpoint, with every attempt at sending it.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn endpoint_id(&self) -> ID {
        ID(self.0.endpoint_id.to_string())
    }

    /// The event's id, the same for every endpoint and every attempt (`X-Webhook-Id`).
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }

    async fn event_type(&self) -> Option<EventType> {
        EventType::from_name(&self.0.event_type)
    }

    async fn contact_id(&self) -> ID {
        ID(self.0.contact_id.to_string())
    }

    async fn state(&self) -> WebhookDeliveryState {
        self.0.state.into()
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When the next attempt is due (pending deliveries only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.state == DeliveryState::Pending).then_some(self.0.next_attempt_at)
    }

    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }

    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The exact JSON body that is signed and posted.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.body).unwrap_or_default())
    }

    /// Every attempt, oldest first (the last 20).
    async fn attempt_log(&self) -> Vec<WebhookAttempt> {
        let entries = self.0.log.as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .map(|e| WebhookAttempt {
                at: e["at"].as_str().and_then(|t| t.parse().ok()),
                status: e["status"].as_i64().map(|s| s as i32),
                error: e["error"].as_str().map(str::to_string),
                duration_ms: e["ms"].as_i64(),
            })
            .collect()
    }
}

connection!(WebhookDeliveryConnection, WebhookDeliveryEdge, WebhookDelivery);

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    /// A new secret; signatures use it from the next attempt on.
    pub secret: Option<String>,
    pub active: Option<bool>,
}

fn production(ctx: &Context<'_>) -> bool {
    ctx.data_unchecked::<Arc<Config>>().is_production()
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The organization's webhook endpoints (owners and admins).
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        Ok(endpoints::list(db(ctx), actor(ctx)?).await?.into_iter().map(WebhookEndpoint).collect())
    }

    /// An endpoint's delivery log, newest first (owners and admins).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        state: Option<WebhookDeliveryState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<WebhookDeliveryConnection> {
        let id = parse_id(&endpoint_id, "endpointId")?;
        let args = PageArgs { first, after, last, before };
        let state = state.map(Into::into);
        let page = endpoints::deliveries(db(ctx), actor(ctx)?, id, state, args, wants_total(ctx)).await?;
        let items = page.items.into_iter().map(|(c, d)| (c, WebhookDelivery(d))).collect();
        Ok(WebhookDeliveryConnection::new(items, page.flags, page.total))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for contact events, signed with `secret` (16 to 256 characters). In
    /// production the URL must be https on a public address.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        url: String,
        events: Vec<EventType>,
        secret: String,
        active: Option<bool>,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let input = endpoints::EndpointInput { url: Some(url), events: Some(events), secret: Some(secret), active };
        Ok(WebhookEndpoint(endpoints::create(db(ctx), actor(ctx)?, production(ctx), input).await?))
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpoint> {
        let id = parse_id(&id, "id")?;
        let input = endpoints::EndpointInput {
            url: input.url,
            events: input.events,
            secret: input.secret,
            active: input.active,
        };
        Ok(WebhookEndpoint(endpoints::update(db(ctx), actor(ctx)?, production(ctx), id, input).await?))
    }

    /// Deletes an endpoint and its delivery log; pending deliveries are dropped.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookEndpoint> {
        Ok(WebhookEndpoint(endpoints::delete(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?))
    }

    /// Queues a failed delivery again, starting over its attempts.
    async fn retry_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookDelivery> {
        Ok(WebhookDelivery(endpoints::retry(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?))
    }
}
