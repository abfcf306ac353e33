//! The import job: reads the stored file, checks rows in batches of `BATCH`, and writes each batch, its
//! per-row outcomes and the job's checkpoint in one transaction. A job resumed after a crash starts
//! at the checkpoint, so every row is imported exactly once.

use std::collections::{HashMap, HashSet};

use entity::{
    audit_event, contact, contact_identifier, contact_property_value, contact_tag,
    enums::{ContactSource, JobState},
    job, job_row, listing, organization, pipeline_stage, property_definition, user,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    claims::{Key, claim_identities, known_identities},
    mapping::{ColumnMap, check as check_mapping},
    report,
    rows::{Candidate, Lookups, check},
    source::{self, Limits, Table},
};
use crate::{
    contacts::write::NewRow,
    db::{begin_write, new_id, now},
    error::{ApiError, ApiResult},
    jobs::queue,
    jobs::runtime::JobRuntime,
    properties, tags,
    values::CountryCode,
    visibility::Visible,
};

pub const BATCH: usize = 1000;

#[derive(Clone, Serialize, Deserialize)]
pub struct ImportParams {
    pub mapping: Vec<ColumnMap>,
    pub dry_run: bool,
    pub file_name: String,
}

struct Outcome {
    row: i64,
    outcome: &'static str,
    reason: Option<String>,
    contact_id: Option<Uuid>,
}

pub async fn execute(rt: &JobRuntime, job: job::Model, max_batches: Option<usize>) -> ApiResult<()> {
    let db = &rt.db;
    let mut params: ImportParams = serde_json::from_value(job.params.clone()).map_err(ApiError::internal)?;
    let bytes = match rt.files.get(job.input_file.as_deref().unwrap_or_default()).await {
        Ok(bytes) => bytes,
        Err(ApiError::Unavailable(reason)) => return fail(rt, &job, reason).await,
        Err(e) => return Err(e),
    };
    let table = match source::open(&bytes, &Limits::new(rt.config.import_max_rows)) {
        Ok(t) => t,
        Err(reason) => return fail(rt, &job, reason).await,
    };
    drop(bytes);
    let org = organization::Entity::find_by_id(job.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Organization"))?;
    let lookups = load_lookups(db, &org).await?;
    let definitions: Vec<_> = lookups.definitions.values().cloned().collect();
    if params.mapping.is_empty() {
        params.mapping = super::headers::suggest(&table.headers, &definitions);
    }
    if let Err(e) = check_mapping(&params.mapping, table.headers.len(), &definitions) {
        return fail(rt, &job, e.public_message()).await;
    }

    let total = table.rows.len();
    let mut current = update_progress(db, &job, |m| m.total = Set(total as i64)).await?;
    let start = if params.dry_run {
        // A dry run writes no contacts, so a resumed one simply starts over.
        job_row::Entity::delete_many()
            .filter(job_row::Column::OrganizationId.eq(job.organization_id))
            .filter(job_row::Column::JobId.eq(job.id))
            .exec(db)
            .await?;
        current = update_progress(db, &current, |m| {
            m.processed = Set(0);
            m.created_count = Set(0);
            m.skipped = Set(0);
            m.invalid = Set(0);
        })
        .await?;
        0
    } else {
        current.checkpoint as usize
    };
    let mut seen: HashSet<Key> = HashSet::new();
    for (n, from) in (start..total).step_by(BATCH).enumerate() {
        if max_batches.is_some_and(|m| n >= m) {
            return Ok(()); // Stand-in for a crash: the lease runs out and another claim resumes.
        }
        let fresh = job::Entity::find_by_id(job.id).one(db).await?.ok_or_else(|| ApiError::not_found("Job"))?;
        if fresh.cancel_requested {
            return conclude(rt, fresh, &table, JobState::Cancelled).await;
        }
        let to = (from + BATCH).min(total);
        current = write_batch(rt, &org, fresh, &params, &table, &lookups, from, to, &mut seen).await?;
        rt.events.job(&current).await;
    }
    conclude(rt, current, &table, JobState::Done).await
}

#[allow(clippy::too_many_arguments)]
async fn write_batch(
    rt: &JobRuntime,
    org: &organization::Model,
    job: job::Model,
    params: &ImportParams,
    table: &Table,
    lookups: &Lookups,
    from: usize,
    to: usize,
    seen: &mut HashSet<Key>,
) -> ApiResult<job::Model> {
    let txn = begin_write(&rt.db).await?;
    let mut outcomes = Vec::with_capacity(to - from);
    let mut valid: Vec<(i64, Candidate)> = Vec::new();
    for (i, row) in table.rows[from..to].iter().enumerate() {
        let number = (from + i + 1) as i64;
        match check(row, &params.mapping, lookups) {
            Ok(c) => valid.push((number, c)),
            Err(reason) => {
                outcomes.push(Outcome { row: number, outcome: "INVALID", reason: Some(reason), contact_id: None })
            }
        }
    }
    let (existing, submitted, claimed) = if params.dry_run {
        (known_identities(&txn, org.id, &valid).await?, HashMap::new(), HashMap::new())
    } else {
        claim_identities(&txn, org.id, &valid, seen).await?
    };
    let mut room = match org.plan.contact_limit() {
        Some(limit) => {
            let count = Visible::system(org.id).into_select().count(&txn).await? as i64;
            let planned = if params.dry_run { job.created_count } else { 0 };
            (limit - count - planned).max(0)
        }
        None => i64::MAX,
    };
    let mut creating: Vec<(i64, Uuid, Candidate)> = Vec::new();
    let mut unclaim: Vec<Uuid> = Vec::new();
    for (number, c) in valid {
        let keys = c.identities();
        // The id this row claimed its identities under, and whether it got every one of them.
        let mine = submitted.get(&number).copied();
        let own = mine.filter(|id| keys.iter().all(|k| claimed.get(k) == Some(id)));
        let taken = keys.iter().find(|k| existing.contains(*k) || seen.contains(*k));
        // Unclaimed without being taken: it repeats an identity of an earlier row that was not imported.
        let repeated = || keys.iter().find(|_| !params.dry_run && own.is_none());
        if let Some((_, value)) = taken.or_else(repeated) {
            unclaim.extend(mine);
            outcomes.push(Outcome {
                row: number,
                outcome: "DUPLICATE",
                reason: Some(format!("{value} is already a contact")),
                contact_id: None,
            });
            continue;
        }
        seen.extend(keys.iter().cloned());
        if room <= 0 {
            unclaim.extend(own);
            outcomes.push(Outcome {
                row: number,
                outcome: "LIMIT",
                reason: Some("The plan's contact limit is reached".into()),
                contact_id: None,
            });
        } else {
            room -= 1;
            let id = own.unwrap_or_else(new_id);
            let outcome = if params.dry_run { "WOULD_CREATE" } else { "CREATED" };
            let reason = (!c.warnings.is_empty()).then(|| c.warnings.join("; "));
            outcomes.push(Outcome { row: number, outcome, reason, contact_id: (!params.dry_run).then_some(id) });
            creating.push((number, id, c));
        }
    }
    if !unclaim.is_empty() {
        contact_identifier::Entity::delete_many()
            .filter(contact_identifier::Column::OrganizationId.eq(org.id))
            .filter(contact_identifier::Column::ContactId.is_in(unclaim))
            .exec(&txn)
            .await?;
    }
    if !params.dry_run {
        insert_contacts(&txn, org, &job, &creating).await?;
    }
    outcomes.sort_by_key(|o| o.row);
    let count = |o: &str| outcomes.iter().filter(|x| x.outcome == o).count() as i64;
    let (created, skipped, invalid) =
        (count("CREATED") + count("WOULD_CREATE"), count("DUPLICATE") + count("LIMIT"), count("INVALID"));
    let rows = outcomes.into_iter().map(|o| job_row::ActiveModel {
        organization_id: Set(org.id),
        job_id: Set(job.id),
        row: Set(o.row),
        outcome: Set(o.outcome.into()),
        reason: Set(o.reason),
        contact_id: Set(o.contact_id),
    });
    job_row::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    let mut model: job::ActiveModel = job.clone().into();
    model.processed = Set(to as i64);
    model.checkpoint = Set(if params.dry_run { 0 } else { to as i64 });
    model.created_count = Set(job.created_count + created);
    model.skipped = Set(job.skipped + skipped);
    model.invalid = Set(job.invalid + invalid);
    queue::heartbeat(&mut model);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn insert_contacts(
    txn: &impl ConnectionTrait,
    org: &organization::Model,
    job: &job::Model,
    creating: &[(i64, Uuid, Candidate)],
) -> ApiResult<()> {
    if creating.is_empty() {
        return Ok(());
    }
    let at = now();
    let first_stage = crate::pipeline::service::first_stage(txn, org.id).await?;
    let contacts = creating.iter().map(|(_, id, c)| {
        NewRow {
            id: *id,
            organization_id: org.id,
            name: c.name.clone(),
            name_edited_manually: true,
            phone: c.phone.clone(),
            wa_id: None,
            email: c.email.clone(),
            stage_id: c.stage_id.unwrap_or(first_stage.id),
            source: ContactSource::Import,
            source_listing_id: c.listing_id,
            assignee_id: c.assignee_id,
            last_activity_at: at,
        }
        .into_active_model()
    });
    contact::Entity::insert_many(contacts).exec_without_returning(txn).await?;

    let names: Vec<String> =
        creating.iter().flat_map(|(_, _, c)| c.tags.iter().cloned()).collect::<HashSet<_>>().into_iter().collect();
    let mut tag_ids = HashMap::new();
    for chunk in names.chunks(tags::service::MAX_TAGS_PER_CALL) {
        for t in tags::service::ensure(txn, org.id, chunk).await.unwrap_or_default() {
            tag_ids.insert(t.name_key.clone(), t.id);
        }
    }
    let mut links = Vec::new();
    let mut values = Vec::new();
    for (_, id, c) in creating {
        let mut own: HashSet<Uuid> = HashSet::new();
        for name in &c.tags {
            let key = tags::service::normalize(name).map(|(_, k)| k).unwrap_or_default();
            if let Some(tag) = tag_ids.get(&key).filter(|t| own.insert(**t)) {
                links.push(contact_tag::ActiveModel {
                    organization_id: Set(org.id),
                    contact_id: Set(*id),
                    tag_id: Set(*tag),
                    created_at: Set(at),
                });
            }
        }
        for (def, raw) in &c.properties {
            if let Ok(v) = properties::values::canonical(def, raw) {
                values.push(contact_property_value::ActiveModel {
                    organization_id: Set(org.id),
                    contact_id: Set(*id),
                    definition_id: Set(def.id),
                    value: Set(v.json),
                    value_text: Set(v.text),
                    value_number: Set(v.number),
                    updated_at: Set(at),
                });
            }
        }
    }
    for chunk in links.chunks(2000) {
        contact_tag::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    for chunk in values.chunks(2000) {
        contact_property_value::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    let audits = creating.iter().map(|(row, id, c)| audit_event::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org.id),
        contact_id: Set(Some(*id)),
        actor_user_id: Set(job.created_by),
        actor_kind: Set("USER".into()),
        kind: Set("contact.imported".into()),
        before: Set(None),
        after: Set(Some(serde_json::json!({
            "name": c.name, "phone": c.phone, "waUserId": c.wa_user_id, "jobId": job.id, "row": row
        }))),
        created_at: Set(at),
    });
    crate::audit::record_many(txn, org.id, audits.collect()).await?;
    Ok(())
}

async fn load_lookups(db: &impl ConnectionTrait, org: &organization::Model) -> ApiResult<Lookups> {
    let stages =
        pipeline_stage::Entity::find().filter(pipeline_stage::Column::OrganizationId.eq(org.id)).all(db).await?;
    let users = user::Entity::find().filter(user::Column::OrganizationId.eq(org.id)).all(db).await?;
    let listings = listing::Entity::find().filter(listing::Column::OrganizationId.eq(org.id)).all(db).await?;
    let definitions = property_definition::Entity::find()
        .filter(property_definition::Column::OrganizationId.eq(org.id))
        .all(db)
        .await?;
    Ok(Lookups::new(CountryCode::of(org), stages, users, listings, definitions))
}

async fn update_progress(
    db: &impl ConnectionTrait,
    job: &job::Model,
    change: impl FnOnce(&mut job::ActiveModel),
) -> ApiResult<job::Model> {
    let mut model: job::ActiveModel = job.clone().into();
    change(&mut model);
    queue::heartbeat(&mut model);
    Ok(model.update(db).await?)
}

async fn fail(rt: &JobRuntime, job: &job::Model, reason: String) -> ApiResult<()> {
    let done = queue::finish(&rt.db, job, JobState::Failed, Some(reason), None).await?;
    rt.events.job(&done).await;
    Ok(())
}

/// Writes the report of every row decided so far and ends the job.
async fn conclude(rt: &JobRuntime, job: job::Model, table: &Table, end: JobState) -> ApiResult<()> {
    let outcomes = job_row::Entity::find()
        .filter(job_row::Column::OrganizationId.eq(job.organization_id))
        .filter(job_row::Column::JobId.eq(job.id))
        .order_by_asc(job_row::Column::Row)
        .all(&rt.db)
        .await?;
    let bytes = report::build(table, &outcomes).map_err(ApiError::internal)?;
    let key = crate::files::FileStore::new_key(job.organization_id, "import-reports", "xlsx");
    rt.files.put(&key, bytes).await?;
    let done = queue::finish(&rt.db, &job, end, None, Some(key)).await?;
    rt.events.job(&done).await;
    Ok(())
}
