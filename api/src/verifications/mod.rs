//! Identity verification per contact: set by the team (admins, and agents on contacts they can see) or
//! reported by a partner verification service with an API token. A partner result carries the
//! service's own id, so the same result delivered twice changes nothing.

pub mod graphql;
pub mod service;
