//! Guards that run before the GraphQL engine parses a query. The parser recurses on nested values and
//! selections before any of async-graphql's `limit_*` checks, and its own limits only reject wide
//! fragment fan-out after expanding it; so the raw text is measured first (size, tokens, nesting) in
//! one iterative pass, and the parsed document's expanded size is counted with a budget that stops early.

use std::sync::Arc;

use super::documents::Documents;

use async_graphql::{
    ErrorExtensionValues, Request, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Selection},
};

/// Limits that keep one query from costing the server more than a page of work (depth and complexity are
/// configurable: `QUERY_MAX_DEPTH`, `QUERY_MAX_COMPLEXITY`).
pub const MAX_RECURSIVE_DEPTH: usize = 32;
pub const MAX_DIRECTIVES: usize = 20;

/// What a page of a connection costs: its children once per requested item (default 50).
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items =
        first.or(last).unwrap_or(crate::pagination::DEFAULT_PAGE).clamp(0, crate::pagination::MAX_PAGE) as usize;
    1 + items.max(1) * child_complexity
}

/// Limits on one query, with their defaults.
#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    pub max_bytes: usize,
    pub max_tokens: usize,
    pub max_nesting: usize,
    /// Fields after expanding every fragment spread.
    pub max_fields: usize,
    pub max_aliases: usize,
    pub max_variable_depth: usize,
}

impl QueryLimits {
    /// The configured limits (`QUERY_MAX_*`), the rest at their defaults.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_bytes: config.query_max_bytes,
            max_tokens: config.query_max_tokens,
            max_nesting: config.query_max_nesting,
            max_fields: config.query_max_fields,
            max_aliases: config.query_max_aliases,
            ..Default::default()
        }
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024,
            max_tokens: 5_000,
            max_nesting: 40,
            max_fields: 2_000,
            max_aliases: 100,
            max_variable_depth: 16,
        }
    }
}

/// Checks one request over HTTP before the engine runs it, and parses it once (the engine reuses the
/// document). Done here rather than in an engine extension because any extension sends every field of
/// every answer through the extension chain (a boxed future per field): a page of 50 contacts spent a
/// tenth of its server time there.
/// A text parsed and checked before is taken from `documents`; a new one is handed back, to be kept once
/// the engine has validated it (`Documents::put`).
pub fn check_request(
    request: &mut Request,
    limits: &QueryLimits,
    documents: &Documents,
) -> ServerResult<Option<ExecutableDocument>> {
    if let Some(document) = documents.get(&request.query) {
        check_variables(&request.variables, limits).map_err(too_complex)?;
        request.set_parsed_query(document);
        return Ok(None);
    }
    check_text(&request.query, limits).map_err(too_complex)?;
    check_variables(&request.variables, limits).map_err(too_complex)?;
    let document = async_graphql::parser::parse_query(&request.query)?;
    check_expansion(&document, limits).map_err(too_complex)?;
    request.set_parsed_query(document.clone());
    Ok(Some(document))
}

/// The same checks as an engine extension, for the WebSocket transport, whose requests do not pass through
/// our HTTP handler.
pub struct QueryGuard(pub QueryLimits);

impl ExtensionFactory for QueryGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryGuardExtension(self.0))
    }
}

struct QueryGuardExtension(QueryLimits);

#[async_graphql::async_trait::async_trait]
impl Extension for QueryGuardExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        check_text(query, &self.0).map_err(too_complex)?;
        check_variables(variables, &self.0).map_err(too_complex)?;
        let document = next.run(ctx, query, variables).await?;
        check_expansion(&document, &self.0).map_err(too_complex)?;
        Ok(document)
    }
}

/// A limit a query went over: which (`bytes`, `tokens`, `nesting`, `fields`, `aliases`, `variableDepth`,
/// `depth`, `complexity`), the query's figure and the limit. Figures counted with an early stop (tokens,
/// nesting, fields, aliases) are where counting stopped, just over the limit.
#[derive(Debug)]
pub struct Exceeded {
    pub limit: &'static str,
    pub actual: usize,
    pub max: usize,
    pub message: String,
}

impl Exceeded {
    fn new(limit: &'static str, actual: usize, max: usize, message: impl Into<String>) -> Self {
        Self { limit, actual, max, message: message.into() }
    }

    /// Sets the code and the figures on an error's extensions.
    pub fn describe(&self, ext: &mut ErrorExtensionValues) {
        ext.set("code", "QUERY_TOO_COMPLEX");
        ext.set("limit", self.limit);
        ext.set("actual", self.actual as u64);
        ext.set("max", self.max as u64);
    }
}

fn too_complex(exceeded: Exceeded) -> ServerError {
    let mut err = ServerError::new(exceeded.message.clone(), None);
    let mut ext = ErrorExtensionValues::default();
    exceeded.describe(&mut ext);
    err.extensions = Some(ext);
    err
}

/// Measures a query's depth and complexity as the engine does, without running it: an engine extension
/// that stops after validation and reports the figures. Used only to explain a refusal of the engine's own
/// depth or complexity limit, which says neither figure.
pub struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Measure)
    }
}

const MEASURED: &str = "measured";

#[async_graphql::async_trait::async_trait]
impl Extension for Measure {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut err = ServerError::new(MEASURED, None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("complexity", result.complexity as u64);
        ext.set("depth", result.depth as u64);
        err.extensions = Some(ext);
        Err(vec![err])
    }
}

/// (complexity, depth) from a response of a schema with `Measure`.
pub fn measured(response: &async_graphql::Response) -> Option<(usize, usize)> {
    let err = response.errors.iter().find(|e| e.message == MEASURED)?;
    let ext = err.extensions.as_ref()?;
    let figure = |key: &str| match ext.get(key) {
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        _ => None,
    };
    Some((figure("complexity")?, figure("depth")?))
}

/// Size, token count and bracket nesting of the raw text, skipping strings and comments.
pub fn check_text(query: &str, limits: &QueryLimits) -> Result<(), Exceeded> {
    if query.len() > limits.max_bytes {
        let message = format!("The query is longer than {} bytes", limits.max_bytes);
        return Err(Exceeded::new("bytes", query.len(), limits.max_bytes, message));
    }
    let bytes = query.as_bytes();
    let (mut i, mut depth, mut tokens) = (0usize, 0usize, 0usize);
    let mut in_word = false;
    while i < bytes.len() {
        let b = bytes[i];
        let word = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
        if word {
            if !in_word {
                tokens += 1;
            }
            in_word = true;
            i += 1;
            continue;
        }
        in_word = false;
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                let block = bytes[i..].starts_with(b"\"\"\"");
                i += if block { 3 } else { 1 };
                while i < bytes.len() {
                    if block && bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    }
                    if !block && bytes[i] == b'\\' {
                        i += 1;
                    } else if !block && bytes[i] == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                tokens += 1;
                depth += 1;
                if depth > limits.max_nesting {
                    let message = format!("The query nests deeper than {} levels", limits.max_nesting);
                    return Err(Exceeded::new("nesting", depth, limits.max_nesting, message));
                }
            }
            b'}' | b']' | b')' => {
                tokens += 1;
                depth = depth.saturating_sub(1);
            }
            b if b.is_ascii_whitespace() || b == b',' => {}
            _ => tokens += 1,
        }
        if tokens > limits.max_tokens {
            let message = format!("The query has more than {} tokens", limits.max_tokens);
            return Err(Exceeded::new("tokens", tokens, limits.max_tokens, message));
        }
        i += 1;
    }
    Ok(())
}

fn check_variables(variables: &Variables, limits: &QueryLimits) -> Result<(), Exceeded> {
    let mut stack: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = stack.pop() {
        if depth > limits.max_variable_depth {
            let message = format!("A variable nests deeper than {} levels", limits.max_variable_depth);
            return Err(Exceeded::new("variableDepth", depth, limits.max_variable_depth, message));
        }
        match value {
            Value::List(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Counts fields with fragments expanded, stopping as soon as the budget is spent, so a document that
/// fans out exponentially is refused after a bounded amount of work.
pub fn check_expansion(doc: &ExecutableDocument, limits: &QueryLimits) -> Result<(), Exceeded> {
    let (mut fields, mut aliases) = (0usize, 0usize);
    let mut stack: Vec<(&Selection, usize)> = Vec::new();
    for (_, op) in doc.operations.iter() {
        stack.extend(op.node.selection_set.node.items.iter().map(|s| (&s.node, 0)));
    }
    while let Some((selection, spreads)) = stack.pop() {
        match selection {
            Selection::Field(f) => {
                fields += 1;
                aliases += usize::from(f.node.alias.is_some());
                stack.extend(f.node.selection_set.node.items.iter().map(|s| (&s.node, spreads)));
            }
            Selection::InlineFragment(f) => {
                stack.extend(f.node.selection_set.node.items.iter().map(|s| (&s.node, spreads)))
            }
            Selection::FragmentSpread(s) => {
                if spreads > limits.max_nesting {
                    let message = "Fragment spreads nest too deep (or refer to themselves)";
                    return Err(Exceeded::new("nesting", spreads, limits.max_nesting, message));
                }
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    stack.extend(frag.node.selection_set.node.items.iter().map(|s| (&s.node, spreads + 1)));
                }
            }
        }
        if fields > limits.max_fields {
            let message =
                format!("The query selects more than {} fields once fragments are expanded", limits.max_fields);
            return Err(Exceeded::new("fields", fields, limits.max_fields, message));
        }
        if aliases > limits.max_aliases {
            let message = format!("The query uses more than {} aliases", limits.max_aliases);
            return Err(Exceeded::new("aliases", aliases, limits.max_aliases, message));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_and_token_floods_are_caught_without_parsing() {
        let limits = QueryLimits::default();
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(10_000), "]".repeat(10_000));
        let err = check_text(&deep, &limits).unwrap_err();
        assert_eq!((err.limit, err.actual, err.max), ("nesting", 41, 40));
        let flood = "{ a ".to_string() + &"b ".repeat(6_000) + "}";
        let err = check_text(&flood, &limits).unwrap_err();
        assert_eq!((err.limit, err.actual, err.max), ("tokens", 5_001, 5_000));
        let braces_in_strings = format!("{{ a(x: \"{}\") }} # {}", "{".repeat(500), "(".repeat(500));
        assert!(check_text(&braces_in_strings, &limits).is_ok());
    }
}
