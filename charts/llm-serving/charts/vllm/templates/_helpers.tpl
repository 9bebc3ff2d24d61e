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
{{- if ne $e.kvCacheDtype "auto" }}
- --kv-cache-dtype={{ $e.kvCacheDtype }}
{{- end }}
- {{ ternary "--enable-chunked-prefill" "--no-enable-chunked-prefill" $e.enableChunkedPrefill }}
- {{ ternary "--enable-prefix-caching" "--no-enable-prefix-caching" $e.enablePrefixCaching }}
{{- if $e.enableExpertParallel }}
- --enable-expert-parallel
{{- end }}
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

{{/*
vllm.roleLabel: the pod label telling a LeaderWorkerSet group's leader (which serves the API and
which the Service, the PodDisruptionBudget and the monitoring select) from its workers.
Usage: {{ include "vllm.roleLabel" . }}: leader
*/}}
{{- define "vllm.roleLabel" -}}llm-serving/role{{- end -}}

{{/*
vllm.multiNodeArgs: the `vllm serve` arguments that join one replica's pods (a LeaderWorkerSet
group of .Values.nodes pods) through vLLM's multiprocessing backend: the node count, this pod's
rank (LWS_WORKER_INDEX, 0 for the leader), the leader's address (LWS_LEADER_ADDRESS, which LWS
injects into every pod of the group) and the rendezvous port; the workers run --headless (no API
server, only their engine ranks).
Usage: {{- include "vllm.multiNodeArgs" (merge (dict "role" "worker") .) | nindent 8 }}
*/}}
{{- define "vllm.multiNodeArgs" -}}
- --nnodes={{ .Values.nodes }}
- --node-rank=$(LWS_WORKER_INDEX)
- --master-addr=$(LWS_LEADER_ADDRESS)
- --master-port={{ .Values.multiNode.masterPort }}
{{- if eq .role "worker" }}
- --headless
{{- end }}
{{- end -}}

{{/*
vllm.servingSelector: labels of the pods that serve the API: every server pod, or with
.Values.nodes above 1 only the leaders of the LeaderWorkerSet groups.
Usage: {{- include "vllm.servingSelector" . | nindent 4 }}
*/}}
{{- define "vllm.servingSelector" -}}
{{ include "common.labels.selector" (dict "context" .) }}
{{- if gt (int .Values.nodes) 1 }}
{{ include "vllm.roleLabel" . }}: leader
{{- end }}
{{- end -}}

{{/*
vllm.scaleTarget: the workload autoscalers scale: the Deployment, or with .Values.nodes above 1
the LeaderWorkerSet (its scale subresource counts groups).
Usage: {{- include "vllm.scaleTarget" . | nindent 4 }}
*/}}
{{- define "vllm.scaleTarget" -}}
{{- if gt (int .Values.nodes) 1 -}}
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
{{- else -}}
apiVersion: apps/v1
kind: Deployment
{{- end }}
name: {{ include "common.names.fullname" (dict "context" .) }}
{{- end -}}
