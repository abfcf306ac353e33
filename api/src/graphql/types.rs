//! Output types that several domains answer with.

use async_graphql::{Enum, ID, SimpleObject};
use entity::enums;

#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The id of what was deleted.
    pub id: ID,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::JobState")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}
