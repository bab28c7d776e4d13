//! Prometheus for both binaries: the text exposition (format 0.0.4) of a registry, and
//! [`metric_families!`](crate::metric_families), which declares a struct of metric families
//! with each family's name and help text written once.

use prometheus::core::Collector;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, TextEncoder,
};

pub use prometheus::Registry;

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

/// A collector type that [`register`] can create from a name, a help text and label names.
pub trait Family: Collector + Clone + Sized + 'static {
    /// Creates the family; single-series types refuse label names.
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self>;
}

/// Refuses label names for a type that has none (a mistake in a family's declaration).
fn no_labels(name: &str, labels: &[&str]) -> prometheus::Result<()> {
    if labels.is_empty() {
        Ok(())
    } else {
        Err(prometheus::Error::Msg(format!(
            "{name}: this metric type takes no labels, got {labels:?}"
        )))
    }
}

impl Family for Gauge {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        no_labels(name, labels)?;
        Gauge::new(name, help)
    }
}

impl Family for IntGauge {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        no_labels(name, labels)?;
        IntGauge::new(name, help)
    }
}

impl Family for IntCounter {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        no_labels(name, labels)?;
        IntCounter::new(name, help)
    }
}

impl Family for GaugeVec {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        GaugeVec::new(Opts::new(name, help), labels)
    }
}

impl Family for IntCounterVec {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        IntCounterVec::new(Opts::new(name, help), labels)
    }
}

/// Histograms measure latencies here, so they take [`LATENCY_BUCKETS`].
impl Family for HistogramVec {
    fn create(name: &str, help: &str, labels: &[&str]) -> prometheus::Result<Self> {
        HistogramVec::new(
            HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()),
            labels,
        )
    }
}

/// Creates the family `name` with `help` and `labels`, registers it in `registry` and returns
/// it. Fails on an invalid name or a name already registered.
pub fn register<F: Family>(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<F> {
    let family = F::create(name, help, labels)?;
    registry.register(Box::new(family.clone()))?;
    Ok(family)
}

/// Declares a struct of metric families, each written once as
/// `field: Type = "metric_name", "Help text.", ["label", …];` (labels optional). The help
/// text becomes both the `# HELP` line and the field's doc, and
/// `register(&Registry) -> prometheus::Result<Self>` creates and registers every family.
///
/// ```
/// shared::metric_families! {
///     /// Example families.
///     pub struct Example {
///         pub up: prometheus::IntGauge = "example_up", "1 while up.";
///         pub runs: prometheus::IntCounterVec = "example_runs_total", "Runs by outcome.", ["outcome"];
///     }
/// }
/// let registry = shared::metrics::Registry::new();
/// let m = Example::register(&registry).unwrap();
/// m.runs.with_label_values(&["success"]).inc();
/// assert!(String::from_utf8(shared::metrics::encode(&registry)).unwrap().contains("# HELP example_up 1 while up."));
/// ```
#[macro_export]
macro_rules! metric_families {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $fvis:vis $field:ident : $ty:ty = $metric:literal, $help:literal
                    $(, [$($label:literal),* $(,)?])? ;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name {
            $(
                #[doc = concat!("`", $metric, "`: ", $help)]
                $fvis $field: $ty,
            )*
        }

        impl $name {
            /// Creates every family and registers it in `registry`.
            $vis fn register(
                registry: &$crate::metrics::Registry,
            ) -> ::prometheus::Result<Self> {
                Ok(Self {
                    $(
                        $field: $crate::metrics::register(
                            registry,
                            $metric,
                            $help,
                            &[$($($label),*)?],
                        )?,
                    )*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::metric_families! {
        /// Families of the test below.
        struct Two {
            up: IntGauge = "t_up", "1 while up.";
            runs: IntCounterVec = "t_runs_total", "Runs by outcome.", ["outcome"];
        }
    }

    #[test]
    fn each_family_is_registered_once_with_its_help() {
        let r = Registry::new();
        let m = Two::register(&r).unwrap();
        m.up.set(1);
        m.runs.with_label_values(&["success"]).inc();
        let text = String::from_utf8(encode(&r)).unwrap();
        assert!(
            text.contains("# HELP t_up 1 while up.\n# TYPE t_up gauge\nt_up 1\n"),
            "{text}"
        );
        assert!(
            text.contains("t_runs_total{outcome=\"success\"} 1"),
            "{text}"
        );
        assert!(
            Two::register(&r).is_err(),
            "a second registration must be refused"
        );
    }

    #[test]
    fn a_single_series_type_refuses_labels() {
        let r = Registry::new();
        assert!(register::<Gauge>(&r, "t_g", "g", &["x"]).is_err());
    }
}
