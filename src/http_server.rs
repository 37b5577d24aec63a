//! The small HTTP/1.1 server newsdesk runs in its own process: the
//! daemon's `/metrics` and `/healthz`, and the sample feeds `newsdesk demo`
//! polls. A request is answered from its path by a plain function; a client
//! that sends no headers within 5 s is dropped, so an idle connection holds
//! nothing for long.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// What an answer function returns.
pub type Answer = Response<Full<Bytes>>;

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves every connection accepted on `listener`, each request answered
/// by `answer(path)`, until the task is aborted.
pub async fn serve<F>(listener: TcpListener, answer: F)
where
    F: Fn(&str) -> Answer + Clone + Send + Sync + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let response = answer(request.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(err) = connection.await {
                tracing::debug!(%err, "HTTP connection ended");
            }
        });
    }
}

/// A response with `status`, a `Content-Type` and `body`.
pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .body(Full::new(body.into()))
        .expect("a status and one valid header make a valid response")
}
