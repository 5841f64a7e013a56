//! Files in and out: CSV and GeoJSON exports of observations, and CSV imports such as a
//! guard company's statistics.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde_json::{Value, json};

use crate::Lang;
use crate::error::{Error, Result};
use crate::ids::{OrganisationId, PlaceId, WorkspaceId};
use crate::inert::{csv_text, csv_text_read};
use crate::model::Reporter;
use crate::model::{ListQuery, ObservationRow};
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate::ObservationDraft;

/// The CSV columns, in order. Imports read the same names (or their Swedish aliases).
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "observed_at",
    "observed_until",
    "week",
    "place",
    "area",
    "category",
    "grade",
    "grade_label",
    "people",
    "age_group",
    "source",
    "description",
    "place_detail",
    "lat",
    "lon",
    "organisation",
    "role",
    "reporter",
    "visibility",
    "status",
    "notes",
];

/// Names of places and organisations, for files people read.
struct Names {
    places: HashMap<PlaceId, String>,
    organisations: HashMap<OrganisationId, String>,
    coordinates: HashMap<PlaceId, (f64, f64)>,
}

impl Names {
    fn load(store: &Store, workspace: WorkspaceId) -> Result<Names> {
        let places = store.places(workspace)?;
        Ok(Names {
            coordinates: places.iter().map(|p| (p.id, (p.lat, p.lon))).collect(),
            places: places.into_iter().map(|p| (p.id, p.name)).collect(),
            organisations: store
                .organisations(workspace)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect(),
        })
    }

    fn place(&self, id: Option<PlaceId>) -> String {
        id.and_then(|id| self.places.get(&id).cloned())
            .unwrap_or_default()
    }

    fn organisation(&self, id: OrganisationId) -> String {
        self.organisations
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

fn export_rows(store: &Store, query: &ListQuery) -> Result<(Vec<ObservationRow>, Names)> {
    let workspace = match query.workspace {
        Some(w) => w,
        None => store.require_identity()?.workspace,
    };
    let query = ListQuery {
        workspace: Some(workspace),
        ..query.clone()
    };
    Ok((store.list(&query)?, Names::load(store, workspace)?))
}

/// Writes the observations a query selects as CSV (UTF-8, comma-separated, times in
/// Swedish local time). Text that would start a spreadsheet formula is quoted
/// (`inert::csv_text`); `read_csv` takes the quote off again. Returns how many rows
/// were written.
pub fn export_csv(store: &Store, query: &ListQuery, out: impl Write) -> Result<usize> {
    let (rows, names) = export_rows(store, query)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_COLUMNS).map_err(csv_error)?;
    for r in &rows {
        // Text cells go through `csv_text`, numbers (a longitude west of Greenwich)
        // are written as they are.
        let text = |v: &str| csv_text(v).into_owned();
        let opt_text = |v: Option<&str>| v.map(text).unwrap_or_default();
        let opt = |v: Option<String>| v.unwrap_or_default();
        writer
            .write_record([
                r.id.to_string(),
                r.observed_at.local_display(),
                opt(r.observed_until.map(Timestamp::local_display)),
                r.week.to_string(),
                text(&r.place_name),
                text(&names.place(r.area)),
                text(&r.category),
                r.grade.value().to_string(),
                r.grade.label(Lang::Sv).to_string(),
                opt(r.people.map(|p| p.to_string())),
                opt(r.age_group.map(|a| a.code().to_string())),
                opt(r.source.map(|s| s.code().to_string())),
                text(&r.description),
                opt_text(r.place_detail.as_deref()),
                opt(r.position.map(|p| p.lat.to_string())),
                opt(r.position.map(|p| p.lon.to_string())),
                text(&names.organisation(r.organisation)),
                r.role.code().to_string(),
                text(&r.reporter_name),
                r.visibility.code().to_string(),
                r.status.code().to_string(),
                r.note_count.to_string(),
            ])
            .map_err(csv_error)?;
    }
    writer.flush()?;
    Ok(rows.len())
}

/// Writes the observations a query selects as a GeoJSON FeatureCollection. Each point
/// is the reported GPS position, or else the place's coordinates.
pub fn export_geojson(store: &Store, query: &ListQuery, mut out: impl Write) -> Result<usize> {
    let (rows, names) = export_rows(store, query)?;
    let features: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (lat, lon) = r
                .position
                .map(|p| (p.lat, p.lon))
                .or_else(|| names.coordinates.get(&r.place).copied())
                .unwrap_or_default();
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": {
                    "id": r.id,
                    "observed_at": r.observed_at,
                    "week": r.week,
                    "place": r.place_name,
                    "area": names.place(r.area),
                    "category": r.category,
                    "grade": r.grade,
                    "grade_label": r.grade.label(Lang::Sv),
                    "people": r.people,
                    "organisation": names.organisation(r.organisation),
                    "description": r.description,
                    "status": r.status,
                }
            })
        })
        .collect();
    let collection = json!({ "type": "FeatureCollection", "features": features });
    serde_json::to_writer_pretty(&mut out, &collection).map_err(|e| Error::Io(e.into()))?;
    out.write_all(b"\n")?;
    Ok(rows.len())
}

/// A CSV line that could not be read as an observation.
#[derive(Debug)]
pub struct ImportProblem {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    pub error: Error,
}

/// Reads observations from CSV. Accepts comma or semicolon separators (Swedish
/// spreadsheets write semicolons), and the export's column names or Swedish ones:
/// `tid`, `till`, `plats`, `kategori`, `bedömning`, `antal`, `åldersgrupp`, `källa`,
/// `beskrivning`, `platsdetalj`, `synlighet`, `lat`, `lon`. `place`/`plats` and
/// `category`/`kategori` and `grade`/`bedömning` are required.
pub fn read_csv(mut input: impl Read) -> Result<Vec<(u64, ObservationDraft)>> {
    let mut text = String::new();
    input.read_to_string(&mut text)?;
    let text = text.trim_start_matches('\u{feff}');
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(canonical_column)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let columns: HashMap<&str, usize> = CSV_COLUMNS
        .iter()
        .filter_map(|name| column(name).map(|i| (*name, i)))
        .collect();
    let mut drafts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            columns
                .get(name)
                .and_then(|i| record.get(*i))
                // A text cell the export quoted against formulas reads back as it was.
                .map(|v| csv_text_read(v).trim())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let number = |name: &str| get(name).map(|v| v.parse::<i64>().map_err(|_| v));
        let grade = match number("grade") {
            Some(Ok(g)) => Some(g),
            // Keep an unreadable grade as out of range so the error names the field.
            Some(Err(_)) => Some(0),
            None => None,
        };
        let people = match number("people") {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => Some(-1),
            None => None,
        };
        let lat = get("lat").and_then(|v| v.replace(',', ".").parse().ok());
        let lon = get("lon").and_then(|v| v.replace(',', ".").parse().ok());
        drafts.push((
            line,
            ObservationDraft {
                category: get("category"),
                place: get("place"),
                grade,
                observed_at: get("observed_at"),
                observed_until: get("observed_until"),
                people,
                age_group: get("age_group"),
                source: get("source"),
                description: get("description"),
                place_detail: get("place_detail"),
                position: lat.zip(lon).map(|(lat, lon)| crate::Position {
                    lat,
                    lon,
                    accuracy_m: None,
                }),
                visibility: get("visibility"),
                acknowledge_personnummer: false,
            },
        ));
    }
    Ok(drafts)
}

fn canonical_column(header: &str) -> String {
    let h = header.trim().to_lowercase();
    let name = match h.as_str() {
        "tid" | "tidpunkt" | "datum" => "observed_at",
        "till" | "sluttid" => "observed_until",
        "plats" => "place",
        "område" => "area",
        "kategori" => "category",
        "bedömning" | "grad" | "läge" => "grade",
        "antal" | "antal personer" => "people",
        "åldersgrupp" | "ålder" => "age_group",
        "källa" => "source",
        "beskrivning" | "händelse" => "description",
        "platsdetalj" => "place_detail",
        "synlighet" => "visibility",
        other => other,
    };
    name.to_string()
}

impl Store {
    /// Checks every imported line against the register, then records them all in one
    /// transaction. If any line is bad, nothing is stored and every bad line is returned.
    pub fn import(
        &mut self,
        drafts: &[(u64, ObservationDraft)],
        reporter: &Reporter,
        now: Timestamp,
    ) -> Result<std::result::Result<usize, Vec<ImportProblem>>> {
        let workspace = self.require_identity()?.workspace;
        let problems: Vec<ImportProblem> = drafts
            .iter()
            .filter_map(|(line, draft)| {
                self.check_draft_for(workspace, reporter, draft, now)
                    .err()
                    .map(|error| ImportProblem { line: *line, error })
            })
            .collect();
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let batch: Vec<(Reporter, ObservationDraft)> = drafts
            .iter()
            .map(|(_, d)| (reporter.clone(), d.clone()))
            .collect();
        Ok(Ok(self.record_many(workspace, &batch, now)?.len()))
    }
}
