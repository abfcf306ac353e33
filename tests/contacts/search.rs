//! Fragment search answers the same on SQLite (an FTS5 trigram index) as on PostgreSQL (a trigram index),
//! and follows every edit and deletion.

use serde_json::json;

use crate::harness::TestApp;

async fn found(app: &TestApp, term: &str) -> Vec<String> {
    let q = "query($s: String) { contacts(search: $s, orderBy: { field: NAME, direction: ASC }) { edges { node { name } } } }";
    let res = app.gql(Some(&app.owner_token), q, json!({ "s": term })).await;
    let edges = res["data"]["contacts"]["edges"].as_array().unwrap_or_else(|| panic!("{term}: {res}")).clone();
    edges.iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn fragments_find_the_same_contacts_on_both_databases_and_follow_edits() {
    let app = TestApp::new().await;
    let t = &app.owner_token;
    let people = [
        ("María José Solís", "+50688001001", Some("mjose@casa.cr")),
        ("Mariano Quesada", "+50688002002", None),
        ("Ximena 50% Off_Sale", "+50687003003", Some("xime@tienda.cr")),
        ("Ana", "+50688004004", None),
    ];
    for (name, phone, email) in people {
        app.contact(t, json!({ "name": name, "phone": phone, "email": email })).await;
    }
    let cases: [(&str, &[&str]); 10] = [
        ("mari", &["María José Solís", "Mariano Quesada"]),
        ("MARÍA JOSÉ", &["María José Solís"]),
        ("jose@casa", &["María José Solís"]),
        ("quesada", &["Mariano Quesada"]),
        ("an", &["Ana", "Mariano Quesada"]),
        ("8800", &["Ana", "María José Solís", "Mariano Quesada"]),
        ("50% off", &["Ximena 50% Off_Sale"]),
        ("off_s", &["Ximena 50% Off_Sale"]),
        ("of%", &[]),
        ("zqxj", &[]),
    ];
    for (term, expected) in cases {
        assert_eq!(found(&app, term).await, expected, "searching {term}");
    }
    // An edit moves the contact in the index; a deletion takes it out.
    let ana = app.gql(Some(t), "{ contacts(search: \"ana\") { edges { node { id name } } } }", json!({})).await;
    let id = ana["data"]["contacts"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["name"] == "Ana").unwrap()
        ["node"]["id"]
        .clone();
    let rename = "mutation($id: ID!) { updateContact(id: $id, input: { name: \"Beatriz\" }) { name } }";
    assert_eq!(app.gql(Some(t), rename, json!({ "id": id })).await["data"]["updateContact"]["name"], "Beatriz");
    assert_eq!(found(&app, "beatr").await, ["Beatriz"]);
    assert!(!found(&app, "ana").await.contains(&"Ana".to_string()));
    app.gql(Some(t), "mutation($id: ID!) { deleteContact(id: $id) { id } }", json!({ "id": id })).await;
    assert!(found(&app, "beatr").await.is_empty());
    // A contact created after the index was built is found too.
    app.contact(t, json!({ "name": "Zoe Trigram", "phone": "+50688005005" })).await;
    assert_eq!(found(&app, "trigr").await, ["Zoe Trigram"]);
}
