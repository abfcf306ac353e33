//! The xlsx files of imports: the result report (one row per input row with its outcome) and the
//! template a team fills in. Every value is written as text, never as a formula.

use entity::{job_row, property_definition};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::source::Table;

pub fn build(table: &Table, outcomes: &[job_row::Model]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("Import report")?;
    let titles = ["Row", "Outcome", "Reason"].iter().map(|s| s.to_string()).chain(table.headers.iter().cloned());
    for (col, title) in titles.enumerate() {
        sheet.write_string_with_format(0, col as u16, title, &bold)?;
    }
    let mut next = outcomes.iter().peekable();
    for (i, row) in table.rows.iter().enumerate() {
        let number = i as i64 + 1;
        let line = number as u32;
        sheet.write_number(line, 0, number as f64)?;
        while next.peek().is_some_and(|o| o.row < number) {
            next.next();
        }
        let (outcome, reason) = match next.peek().filter(|o| o.row == number) {
            Some(o) => (o.outcome.as_str(), o.reason.clone().unwrap_or_default()),
            None => ("NOT_PROCESSED", "The import stopped before this row".to_string()),
        };
        sheet.write_string(line, 1, outcome)?;
        sheet.write_string(line, 2, reason)?;
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(line, 3 + c as u16, value)?;
        }
    }
    book.save_to_buffer()
}

/// Columns: phone (with country code), name, email, tags, then one per custom property, and one example row.
pub fn template(definitions: &[property_definition::Model]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Contacts")?;
    let mut headers = vec!["phone".to_string(), "name".into(), "email".into(), "tags".into()];
    headers.extend(definitions.iter().filter(|d| !d.hidden).map(|d| d.label.clone()));
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
        sheet.set_column_width(c as u16, 22)?;
    }
    for (c, v) in ["+50688881234", "María López", "maria@example.com", "VIP, Buyer"].iter().enumerate() {
        sheet.write_string(1, c as u16, *v)?;
    }
    book.save_to_buffer()
}
