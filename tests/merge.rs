//! Merging duplicates, previewing a merge, and undoing it.

use serde_json::{Value, json};

use crate::{
    harness::{TestApp, code},
    inbound::{NUMBER_ID, SECRET, text},
};

const MERGE: &str = "mutation($p: ID!, $d: [ID!]!, $k: [MergeChoiceInput!], $preview: Boolean) {
  mergeContacts(primaryId: $p, duplicateIds: $d, keep: $k, preview: $preview) { mergeId contact { id name email phone }
  preview { tags { name } notesCount conversationsCount messagesCount properties { key value } } } }";
const VIEW: &str =
    "query($id: ID!) { contact(id: $id) { name email phone tags { name } properties { definition { key } value }
  notes { totalCount } identifiers { value } stats { userInitiatedConversations }
  conversations { messages { totalCount } } } }";

/// Two people who are one: Ana (primary, from WhatsApp) and "Ana María" (duplicate, also from WhatsApp).
async fn pair(app: &TestApp) -> (String, String) {
    app.whatsapp_channel(NUMBER_ID, SECRET).await;
    app.webhook(&text("50688881111", Some("Ana"), "wamid.a1", "hola", 1_760_000_000), Some(SECRET)).await;
    for (i, ts) in [1_760_000_100, 1_760_000_200].iter().enumerate() {
        app.webhook(&text("50688882222", Some("Ana María"), &format!("wamid.b{i}"), "hola", *ts), Some(SECRET)).await;
    }
    let list = app
        .gql(
            Some(&app.owner_token),
            "{ contacts(orderBy: { field: NAME, direction: ASC }) { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    let ids: Vec<String> = list["data"]["contacts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    let (a, b) = (ids[0].clone(), ids[1].clone());
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }",
        json!({}),
    )
    .await;
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"city\", label: \"City\", type: TEXT }) { id } }",
        json!({}),
    )
    .await;
    let set =
        "mutation($id: ID!, $k: String!, $v: JSON) { setContactProperty(contactId: $id, key: $k, value: $v) { id } }";
    app.gql(Some(&app.owner_token), set, json!({ "id": a, "k": "budget", "v": 100 })).await;
    app.gql(Some(&app.owner_token), set, json!({ "id": b, "k": "budget", "v": 200 })).await;
    app.gql(Some(&app.owner_token), set, json!({ "id": b, "k": "city", "v": "Escazú" })).await;
    let tag = "mutation($id: ID!, $t: String!) { addTags(contactId: $id, names: [$t]) { id } }";
    app.gql(Some(&app.owner_token), tag, json!({ "id": a, "t": "VIP" })).await;
    app.gql(Some(&app.owner_token), tag, json!({ "id": b, "t": "Buyer" })).await;
    app.gql(
        Some(&app.owner_token),
        "mutation($id: ID!) { updateContact(id: $id, input: { email: \"ana@mail.com\" }) { id } }",
        json!({ "id": b }),
    )
    .await;
    for id in [&a, &b] {
        app.gql(
            Some(&app.owner_token),
            "mutation($id: ID!) { addNote(contactId: $id, body: \"called\") { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    (a, b)
}

async fn view(app: &TestApp, id: &str) -> Value {
    app.gql(Some(&app.owner_token), VIEW, json!({ "id": id })).await["data"]["contact"].clone()
}

#[tokio::test]
async fn merging_moves_everything_to_the_primary_and_undo_splits_it_back() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let (a_before, b_before) = (view(&app, &a).await, view(&app, &b).await);
    let keep = json!([{ "field": "NAME", "fromContactId": b }]);

    let preview = app.gql(Some(&app.owner_token), MERGE, json!({ "p": a, "d": [b], "k": keep, "preview": true })).await;
    assert!(preview["data"]["mergeContacts"]["mergeId"].is_null(), "{preview}");
    assert_eq!(preview["data"]["mergeContacts"]["contact"]["name"], "Ana María");
    // The preview shows what the merge leaves, the duplicate's tags, notes, messages and values included.
    assert_eq!(
        preview["data"]["mergeContacts"]["preview"],
        json!({ "tags": [{ "name": "Buyer" }, { "name": "VIP" }], "notesCount": 2, "conversationsCount": 1, "messagesCount": 3,
                "properties": [{ "key": "budget", "value": 100 }, { "key": "city", "value": "Escazú" }] })
    );
    for (bad, why) in [
        (json!([{ "field": "PROPERTY", "fromContactId": b }]), "a property choice without its key"),
        (json!([{ "field": "EMAIL", "fromContactId": uuid::Uuid::new_v4() }]), "a contact outside the merge"),
    ] {
        let res = app.gql(Some(&app.owner_token), MERGE, json!({ "p": a, "d": [b], "k": bad, "preview": true })).await;
        assert_eq!(
            (code(&res), &res["errors"][0]["extensions"]["field"]),
            ("BAD_USER_INPUT", &json!("keep")),
            "{why}: {res}"
        );
    }
    assert_eq!(view(&app, &a).await, a_before, "a preview writes nothing");
    assert_eq!(view(&app, &b).await, b_before);

    let res = app.gql(Some(&app.owner_token), MERGE, json!({ "p": a, "d": [b], "k": keep })).await;
    let merge_id = res["data"]["mergeContacts"]["mergeId"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    let merged = view(&app, &a).await;
    assert_eq!(merged["name"], "Ana María");
    assert_eq!(merged["email"], "ana@mail.com", "empty fields are filled from the duplicate");
    assert_eq!(merged["phone"], "+50688881111", "the primary's phone stays");
    assert_eq!(merged["tags"], json!([{ "name": "Buyer" }, { "name": "VIP" }]));
    assert_eq!(
        merged["properties"],
        json!([{ "definition": { "key": "budget" }, "value": 100 }, { "definition": { "key": "city" }, "value": "Escazú" }])
    );
    assert_eq!(merged["notes"]["totalCount"], 2);
    assert_eq!(merged["conversations"].as_array().unwrap().len(), 1, "one conversation per channel");
    assert_eq!(merged["conversations"][0]["messages"]["totalCount"], 3);
    assert_eq!(merged["identifiers"].as_array().unwrap().len(), 6);
    assert_eq!(merged["stats"]["userInitiatedConversations"], 2);
    assert!(view(&app, &b).await.is_null(), "the duplicate is gone");
    // A message from the duplicate's number now joins the primary.
    app.webhook(&text("50688882222", Some("Ana María"), "wamid.b9", "sigo aquí", 1_760_000_300), Some(SECRET)).await;
    assert_eq!(
        app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await["data"]["contacts"]["totalCount"],
        1
    );

    let undo = "mutation($m: ID!) { undoMerge(mergeId: $m) { contact { name } restored { id name } } }";
    let res = app.gql(Some(&app.owner_token), undo, json!({ "m": merge_id })).await;
    assert_eq!(res["data"]["undoMerge"]["restored"][0]["id"], b, "{res}");
    let a_after = view(&app, &a).await;
    let b_after = view(&app, &b).await;
    assert_eq!(a_after["name"], "Ana");
    assert_eq!(a_after["tags"], a_before["tags"]);
    assert_eq!(a_after["properties"], a_before["properties"]);
    assert_eq!(a_after["notes"], a_before["notes"]);
    assert_eq!(a_after["identifiers"], a_before["identifiers"]);
    assert_eq!(b_after["name"], b_before["name"]);
    assert_eq!(b_after["tags"], b_before["tags"]);
    assert_eq!(b_after["properties"], b_before["properties"]);
    assert_eq!(b_after["notes"], b_before["notes"]);
    assert_eq!(b_after["identifiers"], b_before["identifiers"]);
    assert_eq!(b_after["conversations"][0]["messages"]["totalCount"], 2);
    assert_eq!(
        code(&app.gql(Some(&app.owner_token), undo, json!({ "m": merge_id })).await),
        "NOT_FOUND",
        "undone once"
    );
}

#[tokio::test]
async fn merges_refuse_bad_input_and_contacts_out_of_sight() {
    let app = TestApp::new().await;
    let a = app.contact(&app.owner_token, json!({ "name": "A" })).await["id"].clone();
    let b = app.contact(&app.owner_token, json!({ "name": "B" })).await["id"].clone();
    let (_, other) = app.other_organization().await;
    let foreign = app.contact(&other, json!({ "name": "F" })).await["id"].clone();
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    let cases = [
        (json!({ "p": a, "d": [a] }), "BAD_USER_INPUT"),
        (json!({ "p": a, "d": [] }), "BAD_USER_INPUT"),
        (json!({ "p": a, "d": [b], "k": [{ "field": "NAME", "fromContactId": foreign }] }), "BAD_USER_INPUT"),
        (json!({ "p": a, "d": [foreign] }), "NOT_FOUND"),
        (json!({ "p": foreign, "d": [a] }), "NOT_FOUND"),
    ];
    for (vars, expected) in cases {
        assert_eq!(code(&app.gql(Some(&app.owner_token), MERGE, vars.clone()).await), expected, "{vars}");
    }
    assert_eq!(code(&app.gql(Some(&agent), MERGE, json!({ "p": a, "d": [b] })).await), "FORBIDDEN");
    let all = app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await;
    assert_eq!(all["data"]["contacts"]["totalCount"], 2, "nothing moved");
    assert_eq!(
        app.gql(Some(&other), "{ contacts { totalCount } }", json!({})).await["data"]["contacts"]["totalCount"],
        1
    );
}

#[tokio::test]
async fn duplicate_candidates_group_one_email_or_one_phone_line_and_nothing_else() {
    let app = TestApp::new().await;
    let mk =
        |name: &str, phone: Option<&str>, email: Option<&str>| json!({ "name": name, "phone": phone, "email": email });
    for input in [
        mk("Ana López", Some("+50688881234"), Some("ana@mail.com")),
        mk("Ana Lopez", Some("+50688871234"), None),
        mk("Someone", Some("+50587881234"), Some("someone@mail.com")),
        mk("Unrelated", Some("+50688880000"), Some("u@mail.com")),
        mk("Nicaragua Twin", Some("+50588880000"), None),
        mk("Bruna", Some("+5511987654321"), None),
        mk("Bruna old", Some("+5511987650000"), None),
        mk("Mateo", Some("+525512345678"), None),
        mk("Mateo old", Some("+525512340000"), None),
    ] {
        app.contact(&app.owner_token, input).await;
    }
    // Rows written before forms and cases were unified: the other mobile form, an email in capitals.
    for (name, column, value) in [
        ("Bruna old", "phone", "+551187654321"),
        ("Mateo old", "phone", "+5215512345678"),
        ("Someone", "email", "ANA@Mail.com"),
    ] {
        app.execute(&format!("UPDATE contacts SET {column} = '{value}' WHERE name = '{name}'")).await;
    }
    let q = "query($after: String) { duplicateCandidates(first: 2, after: $after) {
        edges { cursor node { reason matchedValue contacts { name } } } pageInfo { hasNextPage endCursor } totalCount } }";
    let page1 = app.gql(Some(&app.owner_token), q, json!({})).await["data"]["duplicateCandidates"].clone();
    let page2 = app.gql(Some(&app.owner_token), q, json!({ "after": page1["pageInfo"]["endCursor"] })).await["data"]["duplicateCandidates"].clone();
    let groups: Vec<(String, String, Vec<String>)> = [page1.clone(), page2.clone()]
        .iter()
        .flat_map(|p| p["edges"].as_array().unwrap().clone())
        .map(|e| {
            let names = e["node"]["contacts"].as_array().unwrap().iter();
            let names = names.map(|c| c["name"].as_str().unwrap().to_string()).collect();
            let reason = e["node"]["reason"].as_str().unwrap().to_string();
            (reason, e["node"]["matchedValue"].as_str().unwrap().to_string(), names)
        })
        .collect();
    assert_eq!(page1["pageInfo"]["hasNextPage"], true, "{page1} {groups:?}");
    assert_eq!(page2["pageInfo"]["hasNextPage"], false, "{page2}");
    let group = |reason: &str, key: &str, names: [&str; 2]| {
        (reason.to_string(), key.to_string(), names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
    };
    assert_eq!(
        groups,
        vec![
            group("SAME_EMAIL", "ana@mail.com", ["Ana López", "Someone"]),
            group("SAME_PHONE", "+525512345678", ["Mateo", "Mateo old"]),
            group("SAME_PHONE", "+5511987654321", ["Bruna", "Bruna old"]),
        ],
        "numbers that only share digits are not grouped"
    );
    assert_eq!(page1["totalCount"], 3);
    assert_eq!(page2["totalCount"], 3);
    let (_, agent) = app.user("AGENT", "agent@acme.test").await;
    assert_eq!(code(&app.gql(Some(&agent), q, json!({})).await), "FORBIDDEN");
}

#[tokio::test]
async fn a_merge_keeps_the_latest_consent_per_channel_and_undo_gives_each_back() {
    let app = TestApp::new().await;
    let (a, b) = pair(&app).await;
    let channels = app.gql(Some(&app.owner_token), "{ channels { id } }", json!({})).await;
    let channel = channels["data"]["channels"][0]["id"].clone();
    let set = "mutation($c: ID!, $ch: ID!, $s: ConsentStatus!, $at: DateTime!) {
        setConsent(contactId: $c, channelId: $ch, status: $s, method: \"web form\", recordedAt: $at) { status } }";
    for (contact, status, at) in [(&a, "OPTED_IN", "2026-01-01T00:00:00Z"), (&b, "OPTED_OUT", "2026-02-01T00:00:00Z")] {
        let res =
            app.gql(Some(&app.owner_token), set, json!({ "c": contact, "ch": channel, "s": status, "at": at })).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    let consents = |id: String| {
        let app = &app;
        async move {
            let q = "query($id: ID!) { contact(id: $id) { consents { status recordedAt } } }";
            app.gql(Some(&app.owner_token), q, json!({ "id": id })).await["data"]["contact"]["consents"].clone()
        }
    };
    let res = app.gql(Some(&app.owner_token), MERGE, json!({ "p": a, "d": [b] })).await;
    let merge_id = res["data"]["mergeContacts"]["mergeId"].clone();
    assert_eq!(
        consents(a.clone()).await,
        json!([{ "status": "OPTED_OUT", "recordedAt": "2026-02-01T00:00:00+00:00" }]),
        "the person's latest word on the channel wins"
    );
    let undo = "mutation($m: ID!) { undoMerge(mergeId: $m) { contact { id } } }";
    let res = app.gql(Some(&app.owner_token), undo, json!({ "m": merge_id })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(consents(a.clone()).await[0]["status"], "OPTED_IN");
    assert_eq!(consents(b.clone()).await[0]["status"], "OPTED_OUT");
}
