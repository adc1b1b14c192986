//! Prometheus metrics, kept in-process and rendered as text on `/metrics`.
//! Each notable outcome is one event that both logs (at its call site) and counts.

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

pub fn poll(source: &str, status: &crate::pipeline::PollStatus, elapsed_ms: u64, changes: usize) {
    use crate::pipeline::PollStatus::*;
    let outcome = match status {
        Baseline => "baseline",
        Changed(_) => "changed",
        Unchanged => "unchanged",
        NotModified => "not_modified",
        Failed(_) => "failed",
    };
    add(
        "regwatch_polls_total",
        &[("source", source), ("outcome", outcome)],
        1.0,
    );
    add(
        "regwatch_poll_duration_seconds_sum",
        &[("source", source)],
        elapsed_ms as f64 / 1000.0,
    );
    add(
        "regwatch_poll_duration_seconds_count",
        &[("source", source)],
        1.0,
    );
    if changes > 0 {
        add(
            "regwatch_changes_total",
            &[("source", source)],
            changes as f64,
        );
    }
}

pub fn delivery(channel: &str, outcome: &str) {
    add(
        "regwatch_deliveries_total",
        &[("channel", channel), ("outcome", outcome)],
        1.0,
    );
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
