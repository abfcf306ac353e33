//! Consent in a merge: per channel the most recently recorded choice of any of the merged contacts is
//! the person's latest word, so it is the one the primary keeps; the others are set aside for an undo.

use std::collections::HashMap;

use entity::consent;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::record::{MergeRecord, Moved, fresh};
use crate::error::ApiResult;

pub async fn merge(
    txn: &impl ConnectionTrait,
    org: Uuid,
    primary: Uuid,
    dups: &[Uuid],
    rec: &mut MergeRecord,
) -> ApiResult<()> {
    let mut all = dups.to_vec();
    all.push(primary);
    let rows = consent::Entity::find()
        .filter(consent::Column::OrganizationId.eq(org))
        .filter(consent::Column::ContactId.is_in(all))
        .all(txn)
        .await?;
    let mut by_channel: HashMap<Uuid, Vec<consent::Model>> = HashMap::new();
    for row in rows {
        by_channel.entry(row.channel_id).or_default().push(row);
    }
    for (_, mut rows) in by_channel {
        // Latest first; on a tie the primary's own record stays.
        rows.sort_by_key(|r| (std::cmp::Reverse(r.recorded_at), r.contact_id != primary));
        let mut rows = rows.into_iter();
        let Some(keep) = rows.next() else { continue };
        for other in rows {
            consent::Entity::delete_by_id(other.id).exec(txn).await?;
            rec.dropped_consents.push(other);
        }
        if keep.contact_id != primary {
            consent::Entity::update_many()
                .col_expr(consent::Column::ContactId, Expr::value(primary))
                .filter(consent::Column::Id.eq(keep.id))
                .exec(txn)
                .await?;
            rec.consents.push(Moved { id: keep.id, from: keep.contact_id });
        }
    }
    Ok(())
}

/// Puts every consent back where it was before the merge.
pub async fn undo(txn: &impl ConnectionTrait, rec: &MergeRecord) -> ApiResult<()> {
    for moved in &rec.consents {
        consent::Entity::update_many()
            .col_expr(consent::Column::ContactId, Expr::value(moved.from))
            .filter(consent::Column::Id.eq(moved.id))
            .exec(txn)
            .await?;
    }
    for row in &rec.dropped_consents {
        fresh::<consent::ActiveModel>(row.clone()).insert(txn).await?;
    }
    Ok(())
}
