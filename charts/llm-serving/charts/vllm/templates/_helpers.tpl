{{/*
vllm.args: `vllm serve` arguments built from .Values.model and .Values.engine.
Usage: {{- include "vllm.args" . | nindent 12 }}
*/}}
{{- define "vllm.args" -}}
{{- $e := .Values.engine -}}
- {{ .Values.model.name | quote }}
- {{ printf "--served-model-name=%s" .Values.model.servedModelName | quote }}
- --host=0.0.0.0
- --port={{ include "vllm.containerPort" . }}
- --tensor-parallel-size={{ $e.tensorParallelSize }}
- --pipeline-parallel-size={{ $e.pipelineParallelSize }}
- --dtype={{ $e.dtype }}
{{- with $e.quantization }}
- --quantization={{ . }}
{{- end }}
- --max-model-len={{ $e.maxModelLen }}
- --gpu-memory-utilization={{ $e.gpuMemoryUtilization }}
- --max-num-seqs={{ $e.maxNumSeqs }}
- {{ ternary "--enable-chunked-prefill" "--no-enable-chunked-prefill" $e.enableChunkedPrefill }}
- {{ ternary "--enable-prefix-caching" "--no-enable-prefix-caching" $e.enablePrefixCaching }}
{{- with .Values.model.revision }}
- {{ printf "--revision=%s" . | quote }}
{{- end }}
{{- range $e.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
vllm.containerPort: port the server listens on inside the pod.
Usage: {{ include "vllm.containerPort" . }}
*/}}
{{- define "vllm.containerPort" -}}8000{{- end -}}

{{/*
vllm.maxReplicas: most pods that can run at once (autoscaling maximum or replicaCount).
Usage: {{ include "vllm.maxReplicas" . }}
*/}}
{{- define "vllm.maxReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.maxReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end -}}
{{- end -}}
