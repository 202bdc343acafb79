{{/*
The Deployment of one component (argument: the component dict). The API and the worker
differ only in their ports' use, the enum store volume and the grace period.
*/}}
{{- define "drift.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $values := .values -}}
{{- $name := include "drift.componentName" . -}}
{{- $worker := eq .component "worker" -}}
{{- $enumStore := and $worker (or $values.enumStore.values $values.enumStore.existingConfigMap) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "drift.componentLabels" . | nindent 4 }}
spec:
  {{- if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicaCount | int }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "drift.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "drift.componentLabels" . | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- /* Pods roll when their settings change. */}}
        checksum/config: {{ include "drift.settings" . | sha256sum }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- if $enumStore }}
        checksum/enum-store: {{ include (print $root.Template.BasePath "/worker/enum-store.yaml") $root | sha256sum }}
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "drift.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.serviceAccount.automountToken }}
      {{- /* Service links would add variables such as DRIFT_API_PORT=tcp://…, which look like settings. */}}
      enableServiceLinks: false
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds | default (add ($values.config.shutdownGraceSeconds | default 20 | ceil) 10) | int }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "drift.image" . | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: app
              containerPort: {{ $values.ports.app | int }}
              protocol: TCP
            - name: admin
              containerPort: {{ $values.ports.admin | int }}
              protocol: TCP
            {{- if $v.metrics.enabled }}
            - name: metrics
              containerPort: {{ $values.ports.metrics | int }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $name }}
            {{- with $values.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- $secretEnv := include "drift.secretEnv" . }}
          {{- if or $secretEnv $values.extraEnv }}
          env:
            {{- $secretEnv | indent 12 }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: admin
            {{- toYaml $values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: admin
            {{- toYaml $values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: admin
            {{- toYaml $values.probes.readiness | nindent 12 }}
          {{- with $values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $enumStore }}
            - name: enum-store
              mountPath: /etc/drift/enum-store
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            {{- with $v.tmpVolume.sizeLimit }}
            sizeLimit: {{ . }}
            {{- end }}
        {{- if $enumStore }}
        - name: enum-store
          configMap:
            name: {{ $values.enumStore.existingConfigMap | default (include "drift.componentName" (dict "root" $root "component" "worker-enum-store")) }}
            items:
              - key: {{ $values.enumStore.key }}
                path: {{ $values.enumStore.key }}
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- tpl (toYaml .) $root | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The HorizontalPodAutoscaler of one component. */}}
{{- define "drift.hpa" -}}
{{- $scaling := .values.autoscaling -}}
{{- if $scaling.enabled -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "drift.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "drift.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "drift.componentName" . }}
  minReplicas: {{ $scaling.minReplicas | int }}
  maxReplicas: {{ $scaling.maxReplicas | int }}
  metrics:
    {{- with $scaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . | int }}
    {{- end }}
    {{- with $scaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . | int }}
    {{- end }}
  {{- with $scaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* The PodDisruptionBudget of one component. */}}
{{- define "drift.pdb" -}}
{{- $budget := .values.podDisruptionBudget -}}
{{- if $budget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "drift.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "drift.componentLabels" . | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $budget.minAvailable) }}
  minAvailable: {{ $budget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $budget.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "drift.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{/* The Prometheus Operator ServiceMonitor of one component; selects its metrics Service. */}}
{{- define "drift.serviceMonitor" -}}
{{- $monitor := .root.Values.metrics.serviceMonitor -}}
{{- if $monitor.enabled -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "drift.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "drift.componentLabels" . | nindent 4 }}
    {{- with $monitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  namespaceSelector:
    matchNames:
      - {{ .root.Release.Namespace }}
  selector:
    matchLabels:
      {{- include "drift.selectorLabels" . | nindent 6 }}
      drift-metrics: "true"
  endpoints:
    - port: metrics
      path: /metrics
      {{- with $monitor.interval }}
      interval: {{ . }}
      {{- end }}
      {{- with $monitor.scrapeTimeout }}
      scrapeTimeout: {{ . }}
      {{- end }}
{{- end -}}
{{- end -}}
