//! The daemon's HTTP/1.1 listener (`[daemon] listen`): `/metrics` and
//! `/healthz` for Prometheus and probes, and, once contributors are
//! configured, links submitted by a team: `POST /api/submissions`,
//! `GET /api/queue` (see `submissions`) and the `/submit` page (see
//! `page`).

mod page;
mod submissions;

use std::net::SocketAddr;

use hyper::{Method, StatusCode};
use tokio::net::TcpListener;

use super::health::HealthState;
use super::metrics::Metrics;
use crate::http_server::{self, Answer, Received, respond};
pub(super) use submissions::Submissions;

/// The largest request body taken: a link, a comment and a section fit
/// many times over.
const MAX_BODY: usize = 16 * 1024;

/// Binds `addr` and serves until the task is aborted.
pub(super) async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

pub(super) async fn serve(
    listener: TcpListener,
    metrics: Metrics,
    health: HealthState,
    submissions: Submissions,
) {
    http_server::serve_requests(listener, MAX_BODY, move |request| {
        let (metrics, health, submissions) = (metrics.clone(), health.clone(), submissions.clone());
        async move { answer(request, &metrics, &health, &submissions).await }
    })
    .await;
}

async fn answer(
    request: Received,
    metrics: &Metrics,
    health: &HealthState,
    submissions: &Submissions,
) -> Answer {
    match (&request.method, request.path.as_str()) {
        (&Method::GET, "/metrics") => respond(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        (&Method::GET, "/healthz") => {
            let submitting = submissions.state_line();
            match health.problem() {
                None => respond(StatusCode::OK, "text/plain", format!("ok\n{submitting}\n")),
                Some(problem) => respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    format!("unhealthy: {problem}\n{submitting}\n"),
                ),
            }
        }
        (&Method::POST, "/api/submissions") => submissions.submit(&request).await,
        (&Method::GET, "/api/queue") => submissions.queue(&request).await,
        (&Method::GET, "/submit") => page::submit_page(&submissions.sections()),
        (_, "/metrics" | "/healthz" | "/api/submissions" | "/api/queue" | "/submit") => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            format!("{} is not answered on {}\n", request.method, request.path),
        ),
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /metrics, /healthz or /submit\n",
        ),
    }
}
