//! Kept segments: every write brings memberships up to date in its own transaction, so counts read them,
//! and who entered or left is told once per change, to partners (shared segments) and to subscribers who
//! may see both the segment and the contact.

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    harness::{TestApp, code},
    live::{connect, next_json, serve, settle},
};

const CREATE: &str = "mutation($i: CreateSegmentInput!) { createSegment(input: $i) { id } }";
const COUNTS: &str = "query($id: ID!) { segment(id: $id) { count { value exact } stages { count } contacts(first: 20) { edges { node { name } } } } }";
const ENDPOINT: &str = "mutation($url: String!, $events: [WebhookEventType!]!, $secret: String) {
    createWebhookEndpoint(url: $url, events: $events, secret: $secret) { id } }";
const DELIVERIES: &str = "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 50) { edges { node {
    eventType contactId payload } } } }";

async fn segment(app: &TestApp, token: &str, input: Value) -> String {
    let res = app.gql(Some(token), CREATE, json!({ "i": input })).await;
    res["data"]["createSegment"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string()
}

async fn tag_id(app: &TestApp, name: &str) -> String {
    let res = app.gql(Some(&app.owner_token), "{ tags { id name } }", json!({})).await;
    let tags = res["data"]["tags"].as_array().unwrap();
    tags.iter().find(|t| t["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
}

/// The segment's count for the reader, and the names on its first page.
async fn seen(app: &TestApp, token: &str, id: &str) -> (i64, Vec<String>) {
    let res = app.gql(Some(token), COUNTS, json!({ "id": id })).await;
    let s = &res["data"]["segment"];
    assert_eq!(s["count"]["exact"], true, "{res}");
    let staged: i64 = s["stages"].as_array().unwrap().iter().map(|x| x["count"].as_i64().unwrap()).sum();
    let count = s["count"]["value"].as_i64().unwrap();
    assert_eq!(staged, count, "the funnel adds up to the count: {res}");
    let names = s["contacts"]["edges"].as_array().unwrap().iter();
    (count, names.map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect())
}

/// (event type, contact id, segment name) of every queued delivery, oldest first.
async fn told(app: &TestApp, endpoint: &str) -> Vec<(String, String, String)> {
    let res = app.gql(Some(&app.owner_token), DELIVERIES, json!({ "e": endpoint })).await;
    let mut all: Vec<(String, String, String, String)> = res["data"]["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|e| {
            let payload: Value = match &e["node"]["payload"] {
                Value::String(s) => serde_json::from_str(s).unwrap(),
                other => other.clone(),
            };
            (
                payload["occurredAt"].as_str().unwrap_or_default().to_string(),
                e["node"]["eventType"].as_str().unwrap().to_string(),
                e["node"]["contactId"].as_str().unwrap().to_string(),
                payload["detail"]["segment"]["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    all.sort();
    all.into_iter().map(|(_, t, c, s)| (t, c, s)).collect()
}

#[tokio::test]
async fn a_kept_segment_follows_edits_tags_stages_and_messages_and_tells_partners_once() {
    let app = TestApp::new().await;
    let owner = app.owner_token.clone();
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, agent_b) = app.user("AGENT", "b@acme.test").await;
    let res = app
        .gql(
            Some(&owner),
            ENDPOINT,
            json!({ "url": "https://hooks.example.com/in", "secret": "s3cret-s3cret-s3cret",
                "events": ["CONTACT_ENTERED_SEGMENT", "CONTACT_LEFT_SEGMENT"] }),
        )
        .await;
    let hook = res["data"]["createWebhookEndpoint"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    let ana = app
        .contact(&owner, json!({ "name": "Ana", "phone": "+50688001001", "tags": ["vip"], "assigneeId": a_id }))
        .await;
    let ana = ana["id"].as_str().unwrap().to_string();
    let berta = app.contact(&owner, json!({ "name": "Berta", "phone": "+50688002001", "assigneeId": b_id })).await;
    let berta = berta["id"].as_str().unwrap().to_string();
    let vip = tag_id(&app, "vip").await;
    let shared = segment(
        &app,
        &owner,
        json!({ "name": "VIP", "visibility": "SHARED", "filter": { "tagIds": [vip] },
            "orderBy": { "field": "NAME", "direction": "ASC" } }),
    )
    .await;
    let private = segment(&app, &agent_b, json!({ "name": "Mine", "filter": { "tagIds": [vip] } })).await;
    assert_eq!(seen(&app, &owner, &shared).await, (1, vec!["Ana".to_string()]), "built when saved");
    assert!(told(&app, &hook).await.is_empty(), "saving a segment moves no one");

    // A tag brings Berta in: once, to partners for the shared segment only, counted for her agent.
    let add = "mutation($c: ID!) { addTags(contactId: $c, names: [\"vip\"]) { id } }";
    assert!(app.gql(Some(&owner), add, json!({ "c": berta })).await["errors"].is_null());
    assert_eq!(seen(&app, &owner, &shared).await, (2, vec!["Ana".to_string(), "Berta".to_string()]));
    assert_eq!(seen(&app, &agent_a, &shared).await, (1, vec!["Ana".to_string()]));
    assert_eq!(seen(&app, &agent_b, &shared).await, (1, vec!["Berta".to_string()]));
    assert_eq!(seen(&app, &agent_b, &private).await, (1, vec!["Berta".to_string()]));
    let entered = ("CONTACT_ENTERED_SEGMENT".to_string(), berta.clone(), "VIP".to_string());
    assert_eq!(told(&app, &hook).await, vec![entered.clone()]);

    // Edits that move no one tell nothing; a reassignment moves the count from one agent to the other.
    let update = "mutation($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id } }";
    let res =
        app.gql(Some(&owner), update, json!({ "id": berta, "i": { "name": "Berta B", "assigneeId": a_id } })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(seen(&app, &agent_a, &shared).await.0, 2);
    assert_eq!(seen(&app, &agent_b, &shared).await.0, 0);
    assert_eq!(told(&app, &hook).await.len(), 1);

    // Removing the tag takes her out; a stage move keeps the funnel right.
    let stages = app.gql(Some(&owner), "{ pipelineStages { id } }", json!({})).await;
    let won = stages["data"]["pipelineStages"][2]["id"].clone();
    assert!(app.gql(Some(&owner), update, json!({ "id": ana, "i": { "statusId": won } })).await["errors"].is_null());
    let res = app.gql(Some(&owner), COUNTS, json!({ "id": shared })).await;
    assert!(res["data"]["segment"]["stages"].as_array().unwrap().iter().any(|s| s["count"] == 1), "{res}");
    let remove = "mutation($c: ID!) { removeTags(contactId: $c, names: [\"vip\"]) { id } }";
    assert!(app.gql(Some(&owner), remove, json!({ "c": berta })).await["errors"].is_null());
    assert_eq!(seen(&app, &owner, &shared).await, (1, vec!["Ana".to_string()]));
    let left = ("CONTACT_LEFT_SEGMENT".to_string(), berta.clone(), "VIP".to_string());
    assert_eq!(told(&app, &hook).await, vec![entered, left]);

    // A message moves last activity, and with it a segment on activity dates.
    let channel = app
        .gql(Some(&owner), "mutation { createChannel(input: { kind: API, name: \"Bot\" }) { id } }", json!({}))
        .await["data"]["createChannel"]["id"]
        .clone();
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let message = |at: &str| {
        json!({ "i": { "channelId": channel, "sender": { "phone": "+50688003001", "name": "Carla" },
        "body": "hola", "sentAt": at } })
    };
    let res = app.gql(Some(&owner), inbound, message("2026-01-05T10:00:00Z")).await;
    let carla =
        res["data"]["recordInboundMessage"]["contact"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    let active = segment(
        &app,
        &owner,
        json!({ "name": "Active", "visibility": "SHARED", "filter": { "lastActivityFrom": "2026-06-01T00:00:00Z" } }),
    )
    .await;
    let before = seen(&app, &owner, &active).await;
    assert!(!before.1.contains(&"Carla".to_string()), "{before:?}");
    assert!(app.gql(Some(&owner), inbound, message("2026-11-30T10:00:00Z")).await["errors"].is_null());
    let after = seen(&app, &owner, &active).await;
    assert_eq!(after.0, before.0 + 1);
    let last = told(&app, &hook).await.pop().unwrap();
    assert_eq!(last, ("CONTACT_ENTERED_SEGMENT".to_string(), carla, "Active".to_string()));

    // A deleted contact's memberships go with it; a deleted segment's with it.
    let delete = "mutation($id: ID!) { deleteContact(id: $id) { id } }";
    assert!(app.gql(Some(&owner), delete, json!({ "id": ana })).await["errors"].is_null());
    assert_eq!(seen(&app, &owner, &shared).await.0, 0);
    let kept = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::segment_member::Entity::find().count(&app.db).await.unwrap() as i64
    };
    let (held, in_active) = (kept().await, seen(&app, &owner, &active).await.0);
    let res =
        app.gql(Some(&owner), "mutation($id: ID!) { deleteSegment(id: $id) { id } }", json!({ "id": active })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(kept().await, held - in_active, "its memberships went with it");
    assert_eq!(
        code(
            &app.gql(Some(&agent_a), "mutation($id: ID!) { deleteSegment(id: $id) { id } }", json!({ "id": private }))
                .await
        ),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn a_segment_on_the_clock_is_counted_by_its_filter_and_stays_right() {
    let app = TestApp::new().await;
    let owner = app.owner_token.clone();
    let channel = app
        .gql(Some(&owner), "mutation { createChannel(input: { kind: API, name: \"Bot\" }) { id } }", json!({}))
        .await["data"]["createChannel"]["id"]
        .clone();
    app.contact(&owner, json!({ "name": "Ana", "phone": "+50688001001" })).await;
    let id =
        segment(&app, &owner, json!({ "name": "Window closed", "filter": { "messagingWindowOpen": false } })).await;
    assert_eq!(seen(&app, &owner, &id).await, (1, vec!["Ana".to_string()]));
    // The window opens with a message and closes a day later without any write: read, not kept.
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let sender = json!({ "phone": "+50688001001" });
    let res = app
        .gql(Some(&owner), inbound, json!({ "i": { "channelId": channel, "sender": sender, "body": "hola" } }))
        .await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(seen(&app, &owner, &id).await, (0, vec![]));
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::segment_member::Entity::find().count(&app.db).await.unwrap(), 0, "nothing kept for it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_hear_of_segments_and_contacts_they_may_see_only() {
    let app = TestApp::new().await;
    let owner = app.owner_token.clone();
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, agent_b) = app.user("AGENT", "b@acme.test").await;
    app.contact(&owner, json!({ "name": "Seed", "tags": ["vip"] })).await;
    let vip = tag_id(&app, "vip").await;
    let shared =
        segment(&app, &owner, json!({ "name": "VIP", "visibility": "SHARED", "filter": { "tagIds": [vip] } })).await;
    let private_b = segment(&app, &agent_b, json!({ "name": "B's VIP", "filter": { "tagIds": [vip] } })).await;

    let addr = serve(app.router.clone()).await;
    let (mut ws, ack) = connect(addr, &agent_a).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    let q = "subscription { segmentMembershipEvents { segmentId change contact { name } } }";
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": q } }).to_string()))
        .await
        .unwrap();
    let named = "subscription($s: ID) { segmentMembershipEvents(segmentId: $s) { segmentId } }";
    let (mut other, _) = connect(addr, &agent_a).await;
    let sub = json!({ "id": "2", "type": "subscribe", "payload": { "query": named, "variables": { "s": private_b } } });
    other.send(Message::text(sub.to_string())).await.unwrap();
    let refused = next_json(&mut other).await.unwrap();
    let refused = &refused["payload"]["errors"][0]["extensions"]["code"];
    assert_eq!(refused, "NOT_FOUND", "another agent's private segment cannot be followed: {refused}");
    settle().await;

    app.contact(&owner, json!({ "name": "For B", "tags": ["vip"], "assigneeId": b_id })).await;
    app.contact(&owner, json!({ "name": "For A", "tags": ["vip"], "assigneeId": a_id })).await;
    // The first event A hears is about A's contact entering the shared segment.
    let msg = next_json(&mut ws).await.expect("an event");
    let e = &msg["payload"]["data"]["segmentMembershipEvents"];
    let heard = (e["segmentId"].as_str().unwrap_or_default(), &e["change"], &e["contact"]["name"]);
    assert_eq!(heard, (shared.as_str(), &json!("ENTERED"), &json!("For A")), "B's contact and B's segment are not A's");
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(500), next_json(&mut ws)).await;
    assert!(matches!(quiet, Err(_) | Ok(None)), "nothing more for A: {quiet:?}");
}

#[tokio::test]
async fn a_merge_leaves_one_member_where_there_were_two() {
    let app = TestApp::new().await;
    let owner = app.owner_token.clone();
    let ana = app.contact(&owner, json!({ "name": "Ana", "phone": "+50688001001", "tags": ["vip"] })).await;
    let twin = app.contact(&owner, json!({ "name": "Ana M", "email": "ana@example.com", "tags": ["vip"] })).await;
    let vip = tag_id(&app, "vip").await;
    let id =
        segment(&app, &owner, json!({ "name": "VIP", "visibility": "SHARED", "filter": { "tagIds": [vip] } })).await;
    assert_eq!(seen(&app, &owner, &id).await.0, 2);
    let merge = "mutation($p: ID!, $d: [ID!]!) { mergeContacts(primaryId: $p, duplicateIds: $d) { mergeId } }";
    let res = app.gql(Some(&owner), merge, json!({ "p": ana["id"], "d": [twin["id"]] })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(seen(&app, &owner, &id).await, (1, vec!["Ana".to_string()]), "the duplicate's membership went with it");
}

#[tokio::test]
async fn deleting_a_tag_or_a_listing_lets_their_contacts_go() {
    let app = TestApp::new().await;
    let owner = app.owner_token.clone();
    app.contact(&owner, json!({ "name": "Ana", "phone": "+50688001001", "tags": ["vip"] })).await;
    let vip = tag_id(&app, "vip").await;
    let id =
        segment(&app, &owner, json!({ "name": "VIP", "visibility": "SHARED", "filter": { "tagIds": [vip] } })).await;
    assert_eq!(seen(&app, &owner, &id).await.0, 1);
    let res = app.gql(Some(&owner), "mutation($id: ID!) { deleteTag(id: $id) { id } }", json!({ "id": vip })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(seen(&app, &owner, &id).await, (0, vec![]), "a deleted tag matches nothing, kept or not");
}
