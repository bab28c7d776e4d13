//! The agent's own HTTP endpoint: `GET /metrics` (text format 0.0.4; backup and drill gauges
//! refreshed from the status files at each scrape) and `GET /health` (200 while the daemon runs).

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use shared::http_server::Limits;
use warp::Filter;
use warp::http::{Response, StatusCode, header};

use crate::metrics::AgentMetrics;

/// The routes; `backup_dir` is where the status files are read from.
pub fn routes(
    metrics: Arc<AgentMetrics>,
    backup_dir: PathBuf,
) -> impl Filter<Extract = (Response<Vec<u8>>,), Error = Infallible> + Clone + Send + Sync + 'static
{
    let metrics_route = warp::path!("metrics").and(warp::get()).map(move || {
        metrics.refresh_status(&backup_dir);
        reply(
            StatusCode::OK,
            shared::metrics::CONTENT_TYPE,
            metrics.encode(),
        )
    });
    let health = warp::path!("health").and(warp::get()).map(|| {
        reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            b"ok\n".to_vec(),
        )
    });
    metrics_route
        .or(health)
        .unify()
        .recover(|_rejection: warp::Rejection| async {
            Ok::<_, Infallible>(reply(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                b"not found\n".to_vec(),
            ))
        })
        .unify()
}

fn reply(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// Serves the routes on `listener` with `limits` ([`shared::http_server`]: time limits on
/// clients, a connection cap) until `shutdown` resolves, then within the shutdown grace.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<AgentMetrics>,
    backup_dir: PathBuf,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let routes = warp::service(routes(metrics, backup_dir));
    shared::http_server::serve(listener, routes, limits, shutdown).await;
}
