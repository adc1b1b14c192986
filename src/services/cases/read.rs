//! Reading a cases export: CSV as spreadsheets write it (`,` `;` or tab
//! separated, a UTF-8 BOM, CRLF, extra columns noted and ignored) or JSON,
//! streamed row by row with caps on the file, a row and a cell.

use super::*;
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Caps on one import, from `[cases]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_rows: u64,
    pub max_cell_bytes: usize,
}

impl Limits {
    pub fn of(cfg: &crate::config::CasesConfig) -> Limits {
        Limits {
            max_file_bytes: cfg.max_file_bytes,
            max_rows: cfg.max_rows,
            max_cell_bytes: cfg.max_cell_bytes,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::of(&Default::default())
    }
}

/// What turns a row into a case: the taxonomy's categories and the link
/// template.
pub struct CaseParser<'a> {
    pub known_categories: &'a [String],
    pub categories_for_hs: &'a dyn Fn(&str) -> Vec<String>,
    pub link_template: &'a str,
}

/// What the reader hands on, in order.
// Almost every value is a row: boxing it would allocate once more per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    /// The header was read: the separator found and the columns ignored.
    Header {
        separator: char,
        ignored: Vec<String>,
    },
    /// A row: a case, or why not (rows left blank are skipped).
    Row(Result<Case, RowError>),
}

/// Why reading stopped: a file that cannot be imported (the message
/// starts with `line N: ` when it has a place), or the writer gave up.
#[derive(Debug)]
pub enum Stop {
    Fatal(String),
    Cancelled,
}

/// The reader under the parser: counts bytes (for progress and the file
/// cap), checks UTF-8 as bytes pass (naming the line and column of a bad
/// byte), and bounds how much one row may take before it ends.
struct Guarded<R> {
    inner: R,
    total: Arc<AtomicU64>,
    max_total: u64,
    /// Bytes since the last finished row, and how many one row may take.
    since_row: Rc<Cell<u64>>,
    max_row: Rc<Cell<u64>>,
    line: u64,
    line_start: u64,
    pending: Vec<u8>,
    /// Offsets of the newlines read and not yet passed by the parser.
    newlines: Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
    track_lines: Rc<Cell<bool>>,
    /// Why the reader stopped the import, once it has.
    failed: Rc<std::cell::RefCell<Option<String>>>,
}

#[derive(Debug)]
struct NotUtf8 {
    line: u64,
    column: u64,
    byte: u8,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: column {}: not UTF-8 text (byte 0x{:02X}): save the export as UTF-8 (in Excel: \"CSV UTF-8\"; in LibreOffice: character set Unicode (UTF-8)) and import again",
            self.line, self.column, self.byte
        )
    }
}
impl std::error::Error for NotUtf8 {}

#[derive(Debug)]
struct TooLarge(String);
impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TooLarge {}

impl<R: Read> Guarded<R> {
    fn new(inner: R, total: Arc<AtomicU64>, max_total: u64) -> Guarded<R> {
        Guarded {
            inner,
            total,
            max_total,
            since_row: Rc::new(Cell::new(0)),
            max_row: Rc::new(Cell::new(u64::MAX)),
            line: 1,
            line_start: 0,
            pending: vec![],
            newlines: Default::default(),
            track_lines: Rc::new(Cell::new(true)),
            failed: Default::default(),
        }
    }

    /// An error that stops the import, its message kept for the report.
    fn stop(&self, e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
        *self.failed.borrow_mut() = Some(e.to_string());
        std::io::Error::other(e)
    }

    fn bad_byte(&self, chunk: &[u8], idx: usize, offset: u64) -> std::io::Error {
        let before = &chunk[..idx];
        let nl = before.iter().filter(|b| **b == b'\n').count() as u64;
        let line_start = match before.iter().rposition(|b| *b == b'\n') {
            Some(p) => offset + p as u64 + 1,
            None => self.line_start,
        };
        self.stop(NotUtf8 {
            line: self.line + nl,
            column: offset + idx as u64 - line_start + 1,
            byte: chunk[idx],
        })
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let offset = self.total.load(Ordering::Relaxed);
        if n == 0 {
            if let Some(&b) = self.pending.first() {
                let at = offset - self.pending.len() as u64;
                return Err(self.stop(NotUtf8 {
                    line: self.line,
                    column: at - self.line_start + 1,
                    byte: b,
                }));
            }
            return Ok(0);
        }
        let chunk = &buf[..n];
        let mut start = 0;
        if !self.pending.is_empty() {
            let need = utf8_width(self.pending[0]);
            let take = (need - self.pending.len()).min(n);
            self.pending.extend_from_slice(&chunk[..take]);
            start = take;
            if self.pending.len() == need {
                if std::str::from_utf8(&self.pending).is_err() {
                    let at = offset - (need - take) as u64;
                    let e = NotUtf8 {
                        line: self.line,
                        column: at - self.line_start + 1,
                        byte: self.pending[0],
                    };
                    return Err(self.stop(e));
                }
                self.pending.clear();
            }
        }
        if self.pending.is_empty() {
            if let Err(e) = std::str::from_utf8(&chunk[start..]) {
                let idx = start + e.valid_up_to();
                match e.error_len() {
                    Some(_) => return Err(self.bad_byte(chunk, idx, offset)),
                    None => self.pending.extend_from_slice(&chunk[idx..]),
                }
            }
        }
        let mut newlines = self.newlines.borrow_mut();
        for (i, b) in chunk.iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = offset + i as u64 + 1;
                if self.track_lines.get() {
                    newlines.push_back(offset + i as u64);
                }
            }
        }
        drop(newlines);
        let total = offset + n as u64;
        self.total.store(total, Ordering::Relaxed);
        if total > self.max_total {
            let e = TooLarge(format!(
                "the file is larger than [cases].max_file_bytes = {} bytes: split it, or raise the cap in the configuration",
                self.max_total
            ));
            return Err(self.stop(e));
        }
        let row = self.since_row.get() + n as u64;
        self.since_row.set(row);
        if row > self.max_row.get() {
            let e = TooLarge(format!(
                "line {}: a row longer than {} bytes ([cases].max_cell_bytes per cell): is a quote (\") left open?",
                self.line,
                self.max_row.get()
            ));
            return Err(self.stop(e));
        }
        Ok(n)
    }
}

/// The separator a spreadsheet used, read off the header line: the most
/// frequent of `,` `;` and tab outside quotes (`,` when none is found).
fn detect_separator(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'\n' => break,
            _ => {}
        }
    }
    let seps = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        seps[best]
    }
}

/// A header cell as a column name: trimmed, lower case, spaces and dashes
/// as `_` (`HS codes` is `hs_codes`).
fn column_name(h: &str) -> String {
    h.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// Read a cases export, calling `emit` with the header and then each row,
/// in order. Memory is bounded by the largest row, itself bounded by the
/// caps: the file is never held whole.
pub fn read_cases(
    input: impl Read,
    is_json: bool,
    limits: Limits,
    parser: &CaseParser<'_>,
    bytes_read: Arc<AtomicU64>,
    emit: &mut dyn FnMut(Parsed) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let mut guarded = Guarded::new(input, bytes_read, limits.max_file_bytes);
    let since_row = guarded.since_row.clone();
    let max_row = guarded.max_row.clone();
    let failed = guarded.failed.clone();
    let newlines = guarded.newlines.clone();
    let track_lines = guarded.track_lines.clone();
    // The reader's own reason first (a byte that is not UTF-8, a cap).
    let stop = |fallback: String| Stop::Fatal(failed.borrow().clone().unwrap_or(fallback));
    let fatal_io = |e: std::io::Error| stop(format!("cannot read the file: {e}"));
    let fatal_csv = |e: csv::Error| {
        let line = e
            .position()
            .map(|p| format!("line {}: ", p.line()))
            .unwrap_or_default();
        stop(format!("{line}cannot read the CSV: {e}"))
    };
    // Before the header is known: generous, still bounded.
    max_row.set(limits.max_cell_bytes as u64 * 32 + 65_536);
    // A UTF-8 BOM (Excel's "CSV UTF-8") is not part of the first column's name.
    let mut buffered = BufReader::with_capacity(64 * 1024, &mut guarded);
    let head = buffered.fill_buf().map_err(fatal_io)?;
    let mut bom = 0;
    if head.starts_with(b"\xEF\xBB\xBF") {
        buffered.consume(3);
        bom = 3;
    }
    let head = buffered.fill_buf().map_err(fatal_io)?;
    let json = is_json || head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if json {
        track_lines.set(false);
        newlines.borrow_mut().clear();
        return read_json(buffered, limits, parser, &since_row, &max_row, emit).map_err(
            |s| match s {
                Stop::Fatal(m) => stop(m),
                s => s,
            },
        );
    }
    let separator = detect_separator(head);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .delimiter(separator)
        .from_reader(buffered);
    let (names, index, ignored) = read_header(&mut rdr, separator, &fatal_csv)?;
    emit(Parsed::Header {
        separator: separator as char,
        ignored,
    })?;
    max_row.set(limits.max_cell_bytes as u64 * (names.len() as u64 + 1) + 65_536);
    since_row.set(0);
    let columns = Columns {
        names: &names,
        index: &index,
    };
    let lines = Lines {
        newlines,
        bom,
        before: 0,
    };
    read_rows(
        &mut rdr, &columns, lines, limits, parser, &since_row, &fatal_csv, emit,
    )
}

/// The columns of a CSV file, by name.
struct Columns<'a> {
    names: &'a [String],
    index: &'a HashMap<&'static str, usize>,
}

/// The line a row starts on, as an editor or a spreadsheet counts it: from
/// the newlines before its first byte (CRLF, blank lines and line breaks
/// inside quoted cells all counted once).
struct Lines {
    newlines: Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
    bom: u64,
    before: u64,
}

impl Lines {
    fn line_of(&mut self, byte: u64) -> u64 {
        let mut nl = self.newlines.borrow_mut();
        while nl.front().is_some_and(|&o| o <= byte + self.bom) {
            nl.pop_front();
            self.before += 1;
        }
        self.before + 1
    }
}

/// The header line: the columns' names, where each known column is, and
/// the names regwatch does not read; a column twice, or no `id` or
/// `country`, stops the import.
#[allow(clippy::type_complexity)]
fn read_header(
    rdr: &mut csv::Reader<impl Read>,
    separator: u8,
    fatal_csv: &dyn Fn(csv::Error) -> Stop,
) -> Result<(Vec<String>, HashMap<&'static str, usize>, Vec<String>), Stop> {
    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(Stop::Fatal("the file is empty: export the cases with a header line (id,client,title,country,hs_codes,categories,keywords,status,link)".into())),
        Err(e) => return Err(fatal_csv(e)),
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| column_name(&String::from_utf8_lossy(h)))
        .collect();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut ignored = vec![];
    for (i, n) in names.iter().enumerate() {
        if let Some(known) = CASE_COLUMNS.iter().find(|c| **c == n) {
            if index.insert(known, i).is_some() {
                return Err(Stop::Fatal(format!(
                    "line 1: the column `{n}` appears twice in the header: keep one"
                )));
            }
        } else if !n.is_empty() {
            ignored.push(n.clone());
        }
    }
    for req in ["id", "country"] {
        if !index.contains_key(req) {
            let sep = match separator {
                b';' => "; ",
                b'\t' => "tab ",
                _ => ", ",
            };
            return Err(Stop::Fatal(format!(
                "line 1: the header lacks `{req}` (read as {sep}separated: {}): the header is {}",
                names.join(" | "),
                CASE_COLUMNS.join(",")
            )));
        }
    }
    Ok((names, index, ignored))
}

/// The rows after the header, each emitted as a case or a bad row; blank
/// rows skipped, more than `[cases].max_rows` stops the import.
#[allow(clippy::too_many_arguments)]
fn read_rows(
    rdr: &mut csv::Reader<impl Read>,
    columns: &Columns<'_>,
    mut lines: Lines,
    limits: Limits,
    parser: &CaseParser<'_>,
    since_row: &Cell<u64>,
    fatal_csv: &dyn Fn(csv::Error) -> Stop,
    emit: &mut dyn FnMut(Parsed) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let mut rows = 0u64;
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(fatal_csv(e)),
        }
        since_row.set(0);
        let line = lines.line_of(rec.position().map(|p| p.byte()).unwrap_or(0));
        // A row left blank (`;;;;` as spreadsheets write it) is no case.
        if rec
            .iter()
            .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
        {
            continue;
        }
        rows += 1;
        if rows > limits.max_rows {
            return Err(Stop::Fatal(format!(
                "line {line}: more than [cases].max_rows = {} rows: split the file, or raise the cap in the configuration",
                limits.max_rows
            )));
        }
        let row = format!("line {line}");
        emit(Parsed::Row(
            csv_row(&rec, columns.names, columns.index, limits, parser).map_err(|reason| {
                RowError {
                    row: row.clone(),
                    reason,
                }
            }),
        ))?;
    }
    Ok(())
}

/// One CSV row as a case.
fn csv_row(
    rec: &csv::ByteRecord,
    names: &[String],
    index: &HashMap<&str, usize>,
    limits: Limits,
    parser: &CaseParser<'_>,
) -> Result<Case, String> {
    for (i, f) in rec.iter().enumerate() {
        if f.len() > limits.max_cell_bytes {
            let col = names
                .get(i)
                .map(String::as_str)
                .unwrap_or("(beyond the header)");
            return Err(format!(
                "the `{col}` cell is {} bytes, more than [cases].max_cell_bytes = {}",
                f.len(),
                limits.max_cell_bytes
            ));
        }
    }
    if let Some(extra) = rec
        .iter()
        .skip(names.len())
        .find(|f| !f.iter().all(|b| b.is_ascii_whitespace()))
    {
        return Err(format!(
            "{} cells, the header has {} (`{}` is beyond the last column: is a separator inside a cell that is not quoted?)",
            rec.len(),
            names.len(),
            crate::util::truncate(&String::from_utf8_lossy(extra), 40)
        ));
    }
    let get = |name: &str| -> String {
        index
            .get(name)
            .and_then(|&i| rec.get(i))
            .map(|b| unquote_formula(String::from_utf8_lossy(b).trim()))
            .unwrap_or_default()
    };
    let raw = RawCase {
        id: get("id"),
        client: get("client"),
        title: get("title"),
        country: get("country"),
        hs_codes: split_list(&get("hs_codes")),
        categories: split_list(&get("categories")),
        keywords: split_list(&get("keywords")),
        status: Some(get("status")),
        link: Some(get("link")),
        origin: Some(get("origin")),
    };
    build_case(
        raw,
        parser.known_categories,
        parser.categories_for_hs,
        parser.link_template,
    )
}

/// A JSON array of case objects, one element at a time.
fn read_json(
    input: impl Read,
    limits: Limits,
    parser: &CaseParser<'_>,
    since_row: &Rc<Cell<u64>>,
    max_row: &Rc<Cell<u64>>,
    emit: &mut dyn FnMut(Parsed) -> Result<(), Stop>,
) -> Result<(), Stop> {
    use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
    emit(Parsed::Header {
        separator: ',',
        ignored: vec![],
    })?;
    max_row.set(limits.max_cell_bytes as u64 * 16 + 65_536);
    since_row.set(0);
    struct Each<'a, 'b> {
        limits: Limits,
        parser: &'a CaseParser<'b>,
        since_row: &'a Rc<Cell<u64>>,
        emit: &'a mut dyn FnMut(Parsed) -> Result<(), Stop>,
        stop: &'a mut Option<Stop>,
    }
    impl<'de> Visitor<'de> for Each<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of cases")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0u64;
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                self.since_row.set(0);
                i += 1;
                if i > self.limits.max_rows {
                    *self.stop = Some(Stop::Fatal(format!(
                        "more than [cases].max_rows = {} cases: split the file, or raise the cap in the configuration",
                        self.limits.max_rows
                    )));
                    return Err(A::Error::custom("stopped"));
                }
                let row = format!("item {i}");
                let r = json_case(v, self.limits, self.parser)
                    .map_err(|reason| RowError { row, reason });
                if let Err(s) = (self.emit)(Parsed::Row(r)) {
                    *self.stop = Some(s);
                    return Err(A::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut stop = None;
    let mut de = serde_json::Deserializer::from_reader(input);
    let r = de.deserialize_seq(Each {
        limits,
        parser,
        since_row,
        emit,
        stop: &mut stop,
    });
    if let Some(s) = stop {
        return Err(s);
    }
    match r {
        Ok(()) => de
            .end()
            .map_err(|e| Stop::Fatal(format!("after the array: {e}"))),
        Err(e) => Err(Stop::Fatal(format!(
            "line {}: not a JSON array of cases: {e}",
            e.line()
        ))),
    }
}

fn json_case(
    v: serde_json::Value,
    limits: Limits,
    parser: &CaseParser<'_>,
) -> Result<Case, String> {
    fn longest(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::String(s) => s.len(),
            serde_json::Value::Array(a) => a.iter().map(longest).sum(),
            serde_json::Value::Object(o) => o.values().map(longest).max().unwrap_or(0),
            _ => 0,
        }
    }
    let n = longest(&v);
    if n > limits.max_cell_bytes {
        return Err(format!(
            "a value of {n} bytes, more than [cases].max_cell_bytes = {}",
            limits.max_cell_bytes
        ));
    }
    let j: JsonCase = serde_json::from_value(v).map_err(|e| e.to_string())?;
    build_case(
        RawCase {
            id: j.id,
            client: j.client,
            title: j.title,
            country: j.country,
            hs_codes: j.hs_codes,
            categories: j.categories,
            keywords: j.keywords,
            status: j.status,
            link: j.link,
            origin: j.origin,
        },
        parser.known_categories,
        parser.categories_for_hs,
        parser.link_template,
    )
}

/// Parse a CSV or JSON export into cases and bad rows (good rows still
/// import); an error when the file as a whole cannot be read.
pub fn parse_cases(
    text: &str,
    is_json: bool,
    known_categories: &[String],
    categories_for_hs: &dyn Fn(&str) -> Vec<String>,
    link_template: &str,
) -> Result<(Vec<Case>, Vec<RowError>), String> {
    let parser = CaseParser {
        known_categories,
        categories_for_hs,
        link_template,
    };
    let (mut good, mut bad) = (vec![], vec![]);
    let r = read_cases(
        text.as_bytes(),
        is_json,
        Limits::default(),
        &parser,
        Default::default(),
        &mut |p| {
            match p {
                Parsed::Row(Ok(c)) => good.push(c),
                Parsed::Row(Err(e)) => bad.push(e),
                Parsed::Header { .. } => {}
            }
            Ok(())
        },
    );
    match r {
        Ok(()) => Ok((good, bad)),
        Err(Stop::Fatal(m)) => Err(m),
        Err(Stop::Cancelled) => Err("cancelled".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Vec<String> {
        vec![
            "electronics".to_string(),
            "telecom".into(),
            "medical".into(),
        ]
    }

    fn by_hs(h: &str) -> Vec<String> {
        if h.starts_with("9018") {
            vec!["medical".to_string()]
        } else {
            vec!["telecom".to_string()]
        }
    }

    #[test]
    fn csv_bad_rows_are_reported_good_rows_kept() {
        let csv = "id,client,title,country,hs_codes,categories,keywords,status,link\n\
                   C1,Acme,Phones,TR,8517.13;8517.62,,IMEI,open,\n\
                   C2,Acme,Bad,Narnia,8517,,,open,\n\
                   C3,Acme,Bad HS,TR,85x7,,,open,\n\
                   C4,Beta,Monitors,VN,9018.19,,,,\n";
        let (good, bad) = parse_cases(csv, false, &cats(), &by_hs, "https://cases/{id}").unwrap();
        assert_eq!(
            good.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            vec!["C1", "C4"]
        );
        assert_eq!(good[0].categories, vec!["telecom"]);
        assert_eq!(good[1].categories, vec!["medical"]);
        assert_eq!(good[1].link.as_deref(), Some("https://cases/C4"));
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].row, "line 3");
        assert!(bad[0].reason.contains("country"));
        assert_eq!(bad[1].row, "line 4");
    }

    #[test]
    fn separators_bom_crlf_and_extra_columns() {
        for sep in [";", ",", "\t"] {
            let rows = [
                vec![
                    "id", "client", "title", "opened", "country", "hs_codes", "status",
                ],
                vec![
                    "T-1",
                    "Anadolu Telekom",
                    "Akıllı telefon",
                    "03.09.2026",
                    "TR",
                    "\"8517.13;8517.62\"",
                    "open",
                ],
                vec![
                    "V-1",
                    "Sài Gòn Med",
                    "Thiết bị y tế",
                    "04.09.2026",
                    "VN",
                    "9018.19",
                    "",
                ],
                vec!["", "", "", "", "", "", ""],
                vec![
                    "E-1",
                    "Iberia",
                    "Monitores",
                    "05.09.2026",
                    "Narnia",
                    "9018.19",
                    "open",
                ],
            ];
            let text = format!(
                "\u{FEFF}{}\r\n",
                rows.iter()
                    .map(|r| r.join(sep))
                    .collect::<Vec<_>>()
                    .join("\r\n")
            );
            let (good, bad) = parse_cases(&text, false, &cats(), &by_hs, "").unwrap();
            assert_eq!(good.len(), 2, "{sep:?}: {bad:?}");
            assert_eq!(good[0].id, "T-1");
            assert_eq!(good[0].hs_codes.len(), 2, "{sep:?}");
            assert_eq!(good[1].title, "Thiết bị y tế");
            assert_eq!(bad.len(), 1);
            assert_eq!(bad[0].row, "line 5", "{sep:?}: the spreadsheet's row");
        }
    }

    #[test]
    fn formula_cells_round_trip_and_links_are_web_links() {
        for s in [
            "=HYPERLINK(\"x\")",
            "+cmd|' /C calc'!A0",
            "-1",
            "@SUM(1)",
            "\tx",
            "'=a",
            "plain",
            "'quote",
        ] {
            assert_eq!(unquote_formula(&spreadsheet_safe(s)), s, "{s}");
            let safe = spreadsheet_safe(s);
            assert!(!safe.starts_with(FORMULA_START), "{safe}");
        }
        let raw = |link: &str| RawCase {
            id: "C 1/ü".into(),
            country: "TR".into(),
            link: Some(link.into()),
            ..Default::default()
        };
        let f = |_: &str| vec![];
        assert!(build_case(raw("javascript:alert(1)"), &[], &f, "").is_err());
        assert!(build_case(raw("data:text/html,x"), &[], &f, "").is_err());
        let c = build_case(raw(""), &[], &f, "https://crm.example/case/{id}").unwrap();
        assert_eq!(
            c.link.as_deref(),
            Some("https://crm.example/case/C+1%2F%C3%BC")
        );
        let c = build_case(
            raw("https://crm.example/a)[x](https://evil.example)"),
            &[],
            &f,
            "",
        )
        .unwrap();
        assert!(!c.link.unwrap().contains(")["));
    }

    #[test]
    fn a_cell_over_the_cap_is_a_bad_row_and_a_runaway_row_stops_the_file() {
        let lim = Limits {
            max_file_bytes: 10_000_000,
            max_rows: 10,
            max_cell_bytes: 1000,
        };
        let f = |_: &str| vec![];
        let parser = CaseParser {
            known_categories: &[],
            categories_for_hs: &f,
            link_template: "",
        };
        let big = "x".repeat(2000);
        let text = format!("id,country,title\nA,TR,{big}\nB,TR,ok\n");
        let mut rows = vec![];
        read_cases(
            text.as_bytes(),
            false,
            lim,
            &parser,
            Default::default(),
            &mut |p| {
                if let Parsed::Row(r) = p {
                    rows.push(r);
                }
                Ok(())
            },
        )
        .unwrap();
        assert!(rows[0]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("max_cell_bytes"));
        assert!(rows[1].is_ok());
        // An open quote: the rest of the file would be one cell.
        let text = format!("id,country,title\nA,TR,\"{}\n", "y\n".repeat(200_000));
        let r = read_cases(
            text.as_bytes(),
            false,
            lim,
            &parser,
            Default::default(),
            &mut |_| Ok(()),
        );
        assert!(matches!(r, Err(Stop::Fatal(m)) if m.contains("quote")));
        // Too many rows.
        let text = format!("id,country\n{}", "A,TR\n".repeat(11));
        let r = read_cases(
            text.as_bytes(),
            false,
            lim,
            &parser,
            Default::default(),
            &mut |_| Ok(()),
        );
        assert!(matches!(r, Err(Stop::Fatal(m)) if m.contains("max_rows")));
    }

    #[test]
    fn not_utf8_names_line_and_column_across_chunk_borders() {
        let f = |_: &str| vec![];
        let parser = CaseParser {
            known_categories: &[],
            categories_for_hs: &f,
            link_template: "",
        };
        // A reader that hands out one byte at a time splits every sequence.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let good = "id,country,title\nA,TR,Işık ürünleri\n".as_bytes();
        let r = read_cases(
            OneByte(good),
            false,
            Limits::default(),
            &parser,
            Default::default(),
            &mut |_| Ok(()),
        );
        assert!(r.is_ok(), "{r:?}");
        let bad = b"id,country,title\nA,TR,I\xfeik\n";
        let r = read_cases(
            OneByte(bad),
            false,
            Limits::default(),
            &parser,
            Default::default(),
            &mut |_| Ok(()),
        );
        assert!(
            matches!(&r, Err(Stop::Fatal(m)) if m.starts_with("line 2: column 7: not UTF-8")),
            "{r:?}"
        );
    }
}
