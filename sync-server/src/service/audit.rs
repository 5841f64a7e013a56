//! The audit log: who did what, when and from where — every administrative act,
//! register change, review correction, erasure, revocation and enrolment, failed ones
//! too. Rows are only ever added (the database refuses anything else, see migration
//! 0002); an erasure leaves an entry that it happened, never what the report said.
//!
//! Failed enrolments are counted, not listed: anyone can fail, as often as the throttle
//! lets them, and a row each would let them fill the log. Per minute and per workspace
//! (the workspace of a real code tried again or too late; the server's for unknown
//! codes) the first failure is written as it happens, with its address and reason, and
//! one row counts them all (by reason, and from how many addresses) once the minute is
//! over: at most two rows per workspace and minute, and two for the server.

use std::net::IpAddr;

use super::{Member, Service, ServiceError, ServiceResult};
use crate::storage::{FailedEnrolment, FailedEnrolments, NewAudit, Tx};
use lagesbild_core::audit_detail::{self, Facts, Names};
use lagesbild_core::inert::csv_text;
use lagesbild_core::sync::wire::AuditEntry;
use lagesbild_core::{
    AuditAction, Category, DeviceId, Lang, Place, Timestamp, UserId, WorkspaceId, permissions,
};

/// Who acted: a person's device from an address, or the operator at the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub user: Option<(UserId, String)>,
    pub device: Option<DeviceId>,
    pub address: Option<IpAddr>,
}

impl Origin {
    /// The operator, at the server's command line.
    pub fn operator() -> Origin {
        Origin::default()
    }

    /// Someone who is not known yet, at an address (a failed enrolment).
    pub fn at(address: Option<IpAddr>) -> Origin {
        Origin {
            address,
            ..Origin::default()
        }
    }

    pub fn of(member: &Member) -> Origin {
        Origin {
            user: Some((member.device.user, member.name.clone())),
            device: Some(member.device.id),
            address: member.device.address,
        }
    }
}

/// What one act was, to be written with the change it made. The action is an
/// [`AuditAction`]: the server can write no action that has no labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Act {
    pub action: AuditAction,
    pub target: Option<String>,
    pub detail: String,
}

impl Act {
    pub fn new(action: AuditAction, target: Option<String>, detail: impl Into<String>) -> Act {
        Act {
            action,
            target,
            detail: detail.into(),
        }
    }
}

/// Appends `act`, done by `origin` at `now`, to the log of `workspace` (or, with none,
/// the server's).
pub(super) fn write(
    tx: &mut dyn Tx,
    workspace: Option<WorkspaceId>,
    origin: &Origin,
    act: &Act,
    now: Timestamp,
) -> ServiceResult<()> {
    tx.audit(&NewAudit {
        workspace,
        at: now,
        user: origin.user.as_ref().map(|(id, name)| (*id, name.as_str())),
        device: origin.device,
        address: origin.address,
        action: act.action,
        target: act.target.as_deref(),
        detail: &act.detail,
    })?;
    Ok(())
}

/// Appends `act`, which concerns `user` (their device, their enrolment), once to the
/// log of each workspace they are a member of, so each coordinator sees it; once with no
/// workspace when they are a member nowhere.
pub(super) fn record_for_user(
    tx: &mut dyn Tx,
    user: UserId,
    origin: &Origin,
    act: &Act,
    now: Timestamp,
) -> ServiceResult<()> {
    let workspaces = tx.member_workspaces(user)?;
    if workspaces.is_empty() {
        return write(tx, None, origin, act, now);
    }
    for workspace in workspaces {
        write(tx, Some(workspace), origin, act, now)?;
    }
    Ok(())
}

/// The minute failed enrolments are counted in (ms).
pub const FAILURE_WINDOW: i64 = 60_000;

/// Distinct addresses counted per minute and workspace; the log says "at least" past it.
pub const MOST_FAILURE_ADDRESSES: i64 = 1_000;

fn window_of(now: Timestamp) -> i64 {
    now.millis() - now.millis().rem_euclid(FAILURE_WINDOW)
}

/// Counts a failed enrolment (in `workspace`, or with none the server's), writing `act`
/// when it is the first of its minute there; and first writes the counts of the
/// minutes that are over.
pub(super) fn count_failed_enrolment(
    tx: &mut dyn Tx,
    workspace: Option<WorkspaceId>,
    why: FailedEnrolment,
    address: Option<IpAddr>,
    act: &Act,
    now: Timestamp,
) -> ServiceResult<()> {
    settle_failed_enrolments(tx, now)?;
    let failed = tx.count_failed_enrolment(
        window_of(now),
        workspace,
        why,
        address.map(|a| a.to_string()).as_deref(),
        MOST_FAILURE_ADDRESSES,
    )?;
    if failed == 1 {
        write(tx, workspace, &Origin::at(address), act, now)?;
    }
    Ok(())
}

/// Writes one row for each minute and workspace before `now`'s minute in which more
/// than one enrolment failed (a single failure was written as it happened).
fn settle_failed_enrolments(tx: &mut dyn Tx, now: Timestamp) -> ServiceResult<()> {
    for minute in tx.take_failed_enrolments(window_of(now))? {
        let failed = minute.unknown + minute.used + minute.expired;
        if failed > 1 {
            let end = Timestamp::from_millis(minute.window + FAILURE_WINDOW).unwrap_or(now);
            let act = Act::new(
                AuditAction::EnrolmentFailures,
                None,
                failures_detail(&minute, end),
            );
            write(tx, minute.workspace, &Origin::operator(), &act, end)?;
        }
    }
    Ok(())
}

/// The failed enrolments of a minute as the log keeps them: the count by reason, and
/// from how many addresses (at least, past the most counted).
fn failures_detail(minute: &FailedEnrolments, end: Timestamp) -> String {
    audit_detail::EnrolmentFailures {
        minute: Timestamp::from_millis(minute.window).unwrap_or(end),
        unknown: minute.unknown,
        used: minute.used,
        expired: minute.expired,
        addresses: minute.addresses.min(MOST_FAILURE_ADDRESSES),
        at_least: minute.addresses >= MOST_FAILURE_ADDRESSES,
    }
    .detail()
}

/// The most entries one read returns.
pub const MAX_AUDIT_PAGE: usize = 1000;

impl Service {
    /// The workspace's log, newest first, before `before` (a `seq`): its own acts and
    /// those on devices and enrolments of its members. The coordinator only.
    pub fn audit(
        &self,
        member: &Member,
        before: Option<i64>,
        limit: usize,
    ) -> ServiceResult<Vec<AuditEntry>> {
        require_audit(member)?;
        self.audit_page(Some(member.workspace), before, limit)
    }

    /// The whole log of the member's workspace as CSV. The coordinator only.
    pub fn audit_csv(&self, member: &Member) -> ServiceResult<String> {
        require_audit(member)?;
        self.audit_export(Some(member.workspace))
    }

    /// A page of the log of `workspace`, or of everything (for the operator), newest first.
    pub fn audit_page(
        &self,
        workspace: Option<WorkspaceId>,
        before: Option<i64>,
        limit: usize,
    ) -> ServiceResult<Vec<AuditEntry>> {
        self.settle_failed_enrolments()?;
        self.read_audit_page(workspace, before, limit)
    }

    /// Writes the counts of failed enrolments of the minutes that are over by the
    /// server's clock, so that a reader sees them.
    fn settle_failed_enrolments(&self) -> ServiceResult<()> {
        let now = Timestamp::from(chrono::Utc::now());
        self.write(|tx| settle_failed_enrolments(tx, now))
    }

    fn read_audit_page(
        &self,
        workspace: Option<WorkspaceId>,
        before: Option<i64>,
        limit: usize,
    ) -> ServiceResult<Vec<AuditEntry>> {
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        self.read(|tx| Ok(tx.audit_page(workspace, before.unwrap_or(i64::MAX), limit)?))
    }

    /// The log of `workspace`, or of everything, as CSV (RFC 4180), oldest first; text
    /// cells cannot start a spreadsheet formula (`inert::csv_text`).
    ///
    /// `detail` is what the log keeps, exactly as stored (facts as JSON, or an older
    /// server's English text), so that an auditor's copy says what the log says and can
    /// be read by a program; `text` beside it says the same as a Swedish sentence, as the
    /// app shows it, with places and categories named from the register as it is now.
    /// The last column, so that a reader of the columns before it reads them as before.
    pub fn audit_export(&self, workspace: Option<WorkspaceId>) -> ServiceResult<String> {
        self.settle_failed_enrolments()?;
        let mut entries = Vec::new();
        let mut before = None;
        loop {
            let page = self.read_audit_page(workspace, before, MAX_AUDIT_PAGE)?;
            let done = page.len() < MAX_AUDIT_PAGE;
            before = page.last().map(|e| e.seq);
            entries.extend(page);
            if done {
                break;
            }
        }
        entries.reverse();
        let (places, categories) = self.register_names(&entries)?;
        let names = Names::new(&places, &categories);
        let internal = |e: csv::Error| ServiceError::Internal(e.to_string());
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record([
            "seq",
            "at",
            "workspace",
            "user",
            "user_name",
            "device",
            "address",
            "action",
            "target",
            "detail",
            "text",
        ])
        .map_err(internal)?;
        // Names, addresses and details carry what people typed: text cells that cannot
        // start a spreadsheet formula.
        let text = |v: &str| csv_text(v).into_owned();
        for e in entries {
            out.write_record([
                e.seq.to_string(),
                e.at.0.to_rfc3339(),
                e.workspace.map(|w| w.to_string()).unwrap_or_default(),
                e.user.map(|u| u.to_string()).unwrap_or_default(),
                text(e.user_name.as_deref().unwrap_or_default()),
                e.device.map(|d| d.to_string()).unwrap_or_default(),
                text(e.address.as_deref().unwrap_or_default()),
                text(&e.action),
                text(e.target.as_deref().unwrap_or_default()),
                text(&e.detail),
                text(&audit_detail::render(
                    &e.action,
                    &e.detail,
                    Lang::Sv,
                    &names,
                )),
            ])
            .map_err(internal)?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

impl Service {
    /// The places and categories of the workspaces `entries` are of, to name what their
    /// details refer to.
    fn register_names(&self, entries: &[AuditEntry]) -> ServiceResult<(Vec<Place>, Vec<Category>)> {
        let mut workspaces: Vec<WorkspaceId> = entries.iter().filter_map(|e| e.workspace).collect();
        workspaces.sort_by_key(|w| w.0);
        workspaces.dedup();
        self.read(|tx| {
            let (mut places, mut categories) = (Vec::new(), Vec::new());
            for workspace in &workspaces {
                places.extend(tx.places(*workspace)?);
                categories.extend(tx.categories(*workspace)?);
            }
            Ok((places, categories))
        })
    }
}

fn require_audit(member: &Member) -> ServiceResult<()> {
    if permissions::Abilities::of(member.role).administer {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only the coordinator reads the audit log".into(),
        ))
    }
}
