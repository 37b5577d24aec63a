//! The small HTTP/1.1 server newsdesk runs in its own process: the
//! daemon's `/metrics`, `/healthz` and submission endpoints, and the
//! sample feeds `newsdesk demo` polls. A request is answered by a plain
//! function, from its path or from the whole [`Received`] request; a
//! client that sends no headers within 5 s, or not its body within 10 s,
//! is dropped, so an idle connection holds nothing for long, and a body
//! over the server's limit is answered 413 unread.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_LENGTH;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// What an answer function returns.
pub type Answer = Response<Full<Bytes>>;

const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request read whole: what an answer function sees.
#[derive(Debug)]
pub struct Received {
    pub method: Method,
    pub path: String,
    /// What follows `?`, undecoded.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// A header's value as text, when it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Serves every connection accepted on `listener`, each request answered
/// by `answer(path)`, until the task is aborted.
pub async fn serve<F>(listener: TcpListener, answer: F)
where
    F: Fn(&str) -> Answer + Clone + Send + Sync + 'static,
{
    serve_requests(listener, 0, move |request: Received| {
        std::future::ready(answer(&request.path))
    })
    .await;
}

/// Serves every connection accepted on `listener`, each request read
/// whole (a body of at most `max_body` bytes) and answered by `answer`,
/// until the task is aborted.
pub async fn serve_requests<F, A>(listener: TcpListener, max_body: usize, answer: F)
where
    F: Fn(Received) -> A + Clone + Send + Sync + 'static,
    A: Future<Output = Answer> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let answer = answer.clone();
                async move {
                    let response = match read_whole(request, max_body).await {
                        Ok(received) => answer(received).await,
                        Err(refusal) => refusal,
                    };
                    Ok::<_, Infallible>(response)
                }
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

/// The request with its body, or the answer that refuses it (413 over
/// the limit, 408 too slow, 400 cut off).
async fn read_whole(request: Request<Incoming>, max_body: usize) -> Result<Received, Answer> {
    let too_large = || {
        respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            format!("the request body is over the {max_body}-byte limit\n"),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let collected = tokio::time::timeout(BODY_READ_TIMEOUT, Limited::new(body, max_body).collect());
    let body = match collected.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(err)) => {
            return Err(respond(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                format!("the request body could not be read: {err}\n"),
            ));
        }
        Err(_) => {
            return Err(respond(
                StatusCode::REQUEST_TIMEOUT,
                "text/plain; charset=utf-8",
                format!(
                    "the request body did not arrive within {}s\n",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    Ok(Received {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    })
}

/// A response with `status`, a `Content-Type` and `body`.
pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .header("X-Content-Type-Options", "nosniff")
        .body(Full::new(body.into()))
        .expect("a status and valid headers make a valid response")
}
