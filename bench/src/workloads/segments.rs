//! The segments the `queries` workloads read (Q5, Q6) and write under (W1): shared segments of the seeded
//! large organization with filters of the kinds sales teams save (a tag, a stage, both, unassigned, no
//! phone, a source, two tags, created or active in a window), kept as the server keeps them (memberships
//! built), as many as asked: made or removed on each run so the organization holds exactly that many.

use api::{contacts::filter::ContactFilter, segments::service::keep};
use entity::{enums::ContactSource, segment, segment_member};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::seed::anchor;

const PREFIX: &str = "Bench segment";

/// The `i`th bench segment's filter, as a client sends it and as the server reads it.
fn filter(i: usize, tags: &[Uuid], stages: &[Uuid]) -> (Value, ContactFilter) {
    let (kind, round) = (i % 10, i / 10);
    let tag = |k: usize| tags[(k + round) % tags.len()];
    let stage = |k: usize| stages[(k + round) % stages.len()];
    let day = |n: i64| anchor() - chrono::Duration::days(n + 7 * round as i64);
    let mut f = ContactFilter::default();
    let client = match kind {
        0 => {
            f.tag_ids = Some(vec![tag(0)]);
            json!({ "tagIds": [tag(0)] })
        }
        1 => {
            f.stage_ids = Some(vec![stage(1)]);
            json!({ "statusIds": [stage(1)] })
        }
        2 => {
            (f.tag_ids, f.stage_ids) = (Some(vec![tag(1)]), Some(vec![stage(2)]));
            json!({ "tagIds": [tag(1)], "statusIds": [stage(2)] })
        }
        3 => {
            f.unassigned = Some(true);
            json!({ "unassigned": true })
        }
        4 => {
            f.has_phone = Some(false);
            json!({ "hasPhone": false })
        }
        5 => {
            f.sources = Some(vec![ContactSource::Whatsapp]);
            json!({ "sources": ["WHATSAPP"] })
        }
        6 => {
            f.tag_ids = Some(vec![tag(2), tag(3)]);
            json!({ "tagIds": [tag(2), tag(3)] })
        }
        7 => {
            f.created_from = Some(day(90));
            json!({ "createdFrom": day(90).to_rfc3339() })
        }
        8 => {
            f.last_activity_from = Some(day(30));
            json!({ "lastActivityFrom": day(30).to_rfc3339() })
        }
        _ => {
            (f.stage_ids, f.tag_ids) = (Some(vec![stage(0)]), Some(vec![tag(4)]));
            json!({ "statusIds": [stage(0)], "tagIds": [tag(4)] })
        }
    };
    (client, f)
}

/// Makes the organization hold exactly `count` kept bench segments; returns their ids.
pub async fn ensure(
    db: &DatabaseConnection,
    org: Uuid,
    tags: &[Uuid],
    stages: &[Uuid],
    count: usize,
) -> anyhow::Result<Vec<Uuid>> {
    anyhow::ensure!(tags.len() >= 5 && stages.len() >= 3, "the seeded organization lacks tags or stages");
    let existing = segment::Entity::find()
        .filter(segment::Column::OrganizationId.eq(org))
        .filter(segment::Column::Name.starts_with(PREFIX))
        .order_by_asc(segment::Column::Name)
        .all(db)
        .await?;
    let mut ids = Vec::new();
    for (i, found) in existing.into_iter().enumerate() {
        if i >= count {
            let txn = db.begin().await?;
            segment_member::Entity::delete_many()
                .filter(segment_member::Column::SegmentId.eq(found.id))
                .exec(&txn)
                .await?;
            segment::Entity::delete_by_id(found.id).exec(&txn).await?;
            txn.commit().await?;
            continue;
        }
        if found.members_built_at.is_none() {
            let txn = db.begin().await?;
            keep(&txn, found.clone(), &filter(i, tags, stages).1).await?;
            txn.commit().await?;
        }
        ids.push(found.id);
    }
    for i in ids.len()..count {
        let started = std::time::Instant::now();
        let name = format!("{PREFIX} {i:02}");
        let at = chrono::Utc::now();
        let (client, server) = filter(i, tags, stages);
        let txn = db.begin().await?;
        let made = segment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org),
            name_key: Set(name.to_lowercase()),
            name: Set(name),
            filter: Set(client),
            search: Set(None),
            order_field: Set("LAST_ACTIVITY_AT".into()),
            order_descending: Set(true),
            visibility: Set("SHARED".into()),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            selection: Set(None),
            members_built_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let made = keep(&txn, made, &server).await?;
        txn.commit().await?;
        println!("segment {i:02} built in {:.1} s", started.elapsed().as_secs_f64());
        ids.push(made.id);
    }
    Ok(ids)
}
