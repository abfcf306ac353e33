//! Lists answered in one pass (`contacts::graphql::page`), stages and members from a server's copy
//! (`catalog`), and what hangs off one contact read with its visibility in the same statement.

use api::{auth::authenticate, conversations::read, notes, pagination::PageArgs};
use entity::{catalog_version, conversation, pipeline_stage, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{TestApp, gql_to};

/// A field the one-pass page does not answer: with it in a node, the engine resolves the whole list.
const ENGINE: &str = "properties { value }";

/// Each selection of `contacts`, with `{EXTRA}` where the node's fields are, and the fragments it uses.
const SELECTIONS: [(&str, &str); 4] = [
    (
        "edges { cursor node { id name phone email source createdAt updatedAt lastActivityAt messagingWindowClosesAt nameEditedManually waId {EXTRA} } }",
        "",
    ),
    (
        "edges { node { status { id name color kind position archived } assignee { id name email role active createdAt } tags { id name color createdAt } {EXTRA} } }",
        "",
    ),
    (
        "__typename edges { __typename c: cursor node { __typename who: name stats { userInitiatedConversations businessInitiatedConversations cancelledOutbounds receivedNotifications __typename } status { __typename name } tags { __typename name } assignee { __typename name } {EXTRA} } }",
        "",
    ),
    (
        "edges { ...Edge }",
        "fragment Edge on ContactEdge { cursor node { ... on Contact { id } ...Person {EXTRA} } } fragment Person on Contact { name tags { name } }",
    ),
];

fn query(selection: &str, fragments: &str, extra: &str) -> String {
    format!("{{ contacts(orderBy: {{ field: NAME, direction: ASC }}) {{ {selection} }} }} {fragments}")
        .replace("{EXTRA}", extra)
}

fn without_engine_field(mut res: Value) -> Value {
    for edge in res["data"]["contacts"]["edges"].as_array_mut().into_iter().flatten() {
        edge["node"].as_object_mut().map(|node| node.remove("properties"));
    }
    res
}

#[tokio::test]
async fn a_page_answers_exactly_as_the_engine_does() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    let (agent, _) = app.user("AGENT", "ana@acme.test").await;
    let ana = json!({ "name": "Ana", "phone": "+50688880001", "email": "a@x.test", "tags": ["VIP", "Beach"], "assigneeId": agent });
    app.contact(owner, ana).await;
    app.contact(owner, json!({ "name": "Beto" })).await;
    app.gql(Some(owner), "mutation { createTag(name: \"Green\", color: \"#00ff00\") { id } }", json!({})).await;
    app.contact(owner, json!({ "name": "Caro", "tags": ["Green"], "assigneeId": app.owner_id })).await;
    for (selection, fragments) in SELECTIONS {
        let one_pass = app.gql(Some(owner), &query(selection, fragments, ""), json!({})).await;
        let engine = app.gql(Some(owner), &query(selection, fragments, ENGINE), json!({})).await;
        assert!(one_pass["errors"].is_null() && engine["errors"].is_null(), "{selection}: {one_pass} {engine}");
        assert_eq!(one_pass["data"]["contacts"]["edges"].as_array().map(Vec::len), Some(3), "{one_pass}");
        assert_eq!(one_pass, without_engine_field(engine), "{selection}");
    }
}

#[tokio::test]
async fn renamed_stages_and_members_show_at_once_on_every_server() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    let (agent, _) = app.user("AGENT", "ana@acme.test").await;
    let stages = app.gql(Some(owner), "{ pipelineStages { id } }", json!({})).await;
    let stage = stages["data"]["pipelineStages"][0]["id"].clone();
    let id = app.contact(owner, json!({ "name": "Ana", "assigneeId": agent, "statusId": stage })).await["id"].clone();
    let second = crate::cluster::Server::beside(&app).router;
    let list = "{ contacts { edges { node { status { name } assignee { name } } } } }";
    let one = "query($id: ID!) { contact(id: $id) { status { name } assignee { name } } }";
    let read = |router: axum::Router| {
        let (id, owner) = (id.clone(), owner.clone());
        async move {
            let page = gql_to(&router, Some(&owner), list, json!({})).await.1;
            let contact = gql_to(&router, Some(&owner), one, json!({ "id": id })).await.1;
            let node = &page["data"]["contacts"]["edges"][0]["node"];
            assert_eq!(node, &contact["data"]["contact"], "{page} {contact}");
            (node["status"]["name"].clone(), node["assignee"]["name"].clone())
        }
    };
    // Both servers hold the organization's copy now.
    let before = read(app.router.clone()).await;
    assert_eq!(read(second.clone()).await, before);
    assert_ne!(before.0, json!("Fresh lead"));

    let res = app
        .gql(
            Some(owner),
            "mutation($id: ID!) { updatePipelineStage(id: $id, input: { name: \"Fresh lead\" }) { id } }",
            json!({ "id": stage }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let res = app
        .gql(
            Some(owner),
            "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Ana María\" }) { id } }",
            json!({ "id": agent }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    for router in [app.router.clone(), second] {
        assert_eq!(read(router).await, (json!("Fresh lead"), json!("Ana María")));
    }
    // A mutation that renames and then reads sees its own rename.
    let both = "mutation($s: ID!, $c: ID!) { updatePipelineStage(id: $s, input: { name: \"Warm\" }) { id } \
                updateContact(id: $c, input: { name: \"Ana\" }) { status { name } } }";
    let res = app.gql(Some(owner), both, json!({ "s": stage, "c": id })).await;
    assert_eq!(res["data"]["updateContact"]["status"]["name"], "Warm", "{res}");
}

#[tokio::test]
async fn notes_and_messages_of_a_contact_out_of_sight_are_not_read() {
    let app = TestApp::new().await;
    let owner = &app.owner_token;
    let (a, token_a) = app.user("AGENT", "a@acme.test").await;
    let (_, token_b) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user_with("VIEWER", "v@acme.test", json!([])).await;
    let channel = app
        .gql(
            Some(owner),
            "mutation { createChannel(input: { kind: WEB_WIDGET, name: \"Website\" }) { id } }",
            json!({}),
        )
        .await["data"]["createChannel"]["id"]
        .clone();
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let input =
        json!({ "channelId": channel, "sender": { "widgetSession": "s-1", "name": "Visitor" }, "body": "hola" });
    let res = app.gql(Some(owner), inbound, json!({ "i": input })).await;
    let contact: uuid::Uuid = res["data"]["recordInboundMessage"]["contact"]["id"].as_str().unwrap().parse().unwrap();
    let update = "mutation($id: ID!, $a: ID) { updateContact(id: $id, input: { assigneeId: $a }) { id } }";
    assert!(app.gql(Some(owner), update, json!({ "id": contact, "a": a })).await["errors"].is_null());
    let note = "mutation($id: ID!) { addNote(contactId: $id, body: \"Called\") { id } }";
    assert!(app.gql(Some(&token_a), note, json!({ "id": contact })).await["errors"].is_null());
    let conversation = conversation::Entity::find()
        .filter(conversation::Column::ContactId.eq(contact))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();

    let read_as = |token: String| {
        let (app, conversation) = (&app, conversation.clone());
        async move {
            let actor = authenticate(&app.db, &app.state.jwt, &format!("Bearer {token}")).await.unwrap();
            let notes = notes::service::list(&app.db, &actor, contact, PageArgs::default(), true).await.unwrap();
            let messages = read::messages(&app.db, &actor, &conversation, PageArgs::default(), true).await.unwrap();
            (notes.items.len(), notes.total, messages.items.len(), messages.total)
        }
    };
    assert_eq!(read_as(token_a.clone()).await, (1, 1, 1, 1), "the assignee reads both");
    assert_eq!(read_as(owner.clone()).await, (1, 1, 1, 1));
    assert_eq!(read_as(token_b).await, (0, 0, 0, 0), "another agent reads nothing");
    assert_eq!(read_as(viewer).await, (0, 0, 0, 0), "a viewer scoped to no agent reads nothing");
}

/// Named or not, a query reads stages and members from the server's copy: no query for them.
#[tokio::test]
async fn named_and_anonymous_queries_both_use_the_copy() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "Ana", "assigneeId": app.owner_id })).await;
    let selection = "{ contacts { edges { node { status { name } assignee { name } } } } }";
    // The page, and the actor unless this server holds it (PostgreSQL, `auth::ActorCache`).
    let expected = if app.actors_held().await { 1 } else { 2 };
    let mut counts = Vec::new();
    for (query, operation) in [
        (selection.to_owned(), None),
        (format!("query Page {selection}"), None),
        (format!("query Page {selection}"), Some("Page")),
    ] {
        let send = || {
            let body = json!({ "query": query, "operationName": operation });
            let req = axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {}", app.owner_token))
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            app.send(req)
        };
        send().await;
        let before = app.queries.load(std::sync::atomic::Ordering::SeqCst);
        let res = crate::harness::body_json(send().await).await;
        assert_eq!(res["data"]["contacts"]["edges"][0]["node"]["assignee"]["name"], "Olivia Owner", "{res}");
        counts.push(app.queries.load(std::sync::atomic::Ordering::SeqCst) - before);
    }
    assert_eq!(counts, [expected; 3], "the actor and the page only");
}

#[tokio::test]
async fn every_change_to_a_stage_or_member_bumps_its_organizations_version() {
    let app = TestApp::new().await;
    let (other, _) = app.other_organization().await;
    let version = |org: Uuid| {
        let db = app.db.clone();
        async move { catalog_version::Entity::find_by_id(org).one(&db).await.unwrap().map_or(0, |c| c.version) }
    };
    let set_user = |id: Uuid, column: user::Column, value: sea_orm::Value| {
        let db = app.db.clone();
        async move {
            let update =
                user::Entity::update_many().col_expr(column, Expr::value(value)).filter(user::Column::Id.eq(id));
            update.exec(&db).await.unwrap();
        }
    };
    let (mine, theirs) = (version(app.org_id).await, version(other).await);
    let (user, _) = app.user("AGENT", "ana@acme.test").await;
    let after_insert = version(app.org_id).await;
    assert!(after_insert > mine, "a new member");
    set_user(user, user::Column::Name, "Ana B".into()).await;
    let after_update = version(app.org_id).await;
    assert!(after_update > after_insert, "a renamed member");
    // A row moved to another organization changes both.
    set_user(user, user::Column::OrganizationId, other.into()).await;
    let after_move = version(app.org_id).await;
    assert!(after_move > after_update && version(other).await > theirs, "a moved member");
    let before_delete = version(other).await;
    user::Entity::delete_by_id(user).exec(&app.db).await.unwrap();
    assert!(version(other).await > before_delete, "a removed member");
    pipeline_stage::Entity::update_many()
        .col_expr(pipeline_stage::Column::Name, Expr::value("Renamed"))
        .filter(pipeline_stage::Column::OrganizationId.eq(app.org_id))
        .filter(pipeline_stage::Column::Position.eq(0))
        .exec(&app.db)
        .await
        .unwrap();
    assert!(version(app.org_id).await > after_move, "a renamed stage");
}
