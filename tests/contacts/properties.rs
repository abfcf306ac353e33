//! Custom properties: definitions, typed values, `setContactProperty` for flows, hidden properties.

use serde_json::json;

use crate::harness::{TestApp, code};

const DEFINE: &str = "mutation($i: CreatePropertyDefinitionInput!) { createPropertyDefinition(input: $i) { id key label type options hidden position } }";
const SET: &str = "mutation($id: ID!, $key: String!, $value: JSON, $overwrite: Boolean) { setContactProperty(contactId: $id, key: $key, value: $value, overwrite: $overwrite) { properties(includeHidden: true) { definition { key } value } } }";

#[tokio::test]
async fn definitions_are_typed_keyed_once_and_admin_only() {
    let app = TestApp::new().await;
    let twice = json!({ "i": { "key": "kind", "label": "Kind of home", "type": "LIST", "options": ["House", "Flat", "house"] } });
    let res = app.gql(Some(&app.owner_token), DEFINE, twice).await;
    assert_eq!((code(&res), &res["errors"][0]["extensions"]["field"]), ("BAD_USER_INPUT", &json!("options")), "{res}");
    let res = app.gql(Some(&app.owner_token), DEFINE, json!({ "i": { "key": "Property_Type", "label": "Property type", "type": "LIST", "options": ["House", "Flat"] } })).await;
    let def = &res["data"]["createPropertyDefinition"];
    assert_eq!(def["key"], "property_type", "{res}");
    assert_eq!(def["options"], json!(["House", "Flat"]));
    // A label is one property's, whatever its case.
    let same_label = json!({ "i": { "key": "other", "label": "PROPERTY TYPE", "type": "TEXT" } });
    let res = app.gql(Some(&app.owner_token), DEFINE, same_label).await;
    assert_eq!((code(&res), &res["errors"][0]["extensions"]["field"]), ("CONFLICT", &json!("label")), "{res}");

    let dup = app
        .gql(
            Some(&app.owner_token),
            DEFINE,
            json!({ "i": { "key": "property_type", "label": "Again", "type": "TEXT" } }),
        )
        .await;
    assert_eq!(code(&dup), "CONFLICT");
    for bad in [
        json!({ "key": "1abc", "label": "x", "type": "TEXT" }),
        json!({ "key": "ok", "label": "x", "type": "LIST" }),
        json!({ "key": "ok2", "label": "x", "type": "TEXT", "options": ["a"] }),
    ] {
        assert_eq!(code(&app.gql(Some(&app.owner_token), DEFINE, json!({ "i": bad })).await), "BAD_USER_INPUT");
    }
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(
        code(&app.gql(Some(&agent), DEFINE, json!({ "i": { "key": "x", "label": "x", "type": "TEXT" } })).await),
        "FORBIDDEN"
    );
    let update = "mutation($id: ID!) { updatePropertyDefinition(id: $id, input: { label: \"Kind\", hidden: true }) { key label hidden } }";
    let res = app.gql(Some(&app.owner_token), update, json!({ "id": def["id"] })).await;
    assert_eq!(
        res["data"]["updatePropertyDefinition"],
        json!({ "key": "property_type", "label": "Kind", "hidden": true })
    );
}

#[tokio::test]
async fn set_contact_property_validates_by_type_and_respects_overwrite() {
    let app = TestApp::new().await;
    for (key, kind) in
        [("budget", "NUMBER"), ("visited", "BOOLEAN"), ("move_in", "DATE"), ("work_email", "EMAIL"), ("city", "TEXT")]
    {
        app.gql(Some(&app.owner_token), DEFINE, json!({ "i": { "key": key, "label": key, "type": kind } })).await;
    }
    let c = app.contact(&app.owner_token, json!({ "name": "Ana" })).await;
    let set = |key: &'static str, value: serde_json::Value, overwrite: bool| {
        let app = &app;
        let id = c["id"].clone();
        async move {
            app.gql(
                Some(&app.owner_token),
                SET,
                json!({ "id": id, "key": key, "value": value, "overwrite": overwrite }),
            )
            .await
        }
    };
    assert!(set("budget", json!(120000), true).await["errors"].is_null());
    let kept = set("budget", json!(1), false).await;
    assert_eq!(
        kept["data"]["setContactProperty"]["properties"],
        json!([{ "definition": { "key": "budget" }, "value": 120000 }]),
        "{kept}"
    );
    let replaced = set("budget", json!(2), true).await;
    assert_eq!(replaced["data"]["setContactProperty"]["properties"][0]["value"], 2);

    for (key, bad) in [
        ("budget", json!("two")),
        ("visited", json!("yes")),
        ("move_in", json!("2026-13-01")),
        ("work_email", json!("nope")),
        ("city", json!("")),
    ] {
        let res = set(key, bad.clone(), true).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{key}={bad}: {res}");
    }
    let unknown = set("nope", json!(1), true).await;
    assert_eq!(code(&unknown), "BAD_USER_INPUT");
    assert_eq!(unknown["errors"][0]["extensions"]["field"], "key");

    let cleared = set("budget", json!(null), true).await;
    assert_eq!(cleared["data"]["setContactProperty"]["properties"], json!([]));
}

#[tokio::test]
async fn hidden_properties_are_left_out_unless_asked_for() {
    let app = TestApp::new().await;
    app.gql(
        Some(&app.owner_token),
        DEFINE,
        json!({ "i": { "key": "score", "label": "Score", "type": "NUMBER", "hidden": true } }),
    )
    .await;
    app.gql(Some(&app.owner_token), DEFINE, json!({ "i": { "key": "city", "label": "City", "type": "TEXT" } })).await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana", "properties": [{ "key": "score", "value": 7 }, { "key": "city", "value": "Escazú" }] })).await;
    let q = "query($id: ID!) { contact(id: $id) { shown: properties { definition { key } value } all: properties(includeHidden: true) { definition { key } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "id": c["id"] })).await;
    assert_eq!(res["data"]["contact"]["shown"], json!([{ "definition": { "key": "city" }, "value": "Escazú" }]));
    assert_eq!(res["data"]["contact"]["all"].as_array().unwrap().len(), 2);
    let defs =
        app.gql(Some(&app.owner_token), "{ propertyDefinitions(includeHidden: false) { key } }", json!({})).await;
    assert_eq!(defs["data"]["propertyDefinitions"], json!([{ "key": "city" }]));
}
