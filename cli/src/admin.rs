//! `admin`: what the coordinator does in the app, scriptable from the command line
//! against the server with the coordinator's enrolled device.

use anyhow::{Context, Result, anyhow};
use lagesbild_core::inert::terminal_line;
use lagesbild_core::sync::wire::AdminChange;
use lagesbild_core::{Lang, Store};

use crate::args::AdminCommand;
use crate::sync::runtime;

pub fn run(store: Store, command: AdminCommand) -> Result<()> {
    let (transport, workspace) = lagesbild_client::online(&store).map_err(|e| anyhow!(e))?;
    let runtime = runtime()?;
    let change = match command {
        AdminCommand::People { json } => {
            let people = runtime
                .block_on(transport.people(workspace))
                .map_err(|e| anyhow!(e))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&people)?);
                return Ok(());
            }
            for person in &people.people {
                let org = people
                    .organisations
                    .iter()
                    .find(|o| o.id == person.organisation)
                    .map_or("?", |o| o.name.as_str());
                let state = if person.active { "" } else { "  (deactivated)" };
                println!(
                    "{}  {}  {}, {}{state}",
                    person.user,
                    terminal_line(&person.name),
                    terminal_line(org),
                    person.role.label(Lang::Sv)
                );
                for d in &person.devices {
                    let seen = d.last_seen.map_or("never".into(), |t| t.local_display());
                    let state = if d.revoked { "revoked" } else { "active" };
                    println!(
                        "    {}  {state:<7}  {}  seen {seen}  {}",
                        d.id,
                        terminal_line(&d.name),
                        terminal_line(d.app_version.as_deref().unwrap_or(""))
                    );
                }
            }
            return Ok(());
        }
        AdminCommand::Audit => {
            // The server writes the CSV, so the app's export and this are the same file: an
            // auditor's, with each detail as kept and said in Swedish beside it.
            let csv = runtime
                .block_on(transport.audit_csv(workspace))
                .map_err(|e| anyhow!(e))?;
            print!("{csv}");
            return Ok(());
        }
        AdminCommand::IssueCode { user, ttl_minutes } => AdminChange::IssueCode {
            user: user
                .parse()
                .context("the user is an id, as `admin people` lists it")?,
            ttl_minutes,
        },
        AdminCommand::Revoke { device } => AdminChange::RevokeDevice {
            device: device
                .parse()
                .context("the device is an id, as `admin people` lists it")?,
        },
        AdminCommand::Apply { change } => serde_json::from_str(&change)
            .context("the change is one administrative act as JSON, with its \"op\"")?,
    };
    let outcome = runtime
        .block_on(transport.administer(workspace, &change))
        .map_err(|e| anyhow!(e))?;
    match outcome.code {
        Some(code) => {
            println!("{}", code.code);
            if let Some(link) = code.link {
                println!("{link}");
            }
            println!("valid until {}", code.expires_at.local_display());
        }
        None => println!("done"),
    }
    Ok(())
}
