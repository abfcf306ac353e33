//! Tags, notes, the funnel and listings as a team uses them.

use serde_json::json;

use crate::harness::{TestApp, code};

#[tokio::test]
async fn tags_are_created_on_first_use_reused_by_name_and_managed_by_admins() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana" })).await;
    let add = "mutation($id: ID!, $n: [String!]!) { addTags(contactId: $id, names: $n) { tags { name } } }";
    let res = app.gql(Some(&app.owner_token), add, json!({ "id": c["id"], "n": ["  Hot   lead ", "VIP"] })).await;
    assert_eq!(res["data"]["addTags"]["tags"], json!([{ "name": "Hot lead" }, { "name": "VIP" }]), "{res}");
    app.gql(Some(&app.owner_token), add, json!({ "id": c["id"], "n": ["vip", "HOT LEAD"] })).await;
    let tags = app.gql(Some(&app.owner_token), "{ tags { id name } }", json!({})).await;
    assert_eq!(tags["data"]["tags"].as_array().unwrap().len(), 2, "names are case-blind");

    let remove =
        "mutation($id: ID!) { removeTags(contactId: $id, names: [\"vip\", \"never-existed\"]) { tags { name } } }";
    let res = app.gql(Some(&app.owner_token), remove, json!({ "id": c["id"] })).await;
    assert_eq!(res["data"]["removeTags"]["tags"], json!([{ "name": "Hot lead" }]));

    let hot = tags["data"]["tags"][0]["id"].clone();
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let rename = "mutation($id: ID!) { updateTag(id: $id, name: \"Warm\", color: \"#FFAA00\") { name color } }";
    assert_eq!(code(&app.gql(Some(&agent), rename, json!({ "id": hot })).await), "FORBIDDEN");
    let res = app.gql(Some(&app.owner_token), rename, json!({ "id": hot })).await;
    assert_eq!(res["data"]["updateTag"], json!({ "name": "Warm", "color": "#ffaa00" }));
    let clash = app.gql(Some(&app.owner_token), "mutation { createTag(name: \"warm\") { id } }", json!({})).await;
    assert_eq!(code(&clash), "CONFLICT");
    app.gql(Some(&app.owner_token), "mutation($id: ID!) { deleteTag(id: $id) { id } }", json!({ "id": hot })).await;
    let after = app
        .gql(Some(&app.owner_token), "query($id: ID!) { contact(id: $id) { tags { name } } }", json!({ "id": c["id"] }))
        .await;
    assert_eq!(after["data"]["contact"]["tags"], json!([]));
}

#[tokio::test]
async fn notes_are_newest_first_and_only_their_author_or_an_admin_changes_them() {
    let app = TestApp::new().await;
    let c = app.contact(&app.owner_token, json!({ "name": "Ana" })).await;
    let (_, agent1) = app.user("AGENT", "one@acme.test").await;
    let (_, agent2) = app.user("AGENT", "two@acme.test").await;
    let add = "mutation($id: ID!, $b: String!) { addNote(contactId: $id, body: $b) { id body author { email } } }";
    let first =
        app.gql(Some(&agent1), add, json!({ "id": c["id"], "b": "First call" })).await["data"]["addNote"].clone();
    app.gql(Some(&agent2), add, json!({ "id": c["id"], "b": "Second call" })).await;
    assert_eq!(first["author"]["email"], "one@acme.test");

    let q = "query($id: ID!) { contact(id: $id) { notes(first: 10) { totalCount edges { node { body } } } } }";
    let notes = app.gql(Some(&app.owner_token), q, json!({ "id": c["id"] })).await;
    let bodies: Vec<&str> = notes["data"]["contact"]["notes"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Second call", "First call"]);

    let edit = "mutation($id: ID!) { updateNote(id: $id, body: \"Edited\") { body } }";
    assert_eq!(code(&app.gql(Some(&agent2), edit, json!({ "id": first["id"] })).await), "FORBIDDEN");
    assert_eq!(
        app.gql(Some(&agent1), edit, json!({ "id": first["id"] })).await["data"]["updateNote"]["body"],
        "Edited"
    );
    let del = "mutation($id: ID!) { deleteNote(id: $id) { id } }";
    assert_eq!(
        app.gql(Some(&app.owner_token), del, json!({ "id": first["id"] })).await["data"]["deleteNote"]["id"],
        first["id"]
    );
    for body in ["", &"x".repeat(10_001)] {
        let res = app.gql(Some(&agent1), add, json!({ "id": c["id"], "b": body })).await;
        assert_eq!(code(&res), "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn admins_rename_recolour_add_reorder_and_archive_stages() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    let stages =
        app.gql(Some(owner), "{ pipelineStages { id name } }", json!({})).await["data"]["pipelineStages"].clone();
    let ids: Vec<serde_json::Value> = stages.as_array().unwrap().iter().map(|s| s["id"].clone()).collect();

    let res = app.gql(Some(owner), "mutation($id: ID!) { updatePipelineStage(id: $id, input: { name: \"Contacted\", color: \"#000000\" }) { name color } }", json!({ "id": ids[1] })).await;
    assert_eq!(res["data"]["updatePipelineStage"], json!({ "name": "Contacted", "color": "#000000" }));
    let added = app
        .gql(
            Some(owner),
            "mutation { createPipelineStage(input: { name: \"Offer made\", color: \"#123456\" }) { id position } }",
            json!({}),
        )
        .await;
    let offer = added["data"]["createPipelineStage"]["id"].clone();
    assert_eq!(added["data"]["createPipelineStage"]["position"], 5);
    // Stage names are unique whatever their case, on create and on rename.
    let twin = app
        .gql(Some(owner), "mutation { createPipelineStage(input: { name: \"OFFER MADE\" }) { id } }", json!({}))
        .await;
    assert_eq!((code(&twin), &twin["errors"][0]["extensions"]["field"]), ("CONFLICT", &json!("name")), "{twin}");
    let rename = "mutation($id: ID!) { updatePipelineStage(id: $id, input: { name: \"new\" }) { name } }";
    assert_eq!(code(&app.gql(Some(owner), rename, json!({ "id": offer })).await), "CONFLICT");

    let order = json!([ids[0], ids[1], ids[2], offer, ids[3], ids[4]]);
    let res = app
        .gql(
            Some(owner),
            "mutation($ids: [ID!]!) { reorderPipelineStages(ids: $ids) { name } }",
            json!({ "ids": order }),
        )
        .await;
    let names: Vec<&str> =
        res["data"]["reorderPipelineStages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["New", "Contacted", "Visit scheduled", "Offer made", "Closed - Won", "Closed - Lost"]);
    let partial = app
        .gql(
            Some(owner),
            "mutation($ids: [ID!]!) { reorderPipelineStages(ids: $ids) { name } }",
            json!({ "ids": [ids[0]] }),
        )
        .await;
    assert_eq!(code(&partial), "BAD_USER_INPUT");

    app.gql(
        Some(owner),
        "mutation($id: ID!) { updatePipelineStage(id: $id, input: { archived: true }) { id } }",
        json!({ "id": offer }),
    )
    .await;
    let active = app
        .gql(Some(owner), "{ pipelineStages { name } all: pipelineStages(includeArchived: true) { name } }", json!({}))
        .await;
    assert_eq!(active["data"]["pipelineStages"].as_array().unwrap().len(), 5);
    assert_eq!(active["data"]["all"].as_array().unwrap().len(), 6);
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(
        code(
            &app.gql(
                Some(&agent),
                "mutation($id: ID!) { updatePipelineStage(id: $id, input: { name: \"X\" }) { id } }",
                json!({ "id": ids[0] })
            )
            .await
        ),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn listings_are_the_source_a_contact_came_from() {
    let app = TestApp::new().await;
    let res = app
        .gql(
            Some(&app.owner_token),
            "mutation { createListing(input: { title: \"Apartment in Escazú\" }) { id slug } }",
            json!({}),
        )
        .await;
    let listing = res["data"]["createListing"].clone();
    assert_eq!(listing["slug"], "apartment-in-escazu");
    let dup = app
        .gql(
            Some(&app.owner_token),
            "mutation { createListing(input: { title: \"Apartment in Escazu\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&dup), "CONFLICT");
    let c = app
        .contact(
            &app.owner_token,
            json!({ "name": "Ana", "source": "PROPERTY_PAGE", "sourceListingId": listing["id"] }),
        )
        .await;
    let q = "query($id: ID!) { contact(id: $id) { source sourceListing { title } } listings { totalCount } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "id": c["id"] })).await;
    assert_eq!(
        res["data"]["contact"],
        json!({ "source": "PROPERTY_PAGE", "sourceListing": { "title": "Apartment in Escazú" } })
    );
    assert_eq!(res["data"]["listings"]["totalCount"], 1);
    let (_, other) = app.other_organization().await;
    let foreign = app
        .gql(
            Some(&other),
            crate::harness::CREATE_CONTACT,
            json!({ "input": { "name": "X", "sourceListingId": listing["id"] } }),
        )
        .await;
    assert_eq!(code(&foreign), "BAD_USER_INPUT", "another organization's listing is unknown");
}

#[tokio::test]
async fn identities_are_unique_per_organization_and_listed_on_the_contact() {
    let app = TestApp::new().await;
    let a = app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688881111" })).await;
    let b = app.contact(&app.owner_token, json!({ "name": "Bea" })).await;
    let add = "mutation($id: ID!, $k: IdentifierKind!, $v: String!) { addContactIdentifier(contactId: $id, kind: $k, value: $v) { identifiers { kind value } } }";
    let res = app.gql(Some(&app.owner_token), add, json!({ "id": a["id"], "k": "TELEGRAM_ID", "v": "ana_tg" })).await;
    assert_eq!(
        res["data"]["addContactIdentifier"]["identifiers"],
        json!([{ "kind": "PHONE", "value": "+50688881111" }, { "kind": "TELEGRAM_ID", "value": "ana_tg" }])
    );
    let clash = app.gql(Some(&app.owner_token), add, json!({ "id": b["id"], "k": "TELEGRAM_ID", "v": "ana_tg" })).await;
    assert_eq!(code(&clash), "CONFLICT");
    assert_eq!(clash["errors"][0]["extensions"]["existingId"], a["id"]);
    let phone = app.gql(Some(&app.owner_token), add, json!({ "id": b["id"], "k": "PHONE", "v": "+50688882222" })).await;
    assert_eq!(code(&phone), "BAD_USER_INPUT");
    let (_, other) = app.other_organization().await;
    let theirs = app.contact(&other, json!({ "name": "Other" })).await;
    let res = app.gql(Some(&other), add, json!({ "id": theirs["id"], "k": "TELEGRAM_ID", "v": "ana_tg" })).await;
    assert!(res["errors"].is_null(), "another organization may use the same id: {res}");
    let remove = "mutation($id: ID!) { removeContactIdentifier(contactId: $id, kind: TELEGRAM_ID, value: \"ana_tg\") { identifiers { kind } } }";
    let res = app.gql(Some(&app.owner_token), remove, json!({ "id": a["id"] })).await;
    assert_eq!(res["data"]["removeContactIdentifier"]["identifiers"], json!([{ "kind": "PHONE" }]));
}
