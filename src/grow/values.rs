//! Values in transit from SQLite to PostgreSQL, as canonical text, and the per-table
//! checksum computed over that text on both sides.
//!
//! Every value crosses as text and is cast by PostgreSQL to the target column's type, so the
//! copy needs no Rust type per table and follows whatever tables the migrations create. The
//! same canonical form is computed from what SQLite held and from what PostgreSQL returns
//! after the insert: equal checksums mean PostgreSQL stored what SQLite held.
//!
//! Errors name the table and column, never the value: a value may be a member's words.

use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

/// How a target column's values are written and compared, from PostgreSQL's type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Float,
    Bool,
    /// `timestamp without time zone`: PostgreSQL keeps microseconds, so does the copy.
    Timestamp,
    Date,
    Bytes,
}

impl Kind {
    /// From `information_schema.columns.data_type`. Types Candor never uses are refused
    /// rather than guessed at.
    pub fn from_pg(data_type: &str) -> Option<Self> {
        Some(match data_type {
            "text" | "character varying" | "character" => Self::Text,
            "integer" | "bigint" | "smallint" => Self::Integer,
            "double precision" | "real" => Self::Float,
            "boolean" => Self::Bool,
            "timestamp without time zone" => Self::Timestamp,
            "date" => Self::Date,
            "bytea" => Self::Bytes,
            _ => return None,
        })
    }

    /// Whether the bound text needs a cast to reach the column's type.
    pub fn needs_cast(self) -> bool {
        self != Self::Text
    }
}

/// What went wrong with one value, without the value.
#[derive(Debug, PartialEq, Eq)]
pub struct BadValue(pub &'static str);

/// The canonical text of a SQLite value for a column of `kind`; `None` is NULL.
pub fn from_sqlite(kind: Kind, v: ValueRef<'_>) -> Result<Option<String>, BadValue> {
    let text = match v {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(i) => match kind {
            Kind::Bool => match i {
                0 => "false".to_owned(),
                1 => "true".to_owned(),
                _ => return Err(BadValue("an integer other than 0 or 1 in a boolean column")),
            },
            Kind::Float => format!("{:?}", i as f64),
            Kind::Text | Kind::Integer => i.to_string(),
            _ => return Err(BadValue("an integer in a column of another type")),
        },
        ValueRef::Real(f) => match kind {
            Kind::Float | Kind::Text => format!("{f:?}"),
            _ => return Err(BadValue("a real number in a column of another type")),
        },
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| BadValue("text that is not UTF-8"))?
            .to_owned(),
        ValueRef::Blob(bytes) => match kind {
            Kind::Bytes => {
                let mut s = String::with_capacity(2 + bytes.len() * 2);
                s.push_str("\\x");
                for b in bytes {
                    s.push_str(&format!("{b:02x}"));
                }
                s
            }
            _ => return Err(BadValue("binary data in a column that is not bytea")),
        },
    };
    canonical(kind, &text).map(Some)
}

/// The one text form of a value of `kind`, from either database's text.
pub fn canonical(kind: Kind, text: &str) -> Result<String, BadValue> {
    Ok(match kind {
        Kind::Text => {
            if text.contains('\0') {
                return Err(BadValue("text holding a NUL character"));
            }
            text.to_owned()
        }
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map_err(|_| BadValue("not an integer"))?
            .to_string(),
        Kind::Float => format!(
            "{:?}",
            text.trim()
                .parse::<f64>()
                .map_err(|_| BadValue("not a number"))?
        ),
        Kind::Bool => match text.trim() {
            "1" | "t" | "true" | "TRUE" => "true".to_owned(),
            "0" | "f" | "false" | "FALSE" => "false".to_owned(),
            _ => return Err(BadValue("not a boolean")),
        },
        Kind::Timestamp => timestamp(text).ok_or(BadValue("not a timestamp"))?,
        Kind::Date => date(text.trim()).ok_or(BadValue("not a date"))?.to_string(),
        Kind::Bytes => {
            let hex = text
                .strip_prefix("\\x")
                .ok_or(BadValue("bytea not in hex form"))?;
            if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(BadValue("bytea not in hex form"));
            }
            format!("\\x{}", hex.to_ascii_lowercase())
        }
    })
}

fn date(s: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).ok()
}

/// `YYYY-MM-DD HH:MM:SS[.fraction]` (diesel writes up to nine fraction digits on SQLite;
/// PostgreSQL prints up to six) as `YYYY-MM-DD HH:MM:SS.ffffff`, cut to the microsecond
/// PostgreSQL keeps. Cutting (not rounding) never moves a time forward into another second.
fn timestamp(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('Z');
    let (d, t) = s.split_once([' ', 'T'])?;
    let day = date(d)?;
    let (hms, fraction) = match t.split_once('.') {
        Some((hms, f)) => (hms, f),
        None => (t, ""),
    };
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut parts = hms.split(':').map(|p| p.parse::<u8>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || hms.len() != 8 {
        return None;
    }
    time::Time::from_hms(h, m, sec).ok()?;
    let micros: String = fraction.chars().chain("000000".chars()).take(6).collect();
    Some(format!("{day} {h:02}:{m:02}:{sec:02}.{micros}"))
}

/// An order-independent checksum of a table's rows: the lane-wise sum of each row's
/// SHA-256. Independent of order because the two sides store rows in different orders and
/// sort text differently; a sum (not XOR) so a duplicated row still changes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableSum {
    pub rows: u64,
    lanes: [u64; 4],
}

impl TableSum {
    pub fn add(&mut self, row: &[Option<String>]) {
        let mut h = Sha256::new();
        for v in row {
            match v {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
            }
        }
        let digest = h.finalize();
        for (lane, chunk) in self.lanes.iter_mut().zip(digest.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *lane = lane.wrapping_add(u64::from_be_bytes(b));
        }
        self.rows += 1;
    }

    /// The first 64 bits, in hex: enough for a person to compare two columns of figures.
    pub fn short(&self) -> String {
        format!(
            "{:016x}",
            self.lanes[0] ^ self.lanes[1] ^ self.lanes[2] ^ self.lanes[3]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_from_either_side_meet_in_one_form() {
        let sqlite = canonical(Kind::Timestamp, "2026-12-06 03:30:21.123456789").unwrap();
        let pg = canonical(Kind::Timestamp, "2026-12-06 03:30:21.123456").unwrap();
        assert_eq!(sqlite, pg);
        assert_eq!(
            canonical(Kind::Timestamp, "2026-12-06 03:30:21").unwrap(),
            canonical(Kind::Timestamp, "2026-12-06 03:30:21.000000").unwrap()
        );
        assert_eq!(
            canonical(Kind::Timestamp, "2026-12-06 03:30:21.5").unwrap(),
            "2026-12-06 03:30:21.500000"
        );
        assert!(canonical(Kind::Timestamp, "2026-12-06 25:30:21").is_err());
        assert!(canonical(Kind::Timestamp, "yesterday").is_err());
    }

    #[test]
    fn booleans_integers_and_floats_compare_by_value() {
        assert_eq!(
            from_sqlite(Kind::Bool, ValueRef::Integer(1)).unwrap(),
            Some("true".into())
        );
        assert_eq!(canonical(Kind::Bool, "true").unwrap(), "true");
        assert!(from_sqlite(Kind::Bool, ValueRef::Integer(2)).is_err());
        assert_eq!(
            canonical(Kind::Float, "1e-07").unwrap(),
            format!("{:?}", 1e-7)
        );
        assert_eq!(canonical(Kind::Integer, "042").unwrap(), "42");
        assert_eq!(
            from_sqlite(Kind::Bytes, ValueRef::Blob(&[0xAB, 1])).unwrap(),
            Some("\\xab01".into())
        );
        assert!(canonical(Kind::Text, "a\0b").is_err());
    }

    #[test]
    fn the_checksum_ignores_order_but_not_content_or_duplicates() {
        let a = vec![Some("a".to_owned()), None];
        let b = vec![Some("b".to_owned()), Some(String::new())];
        let (mut x, mut y, mut z) = (
            TableSum::default(),
            TableSum::default(),
            TableSum::default(),
        );
        x.add(&a);
        x.add(&b);
        y.add(&b);
        y.add(&a);
        z.add(&a);
        z.add(&a);
        assert_eq!(x, y);
        assert_ne!(x, z);
        // NULL and the empty string differ.
        let (mut n, mut e) = (TableSum::default(), TableSum::default());
        n.add(&[None]);
        e.add(&[Some(String::new())]);
        assert_ne!(n.short(), e.short());
    }
}
