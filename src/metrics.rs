//! Prometheus metrics, kept in-process and rendered as text on `/metrics`.
//! Counters are added to by the events of `crate::events`, which also log.

use std::collections::BTreeMap;
use std::sync::Mutex;

static REGISTRY: Mutex<BTreeMap<(String, String), f64>> = Mutex::new(BTreeMap::new());
static HELP: &[(&str, &str, &str)] = &[
    (
        "regwatch_polls_total",
        "counter",
        "Polls by source and outcome",
    ),
    (
        "regwatch_poll_duration_seconds_sum",
        "counter",
        "Total time spent polling, by source",
    ),
    (
        "regwatch_poll_duration_seconds_count",
        "counter",
        "Number of timed polls, by source",
    ),
    (
        "regwatch_changes_total",
        "counter",
        "Changes recorded, by source",
    ),
    (
        "regwatch_deliveries_total",
        "counter",
        "Alert deliveries by channel and outcome",
    ),
    (
        "regwatch_outbox_depth",
        "gauge",
        "Deliveries waiting in the outbox",
    ),
    (
        "regwatch_sources_down",
        "gauge",
        "Sources currently reported down",
    ),
    ("regwatch_sources", "gauge", "Sources configured"),
    (
        "regwatch_source_health_transitions_total",
        "counter",
        "Sources going down or recovering, by source and state",
    ),
];

fn label(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', " ")
            )
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

pub fn add(name: &str, labels: &[(&str, &str)], v: f64) {
    let mut r = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    *r.entry((name.to_string(), label(labels))).or_insert(0.0) += v;
}

pub fn set(name: &str, labels: &[(&str, &str)], v: f64) {
    let mut r = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    r.insert((name.to_string(), label(labels)), v);
}

/// The registry in Prometheus text exposition format.
pub fn render() -> String {
    let r = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = String::new();
    for (name, kind, help) in HELP {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for ((n, l), v) in r.iter() {
            if n == name {
                out.push_str(&format!("{n}{l} {v}\n"));
            }
        }
    }
    out
}
