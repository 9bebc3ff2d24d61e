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
{{- with $e.maxNumBatchedTokens }}
- --max-num-batched-tokens={{ . }}
{{- end }}
{{- if ne $e.kvCacheDtype "auto" }}
- --kv-cache-dtype={{ $e.kvCacheDtype }}
{{- end }}
- {{ ternary "--enable-chunked-prefill" "--no-enable-chunked-prefill" $e.enableChunkedPrefill }}
- {{ ternary "--enable-prefix-caching" "--no-enable-prefix-caching" $e.enablePrefixCaching }}
{{- if gt (int $e.dataParallelSize) 1 }}
- --data-parallel-size={{ $e.dataParallelSize }}
{{- end }}
{{- with int (include "vllm.rankPorts" .) }}
- --data-parallel-size-local={{ . }}
- --data-parallel-multi-port-external-lb
- --data-parallel-supervisor-port={{ include "vllm.supervisorPort" $ }}
{{- end }}
{{- if $e.enableExpertParallel }}
- --enable-expert-parallel
{{- end }}
{{- with $e.all2allBackend }}
- --all2all-backend={{ . }}
{{- end }}
{{- if $e.enableEplb }}
- --enable-eplb
{{- if gt (int $e.numRedundantExperts) 0 }}
- {{ printf "--eplb-config={\"num_redundant_experts\":%d}" (int $e.numRedundantExperts) | quote }}
{{- end }}
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

{{/*
vllm.routing.targetPorts: the InferencePool's spec.targetPorts, as a YAML list of {number}. Each
port is an endpoint of its own to the endpoint picker (podIP:port), which is how an InferencePool
addresses data-parallel ranks that each serve their own API port (GAIE's conformance test
GatewayFollowingEPPRoutingWithDataParallelism): the API server's port (vllm.containerPort), or
with per-rank API servers (vllm.rankPorts, vLLM's multi-port external load balancing: --port ...
--port + ranks - 1) one entry per rank, at most 8 (the CRD's maxItems): the pool, the picker (which
scrapes each endpoint's /metrics on the endpoint's own port) take them from here; the server
NetworkPolicy (networkpolicy.yaml) reads the same ports from vllm.apiPorts.
Usage: {{- include "vllm.routing.targetPorts" . | nindent 4 }}
*/}}
{{- define "vllm.routing.targetPorts" -}}
{{- range include "vllm.apiPorts" . | fromJsonArray }}
- number: {{ .number }}
{{- end -}}
{{- end -}}

{{/*
vllm.apiPorts: the API ports of a serving pod, as a JSON list of {name, number, offset}: `http`
(vllm.containerPort), and with per-rank API servers (vllm.rankPorts) `rank-1` ... on the ports
after it (offset: the rank). The pod's ports, the Service, the ServiceMonitor, the NetworkPolicy
and the InferencePool's targetPorts all take them from here.
Usage: {{- range include "vllm.apiPorts" . | fromJsonArray }}{{ .name }}{{ end }}
*/}}
{{- define "vllm.apiPorts" -}}
{{- $port := int (include "vllm.containerPort" .) -}}
{{- $out := list -}}
{{- range $rank := until (max 1 (int (include "vllm.rankPorts" .)) | int) -}}
{{- $out = append $out (dict "name" (ternary (printf "rank-%d" $rank) "http" (gt $rank 0)) "number" (add $port $rank) "offset" $rank) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
vllm.rankPorts: how many API servers of their own the data-parallel ranks of one pod run, on
consecutive ports from vllm.containerPort (vLLM's multi-port external load balancing,
--data-parallel-multi-port-external-lb, vllm/entrypoints/launchers/dp_supervisor.py in v0.31.0),
so that the endpoint picker chooses the rank by its prefix cache and load; 0 for one API server
in front of every rank (vLLM's internal balancing, blind to prefixes). Per-rank servers with
global.routing.strategy prefixCache and vllm.engine.dataParallelSize above 1 on one node; across
nodes (vllm.nodes above 1) the ranks stay behind the leader's API server.
Usage: {{ include "vllm.rankPorts" . }}
*/}}
{{- define "vllm.rankPorts" -}}
{{- $dp := int .Values.engine.dataParallelSize -}}
{{- if and (gt $dp 1) (le (int .Values.nodes) 1) (include "common.routing.prefixCache" (dict "context" .)) -}}
{{- $dp -}}
{{- else -}}0{{- end -}}
{{- end -}}

{{/*
vllm.supervisorPort: the port of the supervisor of per-rank API servers (vllm.rankPorts), whose
/health answers once every rank's server does (vLLM's --data-parallel-supervisor-port, 9256).
Usage: {{ include "vllm.supervisorPort" . }}
*/}}
{{- define "vllm.supervisorPort" -}}9256{{- end -}}

{{/*
vllm.routing.pickerName: the name of the endpoint picker's objects (Deployment, Service, ConfigMap,
ServiceAccount, Role, RoleBinding, PodDisruptionBudget, NetworkPolicy).
Usage: {{ include "vllm.routing.pickerName" . }}
*/}}
{{- define "vllm.routing.pickerName" -}}
{{- printf "%s-epp" (include "common.names.fullname" (dict "context" .)) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
vllm.routing.pickerLabel: the app.kubernetes.io/name of the endpoint picker's pods and objects,
apart from vLLM's own, so no selector of the server's (Deployment, Service, PodDisruptionBudget,
NetworkPolicy, ServiceMonitor) matches the picker.
Usage: {{ include "common.labels.selector" (dict "context" $ "name" (include "vllm.routing.pickerLabel" .)) }}
*/}}
{{- define "vllm.routing.pickerLabel" -}}vllm-endpoint-picker{{- end -}}

{{/*
vllm.routing.pickerConfig: the EndpointPickerConfig (llm-d.ai/v1alpha1) of llm-d-router v0.10.0
(tests/data/epp-plugins.yaml lists its plugins and parameters): the loader's own default plugins
(pkg/epp/config/loader/defaults.go) with the weights of .Values.routing.endpointPicker.weights,
and the metrics source that reads each pod's /metrics on its target port over plain HTTP.
Usage: {{- include "vllm.routing.pickerConfig" . | nindent 4 }}
*/}}
{{- define "vllm.routing.pickerConfig" -}}
{{- $w := .Values.routing.endpointPicker.weights -}}
apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
  - type: queue-scorer
  - type: kv-cache-utilization-scorer
  - type: prefix-cache-scorer
  - type: metrics-data-source
    parameters:
      scheme: http
      path: /metrics
  - type: core-metrics-extractor
dataLayer:
  sources:
    - pluginRef: metrics-data-source
      extractors:
        - pluginRef: core-metrics-extractor
schedulingProfiles:
  - name: default
    plugins:
      - pluginRef: prefix-cache-scorer
        weight: {{ $w.prefixCache }}
      - pluginRef: queue-scorer
        weight: {{ $w.queue }}
      - pluginRef: kv-cache-utilization-scorer
        weight: {{ $w.kvCacheUtilization }}
{{- end -}}
