//! Bounds on untrusted Automerge change bytes, checked before Automerge expands them
//! (ARCHITECTURE.md, invariant 11).
//!
//! A change chunk can be small on the wire and huge once decoded in two ways: a
//! compressed chunk (type 2) is DEFLATE, which inflates up to ~1000×; and the operation
//! columns are run-length encoded, so a few bytes can say "a billion operations". Given
//! either, Automerge would inflate without limit and then iterate (and, when applied,
//! allocate) every operation. This module reads only the chunk header and the
//! operation column's run lengths, inflates with a cap, and refuses what is over the
//! limits; what it passes is the uncompressed change, safe to hand to Automerge.
//!
//! The layout is Automerge's binary format: magic, checksum, chunk type, LEB128 length,
//! then the change: dependencies, actor, seq, start op, time, message, other actors, the
//! column metadata and the columns. An operation is a row of the action column.

use std::borrow::Cow;
use std::io::Read;

/// The largest change accepted, as sent and, for a compressed chunk, once inflated.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;
/// The most operations one change may hold. A new report is ~60 operations plus one per
/// character of its description; the longest text a record may hold is 20 000
/// characters (a meeting's notes).
pub const MAX_CHANGE_OPS: u64 = 50_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// Column spec of the action column: id 4, an RLE integer column.
const ACTION_COLUMN_ID: u32 = 4;

/// Why a change's bytes were refused before decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    #[error("a change may be at most {MAX_CHANGE_BYTES} bytes")]
    TooLarge,
    #[error("a compressed change may inflate to at most {MAX_CHANGE_BYTES} bytes")]
    InflatesTooLarge,
    #[error("a change may hold at most {MAX_CHANGE_OPS} operations")]
    TooManyOps,
    #[error("not an Automerge change: {0}")]
    Malformed(&'static str),
}

/// Checks `bytes` against the limits and returns the change uncompressed. Nothing here
/// allocates more than `MAX_CHANGE_BYTES` or loops more than the input is long.
pub fn bounded_change(bytes: &[u8]) -> Result<Cow<'_, [u8]>, BoundError> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(BoundError::TooLarge);
    }
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return Err(BoundError::Malformed("no Automerge magic bytes"));
    }
    let checksum = r.take(4)?;
    let chunk_type = r.byte()?;
    let length = usize::try_from(r.uleb()?).map_err(|_| BoundError::TooLarge)?;
    let data = r.take(length)?;
    if !r.rest().is_empty() {
        return Err(BoundError::Malformed("bytes after the change"));
    }
    match chunk_type {
        CHUNK_CHANGE => {
            count_ops(data)?;
            Ok(Cow::Borrowed(bytes))
        }
        CHUNK_COMPRESSED => {
            let mut inflated = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .take(MAX_CHANGE_BYTES as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|_| BoundError::Malformed("the compressed change does not inflate"))?;
            if inflated.len() > MAX_CHANGE_BYTES {
                return Err(BoundError::InflatesTooLarge);
            }
            count_ops(&inflated)?;
            // The same change, uncompressed: its checksum is the uncompressed chunk's.
            let mut chunk = Vec::with_capacity(inflated.len() + 16);
            chunk.extend_from_slice(&MAGIC);
            chunk.extend_from_slice(checksum);
            chunk.push(CHUNK_CHANGE);
            write_uleb(&mut chunk, inflated.len() as u64);
            chunk.extend_from_slice(&inflated);
            if chunk.len() > MAX_CHANGE_BYTES {
                return Err(BoundError::InflatesTooLarge);
            }
            Ok(Cow::Owned(chunk))
        }
        _ => Err(BoundError::Malformed("not a change chunk")),
    }
}

/// Counts the operations of a change (the rows of its action column), refusing it if any
/// column holds more than `MAX_CHANGE_OPS` rows: Automerge reads an operation's
/// predecessors from a group column, so every column's rows must be bounded, not only
/// the actions'.
fn count_ops(change: &[u8]) -> Result<u64, BoundError> {
    let mut r = Reader::new(change);
    let deps = r.uleb()?;
    for _ in 0..deps {
        r.take(32)?;
    }
    r.length_prefixed()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.length_prefixed()?; // message
    let others = r.uleb()?;
    for _ in 0..others {
        r.length_prefixed()?;
    }
    let columns = r.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..columns {
        let spec = u32::try_from(r.uleb()?).map_err(|_| BoundError::Malformed("column spec"))?;
        let len = usize::try_from(r.uleb()?).map_err(|_| BoundError::TooLarge)?;
        if specs.len() >= 64 {
            return Err(BoundError::Malformed("too many columns"));
        }
        specs.push((spec, len));
    }
    let mut data = Reader::new(r.rest());
    let mut ops = 0;
    for (spec, len) in specs {
        let column = data.take(len)?;
        if spec & 0b1000 != 0 {
            return Err(BoundError::Malformed("a compressed column in a change"));
        }
        let rows = count_rows(spec & 0b111, column)?;
        if spec >> 4 == ACTION_COLUMN_ID {
            ops = rows;
        }
    }
    Ok(ops)
}

/// Rows of one column, by its type: run-length encoded columns have runs of one
/// repeated value (count > 0), literal runs (count < 0, that many values follow) and null
/// runs (0, then a count); boolean columns are alternating run lengths; raw value
/// columns have no rows of their own.
fn count_rows(column_type: u32, column: &[u8]) -> Result<u64, BoundError> {
    const BOOLEAN: u32 = 4;
    const STRING: u32 = 5;
    const VALUE: u32 = 7;
    let mut r = Reader::new(column);
    let value = |r: &mut Reader<'_>| -> Result<(), BoundError> {
        if column_type == STRING {
            r.length_prefixed().map(drop)
        } else {
            r.uleb().map(drop)
        }
    };
    let mut rows: u64 = 0;
    while !r.rest().is_empty() {
        let run = match column_type {
            VALUE => return Ok(0),
            BOOLEAN => r.uleb()?,
            _ => match r.sleb()? {
                count @ 1.. => {
                    value(&mut r)?;
                    count.unsigned_abs()
                }
                0 => r.uleb()?,
                count => {
                    let n = count.unsigned_abs();
                    if n > MAX_CHANGE_OPS {
                        return Err(BoundError::TooManyOps);
                    }
                    for _ in 0..n {
                        value(&mut r)?;
                    }
                    n
                }
            },
        };
        rows = rows.saturating_add(run);
        if rows > MAX_CHANGE_OPS {
            return Err(BoundError::TooManyOps);
        }
    }
    Ok(rows)
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BoundError> {
        if n > self.bytes.len() {
            return Err(BoundError::Malformed("the change ends early"));
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, BoundError> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, BoundError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(BoundError::Malformed("a number overflows"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BoundError::Malformed("a number overflows"))
    }

    fn sleb(&mut self) -> Result<i64, BoundError> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            if shift >= 64 {
                return Err(BoundError::Malformed("a number overflows"));
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    fn length_prefixed(&mut self) -> Result<&'a [u8], BoundError> {
        let len = usize::try_from(self.uleb()?).map_err(|_| BoundError::TooLarge)?;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Document;
    use crate::time::Timestamp;
    use automerge::ActorId;
    use std::collections::BTreeMap;

    fn change(text: &str) -> Vec<u8> {
        let value = BTreeMap::from([("t".to_string(), autosurgeon::Text::with_value(text))]);
        let (_, c) = Document::create(
            &ActorId::random(),
            &value,
            Timestamp::from(chrono::Utc::now()),
        )
        .unwrap();
        c.bytes
    }

    #[test]
    fn an_ordinary_change_passes_unchanged_with_its_operations_counted() {
        let bytes = change("hej");
        assert_eq!(bounded_change(&bytes).unwrap(), Cow::Borrowed(&bytes[..]));
        let mut r = Reader::new(&bytes);
        r.take(9).unwrap();
        let len = r.uleb().unwrap() as usize;
        // The key's text object and its three characters.
        assert_eq!(count_ops(r.take(len).unwrap()).unwrap(), 4);
    }

    #[test]
    fn a_compressed_change_comes_back_uncompressed_and_decodes_to_the_same_change() {
        let mut original =
            automerge::Change::from_bytes(change(&"lång text ".repeat(100))).unwrap();
        let compressed = original.bytes().into_owned();
        assert_eq!(compressed[8], CHUNK_COMPRESSED, "Automerge compressed it");
        let plain = bounded_change(&compressed).unwrap();
        assert_eq!(plain[8], CHUNK_CHANGE);
        assert!(crate::doc::checksum_matches(&plain));
        let decoded = automerge::Change::from_bytes(plain.into_owned()).unwrap();
        assert_eq!(decoded.hash(), original.hash());
    }

    #[test]
    fn a_run_of_a_billion_operations_is_refused_without_iterating_it() {
        // A repeated run of the action "set": count 1e9, value 1.
        let mut column = Vec::new();
        let mut count = 1_000_000_000u64;
        loop {
            let byte = (count & 0x7f) as u8;
            count >>= 7;
            if count == 0 && byte & 0x40 == 0 {
                column.push(byte);
                break;
            }
            column.push(byte | 0x80);
        }
        column.push(1);
        assert_eq!(count_rows(2, &column), Err(BoundError::TooManyOps));
        assert_eq!(
            count_rows(1, &[0x00, 0x80, 0x80, 0x04]),
            Err(BoundError::TooManyOps),
            "a null run"
        );
        assert_eq!(
            count_rows(2, &[0x7d, 1, 2, 3]),
            Ok(3),
            "a literal run of three"
        );
    }
}
