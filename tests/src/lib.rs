//! Harness shared by the end-to-end suites: locating the project's binaries,
//! network namespaces, and (later) the local control plane.
//!
//! The `mesh-init` suites run real iptables in real network namespaces:
//! [`require`] decides whether this machine can (root, `ip`, both iptables
//! variants), [`build`] builds and finds `mesh-init`, [`netns`] creates and
//! always deletes namespaces, [`pod`] wires a "pod" namespace to a "peer"
//! namespace with a veth pair and runs `mesh-init` inside the pod, and
//! [`sockets`] opens listeners and connections inside a namespace (as a given
//! uid) and reads `SO_ORIGINAL_DST`.

pub mod build;
pub mod kube;
pub mod kube_chart;
pub mod kube_install;
pub mod kube_webhook;
pub mod netns;
pub mod pod;
pub mod require;
pub mod sockets;
