use std::collections::BTreeMap;

use autosurgeon::reconcile::MapReconciler;
use autosurgeon::{
    Hydrate, HydrateError, MaybeMissing, Prop, ReadDoc, Reconcile, Reconciler, hydrate_prop,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::DocKind;
use crate::grade::Grade;
use crate::ids::{AssessmentId, OrganisationId, PlaceId, WorkspaceId};
use crate::model::Reporter;
use crate::time::{IsoWeek, Timestamp};

/// The assessments of one area for one ISO week: the official one (set by the meeting or
/// the coordinator) beside each organisation's own, so disagreement is visible.
///
/// Its id is derived from (workspace, area, week), so two laptops that start the same
/// assessment offline write into the same document. Every value sits directly in the
/// root map (`official`, `org:<id>`): two independently created documents then merge
/// per key instead of one nested map hiding the other.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: AssessmentId,
    pub workspace: WorkspaceId,
    pub area: PlaceId,
    pub week: IsoWeek,
    pub official: Option<AreaGrade>,
    pub by_organisation: BTreeMap<OrganisationId, AreaGrade>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AreaGrade {
    pub grade: Grade,
    pub motivation: String,
    pub by: Reporter,
    pub at: Timestamp,
}

const ORG_PREFIX: &str = "org:";

impl AssessmentId {
    /// The one id of an area's assessment document for a week.
    pub fn for_area_week(workspace: WorkspaceId, area: PlaceId, week: IsoWeek) -> AssessmentId {
        let name = format!("assessment/{area}/{week}");
        AssessmentId(Uuid::new_v5(workspace.as_uuid(), name.as_bytes()))
    }
}

impl Assessment {
    pub fn new(workspace: WorkspaceId, area: PlaceId, week: IsoWeek) -> Assessment {
        Assessment {
            id: AssessmentId::for_area_week(workspace, area, week),
            workspace,
            area,
            week,
            official: None,
            by_organisation: BTreeMap::new(),
        }
    }
}

impl Reconcile for Assessment {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        let mut map = reconciler.map()?;
        map.put("kind", DocKind::Assessment)?;
        map.put("id", self.id)?;
        map.put("workspace", self.workspace)?;
        map.put("area", self.area)?;
        map.put("week", self.week.to_string())?;
        match &self.official {
            Some(official) => map.put("official", official)?,
            None => map.delete("official")?,
        }
        for (org, grade) in &self.by_organisation {
            map.put(format!("{ORG_PREFIX}{org}"), grade)?;
        }
        map.retain(|key, _| match key.strip_prefix(ORG_PREFIX) {
            Some(org) => org
                .parse()
                .is_ok_and(|org| self.by_organisation.contains_key(&org)),
            None => true,
        })?;
        Ok(())
    }
}

impl Hydrate for Assessment {
    fn hydrate_map<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        let kind: DocKind = hydrate_prop(doc, obj, "kind")?;
        if kind != DocKind::Assessment {
            return Err(HydrateError::unexpected(
                "an assessment",
                kind.code().to_string(),
            ));
        }
        let week: String = hydrate_prop(doc, obj, "week")?;
        let week = week
            .parse()
            .map_err(|e: String| HydrateError::unexpected("an ISO week", e))?;
        let mut by_organisation = BTreeMap::new();
        let keys: Vec<String> = doc
            .map_range(obj, ..)
            .map(|item| item.key.into_owned())
            .collect();
        for key in keys {
            if let Some(org) = key.strip_prefix(ORG_PREFIX) {
                let org: OrganisationId = org
                    .parse()
                    .map_err(|_| HydrateError::unexpected("an organisation id", org.to_string()))?;
                let grade: AreaGrade = hydrate_prop(doc, obj, Prop::from(key.as_str()))?;
                by_organisation.insert(org, grade);
            }
        }
        Ok(Assessment {
            id: hydrate_prop(doc, obj, "id")?,
            workspace: hydrate_prop(doc, obj, "workspace")?,
            area: hydrate_prop(doc, obj, "area")?,
            week,
            // Written only once set: an organisation's own grade may come first.
            official: match hydrate_prop(doc, obj, "official")? {
                MaybeMissing::Missing => None,
                MaybeMissing::Present(official) => official,
            },
            by_organisation,
        })
    }
}
