//! Imports end to end: real xlsx and CSV files uploaded through the multipart spec, run as jobs,
//! reported in a downloadable xlsx; and the files that must not hurt the server.

mod hostile;
mod jobs;
mod rows;

use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};

use crate::harness::TestApp;

pub const START: &str = "mutation($file: Upload!, $mapping: [ColumnMappingInput!], $dry: Boolean) { startImport(file: $file, mapping: $mapping, dryRun: $dry) { id state } }";
pub const JOB: &str = "query($id: ID!) { importJob(id: $id) { state total processed created skipped invalid error reportUrl dryRun fileName } }";

/// A CSV of `n` leads numbered from `from`: `+50688<number>,Lead <number>`.
pub fn leads_csv(from: usize, n: usize) -> Vec<u8> {
    let mut s = String::from("phone,name\n");
    for i in from..from + n {
        s.push_str(&format!("+50688{i:06},Lead {i}\n"));
    }
    s.into_bytes()
}

/// An xlsx with these rows (the first is the header), every cell as text.
pub fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Uploads, runs the job, and returns the finished job.
pub async fn import(app: &TestApp, name: &str, bytes: &[u8], vars: Value) -> Value {
    let (status, res) = app.upload(&app.owner_token, START, vars, name, bytes).await;
    assert_eq!(status, 200, "{res}");
    let id = res["data"]["startImport"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_string();
    app.run_jobs().await;
    let job = app.gql(Some(&app.owner_token), JOB, json!({ "id": id })).await;
    let mut job = job["data"]["importJob"].clone();
    job["id"] = json!(id);
    job
}

/// The report's rows: (outcome, reason) per input row.
pub async fn report(app: &TestApp, job: &Value) -> Vec<(String, String)> {
    use calamine::{Reader, Xlsx};
    let (status, bytes) = app.download(job["reportUrl"].as_str().expect("report link")).await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Import report").unwrap();
    range.rows().skip(1).map(|r| (r[1].to_string(), r[2].to_string())).collect()
}

pub async fn contact_count(app: &TestApp) -> i64 {
    app.gql(Some(&app.owner_token), "{ contacts { totalCount } }", json!({})).await["data"]["contacts"]["totalCount"]
        .as_i64()
        .unwrap()
}
