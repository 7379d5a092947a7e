//! Go/protobuf descriptions of the Istio API messages in the template data (`meshconfig.ProxyConfig`
//! in full, the parts of `MeshConfig` templates read), in `.proto` declaration order — the order
//! `protoToJSON` (legacy `jsonpb`) writes fields in. Written from the published istio/api protos.

/// The kind of a message field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum P {
    Str,
    Int,
    Bool,
    Double,
    /// An enum; the first name is the zero value.
    Enum(&'static [&'static str]),
    /// A `google.protobuf.*Value` wrapper: `{"Value": v}` in the Go view, bare `v` in protobuf JSON.
    Wrapper,
    /// `google.protobuf.Int64Value`/`UInt64Value`: as [`P::Wrapper`], written as a JSON string.
    Wrapper64,
    /// `google.protobuf.Duration`: `{"Seconds": s, "Nanos": n}` in the Go view, `"1.5s"` in JSON.
    Duration,
    /// A message (described here, or converted generically when not).
    Msg(&'static str),
    StrMap,
    MsgMap(&'static str),
    List(&'static P),
}

/// One message field; `oneof` names the Go field of the oneof it belongs to.
#[derive(Debug)]
pub(crate) struct PF {
    pub go: &'static str,
    pub json: &'static str,
    pub kind: P,
    pub oneof: Option<&'static str>,
}

#[derive(Debug)]
pub(crate) struct M {
    pub name: &'static str,
    pub fields: &'static [PF],
}

const fn p(go: &'static str, json: &'static str, kind: P) -> PF {
    PF {
        go,
        json,
        kind,
        oneof: None,
    }
}

const fn o(oneof: &'static str, go: &'static str, json: &'static str, kind: P) -> PF {
    PF {
        go,
        json,
        kind,
        oneof: Some(oneof),
    }
}

pub(crate) fn lookup(name: &str) -> Option<&'static M> {
    MESSAGES.iter().find(|m| m.name == name)
}

const INTERCEPTION: &[&str] = &["REDIRECT", "TPROXY", "NONE"];
const AUTH_POLICY: &[&str] = &["NONE", "MUTUAL_TLS", "INHERIT"];
const TRACING_SERVICE_NAME: &[&str] = &[
    "APP_LABEL_AND_NAMESPACE",
    "CANONICAL_NAME_ONLY",
    "CANONICAL_NAME_AND_NAMESPACE",
];
const TLS_MODE: &[&str] = &["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"];
const TRACE_CONTEXT: &[&str] = &[
    "UNSPECIFIED",
    "W3C_TRACE_CONTEXT",
    "GRPC_BIN",
    "CLOUD_TRACE_CONTEXT",
    "B3",
];

static MESSAGES: &[M] = &[
    M {
        name: "ProxyConfig",
        fields: &[
            p("ConfigPath", "configPath", P::Str),
            p("BinaryPath", "binaryPath", P::Str),
            o("ClusterName", "ServiceCluster", "serviceCluster", P::Str),
            o(
                "ClusterName",
                "TracingServiceName",
                "tracingServiceName",
                P::Enum(TRACING_SERVICE_NAME),
            ),
            p("DrainDuration", "drainDuration", P::Duration),
            p("DiscoveryAddress", "discoveryAddress", P::Str),
            p(
                "DiscoveryRefreshDelay",
                "discoveryRefreshDelay",
                P::Duration,
            ),
            p("ZipkinAddress", "zipkinAddress", P::Str),
            p("StatsdUdpAddress", "statsdUdpAddress", P::Str),
            p(
                "EnvoyMetricsServiceAddress",
                "envoyMetricsServiceAddress",
                P::Str,
            ),
            p("ProxyAdminPort", "proxyAdminPort", P::Int),
            p("AvailabilityZone", "availabilityZone", P::Str),
            p(
                "ControlPlaneAuthPolicy",
                "controlPlaneAuthPolicy",
                P::Enum(AUTH_POLICY),
            ),
            p("CustomConfigFile", "customConfigFile", P::Str),
            p("StatNameLength", "statNameLength", P::Int),
            p("Concurrency", "concurrency", P::Wrapper),
            p(
                "ProxyBootstrapTemplatePath",
                "proxyBootstrapTemplatePath",
                P::Str,
            ),
            p(
                "InterceptionMode",
                "interceptionMode",
                P::Enum(INTERCEPTION),
            ),
            p("Tracing", "tracing", P::Msg("Tracing")),
            p("Sds", "sds", P::Msg("SDS")),
            p(
                "EnvoyAccessLogService",
                "envoyAccessLogService",
                P::Msg("RemoteService"),
            ),
            p(
                "EnvoyMetricsService",
                "envoyMetricsService",
                P::Msg("RemoteService"),
            ),
            p("ProxyMetadata", "proxyMetadata", P::StrMap),
            p("RuntimeValues", "runtimeValues", P::StrMap),
            p("StatusPort", "statusPort", P::Int),
            p("ExtraStatTags", "extraStatTags", P::List(&P::Str)),
            p("GatewayTopology", "gatewayTopology", P::Msg("Topology")),
            p(
                "TerminationDrainDuration",
                "terminationDrainDuration",
                P::Duration,
            ),
            p("MeshId", "meshId", P::Str),
            p("ReadinessProbe", "readinessProbe", P::Msg("ReadinessProbe")),
            p(
                "ProxyStatsMatcher",
                "proxyStatsMatcher",
                P::Msg("ProxyStatsMatcher"),
            ),
            p(
                "HoldApplicationUntilProxyStarts",
                "holdApplicationUntilProxyStarts",
                P::Wrapper,
            ),
            p("CaCertificatesPem", "caCertificatesPem", P::List(&P::Str)),
            p("Image", "image", P::Msg("ProxyImage")),
            p(
                "PrivateKeyProvider",
                "privateKeyProvider",
                P::Msg("PrivateKeyProvider"),
            ),
            p("ProxyHeaders", "proxyHeaders", P::Msg("ProxyHeaders")),
            p("FileFlushInterval", "fileFlushInterval", P::Duration),
            p("FileFlushMinSizeKb", "fileFlushMinSizeKb", P::Int),
            p("StatsCompression", "statsCompression", P::Wrapper),
            p(
                "ConnectionSettings",
                "connectionSettings",
                P::Msg("ConnectionSettings"),
            ),
        ],
    },
    M {
        name: "Tracing",
        fields: &[
            o("Tracer", "Zipkin", "zipkin", P::Msg("Tracing.Zipkin")),
            o(
                "Tracer",
                "Lightstep",
                "lightstep",
                P::Msg("Tracing.Lightstep"),
            ),
            o("Tracer", "Datadog", "datadog", P::Msg("Tracing.Datadog")),
            o(
                "Tracer",
                "Stackdriver",
                "stackdriver",
                P::Msg("Tracing.Stackdriver"),
            ),
            o(
                "Tracer",
                "OpenCensusAgent",
                "openCensusAgent",
                P::Msg("Tracing.OpenCensusAgent"),
            ),
            p("CustomTags", "customTags", P::MsgMap("Tracing.CustomTag")),
            p("MaxPathTagLength", "maxPathTagLength", P::Int),
            p("Sampling", "sampling", P::Double),
            p("TlsSettings", "tlsSettings", P::Msg("ClientTLSSettings")),
            p("EnableIstioTags", "enableIstioTags", P::Wrapper),
        ],
    },
    M {
        name: "Tracing.Zipkin",
        fields: &[p("Address", "address", P::Str)],
    },
    M {
        name: "Tracing.Lightstep",
        fields: &[
            p("Address", "address", P::Str),
            p("AccessToken", "accessToken", P::Str),
        ],
    },
    M {
        name: "Tracing.Datadog",
        fields: &[p("Address", "address", P::Str)],
    },
    M {
        name: "Tracing.Stackdriver",
        fields: &[
            p("Debug", "debug", P::Bool),
            p(
                "MaxNumberOfAttributes",
                "maxNumberOfAttributes",
                P::Wrapper64,
            ),
            p(
                "MaxNumberOfAnnotations",
                "maxNumberOfAnnotations",
                P::Wrapper64,
            ),
            p(
                "MaxNumberOfMessageEvents",
                "maxNumberOfMessageEvents",
                P::Wrapper64,
            ),
        ],
    },
    M {
        name: "Tracing.OpenCensusAgent",
        fields: &[
            p("Address", "address", P::Str),
            p("Context", "context", P::List(&P::Enum(TRACE_CONTEXT))),
        ],
    },
    M {
        name: "ClientTLSSettings",
        fields: &[
            p("Mode", "mode", P::Enum(TLS_MODE)),
            p("ClientCertificate", "clientCertificate", P::Str),
            p("PrivateKey", "privateKey", P::Str),
            p("CaCertificates", "caCertificates", P::Str),
            p("CredentialName", "credentialName", P::Str),
            p("SubjectAltNames", "subjectAltNames", P::List(&P::Str)),
            p("Sni", "sni", P::Str),
            p("InsecureSkipVerify", "insecureSkipVerify", P::Wrapper),
            p("CaCrl", "caCrl", P::Str),
        ],
    },
    M {
        name: "RemoteService",
        fields: &[
            p("Address", "address", P::Str),
            p("TlsSettings", "tlsSettings", P::Msg("ClientTLSSettings")),
            p("TcpKeepalive", "tcpKeepalive", P::Msg("TcpKeepalive")),
        ],
    },
    M {
        name: "TcpKeepalive",
        fields: &[
            p("Probes", "probes", P::Int),
            p("Time", "time", P::Duration),
            p("Interval", "interval", P::Duration),
        ],
    },
    M {
        name: "SDS",
        fields: &[
            p("Enabled", "enabled", P::Bool),
            p("K8SSaJwtPath", "k8sSaJwtPath", P::Str),
        ],
    },
    M {
        name: "ProxyStatsMatcher",
        fields: &[
            p("InclusionPrefixes", "inclusionPrefixes", P::List(&P::Str)),
            p("InclusionSuffixes", "inclusionSuffixes", P::List(&P::Str)),
            p("InclusionRegexps", "inclusionRegexps", P::List(&P::Str)),
        ],
    },
    M {
        name: "ProxyImage",
        fields: &[p("ImageType", "imageType", P::Str)],
    },
    // Only the fields templates read; the rest of MeshConfig is converted generically.
    M {
        name: "MeshConfig",
        fields: &[
            p("ProxyListenPort", "proxyListenPort", P::Int),
            p("ProxyInboundListenPort", "proxyInboundListenPort", P::Int),
            p("ProxyHttpPort", "proxyHttpPort", P::Int),
            p("TrustDomain", "trustDomain", P::Str),
            p("TrustDomainAliases", "trustDomainAliases", P::List(&P::Str)),
            p("RootNamespace", "rootNamespace", P::Str),
            p("IngressClass", "ingressClass", P::Str),
            p("IngressService", "ingressService", P::Str),
            p("DefaultConfig", "defaultConfig", P::Msg("ProxyConfig")),
            p("EnableTracing", "enableTracing", P::Bool),
            p("EnablePrometheusMerge", "enablePrometheusMerge", P::Wrapper),
            p(
                "ExtensionProviders",
                "extensionProviders",
                P::List(&P::Msg("MeshConfig.ExtensionProvider")),
            ),
        ],
    },
];
