//! Registering endpoints (owners and admins). An endpoint receives every subscribed event of the whole
//! organization, whoever the contact belongs to, so it is an admin's decision like an admin API token.

use std::net::IpAddr;

use entity::{enums::DeliveryState, webhook_delivery, webhook_endpoint};
use reqwest::Url;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::EventType;
use crate::{
    audit,
    auth::Actor,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    pagination::{Fetched, KeyValue, PageArgs},
};

pub const MAX_ENDPOINTS: u64 = 20;
const MAX_URL_LEN: usize = 2048;
const SECRET_LEN: std::ops::RangeInclusive<usize> = 16..=256;

pub struct EndpointInput {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ApiResult<Vec<webhook_endpoint::Model>> {
    actor.require_admin()?;
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(actor.organization_id()))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<webhook_endpoint::Model> {
    actor.require_admin()?;
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook endpoint"))
}

pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    production: bool,
    input: EndpointInput,
) -> ApiResult<webhook_endpoint::Model> {
    actor.require_admin()?;
    let url = check_url(input.url.as_deref().unwrap_or_default(), production)?;
    let events = check_events(input.events.unwrap_or_default())?;
    let secret = check_secret(input.secret.as_deref().unwrap_or_default())?;
    let txn = begin_write(db).await?;
    let count = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(actor.organization_id()))
        .count(&txn)
        .await?;
    if count >= MAX_ENDPOINTS {
        return Err(ApiError::LimitExceeded(format!(
            "An organization can have at most {MAX_ENDPOINTS} webhook endpoints"
        )));
    }
    let at = now();
    let row = webhook_endpoint::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        url: Set(url),
        events: Set(events),
        secret: Set(secret),
        active: Set(input.active.unwrap_or(true)),
        created_by: Set(actor.user_id()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, None, "webhook_endpoint.created", None, Some(described(&row))).await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    production: bool,
    id: Uuid,
    input: EndpointInput,
) -> ApiResult<webhook_endpoint::Model> {
    let current = find(db, actor, id).await?;
    let mut model: webhook_endpoint::ActiveModel = current.clone().into();
    if let Some(url) = input.url {
        model.url = Set(check_url(&url, production)?);
    }
    if let Some(events) = input.events {
        model.events = Set(check_events(events)?);
    }
    if let Some(secret) = input.secret {
        model.secret = Set(check_secret(&secret)?);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    model.updated_at = Set(now());
    let txn = begin_write(db).await?;
    let row = model.update(&txn).await?;
    audit::record(&txn, actor, None, "webhook_endpoint.updated", Some(described(&current)), Some(described(&row)))
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes an endpoint with its delivery log; what was still pending is not sent.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<webhook_endpoint::Model> {
    let current = find(db, actor, id).await?;
    let txn = begin_write(db).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::OrganizationId.eq(current.organization_id))
        .filter(webhook_delivery::Column::EndpointId.eq(current.id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(current.id).exec(&txn).await?;
    audit::record(&txn, actor, None, "webhook_endpoint.deleted", Some(described(&current)), None).await?;
    txn.commit().await?;
    Ok(current)
}

/// Sends a failed delivery again from its first attempt.
pub async fn retry(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<webhook_delivery::Model> {
    let delivery = find_delivery(db, actor, id).await?;
    if delivery.state != DeliveryState::Failed {
        return Err(ApiError::bad_input("id", "Only a failed delivery can be retried"));
    }
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value(DeliveryState::Pending))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now()))
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(db)
        .await?;
    find_delivery(db, actor, id).await
}

pub async fn find_delivery(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> ApiResult<webhook_delivery::Model> {
    actor.require_admin()?;
    webhook_delivery::Entity::find_by_id(id)
        .filter(webhook_delivery::Column::OrganizationId.eq(actor.organization_id()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook delivery"))
}

/// An endpoint's deliveries, newest first, optionally only those in `state`.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    endpoint_id: Uuid,
    state: Option<DeliveryState>,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<webhook_delivery::Model>> {
    let endpoint = find(db, actor, endpoint_id).await?;
    let mut query = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::OrganizationId.eq(endpoint.organization_id))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id));
    if let Some(state) = state {
        query = query.filter(webhook_delivery::Column::State.eq(state));
    }
    let page = args.resolve("webhookDeliveries", endpoint.organization_id)?;
    page.fetch(db, query, webhook_delivery::Column::CreatedAt, webhook_delivery::Column::Id, true, want_total, |d| {
        (KeyValue::Time(d.created_at), d.id)
    })
    .await
}

/// What the audit trail keeps of an endpoint: never its secret.
fn described(e: &webhook_endpoint::Model) -> serde_json::Value {
    json!({ "id": e.id, "url": e.url, "events": e.events, "active": e.active })
}

fn check_events(events: Vec<EventType>) -> ApiResult<serde_json::Value> {
    if events.is_empty() {
        return Err(ApiError::bad_input("events", "Choose at least one event"));
    }
    let names: Vec<&str> = EventType::ALL.into_iter().filter(|e| events.contains(e)).map(EventType::name).collect();
    Ok(json!(names))
}

fn check_secret(secret: &str) -> ApiResult<String> {
    if !SECRET_LEN.contains(&secret.chars().count()) {
        return Err(ApiError::bad_input("secret", "The secret must be 16 to 256 characters long"));
    }
    Ok(secret.to_string())
}

/// A URL an endpoint may have: http(s) with a host and no credentials; in production https only and
/// never a loopback, private or link-local address, so an endpoint cannot reach inside our network.
pub fn check_url(raw: &str, production: bool) -> ApiResult<String> {
    let invalid = |message: &str| ApiError::bad_input("url", message);
    if raw.len() > MAX_URL_LEN {
        return Err(invalid("The URL is too long"));
    }
    let url = Url::parse(raw.trim()).map_err(|_| invalid("Not a valid URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Err(invalid("Endpoints must use https")),
        _ => return Err(invalid("Endpoints must use https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("Put credentials in the secret, not in the URL"));
    }
    let Some(host) = url.host_str() else { return Err(invalid("The URL has no host")) };
    if production {
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if host.eq_ignore_ascii_case("localhost") || literal.is_some_and(|ip| !is_public(ip)) {
            return Err(invalid("Endpoints must be on a public address"));
        }
    }
    Ok(url.to_string())
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared, reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_urls_are_public_https() {
        assert!(check_url("https://hooks.example.com/contacts", true).is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "https://localhost/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://user:pass@hooks.example.com/x",
            "not a url",
        ] {
            assert!(check_url(bad, true).is_err(), "{bad} must be refused in production");
        }
        assert!(check_url("http://127.0.0.1:9000/x", false).is_ok(), "development allows local receivers");
    }
}
