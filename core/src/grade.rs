//! The five-grade situation assessment. The scale is fixed; only its labels may be
//! configured per workspace.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::Lang;

/// A situation assessment: 1 normalt … 5 kritiskt läge. No other value can exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "1 | 2 | 3 | 4 | 5"))]
#[repr(u8)]
pub enum Grade {
    Normalt = 1,
    NagotForhojt = 2,
    Forhojt = 3,
    Allvarligt = 4,
    KritisktLage = 5,
}

/// A number that is not a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the grade must be a whole number from 1 (normalt) to 5 (kritiskt läge), not {0}")]
pub struct InvalidGrade(pub i64);

impl Grade {
    pub const ALL: [Grade; 5] = [
        Grade::Normalt,
        Grade::NagotForhojt,
        Grade::Forhojt,
        Grade::Allvarligt,
        Grade::KritisktLage,
    ];

    pub fn new(value: i64) -> Result<Grade, InvalidGrade> {
        match value {
            1 => Ok(Grade::Normalt),
            2 => Ok(Grade::NagotForhojt),
            3 => Ok(Grade::Forhojt),
            4 => Ok(Grade::Allvarligt),
            5 => Ok(Grade::KritisktLage),
            other => Err(InvalidGrade(other)),
        }
    }

    pub fn value(self) -> u8 {
        self as u8
    }

    /// The default label; a workspace may configure its own (see `Workspace::grade_label`).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Grade::Normalt, Lang::Sv) => "normalt",
            (Grade::NagotForhojt, Lang::Sv) => "något förhöjt",
            (Grade::Forhojt, Lang::Sv) => "förhöjt",
            (Grade::Allvarligt, Lang::Sv) => "allvarligt",
            (Grade::KritisktLage, Lang::Sv) => "kritiskt läge",
            (Grade::Normalt, Lang::En) => "normal",
            (Grade::NagotForhojt, Lang::En) => "somewhat elevated",
            (Grade::Forhojt, Lang::En) => "elevated",
            (Grade::Allvarligt, Lang::En) => "serious",
            (Grade::KritisktLage, Lang::En) => "critical",
        }
    }
}

impl TryFrom<i64> for Grade {
    type Error = InvalidGrade;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Grade::new(value)
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value(), self.label(Lang::Sv))
    }
}

impl Serialize for Grade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.value())
    }
}

impl<'de> Deserialize<'de> for Grade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        Grade::new(value).map_err(serde::de::Error::custom)
    }
}

impl Reconcile for Grade {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.u64(u64::from(self.value()))
    }
}

impl Hydrate for Grade {
    fn hydrate_uint(u: u64) -> Result<Self, HydrateError> {
        Grade::new(i64::try_from(u).unwrap_or(i64::MAX))
            .map_err(|e| HydrateError::unexpected("a grade from 1 to 5", e.0.to_string()))
    }
    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        Grade::new(i).map_err(|e| HydrateError::unexpected("a grade from 1 to 5", e.0.to_string()))
    }
}

impl rusqlite::ToSql for Grade {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(i64::from(self.value())))
    }
}

impl rusqlite::types::FromSql for Grade {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Grade::new(value.as_i64()?).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Grade {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(5))
            .description(Some(
                "1 normalt, 2 något förhöjt, 3 förhöjt, 4 allvarligt, 5 kritiskt läge",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Grade {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_five_are_grades() {
        assert_eq!(Grade::new(0), Err(InvalidGrade(0)));
        assert_eq!(Grade::new(6), Err(InvalidGrade(6)));
        for v in 1..=5 {
            assert_eq!(i64::from(Grade::new(v).map(Grade::value).unwrap_or(0)), v);
        }
        assert!(
            serde_json::from_str::<Grade>("6").is_err(),
            "JSON cannot smuggle in grade 6"
        );
        assert_eq!(Grade::KritisktLage.label(Lang::Sv), "kritiskt läge");
    }
}
