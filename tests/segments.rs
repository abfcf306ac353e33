//! Segments: saved selections, private or shared, read under each reader's visibility with their counts and
//! stages; what their filter names that no longer exists is reported; other organizations' are absent.

use serde_json::{Value, json};

use crate::harness::{TestApp, code, ids};

const CREATE: &str = "mutation($i: CreateSegmentInput!) { createSegment(input: $i) { id name visibility filter search
    orderBy { field direction } createdBy { email } } }";
const UPDATE: &str =
    "mutation($id: ID!, $i: UpdateSegmentInput!) { updateSegment(id: $id, input: $i) { id name visibility filter } }";
const DELETE: &str = "mutation($id: ID!) { deleteSegment(id: $id) { id } }";
const LIST: &str = "{ segments { id name visibility count { value exact } } }";
const ONE: &str = "query($id: ID!) { segment(id: $id) { id name count { value exact } problems { field message }
    stages { stage { name } count } contacts(first: 50) { totalCount edges { node { id name } } } } }";

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(Some(token), CREATE, json!({ "i": input })).await
}

async fn create_id(app: &TestApp, token: &str, input: Value) -> String {
    let res = create(app, token, input).await;
    res["data"]["createSegment"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string()
}

async fn tag_id(app: &TestApp, name: &str) -> String {
    let res = app.gql(Some(&app.owner_token), "{ tags { id name } }", json!({})).await;
    let tags = res["data"]["tags"].as_array().unwrap();
    tags.iter().find(|t| t["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
}

fn names(segments: &Value) -> Vec<String> {
    segments.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn private_segments_are_their_creators_and_shared_ones_the_admins_to_manage() {
    let app = TestApp::new().await;
    let (_, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    let mine = create_id(&app, &agent_a, json!({ "name": "My hot leads", "search": "ana" })).await;
    let res = create(&app, &agent_a, json!({ "name": "Team view", "visibility": "SHARED" })).await;
    assert_eq!(code(&res), "FORBIDDEN", "agents keep private segments only: {res}");
    let res = create(
        &app,
        &app.owner_token,
        json!({ "name": "  Hot   buyers ", "visibility": "SHARED",
        "filter": { "unassigned": true }, "orderBy": { "field": "NAME", "direction": "ASC" } }),
    )
    .await;
    let shared = &res["data"]["createSegment"];
    assert_eq!(shared["name"], "Hot buyers", "{res}");
    assert_eq!(shared["filter"]["unassigned"], true, "the filter as given: {res}");
    assert_eq!(shared["orderBy"], json!({ "field": "NAME", "direction": "ASC" }));
    assert_eq!(shared["createdBy"]["email"], "owner@acme.test");
    let shared = shared["id"].as_str().unwrap().to_string();

    let res = app.gql(Some(&agent_a), LIST, json!({})).await;
    assert_eq!(names(&res["data"]["segments"]), ["Hot buyers", "My hot leads"], "{res}");
    let res = app.gql(Some(&agent_b), LIST, json!({})).await;
    assert_eq!(names(&res["data"]["segments"]), ["Hot buyers"], "another agent's private segment is not listed");
    let res = app.gql(Some(&agent_b), ONE, json!({ "id": mine })).await;
    assert!(res["data"]["segment"].is_null(), "nor found by id: {res}");
    for (token, id) in [(&agent_b, &mine), (&agent_a, &shared)] {
        let res = app.gql(Some(token), UPDATE, json!({ "id": id, "i": { "name": "Mine now" } })).await;
        assert!(matches!(code(&res), "FORBIDDEN" | "NOT_FOUND"), "{res}");
        let res = app.gql(Some(token), DELETE, json!({ "id": id })).await;
        assert!(matches!(code(&res), "FORBIDDEN" | "NOT_FOUND"), "{res}");
    }

    let res = create(&app, &app.owner_token, json!({ "name": "HOT BUYERS", "visibility": "SHARED" })).await;
    assert_eq!((code(&res), res["errors"][0]["extensions"]["field"].as_str()), ("CONFLICT", Some("name")), "{res}");
    let res = create(&app, &agent_b, json!({ "name": "hot buyers" })).await;
    assert!(res["errors"].is_null(), "a private name may repeat a shared one: {res}");
    let res = create(&app, &agent_b, json!({ "name": " " })).await;
    assert_eq!((code(&res), res["errors"][0]["extensions"]["field"].as_str()), ("BAD_USER_INPUT", Some("name")));

    let res = app
        .gql(Some(&agent_a), UPDATE, json!({ "id": mine, "i": { "name": "Renamed", "filter": { "hasPhone": true } } }))
        .await;
    assert_eq!(res["data"]["updateSegment"]["filter"]["hasPhone"], true, "{res}");
    // Changing only the search keeps the filter; an empty search clears it.
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "id": mine, "i": { "search": "" } })).await;
    assert_eq!(res["data"]["updateSegment"]["filter"]["hasPhone"], true, "{res}");
    // A filter that could never be read is refused when saved.
    let bad = json!({ "properties": [{ "key": "nope", "op": "EQ", "value": 1 }] });
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "id": mine, "i": { "filter": bad } })).await;
    assert_eq!(
        (code(&res), res["errors"][0]["extensions"]["field"].as_str()),
        ("BAD_USER_INPUT", Some("filter.properties")),
        "{res}"
    );
    let res = app.gql(Some(&agent_a), UPDATE, json!({ "id": mine, "i": { "visibility": "SHARED" } })).await;
    assert_eq!(code(&res), "FORBIDDEN", "sharing is the admins': {res}");
    let res = app.gql(Some(&agent_a), DELETE, json!({ "id": mine })).await;
    assert!(res["errors"].is_null(), "{res}");
    let res = app.gql(Some(&agent_a), LIST, json!({})).await;
    assert_eq!(names(&res["data"]["segments"]), ["Hot buyers"]);
}

#[tokio::test]
async fn a_shared_segment_shows_each_reader_only_their_contacts_with_their_count() {
    let app = TestApp::new().await;
    let (agent_a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user_with("VIEWER", "viewer@acme.test", json!([agent_a_id])).await;
    for (token, name, phone, tags) in [
        (&agent_a, "Ana", "+50688001001", json!(["vip"])),
        (&agent_a, "Abel", "+50688001002", json!(["vip"])),
        (&agent_a, "Alma", "+50688001003", json!([])),
        (&agent_b, "Berta", "+50688002001", json!(["vip"])),
    ] {
        app.contact(token, json!({ "name": name, "phone": phone, "tags": tags })).await;
    }
    let vip = tag_id(&app, "vip").await;
    let shared = create_id(
        &app,
        &app.owner_token,
        json!({ "name": "VIP", "visibility": "SHARED",
        "filter": { "tagIds": [vip] }, "orderBy": { "field": "NAME", "direction": "ASC" } }),
    )
    .await;

    let cases = [
        (&app.owner_token, vec!["Abel", "Ana", "Berta"]),
        (&agent_a, vec!["Abel", "Ana"]),
        (&agent_b, vec!["Berta"]),
        (&viewer, vec!["Abel", "Ana"]),
    ];
    for (token, expected) in cases {
        let res = app.gql(Some(token), ONE, json!({ "id": shared })).await;
        let segment = &res["data"]["segment"];
        let got: Vec<&str> = segment["contacts"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{res}"))
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(got, expected, "{res}");
        assert_eq!(segment["count"], json!({ "value": expected.len(), "exact": true }));
        assert_eq!(segment["contacts"]["totalCount"], expected.len());
        let staged: i64 = segment["stages"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
        assert_eq!(staged, expected.len() as i64, "the stages add up to the count: {res}");
        assert!(segment["problems"].as_array().unwrap().is_empty());
    }
    let res = app.gql(Some(&agent_b), LIST, json!({})).await;
    assert_eq!(res["data"]["segments"][0]["count"]["value"], 1, "{res}");

    // Another organization's segments are absent, by id and in the list.
    let (_, stranger) = app.other_organization().await;
    let res = app.gql(Some(&stranger), ONE, json!({ "id": shared })).await;
    assert!(res["data"]["segment"].is_null(), "{res}");
    let res = app.gql(Some(&stranger), LIST, json!({})).await;
    assert_eq!(res["data"]["segments"], json!([]));
    assert_eq!(ids(&app.gql(Some(&stranger), "{ contacts(first: 5) { edges { node { id } } } }", json!({})).await["data"]["contacts"]).len(), 0);
}

#[tokio::test]
async fn what_a_filter_names_that_no_longer_exists_is_reported() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688001001", "tags": ["vip", "buyer"] })).await;
    let (vip, buyer) = (tag_id(&app, "vip").await, tag_id(&app, "buyer").await);
    let def =
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }";
    let res = app.gql(Some(&app.owner_token), def, json!({})).await;
    let property =
        res["data"]["createPropertyDefinition"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    let segment =
        create_id(&app, &app.owner_token, json!({ "name": "Buyers", "filter": { "tagIds": [vip, buyer] } })).await;
    let with_property = create_id(
        &app,
        &app.owner_token,
        json!({ "name": "Big budgets",
        "filter": { "properties": [{ "key": "budget", "op": "GTE", "value": 100000 }] } }),
    )
    .await;

    let res =
        app.gql(Some(&app.owner_token), "mutation($id: ID!) { deleteTag(id: $id) { id } }", json!({ "id": vip })).await;
    assert!(res["errors"].is_null(), "{res}");
    let res = app.gql(Some(&app.owner_token), ONE, json!({ "id": segment })).await;
    let problems = res["data"]["segment"]["problems"].as_array().unwrap_or_else(|| panic!("{res}")).clone();
    assert_eq!(problems.len(), 1, "{res}");
    assert_eq!(problems[0]["field"], "tagIds");
    assert!(problems[0]["message"].as_str().unwrap().contains(&vip), "{res}");
    assert_eq!(res["data"]["segment"]["count"]["value"], 1, "the remaining tag still selects");

    let drop = "mutation($id: ID!) { deletePropertyDefinition(id: $id) { id } }";
    let res = app.gql(Some(&app.owner_token), drop, json!({ "id": property })).await;
    assert!(res["errors"].is_null(), "{res}");
    let res = app
        .gql(
            Some(&app.owner_token),
            "query($id: ID!) { segment(id: $id) { problems { field message } } }",
            json!({ "id": with_property }),
        )
        .await;
    assert_eq!(res["data"]["segment"]["problems"][0]["field"], "properties", "{res}");
}

#[tokio::test]
async fn bulk_actions_and_exports_take_a_segment_as_their_selection() {
    let app = TestApp::new().await;
    let (_, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (_, agent_b) = app.user("AGENT", "b@acme.test").await;
    app.contact(&agent_a, json!({ "name": "Ana", "phone": "+50688001001", "tags": ["vip"] })).await;
    app.contact(&agent_a, json!({ "name": "Alma", "phone": "+50688001003" })).await;
    app.contact(&agent_b, json!({ "name": "Berta", "phone": "+50688002001", "tags": ["vip"] })).await;
    let vip = tag_id(&app, "vip").await;
    let shared = create_id(
        &app,
        &app.owner_token,
        json!({ "name": "VIP", "visibility": "SHARED", "filter": { "tagIds": [vip] } }),
    )
    .await;

    // Agent A tags the segment's contacts: only those A may see are touched.
    let bulk = "mutation($s: ContactSelection!) { bulkUpdateContacts(selection: $s, patch: { addTags: [\"called\"] }) { matched updated } }";
    let res = app.gql(Some(&agent_a), bulk, json!({ "s": { "segmentId": shared } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"], json!({ "matched": 1, "updated": 1 }), "{res}");
    let called = tag_id(&app, "called").await;
    let res = app
        .gql(
            Some(&app.owner_token),
            "query($f: ContactFilter) { contacts(first: 10, filter: $f) { edges { node { name } } } }",
            json!({ "f": { "tagIds": [called] } }),
        )
        .await;
    assert_eq!(res["data"]["contacts"]["edges"], json!([{ "node": { "name": "Ana" } }]), "{res}");
    let res = app.gql(Some(&agent_a), bulk, json!({ "s": { "segmentId": shared, "search": "ana" } })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "a segment is the whole selection: {res}");
    let private = create_id(&app, &agent_b, json!({ "name": "B's own" })).await;
    let res = app.gql(Some(&agent_a), bulk, json!({ "s": { "segmentId": private } })).await;
    assert_eq!(code(&res), "NOT_FOUND", "another agent's private segment is no selection: {res}");

    // An export of the segment holds what the exporting agent may see of it.
    let start = "mutation($i: StartExportInput!) { startExport(input: $i) { id } }";
    let res = app
        .gql(Some(&agent_b), start, json!({ "i": { "format": "CSV", "scope": "SEGMENT", "segmentId": shared } }))
        .await;
    let id = res["data"]["startExport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    app.run_jobs().await;
    let job = app
        .gql(
            Some(&agent_b),
            "query($id: ID!) { exportJob(id: $id) { state scope rowCount downloadUrl } }",
            json!({ "id": id }),
        )
        .await;
    let job = &job["data"]["exportJob"];
    assert_eq!(
        (job["state"].as_str(), job["scope"].as_str(), job["rowCount"].as_i64()),
        (Some("DONE"), Some("SEGMENT"), Some(1)),
        "{job}"
    );
    let (status, bytes) = app.download(job["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("Berta") && !text.contains("Ana"), "{text}");
    let res = app.gql(Some(&agent_b), start, json!({ "i": { "format": "CSV", "scope": "SEGMENT" } })).await;
    assert_eq!(
        (code(&res), res["errors"][0]["extensions"]["field"].as_str()),
        ("BAD_USER_INPUT", Some("segmentId")),
        "{res}"
    );
    let res =
        app.gql(Some(&agent_b), start, json!({ "i": { "format": "CSV", "scope": "ALL", "segmentId": shared } })).await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "segmentId", "{res}");
    let res = app
        .gql(
            Some(&agent_b),
            start,
            json!({ "i": { "format": "CSV", "scope": "SEGMENT", "segmentId": shared, "search": "x" } }),
        )
        .await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "filter", "{res}");
}
