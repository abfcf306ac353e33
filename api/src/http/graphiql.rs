//! GraphiQL, served whole by this server: GraphiQL's and React's published browser builds, unchanged
//! (`api/assets/graphiql/fetch.sh` takes them from npm and checks their digests), embedded in the binary.
//! The page works offline, and its Content-Security-Policy lets it load and connect to nothing elsewhere.

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Scripts and styles from this server only; no inline script. Inline styles stay allowed: GraphiQL's
/// dialogs and panes size themselves with `style` attributes, which a stricter policy refuses.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("start.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/start.js")),
    ("page.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/page.css")),
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../../assets/graphiql/graphiql.min.css")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

const PAGE: &[u8] = include_bytes!("../../assets/graphiql/index.html");

/// `/`: the page.
pub async fn page() -> Response {
    serve("text/html; charset=utf-8", PAGE, "no-cache")
}

/// `/graphiql/{file}`: what the page loads.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => serve(content_type, bytes, "public, max-age=3600"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn serve(content_type: &'static str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
