//! Exports: what each role exports, the three formats, formula neutralisation, the download history and
//! its links, cancellation and failure without half files, and the per-contact data export.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};

use crate::harness::{TestApp, code};

const START: &str = "mutation($i: StartExportInput!) { startExport(input: $i) { id state } }";
const JOB: &str = "query($id: ID!) { exportJob(id: $id) { id state format scope language rowCount total downloadUrl error createdBy { email } } }";

async fn start(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(Some(token), START, json!({ "i": input })).await
}

/// Starts an export, runs the queue, and answers the finished job.
async fn export(app: &TestApp, token: &str, input: Value) -> Value {
    let res = start(app, token, input).await;
    let id = res["data"]["startExport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    app.run_jobs().await;
    app.gql(Some(token), JOB, json!({ "id": id })).await["data"]["exportJob"].clone()
}

async fn download(app: &TestApp, job: &Value) -> String {
    let link = job["downloadUrl"].as_str().unwrap_or_else(|| panic!("no link: {job}"));
    let (status, bytes) = app.download(link).await;
    assert_eq!(status, 200);
    String::from_utf8(bytes).unwrap()
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

/// Files under the organization's export folder, staged or published.
fn export_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(&app.state.config.files_dir);
    let list = |dir: std::path::PathBuf| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
    };
    let staged = format!("{}_exports_", app.org_id);
    let mut found = list(root.join(app.org_id.to_string()).join("exports"));
    found.extend(list(root.join(".staging")).into_iter().filter(|p| p.to_string_lossy().contains(&staged)));
    found
}

#[tokio::test]
async fn an_admin_exports_everything_as_csv_with_translated_headers_and_neutralised_formulas() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    app.gql(Some(t), "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Presupuesto\", type: NUMBER }) { id } }", json!({})).await;
    app.gql(Some(t), "mutation { createPropertyDefinition(input: { key: \"secret\", label: \"Secret\", type: TEXT, hidden: true }) { id } }", json!({})).await;
    let ana = app.contact(t, json!({ "name": "Ana María", "phone": "+50688000001", "tags": ["vip", "buyer"] })).await;
    app.contact(t, json!({ "name": "=HYPERLINK(\"http://evil\")", "phone": "+50688000002", "email": "x@y.com" })).await;
    let set =
        "mutation($c: ID!, $k: String!, $v: JSON) { setContactProperty(contactId: $c, key: $k, value: $v) { id } }";
    app.gql(Some(t), set, json!({ "c": ana["id"], "k": "budget", "v": 250000 })).await;
    app.gql(Some(t), set, json!({ "c": ana["id"], "k": "secret", "v": "hush" })).await;

    let job = export(&app, t, json!({ "format": "CSV", "scope": "ALL", "language": "ES" })).await;
    assert_eq!(job["state"], "DONE", "{job}");
    assert_eq!(
        (job["format"].as_str(), job["scope"].as_str(), job["language"].as_str()),
        (Some("CSV"), Some("ALL"), Some("ES"))
    );
    assert_eq!(job["createdBy"]["email"], "owner@acme.test");
    let rows = csv_rows(&download(&app, &job).await);
    let header = &rows[0];
    assert_eq!(&header[..4], &["Nombre", "Teléfono", "Correo electrónico", "Etapa"]);
    assert!(header.contains(&"Presupuesto".to_string()));
    assert!(!header.contains(&"Secret".to_string()), "hidden properties only when asked");
    assert_eq!(job["rowCount"], (rows.len() - 1) as i64, "the history counts the rows in the file");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ana_row = rows.iter().find(|r| r[0] == "Ana María").unwrap();
    assert_eq!(ana_row[col("Teléfono")], "+50688000001", "a phone is a value, not a formula");
    assert_eq!(ana_row[col("Etiquetas")], "buyer, vip");
    assert_eq!(ana_row[col("Presupuesto")], "250000");
    assert_eq!(ana_row[col("Etapa")], "New");
    assert!(rows.iter().any(|r| r[0] == "'=HYPERLINK(\"http://evil\")"), "formula neutralised: {rows:?}");

    let with_hidden = export(
        &app,
        t,
        json!({ "format": "CSV", "scope": "ALL", "includeHidden": true, "columns": ["name", "secret"] }),
    )
    .await;
    let rows = csv_rows(&download(&app, &with_hidden).await);
    assert_eq!(rows[0], vec!["Name", "Secret"]);
    assert!(rows.contains(&vec!["Ana María".to_string(), "hush".to_string()]));
}

#[tokio::test]
async fn xlsx_cells_are_strings_never_formulas_and_json_is_one_array() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    app.contact(t, json!({ "name": "=1+1", "phone": "+50688000003" })).await;
    app.contact(t, json!({ "name": "Plain", "phone": "+50688000004" })).await;

    let job = export(&app, t, json!({ "format": "XLSX", "scope": "ALL", "language": "PT" })).await;
    let (status, bytes) = app.download(job["downloadUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let formulas = book.worksheet_formula(&sheet).unwrap();
    assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "no formulas in the file");
    let range = book.worksheet_range(&sheet).unwrap();
    assert_eq!(range.get((0, 0)), Some(&Data::String("Nome".into())));
    assert!(range.rows().any(|r| r[0] == Data::String("=1+1".into())), "the text is kept as text");
    assert_eq!(job["rowCount"], 2);

    let job = export(&app, t, json!({ "format": "JSON", "scope": "ALL" })).await;
    let items: Vec<Value> = serde_json::from_str(&download(&app, &job).await).unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["name"] == "=1+1" && i["phone"] == "+50688000003"));
    assert_eq!(items[0]["user_initiated_conversations"], 0);
}

#[tokio::test]
async fn each_role_exports_exactly_what_it_sees_and_viewers_cannot_export() {
    let app = TestApp::new().await;
    let (a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (b_id, _) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer) = app.user("VIEWER", "v@acme.test").await;
    let t = &app.owner_token;
    app.contact(t, json!({ "name": "Mine", "phone": "+50688000011", "assigneeId": a_id })).await;
    let theirs = app.contact(t, json!({ "name": "Theirs", "phone": "+50688000012", "assigneeId": b_id })).await;
    app.contact(t, json!({ "name": "Nobody's", "phone": "+50688000013" })).await;

    let job = export(&app, &agent_a, json!({ "format": "CSV", "scope": "ALL", "columns": ["name"] })).await;
    let mut names: Vec<String> =
        csv_rows(&download(&app, &job).await).into_iter().skip(1).map(|r| r[0].clone()).collect();
    names.sort();
    assert_eq!(names, vec!["Mine", "Nobody's"]);

    // Selecting another agent's contact by id leaves it out; searching for it finds nothing.
    let job = export(&app, &agent_a, json!({ "format": "CSV", "scope": "SELECTED", "ids": [theirs["id"]] })).await;
    assert_eq!(job["rowCount"], 0);
    let job = export(&app, &agent_a, json!({ "format": "JSON", "scope": "FILTERED", "search": "Theirs" })).await;
    assert_eq!(download(&app, &job).await.trim(), "[]");

    let res = start(&app, &viewer, json!({ "format": "CSV", "scope": "ALL" })).await;
    assert_eq!(code(&res), "FORBIDDEN");

    // The admin's export of everything is not in the agent's history, nor reachable by id.
    let admin_job = export(&app, t, json!({ "format": "CSV", "scope": "ALL" })).await;
    assert_eq!(admin_job["rowCount"], 3);
    let history = app.gql(Some(&agent_a), "{ exportJobs(first: 20) { edges { node { id } } } }", json!({})).await;
    let ids: Vec<&str> = history["data"]["exportJobs"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&admin_job["id"].as_str().unwrap()));
    let other = app.gql(Some(&agent_a), JOB, json!({ "id": admin_job["id"] })).await;
    assert_eq!(other["data"]["exportJob"], Value::Null);
    let owner_history = app.gql(Some(t), "{ exportJobs(first: 20) { totalCount } }", json!({})).await;
    assert_eq!(owner_history["data"]["exportJobs"]["totalCount"], 4);
}

#[tokio::test]
async fn bad_requests_are_refused_before_any_job_and_links_cannot_be_bent() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    for (input, expected) in [
        (json!({ "format": "CSV", "scope": "FILTERED" }), "BAD_USER_INPUT"),
        (json!({ "format": "CSV", "scope": "SELECTED", "ids": [] }), "BAD_USER_INPUT"),
        (json!({ "format": "CSV", "scope": "ALL", "search": "x" }), "BAD_USER_INPUT"),
        (json!({ "format": "CSV", "scope": "ALL", "columns": ["name", "nope"] }), "BAD_USER_INPUT"),
        (
            json!({ "format": "CSV", "scope": "ALL", "createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z" }),
            "BAD_USER_INPUT",
        ),
    ] {
        assert_eq!(code(&start(&app, t, input).await), expected);
    }
    assert_eq!(app.run_jobs().await, 0, "no job was queued");

    app.contact(t, json!({ "name": "Ana", "phone": "+50688000021" })).await;
    let job = export(&app, t, json!({ "format": "CSV", "scope": "ALL" })).await;
    let link = job["downloadUrl"].as_str().unwrap().to_string();
    let (other_org, _) = app.other_organization().await;
    let bent = link.replace(&app.org_id.to_string(), &other_org.to_string());
    assert_eq!(app.download(&bent).await.0, 403, "another organization's path with this signature");
    let altered = link.replace("signature=", "signature=00");
    assert_eq!(app.download(&altered).await.0, 403);
    let expired = link.split("?expires=").next().unwrap().to_string() + "?expires=1&signature=00";
    assert_eq!(app.download(&expired).await.0, 403);
    assert_eq!(app.download(link.split('?').next().unwrap()).await.0, 403, "a bare path is not a link");
}

#[tokio::test]
async fn cancelled_and_failed_exports_leave_no_file_and_no_link() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    app.contact(t, json!({ "name": "Ana", "phone": "+50688000031" })).await;

    // Cancelled while queued.
    let id = start(&app, t, json!({ "format": "CSV", "scope": "ALL" })).await["data"]["startExport"]["id"].clone();
    let res = app.gql(Some(t), "mutation($id: ID!) { cancelExport(id: $id) { state } }", json!({ "id": id })).await;
    assert_eq!(res["data"]["cancelExport"]["state"], "CANCELLED");

    // Cancelled after a server claimed it: it stops before writing a file.
    let id = start(&app, t, json!({ "format": "XLSX", "scope": "ALL" })).await["data"]["startExport"]["id"].clone();
    let claimed = api::jobs::queue::claim(&app.db, "worker").await.unwrap().unwrap();
    let res = app.gql(Some(t), "mutation($id: ID!) { cancelExport(id: $id) { state } }", json!({ "id": id })).await;
    assert_eq!(res["data"]["cancelExport"]["state"], "RUNNING", "asked to stop");
    api::jobs::worker::run(&app.state.job_runtime(), claimed, None).await.unwrap();
    let job = app.gql(Some(t), JOB, json!({ "id": id })).await["data"]["exportJob"].clone();
    assert_eq!((job["state"].as_str(), &job["downloadUrl"]), (Some("CANCELLED"), &Value::Null));

    // Its creator is deactivated before it runs: it fails with a reason.
    let (agent_id, agent) = app.user("AGENT", "gone@acme.test").await;
    let id =
        start(&app, &agent, json!({ "format": "JSON", "scope": "ALL" })).await["data"]["startExport"]["id"].clone();
    app.gql(
        Some(t),
        "mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { id } }",
        json!({ "id": agent_id }),
    )
    .await;
    app.run_jobs().await;
    let job = app.gql(Some(t), JOB, json!({ "id": id })).await["data"]["exportJob"].clone();
    assert_eq!(job["state"], "FAILED", "{job}");
    assert_eq!(job["downloadUrl"], Value::Null);
    assert!(export_files(&app).is_empty(), "no file, staged or not: {:?}", export_files(&app));
}

#[tokio::test]
async fn export_contact_data_gives_everything_about_one_person_to_admins_only() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let (_, agent) = app.user("AGENT", "a@acme.test").await;
    let c = app
        .contact(t, json!({ "name": "Ana", "phone": "+50688000041", "email": "ana@mail.test", "tags": ["vip"] }))
        .await;
    app.gql(Some(t), "mutation($c: ID!) { addNote(contactId: $c, body: \"Called\") { id } }", json!({ "c": c["id"] }))
        .await;
    let q = "mutation($c: ID!) { exportContactData(contactId: $c) }";
    let doc = app.gql(Some(t), q, json!({ "c": c["id"] })).await["data"]["exportContactData"].clone();
    assert_eq!(doc["contact"]["name"], "Ana");
    assert_eq!(doc["contact"]["email"], "ana@mail.test");
    assert_eq!(doc["tags"], json!(["vip"]));
    assert_eq!(doc["notes"][0]["body"], "Called");
    assert!(
        doc["identifiers"].as_array().unwrap().iter().any(|i| i["kind"] == "PHONE" && i["value"] == "+50688000041")
    );
    assert!(doc["auditEvents"].as_array().unwrap().iter().any(|e| e["kind"] == "contact.created"), "{doc}");
    assert!(doc["conversations"].is_array() && doc["reservations"].is_array());

    assert_eq!(code(&app.gql(Some(&agent), q, json!({ "c": c["id"] })).await), "FORBIDDEN");
    let (_, foreign) = app.other_organization().await;
    let foreign_contact = app.contact(&foreign, json!({ "name": "Elsewhere", "phone": "+50688000042" })).await;
    assert_eq!(code(&app.gql(Some(t), q, json!({ "c": foreign_contact["id"] })).await), "NOT_FOUND");
    let trail = app
        .gql(
            Some(t),
            "query($c: ID!) { auditEvents(contactId: $c, first: 20) { edges { node { kind } } } }",
            json!({ "c": c["id"] }),
        )
        .await;
    assert!(trail.to_string().contains("contact.data_exported"), "{trail}");
}

#[tokio::test]
async fn an_admin_demoted_to_agent_no_longer_gets_links_to_the_files_made_as_admin() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.user("ADMIN", "admin@acme.test").await;
    app.contact(&app.owner_token, json!({ "name": "Ana", "phone": "+50688000141" })).await;
    let job = export(&app, &admin, json!({ "format": "CSV", "scope": "ALL" })).await;
    assert!(job["downloadUrl"].is_string(), "{job}");
    let demote = "mutation($id: ID!) { updateUser(id: $id, input: { role: AGENT }) { role } }";
    let res = app.gql(Some(&app.owner_token), demote, json!({ "id": admin_id })).await;
    assert_eq!(res["data"]["updateUser"]["role"], "AGENT", "{res}");
    let again = app.gql(Some(&admin), JOB, json!({ "id": job["id"] })).await["data"]["exportJob"].clone();
    assert_eq!(again["downloadUrl"], Value::Null, "{again}");
    let owner_view = app.gql(Some(&app.owner_token), JOB, json!({ "id": job["id"] })).await;
    assert!(owner_view["data"]["exportJob"]["downloadUrl"].is_string());
}

/// An export carries what integrations match on: the contact id, its wa_id and every identity, also for a
/// contact known only by its WhatsApp user id.
#[tokio::test]
async fn exports_carry_the_contact_id_and_every_identity() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let api = app
        .gql(Some(t), "mutation { createChannel(input: { kind: API, name: \"Bot\" }) { id } }", json!({}))
        .await["data"]["createChannel"]["id"]
        .clone();
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let sender = json!({ "waUserId": "US.10442", "username": "mateo_mx", "telegramId": "998877", "name": "Mateo" });
    let res = app.gql(Some(t), inbound, json!({ "i": { "channelId": api, "sender": sender, "body": "hola" } })).await;
    let id = res["data"]["recordInboundMessage"]["contact"]["id"].as_str().unwrap().to_string();
    let external =
        "mutation($c: ID!) { setExternalId(contactId: $c, system: \"hubspot\", externalId: \"hs-9\") { id } }";
    assert!(app.gql(Some(t), external, json!({ "c": id })).await["errors"].is_null());
    let job = export(&app, t, json!({ "format": "CSV", "scope": "ALL", "language": "EN" })).await;
    let rows = csv_rows(&download(&app, &job).await);
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}: {:?}", rows[0]));
    let mateo = rows.iter().find(|r| r[col("Name")] == "Mateo").unwrap();
    assert_eq!(mateo[col("Contact ID")], id);
    assert_eq!(mateo[col("Phone")], "", "a contact without a phone is exported too");
    assert_eq!(mateo[col("WhatsApp user ID")], "US.10442");
    assert_eq!(mateo[col("Username")], "mateo_mx");
    assert_eq!(mateo[col("Telegram ID")], "998877");
    assert_eq!(mateo[col("External IDs")], "hubspot:hs-9");
}

/// JSON keeps types (numbers, booleans, dates, lists; null for what a contact lacks), and every file
/// downloads under a name that says what it holds.
#[tokio::test]
async fn json_exports_keep_types_and_files_are_named_for_what_they_hold() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    for (key, kind, options) in [
        ("budget", "NUMBER", None),
        ("financed", "BOOLEAN", None),
        ("visit", "DATE", None),
        ("zones", "LIST", Some(["Escazú", "Santa Ana"])),
    ] {
        let def = "mutation($i: CreatePropertyDefinitionInput!) { createPropertyDefinition(input: $i) { id } }";
        let input = json!({ "key": key, "label": key, "type": kind, "options": options });
        assert!(app.gql(Some(t), def, json!({ "i": input })).await["errors"].is_null());
    }
    let ana = app.contact(t, json!({ "name": "Ana", "phone": "+50688000051", "tags": ["vip", "buyer"] })).await;
    app.contact(t, json!({ "name": "Bare", "phone": "+50688000052" })).await;
    let set =
        "mutation($c: ID!, $k: String!, $v: JSON) { setContactProperty(contactId: $c, key: $k, value: $v) { id } }";
    for (k, v) in [
        ("budget", json!(250000.5)),
        ("financed", json!(true)),
        ("visit", json!("2026-12-24")),
        ("zones", json!("Escazú")),
    ] {
        let res = app.gql(Some(t), set, json!({ "c": ana["id"], "k": k, "v": v })).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    let job = export(&app, t, json!({ "format": "JSON", "scope": "FILTERED", "search": "a" })).await;
    let items: Vec<Value> = serde_json::from_str(&download(&app, &job).await).unwrap();
    let ana = items.iter().find(|i| i["name"] == "Ana").unwrap_or_else(|| panic!("{items:?}"));
    assert_eq!(ana["budget"], json!(250000.5));
    assert_eq!(ana["financed"], json!(true));
    assert_eq!(ana["visit"], json!("2026-12-24"));
    assert_eq!(ana["zones"], json!("Escazú"));
    assert_eq!(ana["tags"], json!(["buyer", "vip"]));
    assert_eq!(ana["email"], Value::Null);
    assert_eq!(ana["wa_user_id"], Value::Null);
    assert_eq!(ana["external_ids"], Value::Null);
    let bare = items.iter().find(|i| i["name"] == "Bare").unwrap();
    assert_eq!((&bare["tags"], &bare["budget"], &bare["assignee"]), (&json!([]), &Value::Null, &Value::Null));

    // Today where the organization is (Costa Rica, UTC-6 all year).
    let today = (chrono::Utc::now() - chrono::Duration::hours(6)).format("%Y-%m-%d").to_string();
    let name = format!("acme-realty-contacts-filtered-{today}.json");
    let q = "query($id: ID!) { exportJob(id: $id) { fileName } }";
    let named = app.gql(Some(t), q, json!({ "id": job["id"] })).await;
    assert_eq!(named["data"]["exportJob"]["fileName"], name.as_str(), "{named}");
    let link = job["downloadUrl"].as_str().unwrap();
    let response = app.send(axum::http::Request::get(link).body(axum::body::Body::empty()).unwrap()).await;
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
}
