//! The organization, its plan and its funnel as a new tenant gets them.

use serde_json::json;

use crate::harness::{TestApp, code};

#[tokio::test]
async fn a_new_organization_has_the_default_funnel_and_its_plan_cap() {
    let app = TestApp::new().await;
    let res = app
        .gql(Some(&app.owner_token),
             "{ organization { plan contactLimit contactCount defaultCountry } pipelineStages { name color kind position } }",
             json!({}))
        .await;
    let org = &res["data"]["organization"];
    assert_eq!(org["plan"], "GROWTH");
    assert_eq!(org["contactLimit"], 25_000);
    assert_eq!(org["contactCount"], 0);
    assert_eq!(org["defaultCountry"], "CR");
    let names: Vec<&str> =
        res["data"]["pipelineStages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["New", "Qualified", "Visit scheduled", "Closed - Won", "Closed - Lost"]);
    let kinds: Vec<&str> =
        res["data"]["pipelineStages"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["OPEN", "OPEN", "OPEN", "WON", "LOST"]);
}

#[tokio::test]
async fn only_owners_change_the_plan_and_admins_the_name() {
    let app = TestApp::new().await;
    let (_, admin) = app.user("ADMIN", "admin@acme.test").await;
    let plan = "mutation { updateOrganization(input: { plan: SCALE }) { plan contactLimit } }";
    assert_eq!(code(&app.gql(Some(&admin), plan, json!({})).await), "FORBIDDEN");
    let res = app.gql(Some(&app.owner_token), plan, json!({})).await;
    assert_eq!(res["data"]["updateOrganization"]["plan"], "SCALE");
    assert!(res["data"]["updateOrganization"]["contactLimit"].is_null());

    let rename = "mutation { updateOrganization(input: { name: \"Acme Homes\", defaultCountry: \"mx\" }) { name defaultCountry } }";
    let res = app.gql(Some(&admin), rename, json!({})).await;
    assert_eq!(res["data"]["updateOrganization"]["name"], "Acme Homes");
    assert_eq!(res["data"]["updateOrganization"]["defaultCountry"], "MX");

    for country in ["Costa Rica", "XX"] {
        let bad = "mutation($c: String) { updateOrganization(input: { defaultCountry: $c }) { name } }";
        let res = app.gql(Some(&admin), bad, json!({ "c": country })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{country}: {res}");
        assert_eq!(res["errors"][0]["extensions"]["field"], "defaultCountry");
    }
}

#[tokio::test]
async fn each_organization_sees_only_itself() {
    let app = TestApp::new().await;
    let (other_id, other_owner) = app.other_organization().await;
    let res = app.gql(Some(&other_owner), "{ organization { id name plan } }", json!({})).await;
    assert_eq!(res["data"]["organization"]["id"], other_id.to_string());
    assert_eq!(res["data"]["organization"]["name"], "Other Homes");
    // A token naming a user together with an organization that is not theirs is refused.
    let forged = app.token_for(app.owner_id, other_id);
    let (status, _) = app.gql_status(Some(&forged), "{ organization { name } }", json!({})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn agents_count_only_the_contacts_they_can_see() {
    let app = TestApp::new().await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    app.contact(&app.owner_token, json!({ "name": "Mine", "phone": "+50688000131", "assigneeId": a_id })).await;
    app.contact(&app.owner_token, json!({ "name": "Theirs", "phone": "+50688000132", "assigneeId": b_id })).await;
    app.contact(&app.owner_token, json!({ "name": "Open", "phone": "+50688000133" })).await;
    let q = "{ organization { contactCount } }";
    assert_eq!(app.gql(Some(&app.owner_token), q, json!({})).await["data"]["organization"]["contactCount"], 3);
    assert_eq!(app.gql(Some(&agent_a), q, json!({})).await["data"]["organization"]["contactCount"], 2);
}
