//! A new device's bootstrap in the store: the projections first, newest first, so the
//! lägesbild is complete for recent weeks before older reports arrive; then the
//! documents; resumed where it stopped after a restart.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_store, now, second_store, unchanged_register};
use lagesbild_core::ObservationProjection;
use lagesbild_core::Store;
use lagesbild_core::lagesbild::TREND_WEEKS;
use lagesbild_core::sync::engine::{Action, Request, Response, SyncEngine};
use lagesbild_core::sync::storage::{BootstrapStage, SyncStorage};
use lagesbild_core::sync::wire::{BootstrapPage, FeedEntry, ProjectionKey, ProjectionPage};
use lagesbild_core::views;
use lagesbild_core::{Grade, ListQuery, Observation};

/// The server's side, from a store holding every report: projections newest first and
/// documents by id, `size` at a time.
struct Source {
    projections: Vec<ObservationProjection>,
    documents: Vec<(Observation, Vec<u8>)>,
}

impl Source {
    fn new(store: &Store, observations: Vec<Observation>) -> Source {
        let mut projections: Vec<ObservationProjection> =
            observations.iter().map(ObservationProjection::of).collect();
        projections.sort_by_key(|p| std::cmp::Reverse((p.observed_at, p.id)));
        let mut documents: Vec<(Observation, Vec<u8>)> = observations
            .into_iter()
            .map(|o| {
                let bytes = store
                    .document_changes(&o.id.0)
                    .unwrap()
                    .into_iter()
                    .flat_map(|c| c.bytes)
                    .collect();
                (o, bytes)
            })
            .collect();
        documents.sort_by_key(|(o, _)| o.id);
        Source {
            projections,
            documents,
        }
    }

    fn projections(&self, before: Option<ProjectionKey>, size: usize) -> ProjectionPage {
        let rest: Vec<_> = self
            .projections
            .iter()
            .filter(|p| {
                before.is_none_or(|k| (p.observed_at.millis(), p.id.0) < (k.observed_at, k.doc))
            })
            .take(size)
            .cloned()
            .collect();
        ProjectionPage {
            next: (rest.len() == size).then(|| ProjectionKey {
                observed_at: rest[size - 1].observed_at.millis(),
                doc: rest[size - 1].id.0,
            }),
            projections: rest,
            cursor: 77,
            total: before.is_none().then_some(self.projections.len() as u64),
        }
    }

    fn documents(&self, after: Option<uuid::Uuid>, size: usize) -> BootstrapPage {
        let rest: Vec<_> = self
            .documents
            .iter()
            .filter(|(o, _)| after.is_none_or(|a| o.id.0 > a))
            .take(size)
            .collect();
        BootstrapPage {
            next: (rest.len() == size).then(|| rest[size - 1].0.id.0),
            entries: rest
                .iter()
                .map(|(o, bytes)| FeedEntry::Document {
                    doc: o.id.0,
                    kind: lagesbild_core::DocKind::Observation,
                    bytes: bytes.clone(),
                    projection: None,
                })
                .collect(),
            cursor: 77,
        }
    }
}

#[test]
fn recent_weeks_are_complete_first_and_a_restart_resumes_where_it_stopped() {
    let (mut reporter, demo, identity) = demo_store(1);
    let workspace = identity.workspace;
    // Twelve weeks of reports, made in the order they happened.
    let observations = reporter
        .record_many(workspace, &demo.reports(240, 12, now(), 3), now())
        .unwrap();
    let source = Source::new(&reporter, observations);
    let mut device = second_store(&demo, 2);
    let week = now().week();
    let window = week.minus(TREND_WEEKS as i64).bounds().0;

    // Pages of 20 until the lägesbild's five weeks are in, but not all twelve.
    let mut before = None;
    let mut pages = 0;
    loop {
        let page = source.projections(before, 20);
        device.apply_projections(workspace, &page, now()).unwrap();
        pages += 1;
        before = page.next;
        if views::lagesbild(&device, workspace, week, &Default::default())
            .unwrap()
            .complete
        {
            break;
        }
        let progress = device.bootstrap_progress(workspace).unwrap().unwrap();
        assert!(!progress.covers(window));
    }
    let progress = device.bootstrap_progress(workspace).unwrap().unwrap();
    assert_eq!(progress.stage, BootstrapStage::Projections);
    assert_eq!((progress.total, progress.projections), (240, pages * 20));
    assert!(pages < 12, "usable after {pages} of 12 pages");
    // The week and the four it compares with are exactly as on the reporter's device.
    assert_eq!(
        views::lagesbild(&device, workspace, week, &Default::default())
            .unwrap()
            .places,
        views::lagesbild(&reporter, workspace, week, &Default::default())
            .unwrap()
            .places
    );
    // An older week is not complete yet, and says so.
    let old = week.minus(10);
    assert!(
        !views::lagesbild(&device, workspace, old, &Default::default())
            .unwrap()
            .complete
    );

    // The app restarts: a new engine asks for the page after the last one applied,
    // at the cursor the bootstrap began at.
    let mut engine = SyncEngine::new(workspace, 1);
    let Action::Send(register) = engine.poll(&device, now()).unwrap() else {
        panic!("no register request");
    };
    let response = Response::Register(unchanged_register());
    engine
        .handle(&mut device, &register, Ok(response), now())
        .unwrap();
    assert_eq!(
        engine.poll(&device, now()).unwrap(),
        Action::Send(Request::Projections {
            before,
            at: Some(77)
        })
    );
    // The rest, driven by the engine, then the documents.
    while let Action::Send(request @ (Request::Projections { .. } | Request::Bootstrap { .. })) =
        engine.poll(&device, now()).unwrap()
    {
        let response = match &request {
            Request::Projections { before, .. } => {
                Response::Projections(source.projections(*before, 20))
            }
            Request::Bootstrap { after, at } => {
                assert_eq!(*at, 77);
                Response::Bootstrap(source.documents(*after, 50))
            }
            _ => unreachable!(),
        };
        engine
            .handle(&mut device, &request, Ok(response), now())
            .unwrap();
    }
    assert_eq!(device.bootstrap_progress(workspace).unwrap(), None);
    let state = device.sync_state(workspace).unwrap();
    assert!(state.bootstrapped);
    assert_eq!(
        state.cursor, 77,
        "the feed continues from where the bootstrap began"
    );
    assert!(
        views::lagesbild(&device, workspace, old, &Default::default())
            .unwrap()
            .complete
    );
    let listed = |store: &Store| {
        let mut rows: Vec<_> = store
            .list(&ListQuery {
                workspace: Some(workspace),
                ..ListQuery::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.projection.id,
                    r.projection.grade,
                    r.projection.description,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(listed(&device).len(), 240);
    assert_eq!(listed(&device), listed(&reporter));
    // The documents were stored as sent, and open.
    let (first, _) = &source.documents[0];
    assert_eq!(
        device.observation(first.id).unwrap().description(),
        first.description()
    );
}

#[test]
fn a_projection_never_replaces_a_report_the_device_holds() {
    let (mut device, demo, identity) = demo_store(1);
    let workspace = identity.workspace;
    let mine = device
        .record_many(workspace, &demo.reports(1, 1, now(), 5), now())
        .unwrap()
        .remove(0);
    let mut other = ObservationProjection::of(&mine);
    other.grade = if mine.grade == Grade::KritisktLage {
        Grade::Normalt
    } else {
        Grade::KritisktLage
    };
    other.description = "från servern".into();
    let page = ProjectionPage {
        projections: vec![other],
        cursor: 3,
        next: None,
        total: Some(1),
    };
    device.apply_projections(workspace, &page, now()).unwrap();
    let row = device
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .find(|r| r.projection.id == mine.id)
        .unwrap();
    assert_eq!(
        (row.projection.grade, row.projection.description.as_str()),
        (mine.grade, mine.description())
    );
}
