{{/*
Names, labels and small values shared by every template.

Component templates receive a dict: "root" (the chart's top context), "component"
("api" or "worker") and "values" (.Values.api or .Values.worker).
*/}}

{{- define "drift.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: "<release>-drift", or the release alone if it says drift. */}}
{{- define "drift.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's resource name: "<fullname>-api", "<fullname>-worker-…". */}}
{{- define "drift.componentName" -}}
{{- $room := sub 62 (len .component) | int -}}
{{- printf "%s-%s" (include "drift.fullname" .root | trunc $room | trimSuffix "-") .component -}}
{{- end -}}

{{- define "drift.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object of the release. */}}
{{- define "drift.labels" -}}
helm.sh/chart: {{ include "drift.chart" . }}
app.kubernetes.io/name: {{ include "drift.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: drift
{{- end -}}

{{/* The labels that select one component's pods (never change them: selectors are immutable). */}}
{{- define "drift.selectorLabels" -}}
app.kubernetes.io/name: {{ include "drift.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "drift.componentLabels" -}}
{{ include "drift.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "drift.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "drift.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the services read: the operator's, or the one this chart makes. */}}
{{- define "drift.secretName" -}}
{{- default (include "drift.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* registry/repository:tag, or registry/repository@digest. */}}
{{- define "drift.image" -}}
{{- $repository := .values.image.repository -}}
{{- with .root.Values.image.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository -}}
{{- end -}}
{{- if .values.image.digest -}}
{{- printf "%s@%s" $repository .values.image.digest -}}
{{- else -}}
{{- $tag := .values.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repository (toString $tag) -}}
{{- end -}}
{{- end -}}

{{/* The store URL: store.url, or hbase://host:port?… built from hbase.*. */}}
{{- define "drift.storeUrl" -}}
{{- if .Values.store.url -}}
{{- .Values.store.url -}}
{{- else -}}
{{- $hbase := .Values.hbase -}}
{{- $query := list -}}
{{- with $hbase.tablePrefix -}}
{{- $query = append $query (printf "prefix=%s" .) -}}
{{- end -}}
{{- $query = append $query (printf "pool=%s" (include "drift.envValue" $hbase.pool)) -}}
{{- $query = append $query (printf "timeout=%s" (include "drift.envValue" $hbase.timeoutSeconds)) -}}
{{- printf "hbase://%s:%s?%s" $hbase.thrift.host (include "drift.envValue" $hbase.thrift.port) (join "&" $query) -}}
{{- end -}}
{{- end -}}

{{/*
A value as the text of an environment variable, the way drift_models.settings reads it:
strings as they are, lists comma-separated, numbers and booleans as JSON (so 4194304
never becomes 4.194304e+06), maps as JSON.
*/}}
{{- define "drift.envValue" -}}
{{- if kindIs "string" . -}}
{{- . -}}
{{- else if kindIs "slice" . -}}
{{- $items := list -}}
{{- range . -}}
{{- $items = append $items (include "drift.envValue" .) -}}
{{- end -}}
{{- join "," $items -}}
{{- else -}}
{{- toJson . -}}
{{- end -}}
{{- end -}}

{{/* A camelCase settings key as its variable: syncTimeoutSeconds -> DRIFT_SYNC_TIMEOUT_SECONDS. */}}
{{- define "drift.envName" -}}
{{- printf "DRIFT_%s" (snakecase . | upper) -}}
{{- end -}}
