//! Output types that several domains answer with.

use async_graphql::{Enum, ID, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};
use entity::enums;

use crate::values::Moment;

/// A moment in an input: an RFC 3339 date-time (`2026-12-01T08:00:00Z`), or a date alone (`2026-12-01`),
/// which means the whole day in the organization's time zone (from its first instant when it starts a
/// range, through its last when it ends one). It is the schema's `DateTime` scalar, which answers always
/// give as RFC 3339.
#[derive(Clone, Copy, Debug)]
pub struct MomentInput(pub Moment);

#[Scalar(name = "DateTime")]
impl ScalarType for MomentInput {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Moment::parse(s).map(Self).ok_or_else(|| {
                InputValueError::custom(
                    "Expected a date-time such as 2026-12-01T08:00:00Z or a date such as 2026-12-01",
                )
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        match self.0 {
            Moment::At(at) => Value::String(at.to_rfc3339()),
            Moment::Day(day) => Value::String(day.to_string()),
        }
    }
}

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
