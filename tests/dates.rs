//! Dates alone in filters, funnel periods and exports mean whole days in the organization's time zone.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const ON_DAY: &str = "query($d: DateTime) { contacts(filter: { createdFrom: $d, createdTo: $d }, orderBy: { field: NAME, direction: ASC }) { edges { node { name } } } }";

async fn created_on(app: &TestApp, token: &str, day: &str) -> Vec<String> {
    let res = app.gql(Some(token), ON_DAY, json!({ "d": day })).await;
    let edges = res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

async fn set_zone(app: &TestApp, zone: &str) -> Value {
    let q = "mutation($z: String) { updateOrganization(input: { timeZone: $z }) { timeZone } }";
    app.gql(Some(&app.owner_token), q, json!({ "z": zone })).await
}

#[tokio::test]
async fn a_date_alone_is_a_whole_day_in_the_organizations_time_zone() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (agent_id, agent) = app.user("AGENT", "agent@acme.test").await;
    let (other_id, _) = app.user("AGENT", "other@acme.test").await;
    let (_, viewer) = app.user_with("VIEWER", "viewer@acme.test", json!([])).await;
    // 23:30 on the 30th and 00:30 on the 1st in Costa Rica (UTC-6), both on the 1st in UTC. Written as the
    // server writes them (RFC 3339), which SQLite compares as text.
    for (name, at, assignee) in
        [("Late", "2026-12-01T05:30:00+00:00", Some(other_id)), ("Early", "2026-12-01T06:30:00+00:00", Some(agent_id))]
    {
        app.contact(t, json!({ "name": name, "phone": if name == "Late" { "+50688000501" } else { "+50688000502" }, "assigneeId": assignee })).await;
        app.execute(&format!("UPDATE contacts SET created_at = '{at}' WHERE name = '{name}'")).await;
    }
    let zone = app.gql(Some(t), "{ organization { timeZone } }", json!({})).await;
    assert_eq!(zone["data"]["organization"]["timeZone"], "America/Costa_Rica", "the country's default");
    assert_eq!(created_on(&app, t, "2026-12-01").await, ["Early"]);
    assert_eq!(created_on(&app, t, "2026-11-30").await, ["Late"]);
    // The same path keeps everyone's sight: the agent's filter finds their contact only, the viewer none.
    assert_eq!(created_on(&app, &agent, "2026-12-01").await, ["Early"]);
    assert!(created_on(&app, &agent, "2026-11-30").await.is_empty(), "Late is another agent's");
    assert!(created_on(&app, &viewer, "2026-12-01").await.is_empty());

    assert_eq!(set_zone(&app, "UTC").await["data"]["updateOrganization"]["timeZone"], "UTC");
    assert_eq!(created_on(&app, t, "2026-12-01").await, ["Early", "Late"]);
    let bad = set_zone(&app, "Mars/Olympus_Mons").await;
    assert_eq!((code(&bad), &bad["errors"][0]["extensions"]["field"]), ("BAD_USER_INPUT", &json!("timeZone")), "{bad}");
    assert_eq!(set_zone(&app, "").await["data"]["updateOrganization"]["timeZone"], "America/Costa_Rica");
    for token in [&agent, &viewer] {
        let q = "mutation { updateOrganization(input: { timeZone: \"UTC\" }) { timeZone } }";
        assert_eq!(code(&app.gql(Some(token), q, json!({})).await), "FORBIDDEN");
    }

    // Date-times still work, and a malformed date is refused.
    let exact = app.gql(Some(t), ON_DAY, json!({ "d": "2026-12-01T06:30:00Z" })).await;
    assert_eq!(exact["data"]["contacts"]["edges"][0]["node"]["name"], "Early", "{exact}");
    assert!(app.gql(Some(t), ON_DAY, json!({ "d": "2026-13-45" })).await["errors"].is_array());

    // Funnel periods take dates too.
    let funnel = "{ funnel(from: \"2026-12-01\", to: \"2026-12-01\") { stages { entered } } }";
    let res = app.gql(Some(t), funnel, json!({})).await;
    assert_eq!(res["data"]["funnel"]["stages"][0]["entered"], 1, "{res}");
}
