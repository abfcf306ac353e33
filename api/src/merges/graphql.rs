use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{
    candidates::{self, DuplicateReason},
    service::{self, Choice, MergeField},
};
use crate::{
    connection,
    contacts::graphql::types::Contact,
    error::ApiError,
    events::{ContactEventKind, publish},
    graphql::context::{actor, db, parse_id, reads},
    pagination::{MAX_PAGE, PageInfoFlags, wants_total},
    tags::graphql::Tag,
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
    /// The surviving contact's own fields as the merge leaves them.
    pub contact: Contact,
    /// For a preview only: everything else the surviving contact would hold once merged (its `tags`,
    /// notes and conversations still answer as they are now, since nothing was written).
    pub preview: Option<MergePreview>,
}

/// What a merge would leave on the surviving contact.
#[derive(SimpleObject)]
pub struct MergePreview {
    pub tags: Vec<Tag>,
    pub notes_count: i64,
    pub conversations_count: i64,
    pub messages_count: i64,
    /// Custom property values in definition order (hidden ones included: merges are for admins).
    pub properties: Vec<MergedProperty>,
}

#[derive(SimpleObject)]
pub struct MergedProperty {
    pub key: String,
    pub value: Json<serde_json::Value>,
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
        let preview = merged.preview.map(|p| MergePreview {
            tags: p.tags.into_iter().map(Tag).collect(),
            notes_count: p.notes,
            conversations_count: p.conversations,
            messages_count: p.messages,
            properties: p
                .properties
                .into_iter()
                .map(|(key, value)| MergedProperty { key, value: Json(value) })
                .collect(),
        });
        Ok(MergeResult {
            merge_id: merged.merge_id.map(|id| ID(id.to_string())),
            contact: Contact(merged.contact),
            preview,
        })
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

/// Contacts that are probably one person, and why.
#[derive(SimpleObject)]
pub struct DuplicateGroup {
    pub reason: DuplicateReason,
    /// What the contacts share: the email in lower case, or the phone line in E.164.
    pub matched_value: String,
    /// The contacts, oldest first (at most 50).
    pub contacts: Vec<Contact>,
}

connection!(DuplicateGroupConnection, DuplicateGroupEdge, DuplicateGroup);

#[derive(serde::Serialize, serde::Deserialize)]
struct GroupCursor {
    o: uuid::Uuid,
    r: DuplicateReason,
    k: String,
}

#[derive(Default)]
pub struct DuplicateQuery;

#[Object]
impl DuplicateQuery {
    /// Groups of contacts that are probably one person (owners and admins, who can merge them).
    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, None, child_complexity)")]
    async fn duplicate_candidates(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<DuplicateGroupConnection> {
        let actor = actor(ctx)?;
        actor.require_admin()?;
        let size = first.unwrap_or(20);
        if !(0..=MAX_PAGE).contains(&size) {
            return Err(ApiError::bad_input("first", format!("Must be between 0 and {MAX_PAGE}")).into());
        }
        let bad = || ApiError::bad_input("after", "This cursor does not belong to this list");
        let after = after
            .map(|raw| {
                let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| bad())?;
                let c: GroupCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
                if c.o != actor.organization_id() {
                    return Err(bad());
                }
                Ok((c.r, c.k))
            })
            .transpose()?;
        let had_cursor = after.is_some();
        let mut groups = candidates::groups(reads(ctx).db(), actor, after, size as u64 + 1).await?;
        let more = groups.len() > size as usize;
        groups.truncate(size as usize);
        let items = groups
            .into_iter()
            .map(|g| {
                let cursor = GroupCursor { o: actor.organization_id(), r: g.reason, k: g.key.clone() };
                let cursor = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default());
                let contacts = g.contacts.into_iter().map(Contact).collect();
                (cursor.into(), DuplicateGroup { reason: g.reason, matched_value: g.key, contacts })
            })
            .collect();
        let flags = PageInfoFlags { has_next_page: more, has_previous_page: had_cursor };
        let total = if wants_total(ctx) { candidates::count(reads(ctx).db(), actor).await? } else { 0 };
        Ok(DuplicateGroupConnection::new(items, flags, total))
    }
}
