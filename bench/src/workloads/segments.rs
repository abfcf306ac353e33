//! The segments the `queries` workloads read (Q5, Q6): ten shared segments of the seeded large
//! organization, made once with filters of the kinds sales teams save (a tag, a stage, both, unassigned,
//! no phone, a source, two tags, created or active in a window), found again on later runs.

use entity::segment;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::seed::anchor;

const PREFIX: &str = "Bench segment";

pub async fn ensure(db: &DatabaseConnection, org: Uuid, tags: &[Uuid], stages: &[Uuid]) -> anyhow::Result<Vec<Uuid>> {
    let existing = segment::Entity::find()
        .filter(segment::Column::OrganizationId.eq(org))
        .filter(segment::Column::Name.starts_with(PREFIX))
        .order_by_asc(segment::Column::Name)
        .all(db)
        .await?;
    if existing.len() >= 10 {
        return Ok(existing.into_iter().map(|s| s.id).collect());
    }
    anyhow::ensure!(tags.len() >= 5 && stages.len() >= 3, "the seeded organization lacks tags or stages");
    let day = |n: i64| (anchor() - chrono::Duration::days(n)).to_rfc3339();
    let filters: [Value; 10] = [
        json!({ "tagIds": [tags[0]] }),
        json!({ "statusIds": [stages[1]] }),
        json!({ "tagIds": [tags[1]], "statusIds": [stages[2]] }),
        json!({ "unassigned": true }),
        json!({ "hasPhone": false }),
        json!({ "sources": ["WHATSAPP"] }),
        json!({ "tagIds": [tags[2], tags[3]] }),
        json!({ "createdFrom": day(90) }),
        json!({ "lastActivityFrom": day(30) }),
        json!({ "statusIds": [stages[0]], "tagIds": [tags[4]] }),
    ];
    let mut ids = Vec::new();
    for (i, filter) in filters.into_iter().enumerate() {
        let name = format!("{PREFIX} {i:02}");
        let at = chrono::Utc::now();
        let made = segment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org),
            name_key: Set(name.to_lowercase()),
            name: Set(name),
            filter: Set(filter),
            search: Set(None),
            order_field: Set("LAST_ACTIVITY_AT".into()),
            order_descending: Set(true),
            visibility: Set("SHARED".into()),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(db)
        .await?;
        ids.push(made.id);
    }
    Ok(ids)
}
