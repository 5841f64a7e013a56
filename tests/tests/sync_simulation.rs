//! The sync engine on a deterministic simulated network, talking to the real service
//! (no sockets). Each seed is one schedule: devices record, edit and add notes; requests
//! are lost before the server, responses are lost after it, deliveries are duplicated;
//! the server restarts from its file; devices restart and lose their engine's state
//! mid-sync; the coordinator erases reports. Then the network heals and every device
//! must agree with the server.
//!
//! `LAGESBILD_SIM_SCHEDULES` sets how many seeds run (1000 by default);
//! `LAGESBILD_SIM_SEED` runs one seed. A failure prints its seed.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use lagesbild_core::store::Credential;
use lagesbild_core::sync::engine::{Action, Request, Response, SyncEngine, TransportError};
use lagesbild_core::sync::wire::{EnrollRequest, ErrorBody};
use lagesbild_core::views;
use lagesbild_core::{ListQuery, ObservationId, Store, Timestamp};
use lagesbild_sync::Service;
use lagesbild_sync::service::{Member, ServiceError};
use lagesbild_tests::scenario::{blocking, observations_in};
use lagesbild_tests::{Backend, Database, user_action};

struct SimDevice {
    store: Store,
    engine: SyncEngine,
    member: Member,
}

fn serve(
    service: &Service,
    member: &Member,
    request: &Request,
    now: Timestamp,
) -> Result<Response, TransportError> {
    let result = match request {
        Request::Register { since } => service.register(member, *since).map(Response::Register),
        // Through JSON, as on the wire: the server sends stored projections as they are.
        Request::Projections { before, at } => service
            .projections(member, *before, *at, 50)
            .map(|page| Response::Projections(through_json(&page))),
        Request::Bootstrap { after, at } => service
            .bootstrap(member, *after, Some(*at), 50, false)
            .map(Response::Bootstrap),
        Request::Push { request, .. } => service.push(member, request, now).map(Response::Push),
        // No one waits in a simulation: a long poll answers at once.
        Request::Feed { since, .. } => service.feed(member, *since, 50).map(Response::Feed),
    };
    result.map_err(|e| match e {
        ServiceError::Unauthorized(m) => TransportError::Unauthorized(ErrorBody {
            code: "unauthorized".into(),
            message: m,
        }),
        ServiceError::Internal(m) => TransportError::Server {
            status: 500,
            message: m,
        },
        other => TransportError::Rejected {
            status: 400,
            body: ErrorBody {
                code: other.code().into(),
                message: other.to_string(),
            },
        },
    })
}

fn through_json<T: serde::de::DeserializeOwned>(value: &impl serde::Serialize) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

/// One network step for `device`: poll its engine and deliver what it asks, with faults.
fn step(
    service: &Service,
    device: &mut SimDevice,
    rng: &mut fastrand::Rng,
    now: &mut Timestamp,
    faults: bool,
) -> bool {
    match device.engine.poll(&device.store, *now).unwrap() {
        Action::Send(request) => {
            let fate = if faults { rng.u8(..100) } else { 99 };
            let outcome = match fate {
                0..=9 => Err(TransportError::Unreachable("request lost".into())),
                10..=19 => {
                    let _ = serve(service, &device.member, &request, *now);
                    Err(TransportError::Unreachable("response lost".into()))
                }
                20..=24 => {
                    let _ = serve(service, &device.member, &request, *now);
                    serve(service, &device.member, &request, *now)
                }
                _ => serve(service, &device.member, &request, *now),
            };
            let idle = matches!(request, Request::Feed { wait, .. } if wait > 0)
                && matches!(&outcome, Ok(Response::Feed(page)) if page.entries.is_empty());
            device
                .engine
                .handle(&mut device.store, &request, outcome, *now)
                .unwrap();
            !idle
        }
        Action::SleepUntil(until) => {
            *now = (*now).max(until);
            true
        }
        Action::Stopped => false,
    }
}

fn run_schedule(seed: u64, database: &Database) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut now = Timestamp::from(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .to_utc(),
    );
    let mut service = database.service();
    let demo = lagesbild_core::demo::workspace("Simulering");
    service.install_demo(&demo, 0, now).unwrap();

    let mut devices = Vec::new();
    let people: Vec<usize> = std::iter::once(0)
        .chain((0..1 + rng.usize(..3)).map(|_| 1 + rng.usize(..demo.people.len() - 1)))
        .collect();
    for (i, person) in people.iter().enumerate() {
        let mut store = Store::open_in_memory().unwrap();
        let code = service
            .enrolment_code(demo.people[*person].user, chrono::Duration::hours(1), now)
            .unwrap();
        let request = EnrollRequest {
            code,
            device_name: format!("sim {i}"),
            actor: store.actor().to_hex_string(),
        };
        let response = service.enroll(&request, None, now).unwrap();
        let device = service.authenticate(&response.token, None, now).unwrap();
        let credential = Credential {
            server: "sim".into(),
            device: response.device,
            token: response.token,
            ca: None,
        };
        store.enrolled(&credential, &response.me).unwrap();
        let member = service.member(&device, demo.workspace.id).unwrap();
        let mut sim = SimDevice {
            store,
            engine: SyncEngine::new(demo.workspace.id, seed ^ i as u64),
            member,
        };
        // A first sync brings the register, as enrolment does in the app.
        for _ in 0..20 {
            step(&service, &mut sim, &mut rng, &mut now, false);
        }
        devices.push(sim);
    }

    let mut recorded: Vec<ObservationId> = Vec::new();
    let mut erased: BTreeSet<ObservationId> = BTreeSet::new();
    // A widened report's continuation, and the report it continues.
    let mut widened: std::collections::BTreeMap<ObservationId, ObservationId> =
        std::collections::BTreeMap::new();
    for _ in 0..60 {
        now = Timestamp::from_millis(now.millis() + rng.i64(0..3000)).unwrap();
        let d = rng.usize(..devices.len());
        match rng.u8(..100) {
            0..=29 => {
                let last = recorded.last().copied();
                user_action(&mut devices[d].store, &mut rng, &mut recorded);
                // A new or widened report: remember what a widened one continues.
                if let Some(new) = recorded.last().filter(|new| Some(**new) != last)
                    && let Ok(report) = devices[d].store.observation(*new)
                    && let Some(continues) = report.continues
                {
                    widened.insert(*new, continues.from);
                }
            }
            30..=89 => {
                step(&service, &mut devices[d], &mut rng, &mut now, true);
            }
            90..=93 => {
                drop(service);
                service = database.service();
            }
            94..=97 => {
                // The device restarts mid-sync: whatever its engine knew is gone.
                devices[d].engine = SyncEngine::new(demo.workspace.id, rng.u64(..));
            }
            _ => {
                // The coordinator (device 0) erases a report it can see on the server.
                let candidates: Vec<ObservationId> = devices[0]
                    .store
                    .list(&ListQuery::default())
                    .unwrap()
                    .into_iter()
                    .filter(|r| r.server_seen_at.is_some() && !r.restricted)
                    .map(|r| r.id)
                    .collect();
                if !candidates.is_empty() {
                    let id = candidates[rng.usize(..candidates.len())];
                    service.erase(&devices[0].member, id, now).unwrap();
                    erased.insert(id);
                }
            }
        }
    }

    // The network heals: every device syncs until it has nothing to do.
    for _ in 0..4 {
        for device in &mut devices {
            device.engine.wake();
            let mut steps = 0;
            while step(&service, device, &mut rng, &mut now, false) {
                steps += 1;
                if steps > 500 {
                    return Err("a device never settled".into());
                }
            }
        }
    }

    let look = database.open();
    let stored = blocking(|| {
        let mut tx = look.read().unwrap();
        observations_in(&mut *tx, demo.workspace.id)
    });
    let on_server: BTreeSet<ObservationId> = stored.iter().map(|o| o.id).collect();
    // Reports as recorded, by the report they first were (a widened report continues
    // another). The server holds exactly one of each (two devices of one person may both
    // widen a report; one continuation is kept), and nothing else. Erasing a report
    // erases what continues it, however late that arrives.
    let mut groups: std::collections::BTreeMap<ObservationId, Vec<ObservationId>> =
        std::collections::BTreeMap::new();
    'recorded: for id in &recorded {
        let mut origin = *id;
        loop {
            if erased.contains(&origin) {
                continue 'recorded;
            }
            match widened.get(&origin) {
                Some(from) => origin = *from,
                None => break,
            }
        }
        groups.entry(origin).or_default().push(*id);
    }
    let held = |ids: &Vec<ObservationId>| ids.iter().filter(|id| on_server.contains(id)).count();
    let wrong: Vec<_> = groups.iter().filter(|(_, ids)| held(ids) != 1).collect();
    let known: BTreeSet<ObservationId> = groups.values().flatten().copied().collect();
    let extra: Vec<_> = on_server.difference(&known).collect();
    if !wrong.is_empty() || !extra.is_empty() {
        let refused: Vec<_> = devices
            .iter()
            .map(|d| d.store.refused_changes().unwrap())
            .collect();
        return Err(format!(
            "server holds the wrong reports: not one of each {wrong:?}, unexpected {extra:?}; refused on the devices: {refused:?}"
        ));
    }
    let week = now.week();
    let reference = views::lagesbild(
        &devices[0].store,
        demo.workspace.id,
        week,
        &Default::default(),
    )
    .unwrap();
    for (i, device) in devices.iter().enumerate() {
        let rows = device.store.list(&ListQuery::default()).unwrap();
        let ids: BTreeSet<ObservationId> = rows.iter().map(|r| r.id).collect();
        if rows.len() != ids.len() || ids != on_server {
            return Err(format!(
                "device {i} holds {} rows for {} reports; the server has {}",
                rows.len(),
                ids.len(),
                on_server.len()
            ));
        }
        // What each device may read, it holds as the server does, field for field.
        for report in &stored {
            let Some(row) = rows.iter().find(|r| r.id == report.id) else {
                continue;
            };
            if row.restricted {
                if (row.grade, &row.category, row.place)
                    != (report.grade, &report.category, report.place)
                {
                    return Err(format!("device {i}'s summary of {} differs", report.id));
                }
                continue;
            }
            match device.store.observation(report.id) {
                Ok(held) if held == *report => {}
                Ok(held) => {
                    return Err(format!(
                        "device {i} holds {} otherwise than the server: {held:?} against {report:?}",
                        report.id
                    ));
                }
                Err(e) => return Err(format!("device {i} lacks {}: {e}", report.id)),
            }
        }
        if device.store.pending_count().unwrap() != 0
            || !device.store.refused_changes().unwrap().is_empty()
        {
            return Err(format!("device {i} still has changes waiting or refused"));
        }
        if views::lagesbild(&device.store, demo.workspace.id, week, &Default::default()).unwrap()
            != reference
        {
            return Err(format!("device {i} sees another lägesbild"));
        }
    }
    Ok(())
}

/// Runs quarter `part` of the seeded schedules (`LAGESBILD_SIM_SCHEDULES`, 1 000 by
/// default, split four ways so that they run side by side), or the one seed
/// `LAGESBILD_SIM_SEED` names (in the first quarter), on `backend`.
fn seeded_schedules(part: u64, backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let seeds: Vec<u64> = match std::env::var("LAGESBILD_SIM_SEED") {
        Ok(seed) if part == 0 => vec![seed.parse().unwrap()],
        Ok(_) => Vec::new(),
        Err(_) => {
            let total: u64 = std::env::var("LAGESBILD_SIM_SCHEDULES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            (0..total).filter(|seed| seed % 4 == part).collect()
        }
    };
    // A database of its own for each schedule: on SQLite a file (removed after); on
    // PostgreSQL a workspace of its own in the quarter's database (making and dropping a
    // database for each would take as long as the schedule itself).
    let shared = (backend == Backend::Postgres).then(|| Database::new(backend));
    for seed in &seeds {
        let own;
        let database = match &shared {
            Some(database) => database,
            None => {
                own = Database::sqlite_at(&dir.path().join(format!("sim-{seed}.sqlite3")));
                &own
            }
        };
        let outcome = std::panic::catch_unwind(|| run_schedule(*seed, database));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(why)) => {
                panic!("schedule {seed} failed: {why}\nrerun it with LAGESBILD_SIM_SEED={seed}")
            }
            Err(_) => panic!("schedule {seed} panicked\nrerun it with LAGESBILD_SIM_SEED={seed}"),
        }
        if let Some(file) = database.sqlite_path() {
            let _ = std::fs::remove_file(file);
        }
    }
    eprintln!("{} schedules converged", seeds.len());
}

fn seeded_schedules_on_a_faulty_network_all_converge_1_of_4(backend: Backend) {
    seeded_schedules(0, backend);
}

fn seeded_schedules_on_a_faulty_network_all_converge_2_of_4(backend: Backend) {
    seeded_schedules(1, backend);
}

fn seeded_schedules_on_a_faulty_network_all_converge_3_of_4(backend: Backend) {
    seeded_schedules(2, backend);
}

fn seeded_schedules_on_a_faulty_network_all_converge_4_of_4(backend: Backend) {
    seeded_schedules(3, backend);
}

lagesbild_tests::on_both_backends!(
    blocking seeded_schedules_on_a_faulty_network_all_converge_1_of_4,
    seeded_schedules_on_a_faulty_network_all_converge_2_of_4,
    seeded_schedules_on_a_faulty_network_all_converge_3_of_4,
    seeded_schedules_on_a_faulty_network_all_converge_4_of_4,
);
