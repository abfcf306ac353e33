//! Files that are refused with a clear reason when their import starts, while the server keeps serving.

use std::io::Write;

use serde_json::json;
use zip::write::SimpleFileOptions;

use super::{START, import, xlsx};
use crate::harness::{TestApp, code};

/// A workbook whose sheet part unpacks to `size` bytes of nothing.
fn bomb(size: usize) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..size / chunk.len() {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

async fn failed_with(app: &TestApp, name: &str, bytes: &[u8], expected: &str) {
    let (_, res) = app.upload(&app.owner_token, START, json!({}), name, bytes).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "{name}: {res}");
    assert_eq!(res["errors"][0]["extensions"]["field"], "file", "{name}: {res}");
    let reason = res["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(reason.contains(expected), "{name}: `{reason}` should mention `{expected}`");
    // The server goes on serving.
    let ok = app.gql(Some(&app.owner_token), "{ me { role } }", json!({})).await;
    assert_eq!(ok["data"]["me"]["role"], "OWNER");
}

#[tokio::test]
async fn hostile_files_are_refused_when_their_import_starts() {
    let app = TestApp::new().await;
    failed_with(&app, "bomb.xlsx", &bomb(64 * 1024 * 1024), "decompression bomb").await;
    failed_with(
        &app,
        "locked.xlsx",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0encrypted",
        "password-protected or legacy",
    )
    .await;
    let good = xlsx(&[vec!["phone", "name"], vec!["+50688881111", "Ana"]]);
    failed_with(&app, "truncated.xlsx", &good[..good.len() / 2], "damaged or truncated").await;
    failed_with(&app, "photo.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "neither a CSV").await;
    let huge_cell = format!("phone,name\n+50688881111,{}\n", "x".repeat(40_000));
    failed_with(&app, "huge-cell.csv", huge_cell.as_bytes(), "more than 32767 characters").await;
    let wide: Vec<&str> = vec!["x"; 300];
    failed_with(&app, "wide.xlsx", &xlsx(&[wide]), "more than 200 columns").await;
    failed_with(&app, "empty.csv", b"", "empty").await;
}

/// A file whose columns map to nothing a contact has is refused at once, naming its headers.
#[tokio::test]
async fn a_file_with_no_contact_columns_is_refused_when_it_starts() {
    let app = TestApp::new().await;
    let file = xlsx(&[vec!["Fecha", "Monto"], vec!["2026-12-01", "100"]]);
    let (_, res) = app.upload(&app.owner_token, START, json!({}), "ventas.xlsx", &file).await;
    assert_eq!(code(&res), "BAD_USER_INPUT", "{res}");
    assert_eq!(res["errors"][0]["extensions"]["field"], "mapping");
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("Fecha, Monto"), "{res}");
    let mapping = json!({ "mapping": [{ "column": 5, "field": "NAME" }, { "column": 0, "field": "PHONE" }] });
    let (_, res) = app.upload(&app.owner_token, START, mapping, "ventas.xlsx", &file).await;
    assert_eq!((code(&res), &res["errors"][0]["extensions"]["field"]), ("BAD_USER_INPUT", &json!("mapping")), "{res}");
    let jobs = app.gql(Some(&app.owner_token), "{ importJobs { totalCount } }", json!({})).await;
    assert_eq!(jobs["data"]["importJobs"]["totalCount"], 0, "{jobs}");
}

#[tokio::test]
async fn a_sheet_that_declares_absurd_dimensions_is_read_by_its_cells() {
    let app = TestApp::new().await;
    // One real row, but the sheet claims to span the whole grid.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "phone").unwrap();
    sheet.write_string(0, 1, "name").unwrap();
    sheet.write_string(1, 0, "+50688881111").unwrap();
    sheet.write_string(1, 1, "Ana").unwrap();
    sheet.write_string(1_048_575, 16_383, "").unwrap();
    let job = import(&app, "sparse.xlsx", &book.save_to_buffer().unwrap(), json!({})).await;
    assert_eq!(job["created"], 1, "{job}");
}

#[tokio::test]
async fn uploads_are_limited_and_need_the_preflight_header() {
    let app = TestApp::new().await;
    let too_big = vec![b'a'; 6 * 1024 * 1024];
    let (status, _) = app.upload(&app.owner_token, START, json!({}), "big.csv", &too_big).await;
    assert_eq!(status, 413);
    let req = axum::http::Request::post("/graphql")
        .header("content-type", "multipart/form-data; boundary=x")
        .header("authorization", format!("Bearer {}", app.owner_token))
        .body(axum::body::Body::from("--x--"))
        .unwrap();
    let res = crate::harness::body_json(app.send(req).await).await;
    assert_eq!(code(&res), "BAD_USER_INPUT");
}
