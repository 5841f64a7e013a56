//! TypeScript declarations of every type the commands take and return, generated from
//! the Rust types with ts-rs into `ui/src/lib/bindings.ts`; and the Swedish and English
//! labels of every closed set of codes (`lagesbild_core::codes`, the audit log's actions
//! among them) into `ui/src/lib/labels.ts`, so that the UI keeps no copy of its own.
//! The test below fails when either file is stale; run it with
//! `LAGESBILD_WRITE_BINDINGS=1` to rewrite them.

use std::any::TypeId;
use std::collections::BTreeMap;

use ts_rs::{Config, TS, TypeVisitor};

/// The path of the generated declarations, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/lib/bindings.ts";

/// The path of the generated labels, relative to the repository root.
pub const LABELS_PATH: &str = "ui/src/lib/labels.ts";

/// The first lines of both generated files.
const HEADER: &str = "// Generated from the Rust types (src-tauri/src/bindings.rs); do not edit.\n\
     // Regenerate: LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings\n";

/// Collects the declaration of every named type reachable from the roots.
struct Collector<'a> {
    cfg: &'a Config,
    visited: Vec<TypeId>,
    /// Declarations by TypeScript name, so the file is sorted.
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collector<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let id = TypeId::of::<T>();
        if self.visited.contains(&id) {
            return;
        }
        self.visited.push(id);
        // Only types of our own have a place to be exported to; built-ins are inlined.
        if T::output_path().is_some() {
            let name = T::ident(self.cfg);
            // Each type is visited once, so a name seen before is another type's.
            assert!(
                !self.decls.contains_key(&name),
                "two Rust types are both called {name} in TypeScript; rename one"
            );
            let docs = T::docs().unwrap_or_default();
            let decl = format!("{docs}export {}", T::decl(self.cfg));
            self.decls.insert(name, decl);
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

macro_rules! roots {
    ($collector:expr, $($ty:ty),+ $(,)?) => {
        $( $collector.visit::<$ty>(); )+
    };
}

/// The whole file: a header and the declarations, sorted by name so that the file
/// changes only where a type changes.
pub fn typescript() -> String {
    let mut out = String::from(HEADER);
    for decl in declarations().values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out
}

/// The declarations of every type reachable from the commands, by TypeScript name.
fn declarations() -> BTreeMap<String, String> {
    use crate::admin::QrCode;
    use crate::commands::{Overview, SyncOverview};
    use crate::error::CommandError;
    use lagesbild_core::agenda::Agenda;
    use lagesbild_core::lagesbild::Lagesbild;
    use lagesbild_core::sync::engine::SyncStatus;
    use lagesbild_core::{
        AgeGroup, Assessment, AuditAction, Category, DecisionDraft, DecisionStatus, Deployee,
        DocKind, ListQuery, Meeting, Observation, ObservationDraft, ObservationPatch,
        ObservationRow, Organisation, OrganisationKind, Place, PlaceKind, Role, Source, Status,
        Visibility, WorkspaceId,
    };

    // The UI reads counts as JavaScript numbers; none of ours comes near 2^53.
    let cfg = Config::new().with_large_int("number");
    let mut collector = Collector {
        cfg: &cfg,
        visited: Vec::new(),
        decls: BTreeMap::new(),
    };
    roots!(
        collector,
        Overview,
        SyncOverview,
        CommandError,
        Category,
        Place,
        Organisation,
        Observation,
        ObservationDraft,
        ObservationPatch,
        ObservationRow,
        ListQuery,
        Lagesbild,
        Agenda,
        Assessment,
        Meeting,
        DecisionDraft,
        DecisionStatus,
        lagesbild_core::views::Efforts,
        lagesbild_core::store::ActivityDraft,
        lagesbild_core::store::PromiseDraft,
        lagesbild_core::Publication,
        lagesbild_core::report::ledger::LedgerEntry,
        lagesbild_core::sync::wire::RegisterChange,
        lagesbild_core::sync::wire::People,
        lagesbild_core::sync::wire::AdminChange,
        lagesbild_core::sync::wire::AdminOutcome,
        lagesbild_core::sync::wire::AuditEntry,
        QrCode,
        crate::basemap::BasemapInfo,
        lagesbild_core::store::Delivery,
        lagesbild_core::store::PlaceHabit,
        crate::unlock::StoreLock,
        crate::unlock::LockKind,
        // The payload of the `sync-status` event.
        BTreeMap<WorkspaceId, SyncStatus>,
        // The closed sets whose labels `labels.ts` holds, keyed by their codes.
        Role,
        OrganisationKind,
        Visibility,
        Status,
        AgeGroup,
        Source,
        PlaceKind,
        Deployee,
        DecisionStatus,
        DocKind,
        lagesbild_core::IndicatorKind,
        lagesbild_core::Reconsideration,
        AuditAction,
    );
    collector.decls
}

/// The labels file: for each closed set of codes, `SET_LABELS` maps every code to its
/// Swedish and English label, in the order the set declares its codes.
pub fn labels_typescript() -> String {
    let declared = declarations();
    let tables = lagesbild_core::codes::label_tables();
    let mut names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    for name in &names {
        assert!(
            declared.contains_key(*name),
            "{name} has labels but no declaration in {BINDINGS_PATH}: add it to the roots"
        );
    }
    names.sort_unstable();
    let quote = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let mut out = String::from(HEADER);
    out.push_str(&format!(
        "\nimport type {{ {} }} from \"./bindings\";\n",
        names.join(", ")
    ));
    out.push_str("\n/** A code's name for people, in Swedish and English. */\n");
    out.push_str("export type Label = { sv: string, en: string };\n");
    for table in &tables {
        out.push_str(&format!(
            "\n/** The labels of every `{name}`. */\nexport const {}: Record<{name}, Label> = {{\n",
            const_name(table.name),
            name = table.name,
        ));
        for (code, sv, en) in &table.labels {
            out.push_str(&format!(
                "  {}: {{ sv: {}, en: {} }},\n",
                quote(code),
                quote(sv),
                quote(en)
            ));
        }
        out.push_str("};\n");
    }
    out
}

/// `AuditAction` → `AUDIT_ACTION_LABELS`.
fn const_name(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out + "_LABELS"
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn bindings_are_current() {
        for (file, generated) in [
            (BINDINGS_PATH, typescript()),
            (LABELS_PATH, labels_typescript()),
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
            if std::env::var_os("LAGESBILD_WRITE_BINDINGS").is_some() {
                std::fs::write(&path, &generated).expect("write bindings");
                continue;
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == generated,
                "{file} is stale: the Rust types or labels changed. Regenerate it with\n\
                 LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings"
            );
        }
    }

    #[test]
    fn label_tables_are_named_for_their_types() {
        assert_eq!(const_name("AuditAction"), "AUDIT_ACTION_LABELS");
        assert_eq!(const_name("Role"), "ROLE_LABELS");
    }
}
