//! Deleting what an organization set up: a property with its values, a listing, a channel (archived
//! instead when it has history). Admins only.

use serde_json::{Value, json};

use crate::{
    harness::{TestApp, code},
    inbound::{NUMBER_ID, SECRET, text},
};

async fn org_events(app: &TestApp, kind: &str) -> Vec<Value> {
    let q = "query($k: [String!]) { auditEvents(filter: { kinds: $k }, first: 10) { edges { node { before } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "k": [kind] })).await;
    let edges = res["data"]["auditEvents"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges.into_iter().map(|e| e["node"]["before"].clone()).collect()
}

#[tokio::test]
async fn a_property_goes_with_its_values_and_the_trail_keeps_what_it_was() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let def =
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }";
    let id = app.gql(Some(t), def, json!({})).await["data"]["createPropertyDefinition"]["id"].clone();
    let c = app.contact(t, json!({ "name": "Ana", "phone": "+50688000301" })).await;
    let set = "mutation($c: ID!) { setContactProperty(contactId: $c, key: \"budget\", value: 5) { id } }";
    assert!(app.gql(Some(t), set, json!({ "c": c["id"] })).await["errors"].is_null());
    let delete = "mutation($id: ID!) { deletePropertyDefinition(id: $id) { id } }";
    for role in ["AGENT", "VIEWER"] {
        let (_, token) = app.user(role, &format!("{role}@acme.test")).await;
        assert_eq!(code(&app.gql(Some(&token), delete, json!({ "id": id })).await), "FORBIDDEN", "{role}");
    }
    let res = app.gql(Some(t), delete, json!({ "id": id })).await;
    assert_eq!(res["data"]["deletePropertyDefinition"]["id"], id, "{res}");
    let q = "query($c: ID!) { contact(id: $c) { properties { value } } propertyDefinitions { key } }";
    let after = app.gql(Some(t), q, json!({ "c": c["id"] })).await["data"].clone();
    assert_eq!((&after["contact"]["properties"], &after["propertyDefinitions"]), (&json!([]), &json!([])));
    let trail = org_events(&app, "property.deleted").await;
    assert_eq!((&trail[0]["key"], &trail[0]["values"]), (&json!("budget"), &json!(1)), "{trail:?}");
    assert_eq!(code(&app.gql(Some(t), delete, json!({ "id": id })).await), "NOT_FOUND");
    // Its key is free again.
    assert!(app.gql(Some(t), def, json!({})).await["errors"].is_null());
}

#[tokio::test]
async fn a_listing_is_deleted_and_its_contacts_keep_the_rest() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let create = "mutation { createListing(input: { title: \"Casa Escazú\" }) { id } }";
    let listing = app.gql(Some(t), create, json!({})).await["data"]["createListing"]["id"].clone();
    let c = app.contact(t, json!({ "name": "Ana", "phone": "+50688000302", "sourceListingId": listing })).await;
    let delete = "mutation($id: ID!) { deleteListing(id: $id) { id } }";
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(code(&app.gql(Some(&agent), delete, json!({ "id": listing })).await), "FORBIDDEN");
    assert!(app.gql(Some(t), delete, json!({ "id": listing })).await["errors"].is_null());
    let q = "query($c: ID!) { contact(id: $c) { name sourceListing { id } } }";
    let after = app.gql(Some(t), q, json!({ "c": c["id"] })).await;
    assert_eq!(after["data"]["contact"], json!({ "name": "Ana", "sourceListing": null }), "{after}");
    assert_eq!(org_events(&app, "listing.deleted").await[0]["contacts"], 1);
}

#[tokio::test]
async fn a_channel_with_history_is_archived_and_takes_no_new_messages() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let delete = "mutation($id: ID!) { deleteChannel(id: $id) { id deleted channel { active } } }";
    let unused =
        app.gql(Some(t), "mutation { createChannel(input: { kind: API, name: \"Spare\" }) { id } }", json!({})).await;
    let unused = unused["data"]["createChannel"]["id"].clone();
    let res = app.gql(Some(t), delete, json!({ "id": unused })).await;
    assert_eq!(res["data"]["deleteChannel"], json!({ "id": unused, "deleted": true, "channel": null }), "{res}");

    let whatsapp = app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.webhook(&text("50688000303", Some("Ana"), "wamid.r1", "hola", 1_764_000_000), Some(SECRET)).await;
    let (_, viewer) = app.user("VIEWER", "viewer@acme.test").await;
    assert_eq!(code(&app.gql(Some(&viewer), delete, json!({ "id": whatsapp })).await), "FORBIDDEN");
    let res = app.gql(Some(t), delete, json!({ "id": whatsapp })).await;
    assert_eq!(res["data"]["deleteChannel"]["deleted"], false, "{res}");
    assert_eq!(res["data"]["deleteChannel"]["channel"]["active"], false);
    // Archived: the webhook's messages are ignored, partners cannot record on it, the history stays.
    app.webhook(&text("50688000303", Some("Ana"), "wamid.r2", "¿sigue?", 1_764_000_100), Some(SECRET)).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { stored } }";
    let res = app
        .gql(Some(t), inbound, json!({ "i": { "channelId": whatsapp, "sender": { "phone": "+50688000304" } } }))
        .await;
    assert_eq!(
        (code(&res), &res["errors"][0]["extensions"]["field"]),
        ("BAD_USER_INPUT", &json!("channelId")),
        "{res}"
    );
    let q = "{ contacts { totalCount edges { node { conversations { messages { totalCount } } } } } }";
    let list = app.gql(Some(t), q, json!({})).await["data"]["contacts"].clone();
    assert_eq!(list["totalCount"], 1);
    assert_eq!(list["edges"][0]["node"]["conversations"][0]["messages"]["totalCount"], 1);
}
