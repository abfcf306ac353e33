//! Reading an uploaded file into a header and rows, refusing what could hurt the server: decompression
//! bombs, absurd sheets, huge cells, encrypted or legacy workbooks, and files that are not what they say.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

pub struct Limits {
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_cell_chars: usize,
    /// Most bytes the workbook may unpack to, and the largest ratio one part may expand by.
    pub max_unpacked: u64,
    pub max_ratio: u64,
}

impl Limits {
    pub fn new(max_rows: usize) -> Self {
        Self { max_rows, max_columns: 200, max_cell_chars: 32_767, max_unpacked: 400 * 1024 * 1024, max_ratio: 200 }
    }
}

#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads the first sheet of an xlsx, or a CSV; the error is the reason the client will see.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Table, String> {
    let mut table = match bytes {
        [0x50, 0x4B, 0x03, 0x04, ..] => xlsx(bytes, limits)?,
        [0xD0, 0xCF, 0x11, 0xE0, ..] => {
            return Err(
                "This is a password-protected or legacy (.xls) workbook: save it as an unprotected .xlsx".into()
            );
        }
        _ => csv(bytes, limits)?,
    };
    // Trailing empty rows are noise from spreadsheets, not contacts.
    while table.rows.last().is_some_and(|r| r.iter().all(|c| c.trim().is_empty())) {
        table.rows.pop();
    }
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err("The file has no header row".into());
    }
    Ok(table)
}

fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let bad = || "The file is not a valid .xlsx workbook (damaged or truncated)".to_string();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad())?;
    if zip.len() > 10_000 {
        return Err(bad());
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| bad())?;
        total = total.saturating_add(entry.size());
        let ratio = entry.size() / entry.compressed_size().max(1);
        if total > limits.max_unpacked || (entry.size() > 10 * 1024 * 1024 && ratio > limits.max_ratio) {
            return Err("The workbook unpacks to far more than its size (a decompression bomb?): refused".into());
        }
    }
    Ok(())
}

fn xlsx(bytes: &[u8], limits: &Limits) -> Result<Table, String> {
    check_zip(bytes, limits)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => {
            "The workbook is password-protected: remove the password and upload again".to_string()
        }
        _ => "The file is not a valid .xlsx workbook (damaged or truncated)".to_string(),
    })?;
    let sheet = book.sheet_names().first().cloned().ok_or("The workbook has no sheet")?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(|_| "The first sheet cannot be read".to_string())?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    // Cells stream one by one: nothing is allocated for the dimensions a sheet merely declares.
    while let Some(cell) = cells.next_cell().map_err(|_| "The first sheet is damaged".to_string())? {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        if row > limits.max_rows {
            return Err(format!("The file has more than {} rows", limits.max_rows));
        }
        if col >= limits.max_columns {
            return Err(format!("The file has more than {} columns", limits.max_columns));
        }
        let text = text_of(cell.get_value());
        if text.chars().count() > limits.max_cell_chars {
            return Err(format!("A cell in row {} holds more than {} characters", row + 1, limits.max_cell_chars));
        }
        if text.is_empty() {
            continue;
        }
        if grid.len() <= row {
            grid.resize_with(row + 1, Vec::new);
        }
        let cols = &mut grid[row];
        if cols.len() <= col {
            cols.resize(col + 1, String::new());
        }
        cols[col] = text;
    }
    let mut rows = grid.into_iter();
    let headers = rows.next().unwrap_or_default();
    Ok(Table { headers, rows: rows.collect() })
}

fn text_of(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        // Phones typed into a spreadsheet often arrive as numbers: 50688881234.0 is "50688881234".
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_datetime().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// UTF-8 (with or without BOM) or Latin-1; comma or semicolon, whichever the header uses more.
fn csv(bytes: &[u8], limits: &Limits) -> Result<Table, String> {
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err("This is neither a CSV nor an .xlsx file".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    };
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("The CSV cannot be read: {e}"))?;
        if rows.len() > limits.max_rows {
            return Err(format!("The file has more than {} rows", limits.max_rows));
        }
        if record.len() > limits.max_columns {
            return Err(format!("The file has more than {} columns", limits.max_columns));
        }
        if record.iter().any(|c| c.chars().count() > limits.max_cell_chars) {
            return Err(format!(
                "A cell in row {} holds more than {} characters",
                rows.len() + 1,
                limits.max_cell_chars
            ));
        }
        rows.push(record.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>());
    }
    let mut rows = rows.into_iter();
    let headers = rows.next().ok_or("The file is empty")?;
    Ok(Table { headers, rows: rows.collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_latin1_with_semicolons_and_a_bom_in_utf8() {
        let latin1 = b"Nombre;Tel\xe9fono\nJos\xe9;88881234\n";
        let t = open(latin1, &Limits::new(10)).unwrap();
        assert_eq!(t.headers, ["Nombre", "Teléfono"]);
        assert_eq!(t.rows, [["José", "88881234"]]);
        let bom = "\u{feff}name,phone\nAna,+50688881234\n\n";
        let t = open(bom.as_bytes(), &Limits::new(10)).unwrap();
        assert_eq!(t.headers, ["name", "phone"]);
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn files_that_are_not_what_they_say_are_refused() {
        assert!(open(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", &Limits::new(10)).unwrap_err().contains("legacy"));
        assert!(open(b"PK\x03\x04truncated", &Limits::new(10)).unwrap_err().contains("not a valid"));
        assert!(open(b"\x89PNG\r\n\x1a\n\0\0\0", &Limits::new(10)).unwrap_err().contains("neither"));
        let many = "a\n".repeat(20);
        assert!(open(many.as_bytes(), &Limits::new(5)).unwrap_err().contains("more than 5 rows"));
    }
}
