use serde_json::json;

use super::{CONTACTS, NUMBER_ID, SECRET, fixture};
use crate::harness::{TestApp, code};

const INBOUND: &str = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contactCreated stored contact { id name source sourceListing { title } } } }";
const OUTBOUND: &str = "mutation($i: RecordOutboundMessageInput!) { recordOutboundMessage(input: $i) { stored contact { stats { businessInitiatedConversations cancelledOutbounds receivedNotifications } } } }";

#[tokio::test]
async fn partners_record_inbound_messages_with_the_same_identity_and_dedup_rules() {
    let app = TestApp::new().await;
    let channel = {
        let q = "mutation { createChannel(input: { kind: WEB_WIDGET, name: \"Website\" }) { id } }";
        app.gql(Some(&app.owner_token), q, json!({})).await["data"]["createChannel"]["id"].clone()
    };
    let listing = app
        .gql(Some(&app.owner_token), "mutation { createListing(input: { title: \"Casa Escazú\" }) { id } }", json!({}))
        .await["data"]["createListing"]["id"]
        .clone();
    let input = json!({ "channelId": channel, "sender": { "widgetSession": "sess-1", "phone": "8888 4444", "name": "Web Visitor" },
                        "externalId": "w-1", "body": "Is it available?", "listingId": listing });
    let res = app.gql(Some(&app.owner_token), INBOUND, json!({ "i": input })).await;
    let r = &res["data"]["recordInboundMessage"];
    assert_eq!(r["contactCreated"], true, "{res}");
    assert_eq!(r["contact"]["source"], "PROPERTY_PAGE");
    assert_eq!(r["contact"]["sourceListing"]["title"], "Casa Escazú");
    let again = app.gql(Some(&app.owner_token), INBOUND, json!({ "i": input })).await;
    assert_eq!(again["data"]["recordInboundMessage"]["stored"], false);
    assert_eq!(again["data"]["recordInboundMessage"]["contact"]["id"], r["contact"]["id"]);
    // The same person later on WhatsApp (same phone) joins the same contact.
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.webhook(&super::text("50688884444", Some("Visitor"), "wamid.x", "hola", 1_760_000_000), Some(SECRET)).await;
    let list = app.gql(Some(&app.owner_token), CONTACTS, json!({})).await;
    assert_eq!(list["data"]["contacts"]["totalCount"], 1);
    assert_eq!(list["data"]["contacts"]["edges"][0]["node"]["conversations"].as_array().unwrap().len(), 2);

    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(code(&app.gql(Some(&agent), INBOUND, json!({ "i": input })).await), "FORBIDDEN");
    let no_identity = json!({ "channelId": channel, "sender": { "name": "Nobody" }, "body": "?" });
    assert_eq!(code(&app.gql(Some(&app.owner_token), INBOUND, json!({ "i": no_identity })).await), "BAD_USER_INPUT");
}

#[tokio::test]
async fn outbound_messages_and_their_statuses_keep_the_statistics() {
    let app = TestApp::new().await;
    let channel = app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let c = app.contact(&app.owner_token, json!({ "name": "Sheena", "phone": "+16505551234" })).await;
    // A template outside any window opens a business-initiated conversation.
    let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI1RjQ0QjI4MzU0QjA2NjI4AA==";
    let res = app.gql(Some(&app.owner_token), OUTBOUND, json!({ "i": { "contactId": c["id"], "channelId": channel, "externalId": wamid, "kind": "template", "body": "Hello!" } })).await;
    assert_eq!(
        res["data"]["recordOutboundMessage"]["contact"]["stats"],
        json!({ "businessInitiatedConversations": 1, "cancelledOutbounds": 0, "receivedNotifications": 0 }),
        "{res}"
    );
    // Meta reports it delivered (twice: counted once).
    for _ in 0..2 {
        assert_eq!(app.webhook(&fixture("status_update.json"), Some(SECRET)).await.0, 200);
    }
    let failed = app
        .gql(
            Some(&app.owner_token),
            OUTBOUND,
            json!({ "i": { "contactId": c["id"], "channelId": channel, "externalId": "wamid.f", "status": "failed" } }),
        )
        .await;
    assert_eq!(
        failed["data"]["recordOutboundMessage"]["contact"]["stats"],
        json!({ "businessInitiatedConversations": 1, "cancelledOutbounds": 1, "receivedNotifications": 1 })
    );
    let q =
        "query($id: ID!) { contact(id: $id) { conversations { messages { edges { node { externalId status } } } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "id": c["id"] })).await;
    let statuses: Vec<&str> = res["data"]["contact"]["conversations"][0]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["FAILED", "DELIVERED"]);
}

#[tokio::test]
async fn conversations_follow_the_contacts_visibility() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.webhook(&fixture("inbound_text.json"), Some(SECRET)).await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    let id =
        app.gql(Some(&app.owner_token), "{ contacts { edges { node { id } } } }", json!({})).await["data"]["contacts"]
            ["edges"][0]["node"]["id"]
            .clone();
    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!, $a: ID) { updateContact(id: $id, input: { assigneeId: $a }) { id } }",
        json!({ "id": id, "a": a_id }),
    )
    .await;
    let q = "query($id: ID!) { contact(id: $id) { conversations { messages { totalCount } } } }";
    assert_eq!(
        app.gql(Some(&agent_a), q, json!({ "id": id })).await["data"]["contact"]["conversations"][0]["messages"]["totalCount"],
        1
    );
    assert!(app.gql(Some(&agent_b), q, json!({ "id": id })).await["data"]["contact"].is_null());
    let (_, viewer) = app.user("VIEWER", "v@acme.test").await;
    let (_, other) = app.other_organization().await;
    assert!(app.gql(Some(&other), q, json!({ "id": id })).await["data"]["contact"].is_null());
    let write =
        "mutation($id: ID!, $ch: ID!) { recordOutboundMessage(input: { contactId: $id, channelId: $ch }) { stored } }";
    let ch =
        app.gql(Some(&app.owner_token), "{ channels { id } }", json!({})).await["data"]["channels"][0]["id"].clone();
    assert_eq!(code(&app.gql(Some(&agent_b), write, json!({ "id": id, "ch": ch })).await), "NOT_FOUND");
    assert_eq!(code(&app.gql(Some(&viewer), write, json!({ "id": id, "ch": ch })).await), "FORBIDDEN");
}

#[tokio::test]
async fn channels_keep_their_secrets_write_only_and_admins_manage_them() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let res = app.gql(Some(&app.owner_token), "{ channels { kind name phoneNumberId hasAppSecret } }", json!({})).await;
    assert_eq!(
        res["data"]["channels"],
        json!([{ "kind": "WHATSAPP", "name": "Sales", "phoneNumberId": NUMBER_ID, "hasAppSecret": true }])
    );
    let schema = api::schema::sdl();
    assert!(
        !schema.contains("appSecret: String\n\tverifyToken: String\n\tactive: Boolean!\n\tcreatedAt"),
        "secrets are not readable"
    );
    let dup = app.gql(Some(&app.owner_token), "mutation { createChannel(input: { kind: WHATSAPP, name: \"Dup\", phoneNumberId: \"106540352242922\", appSecret: \"x\", verifyToken: \"y\" }) { id } }", json!({})).await;
    assert_eq!(code(&dup), "CONFLICT");
    let missing = app
        .gql(
            Some(&app.owner_token),
            "mutation { createChannel(input: { kind: WHATSAPP, name: \"Rentals\", phoneNumberId: \"222\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&missing), "BAD_USER_INPUT");
    let rentals = app.gql(Some(&app.owner_token), "mutation { createChannel(input: { kind: WHATSAPP, name: \"Rentals\", phoneNumberId: \"222\", appSecret: \"x\", verifyToken: \"y\" }) { id } }", json!({})).await;
    assert!(rentals["errors"].is_null(), "an organization may have several numbers: {rentals}");
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(
        code(
            &app.gql(Some(&agent), "mutation { createChannel(input: { kind: API, name: \"X\" }) { id } }", json!({}))
                .await
        ),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn an_outbound_message_id_used_on_a_hidden_contact_is_not_confirmed() {
    let app = TestApp::new().await;
    let channel = app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let mine =
        app.contact(&app.owner_token, json!({ "name": "Mine", "phone": "+50688000121", "assigneeId": a_id })).await;
    let theirs =
        app.contact(&app.owner_token, json!({ "name": "Theirs", "phone": "+50688000122", "assigneeId": b_id })).await;
    let send = |c: &serde_json::Value| json!({ "i": { "contactId": c["id"], "channelId": channel, "externalId": "wamid.secret", "kind": "text", "body": "hi" } });
    let first = app.gql(Some(&app.owner_token), OUTBOUND, send(&theirs)).await;
    assert_eq!(first["data"]["recordOutboundMessage"]["stored"], true, "{first}");
    let probe = app.gql(Some(&agent_a), OUTBOUND, send(&mine)).await;
    assert_eq!(crate::harness::code(&probe), "CONFLICT", "{probe}");
    // The same id again on the same contact is a redelivery, not a conflict.
    let again = app.gql(Some(&app.owner_token), OUTBOUND, send(&theirs)).await;
    assert_eq!(again["data"]["recordOutboundMessage"]["stored"], false);
}
