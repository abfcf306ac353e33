//! Bulk actions: selections by id or filter, only within sight, small ones at once and large ones as jobs.

use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const UPDATE: &str = "mutation($s: ContactSelection!, $p: ContactPatchInput!) { bulkUpdateContacts(selection: $s, patch: $p) { matched updated notFound job { id state total } } }";
const DELETE: &str = "mutation($s: ContactSelection!) { bulkDeleteContacts(selection: $s) { matched updated deleted notFound job { id } } }";

async fn tagged(app: &TestApp, tag: &str) -> i64 {
    let tags = app.gql(Some(&app.owner_token), "{ tags { id name } }", json!({})).await;
    let Some(id) = tags["data"]["tags"].as_array().unwrap().iter().find(|t| t["name"] == tag).map(|t| t["id"].clone())
    else {
        return 0;
    };
    let res = app
        .gql(
            Some(&app.owner_token),
            "query($t: ID!) { contacts(filter: { tagIds: [$t] }) { totalCount } }",
            json!({ "t": id }),
        )
        .await;
    res["data"]["contacts"]["totalCount"].as_i64().unwrap()
}

async fn id(app: &TestApp, token: &str, input: Value) -> String {
    app.contact(token, input).await["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_selection_by_ids_counts_hidden_and_missing_ids_as_not_found() {
    let app = TestApp::new().await;
    let ids = [
        id(&app, &app.owner_token, json!({ "name": "A" })).await,
        id(&app, &app.owner_token, json!({ "name": "B" })).await,
    ];
    let (_, other) = app.other_organization().await;
    let foreign = id(&app, &other, json!({ "name": "Theirs" })).await;
    let stages = app.gql(Some(&app.owner_token), "{ pipelineStages { id } }", json!({})).await;
    let qualified = stages["data"]["pipelineStages"][1]["id"].clone();
    let selection = json!({ "ids": [ids[0], ids[1], foreign, uuid::Uuid::now_v7()] });
    let res = app
        .gql(
            Some(&app.owner_token),
            UPDATE,
            json!({ "s": selection, "p": { "addTags": ["Hot"], "statusId": qualified } }),
        )
        .await;
    assert_eq!(
        res["data"]["bulkUpdateContacts"],
        json!({ "matched": 2, "updated": 2, "notFound": 2, "job": null }),
        "{res}"
    );
    assert_eq!(tagged(&app, "Hot").await, 2);
    let theirs = app
        .gql(
            Some(&other),
            "query($id: ID!) { contact(id: $id) { tags { name } status { name } } }",
            json!({ "id": foreign }),
        )
        .await;
    assert_eq!(
        theirs["data"]["contact"],
        json!({ "tags": [], "status": { "name": "New" } }),
        "another organization's contact is untouched"
    );
    let audit = app
        .gql(Some(&app.owner_token), "query($id: ID!) { auditEvents(contactId: $id, filter: { kinds: [\"contact.stage_changed\"] }) { totalCount edges { node { actor { email } } } } }", json!({ "id": ids[0] }))
        .await;
    assert_eq!(audit["data"]["auditEvents"]["totalCount"], 1, "{audit}");
    assert_eq!(audit["data"]["auditEvents"]["edges"][0]["node"]["actor"]["email"], "owner@acme.test");
}

#[tokio::test]
async fn agents_change_only_what_they_see_and_viewers_nothing() {
    let app = TestApp::new().await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "v@acme.test").await;
    let mine = id(&app, &app.owner_token, json!({ "name": "Mine", "assigneeId": a_id })).await;
    let theirs = id(&app, &app.owner_token, json!({ "name": "Theirs", "assigneeId": b_id })).await;
    let free = id(&app, &app.owner_token, json!({ "name": "Free" })).await;

    let all = json!({ "filter": {} });
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "s": all, "p": { "addTags": ["Seen"] } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["matched"], 2, "{res}");
    assert_eq!(tagged(&app, "Seen").await, 2);
    let by_id = json!({ "ids": [mine, theirs, free] });
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "s": by_id, "p": { "removeTags": ["Seen"] } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["notFound"], 1);

    // Taking: only the unassigned one moves to A. Handing to B: refused.
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "s": all, "p": { "assigneeId": a_id } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["updated"], 1, "{res}");
    assert_eq!(
        code(&app.gql(Some(&agent_a), UPDATE, json!({ "s": all, "p": { "assigneeId": b_id } })).await),
        "FORBIDDEN"
    );
    let q = "query($id: ID!) { contact(id: $id) { assignee { email } } }";
    assert_eq!(
        app.gql(Some(&app.owner_token), q, json!({ "id": free })).await["data"]["contact"]["assignee"]["email"],
        "a@acme.test"
    );
    assert_eq!(
        app.gql(Some(&app.owner_token), q, json!({ "id": theirs })).await["data"]["contact"]["assignee"]["email"],
        "b@acme.test"
    );

    for (query, vars) in [(UPDATE, json!({ "s": all, "p": { "addTags": ["V"] } })), (DELETE, json!({ "s": all }))] {
        assert_eq!(code(&app.gql(Some(&viewer), query, vars).await), "FORBIDDEN");
    }
    assert_eq!(code(&app.gql(Some(&agent_a), DELETE, json!({ "s": all })).await), "FORBIDDEN");
    assert_eq!(tagged(&app, "V").await, 0);
}

#[tokio::test]
async fn empty_selections_and_empty_patches_are_bad_input() {
    let app = TestApp::new().await;
    let c = id(&app, &app.owner_token, json!({ "name": "A" })).await;
    let cases = [
        json!({ "s": { "ids": [] }, "p": { "addTags": ["x"] } }),
        json!({ "s": {}, "p": { "addTags": ["x"] } }),
        json!({ "s": { "ids": [c] }, "p": {} }),
        json!({ "s": { "ids": [c], "filter": {} }, "p": { "addTags": ["x"] } }),
        json!({ "s": { "ids": [c] }, "p": { "assigneeId": app.owner_id, "unassign": true } }),
        json!({ "s": { "ids": [c] }, "p": { "statusId": uuid::Uuid::now_v7() } }),
    ];
    for vars in cases {
        assert_eq!(code(&app.gql(Some(&app.owner_token), UPDATE, vars.clone()).await), "BAD_USER_INPUT", "{vars}");
    }
}

#[tokio::test]
async fn bulk_delete_removes_the_selected_contacts_and_leaves_tombstones() {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.contact(
            &app.owner_token,
            json!({ "name": format!("Cold {i}"), "tags": ["Cold"], "phone": format!("+5068888000{i}") }),
        )
        .await;
    }
    app.contact(&app.owner_token, json!({ "name": "Warm" })).await;
    let res = app.gql(Some(&app.owner_token), DELETE, json!({ "s": { "search": "cold" } })).await;
    assert_eq!(res["data"]["bulkDeleteContacts"]["deleted"], 3, "{res}");
    assert_eq!(res["data"]["bulkDeleteContacts"]["updated"], 3, "the older name gives the same figure");
    let left = app
        .gql(
            Some(&app.owner_token),
            "{ contacts { totalCount } auditEvents(filter: { kinds: [\"contact.deleted\"] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(left["data"]["contacts"]["totalCount"], 1);
    assert_eq!(left["data"]["auditEvents"]["totalCount"], 3);
    // The phones are free again.
    app.contact(&app.owner_token, json!({ "name": "Back", "phone": "+50688880000" })).await;
}

#[tokio::test]
async fn a_large_selection_runs_as_a_job_with_progress() {
    let app = TestApp::new().await;
    let mut csv = String::from("phone,name\n");
    for i in 0..5_001 {
        csv.push_str(&format!("+50688{i:06},Lead {i}\n"));
    }
    crate::imports::import(&app, "many.csv", csv.as_bytes(), json!({})).await;
    let res = app
        .gql(Some(&app.owner_token), UPDATE, json!({ "s": { "filter": {} }, "p": { "addTags": ["Campaign"] } }))
        .await;
    let r = &res["data"]["bulkUpdateContacts"];
    assert_eq!(
        (r["matched"].as_i64(), r["job"]["state"].as_str(), r["job"]["total"].as_i64()),
        (Some(5_001), Some("QUEUED"), Some(5_001)),
        "{res}"
    );
    app.run_jobs().await;
    let job = app
        .gql(
            Some(&app.owner_token),
            "query($id: ID!) { job(id: $id) { state processed updated } }",
            json!({ "id": r["job"]["id"] }),
        )
        .await;
    assert_eq!(job["data"]["job"], json!({ "state": "DONE", "processed": 5_001, "updated": 5_001 }));
    assert_eq!(tagged(&app, "Campaign").await, 5_001);
}

#[tokio::test]
async fn the_audit_trail_filters_by_actor_kind_and_period() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.user("ADMIN", "admin@acme.test").await;
    let c = id(&app, &app.owner_token, json!({ "name": "A" })).await;
    app.gql(Some(&admin), "mutation($id: ID!) { addTags(contactId: $id, names: [\"X\"]) { id } }", json!({ "id": c }))
        .await;
    let q = "query($f: AuditFilter) { auditEvents(filter: $f) { totalCount edges { node { kind } } } }";
    let by_admin = app.gql(Some(&app.owner_token), q, json!({ "f": { "actorId": admin_id } })).await;
    assert_eq!(by_admin["data"]["auditEvents"]["edges"], json!([{ "node": { "kind": "contact.tags_added" } }]));
    let future = app.gql(Some(&app.owner_token), q, json!({ "f": { "from": "2999-01-01T00:00:00Z" } })).await;
    assert_eq!(future["data"]["auditEvents"]["totalCount"], 0);
    let created = app
        .gql(Some(&app.owner_token), q, json!({ "f": { "kinds": ["contact.created"], "to": "2999-01-01T00:00:00Z" } }))
        .await;
    assert_eq!(created["data"]["auditEvents"]["totalCount"], 1);
}
