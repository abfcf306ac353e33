//! Outbound webhooks: events we send to partners (inbound ones are `inbound_webhooks`). Admins register endpoints
//! (`endpoints`); every contact change that matters to a sync is written as a delivery per subscribed endpoint in the
//! transaction of the change (`outbox`), so an event exists exactly when its change committed; senders claim due
//! deliveries, sign and post them, and retry with backoff, one at a time per endpoint and contact so each receiver sees
//! a contact's events in order (`deliver`). The payloads are documented in `docs/webhooks.md`.

pub mod deliver;
pub mod endpoints;
pub mod graphql;
pub mod outbox;
mod signing;

pub use signing::signature;

/// The events an endpoint can subscribe to, by the names their payloads carry.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(name = "WebhookEventType")]
pub enum EventType {
    ContactCreated,
    ContactUpdated,
    ContactDeleted,
    ContactMerged,
    ContactStageChanged,
    /// Many contacts changed by one bulk action (tags, stage, assignee): one event per 200 contacts.
    ContactsBulkUpdated,
    /// Many contacts deleted by one bulk action: one event per 200 contacts.
    ContactsBulkDeleted,
    /// A change brought a contact into a shared segment (`detail.segment` names it).
    ContactEnteredSegment,
    /// A change took a contact out of a shared segment; a deleted contact's `contact.deleted` stands for it.
    ContactLeftSegment,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        Self::ContactCreated,
        Self::ContactUpdated,
        Self::ContactDeleted,
        Self::ContactMerged,
        Self::ContactStageChanged,
        Self::ContactsBulkUpdated,
        Self::ContactsBulkDeleted,
        Self::ContactEnteredSegment,
        Self::ContactLeftSegment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ContactCreated => "contact.created",
            Self::ContactUpdated => "contact.updated",
            Self::ContactDeleted => "contact.deleted",
            Self::ContactMerged => "contact.merged",
            Self::ContactStageChanged => "contact.stage_changed",
            Self::ContactsBulkUpdated => "contacts.bulk_updated",
            Self::ContactsBulkDeleted => "contacts.bulk_deleted",
            Self::ContactEnteredSegment => "contact.entered_segment",
            Self::ContactLeftSegment => "contact.left_segment",
        }
    }

    /// Whether an endpoint subscribed to `self` hears of this event: a bulk event also reaches the endpoints
    /// of the single events it stands for, so a sync that follows updates or deletions misses none.
    pub fn reaches(self, subscribed: EventType) -> bool {
        self == subscribed
            || matches!(
                (self, subscribed),
                (Self::ContactsBulkUpdated, Self::ContactUpdated | Self::ContactStageChanged)
                    | (Self::ContactsBulkDeleted, Self::ContactDeleted)
            )
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The event an audited change is reported as. A merge is not here: the merge sends its own event,
    /// which names the duplicates (its audit entry only counts them).
    pub fn from_audit(kind: &str) -> Option<Self> {
        Some(match kind {
            "contact.created" | "contact.imported" => Self::ContactCreated,
            "contact.deleted" => Self::ContactDeleted,
            "contact.stage_changed" => Self::ContactStageChanged,
            "contact.updated"
            | "contact.bulk_updated"
            | "contact.tags_changed"
            | "contact.tags_added"
            | "contact.tags_removed"
            | "contact.property_changed"
            | "contact.number_changed"
            | "contact.external_id_set"
            | "contact.identifier_added"
            | "contact.identifier_removed"
            | "contact.merge_undone" => Self::ContactUpdated,
            _ => return None,
        })
    }
}
