//! `/metrics` and `/healthz` over HTTP/1.1, for Prometheus and probes.

use std::net::SocketAddr;

use hyper::StatusCode;
use tokio::net::TcpListener;

use super::health::HealthState;
use super::metrics::Metrics;
use crate::http_server::{self, Answer, respond};

/// Binds `addr` and serves until the task is aborted.
pub(super) async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

pub(super) async fn serve(listener: TcpListener, metrics: Metrics, health: HealthState) {
    http_server::serve(listener, move |path| answer(path, &metrics, &health)).await;
}

fn answer(path: &str, metrics: &Metrics, health: &HealthState) -> Answer {
    let (status, content_type, body) = match path {
        "/metrics" => (
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        "/healthz" => match health.problem() {
            None => (StatusCode::OK, "text/plain", "ok\n".to_owned()),
            Some(problem) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("unhealthy: {problem}\n"),
            ),
        },
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /metrics or /healthz\n".to_owned(),
        ),
    };
    respond(status, content_type, body)
}
