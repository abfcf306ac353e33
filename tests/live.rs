//! `contactEvents` over graphql-transport-ws on a real socket: each subscriber gets only the contacts it
//! may see, and on PostgreSQL an event raised on one server reaches subscribers on another.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::harness::TestApp;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Opens a socket and sends `connection_init` with the token; returns the socket and the server's answer.
pub async fn connect(addr: SocketAddr, token: &str) -> (Socket, Option<Value>) {
    let mut req = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = connect_async(req).await.expect("websocket");
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let answer = next_json(&mut ws).await;
    (ws, answer)
}

pub async fn next_json(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.ok()?? {
            Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            _ => return None,
        }
    }
}

async fn subscribe(ws: &mut Socket) {
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { contactEvents { kind contact { name } } }" } });
    ws.send(Message::text(sub.to_string())).await.unwrap();
}

/// Names of created contacts received until `marker` arrives.
async fn names_until(ws: &mut Socket, marker: &str) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(msg) = next_json(ws).await {
        let Some(name) = msg["payload"]["data"]["contactEvents"]["contact"]["name"].as_str() else { continue };
        if name == marker {
            return names;
        }
        names.push(name.to_string());
    }
    panic!("stream ended before {marker}; got {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_only_the_contacts_they_may_see() {
    let app = TestApp::new().await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let addr = serve(app.router.clone()).await;

    let (_, refused) = connect(addr, "not-a-token").await;
    assert_ne!(refused.as_ref().map(|v| v["type"].clone()), Some(json!("connection_ack")), "{refused:?}");

    let (mut ws, ack) = connect(addr, &agent_a).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    subscribe(&mut ws).await;
    let (mut other_ws, _) = connect(addr, &app.other_organization().await.1).await;
    subscribe(&mut other_ws).await;
    settle().await;

    app.contact(&app.owner_token, json!({ "name": "For A", "assigneeId": a_id })).await;
    app.contact(&app.owner_token, json!({ "name": "For B", "assigneeId": b_id })).await;
    app.contact(&app.owner_token, json!({ "name": "Unassigned" })).await;
    app.contact(&app.owner_token, json!({ "name": "marker" })).await;
    assert_eq!(names_until(&mut ws, "marker").await, ["For A", "Unassigned"]);

    // The other organization hears nothing of ours.
    let quiet = tokio::time::timeout(Duration::from_millis(500), other_ws.next()).await;
    assert!(quiet.is_err(), "another organization received {quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_raised_on_one_server_reaches_subscribers_on_another() {
    let app = TestApp::new().await;
    if !app.db.get_database_backend().eq(&sea_orm::DbBackend::Postgres) {
        return; // Only PostgreSQL deployments run several servers; SQLite is one embedded process.
    }
    let second = crate::cluster::Server::beside(&app).router;
    let addr_one = serve(app.router.clone()).await;
    let (mut ws, ack) = connect(addr_one, &app.owner_token).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    subscribe(&mut ws).await;
    settle().await;

    let res = {
        use tower::ServiceExt;
        let body =
            json!({ "query": "mutation { createContact(input: { name: \"From server two\" }) { id } }" }).to_string();
        let req = axum::http::Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", app.owner_token))
            .body(axum::body::Body::from(body))
            .unwrap();
        second.oneshot(req).await.unwrap()
    };
    assert_eq!(res.status(), 200);
    let msg = next_json(&mut ws).await.expect("an event");
    assert_eq!(msg["payload"]["data"]["contactEvents"]["contact"]["name"], "From server two");
}

/// Lets subscriptions (and, on PostgreSQL, the LISTEN connections) get in place.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(700)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_subscription_starts_with_the_current_state_and_follows_to_the_end() {
    let app = TestApp::new().await;
    let (_, res) = app
        .upload(&app.owner_token, crate::imports::START, json!({}), "a.csv", b"phone,name\n+50688881111,Ana\n")
        .await;
    let id = res["data"]["startImport"]["id"].as_str().unwrap().to_string();
    let addr = serve(app.router.clone()).await;
    let (mut ws, _) = connect(addr, &app.owner_token).await;
    let q = format!("subscription {{ importJobUpdated(id: \"{id}\") {{ state created }} }}");
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": q } }).to_string()))
        .await
        .unwrap();
    let first = next_json(&mut ws).await.unwrap();
    assert_eq!(first["payload"]["data"]["importJobUpdated"]["state"], "QUEUED", "{first}");
    settle().await;
    app.run_jobs().await;
    let mut last = first;
    while last["payload"]["data"]["importJobUpdated"]["state"] != "DONE" {
        last = next_json(&mut ws).await.expect("updates until the end");
    }
    assert_eq!(last["payload"]["data"]["importJobUpdated"]["created"], 1);
}

/// Subscriptions do not pass through the HTTP handler's checks; the WebSocket schema applies them itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_subscriptions_are_refused_before_they_run() {
    let app = TestApp::new().await;
    let addr = serve(app.router.clone()).await;
    let (mut ws, ack) = connect(addr, &app.owner_token).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    let deep = format!("subscription {{ contactEvents(x: {}1{}) {{ kind }} }}", "[".repeat(5_000), "]".repeat(5_000));
    let started = std::time::Instant::now();
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": deep } }).to_string()))
        .await
        .unwrap();
    let answer = next_json(&mut ws).await.expect("an answer");
    assert_eq!(answer["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{answer}");
    assert!(answer["payload"]["data"].is_null(), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // The socket still serves a normal subscription.
    subscribe(&mut ws).await;
    app.contact(&app.owner_token, json!({ "name": "After" })).await;
    assert_eq!(names_until(&mut ws, "After").await, Vec::<String>::new());
}

/// `jobUpdated` follows any kind of job the same way: here an export, from its current state to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_updated_follows_any_job_to_its_end() {
    let app = TestApp::new().await;
    app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000401" })).await;
    let start = "mutation { startExport(input: { format: CSV, scope: ALL }) { id } }";
    let id = app.gql(Some(&app.owner_token), start, json!({})).await["data"]["startExport"]["id"].clone();
    let addr = serve(app.router.clone()).await;
    let (mut ws, _) = connect(addr, &app.owner_token).await;
    let q = format!("subscription {{ jobUpdated(id: {id}) {{ kind state processed }} }}");
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": q } }).to_string()))
        .await
        .unwrap();
    let first = next_json(&mut ws).await.unwrap();
    assert_eq!(first["payload"]["data"]["jobUpdated"], json!({ "kind": "EXPORT", "state": "QUEUED", "processed": 0 }));
    settle().await;
    app.run_jobs().await;
    let mut last = first;
    while last["payload"]["data"]["jobUpdated"]["state"] != "DONE" {
        last = next_json(&mut ws).await.expect("updates until the end");
    }
    assert_eq!(last["payload"]["data"]["jobUpdated"]["processed"], 1);
}

/// A bulk change arrives as one event carrying many contacts, only those the subscriber may see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_change_is_one_event_with_the_contacts_the_subscriber_may_see() {
    let app = TestApp::new().await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let mut ids = Vec::new();
    for (name, assignee) in [("A one", a_id), ("A two", a_id), ("B one", b_id)] {
        ids.push(app.contact(&app.owner_token, json!({ "name": name, "assigneeId": assignee })).await["id"].clone());
    }
    let addr = serve(app.router.clone()).await;
    let (mut ws, _) = connect(addr, &agent_a).await;
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { contactEvents { kind contactIds contacts { name } } }" } });
    ws.send(Message::text(sub.to_string())).await.unwrap();
    settle().await;
    let bulk = "mutation($s: ContactSelection!) { bulkUpdateContacts(selection: $s, patch: { addTags: [\"hot\"] }) { updated } }";
    let res = app.gql(Some(&app.owner_token), bulk, json!({ "s": { "ids": ids } })).await;
    assert_eq!(res["data"]["bulkUpdateContacts"]["updated"], 3, "{res}");
    let event = next_json(&mut ws).await.expect("one event for the batch");
    let event = &event["payload"]["data"]["contactEvents"];
    assert_eq!(event["kind"], "UPDATED");
    assert_eq!(event["contactIds"], json!([ids[0], ids[1]]), "agent B's contact is left out: {event}");
    assert_eq!(event["contacts"], json!([{ "name": "A one" }, { "name": "A two" }]));
}
