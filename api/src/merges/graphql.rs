use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::service::{self, Choice, MergeField};
use crate::{
    contacts::graphql::types::Contact,
    events::{ContactEventKind, publish},
    graphql::context::{actor, db, parse_id},
};

/// Take `field` (for PROPERTY: the property `propertyKey`) from the contact `fromContactId`.
#[derive(InputObject)]
pub struct MergeChoiceInput {
    pub field: MergeField,
    pub property_key: Option<String>,
    pub from_contact_id: ID,
}

#[derive(SimpleObject)]
pub struct MergeResult {
    /// Null for a preview; otherwise what `undoMerge` takes.
    pub merge_id: Option<ID>,
    pub contact: Contact,
}

#[derive(SimpleObject)]
pub struct UndoMergeResult {
    pub contact: Contact,
    pub restored: Vec<Contact>,
}

#[derive(Default)]
pub struct MergeMutation;

#[Object]
impl MergeMutation {
    /// Merges duplicates into the primary contact (owners and admins): the primary keeps its values unless
    /// `keep` chooses another contact's, fills empty ones from the duplicates, and takes all their
    /// conversations, messages, notes, tags, identities, properties and history. With `preview: true`
    /// nothing is written. A merge can be undone with `undoMerge`.
    async fn merge_contacts(
        &self,
        ctx: &Context<'_>,
        primary_id: ID,
        duplicate_ids: Vec<ID>,
        keep: Option<Vec<MergeChoiceInput>>,
        preview: Option<bool>,
    ) -> async_graphql::Result<MergeResult> {
        let primary = parse_id(&primary_id, "primaryId")?;
        let dups = duplicate_ids.iter().map(|id| parse_id(id, "duplicateIds")).collect::<Result<Vec<_>, _>>()?;
        let choices = keep
            .unwrap_or_default()
            .into_iter()
            .map(|k| {
                Ok(Choice { field: k.field, property_key: k.property_key, from: parse_id(&k.from_contact_id, "keep")? })
            })
            .collect::<Result<Vec<_>, crate::error::ApiError>>()?;
        let preview = preview.unwrap_or(false);
        let merged = service::merge(db(ctx), actor(ctx)?, primary, dups.clone(), choices, preview).await?;
        if !preview {
            publish(ctx, ContactEventKind::Updated, &merged.contact).await;
        }
        Ok(MergeResult { merge_id: merged.merge_id.map(|id| ID(id.to_string())), contact: Contact(merged.contact) })
    }

    /// Splits a merge back into the contacts it joined (owners and admins).
    async fn undo_merge(&self, ctx: &Context<'_>, merge_id: ID) -> async_graphql::Result<UndoMergeResult> {
        let (primary, restored) = super::undo(db(ctx), actor(ctx)?, parse_id(&merge_id, "mergeId")?).await?;
        publish(ctx, ContactEventKind::Updated, &primary).await;
        for c in &restored {
            publish(ctx, ContactEventKind::Created, c).await;
        }
        Ok(UndoMergeResult { contact: Contact(primary), restored: restored.into_iter().map(Contact).collect() })
    }
}
