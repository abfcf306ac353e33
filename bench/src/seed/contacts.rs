//! One batch of seeded contacts with everything that hangs off them. Each batch draws from its own
//! generator (seed, organization, batch number), so batches can be written in any order or in parallel.

use chrono::{DateTime, Duration, Utc};
use entity::{
    contact, contact_identifier, contact_tag, conversation,
    enums::{ContactSource, IdentifierKind, MessageDirection},
    message, note,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};

use super::{Org, PERIOD_SECS, anchor, insert_all, names, uuid_at};
use api::{contacts::write::search_text, validate::fold};

pub const BATCH: usize = 2_000;

/// Chances per contact of having a conversation and a note.
#[derive(Clone, Copy)]
pub struct Odds {
    pub conversation: f64,
    pub note: f64,
}

#[derive(Default)]
pub struct Rows {
    pub contacts: Vec<contact::ActiveModel>,
    identifiers: Vec<contact_identifier::ActiveModel>,
    tags: Vec<contact_tag::ActiveModel>,
    conversations: Vec<conversation::ActiveModel>,
    messages: Vec<message::ActiveModel>,
    notes: Vec<note::ActiveModel>,
}

impl Rows {
    /// Parents before children, so the foreign keys hold at every statement.
    pub async fn insert(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        insert_all(db, self.contacts).await?;
        insert_all(db, self.identifiers).await?;
        insert_all(db, self.tags).await?;
        insert_all(db, self.conversations).await?;
        insert_all(db, self.messages).await?;
        insert_all(db, self.notes).await
    }
}

/// Phone digits unique in the organization: `i` through a bijection of 0..10^7 (the multiplier is prime
/// to 10), so neighbours get unrelated numbers.
fn phone(i: usize) -> String {
    let n = (i as u64 * 3_141_593 + 2_718_281) % 10_000_000;
    format!("+5068{n:07}")
}

/// Funnel weights in percent, by stage position: most contacts are new, few close.
const STAGE_WEIGHTS: [u32; 5] = [40, 25, 15, 8, 12];

fn weighted(rng: &mut fastrand::Rng, weights: &[u32]) -> usize {
    let mut pick = rng.u32(0..weights.iter().sum::<u32>());
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            return i;
        }
        pick -= w;
    }
    weights.len() - 1
}

fn source(rng: &mut fastrand::Rng) -> ContactSource {
    match rng.u32(0..100) {
        0..60 => ContactSource::Whatsapp,
        60..80 => ContactSource::Import,
        80..90 => ContactSource::Manual,
        90..96 => ContactSource::PropertyPage,
        _ => ContactSource::Referral,
    }
}

fn between(rng: &mut fastrand::Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds(rng.i64(0..span))
}

pub fn generate(org: &Org, batch: usize, seed: u64, odds: Odds) -> Rows {
    let mut rng =
        fastrand::Rng::with_seed(seed ^ ((org.index as u64) << 40) ^ (batch as u64).wrapping_mul(0x2545_F491));
    let mut rows = Rows::default();
    let start = batch * BATCH;
    let end = (start + BATCH).min(org.size);
    let org_id = org.id;
    for i in start..end {
        // Contacts arrive over the two years in order, as they would in a live system, so rows sit in the
        // table roughly by creation time.
        let start_at = anchor() - Duration::seconds(PERIOD_SECS);
        let created = start_at + Duration::seconds(PERIOD_SECS * i as i64 / org.size.max(1) as i64 + rng.i64(0..3_600));
        let created = created.min(anchor());
        let id = uuid_at(&mut rng, created);
        let (first, last) = (names::FIRST[rng.usize(..60)], names::LAST[rng.usize(..60)]);
        let name = format!("{first} {last}");
        let phone = phone(i);
        let email = (rng.u32(0..10) < 4).then(|| format!("{}.{}{i}@mail.test", fold(first), fold(last)));
        let email = email.map(|e| e.replace(' ', ""));
        let mut last_activity = between(&mut rng, created, anchor());
        let assignee = (rng.u32(0..10) < 7).then(|| org.agents[rng.usize(..org.agents.len())]);
        let mut last_inbound = None;
        if rng.f64() < odds.conversation {
            let count = rng.usize(1..=5);
            let mut at = between(&mut rng, created, anchor());
            let conversation_id = uuid_at(&mut rng, at);
            let opened = at;
            for m in 0..count {
                let direction = if m % 2 == 0 { MessageDirection::Inbound } else { MessageDirection::Outbound };
                if direction == MessageDirection::Inbound {
                    last_inbound = Some(at);
                }
                rows.messages.push(message::ActiveModel {
                    id: Set(uuid_at(&mut rng, at)),
                    organization_id: Set(org_id),
                    conversation_id: Set(conversation_id),
                    contact_id: Set(id),
                    channel_id: Set(org.channel),
                    direction: Set(direction),
                    kind: Set("text".into()),
                    body: Set(Some(names::MESSAGES[rng.usize(..names::MESSAGES.len())].into())),
                    payload: Set(None),
                    status: Set(if direction == MessageDirection::Inbound { "received" } else { "read" }.into()),
                    external_id: Set(Some(format!("wamid.seed.{}.{i}.{m}", org.index))),
                    error: Set(None),
                    created_at: Set(at),
                    status_updated_at: Set(None),
                });
                at = (at + Duration::seconds(rng.i64(30..7_200))).min(anchor());
            }
            last_activity = last_activity.max(at);
            rows.conversations.push(conversation::ActiveModel {
                id: Set(conversation_id),
                organization_id: Set(org_id),
                contact_id: Set(id),
                channel_id: Set(org.channel),
                last_message_at: Set(Some(at)),
                last_inbound_at: Set(last_inbound),
                window_started_at: Set(Some(opened)),
                window_initiator: Set(Some("USER".into())),
                created_at: Set(opened),
                updated_at: Set(at),
            });
        }
        if rng.f64() < odds.note {
            let at = between(&mut rng, created, anchor());
            rows.notes.push(note::ActiveModel {
                id: Set(uuid_at(&mut rng, at)),
                organization_id: Set(org_id),
                contact_id: Set(id),
                conversation_id: Set(None),
                author_id: Set(Some(org.authors[rng.usize(..org.authors.len())])),
                body: Set(names::NOTES[rng.usize(..names::NOTES.len())].into()),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
        let tag_count = rng.usize(0..4);
        let mut tags: Vec<_> = (0..tag_count).map(|_| org.tags[rng.usize(..org.tags.len())]).collect();
        tags.sort();
        tags.dedup();
        rows.tags.extend(tags.into_iter().map(|tag_id| contact_tag::ActiveModel {
            organization_id: Set(org_id),
            contact_id: Set(id),
            tag_id: Set(tag_id),
            created_at: Set(created),
        }));
        // Every WhatsApp sender has a business-scoped user id since 2026; one in four a username.
        let user_id = format!("CR.{:08}{i:012}", rng.u32(..100_000_000));
        let handle: String = fold(first).chars().filter(char::is_ascii_alphanumeric).collect();
        let username = (rng.u32(0..4) == 0).then(|| format!("{handle}.{i}"));
        let identities = [(IdentifierKind::Phone, Some(phone.clone())), (IdentifierKind::WaUserId, Some(user_id))]
            .into_iter()
            .chain([(IdentifierKind::Username, username)]);
        for (kind, value) in identities {
            let Some(value) = value else { continue };
            rows.identifiers.push(contact_identifier::ActiveModel {
                id: Set(uuid_at(&mut rng, created)),
                organization_id: Set(org_id),
                contact_id: Set(id),
                kind: Set(kind),
                value: Set(value),
                channel_id: Set(None),
                created_at: Set(created),
            });
        }
        rows.contacts.push(contact::ActiveModel {
            id: Set(id),
            organization_id: Set(org_id),
            search_text: Set(search_text(&name, email.as_deref(), Some(&phone))),
            sort_name: Set(fold(&name)),
            name: Set(name),
            name_edited_manually: Set(false),
            wa_id: Set(Some(phone.trim_start_matches('+').to_string())),
            phone: Set(Some(phone)),
            email: Set(email),
            stage_id: Set(org.stages[weighted(&mut rng, &STAGE_WEIGHTS[..org.stages.len().min(5)])]),
            source: Set(source(&mut rng)),
            source_listing_id: Set(None),
            assignee_id: Set(assignee),
            user_initiated_conversations: Set(rng.i32(0..4)),
            business_initiated_conversations: Set(rng.i32(0..3)),
            cancelled_outbounds: Set(rng.i32(0..2)),
            received_notifications: Set(rng.i32(0..5)),
            created_at: Set(created),
            updated_at: Set(last_activity),
            last_activity_at: Set(last_activity),
            last_inbound_at: Set(last_inbound),
        });
    }
    rows
}
