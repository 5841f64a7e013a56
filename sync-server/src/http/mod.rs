//! The HTTP API: a thin shell over `Service`. Blocking database work runs on tokio's
//! blocking pool; long polls wait on the workspace's feed signal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, State};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lagesbild_core::sync::wire::{
    AdminChange, AdminOutcome, AuditEntry, BootstrapPage, EnrollRequest, EnrollResponse, ErrorBody,
    FeedPage, MAX_PAGE, Me, People, ProjectionKey, ProjectionPage, PushRequest, PushResponse,
    Register, RegisterChange,
};
use lagesbild_core::{DeviceId, ObservationId, Timestamp, WorkspaceId};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::service::{Device, Member, Projections, Reading, Service, ServiceError};

mod admission;
mod deadline;
mod extract;
mod flights;
mod listen;
mod share;
mod throttle;
pub mod tls;

use share::{Hold, Link, Shares};
use throttle::{Throttle, Tried};

pub use deadline::{BODY_TIMEOUT, POLL_TIMEOUT, PUSH_TIMEOUT, REQUEST_TIMEOUT};
pub use listen::{HEADER_TIMEOUT, MAX_CONNECTIONS};
pub use share::{
    MAX_CONNECTIONS_PER_DEVICE, MAX_POLLS_PER_DEVICE, MAX_REQUESTS_PER_DEVICE,
    MAX_UNPROVEN_PER_PEER,
};
pub use throttle::{ENROLMENT_FAILURES_ALLOWED, FAILURES_ALLOWED, WINDOW};

use admission::Admission;
use extract::{Body, Path, Query};

/// The largest request body accepted: a push of many changes.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The largest body of every other request (an enrolment, a register change).
pub const MAX_SMALL_BODY_BYTES: usize = 64 * 1024;
/// The longest a long poll may wait.
pub const MAX_WAIT_SECONDS: u64 = 30;

#[derive(Debug, Clone)]
pub struct AppState {
    service: Arc<Service>,
    stopping: watch::Receiver<bool>,
    admission: Arc<Admission>,
    throttle: Arc<Throttle>,
    flights: Arc<flights::Flights>,
    shares: Arc<Shares>,
}

/// Responses worth compressing: a long poll's page of one new report (a few KB) costs
/// more to gzip (zlib's state is set up per response) than it saves on the wire, and a
/// thousand long polls wake at once; bootstrap and feed pages of many changes shrink.
fn compress_when() -> impl Predicate {
    SizeAbove::new(8 * 1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
}

/// The API's routes over `service`. `stopping` turns true when the server shuts down,
/// so long polls return at once.
pub fn router(service: Arc<Service>, stopping: watch::Receiver<bool>) -> Router {
    router_with(service, stopping, Arc::default())
}

/// `router`, counting devices' shares in `shares` (which the connections count in too).
fn router_with(
    service: Arc<Service>,
    stopping: watch::Receiver<bool>,
    shares: Arc<Shares>,
) -> Router {
    let state = AppState {
        service,
        stopping,
        admission: Arc::new(Admission::default()),
        throttle: Arc::new(Throttle::default()),
        flights: Arc::default(),
        shares,
    };
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/v1/enroll", post(enroll))
        .route("/v1/me", get(me))
        .route("/v1/workspaces/{workspace}/register", get(register))
        .route(
            "/v1/workspaces/{workspace}/register/changes",
            post(change_register),
        )
        .route(
            "/v1/workspaces/{workspace}/push",
            post(push).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/v1/workspaces/{workspace}/feed", get(feed))
        .route("/v1/workspaces/{workspace}/bootstrap", get(bootstrap))
        .route("/v1/workspaces/{workspace}/projections", get(projections))
        .route(
            "/v1/workspaces/{workspace}/observations/{id}/erase",
            post(erase),
        )
        .route("/v1/workspaces/{workspace}/admin", get(people))
        .route("/v1/workspaces/{workspace}/admin/changes", post(administer))
        .route("/v1/workspaces/{workspace}/audit", get(audit))
        .route("/v1/workspaces/{workspace}/audit.csv", get(audit_csv))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_SMALL_BODY_BYTES))
        .layer(axum::middleware::from_fn(deadline::layer))
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(compress_when()),
        )
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", |p| p.as_str());
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::with_status(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /openapi.json",
    )
}

async fn method_not_allowed() -> AppError {
    AppError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /openapi.json",
    )
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, service, Edge::default(), shutdown).await
}

/// How the server meets the network.
#[derive(Clone, Default)]
pub struct Edge {
    /// HTTPS with this acceptor (`tls::acceptor`); plain HTTP without.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Proxies whose `X-Forwarded-For` (or `Forwarded`) names the client: the limits
    /// per address then count the client, and the proxy's connections are not limited
    /// as one address's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("tls", &self.tls.is_some())
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// `serve`, as `edge` says.
pub async fn serve_with(
    listener: TcpListener,
    service: Arc<Service>,
    edge: Edge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Other server instances on the same database wake this one's long polls.
    service
        .listen_to_other_instances()
        .map_err(std::io::Error::other)?;
    let (stop, stopping) = watch::channel(false);
    let shares = Arc::new(Shares::default());
    let app = router_with(service, stopping, Arc::clone(&shares));
    let trusted = edge.trusted_proxies.into();
    listen::accept(listener, app, edge.tls, trusted, shares, async move {
        shutdown.await;
        tracing::info!("shutting down");
        // Long polls answer at once, so the connections drain.
        stop.send_replace(true);
    })
    .await
}

/// Errors as `{code, message}` with a status. Internal causes are logged, not sent.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl AppError {
    /// A failed guess at a credential or an enrolment code (not a revoked device, which
    /// retries with a credential that was once valid).
    fn failed_guess(&self) -> bool {
        self.code == "unauthorized"
    }

    pub(crate) fn with_status(status: StatusCode, code: &'static str, message: &str) -> AppError {
        AppError {
            status,
            code,
            message: message.to_string(),
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Unauthorized(_) | ServiceError::Revoked(_) => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden(_) | ServiceError::Deactivated(_) => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServiceError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ServiceError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &e {
            ServiceError::Internal(cause) => {
                tracing::error!(cause = %cause.escape_debug(), "request failed");
                "the server failed; try again later".to_string()
            }
            other => other.to_string(),
        };
        AppError {
            status,
            code: e.code(),
            message,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response();
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("2"),
            );
        }
        response
    }
}

type ApiResult<T> = Result<Json<T>, AppError>;

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

/// Runs `f`, which blocks on the database, on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Service) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, AppError> {
    let service = Arc::clone(&state.service);
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| AppError::from(ServiceError::Internal(format!("a worker failed: {e}"))))?
        .map_err(AppError::from)
}

/// The device behind the request's bearer token.
#[derive(Debug)]
pub struct Authed(Device);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let device = Credential::of(parts)?
            .check(state, |_, device| Ok(device))
            .await?;
        admit(parts, state, device.id)?;
        Ok(Authed(device))
    }
}

/// The device behind the request's bearer token, acting in the workspace the path names:
/// the credential and the membership are read in one trip to the database.
#[derive(Debug)]
pub struct InWorkspace(Member);

/// The path of every route under `/v1/workspaces/{workspace}`.
#[derive(Deserialize)]
struct WorkspacePath {
    workspace: WorkspaceId,
}

impl FromRequestParts<AppState> for InWorkspace {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let workspace = workspace_of(parts, state).await?;
        let member = Credential::of(parts)?
            .check(state, move |s, device| s.member(&device, workspace))
            .await?;
        admit(parts, state, member.device.id)?;
        Ok(InWorkspace(member))
    }
}

/// `InWorkspace` for the long polls: a credential presented lately is answered for from
/// memory (see `Service::known_member`). The credential is kept, so the long poll can
/// check again that it still stands when access changes while it waits.
#[derive(Debug)]
pub struct Polling {
    member: Member,
    credential: Credential,
    /// When `member` was known to stand.
    reading: Reading,
}

impl FromRequestParts<AppState> for Polling {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let workspace = workspace_of(parts, state).await?;
        let credential = Credential::of(parts)?;
        let (member, reading) = credential.member(state, workspace).await?;
        admit(parts, state, member.device.id)?;
        Ok(Polling {
            member,
            credential,
            reading,
        })
    }
}

/// Counts the request against `device`'s share: its connection and its requests under
/// way. A connection refused for its device's share is closed after the answer.
fn admit(parts: &Parts, state: &AppState, device: DeviceId) -> Result<(), AppError> {
    let hold = parts.extensions.get::<Arc<Hold>>();
    if let Some(link) = parts.extensions.get::<Arc<Link>>()
        && let Err(e) = link.prove(device)
    {
        if let Some(hold) = hold {
            hold.close();
        }
        return Err(e.into());
    }
    let request = state.shares.request(device)?;
    if let Some(hold) = hold {
        hold.keep(request);
    }
    Ok(())
}

/// The workspace the path names. A path that names none is refused after the
/// credential is checked, as everywhere.
async fn workspace_of(parts: &mut Parts, state: &AppState) -> Result<WorkspaceId, AppError> {
    match Path::<WorkspacePath>::from_request_parts(parts, state).await {
        Ok(Path(path)) => Ok(path.workspace),
        Err(e) => {
            Authed::from_request_parts(parts, state).await?;
            Err(e)
        }
    }
}

/// What a request presents to say which device sends it.
#[derive(Clone)]
struct Credential {
    token: String,
    peer: Option<std::net::IpAddr>,
    /// Devices say their version as `User-Agent: lagesbild/<version>`.
    version: Option<String>,
}

/// Without the token, which is the device's secret.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("peer", &self.peer)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// The request's credential, refused at once when missing.
    fn of(parts: &Parts) -> Result<Credential, AppError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::from(ServiceError::Unauthorized(
                    "send the device's credential as `Authorization: Bearer <token>`".into(),
                ))
            })?;
        let version = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("lagesbild/"))
            .map(str::to_string);
        Ok(Credential {
            token,
            peer: listen::peer_of(&parts.extensions),
            version,
        })
    }

    /// Finds the device in the database and then, in the same blocking call, what
    /// `then` reads for it. A valid credential is never refused for failures, its
    /// address's or anyone's; a failed guess counts against the address, and past its
    /// limit is answered `429`.
    async fn check<T: Send + 'static>(
        &self,
        state: &AppState,
        then: impl FnOnce(&Service, Device) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (token, peer, version) = (self.token.clone(), self.peer, self.version.clone());
        let found = blocking(state, move |s| {
            let mut device = s.authenticate(&token, version.as_deref(), now())?;
            device.address = peer;
            then(s, device)
        })
        .await;
        if let Err(e) = &found
            && e.failed_guess()
        {
            state
                .throttle
                .failed(Tried::Credential, peer, std::time::Instant::now())?;
        }
        found
    }

    /// The member behind the credential in `workspace`, from memory when it was found
    /// lately, and since when it is known to stand.
    async fn member(
        &self,
        state: &AppState,
        workspace: WorkspaceId,
    ) -> Result<(Member, Reading), AppError> {
        let service = &state.service;
        // Taken first: access that changes from here on is seen as changed.
        let reading = service.reading();
        if let Some(mut member) =
            service.known_member(&self.token, self.version.as_deref(), workspace)
        {
            member.device.address = self.peer;
            return Ok((member, reading));
        }
        let member = self
            .check(state, move |s, device| s.member(&device, workspace))
            .await?;
        service.remember_member(&self.token, self.version.as_deref(), &member, reading);
        Ok((member, reading))
    }
}

#[utoipa::path(get, path = "/health", tag = "server", responses((status = 200, description = "The server is up")))]
async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(post, path = "/v1/enroll", tag = "devices", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse), (status = 401, description = "The code is unknown, used or expired", body = ErrorBody)))]
async fn enroll(
    State(state): State<AppState>,
    peer: Peer,
    Body(request): Body<EnrollRequest>,
) -> ApiResult<EnrollResponse> {
    // Guessing is slowed without refusing a valid code: one held back is looked up
    // (without writing) and let through when it would enrol.
    if let Err(slowed) = state
        .throttle
        .admit_enrolment(peer.0, std::time::Instant::now())
    {
        let code = request.code.clone();
        if !blocking(&state, move |s| s.code_is_usable(&code, now())).await? {
            return Err(slowed.into());
        }
    }
    let enrolled = blocking(&state, move |s| s.enroll(&request, peer.0, now())).await;
    if let Err(e) = &enrolled
        && e.failed_guess()
    {
        state
            .throttle
            .failed(Tried::EnrolmentCode, peer.0, std::time::Instant::now())?;
    }
    enrolled.map(Json)
}

/// The client's address, when the request came through `serve`.
#[derive(Debug)]
struct Peer(Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(listen::peer_of(&parts.extensions)))
    }
}

#[utoipa::path(get, path = "/v1/me", tag = "devices", security(("device" = [])),
    responses((status = 200, body = Me), (status = 401, description = "Unknown or revoked device", body = ErrorBody)))]
async fn me(State(state): State<AppState>, Authed(device): Authed) -> ApiResult<Me> {
    blocking(&state, move |s| s.me(&device)).await.map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RegisterQuery {
    #[serde(default)]
    since: i64,
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/register", tag = "sync", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), RegisterQuery),
    responses((status = 200, body = Register), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Query(query): Query<RegisterQuery>,
) -> ApiResult<Register> {
    if query.since < 0 {
        return Err(
            ServiceError::BadRequest("`since` is a register version (0 or more)".into()).into(),
        );
    }
    blocking(&state, move |s| s.register(&member, query.since))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/workspaces/{workspace}/register/changes", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path)), request_body = RegisterChange,
    responses((status = 200, description = "The changed register", body = Register), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, description = "Only the coordinator may", body = ErrorBody)))]
async fn change_register(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Body(change): Body<RegisterChange>,
) -> ApiResult<Register> {
    blocking(&state, move |s| s.change_register(&member, &change, now()))
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/v1/workspaces/{workspace}/push", tag = "sync", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path)), request_body = PushRequest,
    responses((status = 200, description = "One outcome per change, in order", body = PushResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, description = "The request is too large")))]
async fn push(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    request: axum::extract::Request,
) -> ApiResult<PushResponse> {
    // Room for the body comes before it is read, so waiting pushes buffer nothing.
    let length = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            AppError::with_status(
                StatusCode::LENGTH_REQUIRED,
                "length_required",
                "a push must say its length (Content-Length)",
            )
        })?;
    // A body past the limit is refused by the body limit as it is read, like any other.
    let length = length.min(MAX_BODY_BYTES as u64 + 1);
    let mut turn = state.admission.push(member.device.id, length).await?;
    let Body(push) = tokio::time::timeout(
        admission::BODY_TIMEOUT,
        Body::<PushRequest>::from_request(request, &state),
    )
    .await
    .map_err(|_| {
        AppError::with_status(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the push's body did not arrive in time",
        )
    })??;
    turn.check().await?;
    blocking(&state, move |s| s.push(&member, &push, now()))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    #[serde(default)]
    since: i64,
    limit: Option<usize>,
    /// Seconds to wait for something new (long poll); 0 answers at once.
    #[serde(default)]
    wait: u64,
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/feed", tag = "sync", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), FeedQuery),
    responses((status = 200, body = FeedPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn feed(
    State(state): State<AppState>,
    polling: Polling,
    Query(query): Query<FeedQuery>,
) -> ApiResult<FeedPage> {
    let Polling {
        mut member,
        credential,
        mut reading,
    } = polling;
    if query.since < 0 || query.limit == Some(0) {
        return Err(ServiceError::BadRequest(
            "`since` is a cursor (0 or more) and `limit` at least 1".into(),
        )
        .into());
    }
    let limit = query.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(query.wait.min(MAX_WAIT_SECONDS));
    // Subscribe before reading, so nothing that lands in between is missed.
    let mut grew = state.service.watch(member.workspace);
    let mut access = state.service.watch_access();
    let mut stopping = state.stopping.clone();
    // A device holds its share of long polls; past it, its oldest answers now.
    let turn = (query.wait > 0).then(|| state.shares.poll(member.device.id));
    let superseded = async {
        match &turn {
            Some(turn) => turn.superseded().await,
            None => std::future::pending().await,
        }
    };
    let mut superseded = std::pin::pin!(superseded);
    let mut answer_now = false;
    let mut since = query.since;
    let mut register_version = None;
    loop {
        // Access changed since the member was read (a device revoked, a person
        // deactivated or moved): nothing is read for it before it is found again.
        if state.service.access_changed_since(reading) {
            reading = state.service.reading();
            let workspace = member.workspace;
            member = credential
                .check(&state, move |s, device| s.member(&device, workspace))
                .await?;
        }
        let page = read_feed(&state, &member, since, limit).await?;
        // Access changed while the page was read: it goes out only to a member found
        // again (the loop's first step), never on what was true before.
        if state.service.access_changed_since(reading) {
            continue;
        }
        let register_changed =
            *register_version.get_or_insert(page.register_version) != page.register_version;
        if !page.entries.is_empty()
            || page.more
            || register_changed
            || tokio::time::Instant::now() >= deadline
            || *stopping.borrow()
            || answer_now
        {
            return Ok(Json(page));
        }
        // Nothing this device may see yet (perhaps only its own changes): wait on.
        since = page.cursor;
        tokio::select! {
            _ = grew.changed() => {}
            _ = access.changed() => {}
            _ = stopping.changed() => {}
            () = &mut superseded => answer_now = true,
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// The page after `since`: from memory when the long polls that woke with this one had
/// it read, else read once for all of them.
async fn read_feed(
    state: &AppState,
    member: &Member,
    since: i64,
    limit: usize,
) -> Result<FeedPage, AppError> {
    if let Some(page) = state.service.feed_from_memory(member, since, limit)? {
        return Ok(page);
    }
    let flight = state.flights.of((member.workspace, since, limit));
    let _turn = flight.lock().await;
    if let Some(page) = state.service.feed_from_memory(member, since, limit)? {
        return Ok(page);
    }
    let member = member.clone();
    blocking(state, move |s| s.feed(&member, since, limit)).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BootstrapQuery {
    after: Option<Uuid>,
    at: Option<i64>,
    limit: Option<usize>,
    /// `false`: only the documents this device may read, without projections (it has
    /// them from `projections`). Default `true`.
    projections: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ProjectionsQuery {
    /// With `before_doc`: the next page starts after this one (`next` of the last page).
    before: Option<i64>,
    before_doc: Option<Uuid>,
    at: Option<i64>,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/projections", tag = "sync", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), ProjectionsQuery),
    responses((status = 200, body = ProjectionPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn projections(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Query(query): Query<ProjectionsQuery>,
) -> ApiResult<Projections> {
    let before = match (query.before, query.before_doc) {
        (Some(observed_at), Some(doc)) => Some(ProjectionKey { observed_at, doc }),
        (None, None) => None,
        _ => {
            return Err(
                ServiceError::BadRequest("`before` and `before_doc` go together".into()).into(),
            );
        }
    };
    if query.at.is_some_and(|at| at < 0) || query.limit == Some(0) {
        return Err(ServiceError::BadRequest(
            "`at` is a cursor (0 or more) and `limit` at least 1".into(),
        )
        .into());
    }
    blocking(&state, move |s| {
        s.projections(&member, before, query.at, query.limit.unwrap_or(MAX_PAGE))
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/bootstrap", tag = "sync", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), BootstrapQuery),
    responses((status = 200, body = BootstrapPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn bootstrap(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Query(query): Query<BootstrapQuery>,
) -> ApiResult<BootstrapPage> {
    if query.at.is_some_and(|at| at < 0) || query.limit == Some(0) {
        return Err(ServiceError::BadRequest(
            "`at` is a cursor (0 or more) and `limit` at least 1".into(),
        )
        .into());
    }
    blocking(&state, move |s| {
        s.bootstrap(
            &member,
            query.after,
            query.at,
            query.limit.unwrap_or(MAX_PAGE),
            query.projections.unwrap_or(true),
        )
    })
    .await
    .map(Json)
}

#[utoipa::path(post, path = "/v1/workspaces/{workspace}/observations/{id}/erase", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), ("id" = ObservationId, Path)),
    responses((status = 204, description = "Erased (or erased before)"), (status = 403, description = "Only the coordinator erases", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn erase(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Path((_, id)): Path<(WorkspaceId, ObservationId)>,
) -> Result<StatusCode, AppError> {
    blocking(&state, move |s| s.erase(&member, id, now())).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/admin", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path)),
    responses((status = 200, description = "Organisations and people, with their devices", body = People), (status = 403, description = "Only the coordinator administers", body = ErrorBody)))]
async fn people(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
) -> ApiResult<People> {
    blocking(&state, move |s| s.people(&member)).await.map(Json)
}

#[utoipa::path(post, path = "/v1/workspaces/{workspace}/admin/changes", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path)), request_body = AdminChange,
    responses((status = 200, description = "The people as they are now, and the code issued", body = AdminOutcome), (status = 400, body = ErrorBody), (status = 403, description = "Only the coordinator administers", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn administer(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Body(change): Body<AdminChange>,
) -> ApiResult<AdminOutcome> {
    blocking(&state, move |s| s.administer(&member, &change, now()))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// Entries before this `seq` (the next page of an older part of the log).
    before: Option<i64>,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/audit", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path), AuditQuery),
    responses((status = 200, description = "The audit log, newest first", body = Vec<AuditEntry>), (status = 403, description = "Only the coordinator reads it", body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Vec<AuditEntry>> {
    let limit = query.limit.unwrap_or(crate::service::MAX_AUDIT_PAGE);
    blocking(&state, move |s| s.audit(&member, query.before, limit))
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/v1/workspaces/{workspace}/audit.csv", tag = "coordinator", security(("device" = [])),
    params(("workspace" = WorkspaceId, Path)),
    responses((status = 200, description = "The whole audit log as CSV, oldest first", content_type = "text/csv", body = String), (status = 403, description = "Only the coordinator reads it", body = ErrorBody)))]
async fn audit_csv(
    State(state): State<AppState>,
    InWorkspace(member): InWorkspace,
) -> Result<Response, AppError> {
    let csv = blocking(&state, move |s| s.audit_csv(&member)).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response())
}

/// The API description, generated from the handlers and the wire types.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(title = "Lägesbild sync API", description = "Devices push their Automerge changes and pull a per-workspace feed from a cursor; see the README for the protocol."),
    paths(health, enroll, me, register, change_register, push, feed, bootstrap, projections, erase, people, administer, audit, audit_csv),
    modifiers(&BearerAuth),
    tags((name = "devices"), (name = "sync"), (name = "coordinator"), (name = "server"))
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}
