//! Harness shared by the end-to-end suites: locating the project's binaries,
//! network namespaces, and (later) the local control plane.
