//! The publication ledger on the server: a version for politicians published offline
//! reaches the audit log at the next sync — who, the period, the share of counts shown,
//! the file's hash, never a count or a report's text — and every device holds it. Only
//! the coordinator publishes, a publication is never changed afterwards, and one that
//! would publish a count of 1 or 2 is refused.
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Months};
use lagesbild_core::audit_detail::{self, Names};
use lagesbild_core::doc::Document;
use lagesbild_core::sync::wire::{AuditEntry, PushOutcome, RefusalCode, WireChange};
use lagesbild_core::{Lang, Publication, PublicationId, views};
use lagesbild_tests::{Backend, Device, Scenario, forged, now};

/// A new publication document made by `device` outside the store's checks.
fn made(device: &Device, publication: &Publication) -> WireChange {
    let (_, change) = Document::create(device.store().actor(), publication, now()).unwrap();
    WireChange {
        doc: publication.id.0,
        hash: change.hash.to_string(),
        bytes: change.bytes,
    }
}

async fn a_publication_reaches_the_audit_log_and_is_never_changed(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Ledger").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnaren").await;
    let field_worker = Device::enroll(&server.url(), &codes[1], "fältaren").await;

    // Last month, published offline: its reports are not even synced yet.
    let secret = "Grupp vid perrongen, Kalle 15 år";
    let this_month = now().local_date().with_day(1).unwrap();
    let first = this_month.checked_sub_months(Months::new(1)).unwrap();
    for day in 0..6u64 {
        let when = first + chrono::Days::new(day * 4);
        coordinator
            .store()
            .record(
                &lagesbild_core::ObservationDraft {
                    category: Some("skadegorelse".into()),
                    place: Some("Rönninge station".into()),
                    grade: Some(3),
                    description: Some(secret.into()),
                    observed_at: Some(format!("{when} 21:00")),
                    ..Default::default()
                },
                now(),
            )
            .unwrap();
    }
    let (from, until) = (first.to_string(), this_month.to_string());
    let publication = {
        let mut store = coordinator.store();
        let report = views::politicians_report(&store, &from, &until, now()).unwrap();
        let html = report.html(Lang::Sv);
        store.publish(&report, html.as_bytes(), now()).unwrap()
    };
    let status = coordinator.sync().await;
    assert_eq!(status.refused, 0, "{status:?}");

    let log: Vec<AuditEntry> = coordinator.get("audit").await;
    let entry = log
        .iter()
        .find(|e| e.action == "report.publish")
        .expect("the publication is audited");
    assert_eq!(entry.user_name.as_deref(), Some("Samira Lind"));
    assert_eq!(
        entry.target.as_deref(),
        Some(publication.id.to_string().as_str())
    );
    let said = audit_detail::render(&entry.action, &entry.detail, Lang::En, &Names::none());
    for what in [
        publication.title.as_str(),
        publication.sha256.as_str(),
        &from,
        "counts shown",
    ] {
        assert!(said.contains(what), "{what} in {said}");
    }
    assert!(!entry.detail.contains("Kalle"), "{}", entry.detail);

    // Every device holds the ledger.
    field_worker.sync().await;
    let ledger = field_worker.store().publications().unwrap();
    assert_eq!(ledger, vec![publication.clone()]);

    // Never changed afterwards, not even by the coordinator.
    let change = forged(
        &coordinator.store(),
        publication.id.0,
        |p: &mut Publication| p.sha256 = "0".repeat(64),
    );
    let changed = coordinator.push_one(change).await;
    assert!(
        matches!(&changed, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("sha256")),
        "{changed:?}"
    );

    // Only the coordinator publishes.
    let theirs = Publication {
        id: PublicationId::new(),
        published_by: field_worker.store().require_identity().unwrap().reporter(),
        ..publication.clone()
    };
    let refused = field_worker.push_one(made(&field_worker, &theirs)).await;
    assert!(
        matches!(
            &refused,
            PushOutcome::Refused {
                code: RefusalCode::ForbiddenField,
                ..
            }
        ),
        "{refused:?}"
    );

    // A publication showing a count of 2 is no publication.
    let mut small = Publication {
        id: PublicationId::new(),
        ..publication.clone()
    };
    small.parts[0].reports = Some(2);
    let refused = coordinator.push_one(made(&coordinator, &small)).await;
    assert!(
        matches!(&refused, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("1 or 2")),
        "{refused:?}"
    );
    // Nor is a part longer than a month, or a row that does not add up.
    let mut long = Publication {
        id: PublicationId::new(),
        ..publication.clone()
    };
    long.parts[0].until = first
        .checked_add_months(Months::new(2))
        .unwrap()
        .to_string();
    long.uses.push(long.parts[0].span());
    let refused = coordinator.push_one(made(&coordinator, &long)).await;
    assert!(
        matches!(&refused, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("within one month")),
        "{refused:?}"
    );
    let mut sums = Publication {
        id: PublicationId::new(),
        ..publication.clone()
    };
    let columns = sums.parts[0].columns.len();
    sums.parts[0].areas = vec![lagesbild_core::PartRow {
        key: "rad".into(),
        name: "Rad".into(),
        reports: Some(100),
        highest: None,
        per_column: vec![Some(0); columns],
    }];
    let refused = coordinator.push_one(made(&coordinator, &sums)).await;
    assert!(
        matches!(&refused, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("sum of its columns")),
        "{refused:?}"
    );
    coordinator.sync().await;
    assert_eq!(coordinator.store().publications().unwrap().len(), 1);
}

/// Two devices of the coordinator's, both offline, publish the same month: both files
/// have left, each protected on its own. Both are kept (the record of what left must
/// be whole); new reports are built from the earlier; and the ledger says, on every
/// device, that the later clashes with the earlier and which to hand out.
async fn two_devices_publishing_the_same_month_offline_are_both_kept_and_the_clash_is_shown(
    backend: Backend,
) {
    let Scenario {
        server,
        codes,
        demo,
        ..
    } = Scenario::on(backend).named("Krock").start().await;
    let desk = Device::enroll(&server.url(), &codes[0], "skrivbordet").await;
    let user = demo.people[0].user;
    let code = server
        .call(|s| s.enrolment_code(user, chrono::Duration::hours(1), now()))
        .unwrap();
    let laptop = Device::enroll(&server.url(), &code, "laptopen").await;
    let this_month = now().local_date().with_day(1).unwrap();
    let first = this_month.checked_sub_months(Months::new(1)).unwrap();
    for day in 0..8u64 {
        desk.store()
            .record(
                &lagesbild_core::ObservationDraft {
                    category: Some("skadegorelse".into()),
                    place: Some("Rönninge station".into()),
                    grade: Some(3),
                    observed_at: Some(format!("{} 21:00", first + chrono::Days::new(day * 3))),
                    ..Default::default()
                },
                now(),
            )
            .unwrap();
    }
    desk.sync().await;
    laptop.sync().await;
    // Both offline now: each publishes last month, the laptop a minute later.
    let (from, until) = (first.to_string(), this_month.to_string());
    let publish = |device: &Device, at: lagesbild_core::Timestamp| {
        let mut store = device.store();
        let report = views::politicians_report(&store, &from, &until, at).unwrap();
        let html = report.html(Lang::Sv);
        store.publish(&report, html.as_bytes(), at).unwrap()
    };
    let earlier = publish(&desk, now());
    let later = publish(
        &laptop,
        lagesbild_core::Timestamp::from_millis(now().millis() + 60_000).unwrap(),
    );
    for device in [&laptop, &desk, &laptop] {
        let status = device.sync().await;
        assert_eq!(status.refused, 0, "{status:?}");
    }
    for device in [&desk, &laptop] {
        let ledger = device.store().ledger().unwrap();
        assert_eq!(ledger.len(), 2);
        // Newest first: the laptop's, clashing with the desk's.
        assert_eq!(ledger[0].publication.id, later.id);
        let clash = ledger[0].clash.as_ref().expect("the later clashes");
        assert_eq!(clash.title, earlier.title);
        assert_eq!(clash.published_at, earlier.published_at);
        assert!(clash.days.starts_with(&from), "{}", clash.days);
        assert_eq!(ledger[1].publication.id, earlier.id);
        assert!(ledger[1].clash.is_none());
    }
    let log: Vec<AuditEntry> = desk.get("audit").await;
    assert_eq!(
        log.iter().filter(|e| e.action == "report.publish").count(),
        2
    );
}

lagesbild_tests::on_both_backends!(
    async a_publication_reaches_the_audit_log_and_is_never_changed,
    two_devices_publishing_the_same_month_offline_are_both_kept_and_the_clash_is_shown,
);
