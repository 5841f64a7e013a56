//! A PMTiles archive (version 3): a whole tile pyramid in one file, read by offset, the
//! format Protomaps and `pmtiles convert` write and GDAL reads. The header says where
//! the root directory, the metadata and the tiles are; directories list runs of tiles
//! by Hilbert-curve tile id, pointing at tile data or at leaf directories. Only raster
//! tiles are served here (the map draws rasters). Spec: github.com/protomaps/PMTiles,
//! `spec/v3/spec.md`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// What the header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    root: (u64, u64),
    metadata: (u64, u64),
    leaves: u64,
    data: u64,
    internal_compression: u8,
    tile_compression: u8,
    /// 2 png, 3 jpeg, 4 webp, 5 avif; 1 is vector tiles.
    pub tile_type: u8,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
}

/// One directory entry: `run` tiles from `tile_id` at `offset` (`run` 0: a leaf directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run: u64,
}

/// An open archive. Reads go through one handle, one at a time.
#[derive(Debug)]
pub struct Archive {
    file: Mutex<File>,
    pub header: Header,
    root: Vec<Entry>,
}

/// The largest directory read: a real archive's are tens of kilobytes.
const MAX_DIRECTORY: u64 = 16 * 1024 * 1024;
/// The largest tile served.
const MAX_TILE: u64 = 8 * 1024 * 1024;

impl Archive {
    /// Opens `path` and reads its header and root directory; an error says why it is no
    /// PMTiles archive the map can show.
    pub fn open(path: &Path) -> Result<Archive, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let mut bytes = [0u8; 127];
        file.read_exact(&mut bytes)
            .map_err(|_| "shorter than a PMTiles header".to_string())?;
        let header = parse_header(&bytes)?;
        if !matches!(header.tile_type, 2..=5) {
            return Err(format!(
                "the map shows raster tiles (png, jpg, webp, avif), not tile type {}",
                header.tile_type
            ));
        }
        if header.tile_compression > 1 {
            return Err("raster tiles are stored uncompressed in a PMTiles archive".into());
        }
        let file = Mutex::new(file);
        let mut archive = Archive {
            file,
            header,
            root: Vec::new(),
        };
        let (offset, length) = archive.header.root;
        archive.root = archive.directory(offset, length)?;
        Ok(archive)
    }

    /// The metadata: a JSON object (`name`, `attribution`, …), or none.
    pub fn metadata(&self) -> Option<serde_json::Value> {
        let (offset, length) = self.header.metadata;
        if length == 0 || length > MAX_DIRECTORY {
            return None;
        }
        let bytes = self.read(offset, length).ok()?;
        let bytes = decompress(self.header.internal_compression, bytes).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The tile at `z`/`x`/`y` (rows from the north), if the archive has it.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        if z > 31 || u64::from(x) >= 1 << z || u64::from(y) >= 1 << z {
            return None;
        }
        let id = tile_id(z, x, y);
        let mut directory = std::borrow::Cow::Borrowed(&self.root);
        // A tile is at most three leaf directories down (the spec's limit).
        for _ in 0..4 {
            let entry = find(&directory, id)?;
            if entry.run > 0 {
                if entry.length > MAX_TILE {
                    return None;
                }
                return self
                    .read(self.header.data + entry.offset, entry.length)
                    .ok();
            }
            let leaf = self
                .directory(self.header.leaves + entry.offset, entry.length)
                .ok()?;
            directory = std::borrow::Cow::Owned(leaf);
        }
        None
    }

    fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| e.to_string())?;
        let mut bytes = vec![0u8; usize::try_from(length).map_err(|e| e.to_string())?];
        file.read_exact(&mut bytes)
            .map_err(|_| "the archive is shorter than its header says".to_string())?;
        Ok(bytes)
    }

    fn directory(&self, offset: u64, length: u64) -> Result<Vec<Entry>, String> {
        if length > MAX_DIRECTORY {
            return Err("a directory larger than any real archive's".into());
        }
        let bytes = decompress(self.header.internal_compression, self.read(offset, length)?)?;
        parse_directory(&bytes)
    }
}

fn parse_header(b: &[u8; 127]) -> Result<Header, String> {
    if &b[..7] != b"PMTiles" {
        return Err("not a PMTiles archive".into());
    }
    if b[7] != 3 {
        return Err(format!("PMTiles version {} (this reads version 3)", b[7]));
    }
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let degrees = |i: usize| {
        f64::from(i32::from_le_bytes(
            b[i..i + 4].try_into().unwrap_or_default(),
        )) / 1e7
    };
    Ok(Header {
        root: (u64_at(8), u64_at(16)),
        metadata: (u64_at(24), u64_at(32)),
        leaves: u64_at(40),
        data: u64_at(56),
        internal_compression: b[97],
        tile_compression: b[98],
        tile_type: b[99],
        min_zoom: b[100],
        max_zoom: b[101],
        bounds: [degrees(102), degrees(106), degrees(110), degrees(114)],
    })
}

/// Internal compression: 1 none, 2 gzip; brotli and zstd are not read here.
fn decompress(compression: u8, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    match compression {
        0 | 1 => Ok(bytes),
        2 => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .take(MAX_DIRECTORY)
                .read_to_end(&mut out)
                .map_err(|e| format!("a gzip directory: {e}"))?;
            Ok(out)
        }
        other => Err(format!(
            "directories compressed with method {other} (gzip or none are read): convert with `pmtiles convert`"
        )),
    }
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or("a directory ends inside a number")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a number longer than 64 bits in a directory".into())
}

fn parse_directory(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut at = 0;
    let n = usize::try_from(varint(bytes, &mut at)?).map_err(|e| e.to_string())?;
    if n > bytes.len() {
        return Err("a directory claims more entries than it has bytes".into());
    }
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run: 0,
        };
        n
    ];
    let mut last = 0u64;
    for e in &mut entries {
        last = last
            .checked_add(varint(bytes, &mut at)?)
            .ok_or("tile ids overflow")?;
        e.tile_id = last;
    }
    for e in &mut entries {
        e.run = varint(bytes, &mut at)?;
    }
    for e in &mut entries {
        e.length = varint(bytes, &mut at)?;
    }
    for i in 0..n {
        let v = varint(bytes, &mut at)?;
        entries[i].offset = if v == 0 && i > 0 {
            entries[i - 1].offset + entries[i - 1].length
        } else {
            v.checked_sub(1)
                .ok_or("an offset of 0 first in a directory")?
        };
    }
    Ok(entries)
}

/// The entry holding `id`: the last whose id is not after it, when its run reaches `id`
/// (or it points to a leaf directory, which holds the ids up to the next entry's).
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = entries
        .partition_point(|e| e.tile_id <= id)
        .checked_sub(1)?;
    let e = entries[i];
    (e.run == 0 || id - e.tile_id < e.run).then_some(e)
}

/// A tile's id: the tiles of every lower zoom, then its place on zoom `z`'s Hilbert
/// curve (the classic `xy2d`: rows from the north, as the spec counts them).
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let below = ((1u64 << (2 * u32::from(z))) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    below + d
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn push_varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A PMTiles v3 archive of `tiles` (z, x, y, bytes) as the spec lays it out: header,
    /// root directory (gzip), metadata (gzip JSON), tile data; no leaves.
    pub(crate) fn archive(tiles: &[(u8, u32, u32, Vec<u8>)], metadata: &str) -> Vec<u8> {
        use std::io::Write;
        let gzip = |bytes: &[u8]| {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(bytes).unwrap();
            z.finish().unwrap()
        };
        let mut sorted: Vec<_> = tiles
            .iter()
            .map(|(z, x, y, b)| (tile_id(*z, *x, *y), b))
            .collect();
        sorted.sort_by_key(|t| t.0);
        let mut data = Vec::new();
        let mut entries = Vec::new();
        for (id, bytes) in &sorted {
            entries.push((*id, data.len() as u64, bytes.len() as u64));
            data.extend_from_slice(bytes);
        }
        let mut dir = Vec::new();
        push_varint(&mut dir, entries.len() as u64);
        let mut last = 0;
        for (id, _, _) in &entries {
            push_varint(&mut dir, id - last);
            last = *id;
        }
        for _ in &entries {
            push_varint(&mut dir, 1);
        }
        for (_, _, len) in &entries {
            push_varint(&mut dir, *len);
        }
        for (i, (_, offset, _)) in entries.iter().enumerate() {
            // 0: right after the previous tile; else offset + 1.
            push_varint(&mut dir, if i > 0 { 0 } else { offset + 1 });
        }
        let dir = gzip(&dir);
        let meta = gzip(metadata.as_bytes());
        let mut h = vec![0u8; 127];
        h[..7].copy_from_slice(b"PMTiles");
        h[7] = 3;
        let put =
            |h: &mut Vec<u8>, at: usize, v: u64| h[at..at + 8].copy_from_slice(&v.to_le_bytes());
        let root = 127u64;
        put(&mut h, 8, root);
        put(&mut h, 16, dir.len() as u64);
        put(&mut h, 24, root + dir.len() as u64);
        put(&mut h, 32, meta.len() as u64);
        put(&mut h, 40, root + (dir.len() + meta.len()) as u64);
        put(&mut h, 48, 0);
        put(&mut h, 56, root + (dir.len() + meta.len()) as u64);
        put(&mut h, 64, data.len() as u64);
        put(&mut h, 72, tiles.len() as u64);
        put(&mut h, 80, tiles.len() as u64);
        put(&mut h, 88, tiles.len() as u64);
        h[96] = 1;
        h[97] = 2;
        h[98] = 1;
        h[99] = 2;
        h[100] = tiles.iter().map(|t| t.0).min().unwrap_or(0);
        h[101] = tiles.iter().map(|t| t.0).max().unwrap_or(0);
        for (at, deg) in [(102, 17.6), (106, 59.1), (110, 17.9), (114, 59.3)] {
            h[at..at + 4].copy_from_slice(&((deg * 1e7) as i32).to_le_bytes());
        }
        [h, dir, meta, data].concat()
    }

    #[test]
    fn tile_ids_follow_the_spec() {
        // The spec's own examples.
        assert_eq!(tile_id(0, 0, 0), 0);
        assert_eq!(tile_id(1, 0, 0), 1);
        assert_eq!(tile_id(1, 0, 1), 2);
        assert_eq!(tile_id(1, 1, 1), 3);
        assert_eq!(tile_id(1, 1, 0), 4);
        assert_eq!(tile_id(2, 0, 0), 5);
        assert_eq!(tile_id(12, 0, 0), 5_592_405);
        assert_eq!(tile_id(12, 4095, 0), 22_369_620);
        // Every tile of zoom 3 has its own id, all within the zoom's range.
        let mut ids: Vec<u64> = (0..8)
            .flat_map(|x| (0..8).map(move |y| tile_id(3, x, y)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids, (21..85).collect::<Vec<_>>());
    }

    /// An archive written by the reference implementation (Python `pmtiles` 3.8.1,
    /// `mbtiles_to_pmtiles`) from an MBTiles file whose tiles at zoom 0–3 hold their own
    /// `z/x/y` (rows from the north): every tile `(x + y) % 3 == 0` below zoom 2 and
    /// all of zooms 0 and 1.
    #[test]
    fn an_archive_from_the_reference_writer_reads_tile_for_tile() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.pmtiles");
        let a = Archive::open(&path).unwrap();
        assert_eq!((a.header.min_zoom, a.header.max_zoom), (0, 3));
        for z in 0..=3u8 {
            for x in 0..(1u32 << z) {
                for y in 0..(1u32 << z) {
                    let expected =
                        ((x + y) % 3 == 0 || z < 2).then(|| format!("{z}/{x}/{y}").into_bytes());
                    assert_eq!(a.tile(z, x, y), expected, "{z}/{x}/{y}");
                }
            }
        }
        assert_eq!(a.metadata().unwrap()["name"], "Referens");
    }

    #[test]
    fn an_archive_serves_its_tiles_and_says_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("salem.pmtiles");
        let tiles = vec![
            (1, 0, 0, b"nw".to_vec()),
            (1, 1, 1, b"se".to_vec()),
            (3, 5, 2, b"z3".to_vec()),
        ];
        std::fs::write(
            &path,
            archive(&tiles, r#"{"name":"Salem","attribution":"© Lantmäteriet"}"#),
        )
        .unwrap();
        let a = Archive::open(&path).unwrap();
        assert_eq!((a.header.min_zoom, a.header.max_zoom), (1, 3));
        assert_eq!(a.tile(1, 0, 0).unwrap(), b"nw");
        assert_eq!(a.tile(1, 1, 1).unwrap(), b"se");
        assert_eq!(a.tile(3, 5, 2).unwrap(), b"z3");
        assert_eq!(a.tile(1, 0, 1), None);
        assert_eq!(a.tile(3, 5, 3), None);
        assert_eq!(a.tile(1, 2, 0), None);
        let meta = a.metadata().unwrap();
        assert_eq!(meta["name"], "Salem");
        assert_eq!(a.header.bounds[0], 17.6);
    }
}
