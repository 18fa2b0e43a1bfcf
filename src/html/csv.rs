//! CSV downloads (invite links, trends, the metrics export), written by the `csv` crate, so
//! quoting and escaping are a well-kept writer's, with one step of our own before it:
//! defusing spreadsheet formulas. Lives beside the page layout because a CSV file is one more
//! way a page's figures are shown; it reads no database and no request.

use std::borrow::Cow;

pub use csv::Error;

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) gets a leading apostrophe, so a team name or a label typed by someone
/// else opens as text in the reader's spreadsheet (CSV injection). A plain number (a
/// negative eNPS) is data, not a formula, and stays a number.
pub fn defuse(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err() {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A CSV file being written: a header, then rows of cells, each defused then quoted by the
/// writer as needed. Lines end in `\n`, as the downloads always have.
pub struct Csv {
    writer: csv::Writer<Vec<u8>>,
    error: Option<csv::Error>,
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new()),
            error: None,
        };
        csv.row(header.iter().copied());
        csv
    }

    /// One row; every cell is defused, so no caller can forget to.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        self.row_keeping(cells, &[]);
    }

    /// One row, every cell defused except the columns in `ids`: identifiers Candor made
    /// (random base64url, which may start with `-`), written byte for byte as the API gives
    /// them so a row can be matched to its JSON.
    pub fn row_keeping<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>, ids: &[usize]) {
        if self.error.is_some() {
            return;
        }
        let cells: Vec<Cow<'_, str>> = cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if ids.contains(&i) {
                    Cow::Borrowed(c)
                } else {
                    defuse(c)
                }
            })
            .collect();
        if let Err(e) = self.writer.write_record(cells.iter().map(|c| c.as_bytes())) {
            self.error = Some(e);
        }
    }

    /// The file, or the first error the writer met (writing to memory, so in practice none).
    pub fn finish(self) -> Result<String, csv::Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        String::from_utf8(bytes)
            .map_err(|e| csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(defuse("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(defuse("@cmd"), "'@cmd");
        assert_eq!(defuse("plain"), "plain");
        assert_eq!(defuse("-12.5000"), "-12.5000");
        assert_eq!(defuse("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
        let mut csv = Csv::new(&["label", "url"]);
        csv.row(["a,b", "=HYPERLINK(\"x\")"]);
        csv.row(["say \"hi\"", "line\nbreak"]);
        csv.row(["Platform", "https://example.com/p#abc"]);
        assert_eq!(
            csv.finish().expect("in memory"),
            "label,url\n\"a,b\",\"'=HYPERLINK(\"\"x\"\")\"\n\"say \"\"hi\"\"\",\"line\nbreak\"\nPlatform,https://example.com/p#abc\n"
        );
    }
}
