{{/* Name of every namespaced object: the release name unless overridden. */}}
{{- define "meshinject.fullname" -}}
{{ .Values.fullnameOverride | default .Release.Name }}
{{- end }}

{{/* Name of the cluster-scoped objects: unique per install namespace. */}}
{{- define "meshinject.clusterName" -}}
{{ printf "%s-%s" (include "meshinject.fullname" .) .Release.Namespace }}
{{- end }}

{{/* Name of the MutatingWebhookConfiguration the server patches. */}}
{{- define "meshinject.webhookConfigName" -}}
{{ .Values.webhook.configName | default (include "meshinject.clusterName" .) }}
{{- end }}

{{/* "-<revision>" for a revision's ConfigMap names (none for the default revision). */}}
{{- define "meshinject.revisionSuffix" -}}
{{ if and .Values.revision (ne .Values.revision "default") }}-{{ .Values.revision }}{{ end }}
{{- end }}

{{/* The ConfigMaps the server reads (--injector-configmap / --mesh-configmap defaults). */}}
{{- define "meshinject.injectorConfigMap" -}}
istio-sidecar-injector{{ include "meshinject.revisionSuffix" . }}
{{- end }}
{{- define "meshinject.meshConfigMap" -}}
istio{{ include "meshinject.revisionSuffix" . }}
{{- end }}

{{/* Labels selecting the server's pods. */}}
{{- define "meshinject.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "meshinject.labels" -}}
{{ include "meshinject.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end }}
