//! meshinject: Istio-compatible sidecar injection.
