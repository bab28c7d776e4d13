//! Prometheus text exposition (format 0.0.4) of a registry.

use prometheus::{Encoder, Registry, TextEncoder};

/// The `Content-Type` of the text exposition format Prometheus and `promtool` expect.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Encodes every family of `registry` in the text format.
pub fn encode(registry: &Registry) -> Vec<u8> {
    let mut buf = Vec::with_capacity(8 * 1024);
    // Encoding into a Vec cannot fail on I/O; a family with an inconsistent shape is a
    // programming error that the metrics tests catch, so an empty answer is acceptable here.
    if TextEncoder::new()
        .encode(&registry.gather(), &mut buf)
        .is_err()
    {
        buf.clear();
    }
    buf
}

/// Standard latency buckets in seconds, with a boundary at the 50 ms request-latency target.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
