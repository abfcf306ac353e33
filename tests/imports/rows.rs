//! What each row becomes: created, duplicate, invalid or beyond the plan; and the dry run.

use serde_json::json;

use super::{contact_count, import, report, xlsx};
use crate::harness::{TestApp, code};

#[tokio::test]
async fn headers_in_spanish_are_mapped_and_previewed() {
    let app = TestApp::new().await;
    app.gql(Some(&app.owner_token), "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Presupuesto\", type: NUMBER }) { id } }", json!({})).await;
    let file = xlsx(&[
        vec!["Teléfono", "Nombre", "Correo", "Etiquetas", "Presupuesto", "Notas"],
        vec!["8888 1234", "José", "jose@mail.com", "VIP", "1000"],
    ]);
    let q = "mutation($file: Upload!) { previewImport(file: $file) { headers rows totalRows suggestedMapping { column field propertyKey } } }";
    let (_, res) = app.upload(&app.owner_token, q, json!({}), "contactos.xlsx", &file).await;
    let p = &res["data"]["previewImport"];
    assert_eq!(p["totalRows"], 1, "{res}");
    assert_eq!(p["rows"][0][1], "José");
    let fields: Vec<&str> =
        p["suggestedMapping"].as_array().unwrap().iter().map(|m| m["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["PHONE", "NAME", "EMAIL", "TAGS", "PROPERTY", "IGNORE"]);
    assert_eq!(p["suggestedMapping"][4]["propertyKey"], "budget");
}

#[tokio::test]
async fn each_row_is_created_skipped_or_reported_invalid_and_nothing_is_overwritten() {
    let app = TestApp::new().await;
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }",
        json!({}),
    )
    .await;
    app.contact(&app.owner_token, json!({ "name": "Already here", "phone": "+50688880001" })).await;
    let file = xlsx(&[
        vec!["phone", "name", "email", "tags", "budget"],
        vec!["+506 8888 0002", "Ana", "ana@mail.com", "VIP, Buyer", "250000"],
        vec!["88880001", "Overwrite me?", "", "", ""],
        vec!["(506) 8888-0002", "Ana again", "", "", ""],
        vec!["12", "Bad phone", "", "", ""],
        vec!["+50688880003", "", "", "", ""],
        vec!["+50688880004", "Wrong budget", "", "", "lots"],
        vec!["+50688880005", "No budget", "", "", ""],
    ]);
    let job = import(&app, "leads.xlsx", &file, json!({})).await;
    assert_eq!(job["state"], "DONE", "{job}");
    assert_eq!(
        (job["total"].as_i64(), job["created"].as_i64(), job["skipped"].as_i64(), job["invalid"].as_i64()),
        (Some(7), Some(2), Some(2), Some(3))
    );
    let outcomes: Vec<String> = report(&app, &job).await.into_iter().map(|(o, _)| o).collect();
    assert_eq!(outcomes, ["CREATED", "DUPLICATE", "DUPLICATE", "INVALID", "INVALID", "INVALID", "CREATED"]);
    let reasons = report(&app, &job).await;
    assert!(reasons[3].1.contains("not a valid number"), "{:?}", reasons[3]);
    assert!(reasons[4].1.contains("Name is missing"));
    assert!(reasons[5].1.contains("Budget"));
    assert!(reasons[6].1.contains("Budget is empty"), "a missing property is reported but the row is imported");

    let q = "{ contacts(search: \"ana\") { edges { node { name source tags { name } properties { value } } } } }";
    let ana = app.gql(Some(&app.owner_token), q, json!({})).await["data"]["contacts"]["edges"][0]["node"].clone();
    assert_eq!(
        ana,
        json!({ "name": "Ana", "source": "IMPORT", "tags": [{ "name": "Buyer" }, { "name": "VIP" }], "properties": [{ "value": 250000 }] })
    );
    let kept = app.gql(Some(&app.owner_token), "{ contacts(search: \"already\") { totalCount } }", json!({})).await;
    assert_eq!(kept["data"]["contacts"]["totalCount"], 1, "the existing contact is not overwritten");
    assert_eq!(contact_count(&app).await, 3);
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_writes_no_contact() {
    let app = TestApp::new().await;
    let file = "name;phone\nAna;+50688880002\nAna bis;88880002\nBad;12\n";
    let job = import(&app, "leads.csv", file.as_bytes(), json!({ "dry": true })).await;
    assert_eq!(job["state"], "DONE");
    assert_eq!(job["dryRun"], true);
    assert_eq!(
        (job["created"].as_i64(), job["skipped"].as_i64(), job["invalid"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    let outcomes: Vec<String> = report(&app, &job).await.into_iter().map(|(o, _)| o).collect();
    assert_eq!(outcomes, ["WOULD_CREATE", "DUPLICATE", "INVALID"]);
    assert_eq!(contact_count(&app).await, 0);
}

#[tokio::test]
async fn latin1_csv_with_semicolons_and_an_explicit_mapping() {
    let app = TestApp::new().await;
    let file = b"Celular;Cliente;Ignorar\n88881111;Jos\xe9 P\xe9rez;x\n";
    let mapping = json!([{ "column": 0, "field": "PHONE" }, { "column": 1, "field": "NAME" }, { "column": 2, "field": "IGNORE" }]);
    let job = import(&app, "clientes.csv", file, json!({ "mapping": mapping })).await;
    assert_eq!(job["created"], 1, "{job}");
    let res = app.gql(Some(&app.owner_token), "{ contacts { edges { node { name phone } } } }", json!({})).await;
    assert_eq!(res["data"]["contacts"]["edges"][0]["node"], json!({ "name": "José Pérez", "phone": "+50688881111" }));
}

#[tokio::test]
async fn the_plan_limit_stops_creation_and_reports_the_rest() {
    let app = TestApp::new().await;
    app.gql(Some(&app.owner_token), "mutation { updateOrganization(input: { plan: FREE }) { plan } }", json!({})).await;
    for i in 0..98 {
        app.contact(&app.owner_token, json!({ "name": format!("L{i}") })).await;
    }
    let rows: Vec<String> = (0..5).map(|i| format!("+5068888100{i},New {i}")).collect();
    let file = format!("phone,name\n{}\n", rows.join("\n"));
    let job = import(&app, "more.csv", file.as_bytes(), json!({})).await;
    assert_eq!((job["created"].as_i64(), job["skipped"].as_i64()), (Some(2), Some(3)), "{job}");
    let outcomes: Vec<String> = report(&app, &job).await.into_iter().map(|(o, _)| o).collect();
    assert_eq!(outcomes, ["CREATED", "CREATED", "LIMIT", "LIMIT", "LIMIT"]);
    assert_eq!(contact_count(&app).await, 100);
}

#[tokio::test]
async fn only_owners_and_admins_import_and_mappings_are_checked() {
    let app = TestApp::new().await;
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let file = b"phone,name\n+50688881111,Ana\n";
    let (_, res) = app.upload(&agent, super::START, json!({}), "a.csv", file).await;
    assert_eq!(code(&res), "FORBIDDEN");
    let no_phone = json!([{ "column": 1, "field": "NAME" }]);
    let (_, res) = app.upload(&app.owner_token, super::START, json!({ "mapping": no_phone }), "a.csv", file).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
    let (_, other) = app.other_organization().await;
    let job = import(&app, "a.csv", file, json!({})).await;
    let res = app.gql(Some(&other), super::JOB, json!({ "id": job["id"] })).await;
    assert!(res["data"]["importJob"].is_null(), "another organization's job is invisible: {res}");
    let template = app.gql(Some(&app.owner_token), "{ importTemplate }", json!({})).await;
    let (status, bytes) = app.download(template["data"]["importTemplate"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"PK"));
}

/// People known only by their WhatsApp user id import too, and a row naming an identity another contact
/// holds changes nothing.
#[tokio::test]
async fn rows_with_a_whatsapp_user_id_and_no_phone_are_imported_once() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let api =
        app.gql(Some(t), "mutation { createChannel(input: { kind: API, name: \"Bot\" }) { id } }", json!({})).await;
    let inbound = "mutation($i: RecordInboundMessageInput!) { recordInboundMessage(input: $i) { contact { id } } }";
    let sender = json!({ "waUserId": "US.999", "name": "Known" });
    let channel = &api["data"]["createChannel"]["id"];
    app.gql(Some(t), inbound, json!({ "i": { "channelId": channel, "sender": sender, "body": "hi" } })).await;
    let file = xlsx(&[
        vec!["name", "phone", "WhatsApp user ID"],
        vec!["Lia", "", "CR.111"],
        vec!["Lia again", "", "CR.111"],
        vec!["Mix", "+50688001111", "CR.222"],
        vec!["Taken", "+50688002222", "US.999"],
        vec!["Nothing", "", ""],
        vec!["Spaced", "", "CR 333"],
    ]);
    let job = import(&app, "people.xlsx", &file, json!({})).await;
    assert_eq!(job["state"], "DONE", "{job}");
    let outcomes: Vec<(String, String)> = report(&app, &job).await;
    let kinds: Vec<&str> = outcomes.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(kinds, ["CREATED", "DUPLICATE", "CREATED", "DUPLICATE", "INVALID", "INVALID"], "{outcomes:?}");
    assert!(outcomes[3].1.contains("US.999"), "{outcomes:?}");
    assert!(outcomes[5].1.contains("WhatsApp user ID"), "{outcomes:?}");

    let q = "query($s: String) { contacts(search: $s) { edges { node { name phone identifiers { kind value } } } } }";
    let lia = app.gql(Some(t), q, json!({ "s": "CR.111" })).await["data"]["contacts"]["edges"].clone();
    assert_eq!(lia.as_array().unwrap().len(), 1, "{lia}");
    assert_eq!((&lia[0]["node"]["name"], &lia[0]["node"]["phone"]), (&json!("Lia"), &json!(null)));
    let mix = app.gql(Some(t), q, json!({ "s": "CR.222" })).await["data"]["contacts"]["edges"][0]["node"].clone();
    assert_eq!(mix["phone"], "+50688001111", "{mix}");
    // The refused row left no claim on its phone: a person can still be created with it.
    let created = app
        .gql(
            Some(t),
            "mutation { createContact(input: { name: \"Free\", phone: \"+50688002222\" }) { id } }",
            json!({}),
        )
        .await;
    assert!(created["errors"].is_null(), "{created}");
    assert_eq!(contact_count(&app).await, 4);
}

/// A Google Contacts export imports as it is: first and last name joined, its labels as tags without its
/// own `* myContacts` group.
#[tokio::test]
async fn a_google_contacts_export_imports_without_mapping() {
    let app = TestApp::new().await;
    let csv = "First Name,Middle Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Labels\n\
               Ana,,Pérez,Home,ana@mail.com,Mobile,+506 8888 7777,* myContacts ::: Buyers ::: VIP\n\
               ,,Solo,,,Mobile,+506 8888 7778,\n";
    let job = import(&app, "contacts.csv", csv.as_bytes(), json!({})).await;
    assert_eq!((job["state"].as_str(), job["created"].as_i64()), (Some("DONE"), Some(2)), "{job}");
    let q =
        "{ contacts(orderBy: { field: NAME, direction: ASC }) { edges { node { name email phone tags { name } } } } }";
    let edges = app.gql(Some(&app.owner_token), q, json!({})).await["data"]["contacts"]["edges"].clone();
    assert_eq!(
        edges[0]["node"],
        json!({ "name": "Ana Pérez", "email": "ana@mail.com", "phone": "+50688887777", "tags": [{ "name": "Buyers" }, { "name": "VIP" }] })
    );
    assert_eq!(edges[1]["node"]["name"], "Solo", "a last name alone is the name");
}
