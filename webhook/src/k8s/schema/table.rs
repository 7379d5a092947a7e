//! The Go types of the Kubernetes API (k8s.io/api v0.36, apimachinery meta/v1 and types,
//! openshift apps/v1) that a pod or a workload embeds, written down from their field names and
//! `json` and `patchStrategy` struct tags. See the parent module for the notation.

/// One block per Go struct type, fields in Go declaration order.
pub(super) const TABLE: &str = r#"
# ---- meta/v1 -------------------------------------------------------------
TypeMeta
  kind? str
  apiVersion/APIVersion? str

ObjectMeta
  name? str
  generateName? str
  namespace? str
  selfLink? str
  uid/UID? str
  resourceVersion? str
  generation? i64
  creationTimestamp? time omitzero
  deletionTimestamp? *time
  deletionGracePeriodSeconds? *i64
  labels? {}str
  annotations? {}str
  ownerReferences? []OwnerReference merge=uid
  finalizers? []str merge
  managedFields? []ManagedFieldsEntry

OwnerReference
  apiVersion/APIVersion str
  kind str
  name str
  uid/UID str
  controller? *bool
  blockOwnerDeletion? *bool

ManagedFieldsEntry
  manager? str
  operation? str
  apiVersion/APIVersion? str
  time? *time
  fieldsType? str
  fieldsV1? *any
  subresource? str

ListMeta
  selfLink? str
  resourceVersion? str
  continue? str
  remainingItemCount? *i64

LabelSelector
  matchLabels? {}str
  matchExpressions? []LabelSelectorRequirement

LabelSelectorRequirement
  key str
  operator str
  values? []str

# ---- apimachinery types (no json tags: JSON names are the Go names) -------
NamespacedName
  Namespace str
  Name str

# ---- core/v1: pods --------------------------------------------------------
Pod
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? PodSpec
  status? PodStatus

PodTemplateSpec
  metadata/ObjectMeta? ObjectMeta
  spec? PodSpec

PodSpec
  volumes? []Volume merge,retainKeys=name
  initContainers? []Container merge=name
  containers []Container merge=name
  ephemeralContainers? []EphemeralContainer merge=name
  restartPolicy? str
  terminationGracePeriodSeconds? *i64
  activeDeadlineSeconds? *i64
  dnsPolicy/DNSPolicy? str
  nodeSelector? {}str
  serviceAccountName? str
  serviceAccount/DeprecatedServiceAccount? str
  automountServiceAccountToken? *bool
  nodeName? str
  hostNetwork? bool
  hostPID? bool
  hostIPC? bool
  shareProcessNamespace? *bool
  securityContext? *PodSecurityContext
  imagePullSecrets? []LocalObjectReference merge=name
  hostname? str
  subdomain? str
  affinity? *Affinity
  schedulerName? str
  tolerations? []Toleration
  hostAliases? []HostAlias merge=ip
  priorityClassName? str
  priority? *i32
  dnsConfig/DNSConfig? *PodDNSConfig
  readinessGates? []PodReadinessGate
  runtimeClassName? *str
  enableServiceLinks? *bool
  preemptionPolicy? *str
  overhead? {}quantity
  topologySpreadConstraints? []TopologySpreadConstraint merge=topologyKey
  setHostnameAsFQDN? *bool
  os/OS? *PodOS
  hostUsers? *bool
  schedulingGates? []PodSchedulingGate merge=name
  resourceClaims? []PodResourceClaim merge,retainKeys=name
  resources? *ResourceRequirements
  hostnameOverride? *str
  schedulingGroup? *PodSchedulingGroup

PodStatus
  observedGeneration? i64
  phase? str
  conditions? []any merge=type
  message? str
  reason? str
  nominatedNodeName? str
  hostIP? str
  hostIPs? []any merge=ip
  podIP? str
  podIPs? []any merge=ip
  startTime? *time
  initContainerStatuses? []any
  containerStatuses? []any
  qosClass/QOSClass? str
  ephemeralContainerStatuses? []any
  resize? str
  resourceClaimStatuses? []any merge,retainKeys=name
  extendedResourceClaimStatus? *any
  allocatedResources? {}quantity
  resources? *ResourceRequirements
  nodeAllocatableResourceClaimStatuses? []any

Container
  name str
  image? str
  command? []str
  args? []str
  workingDir? str
  ports? []ContainerPort merge=containerPort
  envFrom? []EnvFromSource
  env? []EnvVar merge=name
  resources? ResourceRequirements
  resizePolicy? []ContainerResizePolicy
  restartPolicy? *str
  restartPolicyRules? []ContainerRestartRule
  volumeMounts? []VolumeMount merge=mountPath
  volumeDevices? []VolumeDevice merge=devicePath
  livenessProbe? *Probe
  readinessProbe? *Probe
  startupProbe? *Probe
  lifecycle? *Lifecycle
  terminationMessagePath? str
  terminationMessagePolicy? str
  imagePullPolicy? str
  securityContext? *SecurityContext
  stdin? bool
  stdinOnce? bool
  tty/TTY? bool

# EphemeralContainerCommon carries the same fields and tags as Container.
EphemeralContainer
  ..Container
  targetContainerName? str

ContainerPort
  name? str
  hostPort? i32
  containerPort i32
  protocol? str
  hostIP? str

EnvVar
  name str
  value? str
  valueFrom? *EnvVarSource

EnvVarSource
  fieldRef? *ObjectFieldSelector
  resourceFieldRef? *ResourceFieldSelector
  configMapKeyRef? *ConfigMapKeySelector
  secretKeyRef? *SecretKeySelector
  fileKeyRef? *FileKeySelector

ObjectFieldSelector
  apiVersion/APIVersion? str
  fieldPath str

ResourceFieldSelector
  containerName? str
  resource str
  divisor? quantity

ConfigMapKeySelector
  ..LocalObjectReference
  key str
  optional? *bool

SecretKeySelector
  ..LocalObjectReference
  key str
  optional? *bool

FileKeySelector
  volumeName str
  path str
  key str
  optional? *bool

EnvFromSource
  prefix? str
  configMapRef? *ConfigMapEnvSource
  secretRef? *SecretEnvSource

ConfigMapEnvSource
  ..LocalObjectReference
  optional? *bool

SecretEnvSource
  ..LocalObjectReference
  optional? *bool

LocalObjectReference
  name? str

ResourceRequirements
  limits? {}quantity
  requests? {}quantity
  claims? []ResourceClaim

ResourceClaim
  name str
  request? str

ContainerResizePolicy
  resourceName str
  restartPolicy str

ContainerRestartRule
  action? str
  exitCodes? *ContainerRestartRuleOnExitCodes

ContainerRestartRuleOnExitCodes
  operator? str
  values? []i32

VolumeMount
  name str
  readOnly? bool
  recursiveReadOnly? *str
  mountPath str
  subPath? str
  mountPropagation? *str
  subPathExpr? str

VolumeDevice
  name str
  devicePath str

Probe
  ..ProbeHandler
  initialDelaySeconds? i32
  timeoutSeconds? i32
  periodSeconds? i32
  successThreshold? i32
  failureThreshold? i32
  terminationGracePeriodSeconds? *i64

ProbeHandler
  exec? *ExecAction
  httpGet/HTTPGet? *HTTPGetAction
  tcpSocket/TCPSocket? *TCPSocketAction
  grpc/GRPC? *GRPCAction

ExecAction
  command? []str

HTTPGetAction
  path? str
  port intstr
  host? str
  scheme? str
  httpHeaders/HTTPHeaders? []HTTPHeader

HTTPHeader
  name str
  value str

TCPSocketAction
  port intstr
  host? str

GRPCAction
  port i32
  service *str

Lifecycle
  postStart? *LifecycleHandler
  preStop? *LifecycleHandler
  stopSignal? *str

LifecycleHandler
  exec? *ExecAction
  httpGet/HTTPGet? *HTTPGetAction
  tcpSocket/TCPSocket? *TCPSocketAction
  sleep? *SleepAction

SleepAction
  seconds i64

SecurityContext
  capabilities? *Capabilities
  privileged? *bool
  seLinuxOptions/SELinuxOptions? *SELinuxOptions
  windowsOptions? *WindowsSecurityContextOptions
  runAsUser? *i64
  runAsGroup? *i64
  runAsNonRoot? *bool
  readOnlyRootFilesystem? *bool
  allowPrivilegeEscalation? *bool
  procMount? *str
  seccompProfile? *SeccompProfile
  appArmorProfile? *AppArmorProfile

Capabilities
  add? []str
  drop? []str

SELinuxOptions
  user? str
  role? str
  type? str
  level? str

WindowsSecurityContextOptions
  gmsaCredentialSpecName/GMSACredentialSpecName? *str
  gmsaCredentialSpec/GMSACredentialSpec? *str
  runAsUserName? *str
  hostProcess? *bool

SeccompProfile
  type str
  localhostProfile? *str

AppArmorProfile
  type str
  localhostProfile? *str

PodSecurityContext
  seLinuxOptions/SELinuxOptions? *SELinuxOptions
  windowsOptions? *WindowsSecurityContextOptions
  runAsUser? *i64
  runAsGroup? *i64
  runAsNonRoot? *bool
  supplementalGroups? []i64
  supplementalGroupsPolicy? *str
  fsGroup/FSGroup? *i64
  sysctls? []Sysctl
  fsGroupChangePolicy/FSGroupChangePolicy? *str
  seccompProfile? *SeccompProfile
  appArmorProfile? *AppArmorProfile
  seLinuxChangePolicy/SELinuxChangePolicy? *str

Sysctl
  name str
  value str

Affinity
  nodeAffinity? *NodeAffinity
  podAffinity? *PodAffinity
  podAntiAffinity? *PodAntiAffinity

NodeAffinity
  requiredDuringSchedulingIgnoredDuringExecution? *NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution? []PreferredSchedulingTerm

NodeSelector
  nodeSelectorTerms []NodeSelectorTerm

NodeSelectorTerm
  matchExpressions? []NodeSelectorRequirement
  matchFields? []NodeSelectorRequirement

NodeSelectorRequirement
  key str
  operator str
  values? []str

PreferredSchedulingTerm
  weight i32
  preference NodeSelectorTerm

PodAffinity
  requiredDuringSchedulingIgnoredDuringExecution? []PodAffinityTerm
  preferredDuringSchedulingIgnoredDuringExecution? []WeightedPodAffinityTerm

PodAntiAffinity
  requiredDuringSchedulingIgnoredDuringExecution? []PodAffinityTerm
  preferredDuringSchedulingIgnoredDuringExecution? []WeightedPodAffinityTerm

PodAffinityTerm
  labelSelector? *LabelSelector
  namespaces? []str
  topologyKey str
  namespaceSelector? *LabelSelector
  matchLabelKeys? []str
  mismatchLabelKeys? []str

WeightedPodAffinityTerm
  weight i32
  podAffinityTerm PodAffinityTerm

Toleration
  key? str
  operator? str
  value? str
  effect? str
  tolerationSeconds? *i64

HostAlias
  ip/IP str
  hostnames? []str

PodDNSConfig
  nameservers? []str
  searches? []str
  options? []PodDNSConfigOption

PodDNSConfigOption
  name? str
  value? *str

PodReadinessGate
  conditionType str

TopologySpreadConstraint
  maxSkew i32
  topologyKey str
  whenUnsatisfiable str
  labelSelector? *LabelSelector
  minDomains? *i32
  nodeAffinityPolicy? *str
  nodeTaintsPolicy? *str
  matchLabelKeys? []str

PodOS
  name str

PodSchedulingGate
  name str

PodResourceClaim
  name str
  resourceClaimName? *str
  resourceClaimTemplateName? *str

PodSchedulingGroup
  podGroupName? *str

# ---- core/v1: volumes -----------------------------------------------------
Volume
  name str
  ..VolumeSource

VolumeSource
  hostPath? *HostPathVolumeSource
  emptyDir? *EmptyDirVolumeSource
  gcePersistentDisk/GCEPersistentDisk? *GCEPersistentDiskVolumeSource
  awsElasticBlockStore/AWSElasticBlockStore? *AWSElasticBlockStoreVolumeSource
  gitRepo? *GitRepoVolumeSource
  secret? *SecretVolumeSource
  nfs/NFS? *NFSVolumeSource
  iscsi/ISCSI? *ISCSIVolumeSource
  glusterfs? *GlusterfsVolumeSource
  persistentVolumeClaim? *PersistentVolumeClaimVolumeSource
  rbd/RBD? *RBDVolumeSource
  flexVolume? *FlexVolumeSource
  cinder? *CinderVolumeSource
  cephfs/CephFS? *CephFSVolumeSource
  flocker? *FlockerVolumeSource
  downwardAPI? *DownwardAPIVolumeSource
  fc/FC? *FCVolumeSource
  azureFile? *AzureFileVolumeSource
  configMap? *ConfigMapVolumeSource
  vsphereVolume? *VsphereVirtualDiskVolumeSource
  quobyte? *QuobyteVolumeSource
  azureDisk? *AzureDiskVolumeSource
  photonPersistentDisk? *PhotonPersistentDiskVolumeSource
  projected? *ProjectedVolumeSource
  portworxVolume? *PortworxVolumeSource
  scaleIO? *ScaleIOVolumeSource
  storageos/StorageOS? *StorageOSVolumeSource
  csi/CSI? *CSIVolumeSource
  ephemeral? *EphemeralVolumeSource
  image? *ImageVolumeSource

HostPathVolumeSource
  path str
  type? *str

EmptyDirVolumeSource
  medium? str
  sizeLimit? *quantity

GCEPersistentDiskVolumeSource
  pdName/PDName str
  fsType/FSType? str
  partition? i32
  readOnly? bool

AWSElasticBlockStoreVolumeSource
  volumeID str
  fsType/FSType? str
  partition? i32
  readOnly? bool

GitRepoVolumeSource
  repository str
  revision? str
  directory? str

SecretVolumeSource
  secretName? str
  items? []KeyToPath
  defaultMode? *i32
  optional? *bool

NFSVolumeSource
  server str
  path str
  readOnly? bool

ISCSIVolumeSource
  targetPortal str
  iqn/IQN str
  lun i32
  iscsiInterface/ISCSIInterface? str
  fsType/FSType? str
  readOnly? bool
  portals? []str
  chapAuthDiscovery/DiscoveryCHAPAuth? bool
  chapAuthSession/SessionCHAPAuth? bool
  secretRef? *LocalObjectReference
  initiatorName? *str

GlusterfsVolumeSource
  endpoints/EndpointsName str
  path str
  readOnly? bool

PersistentVolumeClaimVolumeSource
  claimName str
  readOnly? bool

RBDVolumeSource
  monitors/CephMonitors []str
  image/RBDImage str
  fsType/FSType? str
  pool/RBDPool? str
  user/RadosUser? str
  keyring? str
  secretRef? *LocalObjectReference
  readOnly? bool

FlexVolumeSource
  driver str
  fsType/FSType? str
  secretRef? *LocalObjectReference
  readOnly? bool
  options? {}str

CinderVolumeSource
  volumeID str
  fsType/FSType? str
  readOnly? bool
  secretRef? *LocalObjectReference

CephFSVolumeSource
  monitors []str
  path? str
  user? str
  secretFile? str
  secretRef? *LocalObjectReference
  readOnly? bool

FlockerVolumeSource
  datasetName? str
  datasetUUID? str

DownwardAPIVolumeSource
  items? []DownwardAPIVolumeFile
  defaultMode? *i32

DownwardAPIVolumeFile
  path str
  fieldRef? *ObjectFieldSelector
  resourceFieldRef? *ResourceFieldSelector
  mode? *i32

FCVolumeSource
  targetWWNs? []str
  lun? *i32
  fsType/FSType? str
  readOnly? bool
  wwids/WWIDs? []str

AzureFileVolumeSource
  secretName str
  shareName str
  readOnly? bool

ConfigMapVolumeSource
  ..LocalObjectReference
  items? []KeyToPath
  defaultMode? *i32
  optional? *bool

KeyToPath
  key str
  path str
  mode? *i32

VsphereVirtualDiskVolumeSource
  volumePath str
  fsType/FSType? str
  storagePolicyName? str
  storagePolicyID? str

QuobyteVolumeSource
  registry str
  volume str
  readOnly? bool
  user? str
  group? str
  tenant? str

AzureDiskVolumeSource
  diskName str
  diskURI/DataDiskURI str
  cachingMode? *str
  fsType/FSType? *str
  readOnly? *bool
  kind? *str

PhotonPersistentDiskVolumeSource
  pdID str
  fsType/FSType? str

ProjectedVolumeSource
  sources []VolumeProjection
  defaultMode? *i32

VolumeProjection
  secret? *SecretProjection
  downwardAPI? *DownwardAPIProjection
  configMap? *ConfigMapProjection
  serviceAccountToken? *ServiceAccountTokenProjection
  clusterTrustBundle? *ClusterTrustBundleProjection
  podCertificate? *PodCertificateProjection

SecretProjection
  ..LocalObjectReference
  items? []KeyToPath
  optional? *bool

ConfigMapProjection
  ..LocalObjectReference
  items? []KeyToPath
  optional? *bool

DownwardAPIProjection
  items? []DownwardAPIVolumeFile

ServiceAccountTokenProjection
  audience? str
  expirationSeconds? *i64
  path str

ClusterTrustBundleProjection
  name? *str
  signerName? *str
  labelSelector? *LabelSelector
  optional? *bool
  path str

PodCertificateProjection
  signerName? str
  keyType? str
  maxExpirationSeconds? *i32
  credentialBundlePath? str
  keyPath? str
  certificateChainPath? str
  userAnnotations? {}str

PortworxVolumeSource
  volumeID str
  fsType/FSType? str
  readOnly? bool

ScaleIOVolumeSource
  gateway str
  system str
  secretRef *LocalObjectReference
  sslEnabled/SSLEnabled? bool
  protectionDomain? str
  storagePool? str
  storageMode? str
  volumeName? str
  fsType/FSType? str
  readOnly? bool

StorageOSVolumeSource
  volumeName? str
  volumeNamespace? str
  fsType/FSType? str
  readOnly? bool
  secretRef? *LocalObjectReference

CSIVolumeSource
  driver str
  readOnly? *bool
  fsType/FSType? *str
  volumeAttributes? {}str
  nodePublishSecretRef? *LocalObjectReference

EphemeralVolumeSource
  volumeClaimTemplate? *PersistentVolumeClaimTemplate

ImageVolumeSource
  reference? str
  pullPolicy? str

PersistentVolumeClaimTemplate
  metadata/ObjectMeta? ObjectMeta
  spec PersistentVolumeClaimSpec

PersistentVolumeClaim
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? PersistentVolumeClaimSpec
  status? PersistentVolumeClaimStatus

PersistentVolumeClaimSpec
  accessModes? []str
  selector? *LabelSelector
  resources? VolumeResourceRequirements
  volumeName? str
  storageClassName? *str
  volumeMode? *str
  dataSource? *TypedLocalObjectReference
  dataSourceRef? *TypedObjectReference
  volumeAttributesClassName? *str

VolumeResourceRequirements
  limits? {}quantity
  requests? {}quantity

TypedLocalObjectReference
  apiGroup/APIGroup *str
  kind str
  name str

TypedObjectReference
  apiGroup/APIGroup *str
  kind str
  name str
  namespace? *str

PersistentVolumeClaimStatus
  phase? str
  accessModes? []str
  capacity? {}quantity
  conditions? []any merge=type
  allocatedResources? {}quantity
  allocatedResourceStatuses? {}str
  currentVolumeAttributesClassName? *str
  modifyVolumeStatus? *any

ObjectReference
  kind? str
  namespace? str
  name? str
  uid/UID? str
  apiVersion/APIVersion? str
  resourceVersion? str
  fieldPath? str

# ---- core/v1: controllers and lists ---------------------------------------
ReplicationController
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? ReplicationControllerSpec
  status? ReplicationControllerStatus

ReplicationControllerSpec
  replicas? *i32
  minReadySeconds? i32
  selector? {}str
  template? *PodTemplateSpec

ReplicationControllerStatus
  replicas i32
  fullyLabeledReplicas? i32
  readyReplicas? i32
  availableReplicas? i32
  observedGeneration? i64
  conditions? []any merge=type

List
  ..TypeMeta
  metadata/ListMeta? ListMeta
  items []object

# ---- apps/v1 ----------------------------------------------------------------
Deployment
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? DeploymentSpec
  status? DeploymentStatus

DeploymentSpec
  replicas? *i32
  selector *LabelSelector
  template PodTemplateSpec
  strategy? DeploymentStrategy
  minReadySeconds? i32
  revisionHistoryLimit? *i32
  paused? bool
  progressDeadlineSeconds? *i32

DeploymentStrategy
  type? str
  rollingUpdate? *RollingUpdateDeployment

RollingUpdateDeployment
  maxUnavailable? *intstr
  maxSurge? *intstr

DeploymentStatus
  observedGeneration? i64
  replicas? i32
  updatedReplicas? i32
  readyReplicas? i32
  availableReplicas? i32
  unavailableReplicas? i32
  terminatingReplicas? *i32
  conditions? []any merge=type
  collisionCount? *i32

ReplicaSet
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? ReplicaSetSpec
  status? ReplicaSetStatus

ReplicaSetSpec
  replicas? *i32
  minReadySeconds? i32
  selector *LabelSelector
  template? PodTemplateSpec

ReplicaSetStatus
  replicas i32
  fullyLabeledReplicas? i32
  readyReplicas? i32
  availableReplicas? i32
  terminatingReplicas? *i32
  observedGeneration? i64
  conditions? []any merge=type

StatefulSet
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? StatefulSetSpec
  status? StatefulSetStatus

StatefulSetSpec
  replicas? *i32
  selector *LabelSelector
  template PodTemplateSpec
  volumeClaimTemplates? []PersistentVolumeClaim
  serviceName? str
  podManagementPolicy? str
  updateStrategy? StatefulSetUpdateStrategy
  revisionHistoryLimit? *i32
  minReadySeconds? i32
  persistentVolumeClaimRetentionPolicy? *any
  ordinals? *any

StatefulSetUpdateStrategy
  type? str
  rollingUpdate? *RollingUpdateStatefulSetStrategy

RollingUpdateStatefulSetStrategy
  partition? *i32
  maxUnavailable? *intstr

StatefulSetStatus
  observedGeneration? i64
  replicas i32
  readyReplicas? i32
  currentReplicas? i32
  updatedReplicas? i32
  currentRevision? str
  updateRevision? str
  collisionCount? *i32
  conditions? []any merge=type
  availableReplicas i32

DaemonSet
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? DaemonSetSpec
  status? DaemonSetStatus

DaemonSetSpec
  selector *LabelSelector
  template PodTemplateSpec
  updateStrategy? DaemonSetUpdateStrategy
  minReadySeconds? i32
  revisionHistoryLimit? *i32

DaemonSetUpdateStrategy
  type? str
  rollingUpdate? *RollingUpdateDaemonSet

RollingUpdateDaemonSet
  maxUnavailable? *intstr
  maxSurge? *intstr

DaemonSetStatus
  currentNumberScheduled i32
  numberMisscheduled i32
  desiredNumberScheduled i32
  numberReady i32
  observedGeneration? i64
  updatedNumberScheduled? i32
  numberAvailable? i32
  numberUnavailable? i32
  collisionCount? *i32
  conditions? []any merge=type

# ---- batch/v1 (batch/v1beta1 CronJob has the same shape) ----------------------
Job
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? JobSpec
  status? JobStatus

JobSpec
  parallelism? *i32
  completions? *i32
  activeDeadlineSeconds? *i64
  podFailurePolicy? *any
  successPolicy? *any
  backoffLimit? *i32
  backoffLimitPerIndex? *i32
  maxFailedIndexes? *i32
  selector? *LabelSelector
  manualSelector? *bool
  template PodTemplateSpec
  ttlSecondsAfterFinished/TTLSecondsAfterFinished? *i32
  completionMode? *str
  suspend? *bool
  podReplacementPolicy? *str
  managedBy? *str

JobStatus
  conditions? []any merge=type
  startTime? *time
  completionTime? *time
  active? i32
  succeeded? i32
  failed? i32
  terminating? *i32
  completedIndexes? str
  failedIndexes? *str
  uncountedTerminatedPods? *any
  ready? *i32

CronJob
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec? CronJobSpec
  status? CronJobStatus

CronJobSpec
  schedule str
  timeZone? *str
  startingDeadlineSeconds? *i64
  concurrencyPolicy? str
  suspend? *bool
  jobTemplate JobTemplateSpec
  successfulJobsHistoryLimit? *i32
  failedJobsHistoryLimit? *i32

JobTemplateSpec
  metadata/ObjectMeta? ObjectMeta
  spec? JobSpec

CronJobStatus
  active? []ObjectReference
  lastScheduleTime? *time
  lastSuccessfulTime? *time

# ---- apps.openshift.io/v1 -----------------------------------------------------
DeploymentConfig
  ..TypeMeta
  metadata/ObjectMeta? ObjectMeta
  spec DeploymentConfigSpec
  status? DeploymentConfigStatus

DeploymentConfigSpec
  strategy OpenShiftDeploymentStrategy
  minReadySeconds? i32
  triggers []DeploymentTriggerPolicy
  replicas i32
  revisionHistoryLimit? *i32
  test bool
  paused? bool
  selector? {}str
  template? *PodTemplateSpec

OpenShiftDeploymentStrategy
  type? str
  customParams? *any
  recreateParams? *any
  rollingParams? *any
  resources? ResourceRequirements
  labels? {}str
  annotations? {}str
  activeDeadlineSeconds? *i64

DeploymentTriggerPolicy
  type? str
  imageChangeParams? *DeploymentTriggerImageChangeParams

DeploymentTriggerImageChangeParams
  automatic? bool
  containerNames? []str
  from ObjectReference
  lastTriggeredImage? str

DeploymentConfigStatus
  latestVersion i64
  observedGeneration i64
  replicas i32
  updatedReplicas i32
  availableReplicas i32
  unavailableReplicas i32
  details? *any
  conditions? []any
  readyReplicas? i32
"#;
