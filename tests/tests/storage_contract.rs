//! The storage contract, written once and run against both of the server's backends:
//! every storage operation, the feed's order and cursors, transactions that store all or
//! nothing, idempotent pushes, erasure down to the database's files, revocation, and
//! enrolment codes that work once even when devices race.
//!
//! Each case is a function over a `Backend`; `on_both_backends!` makes a SQLite and a
//! PostgreSQL test of it. These are plain (not async) tests: the PostgreSQL client
//! blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Barrier;

use lagesbild_core::ObservationProjection;
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::sync::wire::{EnrollRequest, FeedEntry, ProjectionPage, PushOutcome};
use lagesbild_core::{
    AuditAction, Category, DeviceId, DocKind, Organisation, OrganisationId, OrganisationKind,
    Place, Role, Timestamp, UserId, Visibility, Workspace, WorkspaceId,
};
use lagesbild_sync::Service;
use lagesbild_sync::service::ServiceError;
use lagesbild_sync::storage::{
    ActiveDevice, FailedEnrolment, FailedEnrolments, NewAudit, NewChange, NewDevice, PutDocument,
    Storage, StorageError,
};
use lagesbild_tests::{Backend, Database, report_changes};
use uuid::Uuid;

/// Every file that holds the documents and the feed, flushed to disk first: the SQLite
/// file and its log, or the files of PostgreSQL's tables, their TOAST tables and
/// indexes. (To find those, the PostgreSQL case asks the server where its data
/// directory is and which files are the tables': the erasure's subject is the bytes on
/// disk, which no storage operation shows.)
fn files(db: &Database) -> Vec<PathBuf> {
    let Some(postgres) = db.postgres() else {
        let path = db.sqlite_path().unwrap();
        return ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
            .filter(|p| p.exists())
            .collect();
    };
    let mut client = postgres.connect();
    client.batch_execute("CHECKPOINT").unwrap();
    let data: String = client
        .query_one("SELECT current_setting('data_directory')", &[])
        .unwrap()
        .get(0);
    // The tables, their TOAST tables (long values live there) and indexes.
    let relations: Vec<String> = client
        .query(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c
             WHERE c.oid IN (
                 SELECT oid FROM pg_class WHERE relname IN ('documents', 'feed')
                 UNION SELECT reltoastrelid FROM pg_class WHERE relname IN ('documents', 'feed')
                 UNION SELECT indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                       WHERE t.relname IN ('documents', 'feed')
             ) AND pg_relation_filepath(c.oid) IS NOT NULL",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(relations.len() >= 4, "{relations:?}");
    let mut files = Vec::new();
    for relation in relations {
        let base = PathBuf::from(&data).join(&relation);
        let dir = base.parent().unwrap().to_path_buf();
        let name = base.file_name().unwrap().to_string_lossy().to_string();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let file = entry.file_name().to_string_lossy().to_string();
            if file == name || file.starts_with(&format!("{name}.")) {
                files.push(entry.path());
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_790_000_000_000 + ms).unwrap()
}

lagesbild_tests::on_both_backends!(
    blocking the_register_is_stored_and_read_back_in_order,
    people_memberships_and_devices_follow_every_change,
    an_enrolment_code_works_once_even_when_devices_race,
    failed_enrolments_are_counted_per_minute_and_taken_once,
    the_audit_log_pages_newest_first_and_cannot_be_changed,
    the_feed_is_ordered_per_workspace_and_read_from_any_cursor,
    observations_are_read_newest_first_a_page_at_a_time,
    a_transaction_stores_all_or_nothing,
    an_erased_document_is_gone_from_the_files,
    pushes_are_idempotent_and_feeds_page_through_everything,
    revocation_and_used_codes_hold_across_instances,
);

/// A workspace with one organisation, saved in its own transaction.
fn workspace(storage: &dyn Storage, name: &str) -> (Workspace, Organisation) {
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: name.into(),
        grade_labels: None,
        tiles: None,
    };
    let org = Organisation {
        id: OrganisationId::new(),
        workspace: workspace.id,
        name: "Fältgruppen".into(),
        kind: OrganisationKind::Kommun,
    };
    let mut tx = storage.write().unwrap();
    tx.save_workspace(&workspace).unwrap();
    tx.save_organisation(&org).unwrap();
    tx.commit().unwrap();
    (workspace, org)
}

fn the_register_is_stored_and_read_back_in_order(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, org) = workspace(&*storage, "Salem");
    let (other, _) = workspace(&*storage, "Botkyrka");
    let mut tx = storage.write().unwrap();
    assert_eq!(tx.workspace(ws.id).unwrap().unwrap(), (ws.clone(), 1));
    tx.bump_register(ws.id).unwrap();
    let names: Vec<String> = tx
        .workspaces()
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, ["Botkyrka", "Salem"]);
    let renamed = Organisation {
        name: "Fältarna".into(),
        ..org.clone()
    };
    tx.save_organisation(&renamed).unwrap();
    let police = Organisation {
        id: OrganisationId::new(),
        workspace: ws.id,
        name: "Polisen".into(),
        kind: OrganisationKind::Polis,
    };
    tx.save_organisation(&police).unwrap();
    assert_eq!(tx.organisations(ws.id).unwrap(), [renamed, police]);
    assert!(tx.organisations(other.id).unwrap().len() == 1);
    let names = [
        "Örebrovägen",
        "Åbytorget",
        "salems centrum",
        "Rönninge",
        "Berga",
    ];
    let area = Place::new(ws.id, "Centrum", true, None, 59.2, 17.7);
    tx.save_place(&area).unwrap();
    for name in names {
        tx.save_place(&Place::new(ws.id, name, false, Some(area.id), 59.2, 17.7))
            .unwrap();
    }
    let places = tx.places(ws.id).unwrap();
    let sorted: Vec<&str> = places.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        sorted,
        [
            "Berga",
            "Centrum",
            "Rönninge",
            "salems centrum",
            "Åbytorget",
            "Örebrovägen"
        ]
    );
    let mut merged = places[0].clone();
    merged.retired = true;
    merged.merged_into = Some(places[2].id);
    merged.lat = -33.5;
    tx.save_place(&merged).unwrap();
    assert_eq!(tx.place(merged.id).unwrap(), Some(merged));
    assert_eq!(tx.place(lagesbild_core::PlaceId::new()).unwrap(), None);
    assert!(tx.places(other.id).unwrap().is_empty());
    let category = |key: &str, sort: i64| Category {
        key: key.into(),
        parent: None,
        name_sv: format!("{key} på svenska"),
        name_en: key.into(),
        retired: false,
        sort,
    };
    tx.save_category(ws.id, &category("b", 2)).unwrap();
    tx.save_category(ws.id, &category("a", 2)).unwrap();
    tx.save_category(ws.id, &category("c", 1)).unwrap();
    let mut child = category("c-1", 3);
    child.parent = Some("c".into());
    tx.save_category(ws.id, &child).unwrap();
    let mut retired = category("b", 2);
    retired.retired = true;
    tx.save_category(ws.id, &retired).unwrap();
    let keys: Vec<String> = tx
        .categories(ws.id)
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert_eq!(keys, ["c", "a", "b", "c-1"]);
    assert_eq!(tx.category(ws.id, "b").unwrap(), Some(retired));
    assert_eq!(tx.category(ws.id, "c-1").unwrap(), Some(child));
    assert_eq!(tx.category(other.id, "b").unwrap(), None);
    tx.commit().unwrap();
    let mut read = storage.read().unwrap();
    assert_eq!(read.workspace(ws.id).unwrap().unwrap().1, 2);
    assert_eq!(read.workspace(WorkspaceId::new()).unwrap(), None);
}

fn people_memberships_and_devices_follow_every_change(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, org) = workspace(&*storage, "Salem");
    let (other, other_org) = workspace(&*storage, "Södertälje");
    let user = UserId::new();
    let mut tx = storage.write().unwrap();
    tx.add_user(user, "Samira Lind").unwrap();
    tx.add_user(user, "Someone Else").unwrap();
    assert_eq!(tx.user_name(user).unwrap().as_deref(), Some("Samira Lind"));
    assert_eq!(tx.user_name(UserId::new()).unwrap(), None);
    tx.put_membership(user, ws.id, org.id, Role::Socialfaltare)
        .unwrap();
    tx.put_membership(user, other.id, other_org.id, Role::Samordnare)
        .unwrap();
    let row = tx.membership(user, ws.id).unwrap().unwrap();
    assert_eq!(
        (
            row.organisation,
            row.organisation_kind,
            row.role,
            row.user_name.as_str(),
            row.active
        ),
        (
            org.id,
            OrganisationKind::Kommun,
            Role::Socialfaltare,
            "Samira Lind",
            true
        )
    );
    tx.set_active(user, ws.id, false).unwrap();
    tx.put_membership(user, ws.id, org.id, Role::Vaktare)
        .unwrap();
    let row = tx.membership(user, ws.id).unwrap().unwrap();
    assert_eq!(
        (row.role, row.active),
        (Role::Vaktare, false),
        "a change keeps the state"
    );
    let active: Vec<WorkspaceId> = tx
        .memberships(user)
        .unwrap()
        .into_iter()
        .map(|m| m.workspace.id)
        .collect();
    assert_eq!(active, [other.id]);
    let mut all = tx.member_workspaces(user).unwrap();
    all.sort();
    let mut expected = vec![ws.id, other.id];
    expected.sort();
    assert_eq!(all, expected);

    let device = DeviceId::new();
    let new = NewDevice {
        id: device,
        user,
        workspace: other.id,
        name: "Samiras telefon",
        actor: &[7; 16],
        token_hash: &[1; 32],
        created_at: at(0),
    };
    assert!(tx.add_device(&new).unwrap());
    let again = NewDevice {
        id: DeviceId::new(),
        token_hash: &[2; 32],
        ..new.clone()
    };
    assert!(!tx.add_device(&again).unwrap(), "one actor, one device");
    assert_eq!(
        tx.member_roles(other.id).unwrap(),
        [(Role::Samordnare, true, 1)],
        "a coordinator with a device that acts in the workspace"
    );
    let found = tx.device_by_token(&[1; 32]).unwrap().unwrap();
    assert_eq!(
        (
            found.device.id,
            found.device.user,
            found.device.actor.as_slice(),
            found.device.workspace,
            found.revoked
        ),
        (device, user, &[7u8; 16][..], Some(other.id), false)
    );
    assert_eq!(tx.device_by_token(&[2; 32]).unwrap(), None);
    tx.device_seen(device, at(1_000), Some("1.2.0")).unwrap();
    tx.device_seen(device, at(30_000), Some("1.2.0")).unwrap();
    let seen = |tx: &mut dyn lagesbild_sync::storage::Tx| {
        let people = tx.people(other.id).unwrap();
        let d = &people[0].devices[0];
        (d.last_seen, d.app_version.clone(), d.revoked)
    };
    assert_eq!(
        seen(&mut *tx),
        (Some(at(1_000)), Some("1.2.0".into()), false),
        "once a minute"
    );
    tx.device_seen(device, at(30_000), Some("1.3.0")).unwrap();
    assert_eq!(
        seen(&mut *tx),
        (Some(at(30_000)), Some("1.3.0".into()), false),
        "a new version at once"
    );
    tx.device_seen(device, at(100_000), None).unwrap();
    assert_eq!(
        seen(&mut *tx),
        (Some(at(100_000)), Some("1.3.0".into()), false)
    );
    assert_eq!(
        tx.active_device(device).unwrap(),
        Some(ActiveDevice {
            user,
            name: "Samiras telefon".into(),
            workspace: Some(other.id)
        })
    );
    assert!(tx.revoke_device(device, at(200_000)).unwrap());
    assert!(!tx.revoke_device(device, at(300_000)).unwrap());
    let found = tx.device_by_token(&[1; 32]).unwrap().unwrap();
    assert!(found.revoked);
    assert_eq!(
        (found.last_seen_at, found.app_version.as_deref()),
        (Some(at(100_000).millis()), Some("1.3.0"))
    );
    assert_eq!(tx.active_device(device).unwrap(), None);
    let listed = tx.devices().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].user_name.as_str(), listed[0].revoked),
        ("Samira Lind", true)
    );
    assert_eq!(listed[0].workspace, Some(other.id));
    let people = tx.people(ws.id).unwrap();
    assert_eq!(
        (people.len(), people[0].active, people[0].role),
        (1, false, Role::Vaktare)
    );
    assert!(
        people[0].devices.is_empty(),
        "a workspace lists the devices it enrolled, not its people's others"
    );
    assert_eq!(
        tx.member_roles(ws.id).unwrap(),
        [(Role::Vaktare, false, 0)],
        "the device is the other workspace's"
    );
    tx.commit().unwrap();
}

fn an_enrolment_code_works_once_even_when_devices_race(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, org) = workspace(&*storage, "Salem");
    let user = UserId::new();
    let mut tx = storage.write().unwrap();
    tx.add_user(user, "Vera Vakt").unwrap();
    tx.put_membership(user, ws.id, org.id, Role::Vaktare)
        .unwrap();
    tx.add_code(b"fresh", user, ws.id, at(60_000).millis())
        .unwrap();
    tx.add_code(b"stale", user, ws.id, at(-1).millis()).unwrap();
    assert_eq!(tx.open_code(b"fresh", at(0)).unwrap(), Some(user));
    assert_eq!(tx.open_code(b"stale", at(0)).unwrap(), None);
    assert_eq!(tx.use_code(b"stale", at(0)).unwrap(), None, "expired");
    assert_eq!(tx.use_code(b"fresh", at(0)).unwrap(), Some((user, ws.id)));
    assert_eq!(tx.use_code(b"fresh", at(1)).unwrap(), None, "used");
    assert_eq!(tx.open_code(b"fresh", at(1)).unwrap(), None);
    let used = tx.code(b"fresh").unwrap().unwrap();
    assert_eq!(
        (used.user, used.workspace, used.used_at),
        (user, Some(ws.id), Some(at(0).millis()))
    );
    assert_eq!(tx.code(b"stale").unwrap().unwrap().used_at, None);
    tx.delete_code(b"stale").unwrap();
    assert_eq!(tx.code(b"stale").unwrap(), None);
    for n in 0..5u8 {
        tx.add_code(&[b'r', n], user, ws.id, at(60_000).millis())
            .unwrap();
    }
    tx.commit().unwrap();

    // Eight devices, as eight server instances, use each code at the same moment.
    let storages: Vec<Box<dyn Storage>> = (0..8).map(|_| db.open()).collect();
    for n in 0..5u8 {
        let barrier = Barrier::new(storages.len());
        let winners: usize = std::thread::scope(|scope| {
            let tries: Vec<_> = storages
                .iter()
                .map(|storage| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        let mut tx = storage.write().unwrap();
                        let won = tx.use_code(&[b'r', n], at(1)).unwrap().is_some();
                        tx.commit().unwrap();
                        usize::from(won)
                    })
                })
                .collect();
            tries.into_iter().map(|t| t.join().unwrap()).sum()
        });
        assert_eq!(winners, 1, "code {n} was used {winners} times");
    }
}

fn failed_enrolments_are_counted_per_minute_and_taken_once(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, _) = workspace(&*storage, "Salem");
    let mut tx = storage.write().unwrap();
    let minute = at(0).millis();
    let count = |tx: &mut dyn lagesbild_sync::storage::Tx,
                 window: i64,
                 workspace: Option<WorkspaceId>,
                 why: FailedEnrolment,
                 address: Option<&str>| {
        tx.count_failed_enrolment(window, workspace, why, address, 3)
            .unwrap()
    };
    let a = Some("192.0.2.1");
    assert_eq!(
        count(&mut *tx, minute, None, FailedEnrolment::Unknown, a),
        1
    );
    assert_eq!(
        count(&mut *tx, minute, None, FailedEnrolment::Unknown, a),
        2
    );
    for n in 2..7 {
        let address = format!("192.0.2.{n}");
        count(
            &mut *tx,
            minute,
            None,
            FailedEnrolment::Unknown,
            Some(&address),
        );
    }
    assert_eq!(
        count(&mut *tx, minute, Some(ws.id), FailedEnrolment::Used, a),
        1,
        "each workspace counts its own"
    );
    count(
        &mut *tx,
        minute,
        Some(ws.id),
        FailedEnrolment::Expired,
        None,
    );
    count(
        &mut *tx,
        minute + 60_000,
        None,
        FailedEnrolment::Unknown,
        None,
    );
    tx.commit().unwrap();

    let mut tx = storage.write().unwrap();
    let taken = tx.take_failed_enrolments(minute + 60_000).unwrap();
    assert_eq!(
        taken,
        [
            FailedEnrolments {
                window: minute,
                workspace: None,
                unknown: 7,
                used: 0,
                expired: 0,
                addresses: 3,
            },
            FailedEnrolments {
                window: minute,
                workspace: Some(ws.id),
                unknown: 0,
                used: 1,
                expired: 1,
                addresses: 1,
            },
        ],
        "the minute that is over, per workspace, with distinct addresses up to the bound"
    );
    assert!(
        tx.take_failed_enrolments(minute + 60_000)
            .unwrap()
            .is_empty(),
        "taken once"
    );
    assert_eq!(
        tx.take_failed_enrolments(i64::MAX).unwrap().len(),
        1,
        "the next minute is still there"
    );
    tx.commit().unwrap();
}

fn the_audit_log_pages_newest_first_and_cannot_be_changed(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, _) = workspace(&*storage, "Salem");
    let (other, _) = workspace(&*storage, "Nykvarn");
    let (someone, device) = (UserId::new(), DeviceId::new());
    fn entry<'a>(
        workspace: Option<WorkspaceId>,
        action: AuditAction,
        target: Option<&'a str>,
        detail: &'a str,
        n: i64,
    ) -> NewAudit<'a> {
        NewAudit {
            workspace,
            at: at(n),
            user: None,
            device: None,
            address: None,
            action,
            target,
            detail,
        }
    }
    let mut tx = storage.write().unwrap();
    for n in 0..5 {
        let (target, detail) = (format!("p{n}"), format!("place {n}"));
        tx.audit(&NewAudit {
            user: Some((someone, "Samira Lind")),
            device: Some(device),
            address: Some("192.0.2.7".parse().unwrap()),
            ..entry(
                Some(ws.id),
                AuditAction::RegisterAddPlace,
                Some(&target),
                &detail,
                n,
            )
        })
        .unwrap();
    }
    let nykvarn = entry(
        Some(other.id),
        AuditAction::WorkspaceCreate,
        None,
        "Nykvarn",
        10,
    );
    tx.audit(&nykvarn).unwrap();
    let failed = entry(
        None,
        AuditAction::EnrolmentFailed,
        None,
        "an unknown code",
        11,
    );
    tx.audit(&failed).unwrap();
    tx.commit().unwrap();
    let mut tx = storage.read().unwrap();
    let page = tx.audit_page(Some(ws.id), i64::MAX, 3).unwrap();
    let targets: Vec<_> = page.iter().map(|e| e.target.clone().unwrap()).collect();
    assert_eq!(targets, ["p4", "p3", "p2"]);
    let first = &page[0];
    assert_eq!(first.user_name.as_deref(), Some("Samira Lind"));
    assert_eq!(first.address.as_deref(), Some("192.0.2.7"));
    assert_eq!(
        (first.at, first.workspace, first.action.as_str()),
        (at(4), Some(ws.id), "register.add_place")
    );
    let rest = tx.audit_page(Some(ws.id), page[2].seq, 10).unwrap();
    let targets: Vec<_> = rest.iter().map(|e| e.target.clone().unwrap()).collect();
    assert_eq!(targets, ["p1", "p0"]);
    let everything = tx.audit_page(None, i64::MAX, 100).unwrap();
    assert_eq!(everything.len(), 7);
    assert!(everything.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(everything[0].workspace, None);
    assert_eq!(everything[0].user, None);
    drop(tx);
    for sql in [
        "UPDATE audit SET detail = 'nothing happened'",
        "DELETE FROM audit",
    ] {
        let refused = db.execute(sql).unwrap_err();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
}

/// A change of `doc` in the feed, as a push appends it.
fn change<'a>(
    ws: WorkspaceId,
    doc: Uuid,
    hash: &'a [u8],
    bytes: &'a [u8],
    ms: i64,
) -> NewChange<'a> {
    NewChange {
        workspace: ws,
        doc,
        kind: DocKind::Observation,
        hash,
        bytes,
        creates: true,
        device: None,
        org: None,
        visibility_before: Visibility::Alla,
        visibility_after: Visibility::Alla,
        received_at: at(ms),
    }
}

fn document<'a>(
    ws: WorkspaceId,
    doc: Uuid,
    bytes: &'a [u8],
    projection: Option<&'a str>,
    first_seen: i64,
) -> PutDocument<'a> {
    PutDocument {
        workspace: ws,
        doc,
        kind: DocKind::Observation,
        bytes,
        org: None,
        visibility: Visibility::Alla,
        projection,
        observed_at: None,
        first_seen,
    }
}

fn observations_are_read_newest_first_a_page_at_a_time(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, org) = workspace(&*storage, "Salem");
    let (other, _) = workspace(&*storage, "Nykvarn");
    // Observed at 0, 10, 10, 10, 20, …: ties broken by id, newest id first.
    let mut docs: Vec<(i64, Uuid)> = (0..9)
        .map(|n| {
            (
                if (1..4).contains(&n) { 10 } else { n * 10 },
                Uuid::now_v7(),
            )
        })
        .collect();
    let mut tx = storage.write().unwrap();
    for (n, (observed, doc)) in docs.iter().enumerate() {
        let projection = format!("{{\"n\":{n}}}");
        let mut put = document(ws.id, *doc, b"doc", Some(&projection), 0);
        put.observed_at = Some(*observed);
        if n == 4 {
            put.org = Some(org.id);
            put.visibility = Visibility::EgenOrganisation;
        }
        tx.put_document(&put).unwrap();
    }
    // Not observations: a meeting, and another workspace's report.
    tx.put_document(&document(ws.id, Uuid::now_v7(), b"meeting", None, 0))
        .unwrap();
    let mut elsewhere = document(other.id, Uuid::now_v7(), b"doc", Some("{}"), 0);
    elsewhere.observed_at = Some(5);
    tx.put_document(&elsewhere).unwrap();
    tx.commit().unwrap();

    docs.sort_by(|a, b| b.cmp(a));
    let mut tx = storage.read().unwrap();
    assert_eq!(tx.observation_count(ws.id).unwrap(), 9);
    assert_eq!(tx.observation_count(other.id).unwrap(), 1);
    let all = tx.projections(ws.id, None, 100).unwrap();
    let order: Vec<(i64, Uuid)> = all.iter().map(|r| (r.observed_at, r.doc)).collect();
    assert_eq!(order, docs, "newest first, ties by id");
    let narrowed = all.iter().find(|r| r.org.is_some()).unwrap();
    assert_eq!(
        (narrowed.visibility, narrowed.projection.as_str()),
        (Visibility::EgenOrganisation, "{\"n\":4}")
    );
    // One at a time from each key, across the ties: the same rows.
    let mut before = None;
    let mut paged = Vec::new();
    while let Some(row) = tx.projections(ws.id, before, 1).unwrap().pop() {
        before = Some((row.observed_at, row.doc));
        paged.push(row);
    }
    assert_eq!(paged, all);
    // A moved report moves in the order.
    drop(tx);
    let mut tx = storage.write().unwrap();
    let mut moved = document(ws.id, docs[8].1, b"doc", Some("{}"), 0);
    moved.observed_at = Some(1_000);
    tx.put_document(&moved).unwrap();
    tx.commit().unwrap();
    let first = storage.read().unwrap().projections(ws.id, None, 1).unwrap();
    assert_eq!((first[0].doc, first[0].observed_at), (docs[8].1, 1_000));
}

fn the_feed_is_ordered_per_workspace_and_read_from_any_cursor(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, org) = workspace(&*storage, "Salem");
    let (other, _) = workspace(&*storage, "Nykvarn");
    let mut docs: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    docs.sort();
    let mut tx = storage.write().unwrap();
    tx.lock_feed(ws.id).unwrap();
    assert_eq!(tx.feed_head(ws.id).unwrap(), 0);
    for (n, doc) in docs.iter().enumerate() {
        let target = if n == 2 { other.id } else { ws.id };
        let hash = [n as u8; 32];
        tx.append_change(&change(target, *doc, &hash, b"change bytes", n as i64))
            .unwrap();
        tx.put_document(&document(target, *doc, b"doc bytes", Some("{}"), n as i64))
            .unwrap();
    }
    // A second change to the first document, narrowed to its organisation.
    let mut narrowed = change(ws.id, docs[0], &[99; 32], b"narrowing", 50);
    narrowed.creates = false;
    narrowed.org = Some(org.id);
    narrowed.visibility_after = Visibility::EgenOrganisation;
    tx.append_change(&narrowed).unwrap();
    let mut now = document(ws.id, docs[0], b"doc bytes, narrowed", None, 50);
    now.org = Some(org.id);
    now.visibility = Visibility::EgenOrganisation;
    tx.put_document(&now).unwrap();
    tx.commit().unwrap();

    let mut tx = storage.read().unwrap();
    let all = tx.feed(ws.id, 0, 100).unwrap();
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(
        all.iter().all(|r| r.doc != docs[2]),
        "another workspace's entry"
    );
    assert_eq!(tx.feed_head(ws.id).unwrap(), all[5].seq);
    assert_eq!(tx.feed_head(other.id).unwrap(), all[1].seq + 1);
    // Paging one entry at a time from each cursor reads the same entries.
    let mut cursor = 0;
    let mut paged = Vec::new();
    loop {
        let page = tx.feed(ws.id, cursor, 1).unwrap();
        let Some(row) = page.into_iter().next() else {
            break;
        };
        cursor = row.seq;
        paged.push(row);
    }
    assert_eq!(paged, all);
    let first = &all[0];
    assert_eq!(
        (first.doc, first.remove, first.creates, first.kind),
        (docs[0], false, true, DocKind::Observation)
    );
    assert_eq!(first.bytes.as_deref(), Some(&b"change bytes"[..]));
    assert_eq!(
        first.first_seen, 0,
        "from the document, kept from its first write"
    );
    assert_eq!(
        first.now,
        Some((Some(org.id), Visibility::EgenOrganisation)),
        "who may read it now"
    );
    let last = &all[5];
    assert_eq!(
        (last.doc, last.creates, last.org, last.before, last.after),
        (
            docs[0],
            false,
            Some(org.id),
            Some(Visibility::Alla),
            Some(Visibility::EgenOrganisation)
        )
    );
    assert!(tx.has_change(&[99; 32]).unwrap());
    assert!(!tx.has_change(&[98; 32]).unwrap());
    let stored = tx.document(docs[0]).unwrap().unwrap();
    assert_eq!(
        (
            stored.bytes.as_slice(),
            stored.visibility,
            stored.projection
        ),
        (
            &b"doc bytes, narrowed"[..],
            Visibility::EgenOrganisation,
            None
        )
    );
    let held = tx.held(docs[0]).unwrap().unwrap();
    assert_eq!(
        (held.workspace, held.kind, held.first_seen),
        (ws.id, DocKind::Observation, 0)
    );
    assert_eq!(tx.held(docs[2]).unwrap().unwrap().workspace, other.id);
    assert_eq!(tx.document(Uuid::now_v7()).unwrap(), None);
    // The workspace's documents by id, a page at a time.
    let mut after = Uuid::nil();
    let mut ids = Vec::new();
    loop {
        let page = tx.documents(ws.id, after, 2).unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().0;
        ids.extend(page.into_iter().map(|(id, _)| id));
    }
    let expected: Vec<Uuid> = docs.iter().copied().filter(|d| *d != docs[2]).collect();
    assert_eq!(ids, expected);
    assert_eq!(tx.erased(docs[0]).unwrap(), None);
}

fn a_transaction_stores_all_or_nothing(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, _) = workspace(&*storage, "Salem");
    let doc = Uuid::now_v7();
    {
        let mut tx = storage.write().unwrap();
        tx.append_change(&change(ws.id, doc, &[1; 32], b"a", 0))
            .unwrap();
        tx.bump_register(ws.id).unwrap();
        // Dropped without commit.
    }
    let mut tx = storage.write().unwrap();
    assert_eq!(tx.feed_head(ws.id).unwrap(), 0);
    assert_eq!(tx.workspace(ws.id).unwrap().unwrap().1, 1);
    tx.append_change(&change(ws.id, doc, &[1; 32], b"a", 0))
        .unwrap();
    tx.commit().unwrap();
    // The same change again breaks the feed's uniqueness: the whole transaction fails,
    // and what it did before is not stored either.
    let mut tx = storage.write().unwrap();
    tx.bump_register(ws.id).unwrap();
    let duplicate = tx.append_change(&change(ws.id, doc, &[1; 32], b"a", 1));
    assert!(
        matches!(duplicate, Err(StorageError::Internal(_))),
        "{duplicate:?}"
    );
    drop(tx);
    let mut tx = storage.read().unwrap();
    let feed = tx.feed(ws.id, 0, 10).unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(tx.workspace(ws.id).unwrap().unwrap().1, 1);
    drop(tx);
    // Outside a transaction, each read sees what has committed. (PostgreSQL's numbers
    // taken by transactions that rolled back are not given out again; SQLite's are.)
    let mut single = storage.single().unwrap();
    assert_eq!(single.feed_head(ws.id).unwrap(), feed[0].seq);
    assert_eq!(single.workspace(ws.id).unwrap().unwrap().1, 1);
    single.commit().unwrap();
}

fn an_erased_document_is_gone_from_the_files(backend: Backend) {
    let db = Database::new(backend);
    let storage = db.open();
    let (ws, _) = workspace(&*storage, "Salem");
    let canary = format!("KANARIEFÅGEL-{}", Uuid::now_v7().simple());
    // Long enough that PostgreSQL keeps the values out of line (TOAST), and not
    // compressible away: the canary must be findable before the erasure.
    let noise: String = (0..3000).map(|_| fastrand::alphanumeric()).collect();
    let text = format!("{canary} {noise}");
    let projection = serde_json::json!({ "what": text }).to_string();
    let doc = Uuid::now_v7();
    let keep = Uuid::now_v7();
    let mut tx = storage.write().unwrap();
    tx.lock_feed(ws.id).unwrap();
    tx.append_change(&change(ws.id, doc, &[1; 32], text.as_bytes(), 0))
        .unwrap();
    tx.put_document(&document(ws.id, doc, text.as_bytes(), Some(&projection), 0))
        .unwrap();
    tx.append_change(&change(ws.id, keep, &[2; 32], b"another report", 1))
        .unwrap();
    tx.put_document(&document(ws.id, keep, b"another report", None, 1))
        .unwrap();
    // Reports stored after it, long and short, so its rows are not at the end of the
    // tables' files (where a vacuum would merely cut them off).
    for n in 0..200u8 {
        let later = Uuid::now_v7();
        let text = format!(
            "a later report {n} {}",
            if n % 2 == 0 { &noise[..] } else { "" }
        );
        tx.append_change(&change(ws.id, later, &[n, 3, 3, 3], text.as_bytes(), 2))
            .unwrap();
        tx.put_document(&document(ws.id, later, text.as_bytes(), Some(&text), 2))
            .unwrap();
    }
    tx.commit().unwrap();
    let found = || {
        files(&db)
            .iter()
            .any(|f| contains(&std::fs::read(f).unwrap(), canary.as_bytes()))
    };
    assert!(found(), "the canary is stored before the erasure");

    let by = UserId::new();
    let mut tx = storage.write().unwrap();
    tx.lock_feed(ws.id).unwrap();
    tx.erase(ws.id, doc, by, at(5)).unwrap();
    tx.commit().unwrap();
    storage.purge().unwrap();

    let mut tx = storage.read().unwrap();
    assert_eq!(tx.document(doc).unwrap(), None);
    assert_eq!(tx.held(doc).unwrap(), None);
    assert_eq!(tx.erased(doc).unwrap(), Some(ws.id));
    assert!(!tx.has_change(&[1; 32]).unwrap());
    let feed = tx.feed(ws.id, 0, 1000).unwrap();
    let of_doc: Vec<_> = feed.iter().filter(|r| r.doc == doc).collect();
    assert_eq!(of_doc.len(), 1);
    assert!(of_doc[0].remove && of_doc[0].bytes.is_none() && of_doc[0].now.is_none());
    assert_eq!(
        of_doc[0].seq,
        tx.feed_head(ws.id).unwrap(),
        "the removal comes last"
    );
    assert!(tx.document(keep).unwrap().is_some());
    drop(tx);
    if backend == Backend::Sqlite {
        assert!(!found(), "the canary is still in the database's files");
    }
    // What the operator's `purge` does, after erasures: nothing of the report is left
    // in the files on either backend.
    storage.rewrite().unwrap();
    assert!(!found(), "the canary is still in the database's files");
    let mut tx = storage.read().unwrap();
    assert!(tx.document(keep).unwrap().is_some());
    assert_eq!(tx.feed(ws.id, 0, 1000).unwrap().len(), 202);
}

/// A service on the backend with the demo workspace and `reports` reports.
fn demo_service(db: &Database, reports: usize) -> (Service, DemoWorkspace) {
    let service = Service::with_storage(db.open());
    let demo = lagesbild_core::demo::workspace("Salem");
    service.install_demo(&demo, reports, at(0)).unwrap();
    (service, demo)
}

fn enroll(
    service: &Service,
    code: &str,
    name: &str,
) -> Result<lagesbild_core::sync::wire::EnrollResponse, ServiceError> {
    service.enroll(
        &EnrollRequest {
            code: code.into(),
            device_name: name.into(),
            actor: automerge::ActorId::random().to_hex_string(),
        },
        None,
        at(1),
    )
}

fn pushes_are_idempotent_and_feeds_page_through_everything(backend: Backend) {
    let db = Database::new(backend);
    let (service, demo) = demo_service(&db, 30);
    let coordinator = demo
        .people
        .iter()
        .find(|p| p.role == Role::Samordnare)
        .unwrap();
    let code = service
        .enrolment_code(coordinator.user, chrono::Duration::hours(1), at(0))
        .unwrap();
    let enrolled = enroll(&service, &code, "Laptop").unwrap();
    let device = service.authenticate(&enrolled.token, None, at(2)).unwrap();
    let member = service.member(&device, demo.workspace.id).unwrap();
    let ids = |entries: &[FeedEntry]| -> BTreeSet<Uuid> {
        entries
            .iter()
            .filter_map(|e| match e {
                FeedEntry::Document { doc, .. } | FeedEntry::Change { doc, .. } => Some(*doc),
                _ => None,
            })
            .collect()
    };
    let mut cursor = 0;
    let mut documents = BTreeSet::new();
    let mut pages = 0;
    loop {
        let page = service.feed(&member, cursor, 7).unwrap();
        assert!(page.cursor > cursor || !page.more);
        cursor = page.cursor;
        documents.extend(ids(&page.entries));
        pages += 1;
        if !page.more {
            break;
        }
    }
    assert!(pages > 3, "{pages} pages");
    let bootstrap = service.bootstrap(&member, None, None, 1000, true).unwrap();
    assert_eq!(
        bootstrap.entries.len(),
        documents.len(),
        "every document once, whole"
    );
    assert_eq!(
        ids(&bootstrap.entries),
        documents,
        "the feed and the bootstrap agree"
    );
    assert_eq!(bootstrap.cursor, cursor);
    // The projections first, newest observed first, seven at a time: the same as the
    // bootstrap's, and then the documents without them.
    let whole: Vec<ObservationProjection> = bootstrap
        .entries
        .iter()
        .filter_map(|e| match e {
            FeedEntry::Document { projection, .. } => projection.clone(),
            _ => None,
        })
        .collect();
    let mut paged: Vec<ObservationProjection> = Vec::new();
    let (mut before, mut from, mut total) = (None, None, None);
    loop {
        let page: ProjectionPage = serde_json::from_str(
            &serde_json::to_string(&service.projections(&member, before, from, 7).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(page.cursor, cursor);
        total = total.or(page.total);
        from = Some(page.cursor);
        paged.extend(page.projections);
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(total, Some(whole.len() as u64));
    assert!(
        paged
            .windows(2)
            .all(|w| (w[0].observed_at, w[0].id) > (w[1].observed_at, w[1].id)),
        "newest first"
    );
    paged.sort_by_key(|p| p.id);
    let mut expected = whole.clone();
    expected.sort_by_key(|p| p.id);
    assert_eq!(paged, expected);
    let documents_only = service
        .bootstrap(&member, None, Some(cursor), 1000, false)
        .unwrap();
    assert_eq!(ids(&documents_only.entries), documents);
    assert!(
        documents_only
            .entries
            .iter()
            .all(|e| matches!(e, FeedEntry::Document { projection, .. } if projection.is_none()))
    );

    // The same changes again: every one a duplicate, and the feed does not move.
    let changes = report_changes(&demo, 3, at(0));
    let first = service
        .ingest_changes(demo.workspace.id, &changes, at(3))
        .unwrap();
    assert!(first.iter().all(|o| *o == PushOutcome::Stored), "{first:?}");
    let head = service.feed(&member, cursor, 100).unwrap().cursor;
    let again = service
        .ingest_changes(demo.workspace.id, &changes, at(4))
        .unwrap();
    assert!(
        again.iter().all(|o| *o == PushOutcome::Duplicate),
        "{again:?}"
    );
    assert_eq!(service.feed(&member, head, 100).unwrap().cursor, head);
}

fn revocation_and_used_codes_hold_across_instances(backend: Backend) {
    let db = Database::new(backend);
    let (one, demo) = demo_service(&db, 0);
    // A second server instance on the same database.
    let two = Service::with_storage(db.open());
    let guard = &demo.people[0];
    let code = one
        .enrolment_code(guard.user, chrono::Duration::hours(1), at(0))
        .unwrap();
    let enrolled = enroll(&two, &code, "Telefon").unwrap();
    assert!(matches!(
        enroll(&one, &code, "Telefon igen"),
        Err(ServiceError::Unauthorized(_))
    ));
    let device = one.authenticate(&enrolled.token, None, at(2)).unwrap();
    assert_eq!(device.id, enrolled.device);
    one.revoke_device(device.id, at(3)).unwrap();
    for service in [&one, &two] {
        assert!(matches!(
            service.authenticate(&enrolled.token, None, at(4)),
            Err(ServiceError::Revoked(_))
        ));
    }
    let log = two.audit_export(None).unwrap();
    for action in [",enrolment,", ",enrolment.failed,", ",device.revoke,"] {
        assert!(log.contains(action), "{action} is not in\n{log}");
    }
}
