//! `bench queries --ceiling`: the same logical queries as Q1–Q4 and the searches, written by hand as one SQL
//! statement each, as an expert would for this schema (the same visibility rule, the same rows in the same
//! order, checked against the server's answers by id), run through a plain connection pool at the same
//! concurrency right after the server's run, with the server's session setting (custom plans). Their rate is
//! the ceiling the server is measured against. PostgreSQL only.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value as SqlValue};
use uuid::Uuid;

use super::{Report, load::Verdict};

/// The tags of the contact `c`, by name.
const TAGS: &str = "ARRAY(SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
     WHERE ct.organization_id = c.organization_id AND ct.contact_id = c.id ORDER BY t.name) AS tags";

/// Q1: an agent's first 50 by last activity (theirs and the unassigned), with stage, tags and assignee.
pub const Q1: &str = "SELECT c.id, c.name, c.phone, c.last_activity_at, s.name AS stage, u.name AS assignee, {TAGS}
    FROM contacts c JOIN pipeline_stages s ON s.id = c.stage_id LEFT JOIN users u ON u.id = c.assignee_id
    WHERE c.organization_id = $1 AND (c.assignee_id IS NULL OR c.assignee_id = $2)
    ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 50";

/// Q2: an admin's search, first 20 by last activity: a fragment of the folded name, email or phone digits
/// (the trigram index), or an exact identity (the identities' unique index).
pub const Q2: &str = "SELECT c.id, c.name, c.phone, c.email, c.last_activity_at FROM contacts c
    WHERE c.organization_id = $1 AND (c.search_text LIKE $2 ESCAPE '\\' OR c.id = ANY(ARRAY(
        SELECT i.contact_id FROM contact_identifiers i WHERE i.organization_id = $1
        AND i.kind IN ('WA_ID', 'WA_USER_ID', 'WA_PARENT_USER_ID', 'USERNAME', 'TELEGRAM_ID', 'WIDGET_SESSION', 'API_ID', 'EXTERNAL')
        AND i.value IN ($3, $4) LIMIT 50)))
    ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 20";

/// Q3: a tag, a stage and a creation window, first 50 by last activity with their tags and the exact total
/// (a window count over the matches). The tag's links carry their contact's creation time, so the window
/// narrows the links first.
pub const Q3: &str = "SELECT c.id, c.name, c.phone, c.created_at, count(*) OVER () AS total, {TAGS}
    FROM contacts c
    WHERE c.organization_id = $1 AND c.stage_id = $2
      AND c.id IN (SELECT ct.contact_id FROM contact_tags ct WHERE ct.organization_id = $3 AND ct.tag_id = $4
                   AND ct.contact_created_at >= $5 AND ct.contact_created_at <= $6)
      AND c.created_at >= $7 AND c.created_at <= $8
    ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 50";

/// Q2 for a long phone fragment, which matches a handful of contacts: the matches first (the trigram
/// index), then the sort, rather than walking the activity index looking for them.
pub const Q2_FEW: &str = "WITH m AS MATERIALIZED (SELECT c.id, c.name, c.phone, c.email, c.last_activity_at
        FROM contacts c WHERE c.organization_id = $1 AND (c.search_text LIKE $2 ESCAPE '\\' OR c.id = ANY(ARRAY(
        SELECT i.contact_id FROM contact_identifiers i WHERE i.organization_id = $1
        AND i.kind IN ('WA_ID', 'WA_USER_ID', 'WA_PARENT_USER_ID', 'USERNAME', 'TELEGRAM_ID', 'WIDGET_SESSION', 'API_ID', 'EXTERNAL')
        AND i.value IN ($3, $4) LIMIT 50))))
    SELECT * FROM m ORDER BY last_activity_at DESC, id DESC LIMIT 20";

/// Q4: one contact with stage, tags, assignee, its last 20 notes with authors, and its conversations with
/// their last 20 messages, as one JSON document.
pub const Q4: &str = "SELECT c.id, c.name, c.phone, s.name AS stage, u.name AS assignee, {TAGS},
    (SELECT json_agg(n) FROM (SELECT n.body, n.created_at, a.name AS author FROM notes n
        LEFT JOIN users a ON a.id = n.author_id WHERE n.organization_id = $1 AND n.contact_id = c.id
        ORDER BY n.created_at DESC, n.id DESC LIMIT 20) n) AS notes,
    (SELECT json_agg(v) FROM (SELECT cv.id, cv.last_message_at, (SELECT json_agg(m) FROM (
        SELECT m.direction, m.body, m.status, m.created_at FROM messages m
        WHERE m.organization_id = $1 AND m.conversation_id = cv.id ORDER BY m.created_at DESC, m.id DESC LIMIT 20) m)
        AS messages FROM conversations cv WHERE cv.organization_id = $1 AND cv.contact_id = c.id) v) AS conversations
    FROM contacts c JOIN pipeline_stages s ON s.id = c.stage_id LEFT JOIN users u ON u.id = c.assignee_id
    WHERE c.organization_id = $1 AND c.id = $2";

/// One statement with its values.
pub fn statement(sql: &str, values: Vec<SqlValue>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql.replace("{TAGS}", TAGS), values)
}

/// The LIKE pattern of a search, as the server builds it (the same rows must come back).
pub fn pattern(term: &str) -> String {
    api::contacts::filter::search_pattern(Some(term)).ok().flatten().unwrap_or_else(|| "%".into())
}

/// The exact values an identity search probes: the term, and a username's compared form.
pub fn identity_values(term: &str) -> (String, String) {
    let term = term.trim();
    (term.to_string(), term.strip_prefix('@').unwrap_or(term).to_lowercase())
}

/// The ids (first column) a statement answers, in order.
pub async fn ids(db: &DatabaseConnection, stmt: Statement) -> anyhow::Result<Vec<Uuid>> {
    let rows = db.query_all_raw(stmt).await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<Uuid>(0).ok()).collect())
}

/// A workload's statement for request `i` of worker `w`, as the server's workload builds its request.
pub type SqlBuild = Arc<dyn Fn(usize, usize) -> Statement + Send + Sync>;

/// What the statements draw from: the same values, in the same order, as the server's workloads.
pub struct Inputs {
    pub organization_id: Uuid,
    /// In the order of the workloads' agent tokens.
    pub agent_ids: Vec<Uuid>,
    pub tags: Vec<Uuid>,
    pub stages: Vec<Uuid>,
    pub with_conversation: Vec<Uuid>,
    pub phone_fragments: Vec<String>,
    pub identities: Vec<String>,
}

fn search(org: Uuid, term: &str) -> Statement {
    let (exact, folded) = identity_values(term);
    // The server reads a long phone fragment the same way (`contacts::filter::is_long_phone_fragment`).
    let sql = if api::contacts::filter::is_long_phone_fragment(Some(term), "CR") { Q2_FEW } else { Q2 };
    statement(sql, vec![org.into(), pattern(term).into(), exact.into(), folded.into()])
}

/// The statement twin of each server workload that has one, by the workload's name.
pub fn twins(inputs: Inputs) -> Vec<(&'static str, SqlBuild)> {
    let f = Arc::new(inputs);
    let org = f.organization_id;
    let mut out: Vec<(&'static str, SqlBuild)> = Vec::new();
    let fx = f.clone();
    out.push((
        "Q1 agent first 50 by activity",
        Arc::new(move |_, w| statement(Q1, vec![org.into(), fx.agent_ids[w % fx.agent_ids.len()].into()])),
    ));
    for (name, term) in
        [("Q2 search 'mari' (~10%)", "mari"), ("Q2 search 'xime' (~2%)", "xime"), ("Q2 search 'zqxj' (none)", "zqxj")]
    {
        out.push((name, Arc::new(move |_, _| search(org, term))));
    }
    let fx = f.clone();
    out.push((
        "Q2 search 5 phone digits",
        Arc::new(move |i, _| search(org, &fx.phone_fragments[i % fx.phone_fragments.len()])),
    ));
    let fx = f.clone();
    out.push(("Q2 search exact identity", Arc::new(move |i, _| search(org, &fx.identities[i % fx.identities.len()]))));
    let fx = f.clone();
    out.push((
        "Q3 tag+stage+30 days, total",
        Arc::new(move |i, _| {
            let to = crate::seed::anchor() - chrono::Duration::days(30 * (i % 23) as i64);
            let from = to - chrono::Duration::days(30);
            let (tag, stage) = (fx.tags[i % fx.tags.len()], fx.stages[i % fx.stages.len()]);
            let values =
                vec![org.into(), stage.into(), org.into(), tag.into(), from.into(), to.into(), from.into(), to.into()];
            statement(Q3, values)
        }),
    ));
    let fx = f;
    out.push((
        "Q4 contact with messages",
        Arc::new(move |i, _| {
            statement(Q4, vec![org.into(), fx.with_conversation[i % fx.with_conversation.len()].into()])
        }),
    ));
    out
}

/// Runs `build(i, worker)` statements from `concurrency` workers for `duration`.
pub async fn drive(
    db: &DatabaseConnection,
    concurrency: usize,
    duration: Duration,
    build: SqlBuild,
    name: String,
) -> Report {
    let db = db.clone();
    let outcome = super::load::steps(concurrency, duration, move |i, worker| {
        let (db, statement) = (db.clone(), build(i, worker));
        async move {
            match db.query_all_raw(statement).await {
                Ok(_) => Verdict::Done,
                Err(err) => Verdict::Failed(err.to_string()),
            }
        }
    })
    .await;
    outcome.report(name)
}

/// CPU seconds (user and system) a process has used, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are the 14th and 15th fields: 12th and 13th after the state.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds every PostgreSQL process on this machine has used.
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).map(String::from))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(|pid| cpu_seconds(&pid))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_the_servers() {
        assert_eq!(pattern("Marí"), "%mari%");
        assert_eq!(pattern("88 12-3"), "%88123%");
        assert_eq!(identity_values("@Mateo_MX"), ("@Mateo_MX".into(), "mateo_mx".into()));
    }
}
