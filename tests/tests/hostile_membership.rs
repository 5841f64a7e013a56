//! Hostile members and strangers against workspaces and memberships, on both backends:
//! a code issued in one workspace gives a device of that workspace only; nobody changes
//! their own organisation, role or membership; no act leaves a workspace without an
//! active coordinator, not even two coordinators acting at once; a flood of failed
//! enrolments leaves a bounded trace in the audit log that still counts them; and two
//! coordinators merging places into each other at once leave a register without a cycle.
//!
//! Each case is a function over a `Backend`; `on_both_backends!` makes a SQLite and a
//! PostgreSQL test of it. These are plain (not async) tests: they call the service
//! directly, and its PostgreSQL client blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Barrier};

use lagesbild_core::audit_detail::{EnrolmentFailures, Names, render};
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::sync::wire::{
    AdminChange, AuditEntry, EnrollRequest, EnrollResponse, Me, RegisterChange,
};
use lagesbild_core::{Lang, OrganisationKind, PlaceId, Role, Timestamp, UserId, WorkspaceId};
use lagesbild_sync::Service;
use lagesbild_sync::service::{Member, NewUser, ServiceError};
use lagesbild_tests::{Backend, Database};

lagesbild_tests::on_both_backends!(
    blocking a_code_issued_in_one_workspace_yields_a_device_refused_in_every_other,
    a_coordinator_cannot_revoke_a_device_another_workspace_enrolled,
    nobody_changes_their_own_organisation_role_or_membership,
    the_last_coordinator_cannot_be_demoted_deactivated_or_removed_by_any_path,
    two_coordinators_removing_each_other_at_once_leave_one,
    five_hundred_failed_enrolments_leave_a_bounded_trace_that_counts_them,
    concurrent_merges_of_two_places_into_each_other_leave_one_merged,
);

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_790_000_000_000 + ms).unwrap()
}

fn demo(service: &Service, name: &str) -> DemoWorkspace {
    let demo = lagesbild_core::demo::workspace(name);
    service.install_demo(&demo, 0, at(0)).unwrap();
    demo
}

fn coordinator(demo: &DemoWorkspace) -> UserId {
    demo.people
        .iter()
        .find(|p| p.role == Role::Samordnare)
        .unwrap()
        .user
}

fn police(demo: &DemoWorkspace) -> lagesbild_core::OrganisationId {
    demo.organisations
        .iter()
        .find(|o| o.kind == OrganisationKind::Polis)
        .unwrap()
        .id
}

fn enroll(service: &Service, code: &str, name: &str) -> Result<EnrollResponse, ServiceError> {
    enroll_from(service, code, name, None, at(1))
}

fn enroll_from(
    service: &Service,
    code: &str,
    name: &str,
    address: Option<IpAddr>,
    now: Timestamp,
) -> Result<EnrollResponse, ServiceError> {
    service.enroll(
        &EnrollRequest {
            code: code.into(),
            device_name: name.into(),
            actor: automerge::ActorId::random().to_hex_string(),
        },
        address,
        now,
    )
}

/// A device of `user` enrolled with a code from the command line, acting in `workspace`.
fn member(service: &Service, user: UserId, workspace: WorkspaceId, name: &str) -> Member {
    let code = service
        .enrolment_code(user, chrono::Duration::hours(1), at(0))
        .unwrap();
    let token = enroll(service, &code, name).unwrap().token;
    let device = service.authenticate(&token, None, at(2)).unwrap();
    service.member(&device, workspace).unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, ServiceError>, code: &str, why: &str) -> String {
    match result {
        Ok(value) => panic!("{why}: it was allowed ({value:?})"),
        Err(e) => {
            assert_eq!(e.code(), code, "{why}: refused, but as {e:?}");
            e.to_string()
        }
    }
}

fn log(service: &Service, workspace: Option<WorkspaceId>) -> Vec<AuditEntry> {
    service.audit_page(workspace, None, 1000).unwrap()
}

/// Serves `service` on a loopback port for the test's HTTP requests.
fn serve(service: Arc<Service>) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(lagesbild_sync::serve(
        listener,
        service,
        std::future::pending(),
    ));
    (runtime, url)
}

fn a_code_issued_in_one_workspace_yields_a_device_refused_in_every_other(backend: Backend) {
    let db = Database::new(backend);
    let service = Arc::new(db.service());
    let a = demo(&service, "Salem");
    let b = demo(&service, "Botkyrka");
    let a_coordinator = member(&service, coordinator(&a), a.workspace.id, "A:s dator");
    // B's coordinator also walks the streets of A, as a fritidsfältare there.
    let both = coordinator(&b);
    service
        .add_membership(
            both,
            a.workspace.id,
            a.organisations[1].id,
            Role::Fritidsfaltare,
            at(0),
        )
        .unwrap();

    // A's coordinator issues a code for them and enrols a device with it.
    let code = service
        .administer(
            &a_coordinator,
            &AdminChange::IssueCode {
                user: both,
                ttl_minutes: 30,
            },
            at(1),
        )
        .unwrap()
        .code
        .unwrap()
        .code;
    let enrolled = enroll(&service, &code, "Kapad telefon").unwrap();
    assert_eq!(
        enrolled
            .me
            .memberships
            .iter()
            .map(|m| m.workspace.id)
            .collect::<Vec<_>>(),
        [a.workspace.id],
        "the device a code of A enrolled is told of A's membership only"
    );
    let device = service.authenticate(&enrolled.token, None, at(2)).unwrap();
    let why = refused(
        service.member(&device, b.workspace.id),
        "forbidden",
        "a device enrolled with A's code acts in B",
    );
    assert!(why.contains("enrolled"), "the refusal says why: {why}");
    assert_eq!(
        service.member(&device, a.workspace.id).unwrap().role,
        Role::Fritidsfaltare,
        "in A it acts with A's membership"
    );

    // The same over HTTP: 403 in B, and /v1/me lists A only.
    let (runtime, url) = serve(Arc::clone(&service));
    let (status, me) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let status = client
            .post(format!(
                "{url}/v1/workspaces/{}/admin/changes",
                b.workspace.id
            ))
            .bearer_auth(&enrolled.token)
            .json(&AdminChange::AddPerson {
                name: "Insmugglad".into(),
                organisation: police(&b),
                role: Role::Samordnare,
            })
            .send()
            .await
            .unwrap()
            .status();
        let me: Me = client
            .get(format!("{url}/v1/me"))
            .bearer_auth(&enrolled.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (status, me)
    });
    assert_eq!(
        status,
        reqwest::StatusCode::FORBIDDEN,
        "B is administered only by devices B enrolled"
    );
    let workspaces: Vec<WorkspaceId> = me.memberships.iter().map(|m| m.workspace.id).collect();
    assert_eq!(workspaces, [a.workspace.id], "/v1/me lists A only");
    assert!(
        !log(&service, Some(b.workspace.id))
            .iter()
            .any(|e| e.detail.contains("Insmugglad")),
        "nothing was done in B"
    );
}

fn a_coordinator_cannot_revoke_a_device_another_workspace_enrolled(backend: Backend) {
    let db = Database::new(backend);
    let service = db.service();
    let a = demo(&service, "Salem");
    let b = demo(&service, "Botkyrka");
    let a_coordinator = member(&service, coordinator(&a), a.workspace.id, "A:s dator");
    let both = coordinator(&b);
    let b_device = member(&service, both, b.workspace.id, "B:s dator");
    service
        .add_membership(
            both,
            a.workspace.id,
            a.organisations[1].id,
            Role::Fritidsfaltare,
            at(0),
        )
        .unwrap();

    let listed = service.people(&a_coordinator).unwrap();
    let person = listed.people.iter().find(|p| p.user == both).unwrap();
    assert!(
        person.devices.iter().all(|d| d.id != b_device.device.id),
        "A's coordinator is not shown the device B enrolled: {:?}",
        person.devices
    );
    refused(
        service.administer(
            &a_coordinator,
            &AdminChange::RevokeDevice {
                device: b_device.device.id,
            },
            at(3),
        ),
        "not_found",
        "A's coordinator revokes the device B enrolled",
    );
    assert!(
        service.member(&b_device.device, b.workspace.id).is_ok(),
        "B's coordinator still acts in B"
    );
}

fn nobody_changes_their_own_organisation_role_or_membership(backend: Backend) {
    let db = Database::new(backend);
    let service = db.service();
    let a = demo(&service, "Salem");
    let b = demo(&service, "Botkyrka");
    let me = coordinator(&a);
    // A second coordinator in A, so that no refusal here is the last coordinator's rule.
    let colleague = a.people[1].user;
    service
        .add_membership(
            colleague,
            a.workspace.id,
            a.organisations[0].id,
            Role::Samordnare,
            at(0),
        )
        .unwrap();
    // The coordinator of A is a coordinator of B too.
    service
        .add_membership(
            me,
            b.workspace.id,
            b.organisations[0].id,
            Role::Samordnare,
            at(0),
        )
        .unwrap();
    let code = service
        .administer(
            &member(&service, colleague, a.workspace.id, "Kollegans dator"),
            &AdminChange::IssueCode {
                user: me,
                ttl_minutes: 30,
            },
            at(1),
        )
        .unwrap()
        .code
        .unwrap()
        .code;
    let token = enroll(&service, &code, "Samordnarens dator").unwrap().token;
    let coordinator = service
        .member(
            &service.authenticate(&token, None, at(2)).unwrap(),
            a.workspace.id,
        )
        .unwrap();
    let before = log(&service, None).len();

    let attempts = [
        (
            "moves themselves into the police",
            AdminChange::ChangePerson {
                user: me,
                organisation: police(&a),
                role: Role::Samordnare,
            },
        ),
        (
            "makes themselves a police officer",
            AdminChange::ChangePerson {
                user: me,
                organisation: police(&a),
                role: Role::Polis,
            },
        ),
        (
            "changes their own membership through another membership",
            AdminChange::AddMembership {
                user: me,
                workspace: a.workspace.id,
                organisation: police(&a),
                role: Role::Samordnare,
            },
        ),
        (
            "changes their own membership in the other workspace",
            AdminChange::AddMembership {
                user: me,
                workspace: b.workspace.id,
                organisation: police(&b),
                role: Role::Polis,
            },
        ),
        (
            "deactivates themselves",
            AdminChange::Deactivate { user: me },
        ),
    ];
    for (what, change) in attempts {
        let why = refused(
            service.administer(&coordinator, &change, at(3)),
            "forbidden",
            &format!("a coordinator {what}"),
        );
        assert!(
            why.contains("own"),
            "the refusal names the rule ({what}): {why}"
        );
    }
    let row = service.member(&coordinator.device, a.workspace.id).unwrap();
    assert_eq!(
        (row.organisation, row.role),
        (a.organisations[0].id, Role::Samordnare),
        "their membership is as it was"
    );
    assert_eq!(
        log(&service, None).len(),
        before,
        "a refused act writes nothing to the audit log"
    );
}

fn the_last_coordinator_cannot_be_demoted_deactivated_or_removed_by_any_path(backend: Backend) {
    let db = Database::new(backend);
    let service = db.service();
    let a = demo(&service, "Salem");
    let last = coordinator(&a);
    let coordinator = member(&service, last, a.workspace.id, "Enda samordnarens dator");
    let fieldworker = a.people[1].user;

    // Through the app: their own acts, whatever the route.
    for (what, change) in [
        (
            "demotes themselves as a membership",
            AdminChange::AddMembership {
                user: last,
                workspace: a.workspace.id,
                organisation: a.organisations[0].id,
                role: Role::Fritidsfaltare,
            },
        ),
        (
            "demotes themselves",
            AdminChange::ChangePerson {
                user: last,
                organisation: a.organisations[0].id,
                role: Role::Fritidsfaltare,
            },
        ),
        (
            "deactivates themselves",
            AdminChange::Deactivate { user: last },
        ),
        (
            "revokes the only device they act from",
            AdminChange::RevokeDevice {
                device: coordinator.device.id,
            },
        ),
    ] {
        refused(
            service.administer(&coordinator, &change, at(3)),
            "forbidden",
            &format!("the last coordinator {what}"),
        );
    }
    // At the command line too.
    refused(
        service.add_membership(
            last,
            a.workspace.id,
            a.organisations[0].id,
            Role::Polis,
            at(3),
        ),
        "forbidden",
        "the operator demotes the last coordinator",
    );
    assert_eq!(
        service
            .member(&coordinator.device, a.workspace.id)
            .unwrap()
            .role,
        Role::Samordnare,
        "the last coordinator is one still"
    );

    // With a second coordinator, one may demote the other; then that one is the last.
    service
        .add_membership(
            fieldworker,
            a.workspace.id,
            a.organisations[0].id,
            Role::Samordnare,
            at(4),
        )
        .unwrap();
    let second = member(
        &service,
        fieldworker,
        a.workspace.id,
        "Andra samordnarens dator",
    );
    service
        .administer(
            &second,
            &AdminChange::ChangePerson {
                user: last,
                organisation: a.organisations[0].id,
                role: Role::Fritidsfaltare,
            },
            at(5),
        )
        .unwrap();
    refused(
        service.administer(
            &second,
            &AdminChange::AddMembership {
                user: fieldworker,
                workspace: a.workspace.id,
                organisation: a.organisations[0].id,
                role: Role::Polis,
            },
            at(6),
        ),
        "forbidden",
        "the new last coordinator demotes themselves",
    );
    refused(
        service.add_membership(
            fieldworker,
            a.workspace.id,
            a.organisations[0].id,
            Role::Fritidsfaltare,
            at(6),
        ),
        "forbidden",
        "the operator demotes the new last coordinator",
    );
}

/// Fresh workspaces, each with exactly two coordinators, who deactivate each other at
/// the same moment.
fn two_coordinators_removing_each_other_at_once_leave_one(backend: Backend) {
    let db = Database::new(backend);
    let one = db.service();
    // Another server instance on the same database.
    let two = db.service();
    for round in 0..6 {
        let ws = one
            .create_workspace(&format!("Kommun {round}"), at(0))
            .unwrap();
        let org = one
            .add_organisation(ws.id, "Fältgruppen", OrganisationKind::Kommun, at(0))
            .unwrap();
        let coordinators: Vec<Member> = ["Ada", "Bo"]
            .iter()
            .map(|name| {
                let user = one
                    .add_user(
                        &NewUser {
                            name: (*name).into(),
                            workspace: ws.id,
                            organisation: org.id,
                            role: Role::Samordnare,
                        },
                        at(0),
                    )
                    .unwrap();
                member(&one, user, ws.id, &format!("{name}s dator"))
            })
            .collect();
        let barrier = Barrier::new(2);
        let outcomes: Vec<Result<(), ServiceError>> = std::thread::scope(|s| {
            let acts: Vec<_> = [(&one, 0, 1), (&two, 1, 0)]
                .into_iter()
                .map(|(service, me, other)| {
                    let (coordinators, barrier) = (&coordinators, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        service
                            .administer(
                                &coordinators[me],
                                &AdminChange::Deactivate {
                                    user: coordinators[other].device.user,
                                },
                                at(10),
                            )
                            .map(|_| ())
                    })
                })
                .collect();
            acts.into_iter().map(|a| a.join().unwrap()).collect()
        });
        let active = coordinators
            .iter()
            .filter(|c| one.member(&c.device, ws.id).is_ok())
            .count();
        assert_eq!(
            active, 1,
            "round {round}: two coordinators deactivating each other at once must leave one \
             active coordinator ({outcomes:?})"
        );
        assert_eq!(
            outcomes.iter().filter(|o| o.is_err()).count(),
            1,
            "round {round}: one of the two acts is refused ({outcomes:?})"
        );
    }
}

fn five_hundred_failed_enrolments_leave_a_bounded_trace_that_counts_them(backend: Backend) {
    let db = Database::new(backend);
    let service = db.service();
    let a = demo(&service, "Salem");
    let before = log(&service, None).len();
    // 500 guesses from 50 addresses, one every 100 ms: 50 seconds, which span two
    // minutes of the clock (the first guess is 20 s into a minute).
    let started = std::time::Instant::now();
    for n in 0..500_i64 {
        let address = IpAddr::V4(Ipv4Addr::new(198, 51, 100, (n % 50) as u8));
        let refusal = enroll_from(
            &service,
            &format!("GUES-S{n:03}-XXXX"),
            "Gissning",
            Some(address),
            at(1_000 + n * 100),
        );
        refused(refusal, "unauthorized", "a guessed code");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "500 failures took {:?}",
        started.elapsed()
    );
    // A used code retried is a failure its person's coordinator may see.
    let code = service
        .enrolment_code(coordinator(&a), chrono::Duration::hours(1), at(0))
        .unwrap();
    enroll(&service, &code, "Samordnarens dator").unwrap();
    for n in 0..20 {
        refused(
            enroll_from(&service, &code, "Igen", None, at(2_000 + n)),
            "unauthorized",
            "a used code",
        );
    }

    // Reading the log later settles the minutes that have passed.
    let entries = log(&service, None);
    let failures: Vec<&AuditEntry> = entries[..entries.len() - before]
        .iter()
        .filter(|e| e.action.starts_with("enrolment.fail"))
        .collect();
    // Per workspace (or the server) and minute: the first failure as it happened, and
    // one row counting them all once the minute is over. Two minutes of guesses by
    // the server, one minute of a used code in A.
    let bound = 2 * 2 + 2;
    assert!(
        failures.len() <= bound,
        "520 failed enrolments wrote {} audit rows (the bound is {bound}): {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let counted = |workspace: Option<WorkspaceId>| -> i64 {
        failures
            .iter()
            .filter(|e| e.action == "enrolment.failures" && e.workspace == workspace)
            .map(|e| {
                serde_json::from_str::<EnrolmentFailures>(&e.detail)
                    .unwrap_or_else(|_| panic!("the count of a minute: {}", e.detail))
                    .failed()
            })
            .sum()
    };
    assert_eq!(
        counted(None),
        500,
        "the log still says how many guesses failed"
    );
    assert_eq!(
        counted(Some(a.workspace.id)),
        20,
        "A's log says how often the used code was tried"
    );
    assert!(
        failures.iter().any(|e| e.workspace.is_none()
            && render(&e.action, &e.detail, Lang::En, &Names::none())
                .ends_with("from 50 addresses")),
        "the log says from how many addresses: {failures:#?}"
    );
    // Once settled, reading again writes nothing more.
    assert_eq!(log(&service, None).len(), entries.len());
}

fn concurrent_merges_of_two_places_into_each_other_leave_one_merged(backend: Backend) {
    let db = Database::new(backend);
    let one = db.service();
    let two = db.service();
    let a = demo(&one, "Salem");
    let coordinator = member(&one, coordinator(&a), a.workspace.id, "Samordnarens dator");
    let add = |name: &str| -> PlaceId {
        let register = one
            .change_register(
                &coordinator,
                &RegisterChange::AddPlace {
                    name: name.into(),
                    is_area: false,
                    area: None,
                    lat: 59.2,
                    lon: 17.7,
                },
                at(1),
            )
            .unwrap();
        register.places.iter().find(|p| p.name == name).unwrap().id
    };
    for round in 0..8 {
        let (x, y) = (
            add(&format!("Plats X{round}")),
            add(&format!("Plats Y{round}")),
        );
        let barrier = Barrier::new(2);
        let outcomes: Vec<bool> = std::thread::scope(|s| {
            let merges: Vec<_> = [(&one, x, y), (&two, y, x)]
                .into_iter()
                .map(|(service, place, into)| {
                    let (coordinator, barrier) = (&coordinator, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        service
                            .change_register(
                                coordinator,
                                &RegisterChange::MergePlace { place, into },
                                at(2),
                            )
                            .is_ok()
                    })
                })
                .collect();
            merges.into_iter().map(|m| m.join().unwrap()).collect()
        });
        let places = one.register(&coordinator, -1).unwrap().places;
        let merged_into = |id: PlaceId| places.iter().find(|p| p.id == id).unwrap().merged_into;
        let merged = [merged_into(x), merged_into(y)];
        assert_eq!(
            merged.iter().filter(|m| m.is_some()).count(),
            1,
            "round {round}: X→Y and Y→X at once must leave exactly one merged, into a live \
             place ({merged:?}, outcomes {outcomes:?})"
        );
        assert_eq!(
            outcomes.iter().filter(|ok| **ok).count(),
            1,
            "round {round}"
        );
    }
}
