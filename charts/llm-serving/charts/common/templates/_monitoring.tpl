{{/*
common.monitoring.serviceMonitor: a ServiceMonitor for a Service of the release (needs the
Prometheus operator's monitoring.coreos.com/v1, checked like an engine's CRDs).
Usage: {{- include "common.monitoring.serviceMonitor" (dict "context" $ "name" "r1-vllm" "selector" (dict "app.kubernetes.io/name" "vllm") "endpoints" (list (dict "port" "http" "path" "/metrics")) "interval" "30s" "field" "vllm.metrics.serviceMonitor") }}
*/}}
{{- define "common.monitoring.serviceMonitor" -}}
{{- include "common.validate.apiVersion" (dict "context" .context "apiVersion" "monitoring.coreos.com/v1/ServiceMonitor" "operator" (printf "the Prometheus operator CRDs, or set %s=false" .field)) }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" "metrics") | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- toYaml .selector | nindent 6 }}
  endpoints:
    {{- range .endpoints }}
    - port: {{ .port }}
      {{- with .path }}
      path: {{ . }}
      {{- end }}
      interval: {{ $.interval }}
    {{- end }}
{{- end -}}

{{/*
common.monitoring.dashboard: a ConfigMap labelled for Grafana's dashboard sidecar, from a chart file.
Usage: {{- include "common.monitoring.dashboard" (dict "context" $ "name" "r1-vllm-dashboard" "file" "files/dashboards/x.json") }}
*/}}
{{- define "common.monitoring.dashboard" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" "metrics") | nindent 4 }}
    grafana_dashboard: "1"
data:
  {{ base .file }}: |-
    {{- .context.Files.Get .file | nindent 4 }}
{{- end -}}
