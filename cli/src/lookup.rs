//! Finding what the user names on the command line: by id, or by (part of) its name.

use anyhow::{Result, bail};
use lagesbild_core::{OrganisationId, Store, WorkspaceId};

/// An organisation by id, or the one whose name contains `text` (ignoring case).
pub fn organisation(store: &Store, workspace: WorkspaceId, text: &str) -> Result<OrganisationId> {
    if let Ok(id) = text.parse() {
        return Ok(id);
    }
    let wanted = text.to_lowercase();
    let matches: Vec<_> = store
        .organisations(workspace)?
        .into_iter()
        .filter(|o| o.name.to_lowercase().contains(&wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id),
        [] => bail!("no organisation matches '{text}'; see `lagesbild organisations`"),
        many => bail!(
            "'{text}' matches several organisations: {}",
            many.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
