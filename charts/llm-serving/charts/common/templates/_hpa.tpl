{{/*
common.hpa: a HorizontalPodAutoscaler for an engine's Deployment, or the workload "target" names
(apiVersion, kind, name; e.g. a LeaderWorkerSet's scale subresource), from its autoscaling values.
Usage: {{- include "common.hpa" (dict "context" $ "autoscaling" .Values.autoscaling "target" (dict "apiVersion" "apps/v1" "kind" "Deployment" "name" "r1-vllm")) }}
*/}}
{{- define "common.hpa" -}}
{{- $fullname := include "common.names.fullname" (dict "context" .context) -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context) | nindent 4 }}
spec:
  scaleTargetRef:
    {{- toYaml (.target | default (dict "apiVersion" "apps/v1" "kind" "Deployment" "name" $fullname)) | nindent 4 }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    {{- range $resource, $target := dict "cpu" .autoscaling.targetCPUUtilizationPercentage "memory" .autoscaling.targetMemoryUtilizationPercentage }}
    {{- if gt (int $target) 0 }}
    - type: Resource
      resource:
        name: {{ $resource }}
        target:
          type: Utilization
          averageUtilization: {{ $target }}
    {{- end }}
    {{- end }}
  behavior:
    scaleDown:
      # A new replica costs a model load: do not give it back on a short lull.
      stabilizationWindowSeconds: 600
{{- end -}}
