//! Recording, editing and reading observations.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::projection::{self};
use super::widening::{continue_widened, current};
use super::{Store, documents, register};
use crate::codes::DocKind;
use crate::doc::Document;
use crate::error::{Error, Field, Result};
use crate::ids::{CorrectionId, NoteId, ObservationId, WorkspaceId};
use crate::model::{
    Correction, Link, ListQuery, Note, Observation, ObservationRow, Reporter, Review,
};
use crate::permissions::{self, Record};
use crate::time::Timestamp;
use crate::validate::register::unknown_category;
use crate::validate::{self, MAX_NOTE, ObservationDraft, ObservationPatch, References};

impl Store {
    /// Records an observation as this device's user. Returns once it is on disk.
    pub fn record(&mut self, draft: &ObservationDraft, now: Timestamp) -> Result<Observation> {
        let identity = self.require_identity()?;
        let mut recorded = self.record_many(
            identity.workspace,
            &[(identity.reporter(), draft.clone())],
            now,
        )?;
        recorded
            .pop()
            .ok_or_else(|| Error::corrupt("recording returned nothing"))
    }

    /// Records several observations in one transaction: all are stored, or none (the
    /// first bad one is reported). Used by imports; each keeps its own reporter.
    pub fn record_many(
        &mut self,
        workspace: WorkspaceId,
        drafts: &[(Reporter, ObservationDraft)],
        now: Timestamp,
    ) -> Result<Vec<Observation>> {
        self.write(|tx, actor| {
            drafts
                .iter()
                .map(|(reporter, draft)| {
                    let refs = references(tx, workspace, draft)?;
                    let observation =
                        validate::new_observation(draft, refs, workspace, reporter, now)?;
                    let (_, created) = Document::create(actor, &observation, now)?;
                    documents::save_created(
                        tx,
                        observation.id.as_uuid(),
                        workspace,
                        DocKind::Observation,
                        &created,
                        now,
                    )?;
                    projection::upsert_observation(tx, &observation, now)?;
                    Ok(observation)
                })
                .collect()
        })
    }

    pub(crate) fn check_draft_for(
        &self,
        workspace: WorkspaceId,
        reporter: &Reporter,
        draft: &ObservationDraft,
        now: Timestamp,
    ) -> Result<Observation> {
        let refs = references(&self.conn, workspace, draft)?;
        validate::new_observation(draft, refs, workspace, reporter, now)
    }

    /// Changes the fields a patch names. The reporter may edit their own reports and the
    /// coordinator any; a category or place changed by someone else is kept as a
    /// correction the reporter can see.
    pub fn edit(
        &mut self,
        id: ObservationId,
        patch: &ObservationPatch,
        now: Timestamp,
    ) -> Result<Observation> {
        let editor = self.require_identity()?.reporter();
        self.change_observation(id, now, |conn, current| {
            if current.reporter.user != editor.user && !editor.role.is_coordinator() {
                return Err(Error::Forbidden(
                    "only the reporter or the coordinator may edit a report; add a follow-up note instead".into(),
                ));
            }
            let category = patch.category.as_deref().map(|key| {
                let key = key.trim();
                register::category_by_key(conn, current.workspace, key).map(|c| match c {
                    Some(c) if c.key == current.category => Ok(c),
                    Some(c) => validate::usable_category(&c),
                    None => Err(unknown_category(key)),
                })
            });
            let category = category.transpose()?;
            let place = patch
                .place
                .as_deref()
                .map(|p| {
                    register::find_place(conn, current.workspace, p).map(|found| {
                        found.and_then(|place| {
                            if place.id == current.place { Ok(place.id) } else { validate::usable_place(&place).map(|p| p.id) }
                        })
                    })
                })
                .transpose()?;
            let mut next = validate::patched_observation(current, patch, category, place, now)?;
            if editor.user != current.reporter.user {
                record_corrections(current, &mut next, &editor, now);
            }
            *current = next;
            Ok(())
        })
    }

    /// Adds a follow-up note. Anyone who can read a report may add one.
    pub fn add_note(
        &mut self,
        id: ObservationId,
        text: &str,
        acknowledge_personnummer: bool,
        now: Timestamp,
    ) -> Result<Observation> {
        let author = self.require_identity()?.reporter();
        let text = validate::text(Field::Note, text, MAX_NOTE)?;
        if text.is_empty() {
            return Err(Error::Invalid(crate::error::ValidationError::new(
                Field::Note,
                crate::error::Problem::Missing,
            )));
        }
        validate::personnummer_check(acknowledge_personnummer, &[(Field::Note, Some(&text))])?;
        self.change_observation(id, now, |_, current| {
            current.notes.push(Note {
                id: NoteId::new(),
                author: author.clone(),
                at: now,
                text,
            });
            Ok(())
        })
    }

    /// Marks a report as reviewed by the coordinator.
    pub fn mark_reviewed(&mut self, id: ObservationId, now: Timestamp) -> Result<Observation> {
        let by = self.require_coordinator()?;
        self.change_observation(id, now, |_, current| {
            current.review = Some(Review { by, at: now });
            Ok(())
        })
    }

    /// Links reports of the same event, each to every other: they then count as one
    /// event, and each keeps its own record. The coordinator's to do.
    pub fn link(&mut self, ids: &[ObservationId], now: Timestamp) -> Result<()> {
        let by = self.require_coordinator()?.user;
        for &from in ids {
            self.change_observation(from, now, |_, current| {
                for &to in ids.iter().filter(|&&to| to != from) {
                    current.links.insert(to.to_string(), Link { by, at: now });
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    fn require_coordinator(&self) -> Result<Reporter> {
        let me = self.require_identity()?.reporter();
        if !permissions::Abilities::of(me.role).review {
            return Err(Error::Forbidden("only the coordinator may do this".into()));
        }
        Ok(me)
    }

    /// Loads, changes and saves one observation as one Automerge change, in one transaction.
    /// A report that was widened is changed where it continues. A change that widens a
    /// report continues it as a new report (`continue_widened`).
    fn change_observation(
        &mut self,
        id: ObservationId,
        now: Timestamp,
        change: impl FnOnce(&Connection, &mut Observation) -> Result<()>,
    ) -> Result<Observation> {
        let me = self.require_identity()?.reporter();
        self.write(|tx, actor| {
            let (mut doc, before) = current(tx, actor, id)?;
            let id = before.id;
            let mut observation = before.clone();
            change(tx, &mut observation)?;
            let writer = permissions::Writer {
                me: &me,
                may_read: true,
            };
            if observation.visibility.wider_than(before.visibility) {
                return continue_widened(tx, actor, &writer, &mut doc, &before, observation, now);
            }
            // The server's table, so the device refuses what the server would, early.
            permissions::check(
                &writer,
                Some(&Record::Observation(Box::new(before))),
                &Record::Observation(Box::new(observation.clone())),
            )
            .map_err(|denied| Error::Forbidden(denied.to_string()))?;
            let changes =
                documents::update_checked(&mut doc, &observation, DocKind::Observation, now)?;
            if !changes.is_empty() {
                documents::save(
                    tx,
                    id.as_uuid(),
                    observation.workspace,
                    DocKind::Observation,
                    &mut doc,
                    &changes,
                    now,
                )?;
                projection::upsert_observation(tx, &observation, now)?;
            }
            Ok(observation)
        })
    }

    /// The whole observation, from its document; a report that was widened is read where
    /// it continues.
    pub fn observation(&self, id: ObservationId) -> Result<Observation> {
        Ok(current(&self.conn, &self.actor, id)?.1)
    }

    /// Observations from the projection, newest first.
    pub fn list(&self, query: &ListQuery) -> Result<Vec<ObservationRow>> {
        let workspace = match query.workspace {
            Some(w) => w,
            None => self.require_identity()?.workspace,
        };
        let mut params: Vec<Value> = vec![Value::Blob(workspace.as_uuid().as_bytes().to_vec())];
        let mut sql = format!("{} WHERE o.workspace_id = ?", row_select());
        if let Some(week) = query.week {
            sql.push_str(" AND o.week = ?");
            params.push(Value::Integer(week.key()));
        }
        // Bounding the week as well lets SQLite range-scan the week index.
        if let Some(from) = query.from {
            sql.push_str(" AND o.week >= ? AND o.observed_at >= ?");
            params.push(Value::Integer(from.week().key()));
            params.push(Value::Integer(from.millis()));
        }
        if let Some(until) = query.until {
            sql.push_str(" AND o.week <= ? AND o.observed_at < ?");
            params.push(Value::Integer(until.week().key()));
            params.push(Value::Integer(until.millis()));
        }
        if let Some(reporter) = query.reporter {
            sql.push_str(" AND o.reporter_id = ?");
            params.push(Value::Blob(reporter.as_uuid().as_bytes().to_vec()));
        }
        if let Some(reviewed) = query.reviewed {
            sql.push_str(" AND o.reviewed = ?");
            params.push(Value::Integer(i64::from(reviewed)));
        }
        sql.push_str(&query.filter.sql(workspace, &mut params));
        sql.push_str(" ORDER BY o.week DESC, o.observed_at DESC, o.id DESC");
        if let Some(limit) = query.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), row_from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn references(
    conn: &Connection,
    workspace: WorkspaceId,
    draft: &ObservationDraft,
) -> Result<References> {
    let key = validate::required(Field::Category, &draft.category)?;
    let place = validate::required(Field::Place, &draft.place)?;
    let category = match register::category_by_key(conn, workspace, key)? {
        Some(c) => validate::usable_category(&c),
        None => Err(unknown_category(key)),
    };
    let place =
        register::find_place(conn, workspace, place)?.and_then(|p| validate::usable_place(&p));
    Ok(References { category, place })
}

fn record_corrections(
    before: &Observation,
    after: &mut Observation,
    by: &Reporter,
    now: Timestamp,
) {
    let changed = [
        ("category", before.category.clone(), after.category.clone()),
        ("place", before.place.to_string(), after.place.to_string()),
    ];
    for (field, from, to) in changed {
        if from != to {
            after.corrections.push(Correction {
                id: CorrectionId::new(),
                by: by.clone(),
                at: now,
                field: field.to_string(),
                from,
                to,
            });
        }
    }
}

fn row_select() -> String {
    format!(
        "SELECT {}, COALESCE(p.name, '?'), p.area_id
         FROM observations o LEFT JOIN places p ON p.id = o.place_id",
        projection::COLUMNS
    )
}

fn row_from_sql(r: &Row<'_>) -> rusqlite::Result<ObservationRow> {
    Ok(ObservationRow {
        projection: projection::from_row(r, 0)?,
        place_name: r.get(projection::COLUMN_COUNT)?,
        area: r.get(projection::COLUMN_COUNT + 1)?,
    })
}
