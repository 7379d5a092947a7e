//! `meshinject kube-inject`: manual injection of workload manifests, as
//! `istioctl kube-inject` does it.

pub mod stream;
