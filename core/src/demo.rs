//! A plausible demo workspace: a municipality south-west of Stockholm with its partners,
//! places, and some weeks of reports. Deterministic for a given seed.

use crate::codes::{OrganisationKind, PlaceKind, Role};
use crate::ids::{DeviceId, OrganisationId, PlaceId, UserId, WorkspaceId};
use crate::model::{Identity, Organisation, Place, Reporter, Workspace, default_categories};
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate::ObservationDraft;
use crate::{Category, Result};

#[derive(Debug, Clone)]
pub struct DemoWorkspace {
    pub workspace: Workspace,
    pub organisations: Vec<Organisation>,
    pub categories: Vec<Category>,
    pub places: Vec<Place>,
    /// One person per organisation and role, the coordinator first.
    pub people: Vec<Reporter>,
}

const ORGANISATIONS: &[(&str, OrganisationKind)] = &[
    (
        "Salems kommun – trygghet och säkerhet",
        OrganisationKind::Kommun,
    ),
    ("Salems kommun – fältgruppen", OrganisationKind::Kommun),
    ("Socialtjänsten", OrganisationKind::Kommun),
    (
        "Polisen, lokalpolisområde Södertälje",
        OrganisationKind::Polis,
    ),
    ("Centrumvakterna AB", OrganisationKind::Vaktbolag),
    ("Kommunvakt Syd AB", OrganisationKind::Vaktbolag),
    ("Nattvandrarna i Salem", OrganisationKind::Ideell),
];

/// (name, organisation index, role)
const PEOPLE: &[(&str, usize, Role)] = &[
    ("Samira Lind", 0, Role::Samordnare),
    ("Jonas Berg", 1, Role::Fritidsfaltare),
    ("Elin Holm", 2, Role::Socialfaltare),
    ("Kommunpolis Ahmed Nour", 3, Role::Polis),
    ("Väktare Lisa Ek", 4, Role::Vaktare),
    ("Väktare Omar Said", 5, Role::Vaktare),
    ("Per Nilsson", 6, Role::Nattvandrare),
];

/// Areas and their places: (name, lat, lon, places).
type AreaSpec = (&'static str, f64, f64, &'static [(&'static str, f64, f64)]);
const AREAS: &[AreaSpec] = &[
    (
        "Salems centrum",
        59.2010,
        17.7700,
        &[
            ("Salems centrum, torget", 59.2012, 17.7705),
            ("Salems centrum, bussterminalen", 59.2005, 17.7690),
            ("Salemhallen", 59.2030, 17.7740),
        ],
    ),
    (
        "Rönninge",
        59.1930,
        17.7500,
        &[
            ("Rönninge station", 59.1934, 17.7508),
            ("Rönninge centrum", 59.1925, 17.7525),
            ("Rönninge gymnasium", 59.1950, 17.7460),
        ],
    ),
    (
        "Skogsängen",
        59.2065,
        17.7615,
        &[
            ("Skogsängsskolan", 59.2070, 17.7600),
            ("Skogsängens fritidsgård", 59.2060, 17.7630),
        ],
    ),
    (
        "Säby",
        59.1890,
        17.7810,
        &[
            ("Säby gård", 59.1880, 17.7830),
            ("Bränningestrand", 59.1860, 17.7720),
        ],
    ),
    (
        "Söderby",
        59.2160,
        17.7420,
        &[
            ("Söderby torg", 59.2165, 17.7410),
            ("Söderbyskolan", 59.2150, 17.7440),
            ("Söderby park", 59.2175, 17.7450),
        ],
    ),
    (
        "Nytorp",
        59.1790,
        17.7310,
        &[
            ("Nytorps centrum", 59.1795, 17.7300),
            ("Nytorps idrottsplats", 59.1780, 17.7330),
        ],
    ),
];

/// A demo area's outline, as a coordinator might draw it: seven corners around its
/// centre, a little uneven, far enough out to hold its places but never past half way
/// to the nearest other area's centre, so that no two areas overlap.
fn demo_outline(lat: f64, lon: f64, children: &[(&str, f64, f64)]) -> Vec<[f64; 2]> {
    let metres_per_lon = 111_320.0 * lat.to_radians().cos();
    let metres = |la: f64, lo: f64| ((la - lat) * 111_320.0).hypot((lo - lon) * metres_per_lon);
    let nearest = AREAS
        .iter()
        .map(|(_, la, lo, _)| metres(*la, *lo))
        .filter(|d| *d > 1.0)
        .fold(f64::INFINITY, f64::min);
    let reach = (children
        .iter()
        .map(|(_, la, lo)| metres(*la, *lo))
        .fold(0.0, f64::max)
        + 200.0)
        .min(0.48 * nearest);
    (0..7)
        .map(|i| {
            let angle = f64::from(i) * std::f64::consts::TAU / 7.0;
            let r = reach * (1.0 - 0.08 * f64::from(i % 3));
            [
                lon + r * angle.cos() / metres_per_lon,
                lat + r * angle.sin() / 111_320.0,
            ]
        })
        .collect()
}

pub fn workspace(name: &str) -> DemoWorkspace {
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: name.to_string(),
        grade_labels: None,
        tiles: None,
    };
    let organisations: Vec<Organisation> = ORGANISATIONS
        .iter()
        .map(|(name, kind)| Organisation {
            id: OrganisationId::new(),
            workspace: workspace.id,
            name: (*name).into(),
            kind: *kind,
        })
        .collect();
    let mut places = Vec::new();
    for (area_name, lat, lon, children) in AREAS {
        let area = Place {
            id: PlaceId::new(),
            workspace: workspace.id,
            name: (*area_name).into(),
            kind: PlaceKind::Omrade,
            area: None,
            lat: *lat,
            lon: *lon,
            retired: false,
            merged_into: None,
            outline: Some(demo_outline(*lat, *lon, children)),
        };
        for (name, lat, lon) in *children {
            places.push(Place {
                id: PlaceId::new(),
                name: (*name).into(),
                kind: PlaceKind::Plats,
                area: Some(area.id),
                lat: *lat,
                lon: *lon,
                outline: None,
                ..area.clone()
            });
        }
        places.push(area);
    }
    let people = PEOPLE
        .iter()
        .map(|(name, org, role)| Reporter {
            user: UserId::new(),
            name: (*name).into(),
            role: *role,
            organisation: organisations[*org].id,
        })
        .collect();
    DemoWorkspace {
        workspace,
        organisations,
        categories: default_categories(),
        places,
        people,
    }
}

impl DemoWorkspace {
    /// Creates the workspace in `store` and makes the device `people[person]`'s.
    pub fn install(&self, store: &mut Store, person: usize) -> Result<Identity> {
        store.create_workspace(
            &self.workspace,
            &self.organisations,
            &self.categories,
            &self.places,
        )?;
        let who = &self.people[person.min(self.people.len() - 1)];
        let identity = Identity {
            workspace: self.workspace.id,
            device: DeviceId::new(),
            user: who.user,
            name: who.name.clone(),
            role: who.role,
            organisation: who.organisation,
        };
        store.set_identity(&identity)?;
        Ok(identity)
    }

    /// `count` reports spread evenly over the `weeks` ISO weeks up to `now` (this week's
    /// share falls between its Monday and `now`), with hot spots that change over time so
    /// trends show: the station grows worse week by week, the torget stays busy, the youth
    /// centre flares up this week.
    pub fn reports(
        &self,
        count: usize,
        weeks: u32,
        now: Timestamp,
        seed: u64,
    ) -> Vec<(Reporter, ObservationDraft)> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let places: Vec<&Place> = self
            .places
            .iter()
            .filter(|p| p.kind == PlaceKind::Plats)
            .collect();
        let categories: Vec<&Category> = self.categories.iter().collect();
        let weeks = weeks.max(1);
        let this_monday = now.week().bounds().0.millis();
        let week_ms = 7 * 24 * 3600 * 1000;
        let texts = [
            "Grupp ungdomar samlade vid entrén, högljudda men lugna när vi pratade med dem.",
            "Klotter på busskuren, anmält till fastighetsägaren.",
            "Krossad ruta i gångtunneln.",
            "Bråk mellan två grupper, polis tillkallad.",
            "Misstänkt försäljning bakom kiosken, flera korta möten.",
            "Trasig belysning på gångvägen mot stationen.",
            "Lugnt, få personer ute.",
            "Mopeder som kör på gångbanan.",
            "Nedskräpning och tomma flaskor efter helgen.",
            "Evenemang på torget, mycket folk men god stämning.",
        ];
        let mut reports: Vec<(Timestamp, (Reporter, ObservationDraft))> = (0..count)
            .map(|i| {
                let reporter = self.people[1 + rng.usize(..self.people.len() - 1)].clone();
                // 0 is this week, 1 last week, …
                let weeks_ago = (i % weeks as usize) as i64;
                let (start, end) = if weeks_ago == 0 {
                    (this_monday, now.millis().max(this_monday + 1))
                } else {
                    (
                        this_monday - weeks_ago * week_ms,
                        this_monday - (weeks_ago - 1) * week_ms,
                    )
                };
                let at = Timestamp::from_millis(rng.i64(start..end)).unwrap_or(now);
                let recency = i64::from(weeks) - 1 - weeks_ago; // grows towards this week
                let station_share = 10 + 6 * recency;
                let roll = rng.i64(0..100);
                let place = if roll < station_share {
                    places[3] // Rönninge station
                } else if roll < station_share + 20 {
                    places[0] // the torget
                } else if weeks_ago == 0 && roll < station_share + 35 {
                    places[7] // the youth centre
                } else {
                    places[rng.usize(..places.len())]
                };
                let mut grade = 1 + rng.i64(0..3);
                if place.id == places[3].id {
                    grade += recency / 2 + i64::from(rng.bool());
                }
                if place.id == places[7].id && weeks_ago == 0 {
                    grade = 3 + rng.i64(0..3);
                }
                let category = categories[rng.usize(..categories.len())];
                let draft = ObservationDraft {
                    category: Some(category.key.clone()),
                    place: Some(place.id.to_string()),
                    grade: Some(grade.clamp(1, 5)),
                    observed_at: Some(at.to_string()),
                    people: rng.bool().then(|| rng.i64(1..25)),
                    age_group: rng
                        .bool()
                        .then(|| ["barn", "unga", "vuxna", "blandat"][rng.usize(..4)].to_string()),
                    source: Some(
                        ["sjalv-sett", "uppgift-fran-annan", "rykte"][match rng.u8(..10) {
                            0..=6 => 0,
                            7..=8 => 1,
                            _ => 2,
                        }]
                        .to_string(),
                    ),
                    description: Some(
                        texts[(i + rng.usize(..texts.len())) % texts.len()].to_string(),
                    ),
                    ..ObservationDraft::default()
                };
                (at, (reporter, draft))
            })
            .collect();
        // In the order they happened, as reports are made in the field: ids, which are
        // time-ordered, then follow the time observed as they do in real use.
        reports.sort_by_key(|(at, _)| *at);
        reports.into_iter().map(|(_, report)| report).collect()
    }

    /// Last weeks' meetings and decisions, made in `store` by its identity (the demo's
    /// coordinator): the station's deployment two weeks ago, carried out; last week's for
    /// the torget, planned; one for the youth centre that was not carried out. Returns the
    /// ids of the documents made.
    pub fn meeting_history(&self, store: &mut Store, now: Timestamp) -> Result<Vec<uuid::Uuid>> {
        use crate::codes::{DecisionStatus, Deployee};
        use crate::store::DecisionDraft;
        let day = 86_400_000;
        let ago = |days: i64| Timestamp::from_millis(now.millis() - days * day).unwrap_or(now);
        let place = |name: &str| self.places.iter().find(|p| p.name == name).map(|p| p.id);
        let org = |kind: OrganisationKind| {
            self.organisations
                .iter()
                .find(|o| o.kind == kind)
                .map(|o| o.id)
        };
        let date = |t: Timestamp| (t.0 + chrono::Duration::days(2)).date_naive().to_string();
        let mut made = Vec::new();
        let plans = [
            (
                14,
                "Rönninge station",
                vec![Deployee::Faltare, Deployee::Vaktare],
                "Grupperingar och skadegörelse vid stationen tre kvällar i rad",
                OrganisationKind::Kommun,
                Some((
                    DecisionStatus::Genomford,
                    "Fältare fredag och lördag, väktare lördag natt",
                )),
            ),
            (
                7,
                "Skogsängens fritidsgård",
                vec![Deployee::Nattvandrare],
                "Oro utanför fritidsgården vid stängning",
                OrganisationKind::Ideell,
                Some((
                    DecisionStatus::InteGenomford,
                    "För få nattvandrare anmälde sig",
                )),
            ),
            (
                7,
                "Salems centrum, torget",
                vec![Deployee::Polis, Deployee::Faltare],
                "Fortsatt högt läge på torget kvällstid",
                OrganisationKind::Polis,
                None,
            ),
        ];
        for (days, at, deployees, why, responsible, outcome) in plans {
            let when = ago(days);
            let meeting = match store.meetings(Some(when.week()))?.into_iter().next() {
                Some(m) => m,
                None => {
                    let m = store.start_meeting(when.week(), when)?;
                    store.add_attendee(m.id, "Samira Lind (samordnare)", when)?;
                    store.add_attendee(m.id, "Jonas Berg (fältgruppen)", when)?;
                    store.add_attendee(m.id, "Ahmed Nour (polisen)", when)?;
                    made.push(m.id.0);
                    m
                }
            };
            let decision = store.decide(
                &DecisionDraft {
                    meeting: Some(meeting.id),
                    place: place(at),
                    deployees,
                    days: vec![date(when)],
                    from: Some("18:00".into()),
                    to: Some("23:00".into()),
                    why: why.into(),
                    responsible: org(responsible).or_else(|| org(OrganisationKind::Kommun)),
                    activity: None,
                },
                when,
            )?;
            if let Some((status, note)) = outcome {
                store.set_decision_status(decision.id, status, note, ago(days - 5))?;
            }
            made.push(decision.id.0);
        }
        Ok(made)
    }

    /// Six months of the municipality's efforts, made in `store` by its identity (the
    /// demo's coordinator): two citizen promises and five activities, each with the
    /// deployment that started it, over 26 weeks of reports in which the guards at the
    /// bus terminal worked, the night walks at the youth centre did nothing, the guards at
    /// Säby gård only raised their own company's reports, the station grew worse, and the
    /// dialogue at Bränningestrand started too recently to tell. Returns the ids of the
    /// documents made.
    pub fn efforts(&self, store: &mut Store, now: Timestamp) -> Result<Vec<uuid::Uuid>> {
        use crate::codes::{Deployee, IndicatorKind, Reconsideration};
        use crate::store::{ActivityDraft, DecisionDraft, IndicatorDraft, PromiseDraft};
        const WEEKS: i64 = 26;
        let workspace = self.workspace.id;
        let week_ms = 7 * 24 * 3600 * 1000;
        let this_monday = now.week().bounds().0.millis();
        let monday = |weeks_ago: i64| {
            Timestamp::from_millis(this_monday - weeks_ago * week_ms).unwrap_or(now)
        };
        let day = |t: Timestamp| t.local_date().format("%Y-%m-%d").to_string();
        let place = |name: &str| {
            self.places
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.id)
                .unwrap_or_else(PlaceId::new)
        };
        let person = |org: usize| self.people[org.min(self.people.len() - 1)].clone();
        let org = |index: usize| self.organisations[index].id;
        // (place, weeks ago it started, effect on others' reports, own organisation's
        // person, its extra reports a week from the start)
        let designs: [(&str, i64, f64, usize, f64); 5] = [
            ("Salems centrum, bussterminalen", 14, 0.35, 4, 3.0),
            ("Skogsängens fritidsgård", 12, 1.0, 6, 2.0),
            ("Säby gård", 12, 1.0, 5, 6.0),
            ("Rönninge station", 8, 3.0, 1, 1.0),
            ("Bränningestrand", 2, 1.0, 2, 0.5),
        ];
        let reporters = [1usize, 2, 3, 6];
        let categories = [
            "grupperingar",
            "skadegorelse",
            "klotter",
            "brak",
            "alkohol",
            "otrygg-plats",
        ];
        let mut rng = fastrand::Rng::with_seed(29);
        let mut drafts = Vec::new();
        let mut report =
            |rng: &mut fastrand::Rng, who: Reporter, at: &str, weeks_ago: i64, category: &str| {
                let start = monday(weeks_ago).millis();
                let when = Timestamp::from_millis(rng.i64(start..start + week_ms)).unwrap_or(now);
                drafts.push((
                    when,
                    (
                        who,
                        ObservationDraft {
                            category: Some(category.into()),
                            place: Some(place(at).to_string()),
                            grade: Some(1 + rng.i64(0..3)),
                            observed_at: Some(when.to_string()),
                            source: Some("sjalv-sett".into()),
                            description: Some("Uppföljning av insats".into()),
                            ..ObservationDraft::default()
                        },
                    ),
                ));
            };
        // Whole weeks, the same whatever the day; this week's reports up to now are kept.
        let share = 1.0;
        for weeks_ago in (0..WEEKS).rev() {
            for p in self.places.iter().filter(|p| p.kind == PlaceKind::Plats) {
                let design = designs.iter().find(|d| d.0 == p.name);
                let base = match p.name.as_str() {
                    "Bränningestrand" => 0.6,
                    "Rönninge station" => 4.0,
                    _ => 3.0,
                };
                let factor = match design {
                    Some(d) if weeks_ago < d.1 => d.2,
                    _ => 1.0,
                };
                let n = crate::effect::synthetic::count(&mut rng, base * factor * share, 12.0);
                for _ in 0..n {
                    let who = person(reporters[rng.usize(..reporters.len())]);
                    let category = categories[rng.usize(..categories.len())];
                    report(&mut rng, who, &p.name, weeks_ago, category);
                }
                if let Some(d) = design.filter(|d| weeks_ago < d.1) {
                    let n = crate::effect::synthetic::count(&mut rng, d.4 * share, 12.0);
                    for _ in 0..n {
                        report(&mut rng, person(d.3), &p.name, weeks_ago, "grupperingar");
                    }
                }
            }
        }
        drafts.retain(|(at, _)| *at <= now);
        drafts.sort_by_key(|(at, _)| *at);
        let drafts: Vec<(Reporter, ObservationDraft)> =
            drafts.into_iter().map(|(_, d)| d).collect();
        let mut made: Vec<uuid::Uuid> = store
            .record_many(workspace, &drafts, now)?
            .iter()
            .map(|o| o.id.0)
            .collect();

        let begun = monday(WEEKS + 4);
        let promise = |title: &str, text: &str, areas: &[&str]| PromiseDraft {
            title: title.into(),
            text: text.into(),
            from: day(begun),
            to: None,
            signed_by: vec![
                "Lokalpolisområdeschef, Södertälje".into(),
                "Kommunstyrelsens ordförande, Salems kommun".into(),
            ],
            areas: areas.iter().map(|a| a.to_string()).collect(),
        };
        let travel = store.add_promise(
            &promise(
                "Trygga resor och centrum",
                "Polisen och kommunen lovar att minska stöket vid stationen och bussterminalen kvällstid.",
                &["Salems centrum", "Rönninge"],
            ),
            begun,
        )?;
        let youth = store.add_promise(
            &promise(
                "Trygga mötesplatser för unga",
                "Polisen och kommunen lovar vuxennärvaro där unga samlas på helgkvällar.",
                &["Skogsängen", "Säby"],
            ),
            begun,
        )?;
        made.extend([travel.id.0, youth.id.0]);
        // (title, purpose, goal, design, organisation, person, promise, deployees, planned weeks)
        let plans = [
            (
                "Väktare vid bussterminalen fre–lör",
                "Färre grupperingar och mindre skadegörelse vid terminalen.",
                "Rapporterna vid terminalen minst 25 % under baslinjen",
                0,
                4,
                "Lisa Ek",
                travel.id,
                Deployee::Vaktare,
                None,
            ),
            (
                "Nattvandring vid Skogsängens fritidsgård",
                "Vuxna på plats när fritidsgården stänger.",
                "Rapporterna vid fritidsgården minst 20 % under baslinjen",
                1,
                6,
                "Per Nilsson",
                youth.id,
                Deployee::Nattvandrare,
                Some(10),
            ),
            (
                "Kommunvakt vid Säby gård",
                "Trygghet vid gården sommarkvällar.",
                "Rapporterna vid gården minst 20 % under baslinjen",
                2,
                5,
                "Omar Said",
                youth.id,
                Deployee::Vaktare,
                None,
            ),
            (
                "Fältare vid Rönninge station",
                "Kontakt med unga som samlas vid perrongerna.",
                "Rapporterna vid stationen minst 25 % under baslinjen",
                3,
                1,
                "Jonas Berg",
                travel.id,
                Deployee::Faltare,
                None,
            ),
            (
                "Dialog med boende vid Bränningestrand",
                "Boendes bild av otryggheten vid stranden.",
                "Färre rapporter om otrygga platser",
                4,
                2,
                "Elin Holm",
                youth.id,
                Deployee::Faltare,
                Some(8),
            ),
        ];
        let mut activities = Vec::new();
        for (title, purpose, goal, design, organisation, who, promise, deployee, weeks) in plans {
            // The dialogue is about unsafe places, the rest about every report.
            let categories: Vec<String> = if design == 4 {
                vec!["otrygg-plats".into()]
            } else {
                Vec::new()
            };
            let (at, weeks_ago) = (designs[design].0, designs[design].1);
            let started = monday(weeks_ago);
            let activity = store.add_activity(
                &ActivityDraft {
                    title: title.into(),
                    purpose: purpose.into(),
                    goal: goal.into(),
                    places: vec![at.into()],
                    from: day(started),
                    to: weeks.map(|w: i64| day(monday(weeks_ago - w))),
                    weekdays: vec![5, 6],
                    from_time: Some("19:00".into()),
                    to_time: Some("23:00".into()),
                    responsible: Some(org(organisation)),
                    responsible_person: who.into(),
                    promise: Some(promise),
                    indicators: vec![
                        IndicatorDraft {
                            categories: categories.clone(),
                            ..IndicatorDraft::new(IndicatorKind::Reports, "-25 %")
                        },
                        IndicatorDraft::new(IndicatorKind::SevereWeeks, "-50 %"),
                    ],
                    comparison: Vec::new(),
                    neighbour_metres: None,
                },
                monday(weeks_ago + 1),
            )?;
            let decision = store.decide(
                &DecisionDraft {
                    meeting: None,
                    place: Some(place(at)),
                    deployees: vec![deployee],
                    days: vec![day(started)],
                    from: Some("19:00".into()),
                    to: Some("23:00".into()),
                    why: purpose.into(),
                    responsible: Some(org(organisation)),
                    activity: Some(activity.id),
                },
                monday(weeks_ago + 1),
            )?;
            made.extend([activity.id.0, decision.id.0]);
            activities.push(activity);
        }
        // Reconsidered at a meeting five weeks ago: the terminal's guards go on, the night
        // walks get until the end of their period.
        let meeting_at = monday(5);
        store.reconsider(
            activities[0].id,
            Reconsideration::Fortsatt,
            "Färre rapporter vid terminalen än vid jämförbara platser; fortsätt perioden ut.",
            None,
            meeting_at,
        )?;
        store.reconsider(
            activities[1].id,
            Reconsideration::Fortsatt,
            "Ingen säker skillnad än; vi låter perioden gå ut innan vi bedömer.",
            None,
            meeting_at,
        )?;
        Ok(made)
    }
}
