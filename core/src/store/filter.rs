//! The filters shared by lists, exports and the lägesbild, as SQL over the projection.

use crate::ids::WorkspaceId;
pub use crate::model::ObservationFilter;
use rusqlite::types::Value;

fn blob(id: &uuid::Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl ObservationFilter {
    /// `AND …` clauses over the projection aliased `o`, appending their parameters.
    pub(crate) fn sql(&self, workspace: WorkspaceId, params: &mut Vec<Value>) -> String {
        let mut sql = String::new();
        if !self.categories.is_empty() {
            let list = placeholders(self.categories.len());
            sql.push_str(&format!(
                " AND (o.category IN ({list}) OR o.category IN
                   (SELECT key FROM categories WHERE workspace_id = ? AND parent IN ({list})))"
            ));
            params.extend(self.categories.iter().cloned().map(Value::Text));
            params.push(blob(workspace.as_uuid()));
            params.extend(self.categories.iter().cloned().map(Value::Text));
        }
        if !self.organisations.is_empty() {
            sql.push_str(&format!(
                " AND o.org_id IN ({})",
                placeholders(self.organisations.len())
            ));
            params.extend(self.organisations.iter().map(|o| blob(o.as_uuid())));
        }
        if !self.grades.is_empty() {
            sql.push_str(&format!(
                " AND o.grade IN ({})",
                placeholders(self.grades.len())
            ));
            params.extend(
                self.grades
                    .iter()
                    .map(|g| Value::Integer(i64::from(g.value()))),
            );
        }
        if let Some(place) = self.place {
            sql.push_str(
                " AND (o.place_id = ? OR o.place_id IN (SELECT id FROM places WHERE area_id = ?))",
            );
            params.push(blob(place.as_uuid()));
            params.push(blob(place.as_uuid()));
        }
        sql
    }
}
