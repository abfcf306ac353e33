use std::sync::Arc;

use axum::{body::Body, http::Request};
use serde_json::{Value, json};

use super::{CONTACTS, NUMBER_ID, SECRET, delivery, fixture, text};
use crate::harness::{TestApp, code};

async fn contacts(app: &TestApp) -> Value {
    let res = app.gql(Some(&app.owner_token), CONTACTS, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["contacts"].clone()
}

#[tokio::test]
async fn the_verification_handshake_answers_the_challenge_only_for_our_token() {
    let app = TestApp::new().await;
    let get = |q: &str| Request::get(format!("/webhooks/whatsapp?{q}")).body(Body::empty()).unwrap();
    assert_eq!(app.send(get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42")).await.status(), 403);
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let ok = app.send(get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")).await;
    assert_eq!(ok.status(), 200);
    let body = http_body_util::BodyExt::collect(ok.into_body()).await.unwrap().to_bytes();
    assert_eq!(&body[..], b"1158201444");
    assert_eq!(app.send(get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")).await.status(), 403);
    assert_eq!(app.send(get("hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1")).await.status(), 403);
}

#[tokio::test]
async fn a_first_message_creates_the_contact_its_identities_and_its_conversation() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let (status, _) = app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await;
    assert_eq!(status, 200);
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = &list["edges"][0]["node"];
    assert_eq!(c["name"], "Sheena Nelson");
    assert_eq!(c["phone"], "+16505551234");
    assert_eq!(c["waId"], "16505551234");
    assert_eq!(c["source"], "WHATSAPP");
    assert_eq!(c["status"]["name"], "New");
    assert!(c["assignee"].is_null());
    assert_eq!(c["nameEditedManually"], false);
    let mut kinds: Vec<&str> =
        c["identifiers"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["PHONE", "WA_ID", "WA_USER_ID"]);
    assert_eq!(c["stats"]["userInitiatedConversations"], 1);
    assert_eq!(c["lastActivityAt"], "2025-02-12T00:43:44+00:00");
    let conv = &c["conversations"][0];
    assert_eq!(conv["channel"]["name"], "Sales");
    assert_eq!(
        conv["messages"]["edges"][0]["node"],
        json!({ "direction": "INBOUND", "kind": "text",
        "body": "Hi, is the 2-bed flat in Escazú still available?", "status": "RECEIVED",
        "externalId": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=" })
    );
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_refused_and_stores_nothing() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let body = fixture("inbound_text.json");
    assert_eq!(app.webhook(&body, None).await.0, 401);
    assert_eq!(app.webhook(&body, Some("not-the-secret")).await.0, 401);
    // Signed over other bytes (re-serialised JSON) does not count either.
    let reserialised = serde_json::to_string(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    let req = Request::post("/webhooks/whatsapp")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", api::inbound_webhooks::signature::sign(SECRET, reserialised.as_bytes()))
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(app.send(req).await.status(), 401);
    assert_eq!(contacts(&app).await["totalCount"], 0);
}

#[tokio::test]
async fn unknown_numbers_are_acknowledged_and_ignored() {
    let app = TestApp::new().await;
    app.whatsapp_channel("999999", SECRET).await;
    let (status, _) = app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await;
    assert_eq!(status, 200);
    assert_eq!(contacts(&app).await["totalCount"], 0);
}

#[tokio::test]
async fn redeliveries_are_stored_once_and_a_repeat_sender_continues_the_conversation() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let first = text("50688881234", Some("Maria"), "wamid.1", "Hola", 1_760_000_000);
    assert_eq!(app.webhook(&first, Some(SECRET)).await.0, 200);
    assert_eq!(app.webhook(&first, Some(SECRET)).await.0, 200);
    // Four hours later, a new profile name: followed, since nobody edited the name.
    app.webhook(&text("50688881234", Some("María José"), "wamid.2", "¿Sigue disponible?", 1_760_014_400), Some(SECRET))
        .await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = &list["edges"][0]["node"];
    assert_eq!(c["name"], "María José");
    assert_eq!(c["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(c["conversations"][0]["messages"]["totalCount"], 2);
    assert_eq!(c["stats"]["userInitiatedConversations"], 1, "both messages fall in one 24-hour window");

    // A person edits the name; later profile names leave it alone. A day later a new window opens.
    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!) { updateContact(id: $id, input: { name: \"Maria (Escazú)\" }) { id } }",
        json!({ "id": c["id"] }),
    )
    .await;
    app.webhook(&text("50688881234", Some("Majo"), "wamid.3", "Hola de nuevo", 1_760_200_000), Some(SECRET)).await;
    let c = contacts(&app).await["edges"][0]["node"].clone();
    assert_eq!(c["name"], "Maria (Escazú)");
    assert_eq!(c["stats"]["userInitiatedConversations"], 2);
    let bodies: Vec<&str> = c["conversations"][0]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Hola de nuevo", "¿Sigue disponible?", "Hola"], "newest first");
}

#[tokio::test]
async fn a_changed_number_moves_the_phone_to_the_same_contact() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await;
    assert_eq!(app.webhook(&fixture("changed_number.json"), Some(SECRET)).await.0, 200);
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = &list["edges"][0]["node"];
    assert_eq!(c["phone"], "+16505559999");
    assert_eq!(c["waId"], "16505559999");
    // A message from the new number joins the same contact.
    app.webhook(
        &text("16505559999", Some("Sheena Nelson"), "wamid.new", "New number, same me", 1_760_000_000),
        Some(SECRET),
    )
    .await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["edges"][0]["node"]["conversations"][0]["messages"]["totalCount"], 2);
}

#[tokio::test]
async fn malformed_huge_and_unknown_deliveries_harm_nothing_else() {
    let app = TestApp::with_config(|c| c.max_body_bytes = 1_048_576).await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    assert_eq!(app.webhook("{ not json", Some(SECRET)).await.0, 400);
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(10 * 1024 * 1024));
    assert_eq!(app.webhook(&huge, Some(SECRET)).await.0, 413);
    // Within the upload limit (5 MB here) but over the JSON limit (1 MB): still refused.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    assert_eq!(app.webhook(&big, Some(SECRET)).await.0, 413);

    let mixed = delivery(json!({
        "contacts": [{ "profile": { "name": "Ana" }, "wa_id": "50688880001" }],
        "messages": [
            { "from": "50688880001", "id": "wamid.a", "timestamp": "1760000000", "type": "hologram", "hologram": { "depth": 3 } },
            { "garbage": true },
            { "from": "50688880001", "id": "wamid.b", "timestamp": "1760000001", "type": "text", "text": { "body": "still here" } }
        ]
    }));
    assert_eq!(app.webhook(&mixed, Some(SECRET)).await.0, 200);
    let c = contacts(&app).await["edges"][0]["node"].clone();
    let kinds: Vec<&str> = c["conversations"][0]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "hologram"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_first_messages_make_one_contact_one_conversation_and_fifty_messages() {
    let app = Arc::new(TestApp::new().await);
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.webhook(
                    &text("50688887777", Some("Rush"), &format!("wamid.rush.{i}"), "hi", 1_760_000_000 + i),
                    Some(SECRET),
                )
                .await
                .0
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1, "{list}");
    let c = &list["edges"][0]["node"];
    assert_eq!(c["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(c["conversations"][0]["messages"]["totalCount"], 50);
    assert_eq!(c["stats"]["userInitiatedConversations"], 1);
}

#[tokio::test]
async fn plan_limits_never_drop_an_inbound_message() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.gql(Some(&app.owner_token), "mutation { updateOrganization(input: { plan: FREE }) { plan } }", json!({})).await;
    for i in 0..100 {
        app.contact(&app.owner_token, json!({ "name": format!("Lead {i}") })).await;
    }
    let refused =
        app.gql(Some(&app.owner_token), crate::harness::CREATE_CONTACT, json!({ "input": { "name": "Manual" } })).await;
    assert_eq!(code(&refused), "LIMIT_EXCEEDED");
    assert_eq!(app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await.0, 200);
    assert_eq!(contacts(&app).await["totalCount"], 101);
    // The overflow the message caused shows in the organization's usage, for admins only.
    let usage = "{ organization { usage { contacts limit overLimit inboundOverLimit } } }";
    let res = app.gql(Some(&app.owner_token), usage, json!({})).await;
    assert_eq!(
        res["data"]["organization"]["usage"],
        json!({ "contacts": 101, "limit": 100, "overLimit": 1, "inboundOverLimit": 1 }),
        "{res}"
    );
    for role in ["AGENT", "VIEWER"] {
        let (_, token) = app.user(role, &format!("{role}@acme.test")).await;
        assert_eq!(code(&app.gql(Some(&token), usage, json!({})).await), "FORBIDDEN", "{role}");
    }
}

#[tokio::test]
async fn a_database_failure_answers_5xx_so_meta_delivers_again() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.execute("ALTER TABLE messages RENAME TO messages_away").await;
    let (status, body) = app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await;
    assert!(status.is_server_error(), "{status}");
    assert!(!body.to_lowercase().contains("messages"), "no internals in the answer: {body}");
    app.execute("ALTER TABLE messages_away RENAME TO messages").await;
    // The redelivery succeeds and the contact created by the first attempt gets its one message.
    assert_eq!(app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await.0, 200);
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["edges"][0]["node"]["conversations"][0]["messages"]["totalCount"], 1);
}

#[tokio::test]
async fn the_messaging_window_is_shown_and_filterable_from_the_last_inbound_message() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let now = chrono::Utc::now().timestamp();
    app.webhook(&text("50688000091", Some("Recent"), "wamid.w1", "hola", now - 3_600), Some(SECRET)).await;
    app.webhook(&text("50688000092", Some("Stale"), "wamid.w2", "hola", now - 30 * 3_600), Some(SECRET)).await;
    app.contact(&app.owner_token, json!({ "name": "Manual", "phone": "+50688000093" })).await;

    let q = "query($open: Boolean) { contacts(first: 10, filter: { messagingWindowOpen: $open }) { edges { node { name messagingWindowClosesAt } } } }";
    let names = |res: &Value| -> Vec<String> {
        let mut n: Vec<String> = res["data"]["contacts"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"))
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    let open = app.gql(Some(&app.owner_token), q, json!({ "open": true })).await;
    assert_eq!(names(&open), vec!["Recent"]);
    let closes: chrono::DateTime<chrono::Utc> =
        open["data"]["contacts"]["edges"][0]["node"]["messagingWindowClosesAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(closes.timestamp(), now - 3_600 + 24 * 3_600);
    let closed = app.gql(Some(&app.owner_token), q, json!({ "open": false })).await;
    assert_eq!(names(&closed), vec!["Manual", "Stale"]);
}
