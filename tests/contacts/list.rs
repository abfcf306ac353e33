//! The contacts list: pages, orders, search, filters and counts.

use serde_json::{Value, json};

use crate::harness::{TestApp, code, ids};

const LIST: &str = "query($first: Int, $after: String, $last: Int, $before: String, $search: String, $filter: ContactFilter, $order: ContactOrder) {
  contacts(first: $first, after: $after, last: $last, before: $before, search: $search, filter: $filter, orderBy: $order) {
    totalCount edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  } }";

async fn list(app: &TestApp, vars: Value) -> Value {
    let res = app.gql(Some(&app.owner_token), LIST, vars).await;
    assert!(res["errors"].is_null(), "{res}");
    res["data"]["contacts"].clone()
}

async fn names(app: &TestApp, vars: Value) -> Vec<String> {
    let c = list(app, vars).await;
    c["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn pages_cover_every_contact_once_even_while_contacts_are_added() {
    let app = TestApp::new().await;
    for i in 0..7 {
        app.contact(&app.owner_token, json!({ "name": format!("Lead {i}") })).await;
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for page in 0.. {
        let c = list(&app, json!({ "first": 3, "after": after })).await;
        assert_eq!(c["totalCount"], 7 + (page > 0) as i64);
        seen.extend(ids(&c));
        if page == 0 {
            // A new contact (the most recent activity) lands above the pages already read.
            app.contact(&app.owner_token, json!({ "name": "Newcomer" })).await;
        }
        if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 7, "every original contact exactly once: {seen:?}");
    assert_eq!(unique.len(), 7);

    // Backwards from the end gives the same contacts in the same order.
    let all = names(&app, json!({ "first": 50 })).await;
    let tail = names(&app, json!({ "last": 3 })).await;
    assert_eq!(tail, all[all.len() - 3..]);
}

#[tokio::test]
async fn name_order_is_case_and_accent_blind_and_stable() {
    let app = TestApp::new().await;
    for name in ["bruno", "Álvaro", "alba", "Carla", "Alba"] {
        app.contact(&app.owner_token, json!({ "name": name })).await;
    }
    let asc = names(&app, json!({ "order": { "field": "NAME", "direction": "ASC" } })).await;
    assert_eq!(&asc[..2].iter().map(|n| n.to_lowercase()).collect::<Vec<_>>(), &["alba", "alba"]);
    assert_eq!(&asc[2..], &["Álvaro", "bruno", "Carla"]);
    let again = names(&app, json!({ "order": { "field": "NAME", "direction": "ASC" } })).await;
    assert_eq!(asc, again, "ties are broken by id, so the order never flickers");
    let paged: Vec<String> = {
        let first = list(&app, json!({ "first": 2, "order": { "field": "NAME", "direction": "ASC" } })).await;
        let rest = list(&app, json!({ "first": 10, "after": first["pageInfo"]["endCursor"], "order": { "field": "NAME", "direction": "ASC" } })).await;
        [first, rest]
            .iter()
            .flat_map(|c| {
                c["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["name"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(paged, asc);
}

#[tokio::test]
async fn oversized_pages_and_foreign_cursors_are_refused() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "Ana" })).await;
    let res = app.gql(Some(&app.owner_token), LIST, json!({ "first": 100000 })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
    assert_eq!(res["errors"][0]["extensions"]["field"], "first");

    let by_activity = list(&app, json!({ "first": 1 })).await;
    let cursor = by_activity["edges"][0]["cursor"].clone();
    let res = app
        .gql(Some(&app.owner_token), LIST, json!({ "after": cursor, "order": { "field": "NAME", "direction": "ASC" } }))
        .await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "a cursor of another order");
    let res = app.gql(Some(&app.owner_token), LIST, json!({ "after": "garbage" })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");

    let (_, other) = app.other_organization().await;
    let res = app.gql(Some(&other), LIST, json!({ "after": cursor })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "a cursor of another organization");
    let notes = "query($id: ID!, $after: String) { contact(id: $id) { notes(after: $after) { totalCount } } }";
    let res = app
        .gql(Some(&app.owner_token), notes, json!({ "id": by_activity["edges"][0]["node"]["id"], "after": cursor }))
        .await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "a contacts cursor used on notes");
}

#[tokio::test]
async fn search_matches_names_without_accents_phone_digits_and_email() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "José Martínez", "phone": "+50688881234" })).await;
    app.contact(&app.owner_token, json!({ "name": "Joselyn Soto", "email": "jsoto@mail.com" })).await;
    app.contact(&app.owner_token, json!({ "name": "100% Real", "phone": "+50687770000" })).await;
    let mut found = names(&app, json!({ "search": "MARTINEZ" })).await;
    assert_eq!(found, ["José Martínez"]);
    found = names(&app, json!({ "search": "jose" })).await;
    found.sort();
    assert_eq!(found, ["Joselyn Soto", "José Martínez"]);
    assert_eq!(names(&app, json!({ "search": "8881 23" })).await, ["José Martínez"]);
    assert_eq!(names(&app, json!({ "search": "jsoto@" })).await, ["Joselyn Soto"]);
    assert_eq!(names(&app, json!({ "search": "%" })).await, ["100% Real"], "LIKE wildcards are literal");
    assert_eq!(names(&app, json!({ "search": "_" })).await, Vec::<String>::new());
    assert_eq!(list(&app, json!({ "search": "jose" })).await["totalCount"], 2);
    let res = app.gql(Some(&app.owner_token), LIST, json!({ "search": "x".repeat(500) })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
}

#[tokio::test]
async fn filters_combine_stage_tags_assignee_source_dates_and_properties() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    for (key, kind, opts) in [
        ("budget", "NUMBER", json!(null)),
        ("kind", "LIST", json!(["House", "Flat"])),
        ("move_in", "DATE", json!(null)),
        ("notes", "TEXT", json!(null)),
    ] {
        let res = app
            .gql(
                Some(owner),
                "mutation($i: CreatePropertyDefinitionInput!) { createPropertyDefinition(input: $i) { id } }",
                json!({ "i": { "key": key, "label": key, "type": kind, "options": opts } }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
    }
    let stages = app.gql(Some(owner), "{ pipelineStages { id } }", json!({})).await;
    let qualified = stages["data"]["pipelineStages"][1]["id"].clone();
    let (agent_id, _) = app.user("AGENT", "agent@acme.test").await;
    app.contact(owner, json!({ "name": "A", "tags": ["VIP"], "statusId": qualified, "assigneeId": agent_id, "source": "REFERRAL",
        "properties": [{ "key": "budget", "value": 250000 }, { "key": "kind", "value": "house" }, { "key": "move_in", "value": "2027-01-15" }, { "key": "notes", "value": "Wants a Pool" }] })).await;
    app.contact(owner, json!({ "name": "B", "tags": ["Cold"], "properties": [{ "key": "budget", "value": 90000 }, { "key": "kind", "value": "Flat" }] })).await;
    app.contact(owner, json!({ "name": "C" })).await;
    let tags = app.gql(Some(owner), "{ tags { id name } }", json!({})).await;
    let vip = tags["data"]["tags"].as_array().unwrap().iter().find(|t| t["name"] == "VIP").unwrap()["id"].clone();

    let cases = [
        (json!({ "statusIds": [qualified] }), vec!["A"]),
        (json!({ "tagIds": [vip] }), vec!["A"]),
        (json!({ "assigneeIds": [agent_id] }), vec!["A"]),
        (json!({ "unassigned": true }), vec!["B", "C"]),
        (json!({ "sources": ["REFERRAL"] }), vec!["A"]),
        (json!({ "sources": ["MANUAL"] }), vec!["B", "C"]),
        (json!({ "createdFrom": "2000-01-01T00:00:00Z", "createdTo": "2001-01-01T00:00:00Z" }), vec![]),
        (json!({ "properties": [{ "key": "budget", "op": "GT", "value": 100000 }] }), vec!["A"]),
        (json!({ "properties": [{ "key": "budget", "op": "LTE", "value": 90000 }] }), vec!["B"]),
        (json!({ "properties": [{ "key": "kind", "op": "EQ", "value": "HOUSE" }] }), vec!["A"]),
        (json!({ "properties": [{ "key": "kind", "op": "NEQ", "value": "House" }] }), vec!["B", "C"]),
        (json!({ "properties": [{ "key": "kind", "op": "IN", "value": ["House", "Flat"] }] }), vec!["A", "B"]),
        (json!({ "properties": [{ "key": "budget", "op": "IS_SET" }] }), vec!["A", "B"]),
        (json!({ "properties": [{ "key": "budget", "op": "IS_NOT_SET" }] }), vec!["C"]),
        (json!({ "properties": [{ "key": "move_in", "op": "LT", "value": "2027-02-01" }] }), vec!["A"]),
        (json!({ "properties": [{ "key": "notes", "op": "CONTAINS", "value": "pool" }] }), vec!["A"]),
        (json!({ "tagIds": [vip], "properties": [{ "key": "budget", "op": "LT", "value": 100 }] }), vec![]),
    ];
    for (filter, expected) in cases {
        let c = list(&app, json!({ "filter": filter, "order": { "field": "NAME", "direction": "ASC" } })).await;
        let got: Vec<&str> =
            c["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
        assert_eq!(got, expected, "filter {filter}");
        assert_eq!(c["totalCount"], expected.len() as i64, "count for {filter}");
    }

    let bad = [
        json!({ "properties": [{ "key": "nope", "op": "EQ", "value": 1 }] }),
        json!({ "properties": [{ "key": "budget", "op": "EQ", "value": "lots" }] }),
        json!({ "properties": [{ "key": "notes", "op": "GT", "value": "a" }] }),
        json!({ "properties": [{ "key": "budget", "op": "EQ" }] }),
        json!({ "statusIds": ["not-an-id"] }),
    ];
    for filter in bad {
        let res = app.gql(Some(owner), LIST, json!({ "filter": filter })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT", "{filter}: {res}");
    }
}

#[tokio::test]
async fn a_page_loads_its_relations_in_a_constant_number_of_queries() {
    let app = TestApp::new().await;
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }",
        json!({}),
    )
    .await;
    let q = "query($n: Int) { contacts(first: $n) { totalCount edges { node { id status { name } assignee { name } tags { name } properties { value } identifiers { value } sourceListing { title } } } } }";
    app.actors_held().await;
    let mut counts = Vec::new();
    for (round, target) in [(0, 3), (1, 30)] {
        let have = if round == 0 { 0 } else { 3 };
        for i in have..target {
            app.contact(&app.owner_token, json!({ "name": format!("L{i}"), "phone": format!("+5068888{i:04}"), "tags": [format!("t{}", i % 4)], "assigneeId": app.owner_id,
                "properties": [{ "key": "budget", "value": i }] })).await;
        }
        // Once first: the first query after a change loads the organization's stages and members.
        app.gql(Some(&app.owner_token), q, json!({ "n": target })).await;
        let before = app.queries.load(std::sync::atomic::Ordering::SeqCst);
        let res = app.gql(Some(&app.owner_token), q, json!({ "n": target })).await;
        assert_eq!(res["data"]["contacts"]["edges"].as_array().unwrap().len(), target, "{res}");
        counts.push(app.queries.load(std::sync::atomic::Ordering::SeqCst) - before);
    }
    assert_eq!(counts[0], counts[1], "queries for 3 contacts vs 30: {counts:?}");
}

/// Tag + stage + creation filters read a copy of the contact's creation time kept on each tag link: the
/// results must follow stage moves (one by one and in bulk) and links added at any time.
#[tokio::test]
async fn tag_stage_and_date_segments_follow_stage_moves_and_new_tags() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    let stages = app.gql(Some(owner), "{ pipelineStages { id } }", json!({})).await;
    let (new, qualified) =
        (stages["data"]["pipelineStages"][0]["id"].clone(), stages["data"]["pipelineStages"][1]["id"].clone());
    let a = app.contact(owner, json!({ "name": "A", "tags": ["VIP"], "statusId": qualified })).await["id"].clone();
    let b = app.contact(owner, json!({ "name": "B", "tags": ["VIP"] })).await["id"].clone();
    let c = app.contact(owner, json!({ "name": "C" })).await["id"].clone();
    let tags = app.gql(Some(owner), "{ tags { id name } }", json!({})).await;
    let vip = tags["data"]["tags"][0]["id"].clone();
    let now = chrono::Utc::now();
    let window = |stage: &Value| {
        json!({ "filter": { "tagIds": [vip], "statusIds": [stage],
            "createdFrom": (now - chrono::Duration::hours(1)).to_rfc3339(), "createdTo": (now + chrono::Duration::hours(1)).to_rfc3339() },
            "order": { "field": "NAME", "direction": "ASC" } })
    };
    assert_eq!(names(&app, window(&qualified)).await, ["A"]);
    assert_eq!(names(&app, window(&new)).await, ["B"]);

    let update = "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { id } }";
    let res = app.gql(Some(owner), update, json!({ "id": b, "input": { "statusId": qualified } })).await;
    assert!(res["errors"].is_null(), "{res}");
    // C moves first and is tagged afterwards: the new link starts with C's current stage.
    let res = app.gql(Some(owner), update, json!({ "id": c, "input": { "statusId": qualified } })).await;
    assert!(res["errors"].is_null(), "{res}");
    let res = app.gql(Some(owner), update, json!({ "id": c, "input": { "tags": ["VIP"] } })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(names(&app, window(&qualified)).await, ["A", "B", "C"]);
    assert_eq!(list(&app, window(&qualified)).await["totalCount"], 3);
    assert_eq!(names(&app, window(&new)).await, Vec::<String>::new());

    let bulk = "mutation($s: ContactSelection!, $p: ContactPatchInput!) { bulkUpdateContacts(selection: $s, patch: $p) { updated } }";
    let res = app.gql(Some(owner), bulk, json!({ "s": { "ids": [a, c] }, "p": { "statusId": new } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["updated"], 2, "{res}");
    assert_eq!(names(&app, window(&qualified)).await, ["B"]);
    assert_eq!(names(&app, window(&new)).await, ["A", "C"]);

    let past = json!({ "filter": { "tagIds": [vip], "statusIds": [new], "createdTo": (now - chrono::Duration::hours(1)).to_rfc3339() } });
    assert_eq!(list(&app, past).await["totalCount"], 0);
}
