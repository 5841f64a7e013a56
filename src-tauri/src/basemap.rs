//! The offline basemap: one MBTiles file (raster tiles in SQLite, the format QGIS,
//! TileMill and `gdal_translate` write) or PMTiles archive (one file read by offset, as
//! Protomaps and `pmtiles convert` write; `crate::pmtiles`) that is loaded once. It is kept in
//! the app's data directory and served to the map by the `basemap` URI scheme at
//! `/{z}/{x}/{y}`, so the map works with no connection at all.
//!
//! The file arrives from the web view in chunks (`basemap_upload`, raw bytes): a basemap
//! of a municipality is tens to hundreds of megabytes, more than one IPC message should
//! carry. It replaces the current one only once it has been checked.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use lagesbild_core::ErrorCode;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use tauri::State;
use tauri::http::{Response, StatusCode, header};
use tauri::ipc::{InvokeBody, Request};

use crate::error::{CommandError, CommandResult};

/// What the UI shows of the loaded basemap and needs to draw it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BasemapInfo {
    /// The file's own name for itself (`metadata.name`), else the uploaded file's name.
    pub name: String,
    /// The tiles' image format: png, jpg or webp.
    pub format: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees, when the file says.
    pub bounds: Option<[f64; 4]>,
    pub attribution: Option<String>,
    pub bytes: u64,
}

/// Where a basemap's tiles are read from.
enum Source {
    MbTiles(Connection),
    PmTiles(crate::pmtiles::Archive),
}

/// The loaded basemap, if any, and the open file it is read from.
pub struct Basemap {
    path: PathBuf,
    open: Mutex<Option<(Source, BasemapInfo)>>,
}

impl Basemap {
    /// The basemap kept at `path`; opened when one is there and still readable.
    pub fn at(path: PathBuf) -> Basemap {
        let open = match inspect(&path, None) {
            Ok(found) => Some(found),
            Err(e) => {
                if path.exists() {
                    tracing::warn!(error = %e.message, "the stored basemap could not be read");
                }
                None
            }
        };
        Basemap {
            path,
            open: Mutex::new(open),
        }
    }

    fn part(&self) -> PathBuf {
        self.path.with_extension("mbtiles.part")
    }

    pub fn info(&self) -> Option<BasemapInfo> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.as_ref().map(|(_, info)| info.clone())
    }

    /// The tile at zoom `z`, column `x` and row `y` counted from the north as map
    /// libraries do (MBTiles counts rows from the south), with its content type.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Option<(Vec<u8>, &'static str)> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (source, info) = open.as_ref()?;
        let rows = 1u64.checked_shl(u32::from(z))?;
        if u64::from(y) >= rows || u64::from(x) >= rows {
            return None;
        }
        let conn = match source {
            Source::PmTiles(archive) => {
                return Some((archive.tile(z, x, y)?, content_type(&info.format)));
            }
            Source::MbTiles(conn) => conn,
        };
        let tms_row = i64::try_from(rows - 1 - u64::from(y)).ok()?;
        let data: Option<Vec<u8>> = conn
            .query_row(
                "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                rusqlite::params![z, x, tms_row],
                |row| row.get(0),
            )
            .optional()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "basemap tile");
                None
            });
        Some((data?, content_type(&info.format)))
    }

    /// Appends a chunk at `offset` of the file being uploaded (0 starts over); after the
    /// last, checks it and puts it in place of the current basemap.
    fn receive(
        &self,
        offset: u64,
        chunk: &[u8],
        last: Option<&str>,
    ) -> CommandResult<Option<BasemapInfo>> {
        let part = self.part();
        if let Some(dir) = part.parent() {
            std::fs::create_dir_all(dir).map_err(internal)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(offset == 0)
            .open(&part)
            .map_err(internal)?;
        let length = file.metadata().map_err(internal)?.len();
        if length != offset {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                format!("a chunk at {offset} after {length} bytes: start the upload again"),
            ));
        }
        file.seek(SeekFrom::Start(offset)).map_err(internal)?;
        file.write_all(chunk).map_err(internal)?;
        file.sync_all().map_err(internal)?;
        drop(file);
        let Some(file_name) = last else {
            return Ok(None);
        };
        let checked = inspect(&part, Some(file_name));
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        match checked {
            Ok((source, info)) => {
                // Close both before the rename: Windows keeps open files in place.
                drop(source);
                *open = None;
                std::fs::rename(&part, &self.path).map_err(internal)?;
                *open = Some(inspect(&self.path, Some(file_name))?);
                Ok(Some(info))
            }
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                Err(e)
            }
        }
    }

    fn remove(&self) -> CommandResult<()> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        *open = None;
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(internal(e)),
            _ => Ok(()),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

fn invalid(what: impl Into<String>) -> CommandError {
    CommandError::new(ErrorCode::Invalid, what)
}

fn content_type(format: &str) -> &'static str {
    match format {
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => "image/png",
    }
}

/// Opens a basemap file and reads what the map needs from it: a PMTiles archive by its
/// magic bytes, else an MBTiles file; refuses anything that is neither, or not raster.
fn inspect(path: &Path, file_name: Option<&str>) -> CommandResult<(Source, BasemapInfo)> {
    let bytes = File::open(path)
        .and_then(|f| f.metadata())
        .map_err(internal)?
        .len();
    let mut magic = [0u8; 7];
    let is_pmtiles = File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"PMTiles";
    if is_pmtiles {
        let archive = crate::pmtiles::Archive::open(path)
            .map_err(|e| invalid(format!("not a PMTiles archive the map can show: {e}")))?;
        let meta = archive.metadata();
        let text = |key: &str| {
            meta.as_ref()
                .and_then(|m| m.get(key))
                .and_then(|v| v.as_str())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let h = &archive.header;
        let [w, so, e, n] = h.bounds;
        let info = BasemapInfo {
            name: text("name")
                .or_else(|| file_name.map(str::to_owned))
                .unwrap_or_else(|| "PMTiles".to_owned()),
            format: match h.tile_type {
                3 => "jpg",
                4 => "webp",
                5 => "avif",
                _ => "png",
            }
            .to_owned(),
            min_zoom: h.min_zoom,
            max_zoom: h.max_zoom,
            bounds: (w < e && so < n && (-180.0..=180.0).contains(&w)).then_some([
                w,
                so.clamp(-85.06, 85.06),
                e,
                n.clamp(-85.06, 85.06),
            ]),
            attribution: text("attribution"),
            bytes,
        };
        return Ok((Source::PmTiles(archive), info));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| invalid(format!("not an MBTiles file: {e}")))?;
    let not_mbtiles = |e: rusqlite::Error| invalid(format!("not an MBTiles file: {e}"));
    let metadata: Vec<(String, String)> = conn
        .prepare("SELECT name, value FROM metadata")
        .and_then(|mut s| {
            s.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .map_err(not_mbtiles)?;
    let meta = |key: &str| {
        metadata
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let format = meta("format")
        .unwrap_or_else(|| "png".to_owned())
        .to_lowercase();
    if !matches!(format.as_str(), "png" | "jpg" | "jpeg" | "webp") {
        return Err(invalid(format!(
            "the map shows raster tiles (png, jpg, webp), not {format}"
        )));
    }
    let (min_zoom, max_zoom): (Option<u8>, Option<u8>) = conn
        .query_row(
            "SELECT min(zoom_level), max(zoom_level) FROM tiles",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(not_mbtiles)?;
    let (Some(min_zoom), Some(max_zoom)) = (min_zoom, max_zoom) else {
        return Err(invalid("the MBTiles file has no tiles"));
    };
    let bounds = meta("bounds").and_then(|b| {
        let v: Vec<f64> = b.split(',').filter_map(|n| n.trim().parse().ok()).collect();
        let [w, s, e, n] = v[..] else { return None };
        (-180.0..=180.0)
            .contains(&w)
            .then_some([w, s.clamp(-85.06, 85.06), e, n.clamp(-85.06, 85.06)])
            .filter(|_| w < e && s < n)
    });
    let name = meta("name")
        .or_else(|| file_name.map(str::to_owned))
        .unwrap_or_else(|| "MBTiles".to_owned());
    let info = BasemapInfo {
        name,
        format,
        min_zoom,
        max_zoom,
        bounds,
        attribution: meta("attribution"),
        bytes,
    };
    Ok((Source::MbTiles(conn), info))
}

/// The basemap loaded now, if any.
#[tauri::command]
pub fn basemap(basemap: State<'_, Basemap>) -> Option<BasemapInfo> {
    basemap.info()
}

/// One chunk of a basemap file: the raw bytes, with the headers `offset` (where it goes)
/// and, on the last chunk, `last` (the file's name). Answers the basemap after the last.
#[tauri::command]
pub async fn basemap_upload(
    basemap: State<'_, Basemap>,
    request: Request<'_>,
) -> CommandResult<Option<BasemapInfo>> {
    let InvokeBody::Raw(chunk) = request.body() else {
        return Err(invalid("a basemap chunk is raw bytes"));
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let offset = header("offset")
        .and_then(|o| o.parse().ok())
        .ok_or_else(|| invalid("a basemap chunk names its offset"))?;
    // The file's name, percent-encoded: headers carry ASCII only.
    let last = header("last").map(|name| {
        percent_encoding::percent_decode_str(&name)
            .decode_utf8_lossy()
            .into_owned()
    });
    basemap.receive(offset, chunk, last.as_deref())
}

#[tauri::command]
pub fn remove_basemap(basemap: State<'_, Basemap>) -> CommandResult<()> {
    basemap.remove()
}

/// A tile's `/{z}/{x}/{y}` (an extension after `y` allowed), as the map asks for it.
pub fn tile_path(path: &str) -> Option<(u8, u32, u32)> {
    path.trim_matches('/')
        .split('/')
        .map(|n| n.split('.').next().unwrap_or(n).parse::<u32>().ok())
        .collect::<Option<Vec<u32>>>()
        .and_then(|zxy| match zxy[..] {
            [z, x, y] => u8::try_from(z).ok().map(|z| (z, x, y)),
            _ => None,
        })
}

/// The `basemap` URI scheme: `/{z}/{x}/{y}` answers the tile, 204 where the file has
/// none (the map leaves it empty rather than reporting an error).
pub fn serve(basemap: &Basemap, path: &str) -> Response<Vec<u8>> {
    let tile = tile_path(path);
    let builder = Response::builder().header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    let response = match tile {
        None => builder.status(StatusCode::NOT_FOUND).body(Vec::new()),
        Some((z, x, y)) => match basemap.tile(z, x, y) {
            Some((data, kind)) => builder
                .header(header::CONTENT_TYPE, kind)
                .header(header::CACHE_CONTROL, "no-cache")
                .body(data),
            None => builder.status(StatusCode::NO_CONTENT).body(Vec::new()),
        },
    };
    response.unwrap_or_else(|_| Response::new(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MBTiles file with one tile at 1/0/0 (north-west, TMS row 1).
    fn mbtiles(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             INSERT INTO metadata VALUES ('name', 'Salem'), ('format', 'png'), ('bounds', '17.6,59.1,17.9,59.3');
             INSERT INTO tiles VALUES (1, 0, 1, x'89504e47');",
        )
        .unwrap();
    }

    #[test]
    fn an_uploaded_file_is_checked_then_served_with_rows_from_the_north() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let source = dir.join("source.mbtiles");
        mbtiles(&source);
        let bytes = std::fs::read(&source).unwrap();
        let basemap = Basemap::at(dir.join("basemap.mbtiles"));
        assert!(basemap.info().is_none());
        let (first, rest) = bytes.split_at(1000);
        assert!(basemap.receive(0, first, None).unwrap().is_none());
        // A chunk out of place is refused rather than written into a hole.
        assert!(basemap.receive(5000, rest, Some("x.mbtiles")).is_err());
        let info = basemap
            .receive(1000, rest, Some("salem.mbtiles"))
            .unwrap()
            .unwrap();
        assert_eq!(info.name, "Salem");
        assert_eq!((info.min_zoom, info.max_zoom), (1, 1));
        assert_eq!(info.bounds, Some([17.6, 59.1, 17.9, 59.3]));
        assert_eq!(basemap.tile(1, 0, 0).unwrap().0, [0x89, 0x50, 0x4e, 0x47]);
        assert!(basemap.tile(1, 0, 1).is_none());
        assert!(basemap.tile(1, 2, 0).is_none());
        assert_eq!(serve(&basemap, "/1/0/0").status(), StatusCode::OK);
        assert_eq!(serve(&basemap, "/1/0/1").status(), StatusCode::NO_CONTENT);
        assert_eq!(serve(&basemap, "/1/0").status(), StatusCode::NOT_FOUND);
        // Kept across restarts.
        assert_eq!(
            Basemap::at(dir.join("basemap.mbtiles"))
                .info()
                .unwrap()
                .name,
            "Salem"
        );
        basemap.remove().unwrap();
        assert!(basemap.info().is_none());
    }

    #[test]
    fn a_pmtiles_archive_is_taken_and_served_the_same_way() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let archive = crate::pmtiles::tests::archive(
            &[(1, 0, 0, vec![0x89, 0x50]), (2, 3, 1, vec![7])],
            r#"{"name":"Salem PMTiles","attribution":"© Lantmäteriet"}"#,
        );
        let basemap = Basemap::at(dir.join("basemap.mbtiles"));
        let info = basemap
            .receive(0, &archive, Some("salem.pmtiles"))
            .unwrap()
            .unwrap();
        assert_eq!(info.name, "Salem PMTiles");
        assert_eq!(info.attribution.as_deref(), Some("© Lantmäteriet"));
        assert_eq!((info.min_zoom, info.max_zoom), (1, 2));
        assert_eq!(
            basemap.tile(1, 0, 0).unwrap(),
            (vec![0x89, 0x50], "image/png")
        );
        assert_eq!(basemap.tile(2, 3, 1).unwrap().0, vec![7]);
        assert!(basemap.tile(2, 3, 2).is_none());
        assert_eq!(serve(&basemap, "/2/3/1").status(), StatusCode::OK);
        // Kept across restarts, read again as the archive it is.
        assert_eq!(
            Basemap::at(dir.join("basemap.mbtiles"))
                .tile(2, 3, 1)
                .unwrap()
                .0,
            vec![7]
        );
    }

    #[test]
    fn a_file_that_is_not_mbtiles_leaves_the_current_basemap() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let source = dir.join("source.mbtiles");
        mbtiles(&source);
        let basemap = Basemap::at(dir.join("basemap.mbtiles"));
        basemap
            .receive(0, &std::fs::read(&source).unwrap(), Some("salem.mbtiles"))
            .unwrap();
        let refused = basemap
            .receive(0, b"<html>not a map</html>", Some("map.html"))
            .unwrap_err();
        assert!(matches!(refused.code, ErrorCode::Invalid));
        assert_eq!(basemap.info().unwrap().name, "Salem");
    }
}
