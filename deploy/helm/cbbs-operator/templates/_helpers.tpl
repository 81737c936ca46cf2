{{/* Chart name, overridable. */}}
{{- define "cbbs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; the release name alone when it already contains the chart name. */}}
{{- define "cbbs-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cbbs-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels selecting the operator's pods; never change them in an upgrade (selectors are immutable). */}}
{{- define "cbbs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cbbs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cbbs-operator.labels" -}}
helm.sh/chart: {{ include "cbbs-operator.chart" . }}
{{ include "cbbs-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cbbs-operator
{{- end }}

{{- define "cbbs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cbbs-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cbbs-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "cbbs-operator.leaseName" -}}
{{- default (include "cbbs-operator.fullname" .) .Values.leaderElection.id }}
{{- end }}

{{- define "cbbs-operator.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{- define "cbbs-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "cbbs-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Rules on the cbbs.dev kinds, Secrets and Events: the operator's whole API surface apart from its
Lease. Shared by the ClusterRole (cluster-wide mode) and the per-namespace Roles (namespaced mode).
No wildcards, no create and no delete: the operator never creates or deletes cbbs.dev objects or
Secrets, it only reads them and writes status, finalizers and its own annotations.
*/}}
{{- define "cbbs-operator.operatorRules" -}}
- apiGroups: ["cbbs.dev"]
  resources: ["backupservices", "backupplans", "backuprepositories", "backupruns", "backuprestores"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["cbbs.dev"]
  resources: ["backupservices/status", "backupplans/status", "backuprepositories/status", "backupruns/status", "backuprestores/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["cbbs.dev"]
  resources: ["backupservices/finalizers", "backupplans/finalizers", "backuprepositories/finalizers", "backupruns/finalizers", "backuprestores/finalizers"]
  verbs: ["update"]
{{- /* Secrets: a metadata-only list+watch (names and resourceVersions) and a GET of each referenced one. */}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
