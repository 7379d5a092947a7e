//! The server's counters and the injection-time histogram, and their
//! Prometheus text exposition (format 0.0.4). Names follow Istio's
//! injector (`sidecar_injection_*`) so existing dashboards keep working;
//! reload counters are this server's own (`meshinject_*`).
//!
//! Everything is lock-free atomics: requests update counters from many
//! threads, `/metrics` reads a consistent-enough snapshot.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Why an admission request was answered without a patch and not as a skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// The body was empty.
    EmptyBody,
    /// The body was over the size limit.
    BodyTooLarge,
    /// The body could not be read from the connection.
    ReadError,
    /// The Content-Type was not `application/json`.
    ContentType,
    /// The body was not an AdmissionReview.
    Decode,
    /// The engine refused the pod.
    Injection,
    /// The engine panicked (a bug); the pod was refused.
    Panic,
    /// No valid configuration is loaded yet.
    NotReady,
}

impl FailureReason {
    const ALL: [FailureReason; 8] = [
        FailureReason::EmptyBody,
        FailureReason::BodyTooLarge,
        FailureReason::ReadError,
        FailureReason::ContentType,
        FailureReason::Decode,
        FailureReason::Injection,
        FailureReason::Panic,
        FailureReason::NotReady,
    ];

    /// The `reason` label value.
    pub fn label(self) -> &'static str {
        match self {
            FailureReason::EmptyBody => "empty_body",
            FailureReason::BodyTooLarge => "body_too_large",
            FailureReason::ReadError => "read_error",
            FailureReason::ContentType => "content_type",
            FailureReason::Decode => "decode_error",
            FailureReason::Injection => "injection_error",
            FailureReason::Panic => "panic",
            FailureReason::NotReady => "not_ready",
        }
    }
}

/// Istio's buckets for `sidecar_injection_time_seconds`, with finer ones
/// below 100 ms where this server actually answers.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0, 3.0, 5.0, 10.0, 20.0, 30.0,
];

/// A fixed-bucket histogram of durations.
#[derive(Debug, Default)]
struct Histogram {
    /// Non-cumulative counts, one per bucket, then one for +Inf.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_nanos
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
    }
}

/// Every metric the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: AtomicU64,
    success: AtomicU64,
    injected: AtomicU64,
    skip: AtomicU64,
    failures: [AtomicU64; FailureReason::ALL.len()],
    time: Histogram,
    config_reloads: AtomicU64,
    config_reload_errors: AtomicU64,
    cert_reloads: AtomicU64,
    cert_reload_errors: AtomicU64,
    ca_bundle_patches: AtomicU64,
    ca_bundle_patch_errors: AtomicU64,
    memo_hits: AtomicU64,
    memo_misses: AtomicU64,
}

/// What happened to one admission request, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Injected,
    Skipped,
    Failed(FailureReason),
}

impl Metrics {
    /// Counts one admission request and its time. `answered`: an
    /// AdmissionReview was sent back (what Istio counts as a success, a
    /// refusal or a skip included), as opposed to a plain HTTP error.
    pub fn record(&self, verdict: Verdict, answered: bool, elapsed: Duration) {
        self.requests.fetch_add(1, Relaxed);
        if answered {
            self.success.fetch_add(1, Relaxed);
        }
        match verdict {
            Verdict::Injected => self.injected.fetch_add(1, Relaxed),
            Verdict::Skipped => self.skip.fetch_add(1, Relaxed),
            Verdict::Failed(r) => self.failures[r as usize].fetch_add(1, Relaxed),
        };
        self.time.observe(elapsed);
    }

    pub fn config_reload(&self, ok: bool) {
        let c = if ok {
            &self.config_reloads
        } else {
            &self.config_reload_errors
        };
        c.fetch_add(1, Relaxed);
    }

    pub fn cert_reload(&self, ok: bool) {
        let c = if ok {
            &self.cert_reloads
        } else {
            &self.cert_reload_errors
        };
        c.fetch_add(1, Relaxed);
    }

    pub fn ca_bundle_patch(&self, ok: bool) {
        let c = if ok {
            &self.ca_bundle_patches
        } else {
            &self.ca_bundle_patch_errors
        };
        c.fetch_add(1, Relaxed);
    }

    /// Counts a review answered from the remembered decisions, or one that was not.
    pub fn memo(&self, hit: bool) {
        let c = if hit {
            &self.memo_hits
        } else {
            &self.memo_misses
        };
        c.fetch_add(1, Relaxed);
    }

    /// Configuration reloads refused so far.
    pub fn config_reload_errors(&self) -> u64 {
        self.config_reload_errors.load(Relaxed)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        };
        counter(
            &mut out,
            "sidecar_injection_requests_total",
            "Total number of sidecar injection requests.",
            &self.requests,
        );
        counter(
            &mut out,
            "sidecar_injection_success_total",
            "Requests answered with an AdmissionReview (as Istio counts them: skips and refusals included).",
            &self.success,
        );
        counter(
            &mut out,
            "meshinject_pods_injected_total",
            "Requests answered with an injection patch.",
            &self.injected,
        );
        counter(
            &mut out,
            "sidecar_injection_skip_total",
            "Requests allowed without injection (policy, annotations, host network, ...).",
            &self.skip,
        );
        let _ = writeln!(
            out,
            "# HELP sidecar_injection_failure_total Requests refused or not understood, by reason.\n\
             # TYPE sidecar_injection_failure_total counter"
        );
        for r in FailureReason::ALL {
            let _ = writeln!(
                out,
                "sidecar_injection_failure_total{{reason=\"{}\"}} {}",
                r.label(),
                self.failures[r as usize].load(Relaxed)
            );
        }
        let name = "sidecar_injection_time_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time taken to answer an injection request, in seconds.\n# TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.time.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.time.counts[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.time.sum_nanos.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
        for (name, help, v) in [
            (
                "meshinject_config_reloads_total",
                "Injection configurations loaded and put in force.",
                &self.config_reloads,
            ),
            (
                "meshinject_config_reload_errors_total",
                "Configuration changes refused (did not parse or validate); the previous one stays in force.",
                &self.config_reload_errors,
            ),
            (
                "meshinject_cert_reloads_total",
                "Serving certificates loaded.",
                &self.cert_reloads,
            ),
            (
                "meshinject_cert_reload_errors_total",
                "Serving certificate changes refused; the previous pair stays in force.",
                &self.cert_reload_errors,
            ),
            (
                "meshinject_ca_bundle_patches_total",
                "caBundle updates written to the MutatingWebhookConfiguration.",
                &self.ca_bundle_patches,
            ),
            (
                "meshinject_ca_bundle_patch_errors_total",
                "Failed attempts to read or update the MutatingWebhookConfiguration's caBundle.",
                &self.ca_bundle_patch_errors,
            ),
            (
                "meshinject_memo_hits_total",
                "Reviews answered with the remembered decision of an identical earlier review.",
                &self.memo_hits,
            ),
            (
                "meshinject_memo_misses_total",
                "Reviews looked up among the remembered decisions and run through the engine.",
                &self.memo_misses,
            ),
        ] {
            counter(&mut out, name, help, v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{series} missing in\n{text}"))
            .parse()
            .unwrap()
    }

    #[test]
    fn counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record(Verdict::Injected, true, Duration::from_micros(1500));
        m.record(Verdict::Skipped, true, Duration::from_millis(40));
        m.record(
            Verdict::Failed(FailureReason::Decode),
            true,
            Duration::from_secs(100),
        );
        m.record(
            Verdict::Failed(FailureReason::EmptyBody),
            false,
            Duration::from_millis(3),
        );
        m.config_reload(false);
        let t = m.render();
        assert_eq!(value(&t, "sidecar_injection_requests_total"), 4.0);
        assert_eq!(value(&t, "sidecar_injection_success_total"), 3.0);
        assert_eq!(value(&t, "meshinject_pods_injected_total"), 1.0);
        assert_eq!(value(&t, "sidecar_injection_skip_total"), 1.0);
        assert_eq!(
            value(
                &t,
                "sidecar_injection_failure_total{reason=\"decode_error\"}"
            ),
            1.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_failure_total{reason=\"panic\"}"),
            0.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_time_seconds_bucket{le=\"0.001\"}"),
            0.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_time_seconds_bucket{le=\"0.0025\"}"),
            1.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_time_seconds_bucket{le=\"0.05\"}"),
            3.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_time_seconds_bucket{le=\"30\"}"),
            3.0
        );
        assert_eq!(
            value(&t, "sidecar_injection_time_seconds_bucket{le=\"+Inf\"}"),
            4.0
        );
        assert_eq!(value(&t, "sidecar_injection_time_seconds_count"), 4.0);
        let sum = value(&t, "sidecar_injection_time_seconds_sum");
        assert!((sum - 100.0445).abs() < 1e-6, "{sum}");
        assert_eq!(value(&t, "meshinject_config_reload_errors_total"), 1.0);
        assert_eq!(value(&t, "meshinject_config_reloads_total"), 0.0);
    }
}
