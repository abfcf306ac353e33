//! The server's source read as a graph: modules import in one direction, and only the visibility module
//! reads the contacts table.

mod graph;

use std::path::PathBuf;

use graph::{SourceTree, display};

fn server_source() -> SourceTree {
    SourceTree::read(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api/src"))
}

#[test]
fn the_server_modules_import_in_one_direction() {
    let tree = server_source();
    assert!(tree.files.len() > 100, "the server's source was not found");
    let cycles = tree.cycles();
    let report: Vec<String> = cycles
        .iter()
        .map(|group| {
            let lines: Vec<String> = group
                .iter()
                .map(|m| {
                    let inside: Vec<String> =
                        tree.edges[m].iter().filter(|t| group.contains(t)).map(|t| display(t)).collect();
                    format!("  {} -> {}", display(m), inside.join(", "))
                })
                .collect();
            format!("a cycle of {} files:\n{}", group.len(), lines.join("\n"))
        })
        .collect();
    assert!(cycles.is_empty(), "modules import each other in circles:\n{}", report.join("\n"));
}

#[test]
fn the_graph_sees_a_cycle_and_every_kind_of_path() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a; pub mod b; pub mod c;");
    write("a/mod.rs", "mod inner; pub use inner::Thing;");
    write("a/inner.rs", "pub struct Thing; fn f() { let _ = crate::b::g(); }");
    write("b.rs", "pub fn g() { tracing::info!(\"{}\", super::c::X); }");
    write("c.rs", "pub const X: u8 = 1; use crate::a::Thing; #[cfg(test)] mod tests { use crate::b::g; }");
    let tree = SourceTree::read(dir.path());
    let names = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(tree.edges[&names(&["a"])].contains(&names(&["a", "inner"])), "a re-export is an edge");
    assert!(tree.edges[&names(&["b"])].contains(&names(&["c"])), "a path inside a macro is an edge");
    assert!(!tree.edges[&names(&["c"])].contains(&names(&["b"])), "test modules are left out");
    let cycles = tree.cycles();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].len(), 4, "a, a::inner, b and c reach each other: {cycles:?}");
}

/// Where a module stands: HTTP on top, then the server state, the schema, each domain's GraphQL, the
/// GraphQL pieces they share, the job worker, the domains' services and runners, and the foundation
/// (settings, storage, errors, auth, visibility) at the bottom.
fn layer(module: &[String]) -> (u8, &'static str) {
    let first = module.first().map_or("", String::as_str);
    let is_graphql = module.iter().any(|s| s == "graphql");
    match first {
        "" => (9, "crate root"),
        "http" => (8, "HTTP"),
        "state" => (7, "server state"),
        "schema" => (6, "schema"),
        "graphql" => (4, "shared GraphQL"),
        _ if is_graphql => (5, "domain GraphQL"),
        "jobs" if module.get(1).is_some_and(|m| m == "worker") => (3, "job worker"),
        "config" | "db" | "error" | "validate" | "pagination" | "telemetry" | "memory" | "metrics" | "shared_redis"
        | "auth" | "files" | "catalog" | "rate_limit" | "jobs" | "visibility" | "values" => (1, "foundation"),
        "events" if module.len() == 1 => (1, "foundation"),
        _ => (2, "domain services"),
    }
}

#[test]
fn lower_layers_never_import_upper_ones() {
    let tree = server_source();
    let mut wrong = Vec::new();
    for (from, targets) in &tree.edges {
        for to in targets {
            let ((a, la), (b, lb)) = (layer(from), layer(to));
            if a < b {
                wrong.push(format!("  {} ({la}) -> {} ({lb})", display(from), display(to)));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point upwards:\n{}", wrong.join("\n"));
}

/// The files that read contacts for the organization itself (`Visible::system`), and why.
const SYSTEM_READERS: &[(&str, &str)] = &[
    ("conversations/inbound.rs", "WhatsApp webhook ingest: re-reads the sender's contact after storing its message"),
    ("conversations/identities.rs", "WhatsApp webhook ingest: finds the contact an identity belongs to"),
    ("conversations/outbound.rs", "delivery statuses that the WhatsApp webhook reports"),
    ("contacts/service.rs", "plan limits count every contact of the organization"),
    ("imports/run.rs", "the import job runner's plan-limit count"),
    ("outbound_webhooks/outbox.rs", "partner events describe every change, whoever may see the contact"),
    ("bulk/apply.rs", "the bulk runner reads the stages of the batch it selected through the actor's sight"),
    ("listings/service.rs", "deleting a listing re-evaluates the segments of every contact it was the source of"),
    ("segments/members.rs", "segment memberships: a write locks the contacts it touched before re-evaluating them"),
    ("segments/evaluate.rs", "segment memberships: every kept segment's filter over the contacts a write touched"),
    ("http/graphql/ws.rs", "subscriptions' loaders: every contact they deliver is read again with the refreshed actor"),
];

#[test]
fn only_the_visibility_module_reads_the_contacts_table() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api/src");
    let mut wrong = Vec::new();
    let mut system_users = Vec::new();
    for (module, path) in server_source().files {
        let file = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if module == ["visibility"] {
            continue;
        }
        let code: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let sql = code.to_lowercase().replace('"', "");
        let finds = code.lines().any(|l| l.contains("find") && l.contains("contact::Entity"));
        if finds || sql.contains("from contacts") || sql.contains("join contacts") {
            wrong.push(format!("  {file} reads the contacts table itself"));
        }
        if code.contains("Visible::system(") {
            system_users.push(file.clone());
            if !SYSTEM_READERS.iter().any(|(f, _)| *f == file) {
                wrong.push(format!(
                    "  {file} reads contacts as the organization (Visible::system) without being listed"
                ));
            }
        }
    }
    for (file, why) in SYSTEM_READERS {
        assert!(system_users.contains(&file.to_string()), "{file} is listed ({why}) but no longer reads as the system");
    }
    assert!(wrong.is_empty(), "contacts read outside the visibility module:\n{}", wrong.join("\n"));
}
