//! `lagesbild-sync`: serve, and administer workspaces, people and devices.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::{
    DeviceId, OrganisationId, OrganisationKind, Place, PlaceId, Role, Timestamp, UserId,
    WorkspaceId,
};
use lagesbild_sync::Service;
use lagesbild_sync::config::{self, Config, scrub};
use lagesbild_sync::service::NewUser;
use lagesbild_sync::storage;

#[derive(Debug, Parser)]
#[command(name = "lagesbild-sync", version, about = "The Lägesbild sync server")]
struct Cli {
    /// A TOML configuration file (also LAGESBILD_SYNC_CONFIG).
    #[arg(long, global = true, env = "LAGESBILD_SYNC_CONFIG")]
    config: Option<PathBuf>,
    /// The database: a SQLite file, or a PostgreSQL URL such as
    /// `postgres://lagesbild@db.example/lagesbild` (overrides the configuration).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        /// Address to listen on (overrides the configuration).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Print the API's OpenAPI description (also served at /openapi.json).
    Openapi,
    /// Create a workspace (one per municipality) with the default categories.
    CreateWorkspace { name: String },
    /// List workspaces.
    Workspaces,
    /// Add an organisation to a workspace.
    AddOrganisation {
        #[arg(long)]
        workspace: WorkspaceId,
        #[arg(long)]
        kind: OrganisationKind,
        name: String,
    },
    /// Add a place or an area to a workspace's register.
    AddPlace {
        #[arg(long)]
        workspace: WorkspaceId,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        #[arg(long)]
        area: Option<PlaceId>,
        #[arg(long)]
        is_area: bool,
        name: String,
    },
    /// Add a person with a role in an organisation of a workspace; prints the user id.
    AddUser {
        #[arg(long)]
        workspace: WorkspaceId,
        #[arg(long)]
        organisation: OrganisationId,
        #[arg(long)]
        role: Role,
        name: String,
    },
    /// Give an existing user a role in another workspace.
    AddMembership {
        #[arg(long)]
        user: UserId,
        #[arg(long)]
        workspace: WorkspaceId,
        #[arg(long)]
        organisation: OrganisationId,
        #[arg(long)]
        role: Role,
    },
    /// Print a one-time enrolment code for one of the user's devices and, when the
    /// server's public address is known, the enrolment link that carries both.
    Enroll {
        #[arg(long)]
        user: UserId,
        /// The workspace the device is for: it acts there and nowhere else. May be left
        /// out when the user is a member of one workspace only.
        #[arg(long)]
        workspace: Option<WorkspaceId>,
        /// How long the code is valid.
        #[arg(long, default_value_t = 60)]
        ttl_minutes: i64,
        /// The address devices reach the server at (overrides the configuration's
        /// `public_url`).
        #[arg(long)]
        server_url: Option<String>,
        /// Also print the link as a QR code, for the device's QR reader.
        #[arg(long)]
        qr: bool,
    },
    /// List enrolled devices.
    Devices,
    /// Revoke a device: its next request is refused.
    Revoke { device: DeviceId },
    /// Print the audit log as CSV, oldest first: every workspace's, or one's.
    Audit {
        #[arg(long)]
        workspace: Option<WorkspaceId>,
    },
    /// After erasures: write the documents and the feed anew, so no bytes of erased
    /// reports are left in the database's files (on PostgreSQL the two tables wait for
    /// it; run it at a quiet hour, for example nightly from a timer).
    Purge,
    /// Move everything from this server's SQLite database into a new, empty PostgreSQL
    /// database, keeping every id and sequence number: devices carry on from their
    /// cursors. Stop the server first; then serve with `--database <url>`.
    MoveToPostgres {
        /// The PostgreSQL database, such as `postgres://lagesbild@db.example/lagesbild`.
        url: String,
    },
    /// Write a consistent copy of the SQLite database to FILE while the server serves
    /// (on PostgreSQL, use its own tools: pg_dump, or pg_basebackup with WAL archiving).
    Backup { file: PathBuf },
    /// Restore a backup into the database (a SQLite file that does not exist yet, or an
    /// empty PostgreSQL database), with every server instance stopped. Starts a new
    /// timeline: devices send again what they made after the backup. Without FILE, on
    /// PostgreSQL: the database was restored with PostgreSQL's tools; only start the new
    /// timeline.
    Restore { file: Option<PathBuf> },
    /// Create the demo workspace with its people, six weeks of reports, the last meetings
    /// and six months of citizen promises and activities followed up; prints an
    /// enrolment code for each person.
    Demo {
        #[arg(long, default_value_t = 300)]
        reports: usize,
        #[arg(long, default_value = "Salem (demo)")]
        name: String,
        /// Write the codes (and links) as JSON here as well.
        #[arg(long)]
        codes: Option<PathBuf>,
        /// The address devices reach the server at, for enrolment links (overrides the
        /// configuration's `public_url`).
        #[arg(long)]
        server_url: Option<String>,
    },
}

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

/// Runs the command; a failure is printed without any password its database settings
/// hold, however the message came to quote them.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let secrets = secrets(&cli);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", scrub(&format!("{e:?}"), &secrets));
            ExitCode::FAILURE
        }
    }
}

/// Every database setting this run may use: the flag, the environment, the
/// configuration file, and the PostgreSQL URL a move goes to.
fn secrets(cli: &Cli) -> Vec<String> {
    let configured = Config::load(cli.config.as_deref()).map(|c| c.database);
    let moved_to = match &cli.command {
        Command::MoveToPostgres { url } => Some(url.clone()),
        _ => None,
    };
    [cli.database.clone(), configured.ok(), moved_to]
        .into_iter()
        .flatten()
        .flat_map(|database| config::secrets(&database))
        .collect()
}

/// Where the configuration comes from; read only by the commands that need it (the
/// OpenAPI description needs none).
struct Setup {
    path: Option<PathBuf>,
    database: Option<String>,
}

impl Setup {
    fn config(&self) -> Result<Config> {
        let mut config = Config::load(self.path.as_deref())?;
        if let Some(database) = &self.database {
            config.database = database.clone();
        }
        Ok(config)
    }

    /// The configuration, logging to stderr, and the service over the opened database.
    fn open(&self) -> Result<Opened> {
        let config = self.config()?;
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_new(&config.log)
                    .unwrap_or_else(|_| "info".into()),
            )
            .with_writer(std::io::stderr)
            .init();
        let storage = storage::open(&config.database)
            .with_context(|| format!("cannot open the database {}", config.redacted_database()))?;
        // The CA enrolment links hand devices, read once.
        let device_ca = config.device_ca()?;
        let service = Arc::new(
            Service::with_storage(storage)
                .with_public_url(config.public_url.clone())
                .with_device_ca(device_ca.clone()),
        );
        Ok(Opened {
            config,
            service,
            device_ca,
        })
    }
}

/// A command's database, opened.
struct Opened {
    config: Config,
    service: Arc<Service>,
    device_ca: Option<String>,
}

fn run(cli: Cli) -> Result<()> {
    let setup = Setup {
        path: cli.config,
        database: cli.database,
    };
    match cli.command {
        Command::Openapi => openapi(),
        Command::Backup { file } => backup(&setup.config()?, &file),
        Command::Restore { file } => restore(&setup.config()?, file.as_deref()),
        Command::MoveToPostgres { url } => move_to_postgres(&setup.config()?, &url),
        Command::Serve { listen } => serve(setup.open()?, listen),
        Command::CreateWorkspace { name } => {
            let w = setup.open()?.service.create_workspace(&name, now())?;
            println!("{}", w.id);
            Ok(())
        }
        Command::Workspaces => {
            for w in setup.open()?.service.workspaces()? {
                println!("{}  {}", w.id, w.name.escape_debug());
            }
            Ok(())
        }
        Command::AddOrganisation {
            workspace,
            kind,
            name,
        } => {
            let service = setup.open()?.service;
            println!(
                "{}",
                service.add_organisation(workspace, &name, kind, now())?.id
            );
            Ok(())
        }
        Command::AddPlace {
            workspace,
            lat,
            lon,
            area,
            is_area,
            name,
        } => {
            let place = Place::new(workspace, &name, is_area, area, lat, lon);
            setup.open()?.service.save_place(&place, now())?;
            println!("{}", place.id);
            Ok(())
        }
        Command::AddUser {
            workspace,
            organisation,
            role,
            name,
        } => {
            let user = NewUser {
                name,
                workspace,
                organisation,
                role,
            };
            println!("{}", setup.open()?.service.add_user(&user, now())?);
            Ok(())
        }
        Command::AddMembership {
            user,
            workspace,
            organisation,
            role,
        } => {
            Ok(setup
                .open()?
                .service
                .add_membership(user, workspace, organisation, role, now())?)
        }
        Command::Enroll {
            user,
            workspace,
            ttl_minutes,
            server_url,
            qr,
        } => enroll(setup.open()?, user, workspace, ttl_minutes, server_url, qr),
        Command::Devices => devices(&setup.open()?.service),
        Command::Revoke { device } => Ok(setup.open()?.service.revoke_device(device, now())?),
        Command::Purge => Ok(setup.open()?.service.rewrite_storage()?),
        Command::Audit { workspace } => {
            print!("{}", setup.open()?.service.audit_export(workspace)?);
            Ok(())
        }
        Command::Demo {
            reports,
            name,
            codes,
            server_url,
        } => demo(setup.open()?, reports, &name, codes, server_url),
    }
}

fn openapi() -> Result<()> {
    println!(
        "{}",
        <lagesbild_sync::http::ApiDoc as utoipa::OpenApi>::openapi().to_pretty_json()?
    );
    Ok(())
}

fn backup(config: &Config, file: &std::path::Path) -> Result<()> {
    let summary = lagesbild_sync::backup::backup(&config.database, file)?;
    println!(
        "{}: {} documents, feed at {}, {} bytes",
        file.display(),
        summary.documents,
        summary.feed_head,
        summary.bytes
    );
    Ok(())
}

fn restore(config: &Config, file: Option<&std::path::Path>) -> Result<()> {
    let (timeline, summary) = lagesbild_sync::backup::restore(file, &config.database)?;
    if let Some(summary) = summary {
        println!(
            "restored {} documents, feed at {}",
            summary.documents, summary.feed_head
        );
    }
    println!(
        "new timeline {} from {}: devices send again what they made after the backup",
        timeline.id, timeline.restored_head
    );
    Ok(())
}

fn move_to_postgres(config: &Config, url: &str) -> Result<()> {
    anyhow::ensure!(
        storage::is_postgres_url(url),
        "{} is not a PostgreSQL URL (postgres://…)",
        config::redact(url)
    );
    anyhow::ensure!(
        !storage::is_postgres_url(&config.database),
        "the database to move from is PostgreSQL already"
    );
    let copied = storage::copy::sqlite_to_postgres(std::path::Path::new(&config.database), url)
        .context("the move to PostgreSQL failed; nothing was stored there")?;
    for (table, rows) in copied {
        println!("{table:<16} {rows:>9}");
    }
    Ok(())
}

fn serve(opened: Opened, listen: Option<std::net::SocketAddr>) -> Result<()> {
    let Opened {
        config, service, ..
    } = opened;
    let listen = listen.unwrap_or(config.listen);
    let tls = config
        .tls(listen)?
        .map(|(certificate, key)| lagesbild_sync::http::tls::acceptor(certificate, key))
        .transpose()?;
    // Database work runs on blocking threads: around SQLite's one connection a few are
    // plenty, and each extra one costs memory; on PostgreSQL a request mostly waits on
    // the network, so one per pooled connection.
    let threads = if service.backend() == "postgres" {
        16
    } else {
        8
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(threads)
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %listener.local_addr()?, scheme, database = %config.redacted_database(), "serving");
        let edge = lagesbild_sync::http::Edge {
            tls,
            trusted_proxies: config.trusted_proxies.clone(),
        };
        lagesbild_sync::http::serve_with(listener, service, edge, shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

fn enroll(
    opened: Opened,
    user: UserId,
    workspace: Option<WorkspaceId>,
    ttl_minutes: i64,
    server_url: Option<String>,
    qr: bool,
) -> Result<()> {
    if ttl_minutes <= 0 {
        bail!("--ttl-minutes must be positive");
    }
    let server = public_url(server_url, &opened.config)?;
    if qr && server.is_none() {
        bail!(
            "--qr needs the address devices reach the server at: --server-url, or public_url in the configuration"
        );
    }
    let code = opened.service.enrolment_code_in(
        user,
        workspace,
        chrono::Duration::minutes(ttl_minutes),
        now(),
    )?;
    println!("{code}");
    if let Some(server) = server {
        let link = EnrolmentLink {
            server,
            code,
            ca: opened.device_ca,
        }
        .to_string();
        println!("{link}");
        if qr {
            println!("{}", qr_code(&link)?);
        }
    }
    Ok(())
}

fn devices(service: &Service) -> Result<()> {
    for d in service.devices()? {
        let state = if d.revoked { "revoked" } else { "active" };
        // Names are checked when they are set; escaped here too, as rows written before were not.
        let workspace = d
            .workspace
            .map_or_else(|| "no workspace: enrol again".into(), |w| w.to_string());
        println!(
            "{}  {state:<7}  {}  ({})  {workspace}",
            d.id,
            d.name.escape_debug(),
            d.user_name.escape_debug()
        );
    }
    Ok(())
}

fn demo(
    opened: Opened,
    reports: usize,
    name: &str,
    codes: Option<PathBuf>,
    server_url: Option<String>,
) -> Result<()> {
    let server = public_url(server_url, &opened.config)?;
    let service = &opened.service;
    let demo = lagesbild_core::demo::workspace(name);
    service
        .install_demo_with_efforts(&demo, reports, now())
        .map_err(|e| anyhow!(e))?;
    println!("workspace {}  {}", demo.workspace.id, demo.workspace.name);
    let mut all = Vec::new();
    for person in &demo.people {
        let code = service.enrolment_code_in(
            person.user,
            Some(demo.workspace.id),
            chrono::Duration::hours(24),
            now(),
        )?;
        println!(
            "{code}  {} ({})",
            person.name,
            person.role.label(lagesbild_core::Lang::Sv)
        );
        let link = server.clone().map(|server| {
            EnrolmentLink {
                server,
                code: code.clone(),
                ca: opened.device_ca.clone(),
            }
            .to_string()
        });
        all.push(serde_json::json!({
            "name": person.name, "role": person.role, "code": code, "link": link,
        }));
    }
    if let Some(path) = codes {
        // The codes let anyone enrol as these people: this user's alone.
        storage::private_file(&path)?;
        std::fs::write(&path, serde_json::to_string_pretty(&all)?)?;
    }
    Ok(())
}

/// The server's address for enrolment links: the flag, else the configuration's.
fn public_url(flag: Option<String>, config: &Config) -> Result<Option<String>> {
    let Some(server) = flag.or_else(|| config.public_url.clone()) else {
        return Ok(None);
    };
    let server = server.trim_end_matches('/').to_string();
    // The same check a device makes when it reads the link.
    let link = EnrolmentLink {
        server,
        code: "-".into(),
        ca: None,
    };
    match EnrolmentLink::parse(&link.to_string()) {
        Some(link) => Ok(Some(link.server)),
        None => bail!(
            "'{}' is not an address devices can reach: use http:// or https://",
            link.server
        ),
    }
}

/// `text` as a QR code of Unicode half blocks, drawn light on dark as most terminals
/// show text, with the quiet zone around it that readers need.
fn qr_code(text: &str) -> Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code =
        qrcode::QrCode::new(text.as_bytes()).context("the link is too long for a QR code")?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .build())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
