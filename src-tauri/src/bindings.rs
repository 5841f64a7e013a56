//! TypeScript declarations of every type the commands take and return, generated from
//! the Rust types with ts-rs into `ui/src/lib/bindings.ts`. The test below fails when
//! that file is stale; run it with `LAGESBILD_WRITE_BINDINGS=1` to rewrite the file.

use std::any::TypeId;
use std::collections::BTreeMap;

use ts_rs::{Config, TS, TypeVisitor};

/// The path of the generated file, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/src/lib/bindings.ts";

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
    use crate::admin::QrCode;
    use crate::commands::{Overview, SyncOverview};
    use crate::error::CommandError;
    use lagesbild_core::agenda::Agenda;
    use lagesbild_core::lagesbild::Lagesbild;
    use lagesbild_core::sync::engine::SyncStatus;
    use lagesbild_core::{
        Assessment, Category, DecisionDraft, DecisionStatus, ListQuery, Meeting, Observation,
        ObservationDraft, ObservationPatch, ObservationRow, Organisation, Place, WorkspaceId,
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
        lagesbild_core::sync::wire::RegisterChange,
        lagesbild_core::sync::wire::People,
        lagesbild_core::sync::wire::AdminChange,
        lagesbild_core::sync::wire::AdminOutcome,
        lagesbild_core::sync::wire::AuditEntry,
        QrCode,
        crate::basemap::BasemapInfo,
        lagesbild_core::store::Delivery,
        crate::unlock::StoreLock,
        // The payload of the `sync-status` event.
        BTreeMap<WorkspaceId, SyncStatus>,
    );
    let mut out = String::from(
        "// Generated from the Rust types (src-tauri/src/bindings.rs); do not edit.\n\
         // Regenerate: LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings\n",
    );
    for decl in collector.decls.values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn bindings_are_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(BINDINGS_PATH);
        let generated = typescript();
        if std::env::var_os("LAGESBILD_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).expect("write bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{BINDINGS_PATH} is stale: the Rust types changed. Regenerate it with\n\
             LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings"
        );
    }
}
