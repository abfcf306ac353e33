//! Verification and reservations per contact: who may set and read them, partner results deduplicated,
//! the contacts list filtered by verification, and bad input refused with nothing written.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const SET: &str = "mutation($c: ID!, $i: VerificationInput!) { setVerification(contactId: $c, input: $i) { status documentType issuingCountry verifiedAt } }";
const RESULT: &str =
    "mutation($i: VerificationResultInput!) { recordVerificationResult(input: $i) { status updatedAt } }";
const ADD: &str = "mutation($c: ID!, $i: ReservationInput!) { addReservation(contactId: $c, input: $i) { id unit amountMinor currency paymentStatus } }";
const READ: &str = "query($c: ID!) { contact(id: $c) { verification { status documentType } reservations { id paymentStatus paymentReference } } }";

fn reservation() -> Value {
    json!({ "unit": "Torre Sol 4B", "reservedAt": "2026-11-01T15:00:00Z", "amountMinor": 150000, "currency": "USD" })
}

async fn set(app: &TestApp, token: &str, c: &Value, status: &str) -> Value {
    let vars = json!({ "c": c["id"], "i": { "status": status, "documentType": "PASSPORT", "issuingCountry": "CR" } });
    app.gql(Some(token), SET, vars).await
}

/// How many contacts the owner's list shows with this verification status.
async fn listed(app: &TestApp, status: &str) -> usize {
    let q = "query($s: VerificationStatus) { contacts(first: 10, filter: { verificationStatus: $s }) { edges { node { name } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "s": status })).await;
    res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).len()
}

#[tokio::test]
async fn agents_verify_and_reserve_on_their_contacts_only_and_the_list_filters_by_verification() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "v@acme.test").await;
    let mine = app.contact(t, json!({ "name": "Mine", "phone": "+50688000071", "assigneeId": a_id })).await;
    let theirs = app.contact(t, json!({ "name": "Theirs", "phone": "+50688000072", "assigneeId": b_id })).await;
    app.contact(t, json!({ "name": "Nobody", "phone": "+50688000073" })).await;

    let res = set(&app, &agent_a, &mine, "APPROVED").await;
    assert_eq!(res["data"]["setVerification"]["status"], "APPROVED", "{res}");
    assert!(res["data"]["setVerification"]["verifiedAt"].is_string());
    assert_eq!(code(&set(&app, &agent_a, &theirs, "APPROVED").await), "NOT_FOUND", "another agent's contact is absent");
    assert_eq!(code(&set(&app, &viewer, &mine, "DECLINED").await), "FORBIDDEN");
    let bad = app
        .gql(Some(t), SET, json!({ "c": mine["id"], "i": { "status": "DECLINED", "issuingCountry": "Costa Rica" } }))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let read = app.gql(Some(t), READ, json!({ "c": mine["id"] })).await;
    assert_eq!(read["data"]["contact"]["verification"]["status"], "APPROVED", "bad input changed nothing");

    assert_eq!((listed(&app, "APPROVED").await, listed(&app, "NOT_STARTED").await), (1, 2));

    let added = app.gql(Some(&agent_a), ADD, json!({ "c": mine["id"], "i": reservation() })).await;
    assert_eq!(added["data"]["addReservation"]["paymentStatus"], "PENDING", "{added}");
    let id = added["data"]["addReservation"]["id"].clone();
    assert_eq!(
        code(&app.gql(Some(&agent_a), ADD, json!({ "c": theirs["id"], "i": reservation() })).await),
        "NOT_FOUND"
    );
    assert_eq!(code(&app.gql(Some(&viewer), ADD, json!({ "c": mine["id"], "i": reservation() })).await), "FORBIDDEN");
    let mut negative = reservation();
    negative["amountMinor"] = json!(-5);
    assert_eq!(code(&app.gql(Some(t), ADD, json!({ "c": mine["id"], "i": negative })).await), "BAD_USER_INPUT");
    for currency in ["usd", "XYZ", "US"] {
        let mut wrong = reservation();
        wrong["currency"] = json!(currency);
        let res = app.gql(Some(t), ADD, json!({ "c": mine["id"], "i": wrong })).await;
        assert_eq!(
            (code(&res), &res["errors"][0]["extensions"]["field"]),
            ("BAD_USER_INPUT", &json!("currency")),
            "{currency}: {res}"
        );
    }
    let pay = "mutation($id: ID!) { setReservationPayment(id: $id, paymentStatus: PAID, paymentReference: \"TRX-9\") { paymentStatus } }";
    assert_eq!(
        app.gql(Some(&agent_a), pay, json!({ "id": id })).await["data"]["setReservationPayment"]["paymentStatus"],
        "PAID"
    );
    let (_, other_agent) = app.user("AGENT", "c@acme.test").await;
    assert_eq!(code(&app.gql(Some(&other_agent), pay, json!({ "id": id })).await), "NOT_FOUND");
    let read = app.gql(Some(&agent_a), READ, json!({ "c": mine["id"] })).await;
    assert_eq!(
        read["data"]["contact"]["reservations"],
        json!([{ "id": id, "paymentStatus": "PAID", "paymentReference": "TRX-9" }])
    );
}

#[tokio::test]
async fn a_partner_reports_results_with_an_api_token_and_duplicates_change_nothing() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let c = app.contact(t, json!({ "name": "Ana", "phone": "+50688000081" })).await;
    let create = "mutation { createApiToken(name: \"Verifier\", role: ADMIN) { token } }";
    let token =
        app.gql(Some(t), create, json!({})).await["data"]["createApiToken"]["token"].as_str().unwrap().to_string();
    let input =
        json!({ "contactId": c["id"], "externalId": "ver-123", "status": "DECLINED", "documentType": "ID_CARD" });
    let first = app.gql(Some(&token), RESULT, json!({ "i": input.clone() })).await;
    assert_eq!(first["data"]["recordVerificationResult"]["status"], "DECLINED", "{first}");
    let again = app.gql(Some(&token), RESULT, json!({ "i": input })).await;
    assert_eq!(
        again["data"]["recordVerificationResult"]["updatedAt"],
        first["data"]["recordVerificationResult"]["updatedAt"]
    );
    let trail = app
        .gql(
            Some(t),
            "query($c: ID!) { auditEvents(contactId: $c, first: 20) { edges { node { kind } } } }",
            json!({ "c": c["id"] }),
        )
        .await;
    assert_eq!(trail.to_string().matches("contact.verification_changed").count(), 1, "the same result once: {trail}");

    let unknown = json!({ "contactId": uuid::Uuid::new_v4(), "externalId": "ver-124", "status": "APPROVED" });
    assert_eq!(code(&app.gql(Some(&token), RESULT, json!({ "i": unknown })).await), "NOT_FOUND");
}

#[tokio::test]
async fn consent_is_recorded_per_channel_and_filters_the_list() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let channel = app.whatsapp_channel("5550001", "secret").await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "v@acme.test").await;
    let yes = app.contact(t, json!({ "name": "Yes", "phone": "+50688000111", "assigneeId": a_id })).await;
    let no = app.contact(t, json!({ "name": "No", "phone": "+50688000112" })).await;
    app.contact(t, json!({ "name": "Unknown", "phone": "+50688000113" })).await;
    let set = "mutation($c: ID!, $ch: ID!, $s: ConsentStatus!) { setConsent(contactId: $c, channelId: $ch, status: $s, method: \"web form\") { status method } }";
    let res = app.gql(Some(&agent_a), set, json!({ "c": yes["id"], "ch": channel, "s": "OPTED_IN" })).await;
    assert_eq!(res["data"]["setConsent"]["status"], "OPTED_IN", "{res}");
    app.gql(Some(t), set, json!({ "c": no["id"], "ch": channel, "s": "OPTED_IN" })).await;
    app.gql(Some(t), set, json!({ "c": no["id"], "ch": channel, "s": "OPTED_OUT" })).await;

    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    assert_eq!(
        code(&app.gql(Some(&agent_b), set, json!({ "c": yes["id"], "ch": channel, "s": "OPTED_OUT" })).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(&app.gql(Some(&viewer), set, json!({ "c": no["id"], "ch": channel, "s": "OPTED_IN" })).await),
        "FORBIDDEN"
    );
    let unknown_channel = json!({ "c": no["id"], "ch": uuid::Uuid::new_v4(), "s": "OPTED_IN" });
    assert_eq!(code(&app.gql(Some(t), set, unknown_channel).await), "BAD_USER_INPUT");

    let q = "query($s: ConsentFilter) { contacts(first: 10, filter: { consent: $s }) { edges { node { name consents { status method } } } } }";
    let names = |res: Value| -> Vec<String> {
        res["data"]["contacts"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"))
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(app.gql(Some(t), q, json!({ "s": "OPTED_IN" })).await), vec!["Yes"]);
    assert_eq!(names(app.gql(Some(t), q, json!({ "s": "OPTED_OUT" })).await), vec!["No"]);
    assert_eq!(names(app.gql(Some(t), q, json!({ "s": "UNKNOWN" })).await), vec!["Unknown"]);
    let trail = app
        .gql(
            Some(t),
            "query($c: ID!) { auditEvents(contactId: $c, first: 20) { edges { node { kind } } } }",
            json!({ "c": no["id"] }),
        )
        .await;
    assert_eq!(trail.to_string().matches("contact.consent_changed").count(), 2);
}
