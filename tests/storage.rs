//! The schema itself: migrations go down and up again, and the unique keys hold the product's rules.

use chrono::Utc;
use entity::{contact, contact_identifier, conversation, enums::*, message, pipeline_stage};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::harness::TestApp;

#[tokio::test]
async fn migrations_roll_all_the_way_down_and_up_again() {
    let app = TestApp::new().await;
    Migrator::down(&app.db, None).await.expect("down");
    assert!(Migrator::get_applied_migrations(&app.db).await.unwrap().is_empty());
    Migrator::up(&app.db, None).await.expect("up again");
    assert_eq!(Migrator::get_pending_migrations(&app.db).await.unwrap().len(), 0);
}

async fn new_contact(app: &TestApp, org: Uuid, phone: Option<&str>) -> Result<contact::Model, sea_orm::DbErr> {
    let stage = pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::OrganizationId.eq(org))
        .one(&app.db)
        .await?
        .expect("stage");
    let now = Utc::now();
    contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set("Maria".into()),
        sort_name: Set("maria".into()),
        name_edited_manually: Set(false),
        phone: Set(phone.map(String::from)),
        wa_id: Set(None),
        email: Set(None),
        stage_id: Set(stage.id),
        source: Set(ContactSource::Manual),
        source_listing_id: Set(None),
        assignee_id: Set(None),
        search_text: Set("maria".into()),
        user_initiated_conversations: Set(0),
        business_initiated_conversations: Set(0),
        cancelled_outbounds: Set(0),
        received_notifications: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        last_activity_at: Set(now),
        last_inbound_at: Set(None),
    }
    .insert(&app.db)
    .await
}

async fn identify(app: &TestApp, c: &contact::Model, kind: IdentifierKind, value: &str) -> Result<(), sea_orm::DbErr> {
    contact_identifier::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(c.organization_id),
        contact_id: Set(c.id),
        kind: Set(kind),
        value: Set(value.into()),
        channel_id: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&app.db)
    .await
    .map(|_| ())
}

#[tokio::test]
async fn one_phone_and_one_identity_per_organization() {
    let app = TestApp::new().await;
    let (other_org, _) = app.other_organization().await;
    let a = new_contact(&app, app.org_id, Some("+50688881234")).await.unwrap();
    assert!(new_contact(&app, app.org_id, Some("+50688881234")).await.is_err(), "same phone twice in one organization");
    let b = new_contact(&app, other_org, Some("+50688881234")).await.expect("another organization may have it");
    // Contacts without a phone do not collide.
    new_contact(&app, app.org_id, None).await.unwrap();
    new_contact(&app, app.org_id, None).await.unwrap();

    identify(&app, &a, IdentifierKind::WaId, "50688881234").await.unwrap();
    assert!(identify(&app, &a, IdentifierKind::WaId, "50688881234").await.is_err());
    identify(&app, &a, IdentifierKind::Username, "50688881234").await.expect("another kind is another identity");
    identify(&app, &b, IdentifierKind::WaId, "50688881234").await.expect("another organization");
}

#[tokio::test]
async fn one_conversation_per_contact_and_channel_and_one_message_per_external_id() {
    let app = TestApp::new().await;
    let c = new_contact(&app, app.org_id, Some("+50688880000")).await.unwrap();
    let channel = Uuid::now_v7();
    let conv = |id: Uuid| conversation::ActiveModel {
        id: Set(id),
        organization_id: Set(app.org_id),
        contact_id: Set(c.id),
        channel_id: Set(channel),
        last_message_at: Set(None),
        last_inbound_at: Set(None),
        window_started_at: Set(None),
        window_initiator: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    };
    let first = conv(Uuid::now_v7()).insert(&app.db).await.unwrap();
    assert!(conv(Uuid::now_v7()).insert(&app.db).await.is_err());

    let msg = |external: &str| message::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(app.org_id),
        conversation_id: Set(first.id),
        contact_id: Set(c.id),
        channel_id: Set(channel),
        direction: Set(MessageDirection::Inbound),
        kind: Set("text".into()),
        body: Set(Some("hola".into())),
        payload: Set(None),
        status: Set("received".into()),
        external_id: Set(Some(external.into())),
        error: Set(None),
        created_at: Set(Utc::now()),
        status_updated_at: Set(None),
    };
    msg("wamid.1").insert(&app.db).await.unwrap();
    assert!(msg("wamid.1").insert(&app.db).await.is_err(), "a redelivery must not store a second message");
    msg("wamid.2").insert(&app.db).await.unwrap();
}

#[tokio::test]
async fn tenant_rows_must_name_an_existing_organization() {
    let app = TestApp::new().await;
    let tag = |org: Uuid| entity::tag::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set("VIP".into()),
        name_key: Set("vip".into()),
        color: Set(None),
        created_at: Set(Utc::now()),
    };
    assert!(tag(Uuid::now_v7()).insert(&app.db).await.is_err());
    tag(app.org_id).insert(&app.db).await.expect("a real organization");
}

/// Citus could distribute every tenant table by organization as it is: each carries `organization_id`, and
/// on PostgreSQL every primary key, unique key and foreign key between tenant tables includes it. The
/// organizations themselves, channels (found by the provider's number id) and API tokens (found by hash)
/// would be reference tables, copied to every node.
#[tokio::test]
async fn every_tenant_table_is_keyed_by_its_organization() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::new().await;
    let db = &app.db;
    let backend = db.get_database_backend();
    let rows = |sql: &str| db.query_all_raw(Statement::from_string(backend, sql.to_owned()));
    let first = |r: &sea_orm::QueryResult| r.try_get_by_index::<String>(0).unwrap();
    let reference = ["organizations", "channels", "api_tokens", "seaql_migrations"];
    let tables: Vec<String> = if backend == sea_orm::DbBackend::Postgres {
        let sql = "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')";
        rows(sql).await.unwrap().iter().map(first).collect()
    } else {
        let sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                   AND name NOT LIKE 'contact_search%'";
        rows(sql).await.unwrap().iter().map(first).collect()
    };
    assert!(tables.len() > 20, "{tables:?}");
    for table in tables.iter().filter(|t| !reference.contains(&t.as_str())) {
        let sql = if backend == sea_orm::DbBackend::Postgres {
            format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}'"
            )
        } else {
            format!("SELECT name FROM pragma_table_info('{table}')")
        };
        let columns: Vec<String> = rows(&sql).await.unwrap().iter().map(first).collect();
        assert!(columns.iter().any(|c| c == "organization_id"), "{table} has no organization_id: {columns:?}");
    }
    if backend != sea_orm::DbBackend::Postgres {
        return; // Keys for a distributed PostgreSQL: SQLite is one embedded database.
    }
    // Keys (and unique indexes) of tenant tables that leave the organization out, and foreign keys between
    // tenant tables that do not carry it on both sides.
    let sql = "SELECT c.relname || ': ' || coalesce(con.conname, i.indexrelid::regclass::text) \
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid \
        WHERE n.nspname = current_schema() AND i.indisunique \
          AND c.relname NOT IN ('organizations', 'channels', 'api_tokens', 'seaql_migrations') \
          AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) k JOIN pg_attribute a \
                          ON a.attrelid = c.oid AND a.attnum = k WHERE a.attname = 'organization_id') \
        UNION ALL \
        SELECT c.relname || ': ' || con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
        JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class r ON r.oid = con.confrelid \
        WHERE n.nspname = current_schema() AND con.contype = 'f' \
          AND r.relname NOT IN ('organizations', 'channels', 'api_tokens') \
          AND (NOT EXISTS (SELECT 1 FROM unnest(con.conkey) k JOIN pg_attribute a \
                           ON a.attrelid = c.oid AND a.attnum = k WHERE a.attname = 'organization_id') \
            OR NOT EXISTS (SELECT 1 FROM unnest(con.confkey) k JOIN pg_attribute a \
                           ON a.attrelid = r.oid AND a.attnum = k WHERE a.attname = 'organization_id'))";
    let wrong: Vec<String> = rows(sql).await.unwrap().iter().map(first).collect();
    assert!(wrong.is_empty(), "keys without the organization: {wrong:?}");
}
