//! Requests over HTTP, mapped to the engine's requests, responses and failures.

use std::time::Duration;

use base64::Engine;

use lagesbild_core::sync::engine::{LONG_POLL_SECONDS, Request, Response, TransportError};
use lagesbild_core::sync::link::{EnrolmentLink, PlainServer, check_server_address};
use lagesbild_core::sync::wire::{
    AdminChange, AdminOutcome, AuditEntry, EnrollRequest, EnrollResponse, ErrorBody, People,
    Register, RegisterChange,
};
use lagesbild_core::{ObservationId, WorkspaceId};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    server: String,
    token: String,
    /// The CA besides the system's roots, handed on in the enrolment links it makes.
    ca: Option<String>,
}

/// Refuses a server the device would reach in the clear (`check_server_address`),
/// before anything is sent.
fn checked(server: &str) -> Result<String, TransportError> {
    check_server_address(server).map_err(|e| TransportError::Untrusted(e.to_string()))?;
    Ok(base(server))
}

/// A client that verifies the server's certificate against the system's roots and, when
/// given, the municipality's own CA (DER in base64url, as the enrolment link has it).
/// A redirect is followed only to an address the device may reach.
pub(crate) fn client(ca: Option<&str>) -> Result<reqwest::Client, TransportError> {
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("too many redirects")
        } else if let Err(refused) = check_server_address(attempt.url().as_str()) {
            attempt.error(refused)
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .redirect(redirects)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("lagesbild/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = ca {
        let invalid = |e: &dyn std::fmt::Display| {
            TransportError::Unreachable(format!(
                "CA-certifikatet i inbjudningslänken går inte att läsa ({e})"
            ))
        };
        let der = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(ca.trim_end_matches('='))
            .map_err(|e| invalid(&e))?;
        let certificate = reqwest::Certificate::from_der(&der).map_err(|e| invalid(&e))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| TransportError::Unreachable(e.to_string()))
}

/// Why a request failed, in words: a server whose certificate is not trusted is named
/// as such (in Swedish, as the app shows it), not as one that cannot be reached.
fn failure(e: &reqwest::Error) -> TransportError {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut certificate = false;
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<PlainServer>() {
            // A redirect to an address the device may not reach.
            return TransportError::Untrusted(refused.to_string());
        }
        let text = s.to_string();
        certificate |= text.contains("certificate");
        chain.push_str(": ");
        chain.push_str(&text);
        source = s.source();
    }
    if certificate {
        TransportError::Untrusted(format!(
            "Servern kunde inte styrka att den är den rätta: dess certifikat är inte betrott. \
             Fråga samordnaren efter en ny inbjudningslänk. ({chain})"
        ))
    } else {
        TransportError::Unreachable(chain)
    }
}

fn base(server: &str) -> String {
    server.trim().trim_end_matches('/').to_string()
}

async fn read<T: DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, TransportError> {
    let response = response.map_err(|e| failure(&e))?;
    let status = response.status();
    if status.is_success() {
        // A body cut short fails to decode: treat it like a dropped connection.
        return response
            .json::<T>()
            .await
            .map_err(|e| TransportError::Unreachable(format!("the response was incomplete: {e}")));
    }
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| ErrorBody {
        code: "http".into(),
        message: format!("HTTP {status}: {text}"),
    });
    Err(match status.as_u16() {
        401 => TransportError::Unauthorized(body),
        code @ 400..=499 => TransportError::Rejected { status: code, body },
        code => TransportError::Server {
            status: code,
            message: body.message,
        },
    })
}

/// Exchanges an enrolment code for this device's credential.
pub async fn enroll(
    server: &str,
    ca: Option<&str>,
    request: &EnrollRequest,
) -> Result<EnrollResponse, TransportError> {
    let server = checked(server)?;
    let client = client(ca)?;
    read(
        client
            .post(format!("{server}/v1/enroll"))
            .timeout(Duration::from_secs(30))
            .json(request)
            .send()
            .await,
    )
    .await
}

impl HttpTransport {
    pub fn new(
        server: &str,
        token: &str,
        ca: Option<&str>,
    ) -> Result<HttpTransport, TransportError> {
        Ok(HttpTransport {
            server: checked(server)?,
            client: client(ca)?,
            token: token.to_string(),
            ca: ca.map(str::to_string),
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// Erases an observation everywhere (the coordinator only). Needs a connection: an
    /// erasure is never queued.
    pub async fn erase(
        &self,
        workspace: WorkspaceId,
        id: ObservationId,
    ) -> Result<(), TransportError> {
        let response = self
            .client
            .post(format!(
                "{}/v1/workspaces/{workspace}/observations/{id}/erase",
                self.server
            ))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Ok(()),
            other => read::<serde_json::Value>(other).await.map(|_| ()),
        }
    }

    /// The coordinator changes the register; the answer is the new register.
    pub async fn change_register(
        &self,
        workspace: WorkspaceId,
        change: &RegisterChange,
    ) -> Result<Register, TransportError> {
        self.coordinator(workspace, "register/changes", &[], Some(change))
            .await
    }

    /// The coordinator's view of the workspace's organisations, people and devices.
    pub async fn people(&self, workspace: WorkspaceId) -> Result<People, TransportError> {
        self.coordinator(workspace, "admin", &[], None::<&()>).await
    }

    /// One administrative act by the coordinator; the answer is the people as they are
    /// now, with the code issued, if any.
    ///
    /// A code comes with its enrolment link; where the server does not know its public
    /// address, the link names the address this device reaches it at.
    pub async fn administer(
        &self,
        workspace: WorkspaceId,
        change: &AdminChange,
    ) -> Result<AdminOutcome, TransportError> {
        let mut outcome: AdminOutcome = self
            .coordinator(workspace, "admin/changes", &[], Some(change))
            .await?;
        if let Some(code) = outcome.code.as_mut().filter(|c| c.link.is_none()) {
            let link = EnrolmentLink {
                server: self.server.clone(),
                code: code.code.clone(),
                ca: self.ca.clone(),
            };
            code.link = Some(link.to_string());
        }
        Ok(outcome)
    }

    /// The workspace's audit log, newest first, before `before`.
    pub async fn audit(
        &self,
        workspace: WorkspaceId,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, TransportError> {
        let query: Vec<_> = before
            .map(|b| ("before", b.to_string()))
            .into_iter()
            .collect();
        self.coordinator(workspace, "audit", &query, None::<&()>)
            .await
    }

    /// The workspace's whole audit log as CSV, oldest first, as the server writes it.
    pub async fn audit_csv(&self, workspace: WorkspaceId) -> Result<String, TransportError> {
        let response = self
            .client
            .get(format!(
                "{}/v1/workspaces/{workspace}/audit.csv",
                self.server
            ))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => r.text().await.map_err(|e| {
                TransportError::Unreachable(format!("the response was incomplete: {e}"))
            }),
            other => read::<serde_json::Value>(other)
                .await
                .map(|_| String::new()),
        }
    }

    /// A coordinator's request that needs the server now: a `GET`, or a `POST` of `body`.
    async fn coordinator<T: DeserializeOwned>(
        &self,
        workspace: WorkspaceId,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl serde::Serialize>,
    ) -> Result<T, TransportError> {
        let url = format!("{}/v1/workspaces/{workspace}/{path}", self.server);
        let request = match body {
            Some(body) => self.client.post(url).json(body),
            None => self.client.get(url),
        };
        read(
            request
                .query(query)
                .bearer_auth(&self.token)
                .timeout(Duration::from_secs(30))
                .send()
                .await,
        )
        .await
    }

    pub async fn send(
        &self,
        workspace: WorkspaceId,
        request: &Request,
    ) -> Result<Response, TransportError> {
        let url = format!("{}/v1/workspaces/{workspace}", self.server);
        let normal = Duration::from_secs(60);
        let get = |path: &str, query: Vec<(&str, String)>, timeout: Duration| {
            self.client
                .get(format!("{url}/{path}"))
                .query(&query)
                .bearer_auth(&self.token)
                .timeout(timeout)
                .send()
        };
        match request {
            Request::Register { since } => {
                read(get("register", vec![("since", since.to_string())], normal).await)
                    .await
                    .map(Response::Register)
            }
            Request::Projections { before, at } => {
                let mut query = Vec::new();
                if let Some(before) = before {
                    query.push(("before", before.observed_at.to_string()));
                    query.push(("before_doc", before.doc.to_string()));
                }
                if let Some(at) = at {
                    query.push(("at", at.to_string()));
                }
                read(get("projections", query, normal).await)
                    .await
                    .map(Response::Projections)
            }
            Request::Bootstrap { after, at } => {
                let mut query = vec![("at", at.to_string()), ("projections", "false".into())];
                if let Some(after) = after {
                    query.push(("after", after.to_string()));
                }
                read(get("bootstrap", query, normal).await)
                    .await
                    .map(Response::Bootstrap)
            }
            Request::Push { request, .. } => read(
                self.client
                    .post(format!("{url}/push"))
                    .bearer_auth(&self.token)
                    .timeout(normal)
                    .json(request)
                    .send()
                    .await,
            )
            .await
            .map(Response::Push),
            Request::Feed { since, wait } => {
                let timeout = if *wait > 0 {
                    Duration::from_secs(u64::from(LONG_POLL_SECONDS) + 15)
                } else {
                    normal
                };
                read(
                    get(
                        "feed",
                        vec![("since", since.to_string()), ("wait", wait.to_string())],
                        timeout,
                    )
                    .await,
                )
                .await
                .map(Response::Feed)
            }
        }
    }
}
