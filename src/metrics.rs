//! Prometheus metrics with prometheus-client, rendered on `/metrics` in the
//! OpenMetrics text format (which Prometheus reads). Counters and
//! histograms are fed by the events of `crate::events` (which also log);
//! gauges that describe the store (outbox depth, sources down, last
//! success per source) are set at scrape time.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Metric, Registry};
use std::sync::atomic::AtomicU64;
use std::sync::LazyLock;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceOutcome {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceState {
    source: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelOutcome {
    channel: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

type Timestamps = Family<SourceLabel, Gauge<f64, AtomicU64>>;

/// Any metric family, so that the families can be registered from one table.
#[derive(Debug)]
struct AnyMetric(Box<dyn DynMetric>);

trait DynMetric: EncodeMetric + Send + Sync + std::fmt::Debug {}
impl<T: EncodeMetric + Send + Sync + std::fmt::Debug> DynMetric for T {}

impl AnyMetric {
    fn of(m: impl Metric) -> AnyMetric {
        AnyMetric(Box::new(m))
    }
}

impl EncodeMetric for AnyMetric {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }
    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

struct Metrics {
    registry: Registry,
    polls: Family<SourceOutcome, Counter>,
    poll_duration: Family<OutcomeLabel, Histogram, fn() -> Histogram>,
    changes: Family<SourceLabel, Counter>,
    health: Family<SourceState, Counter>,
    deliveries: Family<ChannelOutcome, Counter>,
    delivery_latency: Family<ChannelLabel, Histogram, fn() -> Histogram>,
    outbox_depth: Family<ChannelLabel, Gauge>,
    sources: Gauge,
    sources_down: Gauge,
    last_success: Timestamps,
}

fn poll_buckets() -> Histogram {
    // 10 ms .. ~80 s
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

fn latency_buckets() -> Histogram {
    // 0.1 s .. ~14 h: a delivery may wait for retries.
    Histogram::new(exponential_buckets(0.1, 3.0, 14))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::default();
    let m = Metrics {
        registry: Registry::default(),
        polls: Family::default(),
        poll_duration: Family::new_with_constructor(poll_buckets),
        changes: Family::default(),
        health: Family::default(),
        deliveries: Family::default(),
        delivery_latency: Family::new_with_constructor(latency_buckets),
        outbox_depth: Family::default(),
        sources: Gauge::default(),
        sources_down: Gauge::default(),
        last_success: Timestamps::default(),
    };
    // name, help, metric: one row per family.
    let families: [(&str, &str, AnyMetric); 10] = [
        (
            "regwatch_polls",
            "Polls by source and outcome",
            AnyMetric::of(m.polls.clone()),
        ),
        (
            "regwatch_poll_duration_seconds",
            "Time one poll took, fetch to record, by outcome",
            AnyMetric::of(m.poll_duration.clone()),
        ),
        (
            "regwatch_changes",
            "Changes recorded, by source",
            AnyMetric::of(m.changes.clone()),
        ),
        (
            "regwatch_source_health_transitions",
            "Sources going down or recovering, by source and state",
            AnyMetric::of(m.health.clone()),
        ),
        (
            "regwatch_deliveries",
            "Alert delivery attempts by channel and outcome",
            AnyMetric::of(m.deliveries.clone()),
        ),
        (
            "regwatch_delivery_latency_seconds",
            "Time from a delivery being queued to its delivery, by channel",
            AnyMetric::of(m.delivery_latency.clone()),
        ),
        (
            "regwatch_outbox_depth",
            "Deliveries waiting in the outbox, by channel",
            AnyMetric::of(m.outbox_depth.clone()),
        ),
        (
            "regwatch_sources",
            "Sources configured and enabled",
            AnyMetric::of(m.sources.clone()),
        ),
        (
            "regwatch_sources_down",
            "Sources currently reported down",
            AnyMetric::of(m.sources_down.clone()),
        ),
        (
            "regwatch_source_last_success_timestamp_seconds",
            "When each source was last polled successfully (Unix time), for staleness alerts",
            AnyMetric::of(m.last_success.clone()),
        ),
    ];
    for (name, help, metric) in families {
        registry.register(name, help, metric);
    }
    Metrics { registry, ..m }
});

/// A poll ended with `outcome` after `seconds`, recording `changes`.
pub fn poll(source: &str, outcome: &str, seconds: f64, changes: usize) {
    let m = &*METRICS;
    m.polls
        .get_or_create(&SourceOutcome {
            source: source.into(),
            outcome: outcome.into(),
        })
        .inc();
    m.poll_duration
        .get_or_create(&OutcomeLabel {
            outcome: outcome.into(),
        })
        .observe(seconds);
    if changes > 0 {
        m.changes
            .get_or_create(&SourceLabel {
                source: source.into(),
            })
            .inc_by(changes as u64);
    }
}

/// A source went `down` or `recovered`.
pub fn health_transition(source: &str, state: &str) {
    METRICS
        .health
        .get_or_create(&SourceState {
            source: source.into(),
            state: state.into(),
        })
        .inc();
}

/// One delivery attempt ended; `latency` (queued to delivered) when delivered.
pub fn delivery(channel: &str, outcome: &str, latency: Option<f64>) {
    let m = &*METRICS;
    m.deliveries
        .get_or_create(&ChannelOutcome {
            channel: channel.into(),
            outcome: outcome.into(),
        })
        .inc();
    if let Some(l) = latency {
        m.delivery_latency
            .get_or_create(&ChannelLabel {
                channel: channel.into(),
            })
            .observe(l.max(0.0));
    }
}

/// What the store says at scrape time.
pub struct StoreGauges<'a> {
    pub sources: i64,
    pub sources_down: i64,
    pub outbox_by_channel: &'a [(String, i64)],
    /// (source, last success as Unix seconds)
    pub last_success: &'a [(String, f64)],
}

/// Set the gauges read from the store at scrape time.
pub fn set_store_gauges(g: &StoreGauges<'_>) {
    let m = &*METRICS;
    m.sources.set(g.sources);
    m.sources_down.set(g.sources_down);
    m.outbox_depth.clear();
    for (channel, n) in g.outbox_by_channel {
        m.outbox_depth
            .get_or_create(&ChannelLabel {
                channel: channel.clone(),
            })
            .set(*n);
    }
    m.last_success.clear();
    for (source, t) in g.last_success {
        m.last_success
            .get_or_create(&SourceLabel {
                source: source.clone(),
            })
            .set(*t);
    }
}

/// The registry as OpenMetrics text.
pub fn render() -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &METRICS.registry).is_err() {
        out.clear();
    }
    out
}

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_histograms_labels_and_an_end() {
        poll("unit-src", "changed", 0.2, 3);
        delivery("unit-chan", "delivered", Some(1.5));
        set_store_gauges(&StoreGauges {
            sources: 1,
            sources_down: 0,
            outbox_by_channel: &[("unit-chan".into(), 3)],
            last_success: &[("unit-src".into(), 1_700_000_000.0)],
        });
        let t = render();
        assert!(
            t.contains("regwatch_polls_total{source=\"unit-src\",outcome=\"changed\"} 1"),
            "{t}"
        );
        assert!(
            t.contains("# TYPE regwatch_poll_duration_seconds histogram"),
            "{t}"
        );
        assert!(
            t.contains("regwatch_delivery_latency_seconds_bucket{"),
            "{t}"
        );
        assert!(
            t.contains("regwatch_outbox_depth{channel=\"unit-chan\"} 3"),
            "{t}"
        );
        assert!(
            t.contains(
                "regwatch_source_last_success_timestamp_seconds{source=\"unit-src\"} 1700000000"
            ),
            "{t}"
        );
        assert!(t.trim_end().ends_with("# EOF"), "{t}");
    }
}
