{{/*
The engine contract the umbrella chart includes for every enabled engine; each takes `values`
(this chart's values as the umbrella holds them) and `context` (the caller's root context, for
.Release and the global values).
*/}}

{{/*
vllm.endpoint: the OpenAI-compatible endpoint of the vLLM Service, as common.endpoint JSON.
Usage: {{ $endpoint := include "vllm.endpoint" (dict "values" .Values.vllm "context" $) | fromJson }}
*/}}
{{- define "vllm.endpoint" -}}
{{- $svc := include "common.names.fullname" (dict "context" .context "chart" "vllm") -}}
{{- include "common.endpoint" (dict "context" .context "baseUrl" (printf "http://%s:%d" $svc (int .values.service.port)) "models" (list .values.model.servedModelName)) -}}
{{- end -}}

{{/*
vllm.notes: the install notes of vLLM: the model, how to watch the first start, how to call the API.
Usage: {{ include "vllm.notes" (dict "values" .Values.vllm "context" $) }}
*/}}
{{- define "vllm.notes" -}}
{{- $v := .values -}}
{{- $svc := include "common.names.fullname" (dict "context" .context "chart" "vllm") -}}
{{- $ns := .context.Release.Namespace -}}
vLLM serves {{ $v.model.name }} as model "{{ $v.model.servedModelName }}".
{{- with include "common.fit.notes" (dict "context" .context "repo" $v.model.name "gpu" $v.gpu.model "modelField" "vllm.model.name" "gpuField" "vllm.gpu.model") }}
{{ . }}
{{- end }}
{{- if gt (int $v.nodes) 1 }}
Each replica is a LeaderWorkerSet group of {{ $v.nodes }} pods, one per node; the leader serves the API
(the Service selects it), the others run headless ranks. Every pod downloads the weights into its own
cache and loads its share of them before the leader turns ready; watch it with:
  kubectl -n {{ $ns }} get leaderworkerset {{ $svc }} -w
  kubectl -n {{ $ns }} logs -f {{ $svc }}-0   # the leader of the first group
{{- else }}
The first start downloads and loads the weights; watch it with:
  kubectl -n {{ $ns }} rollout status deployment/{{ $svc }} --timeout={{ mul $v.probes.startup.periodSeconds $v.probes.startup.failureThreshold }}s
{{- end }}
{{ include "common.notes.reach" (dict "context" .context "values" $v "service" $svc "port" 8000) }}
{{- if include "common.routing.prefixCache" (dict "context" .context) }}
Through the Gateway, the endpoint picker {{ $svc }}-epp sends each request to the replica that holds
its prompt's prefix (global.routing.strategy=prefixCache){{ if and (gt (int $v.engine.dataParallelSize) 1) (le (int $v.nodes) 1) }}; each data-parallel rank is an endpoint of its own, and
the Service above reaches only the first rank: send clients through the Gateway{{ else }}; the Service above stays round-robin{{ end }}.
Check that the Gateway accepted the InferencePool:
  kubectl -n {{ $ns }} get inferencepool {{ $svc }} -o jsonpath='{.status.parents[*].conditions}'
{{- end }}
{{- end -}}
