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

{{/*
NetworkPolicy helpers. An ingress rule (argument: "from" peers, "ports" port names,
"anyone": whether no peers means anyone, else pods of this namespace).
*/}}
{{- define "drift.ingressRule" -}}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- if .from }}
  from:
    {{- toYaml .from | nindent 4 }}
  {{- else if not .anyone }}
  from:
    - podSelector: {}
  {{- end }}
{{- end -}}

{{/* An egress rule (argument: "to" peers, empty for any address; "ports" numbers; "udp" also UDP). */}}
{{- define "drift.egressRule" -}}
- ports:
    {{- range .ports }}
    - port: {{ . | int }}
      protocol: TCP
    {{- if $.udp }}
    - port: {{ . | int }}
      protocol: UDP
    {{- end }}
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The port at the end of "host:port" (or of a URL's authority), else the default given. */}}
{{- define "drift.portOf" -}}
{{- $found := regexFind ":[0-9]+$" (regexReplaceAll "^[a-z+]+://(?:[^@/]*@)?([^/?#]*).*$" .address "${1}") -}}
{{- if $found -}}{{ trimPrefix ":" $found }}{{- else -}}{{ .default }}{{- end -}}
{{- end -}}

{{/* The egress rules both components need: DNS, Temporal, the store, Redis, OTLP, extra. */}}
{{- define "drift.dependencyEgress" -}}
{{- $np := .Values.networkPolicy -}}
{{- include "drift.egressRule" (dict "to" $np.dns.to "ports" (list 53) "udp" true) }}
{{- $temporal := $np.temporal.port | default (include "drift.portOf" (dict "address" .Values.temporal.address "default" 7233)) }}
{{ include "drift.egressRule" (dict "to" $np.temporal.to "ports" (list $temporal)) }}
{{- $store := include "drift.storeUrl" . -}}
{{- if or $np.hbase.port (hasPrefix "hbase://" $store) }}
{{- $hbase := $np.hbase.port | default (include "drift.portOf" (dict "address" $store "default" .Values.hbase.thrift.port)) }}
{{ include "drift.egressRule" (dict "to" $np.hbase.to "ports" (list $hbase)) }}
{{- end }}
{{- $redis := $np.redis.ports -}}
{{- if not $redis -}}
{{- if eq .Values.redis.mode "plain" -}}
{{- $redis = list (include "drift.portOf" (dict "address" .Values.redis.url "default" 6379)) -}}
{{- else if eq .Values.redis.mode "sentinel" -}}
{{- $redis = list 6379 -}}
{{- range .Values.redis.sentinel.hosts -}}
{{- $redis = append $redis (include "drift.portOf" (dict "address" . "default" 26379) | int) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $redis (ne .Values.redis.mode "none") }}
{{ include "drift.egressRule" (dict "to" $np.redis.to "ports" (uniq $redis)) }}
{{- end }}
{{- with .Values.otel.endpoint }}
{{- $default := ternary 443 4318 (hasPrefix "https://" .) }}
{{- $otel := $np.otel.port | default (include "drift.portOf" (dict "address" . "default" $default)) }}
{{ include "drift.egressRule" (dict "to" $np.otel.to "ports" (list $otel)) }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}
