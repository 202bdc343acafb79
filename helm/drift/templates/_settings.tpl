{{/*
The non-secret settings of a component as ConfigMap data (DRIFT_* variables). The
Secret's variables are wired in the pod (see _pod.tpl). Argument: the component dict.
*/}}
{{- define "drift.settings" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $data := dict -}}
{{- /* Temporal, store and Redis: both services connect to the same ones. */ -}}
{{- $_ := set $data "DRIFT_TEMPORAL_ADDRESS" $v.temporal.address -}}
{{- $_ = set $data "DRIFT_TEMPORAL_NAMESPACE" $v.temporal.namespace -}}
{{- $_ = set $data "DRIFT_TASK_QUEUE" $v.temporal.taskQueue -}}
{{- if not $v.store.fromSecret -}}
{{- $_ = set $data "DRIFT_STORE_URL" (include "drift.storeUrl" $root) -}}
{{- end -}}
{{- if eq $v.redis.mode "plain" -}}
{{- $_ = set $data "DRIFT_REDIS_URL" $v.redis.url -}}
{{- else if eq $v.redis.mode "sentinel" -}}
{{- $_ = set $data "DRIFT_REDIS_SENTINELS" (include "drift.envValue" $v.redis.sentinel.hosts) -}}
{{- $_ = set $data "DRIFT_REDIS_MASTER" $v.redis.sentinel.masterName -}}
{{- end -}}
{{- /* Ports: the same values name the container ports, probes and Services. */ -}}
{{- $_ = set $data "DRIFT_APP_PORT" (include "drift.envValue" .values.ports.app) -}}
{{- $_ = set $data "DRIFT_ADMIN_PORT" (include "drift.envValue" .values.ports.admin) -}}
{{- $_ = set $data "DRIFT_METRICS_PORT" (ternary (include "drift.envValue" .values.ports.metrics) "0" $v.metrics.enabled) -}}
{{- $_ = set $data "DRIFT_HOST" .values.host -}}
{{- if and (eq .component "worker") (or .values.enumStore.values .values.enumStore.existingConfigMap) -}}
{{- $_ = set $data "DRIFT_ENUM_STORE_FILE" (printf "/etc/drift/enum-store/%s" .values.enumStore.key) -}}
{{- end -}}
{{- /* The component's own settings, by field name. */ -}}
{{- range $key, $value := .values.config -}}
{{- if not (or (kindIs "invalid" $value) (eq (include "drift.envValue" $value) "")) -}}
{{- $_ = set $data (include "drift.envName" $key) (include "drift.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- /* The node runtime (drift_nodes.NodeSettings.from_env): both services discover nodes. */ -}}
{{- $nodes := $v.nodes -}}
{{- $_ = set $data "DRIFT_SCRIPT_TIMEOUT_SECONDS" (include "drift.envValue" $nodes.scripts.timeoutSeconds) -}}
{{- $_ = set $data "DRIFT_SCRIPT_MEMORY_MB" (include "drift.envValue" $nodes.scripts.memoryMb) -}}
{{- $_ = set $data "DRIFT_SCRIPT_PROCESSES" (include "drift.envValue" $nodes.scripts.processes) -}}
{{- $_ = set $data "DRIFT_SCRIPT_FAST_PATH" (include "drift.envValue" $nodes.scripts.fastPath) -}}
{{- with $nodes.http.allowHosts -}}
{{- $_ = set $data "DRIFT_HTTP_ALLOW_HOSTS" (include "drift.envValue" .) -}}
{{- end -}}
{{- $_ = set $data "DRIFT_HTTP_TIMEOUT_SECONDS" (include "drift.envValue" $nodes.http.timeoutSeconds) -}}
{{- $_ = set $data "DRIFT_HTTP_MAX_RESPONSE_MB" (include "drift.envValue" $nodes.http.maxResponseMb) -}}
{{- with $nodes.allow -}}
{{- $pairs := list -}}
{{- range $type, $distribution := . -}}
{{- $pairs = append $pairs (printf "%s=%s" $type $distribution) -}}
{{- end -}}
{{- $_ = set $data "DRIFT_NODES_ALLOW" (join "," $pairs) -}}
{{- end -}}
{{- with $v.otel.endpoint -}}
{{- $_ = set $data "OTEL_EXPORTER_OTLP_ENDPOINT" . -}}
{{- end -}}
{{- range $name, $value := $data }}
{{ $name }}: {{ $value | quote }}
{{- end -}}
{{- end -}}

{{/*
The variables read from the Secret, as container env entries. With the chart's own
Secret only the keys it holds are referenced; with an existing Secret every key is
referenced as optional (store-url is required when the store URL lives there).
*/}}
{{- define "drift.secretEnv" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $keys := $v.secrets.keys -}}
{{- $wanted := list (list "DRIFT_REDIS_PASSWORD" "redisPassword") -}}
{{- if eq .component "api" -}}
{{- $wanted = append $wanted (list "DRIFT_BOOTSTRAP_API_KEY" "bootstrapApiKey") -}}
{{- $wanted = append $wanted (list "DRIFT_API_KEYS" "apiKeys") -}}
{{- $wanted = append $wanted (list "DRIFT_API_KEY_PEPPER" "apiKeyPepper") -}}
{{- else -}}
{{- $wanted = append $wanted (list "DRIFT_CALLBACK_SECRET" "callbackSecret") -}}
{{- end -}}
{{- $existing := $v.secrets.existingSecret -}}
{{- $name := include "drift.secretName" $root -}}
{{- if $v.store.fromSecret }}
- name: DRIFT_STORE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ $keys.storeUrl }}
{{- end }}
{{- range $wanted }}
{{- $variable := index . 0 -}}
{{- $field := index . 1 -}}
{{- if or $existing (index $v.secrets.values $field) }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ index $keys $field }}
      {{- if $existing }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}
{{- end -}}
