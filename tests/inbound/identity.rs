//! One person, one contact, whatever form of their number or channel they arrive with.

use migration::{Migrator, MigratorTrait};
use serde_json::{Value, json};

use super::{NUMBER_ID, SECRET, text};
use crate::harness::{TestApp, code};

const PHONES: &str = "{ contacts(first: 10, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { name phone source } } } }";

/// A partner (API) channel of the organization; returns its id.
async fn api_channel(app: &TestApp) -> Value {
    let create = "mutation { createChannel(input: { kind: API, name: \"Bot\" }) { id } }";
    app.gql(Some(&app.owner_token), create, json!({})).await["data"]["createChannel"]["id"].clone()
}

/// Rolls back the migration `name` and every one after it, then runs them all again.
async fn rerun_from(app: &TestApp, name: &str) {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
    let at = names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::down(&app.db, Some((names.len() - at) as u32)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
}

async fn phones(app: &TestApp) -> Value {
    app.gql(Some(&app.owner_token), PHONES, json!({})).await["data"]["contacts"].clone()
}

/// Brazil's ninth digit, Mexico's `1` and Argentina's `9`: typed by hand in one form and sent by
/// WhatsApp in the other, or the other way round, they name one contact.
#[tokio::test]
async fn mobile_forms_of_one_line_are_one_contact_in_either_order() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let lines = [
        ("Bruna", "+55 11 98765 4321", "551187654321", "+5511987654321"),
        ("Mateo", "+52 55 1234 5678", "5215512345678", "+525512345678"),
        ("Lucía", "+54 11 2345 6789", "5491123456789", "+5491123456789"),
    ];
    for (i, (name, typed, wa_id, _)) in lines.iter().enumerate() {
        app.contact(&app.owner_token, json!({ "name": name, "phone": typed })).await;
        let (status, _) =
            app.webhook(&text(wa_id, Some(name), &format!("wamid.{i}"), "Hola", 1_764_000_000), Some(SECRET)).await;
        assert!(status.is_success());
    }
    let listed = phones(&app).await;
    assert_eq!(listed["totalCount"], 3, "{listed}");
    for (i, (name, _, _, canonical)) in lines.iter().enumerate() {
        let node = listed["edges"].as_array().unwrap().iter().find(|e| e["node"]["name"] == *name).unwrap();
        assert_eq!(node["node"]["phone"], *canonical, "{name}");
        // The other way round: WhatsApp first, then the number typed in its other form.
        let other = TestApp::new().await;
        other.whatsapp_channel(NUMBER_ID, SECRET).await;
        other.webhook(&text(lines[i].2, Some(name), "wamid.x", "Hola", 1_764_000_000), Some(SECRET)).await;
        let create = "mutation($i: CreateContactInput!) { createContact(input: $i) { id } }";
        let res =
            other.gql(Some(&other.owner_token), create, json!({ "i": { "name": name, "phone": lines[i].1 } })).await;
        assert_eq!(code(&res), "CONFLICT", "{name}: {res}");
        assert_eq!(phones(&other).await["totalCount"], 1);
    }
}

#[tokio::test]
async fn numbers_are_read_as_people_type_them() {
    let app = TestApp::new().await;
    let create = "mutation($i: CreateContactInput!) { createContact(input: $i) { phone } }";
    for (typed, stored) in
        [("573001234567", "+573001234567"), ("0057 300 123 4567", "+573001234567"), ("8888.1234", "+50688881234")]
    {
        let other = TestApp::new().await;
        let res = other.gql(Some(&other.owner_token), create, json!({ "i": { "name": "Ana", "phone": typed } })).await;
        assert_eq!(res["data"]["createContact"]["phone"], stored, "{typed}: {res}");
    }
    let res = app.gql(Some(&app.owner_token), create, json!({ "i": { "name": "Ana", "phone": "12345" } })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "phone");
    let message = res["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("such as +506"), "the error shows what is expected: {message}");
}

/// A contact is born where it first wrote: Telegram and the web widget are sources of their own.
#[tokio::test]
async fn a_contact_born_on_telegram_or_the_widget_has_that_source() {
    let app = TestApp::new().await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { source } } }";
    for (kind, sender, source) in [
        ("TELEGRAM", json!({ "telegramId": "tg-1", "name": "Tele" }), "TELEGRAM"),
        ("WEB_WIDGET", json!({ "widgetSession": "s-1", "name": "Web" }), "WEB_WIDGET"),
        ("API", json!({ "apiId": "crm-1", "name": "Api" }), "API"),
    ] {
        let channel = app
            .gql(
                Some(&app.owner_token),
                &format!("mutation {{ createChannel(input: {{ kind: {kind}, name: \"{kind}\" }}) {{ id }} }}"),
                json!({}),
            )
            .await["data"]["createChannel"]["id"]
            .clone();
        let input = json!({ "channelId": channel, "sender": sender, "body": "hola" });
        let res = app.gql(Some(&app.owner_token), inbound, json!({ "i": input })).await;
        assert_eq!(res["data"]["recordInboundMessage"]["contact"]["source"], source, "{kind}: {res}");
    }
}

/// Left unassigned, an agent's new contact would show to every other agent.
#[tokio::test]
async fn an_agents_new_contact_is_theirs_unless_left_unassigned_on_purpose() {
    let app = TestApp::new().await;
    let (agent, token) = app.user("AGENT", "a@acme.test").await;
    let (_, other) = app.user("AGENT", "b@acme.test").await;
    let mine = app.contact(&token, json!({ "name": "Mine" })).await;
    assert_eq!(mine["assignee"]["id"], agent.to_string());
    let open = app.contact(&token, json!({ "name": "Open", "assigneeId": null })).await;
    assert!(open["assignee"].is_null(), "{open}");
    let seen = app.gql(Some(&other), PHONES, json!({})).await;
    assert_eq!(seen["data"]["contacts"]["totalCount"], 1, "the other agent sees only the open one: {seen}");
    let owners = app.contact(&app.owner_token, json!({ "name": "Owner's" })).await;
    assert!(owners["assignee"].is_null(), "an admin's new contact stays unassigned unless given");
}

/// Rows written before the canonical forms move to them, search digits included.
#[tokio::test]
async fn stored_numbers_move_to_their_canonical_form() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "Bruna", "phone": "+5511987654321" })).await;
    app.execute("UPDATE contacts SET phone = '+551187654321', search_text = 'bruna 551187654321' WHERE name = 'Bruna'")
        .await;
    app.execute("UPDATE contact_identifiers SET value = '+551187654321' WHERE kind = 'PHONE'").await;
    rerun_from(&app, "m20261201_000013_phone_forms").await;
    let found = "query($s: String!) { contacts(search: $s) { totalCount edges { node { phone identifiers { kind value } } } } }";
    let res = app.gql(Some(&app.owner_token), found, json!({ "s": "11987654321" })).await;
    let node = &res["data"]["contacts"]["edges"][0]["node"];
    assert_eq!(node["phone"], "+5511987654321", "{res}");
    assert!(node["identifiers"].as_array().unwrap().iter().any(|i| i["value"] == "+5511987654321"), "{res}");
}

/// Usernames stored as received before move to the compared form; of two that become one, the older stays.
#[tokio::test]
async fn stored_usernames_move_to_the_form_they_are_compared_in() {
    let app = TestApp::new().await;
    let api = api_channel(&app).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    for (user, name) in [("US.1", "first"), ("US.2", "second")] {
        let sender = json!({ "waUserId": user, "username": name, "name": name });
        let res =
            app.gql(Some(&app.owner_token), inbound, json!({ "i": { "channelId": api, "sender": sender } })).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    app.execute("UPDATE contact_identifiers SET value = '@Mateo_MX' WHERE kind = 'USERNAME' AND value = 'first'").await;
    app.execute("UPDATE contact_identifiers SET value = 'MATEO_mx' WHERE kind = 'USERNAME' AND value = 'second'").await;
    rerun_from(&app, "m20261201_000014_usernames").await;
    let q =
        "query($s: String!) { contacts(search: $s) { totalCount edges { node { name identifiers { kind value } } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "s": "mateo_mx" })).await;
    assert_eq!(res["data"]["contacts"]["totalCount"], 1, "{res}");
    let node = &res["data"]["contacts"]["edges"][0]["node"];
    assert_eq!(node["name"], "first", "the older keeps it");
    assert!(
        node["identifiers"].as_array().unwrap().iter().any(|i| i["kind"] == "USERNAME" && i["value"] == "mateo_mx")
    );
}

/// A contact first known only by its WhatsApp user id, or typed in without a `wa_id`, gets its phone and
/// `wa_id` from the first message that brings them, and no second contact.
#[tokio::test]
async fn a_number_learned_later_fills_the_contact() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let api = api_channel(&app).await;
    let inbound =
        "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id phone waId } } }";
    let sender = json!({ "waUserId": "US.5215512345678", "name": "Mateo" });
    let res = app
        .gql(Some(&app.owner_token), inbound, json!({ "i": { "channelId": api, "sender": sender, "body": "hola" } }))
        .await;
    let first = &res["data"]["recordInboundMessage"]["contact"];
    assert!(first["phone"].is_null() && first["waId"].is_null(), "{res}");
    app.webhook(&text("5215512345678", Some("Mateo"), "wamid.late", "Hola", 1_764_000_000), Some(SECRET)).await;
    let typed = app.contact(&app.owner_token, json!({ "name": "Bruna", "phone": "+55 11 98765 4321" })).await;
    assert!(typed["waId"].is_null());
    app.webhook(&text("551187654321", Some("Bruna"), "wamid.typed", "Oi", 1_764_000_000), Some(SECRET)).await;
    let all = "{ contacts(first: 10, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { name phone waId } } } }";
    let listed = app.gql(Some(&app.owner_token), all, json!({})).await["data"]["contacts"].clone();
    assert_eq!(listed["totalCount"], 2, "{listed}");
    assert_eq!(
        listed["edges"][0]["node"],
        json!({ "name": "Bruna", "phone": "+5511987654321", "waId": "551187654321" })
    );
    assert_eq!(
        listed["edges"][1]["node"],
        json!({ "name": "Mateo", "phone": "+525512345678", "waId": "5215512345678" })
    );
}

/// Search finds a contact by any exact identity, within what the searcher may see.
#[tokio::test]
async fn search_finds_a_contact_by_any_identity_within_sight() {
    let app = TestApp::new().await;
    let (agent_a, token_a) = app.user("AGENT", "a@acme.test").await;
    let (_, token_b) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user_with("VIEWER", "v@acme.test", json!([])).await;
    let api = api_channel(&app).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let sender = json!({ "waUserId": "US.10442", "username": "mateo_mx", "telegramId": "998877", "name": "Mateo" });
    let res = app
        .gql(Some(&app.owner_token), inbound, json!({ "i": { "channelId": api, "sender": sender, "body": "hola" } }))
        .await;
    let id = res["data"]["recordInboundMessage"]["contact"]["id"].clone();
    let assign = "mutation($id: ID!, $a: ID) { updateContact(id: $id, input: { assigneeId: $a }) { id } }";
    assert!(app.gql(Some(&app.owner_token), assign, json!({ "id": id, "a": agent_a })).await["errors"].is_null());
    let search = "query($s: String!) { contacts(search: $s) { totalCount edges { node { id } } } }";
    for term in ["US.10442", "@mateo_mx", "mateo_mx", "998877"] {
        for (who, token, expected) in
            [("owner", &app.owner_token, 1), ("agent A", &token_a, 1), ("agent B", &token_b, 0), ("viewer", &viewer, 0)]
        {
            let res = app.gql(Some(token), search, json!({ "s": term })).await;
            assert_eq!(res["data"]["contacts"]["totalCount"], expected, "{who} searching {term}: {res}");
        }
    }
}

/// Oversized or malformed identities are refused on their own field, and nothing of the message is kept.
#[tokio::test]
async fn malformed_identities_are_refused_and_store_nothing() {
    let app = TestApp::new().await;
    let api = api_channel(&app).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    for (sender, field) in [
        (json!({ "waUserId": "U".repeat(300) }), "sender.waUserId"),
        (json!({ "username": "mateo\u{7}mx" }), "sender.username"),
        (json!({ "phone": "1".repeat(40) }), "sender.phone"),
    ] {
        let res = app
            .gql(
                Some(&app.owner_token),
                inbound,
                json!({ "i": { "channelId": api, "sender": sender, "body": "hola" } }),
            )
            .await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
        assert_eq!(res["errors"][0]["extensions"]["field"], field, "{res}");
    }
    assert_eq!(phones(&app).await["totalCount"], 0);
}

/// Fifty first messages at once, half in each of Brazil's two forms of one line: one contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_first_messages_in_both_forms_make_one_contact() {
    let app = std::sync::Arc::new(TestApp::new().await);
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let app = app.clone();
            let from = if i % 2 == 0 { "551187654321" } else { "5511987654321" };
            tokio::spawn(async move {
                app.webhook(
                    &text(from, Some("Bruna"), &format!("wamid.both.{i}"), "oi", 1_764_000_000 + i),
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
    let listed = phones(&app).await;
    assert_eq!(listed["totalCount"], 1, "{listed}");
    assert_eq!(listed["edges"][0]["node"]["phone"], "+5511987654321");
}

/// A contact says how a WhatsApp message reaches it: its number when known, else its user id.
#[tokio::test]
async fn a_contact_says_which_whatsapp_address_to_use() {
    let app = TestApp::new().await;
    let api = api_channel(&app).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { whatsappAddress { parameter value } } } }";
    let address = |sender: Value| {
        let (app, api) = (&app, api.clone());
        async move {
            let input = json!({ "channelId": api, "sender": sender, "body": "hola" });
            app.gql(Some(&app.owner_token), inbound, json!({ "i": input })).await["data"]["recordInboundMessage"]["contact"]
                ["whatsappAddress"]
                .clone()
        }
    };
    assert_eq!(address(json!({ "waUserId": "US.55" })).await, json!({ "parameter": "recipient", "value": "US.55" }));
    assert_eq!(
        address(json!({ "phone": "+50688881234" })).await,
        json!({ "parameter": "to", "value": "+50688881234" })
    );
    assert!(address(json!({ "telegramId": "42" })).await.is_null());
}
