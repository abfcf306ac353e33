//! Outbound webhooks: endpoints only admins manage, signed deliveries in order per contact, retries with
//! backoff, a readable delivery log, and bad input refused with nothing written.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::State, http::HeaderMap, routing::post};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{TestApp, code};

const SECRET: &str = "whsec-partner-shared-secret";
const CREATE: &str = "mutation($url: String!, $events: [WebhookEventType!]!, $secret: String!) {
    createWebhookEndpoint(url: $url, events: $events, secret: $secret) { id url events active } }";
const DELIVERIES: &str = "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 50) { totalCount edges { node {
    id eventId eventType contactId state attempts nextAttemptAt responseStatus error payload
    attemptLog { status error durationMs } } } } }";
const ALL_EVENTS: [&str; 5] =
    ["CONTACT_CREATED", "CONTACT_UPDATED", "CONTACT_DELETED", "CONTACT_MERGED", "CONTACT_STAGE_CHANGED"];

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A partner's receiver on a local port: records every request and answers the queued statuses (then 200).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> (Self, String) {
        let receiver = Self::default();
        receiver.statuses.lock().unwrap().extend(statuses);
        let router = Router::new().route("/hook", post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (receiver, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn types(&self) -> Vec<String> {
        self.got().iter().map(|r| payload(r)["type"].as_str().unwrap().to_string()).collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> axum::http::StatusCode {
    r.got.lock().unwrap().push(Received { headers, body });
    let status = r.statuses.lock().unwrap().pop_front().unwrap_or(200);
    axum::http::StatusCode::from_u16(status).unwrap()
}

fn payload(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

/// Checks a request the way a receiver would: HMAC-SHA256 over "{timestamp}.{body}".
fn verify(r: &Received, secret: &str) {
    let header = |name: &str| r.headers.get(name).unwrap_or_else(|| panic!("{name} missing")).to_str().unwrap();
    let timestamp = header("x-webhook-timestamp");
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", r.body).as_bytes());
    let expected = format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(header("x-webhook-signature"), expected);
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-webhook-id"), payload(r)["id"].as_str().unwrap());
}

async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> String {
    let res = app.gql(Some(&app.owner_token), CREATE, json!({ "url": url, "events": events, "secret": SECRET })).await;
    res["data"]["createWebhookEndpoint"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string()
}

async fn deliver(app: &TestApp) -> usize {
    api::outbound_webhooks::deliver::drain(&app.db, &app.state.webhooks).await.expect("deliveries")
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let res = app.gql(Some(&app.owner_token), DELIVERIES, json!({ "e": endpoint })).await;
    let edges = res["data"]["webhookDeliveries"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges.into_iter().map(|e| e["node"].clone()).collect()
}

fn fast_retries(config: &mut api::config::Config) {
    config.webhook_retry_base_ms = 300;
}

#[tokio::test]
async fn changes_are_delivered_signed_in_order_per_contact_and_retried() {
    let app = TestApp::with_config(fast_retries).await;
    let (receiver, url) = Receiver::start(&[500]).await;
    let hook = endpoint(&app, &url, &ALL_EVENTS).await;
    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id name } }", json!({})).await;
    let qualified = stages["data"]["pipelineStages"][1].clone();

    let created =
        app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000001", "tags": ["vip"] })).await;
    let id = created["id"].as_str().unwrap().to_string();
    let update = "mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id } }";
    let input = json!({ "name": "Ana María", "statusId": qualified["id"] });
    let res = app.gql(Some(&app.owner_token), update, json!({ "id": id, "i": input })).await;
    assert!(res["errors"].is_null(), "{res}");

    // The first attempt fails; the contact's later events wait behind it.
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(receiver.types(), ["contact.created"]);
    let log = deliveries(&app, &hook).await;
    assert_eq!(log.len(), 3, "created, stage changed, updated: {log:?}");
    let first = log.iter().find(|d| d["eventType"] == "CONTACT_CREATED").unwrap();
    assert_eq!((first["state"].as_str(), first["attempts"].as_i64()), (Some("PENDING"), Some(1)));
    assert_eq!(first["responseStatus"], 500);
    assert!(first["error"].as_str().unwrap().starts_with("HTTP 500"), "{first}");
    assert!(first["nextAttemptAt"].is_string());
    assert_eq!(first["attemptLog"].as_array().unwrap().len(), 1);
    assert_eq!(deliver(&app).await, 0, "nothing is due before the backoff ends");

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(deliver(&app).await, 3);
    assert_eq!(receiver.types(), ["contact.created", "contact.created", "contact.stage_changed", "contact.updated"]);
    let got = receiver.got();
    for r in &got {
        verify(r, SECRET);
    }
    assert_eq!(got[0].body, got[1].body, "a retry sends the same event, same id and body");
    assert_eq!(got[1].headers["x-webhook-attempt"], "2");

    let created = payload(&got[1]);
    assert_eq!(created["contactId"], id.as_str());
    assert_eq!(created["contact"]["name"], "Ana");
    assert_eq!(created["contact"]["tags"], json!(["vip"]));
    assert_eq!(created["contact"]["phone"], "+50688000001");
    let moved = payload(&got[2]);
    assert_eq!(moved["contact"]["stage"]["id"], qualified["id"], "the event carries the contact after the change");
    assert_eq!(moved["detail"]["after"]["id"], qualified["id"]);
    let updated = payload(&got[3]);
    assert_eq!(updated["contact"]["name"], "Ana María");
    assert_eq!(updated["detail"]["before"]["name"], "Ana");

    let log = deliveries(&app, &hook).await;
    assert!(log.iter().all(|d| d["state"] == "DELIVERED" && d["responseStatus"] == 200), "{log:?}");
    assert!(log.iter().all(|d| d["nextAttemptAt"].is_null()));
}

#[tokio::test]
async fn deletions_merges_and_bulk_changes_are_reported() {
    let app = TestApp::new().await;
    let (receiver, url) = Receiver::start(&[]).await;
    endpoint(&app, &url, &["CONTACT_DELETED", "CONTACT_MERGED", "CONTACT_UPDATED"]).await;
    let a = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000001" })).await;
    let b = app.contact(&app.owner_token, json!({ "name": "Ana B", "phone": "+50688000002" })).await;
    let c = app.contact(&app.owner_token, json!({ "name": "Carla", "phone": "+50688000003" })).await;

    let merge = "mutation($p: ID!, $d: [ID!]!) { mergeContacts(primaryId: $p, duplicateIds: $d) { mergeId } }";
    let merged = app.gql(Some(&app.owner_token), merge, json!({ "p": a["id"], "d": [b["id"]] })).await;
    let merge_id = merged["data"]["mergeContacts"]["mergeId"].clone();
    assert!(merge_id.is_string(), "{merged}");
    let delete = "mutation($id: ID!) { deleteContact(id: $id) { id } }";
    app.gql(Some(&app.owner_token), delete, json!({ "id": c["id"] })).await;
    let bulk = "mutation($s: ContactSelection!, $p: ContactPatchInput!) { bulkUpdateContacts(selection: $s, patch: $p) { updated } }";
    let res =
        app.gql(Some(&app.owner_token), bulk, json!({ "s": { "ids": [a["id"]] }, "p": { "addTags": ["hot"] } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["updated"], 1, "{res}");

    deliver(&app).await;
    // Order holds per contact; different contacts' events may pass each other.
    let mut types = receiver.types();
    types.sort();
    assert_eq!(types, ["contact.deleted", "contact.merged", "contacts.bulk_updated"], "created was not subscribed");
    let got: Vec<Value> = receiver.got().iter().map(payload).collect();
    let of = |t: &str| got.iter().find(|p| p["type"] == t).unwrap().clone();
    let (merged, deleted, updated) = (of("contact.merged"), of("contact.deleted"), of("contacts.bulk_updated"));
    assert_eq!(merged["contactId"], a["id"]);
    assert_eq!(merged["detail"]["mergedContactIds"], json!([b["id"]]));
    assert_eq!(merged["detail"]["mergeId"], merge_id);
    assert_eq!(deleted["contactId"], c["id"]);
    assert_eq!(deleted["contact"], Value::Null, "nothing of a deleted contact is sent");
    // A bulk change reaches endpoints that follow updates as one event for many contacts.
    assert_eq!(updated["contactIds"], json!([a["id"]]));
    assert_eq!(updated["contacts"][0]["tags"], json!(["hot"]));
    assert_eq!(updated["detail"]["change"], "contact.bulk_updated");
    assert_eq!(updated["detail"]["patch"]["addTags"], json!(["hot"]));
}

/// A bulk action over a thousand contacts and one is six events per endpoint (200 contacts each), not a
/// thousand and one; and a contact's single events stay in order around them.
#[tokio::test]
async fn bulk_changes_are_reported_two_hundred_contacts_per_event() {
    let app = TestApp::new().await;
    let (receiver, url) = Receiver::start(&[]).await;
    endpoint(&app, &url, &["CONTACT_DELETED", "CONTACT_STAGE_CHANGED"]).await;
    let rows: String = (0..1001).map(|i| format!("+5068{:07},Lead {i}\n", 8_000_000 + i)).collect();
    let job = crate::imports::import(&app, "leads.csv", format!("phone,name\n{rows}").as_bytes(), json!({})).await;
    assert_eq!(job["created"], 1001, "{job}");
    deliver(&app).await;
    let before = receiver.got().len();
    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id } }", json!({})).await;
    let stage = stages["data"]["pipelineStages"][1]["id"].clone();
    let bulk =
        "mutation($p: ContactPatchInput!) { bulkUpdateContacts(selection: { filter: {} }, patch: $p) { updated } }";
    let res = app.gql(Some(&app.owner_token), bulk, json!({ "p": { "statusId": stage } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["updated"], 1001, "{res}");
    let delete = "mutation { bulkDeleteContacts(selection: { search: \"Lead 100\" }) { deleted } }";
    let res = app.gql(Some(&app.owner_token), delete, json!({})).await;
    let deleted = res["data"]["bulkDeleteContacts"]["deleted"].as_i64().unwrap_or_else(|| panic!("{res}"));
    deliver(&app).await;
    let got: Vec<Value> = receiver.got().iter().skip(before).map(payload).collect();
    let sizes = |t: &str| -> Vec<usize> {
        got.iter().filter(|p| p["type"] == t).map(|p| p["contactIds"].as_array().unwrap().len()).collect()
    };
    let mut updated = sizes("contacts.bulk_updated");
    updated.sort();
    assert_eq!(updated, [1, 200, 200, 200, 200, 200], "stage moves reach the endpoints that follow them, in bulk");
    assert_eq!(sizes("contacts.bulk_deleted"), [deleted as usize]);
    let deletion = got.iter().find(|p| p["type"] == "contacts.bulk_deleted").unwrap();
    assert_eq!(deletion["contacts"], Value::Null, "nothing of deleted contacts is sent");
    let types: Vec<Value> = got.iter().map(|p| p["type"].clone()).collect();
    assert_eq!(got.len(), 7, "no single events besides: {types:?}");
    assert_eq!(types.last(), Some(&json!("contacts.bulk_deleted")), "in the order they happened: {types:?}");
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_ends_failed_lets_later_events_through_and_can_be_retried() {
    let app = TestApp::with_config(|c| {
        c.webhook_retry_base_ms = 0;
        c.webhook_max_attempts = 2;
    })
    .await;
    let (receiver, url) = Receiver::start(&[503, 503]).await;
    let hook = endpoint(&app, &url, &["CONTACT_CREATED", "CONTACT_UPDATED"]).await;
    let ana = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000001" })).await;
    let add = "mutation($c: ID!) { addTags(contactId: $c, names: [\"vip\"]) { id } }";
    app.gql(Some(&app.owner_token), add, json!({ "c": ana["id"] })).await;

    deliver(&app).await;
    assert_eq!(receiver.types(), ["contact.created", "contact.created", "contact.updated"]);
    let log = deliveries(&app, &hook).await;
    let failed = log.iter().find(|d| d["eventType"] == "CONTACT_CREATED").unwrap();
    assert_eq!((failed["state"].as_str(), failed["attempts"].as_i64()), (Some("FAILED"), Some(2)));
    assert_eq!(failed["attemptLog"].as_array().unwrap().len(), 2);

    // Agents and viewers cannot read the log (it carries contacts) nor retry.
    let retry = "mutation($id: ID!) { retryWebhookDelivery(id: $id) { state attempts } }";
    for role in ["AGENT", "VIEWER"] {
        let (_, token) = app.user(role, &format!("{role}@acme.test").to_lowercase()).await;
        let res = app.gql(Some(&token), DELIVERIES, json!({ "e": hook })).await;
        assert_eq!(code(&res), "FORBIDDEN", "{res}");
        let res = app.gql(Some(&token), retry, json!({ "id": failed["id"] })).await;
        assert_eq!(code(&res), "FORBIDDEN", "{res}");
    }
    let res = app.gql(Some(&app.owner_token), retry, json!({ "id": failed["id"] })).await;
    assert_eq!(res["data"]["retryWebhookDelivery"], json!({ "state": "PENDING", "attempts": 0 }), "{res}");
    deliver(&app).await;
    assert_eq!(receiver.types().last().unwrap(), "contact.created");
    let res = app.gql(Some(&app.owner_token), retry, json!({ "id": failed["id"] })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "a delivered event is not sent again: {res}");
}

#[tokio::test]
async fn only_admins_register_endpoints_and_bad_endpoints_write_nothing() {
    let app = TestApp::new().await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "viewer@acme.test").await;
    let good = json!({ "url": "https://hooks.example.com/in", "events": ["CONTACT_CREATED"], "secret": SECRET });
    for token in [&agent, &viewer] {
        assert_eq!(code(&app.gql(Some(token), CREATE, good.clone()).await), "FORBIDDEN");
        assert_eq!(code(&app.gql(Some(token), "{ webhookEndpoints { id } }", json!({})).await), "FORBIDDEN");
    }
    for (field, value) in [
        ("events", json!([])),
        ("secret", json!("short")),
        ("url", json!("ftp://hooks.example.com/in")),
        ("url", json!("https://user:pw@hooks.example.com/in")),
        ("url", json!("nonsense")),
    ] {
        let mut vars = good.clone();
        vars[field] = value;
        let res = app.gql(Some(&app.owner_token), CREATE, vars).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{field}: {res}");
    }
    let listed = app.gql(Some(&app.owner_token), "{ webhookEndpoints { id } }", json!({})).await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]), "nothing was written");

    // Another organization's admin cannot see or touch the endpoint or its log.
    let id = endpoint(&app, "https://hooks.example.com/in", &["CONTACT_CREATED"]).await;
    let (_, other) = app.other_organization().await;
    let res = app.gql(Some(&other), DELIVERIES, json!({ "e": id })).await;
    assert_eq!(code(&res), "NOT_FOUND", "{res}");
    let res = app
        .gql(Some(&other), "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }", json!({ "id": id }))
        .await;
    assert_eq!(code(&res), "NOT_FOUND", "{res}");
    let res = app.gql(Some(&other), "{ webhookEndpoints { id } }", json!({})).await;
    assert_eq!(res["data"]["webhookEndpoints"], json!([]));
    let listed = app.gql(Some(&app.owner_token), "{ webhookEndpoints { id url events active } }", json!({})).await;
    assert!(!listed.to_string().contains(SECRET), "the secret is never readable");
}

#[tokio::test]
async fn production_endpoints_must_be_https_on_a_public_address() {
    let app = TestApp::with_config(|c| c.app_env = api::config::AppEnv::Production).await;
    for url in ["http://hooks.example.com/in", "https://127.0.0.1/in", "https://10.0.0.7/in", "https://localhost/in"] {
        let vars = json!({ "url": url, "events": ["CONTACT_CREATED"], "secret": SECRET });
        let res = app.gql(Some(&app.owner_token), CREATE, vars).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{url}: {res}");
    }
    let listed = app.gql(Some(&app.owner_token), "{ webhookEndpoints { id } }", json!({})).await;
    assert_eq!(listed["data"]["webhookEndpoints"], json!([]));
    let vars = json!({ "url": "https://hooks.example.com/in", "events": ["CONTACT_CREATED"], "secret": SECRET });
    let res = app.gql(Some(&app.owner_token), CREATE, vars).await;
    assert_eq!(res["data"]["createWebhookEndpoint"]["url"], "https://hooks.example.com/in", "{res}");
}

#[tokio::test]
async fn an_inactive_endpoint_is_sent_nothing_until_it_is_active_again() {
    let app = TestApp::new().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let hook = endpoint(&app, &url, &["CONTACT_CREATED"]).await;
    let pause = "mutation($id: ID!, $a: Boolean!) { updateWebhookEndpoint(id: $id, input: { active: $a }) { active } }";
    app.gql(Some(&app.owner_token), pause, json!({ "id": hook, "a": false })).await;
    app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000001" })).await;
    deliver(&app).await;
    assert!(receiver.got().is_empty(), "an inactive endpoint receives nothing");
    assert_eq!(deliveries(&app, &hook).await.len(), 0, "and queues nothing while inactive");
    app.gql(Some(&app.owner_token), pause, json!({ "id": hook, "a": true })).await;
    app.contact(&app.owner_token, json!({ "name": "Bea", "phone": "+50688000002" })).await;
    deliver(&app).await;
    assert_eq!(receiver.types(), ["contact.created"]);
}
