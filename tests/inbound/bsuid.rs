//! WhatsApp's 2026 identities, with payloads as Meta's business-scoped user ids and webhook references
//! show them: senders without a phone, usernames that change, user id changes, statuses and contact-info
//! replies that bring the number later, and marketing preferences.

use serde_json::{Value, json};

use super::{CONTACTS, NUMBER_ID, SECRET, delivery};
use crate::harness::TestApp;

const USER: &str = "US.13491208655302741918";
const PARENT: &str = "US.ENT.11815799212886844830";

async fn deliver(app: &TestApp, value: Value) {
    let (status, body) = app.webhook(&delivery(value), Some(SECRET)).await;
    assert_eq!(status, 200, "{body}");
}

/// A message from a person whose phone is withheld: no `from`, no `wa_id`.
fn hidden(user: &str, username: &str, wamid: &str, ts: i64) -> Value {
    json!({
        "contacts": [{ "profile": { "name": "Sheena Nelson", "username": username }, "user_id": user, "parent_user_id": PARENT }],
        "messages": [{ "from_user_id": user, "from_parent_user_id": PARENT, "id": wamid, "timestamp": ts.to_string(),
                       "type": "text", "text": { "body": "Does it come in another color?" } }]
    })
}

async fn contacts(app: &TestApp) -> Value {
    let res = app.gql(Some(&app.owner_token), CONTACTS, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["contacts"].clone()
}

fn identity(contact: &Value, kind: &str) -> Option<String> {
    let all = contact["identifiers"].as_array().unwrap();
    all.iter().find(|i| i["kind"] == kind).map(|i| i["value"].as_str().unwrap().to_string())
}

async fn found_by(app: &TestApp, term: &str) -> i64 {
    let q = "query($s: String!) { contacts(search: $s) { totalCount } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "s": term })).await;
    res["data"]["contacts"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{res}"))
}

async fn audit_kinds(app: &TestApp, contact: &Value) -> Vec<(String, Value, Value)> {
    let q = "query($c: ID!) { auditEvents(contactId: $c, first: 50) { edges { node { kind before after } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "c": contact["id"] })).await;
    let edges = res["data"]["auditEvents"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges
        .into_iter()
        .map(|e| {
            (e["node"]["kind"].as_str().unwrap().to_string(), e["node"]["before"].clone(), e["node"]["after"].clone())
        })
        .collect()
}

#[tokio::test]
async fn a_sender_without_a_phone_is_one_contact_whose_username_changes_with_history() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    deliver(&app, hidden(USER, "@RealSheenaNelson", "wamid.h1", 1_764_000_000)).await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1, "{list}");
    let c = list["edges"][0]["node"].clone();
    assert!(c["phone"].is_null() && c["waId"].is_null(), "{c}");
    assert_eq!(identity(&c, "WA_USER_ID").as_deref(), Some(USER));
    assert_eq!(identity(&c, "WA_PARENT_USER_ID").as_deref(), Some(PARENT));
    assert_eq!(identity(&c, "USERNAME").as_deref(), Some("realsheenanelson"), "compared as WhatsApp does");
    let with_phone = "query($p: Boolean) { contacts(filter: { hasPhone: $p }) { totalCount } }";
    for (has, expected) in [(false, 1), (true, 0)] {
        let res = app.gql(Some(&app.owner_token), with_phone, json!({ "p": has })).await;
        assert_eq!(res["data"]["contacts"]["totalCount"], expected, "hasPhone {has}: {res}");
    }

    // The same person with a new username: still one contact, the username replaced, the change audited.
    deliver(&app, hidden(USER, "@sheena.n", "wamid.h2", 1_764_000_100)).await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = list["edges"][0]["node"].clone();
    assert_eq!(identity(&c, "USERNAME").as_deref(), Some("sheena.n"));
    assert_eq!(c["conversations"][0]["messages"]["totalCount"], 2);
    assert_eq!((found_by(&app, "@sheena.n").await, found_by(&app, "realsheenanelson").await), (1, 0));
    assert_eq!(found_by(&app, PARENT).await, 1, "found by the parent user id too");
    let trail = audit_kinds(&app, &c).await;
    let created = trail.iter().find(|(k, ..)| k == "contact.created").unwrap();
    assert_eq!(created.2["source"], "WHATSAPP", "enums are spelled as the schema spells them");
    assert!(
        trail.iter().any(|(k, b, a)| k == "contact.username_changed"
            && b["username"] == "realsheenanelson"
            && a["username"] == "sheena.n"),
        "{trail:?}"
    );

    // Later the number comes along: the contact gets it, no second contact.
    deliver(
        &app,
        json!({
            "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234", "user_id": USER }],
            "messages": [{ "from": "16505551234", "from_user_id": USER, "id": "wamid.h3", "timestamp": "1764000200",
                           "type": "text", "text": { "body": "Call me" } }]
        }),
    )
    .await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = &list["edges"][0]["node"];
    assert_eq!((c["phone"].as_str(), c["waId"].as_str()), (Some("+16505551234"), Some("16505551234")));
}

#[tokio::test]
async fn a_changed_user_id_moves_to_the_same_contact() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    deliver(&app, hidden(USER, "sheena", "wamid.c1", 1_764_000_000)).await;
    let new_user = "US.99999999999999999999";
    // Meta's system message: no contacts array, the previous and new user ids in `system`.
    deliver(
        &app,
        json!({ "messages": [{ "from_user_id": USER, "id": "wamid.c2", "timestamp": "1764000100", "type": "system",
            "system": { "body": format!("User Sheena Nelson changed from {USER} to {new_user}"), "user_id": new_user,
                        "previous_user_id": USER, "type": "user_changed_user_id" } }] }),
    )
    .await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = list["edges"][0]["node"].clone();
    assert_eq!(identity(&c, "WA_USER_ID").as_deref(), Some(new_user));
    assert_eq!((found_by(&app, new_user).await, found_by(&app, USER).await), (1, 0));
    let trail = audit_kinds(&app, &c).await;
    assert!(
        trail
            .iter()
            .any(|(k, b, a)| k == "contact.user_id_changed" && b["waUserId"] == USER && a["waUserId"] == new_user),
        "{trail:?}"
    );
    deliver(&app, hidden(new_user, "sheena", "wamid.c3", 1_764_000_200)).await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1, "a message from the new user id joins the same contact");
    assert_eq!(list["edges"][0]["node"]["conversations"][0]["messages"]["totalCount"], 2);
}

/// A message sent to a contact known only by its user id, then its statuses: found by message id whether the
/// phone comes with them or not, and the number they carry fills the contact.
#[tokio::test]
async fn statuses_with_a_recipient_user_id_find_their_message_and_bring_the_number() {
    let app = TestApp::new().await;
    let channel = app.whatsapp_channel(NUMBER_ID, SECRET).await;
    deliver(&app, hidden(USER, "pablo", "wamid.s0", 1_764_000_000)).await;
    let id = contacts(&app).await["edges"][0]["node"]["id"].clone();
    let out = "mutation($i: RecordOutboundMessageInput!) { recordOutboundMessage(input: $i) { contact { id } } }";
    let input = json!({ "contactId": id, "channelId": channel, "externalId": "wamid.out", "body": "Yes, in blue" });
    let res = app.gql(Some(&app.owner_token), out, json!({ "i": input })).await;
    assert!(res["errors"].is_null(), "{res}");
    let status = |status: &str, ts: i64, with_phone: bool| {
        let mut s =
            json!({ "id": "wamid.out", "status": status, "timestamp": ts.to_string(), "recipient_user_id": USER });
        let mut profile = json!({ "profile": { "name": "Pablo M.", "username": "@pablo" }, "user_id": USER });
        if with_phone {
            s["recipient_id"] = json!("16505551234");
            profile["wa_id"] = json!("16505551234");
        }
        json!({ "contacts": [profile], "statuses": [s] })
    };
    deliver(&app, status("delivered", 1_764_000_100, false)).await;
    let c = contacts(&app).await["edges"][0]["node"].clone();
    let sent = |c: &Value| {
        let edges = c["conversations"][0]["messages"]["edges"].as_array().unwrap().clone();
        edges.into_iter().find(|e| e["node"]["externalId"] == "wamid.out").unwrap()["node"]["status"].clone()
    };
    assert_eq!(sent(&c), "DELIVERED", "found by its id without a phone");
    assert!(c["phone"].is_null());
    deliver(&app, status("read", 1_764_000_200, true)).await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1);
    let c = &list["edges"][0]["node"];
    assert_eq!(sent(c), "READ");
    assert_eq!((c["phone"].as_str(), c["waId"].as_str()), (Some("+16505551234"), Some("16505551234")));
}

/// The answer to a contact-info request shares the sender's own number.
#[tokio::test]
async fn a_contact_request_reply_attaches_the_shared_phone_to_the_sender() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    deliver(&app, hidden(USER, "sheena", "wamid.r1", 1_764_000_000)).await;
    deliver(
        &app,
        json!({
            "contacts": [{ "profile": { "name": "Sheena Nelson", "username": "sheena" }, "user_id": USER }],
            "messages": [{ "id": "wamid.r2", "timestamp": "1764000100", "type": "contacts", "from_user_id": USER,
                "contacts": [{ "origin": "contact_request",
                    "phones": [{ "phone": "+1 650-555-4321", "wa_id": "16505554321", "type": "CELL" }] }] }]
        }),
    )
    .await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 1, "{list}");
    let c = &list["edges"][0]["node"];
    assert_eq!((c["phone"].as_str(), c["waId"].as_str()), (Some("+16505554321"), Some("16505554321")));
    assert_eq!(c["conversations"][0]["messages"]["totalCount"], 2, "the reply is a message too");
}

/// `user_preferences`: stopping and resuming marketing messages is the channel's consent, in time order.
#[tokio::test]
async fn marketing_preferences_are_the_channels_consent_in_time_order() {
    let app = TestApp::new().await;
    let channel = app.whatsapp_channel(NUMBER_ID, SECRET).await;
    deliver(&app, hidden(USER, "sheena", "wamid.p1", 1_764_000_000)).await;
    let preference = |value: &str, ts: i64| {
        let p = json!({ "user_id": USER, "detail": format!("User requested to {value} marketing messages"),
                        "category": "marketing_messages", "value": value, "timestamp": ts });
        let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "102290129340398", "changes": [{
            "field": "user_preferences",
            "value": { "messaging_product": "whatsapp",
                       "metadata": { "display_phone_number": "15550783881", "phone_number_id": NUMBER_ID },
                       "contacts": [{ "profile": { "name": "Sheena Nelson" }, "user_id": USER }],
                       "user_preferences": [p] } }] }] });
        body.to_string()
    };
    let consent = || async {
        let c = contacts(&app).await["edges"][0]["node"]["id"].clone();
        let q = "query($c: ID!) { contact(id: $c) { consents { channelId status method } } }";
        app.gql(Some(&app.owner_token), q, json!({ "c": c })).await["data"]["contact"]["consents"].clone()
    };
    for (value, ts, expected) in [
        ("stop", 1_764_000_100, "OPTED_OUT"),
        ("resume", 1_764_000_050, "OPTED_OUT"),
        ("resume", 1_764_000_200, "OPTED_IN"),
    ] {
        assert_eq!(app.webhook(&preference(value, ts), Some(SECRET)).await.0, 200);
        let consents = consent().await;
        assert_eq!(consents[0]["status"], expected, "{value} at {ts}: {consents}");
        assert_eq!(consents[0]["channelId"], channel);
    }
    assert!(consent().await[0]["method"].as_str().unwrap().contains("resume marketing messages"));
}

/// A malformed key (user id, number) refuses its message whole; a malformed username is left out; the rest
/// of the delivery is applied.
#[tokio::test]
async fn malformed_identities_refuse_their_message_and_spare_the_rest() {
    let app = TestApp::new().await;
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    let message = |extra: Value, wamid: &str| {
        let mut m = json!({ "id": wamid, "timestamp": "1764000000", "type": "text", "text": { "body": "hi" } });
        m.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        m
    };
    let value = json!({
        "contacts": [{ "profile": { "name": "Bad\u{7}name", "username": "bad\u{7}user" }, "user_id": "US.777" }],
        "messages": [
            message(json!({ "from_user_id": format!("US.{}", "1".repeat(300)) }), "wamid.m1"),
            message(json!({ "from": "1".repeat(40) }), "wamid.m2"),
            message(json!({ "from_user_id": "US.777" }), "wamid.m3"),
            message(json!({ "from": "16505551234", "from_user_id": USER }), "wamid.m4"),
        ]
    });
    deliver(&app, value).await;
    let list = contacts(&app).await;
    assert_eq!(list["totalCount"], 2, "the messages with a malformed key are refused: {list}");
    let edges = list["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["node"]["phone"] == "+16505551234"));
    let kept = edges.iter().find(|e| identity(&e["node"], "WA_USER_ID").as_deref() == Some("US.777")).unwrap();
    assert_eq!(identity(&kept["node"], "USERNAME"), None, "a malformed username is left out, the message kept");
    assert_eq!(kept["node"]["conversations"][0]["messages"]["totalCount"], 1);
}

/// The same person by four paths, in two orders: a webhook with only the user id, a webhook with the number in
/// its other mobile form, a manual create and an import row. One contact with every identity, either way.
#[tokio::test]
async fn four_paths_in_either_order_end_as_one_contact_with_every_identity() {
    let user = "BR.40028922000000000001";
    let only_user = json!({
        "contacts": [{ "profile": { "name": "Bruna" }, "user_id": user }],
        "messages": [{ "from_user_id": user, "id": "wamid.f1", "timestamp": "1764000000", "type": "text", "text": { "body": "oi" } }]
    });
    let with_number = json!({
        "contacts": [{ "profile": { "name": "Bruna" }, "wa_id": "551187654321", "user_id": user }],
        "messages": [{ "from": "551187654321", "from_user_id": user, "id": "wamid.f2", "timestamp": "1764000100",
                       "type": "text", "text": { "body": "meu número" } }]
    });
    let row = crate::imports::xlsx(&[vec!["name", "phone"], vec!["Bruna S.", "+55 11 98765-4321"]]);
    for webhooks_first in [true, false] {
        let app = TestApp::new().await;
        app.whatsapp_channel(NUMBER_ID, SECRET).await;
        let create = "mutation { createContact(input: { name: \"Bruna Silva\", phone: \"+55 11 8765 4321\" }) { id } }";
        if webhooks_first {
            deliver(&app, only_user.clone()).await;
            deliver(&app, with_number.clone()).await;
            let res = app.gql(Some(&app.owner_token), create, json!({})).await;
            assert_eq!(crate::harness::code(&res), "CONFLICT", "{res}");
        } else {
            let res = app.gql(Some(&app.owner_token), create, json!({})).await;
            assert!(res["errors"].is_null(), "{res}");
            deliver(&app, with_number.clone()).await;
            deliver(&app, only_user.clone()).await;
        }
        let job = crate::imports::import(&app, "row.xlsx", &row, json!({})).await;
        assert_eq!((job["created"].as_i64(), job["skipped"].as_i64()), (Some(0), Some(1)), "{job}");
        let list = contacts(&app).await;
        assert_eq!(list["totalCount"], 1, "webhooks first: {webhooks_first}: {list}");
        let c = &list["edges"][0]["node"];
        assert_eq!((c["phone"].as_str(), c["waId"].as_str()), (Some("+5511987654321"), Some("551187654321")));
        assert_eq!(identity(c, "WA_USER_ID").as_deref(), Some(user));
        assert_eq!(c["conversations"][0]["messages"]["totalCount"], 2);
    }
}
