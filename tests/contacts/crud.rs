//! Creating, changing and deleting a contact, and what bad input answers.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const UPDATE: &str = "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { id name phone email nameEditedManually status { name } assignee { id } tags { name } identifiers { kind value } } }";

async fn count(app: &TestApp) -> i64 {
    let res = app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await;
    res["data"]["contacts"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{res}"))
}

#[tokio::test]
async fn a_new_contact_gets_an_e164_phone_the_first_stage_and_its_phone_identity() {
    let app = TestApp::new().await;
    let c = app
        .contact(&app.owner_token, json!({ "name": "  María López ", "phone": "8888 1234", "email": "Maria@Example.com", "tags": ["VIP", "vip", "Buyer"] }))
        .await;
    assert_eq!(c["name"], "María López");
    assert_eq!(c["phone"], "+50688881234", "national numbers take the organization's country (CR)");
    assert_eq!(c["email"], "maria@example.com");
    assert_eq!(c["source"], "MANUAL");
    assert_eq!(c["status"]["name"], "New");
    assert_eq!(c["tags"], json!([{ "name": "Buyer" }, { "name": "VIP" }]));
    assert_eq!(c["identifiers"], json!([{ "kind": "PHONE", "value": "+50688881234" }]));
    let audit = app
        .gql(
            Some(&app.owner_token),
            "query($id: ID!) { auditEvents(contactId: $id) { totalCount edges { node { kind actor { email } } } } }",
            json!({ "id": c["id"] }),
        )
        .await;
    assert_eq!(audit["data"]["auditEvents"]["edges"][0]["node"]["kind"], "contact.created");
    assert_eq!(audit["data"]["auditEvents"]["edges"][0]["node"]["actor"]["email"], "owner@acme.test");
}

#[tokio::test]
async fn one_contact_per_phone_whatever_its_format() {
    let app = TestApp::new().await;
    let first = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+506 8888-1234" })).await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    // Assign the first one to the owner so the agent cannot see it.
    app.gql(Some(&app.owner_token), UPDATE, json!({ "id": first["id"], "input": { "assigneeId": app.owner_id } }))
        .await;

    let res = app
        .gql(
            Some(&app.owner_token),
            crate::harness::CREATE_CONTACT,
            json!({ "input": { "name": "Ana 2", "phone": "88881234" } }),
        )
        .await;
    assert_eq!(code(&res), "CONFLICT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "phone");
    assert_eq!(res["errors"][0]["extensions"]["existingId"], first["id"], "the owner may see which contact has it");

    let res = app
        .gql(
            Some(&agent),
            crate::harness::CREATE_CONTACT,
            json!({ "input": { "name": "Ana 3", "phone": "(506) 8888 1234" } }),
        )
        .await;
    assert_eq!(code(&res), "CONFLICT");
    assert!(res["errors"][0]["extensions"]["existingId"].is_null(), "an agent who cannot see it is not told: {res}");
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn bad_input_answers_a_coded_error_naming_the_field_and_writes_nothing() {
    let app = TestApp::new().await;
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }",
        json!({}),
    )
    .await;
    app.gql(Some(&app.owner_token), "mutation { createPropertyDefinition(input: { key: \"kind\", label: \"Kind\", type: LIST, options: [\"House\", \"Flat\"] }) { id } }", json!({})).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "name": "" }), "name"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "x".repeat(10_000) }), "name"),
        (json!({ "name": "A", "phone": "12" }), "phone"),
        (json!({ "name": "A", "phone": "call me maybe" }), "phone"),
        (json!({ "name": "A", "email": "ana@" }), "email"),
        (json!({ "name": "A", "statusId": unknown }), "statusId"),
        (json!({ "name": "A", "statusId": "not-an-id" }), "statusId"),
        (json!({ "name": "A", "sourceListingId": unknown }), "sourceListingId"),
        (json!({ "name": "A", "assigneeId": unknown }), "assigneeId"),
        (json!({ "name": "A", "tags": ["x".repeat(51)] }), "tags"),
        (json!({ "name": "A", "properties": [{ "key": "nope", "value": 1 }] }), "key"),
        (json!({ "name": "A", "properties": [{ "key": "budget", "value": "lots" }] }), "properties.budget"),
        (json!({ "name": "A", "properties": [{ "key": "kind", "value": "Castle" }] }), "properties.kind"),
    ];
    for (input, field) in cases {
        let res = app.gql(Some(&app.owner_token), crate::harness::CREATE_CONTACT, json!({ "input": input })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{input}: {res}");
        assert_eq!(res["errors"][0]["extensions"]["field"], field, "{res}");
    }
    assert_eq!(count(&app).await, 0);
    let tags = app.gql(Some(&app.owner_token), "{ tags { name } }", json!({})).await;
    assert_eq!(tags["data"]["tags"], json!([]), "no tag was left behind by a refused contact");
}

#[tokio::test]
async fn editing_a_name_marks_it_manual_and_a_stage_change_is_audited() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688881111" })).await;
    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id name } }", json!({})).await;
    let qualified = stages["data"]["pipelineStages"][1]["id"].clone();

    let res = app
        .gql(
            Some(&app.owner_token),
            UPDATE,
            json!({ "id": c["id"], "input": { "name": "Ana Pérez", "statusId": qualified, "phone": "+50688882222" } }),
        )
        .await;
    let u = &res["data"]["updateContact"];
    assert_eq!(u["name"], "Ana Pérez", "{res}");
    assert_eq!(u["nameEditedManually"], true);
    assert_eq!(u["status"]["name"], "Qualified");
    assert_eq!(u["identifiers"], json!([{ "kind": "PHONE", "value": "+50688882222" }]));

    let q = "query($id: ID!) { auditEvents(contactId: $id) { totalCount edges { node { kind before after actor { email } } } } }";
    let audit = app.gql(Some(&app.owner_token), q, json!({ "id": c["id"] })).await;
    let events = audit["data"]["auditEvents"]["edges"].as_array().unwrap();
    let stage = events.iter().find(|e| e["node"]["kind"] == "contact.stage_changed").expect("stage event");
    assert_eq!(stage["node"]["before"]["name"], "New");
    assert_eq!(stage["node"]["after"]["name"], "Qualified");
    assert_eq!(stage["node"]["actor"]["email"], "owner@acme.test");

    // The old number is free again; the new one is taken.
    app.contact(&app.owner_token, json!({ "name": "Other", "phone": "+50688881111" })).await;
    let res = app
        .gql(
            Some(&app.owner_token),
            crate::harness::CREATE_CONTACT,
            json!({ "input": { "name": "Dup", "phone": "+50688882222" } }),
        )
        .await;
    assert_eq!(code(&res), "CONFLICT");
}

#[tokio::test]
async fn clearing_fields_with_null_and_moving_to_an_archived_stage() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688881111", "email": "a@b.co" })).await;
    let res = app
        .gql(Some(&app.owner_token), UPDATE, json!({ "id": c["id"], "input": { "phone": null, "email": null } }))
        .await;
    assert!(res["data"]["updateContact"]["phone"].is_null(), "{res}");
    assert!(res["data"]["updateContact"]["email"].is_null());
    assert_eq!(res["data"]["updateContact"]["identifiers"], json!([]));

    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id } }", json!({})).await;
    let lost = stages["data"]["pipelineStages"][4]["id"].clone();
    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!) { updatePipelineStage(id: $id, input: { archived: true }) { id } }",
        json!({ "id": lost }),
    )
    .await;
    let res = app.gql(Some(&app.owner_token), UPDATE, json!({ "id": c["id"], "input": { "statusId": lost } })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "statusId");
}

#[tokio::test]
async fn deleting_a_contact_removes_it_and_its_rows_and_frees_its_phone() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688881111", "tags": ["VIP"] })).await;
    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!) { addNote(contactId: $id, body: \"Call back\") { id } }",
        json!({ "id": c["id"] }),
    )
    .await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let del = "mutation($id: ID!) { deleteContact(id: $id) { id } }";
    assert_eq!(code(&app.gql(Some(&agent), del, json!({ "id": c["id"] })).await), "FORBIDDEN");

    let res = app.gql(Some(&app.owner_token), del, json!({ "id": c["id"] })).await;
    assert_eq!(res["data"]["deleteContact"]["id"], c["id"], "{res}");
    let gone =
        app.gql(Some(&app.owner_token), "query($id: ID!) { contact(id: $id) { id } }", json!({ "id": c["id"] })).await;
    assert!(gone["data"]["contact"].is_null());
    assert_eq!(code(&app.gql(Some(&app.owner_token), del, json!({ "id": c["id"] })).await), "NOT_FOUND");
    app.contact(&app.owner_token, json!({ "name": "Ana again", "phone": "+50688881111" })).await;

    let org = app
        .gql(Some(&app.owner_token), "{ auditEvents { edges { node { kind contactId before after } } } }", json!({}))
        .await;
    let tombstone = &org["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["kind"] == "contact.deleted")
        .unwrap()["node"];
    assert!(tombstone["before"].is_null() && tombstone["after"].is_null(), "the tombstone holds no personal data");
    let id: uuid::Uuid = c["id"].as_str().unwrap().parse().unwrap();
    macro_rules! rows_of {
        ($entity:ident) => {
            entity::$entity::Entity::find()
                .filter(entity::$entity::Column::ContactId.eq(id))
                .count(&app.db)
                .await
                .unwrap()
        };
    }
    assert_eq!(rows_of!(contact_tag) + rows_of!(note) + rows_of!(contact_identifier), 0, "child rows remain");
}

#[tokio::test]
async fn the_plan_caps_contacts_with_limit_exceeded() {
    let app = TestApp::new().await;
    app.gql(Some(&app.owner_token), "mutation { updateOrganization(input: { plan: FREE }) { plan } }", json!({})).await;
    for i in 0..100 {
        app.contact(&app.owner_token, json!({ "name": format!("Lead {i}") })).await;
    }
    let res = app
        .gql(Some(&app.owner_token), crate::harness::CREATE_CONTACT, json!({ "input": { "name": "One too many" } }))
        .await;
    assert_eq!(code(&res), "LIMIT_EXCEEDED");
    let org = app.gql(Some(&app.owner_token), "{ organization { contactLimit contactCount } }", json!({})).await;
    assert_eq!(org["data"]["organization"], json!({ "contactLimit": 100, "contactCount": 100 }));
}
