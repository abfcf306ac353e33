//! Who sees what (DESIGN section 3), proven on every read and write path: a contact out of sight
//! answers exactly as one that does not exist, and a viewer's every write is FORBIDDEN.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::harness::{TestApp, code, ids};

/// One organization with every role, and a second organization.
struct World {
    app: TestApp,
    tokens: Vec<(&'static str, String)>,
    /// Contacts assigned to agent A, to agent B, unassigned, and in the other organization.
    a: String,
    b: String,
    u: String,
    other: String,
    other_owner: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let (_, admin) = app.user("ADMIN", "admin@acme.test").await;
    let (agent_a_id, agent_a) = app.user("AGENT", "a@acme.test").await;
    let (agent_b_id, agent_b) = app.user("AGENT", "b@acme.test").await;
    let (_, viewer_all) = app.user("VIEWER", "viewer@acme.test").await;
    let (_, viewer_a) = app.user_with("VIEWER", "viewer-a@acme.test", json!([agent_a_id])).await;
    app.gql(
        Some(&app.owner_token),
        "mutation { createPropertyDefinition(input: { key: \"budget\", label: \"Budget\", type: NUMBER }) { id } }",
        json!({}),
    )
    .await;
    let props = json!([{ "key": "budget", "value": 5 }]);
    let mk = |name: &str, assignee: Option<uuid::Uuid>| json!({ "name": name, "tags": ["Lead"], "assigneeId": assignee, "properties": props });
    let a = app.contact(&app.owner_token, mk("Lead Alpha", Some(agent_a_id))).await["id"].as_str().unwrap().to_string();
    let b = app.contact(&app.owner_token, mk("Lead Beta", Some(agent_b_id))).await["id"].as_str().unwrap().to_string();
    let u = app.contact(&app.owner_token, mk("Lead Unassigned", None)).await["id"].as_str().unwrap().to_string();
    for id in [&a, &b, &u] {
        app.gql(
            Some(&app.owner_token),
            "mutation($id: ID!) { addNote(contactId: $id, body: \"Lead note\") { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    let (_, other_owner) = app.other_organization().await;
    let other = app.contact(&other_owner, json!({ "name": "Lead Other", "tags": ["Lead"] })).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tokens = vec![
        ("owner", app.owner_token.clone()),
        ("admin", admin),
        ("agent A", agent_a),
        ("agent B", agent_b),
        ("viewer (all)", viewer_all),
        ("viewer (agent A)", viewer_a),
    ];
    World { app, tokens, a, b, u, other, other_owner }
}

impl World {
    fn expected(&self, who: &str) -> Vec<String> {
        let mut v = match who {
            "agent A" | "viewer (agent A)" => vec![self.a.clone(), self.u.clone()],
            "agent B" => vec![self.b.clone(), self.u.clone()],
            _ => vec![self.a.clone(), self.b.clone(), self.u.clone()],
        };
        v.sort();
        v
    }

    fn all(&self) -> [&String; 4] {
        [&self.a, &self.b, &self.u, &self.other]
    }
}

async fn listed(app: &TestApp, token: &str, vars: Value) -> (Vec<String>, i64) {
    let q = "query($search: String, $filter: ContactFilter) { contacts(first: 200, search: $search, filter: $filter) { totalCount edges { node { id } } } }";
    let res = app.gql(Some(token), q, vars).await;
    assert!(res["errors"].is_null(), "{res}");
    let mut got = ids(&res["data"]["contacts"]);
    got.sort();
    (got, res["data"]["contacts"]["totalCount"].as_i64().unwrap())
}

#[tokio::test]
async fn every_read_path_shows_each_role_exactly_its_contacts() {
    let w = world().await;
    let tag_id = {
        let t = w.app.gql(Some(&w.app.owner_token), "{ tags { id } }", json!({})).await;
        t["data"]["tags"][0]["id"].clone()
    };
    for (who, token) in &w.tokens {
        let expected = w.expected(who);
        let n = expected.len() as i64;
        let paths = [
            json!({}),
            json!({ "search": "lead" }),
            json!({ "filter": { "tagIds": [tag_id] } }),
            json!({ "filter": { "properties": [{ "key": "budget", "op": "EQ", "value": 5 }] } }),
            json!({ "filter": { "properties": [{ "key": "budget", "op": "IS_SET" }] } }),
        ];
        for vars in paths {
            assert_eq!(listed(&w.app, token, vars.clone()).await, (expected.clone(), n), "{who} via {vars}");
        }
        for id in w.all() {
            let res = w
                .app
                .gql(
                    Some(token),
                    "query($id: ID!) { contact(id: $id) { id notes { totalCount edges { node { body } } } } }",
                    json!({ "id": id }),
                )
                .await;
            let visible = expected.contains(id);
            assert_eq!(!res["data"]["contact"].is_null(), visible, "{who} reading {id}: {res}");
            if visible {
                assert_eq!(res["data"]["contact"]["notes"]["totalCount"], 1);
            }
            let audit = w
                .app
                .gql(Some(token), "query($id: ID!) { auditEvents(contactId: $id) { totalCount } }", json!({ "id": id }))
                .await;
            if visible {
                assert!(audit["data"]["auditEvents"]["totalCount"].as_i64().unwrap() >= 1, "{who}: {audit}");
            } else {
                assert_eq!(code(&audit), "NOT_FOUND", "{who} reading the audit of {id}");
            }
        }
    }
    let (others, n) = listed(&w.app, &w.other_owner, json!({ "search": "lead" })).await;
    assert_eq!((others, n), (vec![w.other.clone()], 1));
}

#[tokio::test]
async fn a_hidden_contact_answers_exactly_like_a_missing_one() {
    let w = world().await;
    let agent_b = &w.tokens[3].1;
    let missing = uuid::Uuid::now_v7().to_string();
    let writes = [
        "mutation($id: ID!) { updateContact(id: $id, input: { name: \"X\" }) { id } }",
        "mutation($id: ID!) { addTags(contactId: $id, names: [\"X\"]) { id } }",
        "mutation($id: ID!) { removeTags(contactId: $id, names: [\"Lead\"]) { id } }",
        "mutation($id: ID!) { setContactProperty(contactId: $id, key: \"budget\", value: 9) { id } }",
        "mutation($id: ID!) { addNote(contactId: $id, body: \"hi\") { id } }",
        "query($id: ID!) { auditEvents(contactId: $id) { totalCount } }",
    ];
    for q in writes {
        let hidden = w.app.gql(Some(agent_b), q, json!({ "id": w.a })).await;
        let absent = w.app.gql(Some(agent_b), q, json!({ "id": missing })).await;
        let foreign = w.app.gql(Some(agent_b), q, json!({ "id": w.other })).await;
        assert_eq!(code(&hidden), "NOT_FOUND", "{q}: {hidden}");
        assert_eq!(hidden["errors"][0]["message"], absent["errors"][0]["message"]);
        assert_eq!(hidden["errors"][0]["extensions"], absent["errors"][0]["extensions"]);
        assert_eq!(foreign["errors"][0]["extensions"], absent["errors"][0]["extensions"]);
    }
    // Nothing changed on the hidden contact.
    let owner = &w.app.owner_token;
    let c = w
        .app
        .gql(
            Some(owner),
            "query($id: ID!) { contact(id: $id) { name tags { name } properties { value } notes { totalCount } } }",
            json!({ "id": w.a }),
        )
        .await;
    assert_eq!(
        c["data"]["contact"],
        json!({ "name": "Lead Alpha", "tags": [{ "name": "Lead" }], "properties": [{ "value": 5 }], "notes": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn a_viewers_every_write_is_forbidden_and_changes_nothing() {
    let w = world().await;
    for (who, token) in &w.tokens[4..] {
        let writes = [
            ("mutation { createContact(input: { name: \"V\" }) { id } }", json!({})),
            ("mutation($id: ID!) { updateContact(id: $id, input: { name: \"V\" }) { id } }", json!({ "id": w.u })),
            ("mutation($id: ID!) { deleteContact(id: $id) { id } }", json!({ "id": w.u })),
            ("mutation($id: ID!) { addTags(contactId: $id, names: [\"V\"]) { id } }", json!({ "id": w.u })),
            ("mutation($id: ID!) { removeTags(contactId: $id, names: [\"Lead\"]) { id } }", json!({ "id": w.u })),
            (
                "mutation($id: ID!) { setContactProperty(contactId: $id, key: \"budget\", value: 1) { id } }",
                json!({ "id": w.u }),
            ),
            ("mutation($id: ID!) { addNote(contactId: $id, body: \"V\") { id } }", json!({ "id": w.u })),
            ("mutation { createTag(name: \"V\") { id } }", json!({})),
            (
                "mutation { createPropertyDefinition(input: { key: \"v\", label: \"V\", type: TEXT }) { id } }",
                json!({}),
            ),
            ("mutation { createPipelineStage(input: { name: \"V\" }) { id } }", json!({})),
            ("mutation { createListing(input: { title: \"V\" }) { id } }", json!({})),
        ];
        for (q, vars) in writes {
            let res = w.app.gql(Some(token), q, vars).await;
            assert_eq!(code(&res), "FORBIDDEN", "{who}: {q}: {res}");
        }
    }
    let owner = &w.app.owner_token;
    let c = w
        .app
        .gql(
            Some(owner),
            "query($id: ID!) { contact(id: $id) { name tags { name } properties { value } notes { totalCount } } }",
            json!({ "id": w.u }),
        )
        .await;
    assert_eq!(
        c["data"]["contact"],
        json!({ "name": "Lead Unassigned", "tags": [{ "name": "Lead" }], "properties": [{ "value": 5 }], "notes": { "totalCount": 1 } })
    );
    let (all, n) = listed(&w.app, owner, json!({})).await;
    assert_eq!((all.len(), n), (3, 3));
    let tags = w
        .app
        .gql(Some(owner), "{ tags { name } propertyDefinitions { key } listings { totalCount } }", json!({}))
        .await;
    assert_eq!(tags["data"]["tags"], json!([{ "name": "Lead" }]));
    assert_eq!(tags["data"]["propertyDefinitions"], json!([{ "key": "budget" }]));
}

#[tokio::test]
async fn agents_take_unassigned_contacts_and_release_their_own_only() {
    let w = world().await;
    let (agent_a, agent_b) = (&w.tokens[2].1, &w.tokens[3].1);
    let assign =
        "mutation($id: ID!, $to: ID) { updateContact(id: $id, input: { assigneeId: $to }) { assignee { email } } }";
    let me_b = w.app.gql(Some(agent_b), "{ me { user { id } } }", json!({})).await["data"]["me"]["user"]["id"].clone();
    let me_a = w.app.gql(Some(agent_a), "{ me { user { id } } }", json!({})).await["data"]["me"]["user"]["id"].clone();

    // A cannot hand the unassigned contact to B, nor take one that is B's (it is out of sight).
    assert_eq!(code(&w.app.gql(Some(agent_a), assign, json!({ "id": w.u, "to": me_b })).await), "FORBIDDEN");
    assert_eq!(code(&w.app.gql(Some(agent_a), assign, json!({ "id": w.b, "to": me_a })).await), "NOT_FOUND");
    // A takes the unassigned one, then B no longer sees it.
    let res = w.app.gql(Some(agent_a), assign, json!({ "id": w.u, "to": me_a })).await;
    assert_eq!(res["data"]["updateContact"]["assignee"]["email"], "a@acme.test", "{res}");
    assert!(
        w.app
            .gql(
                Some(agent_b),
                "query($id: ID!) { contact(id: $id) { id } }",
                json!({ "id": w.u })
            )
            .await["data"]["contact"]
            .is_null()
    );
    // A releases it; B sees it again.
    let res = w.app.gql(Some(agent_a), assign, json!({ "id": w.u, "to": null })).await;
    assert!(res["data"]["updateContact"]["assignee"].is_null(), "{res}");
    assert!(
        !w.app
            .gql(
                Some(agent_b),
                "query($id: ID!) { contact(id: $id) { id } }",
                json!({ "id": w.u })
            )
            .await["data"]["contact"]
            .is_null()
    );
    // Admins assign to anyone, but never to a viewer or another organization's user.
    let admin = &w.tokens[1].1;
    let res = w.app.gql(Some(admin), assign, json!({ "id": w.a, "to": me_b })).await;
    assert_eq!(res["data"]["updateContact"]["assignee"]["email"], "b@acme.test");
    let viewer =
        w.app.gql(Some(&w.tokens[4].1), "{ me { user { id } } }", json!({})).await["data"]["me"]["user"]["id"].clone();
    assert_eq!(code(&w.app.gql(Some(admin), assign, json!({ "id": w.a, "to": viewer })).await), "BAD_USER_INPUT");
}

#[tokio::test]
async fn audit_of_the_whole_organization_is_for_admins() {
    let w = world().await;
    for (who, token) in &w.tokens {
        let res = w.app.gql(Some(token), "{ auditEvents { totalCount } }", json!({})).await;
        if matches!(*who, "owner" | "admin") {
            assert!(res["data"]["auditEvents"]["totalCount"].as_i64().unwrap() >= 3, "{res}");
        } else {
            assert_eq!(code(&res), "FORBIDDEN", "{who}");
        }
    }
    let other = w.app.gql(Some(&w.other_owner), "{ auditEvents { totalCount } }", json!({})).await;
    assert_eq!(other["data"]["auditEvents"]["totalCount"], 1, "only the other organization's own contact");
}

/// Loaders are built from the caller's visible contacts: asked for another agent's contact by id, they
/// load none of its tags, properties or identities, whatever the ids come from.
#[tokio::test]
async fn loaders_load_nothing_of_a_contact_out_of_sight() {
    let w = world().await;
    let id = |s: &str| s.parse::<uuid::Uuid>().unwrap();
    let (a, b, u) = (id(&w.a), id(&w.b), id(&w.u));
    for (role, token) in &w.tokens {
        let actor = api::auth::authenticate(&w.app.db, &w.app.state.jwt, &format!("Bearer {token}")).await.unwrap();
        let loaders = api::graphql::loaders::Loaders::new(&w.app.db, api::visibility::Visible::contacts(&actor));
        // By id through the batch loader, and from rows as the one-pass page reads them.
        let mut seen = Vec::new();
        for id in [a, b, u] {
            seen.push(!loaders.tags(id).await.unwrap().is_empty());
        }
        let rows = entity::contact::Entity::find()
            .filter(entity::contact::Column::Id.is_in([a, b, u]))
            .order_by_asc(entity::contact::Column::Name)
            .all(&w.app.db)
            .await
            .unwrap();
        let from_rows = loaders.tags_now(&rows.iter().collect::<Vec<_>>()).await.unwrap();
        let seen_in_rows: Vec<bool> =
            [a, b, u].iter().map(|c| from_rows.get(c).is_some_and(|t| !t.is_empty())).collect();
        assert_eq!(seen_in_rows, seen, "{role}: the page's reading agrees with the loader");
        let expected = match *role {
            "agent A" | "viewer (agent A)" => vec![true, false, true],
            "agent B" => vec![false, true, true],
            _ => vec![true, true, true],
        };
        assert_eq!(seen, expected, "{role}: tags of contacts A, B, unassigned");
        let props = loaders.properties(b).await.unwrap();
        assert_eq!(!props.is_empty(), expected[1], "{role}: properties of B's contact");
        let identities = loaders.identifiers(b).await.unwrap();
        assert!(identities.is_empty() || expected[1], "{role}: identities of B's contact");
    }
}

/// A malformed phone is parsed where it enters, but rights and sight still answer first.
#[tokio::test]
async fn rights_and_sight_answer_before_a_malformed_phone() {
    let w = world().await;
    let token = |role: &str| w.tokens.iter().find(|(r, _)| *r == role).unwrap().1.clone();
    let create = "mutation($input: CreateContactInput!) { createContact(input: $input) { id } }";
    let res = w.app.gql(Some(&token("viewer (all)")), create, json!({ "input": { "name": "X", "phone": "12" } })).await;
    assert_eq!(code(&res), "FORBIDDEN", "{res}");
    let update = "mutation($id: ID!) { updateContact(id: $id, input: { phone: \"12\" }) { id } }";
    let res = w.app.gql(Some(&token("agent A")), update, json!({ "id": w.b })).await;
    assert_eq!(code(&res), "NOT_FOUND", "{res}");
    let res = w.app.gql(Some(&token("agent A")), update, json!({ "id": w.a })).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
    assert_eq!(res["errors"][0]["extensions"]["field"], "phone");
}
