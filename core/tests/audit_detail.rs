//! The audit log's details as people read them: the facts the server stores, said as a
//! sentence in Swedish or English, codes by their labels and places and categories by
//! their names; rows an older server wrote as English text, or of a shape this version
//! does not know, shown as they are.
#![allow(clippy::unwrap_used)]

use lagesbild_core::audit_detail::{
    CodeIssued, Corrected, DemoContents, Device, EnrolmentFailures, EnrolmentRefused, Facts,
    Linked, Membership, Names, Nothing, OrganisationAdded, OrganisationKindChanged,
    OrganisationRenamed, Person, Published, RefusedCode, StatusChanged, WorkspaceCreated, render,
};
use lagesbild_core::sync::wire::RegisterChange;
use lagesbild_core::{
    AuditAction, Category, Lang, OrganisationKind, Place, Role, Status, Timestamp, WorkspaceId,
};

struct Register {
    places: Vec<Place>,
    categories: Vec<Category>,
    centre: Place,
    station: Place,
    square: Place,
}

fn register() -> Register {
    let ws = WorkspaceId::new();
    let centre = Place::new(ws, "Salems centrum", true, None, 59.20, 17.77);
    let station = Place::new(ws, "Rönninge station", false, Some(centre.id), 59.19, 17.75);
    let square = Place::new(ws, "Torget", false, Some(centre.id), 59.20, 17.76);
    let category = |key: &str, parent: Option<&str>, sv: &str, en: &str| Category {
        key: key.into(),
        parent: parent.map(str::to_string),
        name_sv: sv.into(),
        name_en: en.into(),
        retired: false,
        sort: 0,
    };
    Register {
        places: vec![centre.clone(), station.clone(), square.clone()],
        categories: vec![
            category("skadegorelse", None, "Skadegörelse", "Vandalism"),
            category("klotter", Some("skadegorelse"), "Klotter", "Graffiti"),
        ],
        centre,
        station,
        square,
    }
}

fn at(text: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc),
    )
}

fn change(change: &RegisterChange) -> String {
    serde_json::to_string(change).unwrap()
}

/// Every action the server writes, with facts as the server writes them, and the
/// sentence in Swedish and in English.
fn samples(r: &Register) -> Vec<(&'static str, String, &'static str, &'static str)> {
    let membership = |workspace: Option<&str>| {
        Membership {
            name: "Anna Berg".into(),
            organisation: Some("Kommunen".into()),
            role: Role::Samordnare,
            workspace: workspace.map(str::to_string),
        }
        .detail()
    };
    vec![
        (
            "workspace.create",
            WorkspaceCreated {
                name: "Salem".into(),
                demo: None,
            }
            .detail(),
            "Arbetsytan Salem skapades",
            "Workspace Salem was created",
        ),
        (
            "workspace.create",
            WorkspaceCreated {
                name: "Salem".into(),
                demo: Some(DemoContents {
                    organisations: 5,
                    places: 1,
                    people: 12,
                    reports: 500,
                }),
            }
            .detail(),
            "Arbetsytan Salem skapades med demodata: 5 organisationer, 1 plats, 12 personer och 500 rapporter",
            "Workspace Salem was created with demo data: 5 organisations, 1 place, 12 people and 500 reports",
        ),
        (
            "organisation.add",
            OrganisationAdded {
                name: "Trygghetsvärdarna".into(),
                kind: OrganisationKind::Vaktbolag,
            }
            .detail(),
            "Ny organisation: Trygghetsvärdarna (vaktbolag)",
            "New organisation: Trygghetsvärdarna (security company)",
        ),
        (
            "organisation.rename",
            OrganisationRenamed {
                from: "Trygghetsvärdarna".into(),
                to: "Trygghetsvärdarna i Salem".into(),
            }
            .detail(),
            "Trygghetsvärdarna heter nu Trygghetsvärdarna i Salem",
            "Trygghetsvärdarna is now named Trygghetsvärdarna i Salem",
        ),
        (
            "organisation.kind",
            OrganisationKindChanged {
                name: "Trygghetsvärdarna".into(),
                from: OrganisationKind::Vaktbolag,
                to: OrganisationKind::Ideell,
            }
            .detail(),
            "Trygghetsvärdarna är nu av typen ideell organisation (var vaktbolag)",
            "Trygghetsvärdarna is now of the kind voluntary organisation (was security company)",
        ),
        (
            "person.add",
            membership(None),
            "Ny person: Anna Berg, säkerhetssamordnare hos Kommunen",
            "New person: Anna Berg, security coordinator at Kommunen",
        ),
        (
            "person.add",
            // The operator's, before the organisation could be read.
            Membership {
                name: "Vera Vakt".into(),
                organisation: None,
                role: Role::Vaktare,
                workspace: None,
            }
            .detail(),
            "Ny person: Vera Vakt, väktare",
            "New person: Vera Vakt, security guard",
        ),
        (
            "person.change",
            membership(None),
            "Anna Berg: nu säkerhetssamordnare hos Kommunen",
            "Anna Berg: now security coordinator at Kommunen",
        ),
        (
            "person.membership",
            membership(Some("Botkyrka")),
            "Anna Berg är nu också medlem i arbetsytan Botkyrka: säkerhetssamordnare hos Kommunen",
            "Anna Berg is now also a member of the workspace Botkyrka: security coordinator at Kommunen",
        ),
        (
            "person.membership",
            membership(None),
            "Ny medlem: Anna Berg, säkerhetssamordnare hos Kommunen",
            "New member: Anna Berg, security coordinator at Kommunen",
        ),
        (
            "person.deactivate",
            Person {
                name: "Vera Vakt".into(),
            }
            .detail(),
            "Vera Vakt avaktiverades",
            "Vera Vakt was deactivated",
        ),
        (
            "person.reactivate",
            Person {
                name: "Vera Vakt".into(),
            }
            .detail(),
            "Vera Vakt återaktiverades",
            "Vera Vakt was reactivated",
        ),
        (
            "device.revoke",
            Device {
                device: "Veras telefon".into(),
                person: Some("Vera Vakt".into()),
            }
            .detail(),
            "Enheten ”Veras telefon” (Vera Vakt) stängdes av",
            "The device “Veras telefon” (Vera Vakt) was switched off",
        ),
        (
            "enrolment.code",
            CodeIssued {
                person: Some("Vera Vakt".into()),
                minutes: 15,
            }
            .detail(),
            "Engångskod för Vera Vakt, giltig i 15 minuter",
            "A one-time code for Vera Vakt, valid for 15 minutes",
        ),
        (
            "enrolment.code",
            CodeIssued {
                person: Some("Vera Vakt".into()),
                minutes: 60,
            }
            .detail(),
            "Engångskod för Vera Vakt, giltig i 1 timme",
            "A one-time code for Vera Vakt, valid for 1 hour",
        ),
        (
            "enrolment.code",
            CodeIssued {
                person: None,
                minutes: 7 * 24 * 60,
            }
            .detail(),
            "Engångskod, giltig i 7 dygn",
            "A one-time code, valid for 7 days",
        ),
        (
            "enrolment.withdraw",
            Person {
                name: "Vera Vakt".into(),
            }
            .detail(),
            "Koden för Vera Vakt återkallades innan den användes",
            "The code for Vera Vakt was withdrawn before it was used",
        ),
        (
            "enrolment",
            Device {
                device: "Telefon".into(),
                person: None,
            }
            .detail(),
            "Enheten ”Telefon” anslöts",
            "The device “Telefon” was enrolled",
        ),
        (
            "enrolment.failed",
            EnrolmentRefused {
                reason: RefusedCode::Used,
                device: "en annan telefon".into(),
            }
            .detail(),
            "En kod som redan använts (enheten kallade sig ”en annan telefon”)",
            "A code used before (the device called itself “en annan telefon”)",
        ),
        (
            "enrolment.failed",
            EnrolmentRefused {
                reason: RefusedCode::Unknown,
                device: "X".into(),
            }
            .detail(),
            "Okänd kod (enheten kallade sig ”X”)",
            "An unknown code (the device called itself “X”)",
        ),
        (
            "enrolment.failed",
            EnrolmentRefused {
                reason: RefusedCode::Expired,
                device: "X".into(),
            }
            .detail(),
            "En kod som gått ut (enheten kallade sig ”X”)",
            "An expired code (the device called itself “X”)",
        ),
        (
            "enrolment.failed",
            EnrolmentRefused {
                reason: RefusedCode::Unscoped,
                device: "X".into(),
            }
            .detail(),
            "En kod från innan koder angav sin arbetsyta (enheten kallade sig ”X”)",
            "A code from before codes named their workspace (the device called itself “X”)",
        ),
        (
            "enrolment.failures",
            EnrolmentFailures {
                minute: at("2026-11-29T16:05:00Z"),
                unknown: 388,
                used: 2,
                expired: 0,
                addresses: 50,
                at_least: false,
            }
            .detail(),
            "390 misslyckade anslutningar under minuten från 2026-11-29 17:05 (388 med okända koder, 2 med koder som redan använts), från 50 adresser",
            "390 failed enrolments in the minute from 2026-11-29 17:05 (388 with unknown codes, 2 with codes used before), from 50 addresses",
        ),
        (
            "enrolment.failures",
            EnrolmentFailures {
                minute: at("2026-11-29T16:05:00Z"),
                unknown: 0,
                used: 0,
                expired: 2,
                addresses: 1000,
                at_least: true,
            }
            .detail(),
            "2 misslyckade anslutningar under minuten från 2026-11-29 17:05 (2 med koder som gått ut), från minst 1000 adresser",
            "2 failed enrolments in the minute from 2026-11-29 17:05 (2 with expired codes), from at least 1000 addresses",
        ),
        (
            "register.add_place",
            change(&RegisterChange::AddPlace {
                name: "Ny park".into(),
                is_area: false,
                area: Some(r.centre.id),
                lat: 59.2,
                lon: 17.7,
            }),
            "Ny plats: Ny park (i Salems centrum)",
            "New place: Ny park (in Salems centrum)",
        ),
        (
            "register.add_place",
            change(&RegisterChange::AddPlace {
                name: "Ny park".into(),
                is_area: false,
                area: None,
                lat: 59.2,
                lon: 17.7,
            }),
            "Ny plats: Ny park",
            "New place: Ny park",
        ),
        (
            "register.add_place",
            change(&RegisterChange::AddPlace {
                name: "Rönninge".into(),
                is_area: true,
                area: None,
                lat: 59.2,
                lon: 17.7,
            }),
            "Nytt område: Rönninge",
            "New area: Rönninge",
        ),
        (
            "register.rename_place",
            change(&RegisterChange::RenamePlace {
                place: r.station.id,
                name: "Rönninge station".into(),
            }),
            "Bytte namn på en plats till Rönninge station",
            "Renamed a place to Rönninge station",
        ),
        (
            "register.rename_place",
            change(&RegisterChange::RenamePlace {
                place: r.square.id,
                name: "Stora torget".into(),
            }),
            "Bytte namn på en plats till Stora torget (heter nu Torget)",
            "Renamed a place to Stora torget (now named Torget)",
        ),
        (
            "register.move_place",
            change(&RegisterChange::MovePlace {
                place: r.station.id,
                lat: 59.1912,
                lon: 17.75,
            }),
            "Flyttade Rönninge station till 59.19120, 17.75000",
            "Moved Rönninge station to 59.19120, 17.75000",
        ),
        (
            "register.merge_place",
            change(&RegisterChange::MergePlace {
                place: r.square.id,
                into: r.station.id,
            }),
            "Slog ihop Torget med Rönninge station: dess rapporter räknas för Rönninge station",
            "Merged Torget into Rönninge station: its reports count for Rönninge station",
        ),
        (
            "register.add_category",
            change(&RegisterChange::AddCategory {
                name_sv: "Klotter".into(),
                name_en: "Graffiti".into(),
                parent: Some("skadegorelse".into()),
            }),
            "Ny underkategori till Skadegörelse: Klotter",
            "New subcategory of Vandalism: Graffiti",
        ),
        (
            "register.add_category",
            change(&RegisterChange::AddCategory {
                name_sv: "Bränder".into(),
                name_en: "Fires".into(),
                parent: None,
            }),
            "Ny kategori: Bränder",
            "New category: Fires",
        ),
        (
            "register.retire_category",
            change(&RegisterChange::RetireCategory {
                key: "klotter".into(),
            }),
            "Avvecklade kategorin Klotter",
            "Retired the category Graffiti",
        ),
        // The two ops of the outline and the map's address, as their JSON is stored
        // (written by hand: this test reads them whatever the wire's enum holds).
        (
            "register.set_outline",
            format!(
                r#"{{"op":"set_outline","place":"{}","outline":[[17.7,59.2],[17.8,59.2],[17.8,59.3]]}}"#,
                r.centre.id
            ),
            "Ritade om området Salems centrum (3 hörn)",
            "Redrew the area Salems centrum (3 corners)",
        ),
        (
            "register.set_outline",
            format!(
                r#"{{"op":"set_outline","place":"{}","outline":null}}"#,
                r.centre.id
            ),
            "Tog bort den ritade gränsen för området Salems centrum",
            "Removed the drawn outline of the area Salems centrum",
        ),
        (
            "register.set_tiles",
            r#"{"op":"set_tiles","template":"https://karta.salem.se/{z}/{x}/{y}.png"}"#.into(),
            "Kartans adress: https://karta.salem.se/{z}/{x}/{y}.png",
            "Map address: https://karta.salem.se/{z}/{x}/{y}.png",
        ),
        (
            "register.set_tiles",
            r#"{"op":"set_tiles","template":null}"#.into(),
            "Kartans adress togs bort",
            "Map address removed",
        ),
        (
            "observation.erase",
            // register.rs writes this text; shown in the reader's language.
            "the report was erased everywhere; its content is gone".into(),
            "Rapporten raderades överallt; dess innehåll finns inte kvar",
            "The report was erased everywhere; its content is gone",
        ),
        (
            "observation.erase",
            Nothing {}.detail(),
            "Rapporten raderades överallt; dess innehåll finns inte kvar",
            "The report was erased everywhere; its content is gone",
        ),
        (
            "report.review",
            Nothing {}.detail(),
            "Markerad som granskad",
            "Marked as reviewed",
        ),
        (
            "report.correct",
            Corrected {
                field: "category".into(),
                from: "klotter".into(),
                to: "skadegorelse".into(),
            }
            .detail(),
            "Kategorin rättades från Klotter till Skadegörelse",
            "The category was corrected from Graffiti to Vandalism",
        ),
        (
            "report.correct",
            Corrected {
                field: "place".into(),
                from: r.square.id.to_string(),
                to: r.station.id.to_string(),
            }
            .detail(),
            "Platsen rättades från Torget till Rönninge station",
            "The place was corrected from Torget to Rönninge station",
        ),
        (
            "report.link",
            Linked {
                to: "0190e1c2-0000-7000-8000-000000000001".into(),
            }
            .detail(),
            "Kopplad till rapport 0190e1c2-0000-7000-8000-000000000001",
            "Linked to report 0190e1c2-0000-7000-8000-000000000001",
        ),
        (
            "report.status",
            StatusChanged {
                from: Status::Ny,
                to: Status::Avslutad,
            }
            .detail(),
            "Status ändrad från ny till avslutad",
            "Status changed from new to closed",
        ),
        (
            "report.publish",
            Published {
                title: "Lägesrapport november".into(),
                from: "2026-11-01".into(),
                until: "2026-12-01".into(),
                at: at("2026-12-01T08:30:00Z"),
                by: "Samira Lind".into(),
                shown: 34,
                counts: 40,
                parts: 1,
                sha256: "ab12".into(),
            }
            .detail(),
            "Lägesrapport november (2026-11-01 – 2026-11-30), publicerad 2026-12-01 09:30 av Samira Lind; visar 34 av 40 antal, byggd av 1 del; sha256 ab12",
            "Lägesrapport november (2026-11-01 – 2026-11-30), published 2026-12-01 09:30 by Samira Lind; 34 of 40 counts shown, built from 1 part; sha256 ab12",
        ),
    ]
}

#[test]
fn every_detail_the_server_writes_reads_as_a_sentence_in_swedish_and_in_english() {
    let r = register();
    let names = Names::new(&r.places, &r.categories);
    for (action, detail, sv, en) in samples(&r) {
        assert_eq!(
            render(action, &detail, Lang::Sv, &names),
            sv,
            "{action}: {detail}"
        );
        assert_eq!(
            render(action, &detail, Lang::En, &names),
            en,
            "{action}: {detail}"
        );
    }
}

#[test]
fn every_action_has_a_sentence() {
    // An action added to the log without a sample here fails: none is missed.
    let r = register();
    let covered: Vec<&str> = samples(&r).iter().map(|s| s.0).collect();
    for action in AuditAction::ALL {
        assert!(
            covered.contains(&action.code()),
            "{} has no sample of what its detail says",
            action.code()
        );
    }
}

#[test]
fn without_the_register_places_and_categories_are_shown_by_their_ids() {
    let r = register();
    let detail = change(&RegisterChange::MovePlace {
        place: r.station.id,
        lat: 59.0,
        lon: 17.0,
    });
    assert_eq!(
        render("register.move_place", &detail, Lang::Sv, &Names::none()),
        format!("Flyttade {} till 59.00000, 17.00000", r.station.id)
    );
    let retired = change(&RegisterChange::RetireCategory { key: "gone".into() });
    assert_eq!(
        render(
            "register.retire_category",
            &retired,
            Lang::En,
            &Names::none()
        ),
        "Retired the category gone"
    );
}

#[test]
fn rows_an_older_server_wrote_or_of_an_unknown_shape_show_as_they_are() {
    let names = Names::none();
    for (action, detail) in [
        ("person.add", "Anna Berg: Kommunen, coordinator"),
        (
            "enrolment.code",
            "a one-time code for X, valid for 15 minutes",
        ),
        ("enrolment", "device \"Telefon\" enrolled"),
        ("report.status", "status open → closed"),
        ("report.correct", "field corrected from a to b"),
        ("workspace.create", "Salem"),
        // Facts of a shape, an op or an action this version does not know.
        ("person.add", r#"{"someone":"else"}"#),
        ("register.add_place", r#"{"op":"plant_tree","name":"Eken"}"#),
        ("register.move_place", r#"{"op":"move_place","place":"p1"}"#),
        ("something.newer", r#"{"name":"x"}"#),
        ("something.newer", "plain text"),
        ("report.status", r#"{"from":"ny","to":"ett-nytt-läge"}"#),
        ("report.review", "reviewed by hand"),
        ("person.add", ""),
    ] {
        for lang in [Lang::Sv, Lang::En] {
            assert_eq!(render(action, detail, lang, &names), detail, "{action}");
        }
    }
    // An older server's words for what says nothing more than its action read anew.
    assert_eq!(
        render("report.review", "marked reviewed", Lang::Sv, &names),
        "Markerad som granskad"
    );
    assert_eq!(
        render(
            "device.revoke",
            "revoked at the server's command line",
            Lang::Sv,
            &names
        ),
        "Avstängd från serverns kommandorad"
    );
}

#[test]
fn the_facts_are_compact_json_in_no_language() {
    let detail = Membership {
        name: "Anna Berg".into(),
        organisation: Some("Kommunen".into()),
        role: Role::Samordnare,
        workspace: None,
    }
    .detail();
    assert_eq!(
        detail,
        r#"{"name":"Anna Berg","organisation":"Kommunen","role":"samordnare"}"#
    );
    assert_eq!(Nothing {}.detail(), "{}");
}
