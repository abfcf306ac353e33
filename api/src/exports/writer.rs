//! Writes rows to a file as they come, in CSV, XLSX or JSON, so memory stays flat however many rows
//! there are. Nothing a user typed can run as a spreadsheet formula: CSV cells that would are prefixed
//! with an apostrophe, and XLSX cells are written as strings, never formulas.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use rust_xlsxwriter::{Format as XlsxFormat, Workbook};
use serde::{Deserialize, Serialize};

use super::columns::Cell;
use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Json => "json",
        }
    }
}

/// Rows an XLSX sheet holds below its header.
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

pub enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx { book: Box<Workbook>, next_row: u32, path: PathBuf },
    Json { out: BufWriter<File>, keys: Vec<String>, first: bool },
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading
/// apostrophe. A plain signed number such as a phone in E.164 stays as it is: it is a value, not a formula.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let plain_number = {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    if risky && !plain_number { format!("'{text}").into() } else { text.into() }
}

fn failed(err: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("writing the export: {err}"))
}

impl Sink {
    pub fn create(format: Format, path: &Path, headers: &[String], keys: &[String]) -> ApiResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        Ok(match format {
            Format::Csv => {
                let mut out = BufWriter::with_capacity(1 << 16, File::create(path).map_err(failed)?);
                // A BOM, so spreadsheet programs read the file as UTF-8 (accents in names).
                out.write_all("\u{feff}".as_bytes()).map_err(failed)?;
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(headers.iter().map(|h| neutralise(h).into_owned())).map_err(failed)?;
                Self::Csv(Box::new(writer))
            }
            Format::Xlsx => {
                let mut book = Workbook::new();
                let bold = XlsxFormat::new().set_bold();
                let sheet = book.add_worksheet_with_constant_memory().map_err(failed)?;
                for (c, h) in headers.iter().enumerate() {
                    sheet.write_string_with_format(0, c as u16, h, &bold).map_err(failed)?;
                }
                Self::Xlsx { book: Box::new(book), next_row: 1, path: path.to_owned() }
            }
            Format::Json => {
                let mut out = BufWriter::with_capacity(1 << 16, File::create(path).map_err(failed)?);
                out.write_all(b"[").map_err(failed)?;
                Self::Json { out, keys: keys.to_vec(), first: true }
            }
        })
    }

    pub fn write(&mut self, row: &[Cell]) -> ApiResult<()> {
        match self {
            Self::Csv(writer) => {
                let fields = row.iter().map(|cell| match cell {
                    Cell::Number(_) => cell.as_text().into_owned(),
                    _ => neutralise(&cell.as_text()).into_owned(),
                });
                writer.write_record(fields).map_err(failed)
            }
            Self::Xlsx { book, next_row, .. } => {
                let sheet = book.worksheet_from_index(0).map_err(failed)?;
                for (c, cell) in row.iter().enumerate() {
                    let column = c as u16;
                    match cell {
                        Cell::Absent => {}
                        Cell::Number(n) => {
                            sheet.write_number(*next_row, column, *n as f64).map_err(failed)?;
                        }
                        Cell::Value(serde_json::Value::Number(n)) => {
                            let n = n.as_f64().unwrap_or_default();
                            sheet.write_number(*next_row, column, n).map_err(failed)?;
                        }
                        Cell::Value(serde_json::Value::Bool(b)) => {
                            sheet.write_boolean(*next_row, column, *b).map_err(failed)?;
                        }
                        other => {
                            let text = other.as_text();
                            if !text.is_empty() {
                                sheet.write_string(*next_row, column, text).map_err(failed)?;
                            }
                        }
                    }
                }
                *next_row += 1;
                Ok(())
            }
            Self::Json { out, keys, first } => {
                let object: serde_json::Map<String, serde_json::Value> =
                    keys.iter().zip(row).map(|(k, cell)| (k.clone(), cell.to_json())).collect();
                if !*first {
                    out.write_all(b",\n").map_err(failed)?;
                }
                *first = false;
                serde_json::to_writer(&mut *out, &object).map_err(failed)
            }
        }
    }

    /// Flushes and closes the file.
    pub fn finish(self) -> ApiResult<()> {
        match self {
            Self::Csv(writer) => writer.into_inner().map_err(failed)?.flush().map_err(failed),
            Self::Xlsx { mut book, path, .. } => book.save(&path).map_err(failed),
            Self::Json { mut out, .. } => {
                out.write_all(b"]\n").map_err(failed)?;
                out.flush().map_err(failed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised_and_phones_are_not() {
        assert_eq!(neutralise("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(neutralise("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\t=1"), "'\t=1");
        assert_eq!(neutralise("+50688001122"), "+50688001122");
        assert_eq!(neutralise("-12.5"), "-12.5");
        assert_eq!(neutralise("Ana María"), "Ana María");
    }
}
