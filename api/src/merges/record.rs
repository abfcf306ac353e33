//! What a merge keeps so it can be undone: the rows as they were, and which rows moved from whom.

use entity::{consent, contact, contact_property_value, contact_tag, conversation, verification};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A row of some table that was re-pointed from `from` (a duplicate) to the primary.
#[derive(Clone, Serialize, Deserialize)]
pub struct Moved {
    pub id: Uuid,
    pub from: Uuid,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Folded {
    /// A duplicate's conversation on a channel the primary already had; its messages joined the primary's.
    pub conversation: conversation::Model,
    pub messages: Vec<Uuid>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct MergeRecord {
    pub primary_before: Option<contact::Model>,
    pub duplicates: Vec<contact::Model>,
    pub identifiers: Vec<Moved>,
    pub conversations: Vec<Moved>,
    pub folded: Vec<Folded>,
    pub messages: Vec<Moved>,
    pub notes: Vec<Moved>,
    pub audit_events: Vec<Moved>,
    pub reservations: Vec<Moved>,
    pub verifications: Vec<Moved>,
    /// Verifications of duplicates dropped because the primary had its own.
    pub dropped_verifications: Vec<verification::Model>,
    pub duplicate_tags: Vec<contact_tag::Model>,
    /// Tags the primary gained.
    pub added_tags: Vec<Uuid>,
    pub duplicate_values: Vec<contact_property_value::Model>,
    /// The primary's values that the merge replaced or added: (definition, value before if any).
    pub primary_values_before: Vec<(Uuid, Option<contact_property_value::Model>)>,
    /// Consents the primary took from a duplicate (the latest on their channel).
    #[serde(default)]
    pub consents: Vec<Moved>,
    /// Consents set aside because another contact's on the same channel was more recent.
    #[serde(default)]
    pub dropped_consents: Vec<consent::Model>,
}

/// An insertable copy of a row read earlier (every column set).
pub(super) fn fresh<A: sea_orm::ActiveModelTrait>(model: <A::Entity as sea_orm::EntityTrait>::Model) -> A
where
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    sea_orm::IntoActiveModel::into_active_model(model).reset_all()
}
