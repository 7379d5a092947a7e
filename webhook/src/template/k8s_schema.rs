//! Go type descriptions of the Kubernetes objects in the template data (`corev1.PodSpec` and every
//! struct it reaches, `metav1.ObjectMeta`, `metav1.TypeMeta`, `types.NamespacedName`): Go field name,
//! JSON name, kind, `omitempty`, in Go declaration order (embedded `inline` structs flattened, as Go
//! promotes their fields). The core/v1 part is a data table written from the published
//! `k8s.io/api/core/v1` type definitions; it drives the k8s-JSON ⇄ Go-field conversion, Go zero
//! values, and `json.Marshal` field order and omission.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

/// The kind of a field's Go type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum K {
    /// `string` and string-based named types.
    Str,
    /// Any signed or unsigned integer.
    Int,
    Bool,
    /// A `map[string]string`-like map (including `ResourceList`).
    StrMap,
    /// A slice of the element kind.
    List(&'static K),
    /// A struct value (never omitted by `omitempty`).
    Struct(&'static str),
    /// A pointer to a struct (`nil` when absent).
    Ptr(&'static str),
    /// A type with its own JSON form (`Quantity`, `IntOrString`, `Time`, raw JSON): kept as given.
    Any,
}

/// One Go struct field.
#[derive(Debug)]
pub(crate) struct F {
    pub go: &'static str,
    pub json: &'static str,
    pub kind: K,
    pub omitempty: bool,
}

/// One Go struct.
#[derive(Debug)]
pub(crate) struct S {
    pub name: &'static str,
    pub fields: &'static [F],
}

const fn f(go: &'static str, json: &'static str, kind: K, omitempty: bool) -> F {
    F {
        go,
        json,
        kind,
        omitempty,
    }
}

/// The struct called `name`, if described.
pub(crate) fn lookup(name: &str) -> Option<&'static S> {
    layout(name).map(|l| l.s)
}

/// What converting a value of one struct needs besides its description, built once: the Go
/// field names as shared strings and the fields in Go-name order (the order of a template map).
#[derive(Debug)]
pub(crate) struct Layout {
    pub s: &'static S,
    /// Go field names, in declaration order.
    pub keys: Vec<Arc<str>>,
    /// Field indexes sorted by Go name.
    pub sorted: Vec<usize>,
}

/// FNV-1a, for the short struct names.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The layout of the struct called `name`, if described.
pub(crate) fn layout(name: &str) -> Option<&'static Layout> {
    type Table = HashMap<&'static str, Layout, BuildHasherDefault<NameHasher>>;
    static LAYOUTS: OnceLock<Table> = OnceLock::new();
    LAYOUTS
        .get_or_init(|| {
            TYPES
                .iter()
                .map(|s| {
                    let mut sorted: Vec<usize> = (0..s.fields.len()).collect();
                    sorted.sort_by_key(|&i| s.fields[i].go);
                    let keys = s.fields.iter().map(|f| Arc::from(f.go)).collect();
                    (s.name, Layout { s, keys, sorted })
                })
                .collect()
        })
        .get(name)
}

static TYPES: &[S] = &[
    S {
        name: "TypeMeta",
        fields: &[
            f("Kind", "kind", K::Str, true),
            f("APIVersion", "apiVersion", K::Str, true),
        ],
    },
    S {
        name: "NamespacedName",
        fields: &[
            f("Namespace", "Namespace", K::Str, false),
            f("Name", "Name", K::Str, false),
        ],
    },
    S {
        name: "ObjectMeta",
        fields: &[
            f("Name", "name", K::Str, true),
            f("GenerateName", "generateName", K::Str, true),
            f("Namespace", "namespace", K::Str, true),
            f("SelfLink", "selfLink", K::Str, true),
            f("UID", "uid", K::Str, true),
            f("ResourceVersion", "resourceVersion", K::Str, true),
            f("Generation", "generation", K::Int, true),
            f("CreationTimestamp", "creationTimestamp", K::Any, false),
            f("DeletionTimestamp", "deletionTimestamp", K::Any, true),
            f(
                "DeletionGracePeriodSeconds",
                "deletionGracePeriodSeconds",
                K::Any,
                true,
            ),
            f("Labels", "labels", K::StrMap, true),
            f("Annotations", "annotations", K::StrMap, true),
            f(
                "OwnerReferences",
                "ownerReferences",
                K::List(&K::Struct("OwnerReference")),
                true,
            ),
            f("Finalizers", "finalizers", K::List(&K::Str), true),
            f(
                "ManagedFields",
                "managedFields",
                K::List(&K::Struct("ManagedFieldsEntry")),
                true,
            ),
        ],
    },
    S {
        name: "OwnerReference",
        fields: &[
            f("APIVersion", "apiVersion", K::Str, false),
            f("Kind", "kind", K::Str, false),
            f("Name", "name", K::Str, false),
            f("UID", "uid", K::Str, false),
            f("Controller", "controller", K::Any, true),
            f("BlockOwnerDeletion", "blockOwnerDeletion", K::Any, true),
        ],
    },
    S {
        name: "ManagedFieldsEntry",
        fields: &[
            f("Manager", "manager", K::Str, true),
            f("Operation", "operation", K::Str, true),
            f("APIVersion", "apiVersion", K::Str, true),
            f("Time", "time", K::Any, true),
            f("FieldsType", "fieldsType", K::Str, true),
            f("FieldsV1", "fieldsV1", K::Any, true),
            f("Subresource", "subresource", K::Str, true),
        ],
    },
    S {
        name: "LabelSelector",
        fields: &[
            f("MatchLabels", "matchLabels", K::StrMap, true),
            f(
                "MatchExpressions",
                "matchExpressions",
                K::List(&K::Struct("LabelSelectorRequirement")),
                true,
            ),
        ],
    },
    S {
        name: "LabelSelectorRequirement",
        fields: &[
            f("Key", "key", K::Str, false),
            f("Operator", "operator", K::Str, false),
            f("Values", "values", K::List(&K::Str), true),
        ],
    },
    S {
        name: "PodSpec",
        fields: &[
            f("Volumes", "volumes", K::List(&K::Struct("Volume")), true),
            f(
                "InitContainers",
                "initContainers",
                K::List(&K::Struct("Container")),
                true,
            ),
            f(
                "Containers",
                "containers",
                K::List(&K::Struct("Container")),
                false,
            ),
            f(
                "EphemeralContainers",
                "ephemeralContainers",
                K::List(&K::Struct("EphemeralContainer")),
                true,
            ),
            f("RestartPolicy", "restartPolicy", K::Str, true),
            f(
                "TerminationGracePeriodSeconds",
                "terminationGracePeriodSeconds",
                K::Int,
                true,
            ),
            f(
                "ActiveDeadlineSeconds",
                "activeDeadlineSeconds",
                K::Int,
                true,
            ),
            f("DNSPolicy", "dnsPolicy", K::Str, true),
            f("NodeSelector", "nodeSelector", K::StrMap, true),
            f("ServiceAccountName", "serviceAccountName", K::Str, true),
            f("DeprecatedServiceAccount", "serviceAccount", K::Str, true),
            f(
                "AutomountServiceAccountToken",
                "automountServiceAccountToken",
                K::Bool,
                true,
            ),
            f("NodeName", "nodeName", K::Str, true),
            f("HostNetwork", "hostNetwork", K::Bool, true),
            f("HostPID", "hostPID", K::Bool, true),
            f("HostIPC", "hostIPC", K::Bool, true),
            f(
                "ShareProcessNamespace",
                "shareProcessNamespace",
                K::Bool,
                true,
            ),
            f(
                "SecurityContext",
                "securityContext",
                K::Ptr("PodSecurityContext"),
                true,
            ),
            f(
                "ImagePullSecrets",
                "imagePullSecrets",
                K::List(&K::Struct("LocalObjectReference")),
                true,
            ),
            f("Hostname", "hostname", K::Str, true),
            f("Subdomain", "subdomain", K::Str, true),
            f("Affinity", "affinity", K::Ptr("Affinity"), true),
            f("SchedulerName", "schedulerName", K::Str, true),
            f(
                "Tolerations",
                "tolerations",
                K::List(&K::Struct("Toleration")),
                true,
            ),
            f(
                "HostAliases",
                "hostAliases",
                K::List(&K::Struct("HostAlias")),
                true,
            ),
            f("PriorityClassName", "priorityClassName", K::Str, true),
            f("Priority", "priority", K::Int, true),
            f("DNSConfig", "dnsConfig", K::Ptr("PodDNSConfig"), true),
            f(
                "ReadinessGates",
                "readinessGates",
                K::List(&K::Struct("PodReadinessGate")),
                true,
            ),
            f("RuntimeClassName", "runtimeClassName", K::Str, true),
            f("EnableServiceLinks", "enableServiceLinks", K::Bool, true),
            f("PreemptionPolicy", "preemptionPolicy", K::Str, true),
            f("Overhead", "overhead", K::StrMap, true),
            f(
                "TopologySpreadConstraints",
                "topologySpreadConstraints",
                K::List(&K::Struct("TopologySpreadConstraint")),
                true,
            ),
            f("SetHostnameAsFQDN", "setHostnameAsFQDN", K::Bool, true),
            f("OS", "os", K::Ptr("PodOS"), true),
            f("HostUsers", "hostUsers", K::Bool, true),
            f(
                "SchedulingGates",
                "schedulingGates",
                K::List(&K::Struct("PodSchedulingGate")),
                true,
            ),
            f(
                "ResourceClaims",
                "resourceClaims",
                K::List(&K::Struct("PodResourceClaim")),
                true,
            ),
            f(
                "Resources",
                "resources",
                K::Ptr("ResourceRequirements"),
                true,
            ),
            f("HostnameOverride", "hostnameOverride", K::Str, true),
            f(
                "SchedulingGroup",
                "schedulingGroup",
                K::Ptr("PodSchedulingGroup"),
                true,
            ),
            f(
                "EvictionResponders",
                "evictionResponders",
                K::List(&K::Struct("EvictionResponder")),
                true,
            ),
        ],
    },
    S {
        name: "Container",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Image", "image", K::Str, true),
            f("Command", "command", K::List(&K::Str), true),
            f("Args", "args", K::List(&K::Str), true),
            f("WorkingDir", "workingDir", K::Str, true),
            f("Ports", "ports", K::List(&K::Struct("ContainerPort")), true),
            f(
                "EnvFrom",
                "envFrom",
                K::List(&K::Struct("EnvFromSource")),
                true,
            ),
            f("Env", "env", K::List(&K::Struct("EnvVar")), true),
            f(
                "Resources",
                "resources",
                K::Struct("ResourceRequirements"),
                true,
            ),
            f(
                "ResizePolicy",
                "resizePolicy",
                K::List(&K::Struct("ContainerResizePolicy")),
                true,
            ),
            f("RestartPolicy", "restartPolicy", K::Str, true),
            f(
                "RestartPolicyRules",
                "restartPolicyRules",
                K::List(&K::Struct("ContainerRestartRule")),
                true,
            ),
            f(
                "VolumeMounts",
                "volumeMounts",
                K::List(&K::Struct("VolumeMount")),
                true,
            ),
            f(
                "VolumeDevices",
                "volumeDevices",
                K::List(&K::Struct("VolumeDevice")),
                true,
            ),
            f("LivenessProbe", "livenessProbe", K::Ptr("Probe"), true),
            f("ReadinessProbe", "readinessProbe", K::Ptr("Probe"), true),
            f("StartupProbe", "startupProbe", K::Ptr("Probe"), true),
            f("Lifecycle", "lifecycle", K::Ptr("Lifecycle"), true),
            f(
                "TerminationMessagePath",
                "terminationMessagePath",
                K::Str,
                true,
            ),
            f(
                "TerminationMessagePolicy",
                "terminationMessagePolicy",
                K::Str,
                true,
            ),
            f("ImagePullPolicy", "imagePullPolicy", K::Str, true),
            f(
                "SecurityContext",
                "securityContext",
                K::Ptr("SecurityContext"),
                true,
            ),
            f("Stdin", "stdin", K::Bool, true),
            f("StdinOnce", "stdinOnce", K::Bool, true),
            f("TTY", "tty", K::Bool, true),
        ],
    },
    S {
        name: "ContainerPort",
        fields: &[
            f("Name", "name", K::Str, true),
            f("HostPort", "hostPort", K::Int, true),
            f("ContainerPort", "containerPort", K::Int, false),
            f("Protocol", "protocol", K::Str, true),
            f("HostIP", "hostIP", K::Str, true),
        ],
    },
    S {
        name: "Volume",
        fields: &[
            f("Name", "name", K::Str, false),
            f("HostPath", "hostPath", K::Ptr("HostPathVolumeSource"), true),
            f("EmptyDir", "emptyDir", K::Ptr("EmptyDirVolumeSource"), true),
            f(
                "GCEPersistentDisk",
                "gcePersistentDisk",
                K::Ptr("GCEPersistentDiskVolumeSource"),
                true,
            ),
            f(
                "AWSElasticBlockStore",
                "awsElasticBlockStore",
                K::Ptr("AWSElasticBlockStoreVolumeSource"),
                true,
            ),
            f("GitRepo", "gitRepo", K::Ptr("GitRepoVolumeSource"), true),
            f("Secret", "secret", K::Ptr("SecretVolumeSource"), true),
            f("NFS", "nfs", K::Ptr("NFSVolumeSource"), true),
            f("ISCSI", "iscsi", K::Ptr("ISCSIVolumeSource"), true),
            f(
                "Glusterfs",
                "glusterfs",
                K::Ptr("GlusterfsVolumeSource"),
                true,
            ),
            f(
                "PersistentVolumeClaim",
                "persistentVolumeClaim",
                K::Ptr("PersistentVolumeClaimVolumeSource"),
                true,
            ),
            f("RBD", "rbd", K::Ptr("RBDVolumeSource"), true),
            f("FlexVolume", "flexVolume", K::Ptr("FlexVolumeSource"), true),
            f("Cinder", "cinder", K::Ptr("CinderVolumeSource"), true),
            f("CephFS", "cephfs", K::Ptr("CephFSVolumeSource"), true),
            f("Flocker", "flocker", K::Ptr("FlockerVolumeSource"), true),
            f(
                "DownwardAPI",
                "downwardAPI",
                K::Ptr("DownwardAPIVolumeSource"),
                true,
            ),
            f("FC", "fc", K::Ptr("FCVolumeSource"), true),
            f(
                "AzureFile",
                "azureFile",
                K::Ptr("AzureFileVolumeSource"),
                true,
            ),
            f(
                "ConfigMap",
                "configMap",
                K::Ptr("ConfigMapVolumeSource"),
                true,
            ),
            f(
                "VsphereVolume",
                "vsphereVolume",
                K::Ptr("VsphereVirtualDiskVolumeSource"),
                true,
            ),
            f("Quobyte", "quobyte", K::Ptr("QuobyteVolumeSource"), true),
            f(
                "AzureDisk",
                "azureDisk",
                K::Ptr("AzureDiskVolumeSource"),
                true,
            ),
            f(
                "PhotonPersistentDisk",
                "photonPersistentDisk",
                K::Ptr("PhotonPersistentDiskVolumeSource"),
                true,
            ),
            f(
                "Projected",
                "projected",
                K::Ptr("ProjectedVolumeSource"),
                true,
            ),
            f(
                "PortworxVolume",
                "portworxVolume",
                K::Ptr("PortworxVolumeSource"),
                true,
            ),
            f("ScaleIO", "scaleIO", K::Ptr("ScaleIOVolumeSource"), true),
            f(
                "StorageOS",
                "storageos",
                K::Ptr("StorageOSVolumeSource"),
                true,
            ),
            f("CSI", "csi", K::Ptr("CSIVolumeSource"), true),
            f(
                "Ephemeral",
                "ephemeral",
                K::Ptr("EphemeralVolumeSource"),
                true,
            ),
            f("Image", "image", K::Ptr("ImageVolumeSource"), true),
        ],
    },
    S {
        name: "EphemeralContainer",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Image", "image", K::Str, true),
            f("Command", "command", K::List(&K::Str), true),
            f("Args", "args", K::List(&K::Str), true),
            f("WorkingDir", "workingDir", K::Str, true),
            f("Ports", "ports", K::List(&K::Struct("ContainerPort")), true),
            f(
                "EnvFrom",
                "envFrom",
                K::List(&K::Struct("EnvFromSource")),
                true,
            ),
            f("Env", "env", K::List(&K::Struct("EnvVar")), true),
            f(
                "Resources",
                "resources",
                K::Struct("ResourceRequirements"),
                true,
            ),
            f(
                "ResizePolicy",
                "resizePolicy",
                K::List(&K::Struct("ContainerResizePolicy")),
                true,
            ),
            f("RestartPolicy", "restartPolicy", K::Str, true),
            f(
                "RestartPolicyRules",
                "restartPolicyRules",
                K::List(&K::Struct("ContainerRestartRule")),
                true,
            ),
            f(
                "VolumeMounts",
                "volumeMounts",
                K::List(&K::Struct("VolumeMount")),
                true,
            ),
            f(
                "VolumeDevices",
                "volumeDevices",
                K::List(&K::Struct("VolumeDevice")),
                true,
            ),
            f("LivenessProbe", "livenessProbe", K::Ptr("Probe"), true),
            f("ReadinessProbe", "readinessProbe", K::Ptr("Probe"), true),
            f("StartupProbe", "startupProbe", K::Ptr("Probe"), true),
            f("Lifecycle", "lifecycle", K::Ptr("Lifecycle"), true),
            f(
                "TerminationMessagePath",
                "terminationMessagePath",
                K::Str,
                true,
            ),
            f(
                "TerminationMessagePolicy",
                "terminationMessagePolicy",
                K::Str,
                true,
            ),
            f("ImagePullPolicy", "imagePullPolicy", K::Str, true),
            f(
                "SecurityContext",
                "securityContext",
                K::Ptr("SecurityContext"),
                true,
            ),
            f("Stdin", "stdin", K::Bool, true),
            f("StdinOnce", "stdinOnce", K::Bool, true),
            f("TTY", "tty", K::Bool, true),
            f("TargetContainerName", "targetContainerName", K::Str, true),
        ],
    },
    S {
        name: "PodSecurityContext",
        fields: &[
            f(
                "SELinuxOptions",
                "seLinuxOptions",
                K::Ptr("SELinuxOptions"),
                true,
            ),
            f(
                "WindowsOptions",
                "windowsOptions",
                K::Ptr("WindowsSecurityContextOptions"),
                true,
            ),
            f("RunAsUser", "runAsUser", K::Int, true),
            f("RunAsGroup", "runAsGroup", K::Int, true),
            f("RunAsNonRoot", "runAsNonRoot", K::Bool, true),
            f(
                "SupplementalGroups",
                "supplementalGroups",
                K::List(&K::Int),
                true,
            ),
            f(
                "SupplementalGroupsPolicy",
                "supplementalGroupsPolicy",
                K::Str,
                true,
            ),
            f("FSGroup", "fsGroup", K::Int, true),
            f("Sysctls", "sysctls", K::List(&K::Struct("Sysctl")), true),
            f("FSGroupChangePolicy", "fsGroupChangePolicy", K::Str, true),
            f(
                "SeccompProfile",
                "seccompProfile",
                K::Ptr("SeccompProfile"),
                true,
            ),
            f(
                "AppArmorProfile",
                "appArmorProfile",
                K::Ptr("AppArmorProfile"),
                true,
            ),
            f("SELinuxChangePolicy", "seLinuxChangePolicy", K::Str, true),
        ],
    },
    S {
        name: "LocalObjectReference",
        fields: &[f("Name", "name", K::Str, true)],
    },
    S {
        name: "Affinity",
        fields: &[
            f("NodeAffinity", "nodeAffinity", K::Ptr("NodeAffinity"), true),
            f("PodAffinity", "podAffinity", K::Ptr("PodAffinity"), true),
            f(
                "PodAntiAffinity",
                "podAntiAffinity",
                K::Ptr("PodAntiAffinity"),
                true,
            ),
        ],
    },
    S {
        name: "Toleration",
        fields: &[
            f("Key", "key", K::Str, true),
            f("Operator", "operator", K::Str, true),
            f("Value", "value", K::Str, true),
            f("Effect", "effect", K::Str, true),
            f("TolerationSeconds", "tolerationSeconds", K::Int, true),
        ],
    },
    S {
        name: "HostAlias",
        fields: &[
            f("IP", "ip", K::Str, false),
            f("Hostnames", "hostnames", K::List(&K::Str), true),
        ],
    },
    S {
        name: "PodDNSConfig",
        fields: &[
            f("Nameservers", "nameservers", K::List(&K::Str), true),
            f("Searches", "searches", K::List(&K::Str), true),
            f(
                "Options",
                "options",
                K::List(&K::Struct("PodDNSConfigOption")),
                true,
            ),
        ],
    },
    S {
        name: "PodReadinessGate",
        fields: &[f("ConditionType", "conditionType", K::Str, false)],
    },
    S {
        name: "TopologySpreadConstraint",
        fields: &[
            f("MaxSkew", "maxSkew", K::Int, false),
            f("TopologyKey", "topologyKey", K::Str, false),
            f("WhenUnsatisfiable", "whenUnsatisfiable", K::Str, false),
            f(
                "LabelSelector",
                "labelSelector",
                K::Ptr("LabelSelector"),
                true,
            ),
            f("MinDomains", "minDomains", K::Int, true),
            f("NodeAffinityPolicy", "nodeAffinityPolicy", K::Str, true),
            f("NodeTaintsPolicy", "nodeTaintsPolicy", K::Str, true),
            f("MatchLabelKeys", "matchLabelKeys", K::List(&K::Str), true),
        ],
    },
    S {
        name: "PodOS",
        fields: &[f("Name", "name", K::Str, false)],
    },
    S {
        name: "PodSchedulingGate",
        fields: &[f("Name", "name", K::Str, false)],
    },
    S {
        name: "PodResourceClaim",
        fields: &[
            f("Name", "name", K::Str, false),
            f("ResourceClaimName", "resourceClaimName", K::Str, true),
            f(
                "ResourceClaimTemplateName",
                "resourceClaimTemplateName",
                K::Str,
                true,
            ),
        ],
    },
    S {
        name: "ResourceRequirements",
        fields: &[
            f("Limits", "limits", K::StrMap, true),
            f("Requests", "requests", K::StrMap, true),
            f(
                "Claims",
                "claims",
                K::List(&K::Struct("ResourceClaim")),
                true,
            ),
        ],
    },
    S {
        name: "PodSchedulingGroup",
        fields: &[f("PodGroupName", "podGroupName", K::Str, true)],
    },
    S {
        name: "EvictionResponder",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Priority", "priority", K::Int, false),
        ],
    },
    S {
        name: "EnvFromSource",
        fields: &[
            f("Prefix", "prefix", K::Str, true),
            f(
                "ConfigMapRef",
                "configMapRef",
                K::Ptr("ConfigMapEnvSource"),
                true,
            ),
            f("SecretRef", "secretRef", K::Ptr("SecretEnvSource"), true),
        ],
    },
    S {
        name: "EnvVar",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Value", "value", K::Str, true),
            f("ValueFrom", "valueFrom", K::Ptr("EnvVarSource"), true),
        ],
    },
    S {
        name: "ContainerResizePolicy",
        fields: &[
            f("ResourceName", "resourceName", K::Str, false),
            f("RestartPolicy", "restartPolicy", K::Str, false),
        ],
    },
    S {
        name: "ContainerRestartRule",
        fields: &[
            f("Action", "action", K::Str, true),
            f(
                "ExitCodes",
                "exitCodes",
                K::Ptr("ContainerRestartRuleOnExitCodes"),
                true,
            ),
        ],
    },
    S {
        name: "VolumeMount",
        fields: &[
            f("Name", "name", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("RecursiveReadOnly", "recursiveReadOnly", K::Str, true),
            f("MountPath", "mountPath", K::Str, false),
            f("SubPath", "subPath", K::Str, true),
            f("MountPropagation", "mountPropagation", K::Str, true),
            f("SubPathExpr", "subPathExpr", K::Str, true),
            f(
                "BindMountOptions",
                "bindMountOptions",
                K::List(&K::Str),
                true,
            ),
        ],
    },
    S {
        name: "VolumeDevice",
        fields: &[
            f("Name", "name", K::Str, false),
            f("DevicePath", "devicePath", K::Str, false),
        ],
    },
    S {
        name: "Probe",
        fields: &[
            f("Exec", "exec", K::Ptr("ExecAction"), true),
            f("HTTPGet", "httpGet", K::Ptr("HTTPGetAction"), true),
            f("TCPSocket", "tcpSocket", K::Ptr("TCPSocketAction"), true),
            f("GRPC", "grpc", K::Ptr("GRPCAction"), true),
            f("InitialDelaySeconds", "initialDelaySeconds", K::Int, true),
            f("TimeoutSeconds", "timeoutSeconds", K::Int, true),
            f("PeriodSeconds", "periodSeconds", K::Int, true),
            f("SuccessThreshold", "successThreshold", K::Int, true),
            f("FailureThreshold", "failureThreshold", K::Int, true),
            f(
                "TerminationGracePeriodSeconds",
                "terminationGracePeriodSeconds",
                K::Int,
                true,
            ),
        ],
    },
    S {
        name: "Lifecycle",
        fields: &[
            f("PostStart", "postStart", K::Ptr("LifecycleHandler"), true),
            f("PreStop", "preStop", K::Ptr("LifecycleHandler"), true),
            f("StopSignal", "stopSignal", K::Str, true),
        ],
    },
    S {
        name: "SecurityContext",
        fields: &[
            f("Capabilities", "capabilities", K::Ptr("Capabilities"), true),
            f("Privileged", "privileged", K::Bool, true),
            f(
                "SELinuxOptions",
                "seLinuxOptions",
                K::Ptr("SELinuxOptions"),
                true,
            ),
            f(
                "WindowsOptions",
                "windowsOptions",
                K::Ptr("WindowsSecurityContextOptions"),
                true,
            ),
            f("RunAsUser", "runAsUser", K::Int, true),
            f("RunAsGroup", "runAsGroup", K::Int, true),
            f("RunAsNonRoot", "runAsNonRoot", K::Bool, true),
            f(
                "ReadOnlyRootFilesystem",
                "readOnlyRootFilesystem",
                K::Bool,
                true,
            ),
            f(
                "AllowPrivilegeEscalation",
                "allowPrivilegeEscalation",
                K::Bool,
                true,
            ),
            f("ProcMount", "procMount", K::Str, true),
            f(
                "SeccompProfile",
                "seccompProfile",
                K::Ptr("SeccompProfile"),
                true,
            ),
            f(
                "AppArmorProfile",
                "appArmorProfile",
                K::Ptr("AppArmorProfile"),
                true,
            ),
        ],
    },
    S {
        name: "HostPathVolumeSource",
        fields: &[
            f("Path", "path", K::Str, false),
            f("Type", "type", K::Str, true),
        ],
    },
    S {
        name: "EmptyDirVolumeSource",
        fields: &[
            f("Medium", "medium", K::Str, true),
            f("SizeLimit", "sizeLimit", K::Any, true),
            f("Mode", "mode", K::Int, true),
        ],
    },
    S {
        name: "GCEPersistentDiskVolumeSource",
        fields: &[
            f("PDName", "pdName", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("Partition", "partition", K::Int, true),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "AWSElasticBlockStoreVolumeSource",
        fields: &[
            f("VolumeID", "volumeID", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("Partition", "partition", K::Int, true),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "GitRepoVolumeSource",
        fields: &[
            f("Repository", "repository", K::Str, false),
            f("Revision", "revision", K::Str, true),
            f("Directory", "directory", K::Str, true),
        ],
    },
    S {
        name: "SecretVolumeSource",
        fields: &[
            f("SecretName", "secretName", K::Str, true),
            f("Items", "items", K::List(&K::Struct("KeyToPath")), true),
            f("DefaultMode", "defaultMode", K::Int, true),
            f("Optional", "optional", K::Bool, true),
            f("DefaultUser", "defaultUser", K::Int, true),
        ],
    },
    S {
        name: "NFSVolumeSource",
        fields: &[
            f("Server", "server", K::Str, false),
            f("Path", "path", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "ISCSIVolumeSource",
        fields: &[
            f("TargetPortal", "targetPortal", K::Str, false),
            f("IQN", "iqn", K::Str, false),
            f("Lun", "lun", K::Int, false),
            f("ISCSIInterface", "iscsiInterface", K::Str, true),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("Portals", "portals", K::List(&K::Str), true),
            f("DiscoveryCHAPAuth", "chapAuthDiscovery", K::Bool, true),
            f("SessionCHAPAuth", "chapAuthSession", K::Bool, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
            f("InitiatorName", "initiatorName", K::Str, true),
        ],
    },
    S {
        name: "GlusterfsVolumeSource",
        fields: &[
            f("EndpointsName", "endpoints", K::Str, false),
            f("Path", "path", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "PersistentVolumeClaimVolumeSource",
        fields: &[
            f("ClaimName", "claimName", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "RBDVolumeSource",
        fields: &[
            f("CephMonitors", "monitors", K::List(&K::Str), false),
            f("RBDImage", "image", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("RBDPool", "pool", K::Str, true),
            f("RadosUser", "user", K::Str, true),
            f("Keyring", "keyring", K::Str, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "FlexVolumeSource",
        fields: &[
            f("Driver", "driver", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("Options", "options", K::StrMap, true),
        ],
    },
    S {
        name: "CinderVolumeSource",
        fields: &[
            f("VolumeID", "volumeID", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
        ],
    },
    S {
        name: "CephFSVolumeSource",
        fields: &[
            f("Monitors", "monitors", K::List(&K::Str), false),
            f("Path", "path", K::Str, true),
            f("User", "user", K::Str, true),
            f("SecretFile", "secretFile", K::Str, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "FlockerVolumeSource",
        fields: &[
            f("DatasetName", "datasetName", K::Str, true),
            f("DatasetUUID", "datasetUUID", K::Str, true),
        ],
    },
    S {
        name: "DownwardAPIVolumeSource",
        fields: &[
            f(
                "Items",
                "items",
                K::List(&K::Struct("DownwardAPIVolumeFile")),
                true,
            ),
            f("DefaultMode", "defaultMode", K::Int, true),
            f("DefaultUser", "defaultUser", K::Int, true),
        ],
    },
    S {
        name: "FCVolumeSource",
        fields: &[
            f("TargetWWNs", "targetWWNs", K::List(&K::Str), true),
            f("Lun", "lun", K::Int, true),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("WWIDs", "wwids", K::List(&K::Str), true),
        ],
    },
    S {
        name: "AzureFileVolumeSource",
        fields: &[
            f("SecretName", "secretName", K::Str, false),
            f("ShareName", "shareName", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "ConfigMapVolumeSource",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Items", "items", K::List(&K::Struct("KeyToPath")), true),
            f("DefaultMode", "defaultMode", K::Int, true),
            f("Optional", "optional", K::Bool, true),
            f("DefaultUser", "defaultUser", K::Int, true),
        ],
    },
    S {
        name: "VsphereVirtualDiskVolumeSource",
        fields: &[
            f("VolumePath", "volumePath", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("StoragePolicyName", "storagePolicyName", K::Str, true),
            f("StoragePolicyID", "storagePolicyID", K::Str, true),
        ],
    },
    S {
        name: "QuobyteVolumeSource",
        fields: &[
            f("Registry", "registry", K::Str, false),
            f("Volume", "volume", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("User", "user", K::Str, true),
            f("Group", "group", K::Str, true),
            f("Tenant", "tenant", K::Str, true),
        ],
    },
    S {
        name: "AzureDiskVolumeSource",
        fields: &[
            f("DiskName", "diskName", K::Str, false),
            f("DataDiskURI", "diskURI", K::Str, false),
            f("CachingMode", "cachingMode", K::Str, true),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("Kind", "kind", K::Str, true),
        ],
    },
    S {
        name: "PhotonPersistentDiskVolumeSource",
        fields: &[
            f("PdID", "pdID", K::Str, false),
            f("FSType", "fsType", K::Str, true),
        ],
    },
    S {
        name: "ProjectedVolumeSource",
        fields: &[
            f(
                "Sources",
                "sources",
                K::List(&K::Struct("VolumeProjection")),
                false,
            ),
            f("DefaultMode", "defaultMode", K::Int, true),
            f("DefaultUser", "defaultUser", K::Int, true),
        ],
    },
    S {
        name: "PortworxVolumeSource",
        fields: &[
            f("VolumeID", "volumeID", K::Str, false),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "ScaleIOVolumeSource",
        fields: &[
            f("Gateway", "gateway", K::Str, false),
            f("System", "system", K::Str, false),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                false,
            ),
            f("SSLEnabled", "sslEnabled", K::Bool, true),
            f("ProtectionDomain", "protectionDomain", K::Str, true),
            f("StoragePool", "storagePool", K::Str, true),
            f("StorageMode", "storageMode", K::Str, true),
            f("VolumeName", "volumeName", K::Str, true),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
        ],
    },
    S {
        name: "StorageOSVolumeSource",
        fields: &[
            f("VolumeName", "volumeName", K::Str, true),
            f("VolumeNamespace", "volumeNamespace", K::Str, true),
            f("FSType", "fsType", K::Str, true),
            f("ReadOnly", "readOnly", K::Bool, true),
            f(
                "SecretRef",
                "secretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
        ],
    },
    S {
        name: "CSIVolumeSource",
        fields: &[
            f("Driver", "driver", K::Str, false),
            f("ReadOnly", "readOnly", K::Bool, true),
            f("FSType", "fsType", K::Str, true),
            f("VolumeAttributes", "volumeAttributes", K::StrMap, true),
            f(
                "NodePublishSecretRef",
                "nodePublishSecretRef",
                K::Ptr("LocalObjectReference"),
                true,
            ),
        ],
    },
    S {
        name: "EphemeralVolumeSource",
        fields: &[f(
            "VolumeClaimTemplate",
            "volumeClaimTemplate",
            K::Ptr("PersistentVolumeClaimTemplate"),
            true,
        )],
    },
    S {
        name: "ImageVolumeSource",
        fields: &[
            f("Reference", "reference", K::Str, true),
            f("PullPolicy", "pullPolicy", K::Str, true),
        ],
    },
    S {
        name: "SELinuxOptions",
        fields: &[
            f("User", "user", K::Str, true),
            f("Role", "role", K::Str, true),
            f("Type", "type", K::Str, true),
            f("Level", "level", K::Str, true),
        ],
    },
    S {
        name: "WindowsSecurityContextOptions",
        fields: &[
            f(
                "GMSACredentialSpecName",
                "gmsaCredentialSpecName",
                K::Str,
                true,
            ),
            f("GMSACredentialSpec", "gmsaCredentialSpec", K::Str, true),
            f("RunAsUserName", "runAsUserName", K::Str, true),
            f("HostProcess", "hostProcess", K::Bool, true),
        ],
    },
    S {
        name: "Sysctl",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Value", "value", K::Str, false),
        ],
    },
    S {
        name: "SeccompProfile",
        fields: &[
            f("Type", "type", K::Str, false),
            f("LocalhostProfile", "localhostProfile", K::Str, true),
        ],
    },
    S {
        name: "AppArmorProfile",
        fields: &[
            f("Type", "type", K::Str, false),
            f("LocalhostProfile", "localhostProfile", K::Str, true),
        ],
    },
    S {
        name: "NodeAffinity",
        fields: &[
            f(
                "RequiredDuringSchedulingIgnoredDuringExecution",
                "requiredDuringSchedulingIgnoredDuringExecution",
                K::Ptr("NodeSelector"),
                true,
            ),
            f(
                "PreferredDuringSchedulingIgnoredDuringExecution",
                "preferredDuringSchedulingIgnoredDuringExecution",
                K::List(&K::Struct("PreferredSchedulingTerm")),
                true,
            ),
        ],
    },
    S {
        name: "PodAffinity",
        fields: &[
            f(
                "RequiredDuringSchedulingIgnoredDuringExecution",
                "requiredDuringSchedulingIgnoredDuringExecution",
                K::List(&K::Struct("PodAffinityTerm")),
                true,
            ),
            f(
                "PreferredDuringSchedulingIgnoredDuringExecution",
                "preferredDuringSchedulingIgnoredDuringExecution",
                K::List(&K::Struct("WeightedPodAffinityTerm")),
                true,
            ),
        ],
    },
    S {
        name: "PodAntiAffinity",
        fields: &[
            f(
                "RequiredDuringSchedulingIgnoredDuringExecution",
                "requiredDuringSchedulingIgnoredDuringExecution",
                K::List(&K::Struct("PodAffinityTerm")),
                true,
            ),
            f(
                "PreferredDuringSchedulingIgnoredDuringExecution",
                "preferredDuringSchedulingIgnoredDuringExecution",
                K::List(&K::Struct("WeightedPodAffinityTerm")),
                true,
            ),
        ],
    },
    S {
        name: "PodDNSConfigOption",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Value", "value", K::Str, true),
        ],
    },
    S {
        name: "ResourceClaim",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Request", "request", K::Str, true),
        ],
    },
    S {
        name: "ConfigMapEnvSource",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "SecretEnvSource",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "EnvVarSource",
        fields: &[
            f("FieldRef", "fieldRef", K::Ptr("ObjectFieldSelector"), true),
            f(
                "ResourceFieldRef",
                "resourceFieldRef",
                K::Ptr("ResourceFieldSelector"),
                true,
            ),
            f(
                "ConfigMapKeyRef",
                "configMapKeyRef",
                K::Ptr("ConfigMapKeySelector"),
                true,
            ),
            f(
                "SecretKeyRef",
                "secretKeyRef",
                K::Ptr("SecretKeySelector"),
                true,
            ),
            f("FileKeyRef", "fileKeyRef", K::Ptr("FileKeySelector"), true),
        ],
    },
    S {
        name: "ContainerRestartRuleOnExitCodes",
        fields: &[
            f("Operator", "operator", K::Str, true),
            f("Values", "values", K::List(&K::Int), true),
        ],
    },
    S {
        name: "ExecAction",
        fields: &[f("Command", "command", K::List(&K::Str), true)],
    },
    S {
        name: "HTTPGetAction",
        fields: &[
            f("Path", "path", K::Str, true),
            f("Port", "port", K::Any, false),
            f("Host", "host", K::Str, true),
            f("Scheme", "scheme", K::Str, true),
            f(
                "HTTPHeaders",
                "httpHeaders",
                K::List(&K::Struct("HTTPHeader")),
                true,
            ),
            f("Protocol", "protocol", K::Str, true),
        ],
    },
    S {
        name: "TCPSocketAction",
        fields: &[
            f("Port", "port", K::Any, false),
            f("Host", "host", K::Str, true),
        ],
    },
    S {
        name: "GRPCAction",
        fields: &[
            f("Port", "port", K::Int, false),
            f("Service", "service", K::Str, false),
            f("Mode", "mode", K::Str, true),
        ],
    },
    S {
        name: "LifecycleHandler",
        fields: &[
            f("Exec", "exec", K::Ptr("ExecAction"), true),
            f("HTTPGet", "httpGet", K::Ptr("HTTPGetAction"), true),
            f("TCPSocket", "tcpSocket", K::Ptr("TCPSocketAction"), true),
            f("Sleep", "sleep", K::Ptr("SleepAction"), true),
        ],
    },
    S {
        name: "Capabilities",
        fields: &[
            f("Add", "add", K::List(&K::Str), true),
            f("Drop", "drop", K::List(&K::Str), true),
        ],
    },
    S {
        name: "KeyToPath",
        fields: &[
            f("Key", "key", K::Str, false),
            f("Path", "path", K::Str, false),
            f("Mode", "mode", K::Int, true),
            f("User", "user", K::Int, true),
        ],
    },
    S {
        name: "DownwardAPIVolumeFile",
        fields: &[
            f("Path", "path", K::Str, false),
            f("FieldRef", "fieldRef", K::Ptr("ObjectFieldSelector"), true),
            f(
                "ResourceFieldRef",
                "resourceFieldRef",
                K::Ptr("ResourceFieldSelector"),
                true,
            ),
            f("Mode", "mode", K::Int, true),
            f("User", "user", K::Int, true),
        ],
    },
    S {
        name: "VolumeProjection",
        fields: &[
            f("Secret", "secret", K::Ptr("SecretProjection"), true),
            f(
                "DownwardAPI",
                "downwardAPI",
                K::Ptr("DownwardAPIProjection"),
                true,
            ),
            f(
                "ConfigMap",
                "configMap",
                K::Ptr("ConfigMapProjection"),
                true,
            ),
            f(
                "ServiceAccountToken",
                "serviceAccountToken",
                K::Ptr("ServiceAccountTokenProjection"),
                true,
            ),
            f(
                "ClusterTrustBundle",
                "clusterTrustBundle",
                K::Ptr("ClusterTrustBundleProjection"),
                true,
            ),
            f(
                "PodCertificate",
                "podCertificate",
                K::Ptr("PodCertificateProjection"),
                true,
            ),
        ],
    },
    S {
        name: "PersistentVolumeClaimTemplate",
        fields: &[
            f("ObjectMeta", "metadata", K::Struct("ObjectMeta"), true),
            f(
                "Spec",
                "spec",
                K::Struct("PersistentVolumeClaimSpec"),
                false,
            ),
        ],
    },
    S {
        name: "NodeSelector",
        fields: &[f(
            "NodeSelectorTerms",
            "nodeSelectorTerms",
            K::List(&K::Struct("NodeSelectorTerm")),
            false,
        )],
    },
    S {
        name: "PreferredSchedulingTerm",
        fields: &[
            f("Weight", "weight", K::Int, false),
            f(
                "Preference",
                "preference",
                K::Struct("NodeSelectorTerm"),
                false,
            ),
        ],
    },
    S {
        name: "PodAffinityTerm",
        fields: &[
            f(
                "LabelSelector",
                "labelSelector",
                K::Ptr("LabelSelector"),
                true,
            ),
            f("Namespaces", "namespaces", K::List(&K::Str), true),
            f("TopologyKey", "topologyKey", K::Str, false),
            f(
                "NamespaceSelector",
                "namespaceSelector",
                K::Ptr("LabelSelector"),
                true,
            ),
            f("MatchLabelKeys", "matchLabelKeys", K::List(&K::Str), true),
            f(
                "MismatchLabelKeys",
                "mismatchLabelKeys",
                K::List(&K::Str),
                true,
            ),
        ],
    },
    S {
        name: "WeightedPodAffinityTerm",
        fields: &[
            f("Weight", "weight", K::Int, false),
            f(
                "PodAffinityTerm",
                "podAffinityTerm",
                K::Struct("PodAffinityTerm"),
                false,
            ),
        ],
    },
    S {
        name: "ObjectFieldSelector",
        fields: &[
            f("APIVersion", "apiVersion", K::Str, true),
            f("FieldPath", "fieldPath", K::Str, false),
        ],
    },
    S {
        name: "ResourceFieldSelector",
        fields: &[
            f("ContainerName", "containerName", K::Str, true),
            f("Resource", "resource", K::Str, false),
            f("Divisor", "divisor", K::Any, true),
        ],
    },
    S {
        name: "ConfigMapKeySelector",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Key", "key", K::Str, false),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "SecretKeySelector",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Key", "key", K::Str, false),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "FileKeySelector",
        fields: &[
            f("VolumeName", "volumeName", K::Str, false),
            f("Path", "path", K::Str, false),
            f("Key", "key", K::Str, false),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "HTTPHeader",
        fields: &[
            f("Name", "name", K::Str, false),
            f("Value", "value", K::Str, false),
        ],
    },
    S {
        name: "SleepAction",
        fields: &[f("Seconds", "seconds", K::Int, false)],
    },
    S {
        name: "SecretProjection",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Items", "items", K::List(&K::Struct("KeyToPath")), true),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "DownwardAPIProjection",
        fields: &[f(
            "Items",
            "items",
            K::List(&K::Struct("DownwardAPIVolumeFile")),
            true,
        )],
    },
    S {
        name: "ConfigMapProjection",
        fields: &[
            f("Name", "name", K::Str, true),
            f("Items", "items", K::List(&K::Struct("KeyToPath")), true),
            f("Optional", "optional", K::Bool, true),
        ],
    },
    S {
        name: "ServiceAccountTokenProjection",
        fields: &[
            f("Audience", "audience", K::Str, true),
            f("ExpirationSeconds", "expirationSeconds", K::Int, true),
            f("Path", "path", K::Str, false),
            f("User", "user", K::Int, true),
        ],
    },
    S {
        name: "ClusterTrustBundleProjection",
        fields: &[
            f("Name", "name", K::Str, true),
            f("SignerName", "signerName", K::Str, true),
            f(
                "LabelSelector",
                "labelSelector",
                K::Ptr("LabelSelector"),
                true,
            ),
            f("Optional", "optional", K::Bool, true),
            f("Path", "path", K::Str, false),
            f("User", "user", K::Int, true),
        ],
    },
    S {
        name: "PodCertificateProjection",
        fields: &[
            f("SignerName", "signerName", K::Str, true),
            f("KeyType", "keyType", K::Str, true),
            f("MaxExpirationSeconds", "maxExpirationSeconds", K::Int, true),
            f("CredentialBundlePath", "credentialBundlePath", K::Str, true),
            f("KeyPath", "keyPath", K::Str, true),
            f("CertificateChainPath", "certificateChainPath", K::Str, true),
            f("UserAnnotations", "userAnnotations", K::StrMap, true),
            f("User", "user", K::Int, true),
        ],
    },
    S {
        name: "PersistentVolumeClaimSpec",
        fields: &[
            f("AccessModes", "accessModes", K::List(&K::Str), true),
            f("Selector", "selector", K::Ptr("LabelSelector"), true),
            f(
                "Resources",
                "resources",
                K::Struct("VolumeResourceRequirements"),
                true,
            ),
            f("VolumeName", "volumeName", K::Str, true),
            f("StorageClassName", "storageClassName", K::Str, true),
            f("VolumeMode", "volumeMode", K::Str, true),
            f(
                "DataSource",
                "dataSource",
                K::Ptr("TypedLocalObjectReference"),
                true,
            ),
            f(
                "DataSourceRef",
                "dataSourceRef",
                K::Ptr("TypedObjectReference"),
                true,
            ),
            f(
                "VolumeAttributesClassName",
                "volumeAttributesClassName",
                K::Str,
                true,
            ),
        ],
    },
    S {
        name: "NodeSelectorTerm",
        fields: &[
            f(
                "MatchExpressions",
                "matchExpressions",
                K::List(&K::Struct("NodeSelectorRequirement")),
                true,
            ),
            f(
                "MatchFields",
                "matchFields",
                K::List(&K::Struct("NodeSelectorRequirement")),
                true,
            ),
        ],
    },
    S {
        name: "VolumeResourceRequirements",
        fields: &[
            f("Limits", "limits", K::StrMap, true),
            f("Requests", "requests", K::StrMap, true),
        ],
    },
    S {
        name: "TypedLocalObjectReference",
        fields: &[
            f("APIGroup", "apiGroup", K::Str, false),
            f("Kind", "kind", K::Str, false),
            f("Name", "name", K::Str, false),
        ],
    },
    S {
        name: "TypedObjectReference",
        fields: &[
            f("APIGroup", "apiGroup", K::Str, false),
            f("Kind", "kind", K::Str, false),
            f("Name", "name", K::Str, false),
            f("Namespace", "namespace", K::Str, true),
        ],
    },
    S {
        name: "NodeSelectorRequirement",
        fields: &[
            f("Key", "key", K::Str, false),
            f("Operator", "operator", K::Str, false),
            f("Values", "values", K::List(&K::Str), true),
        ],
    },
];
