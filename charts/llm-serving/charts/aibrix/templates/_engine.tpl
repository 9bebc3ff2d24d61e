{{/*
The engine contract the umbrella chart includes for every enabled engine; each takes `values`
(this chart's values as the umbrella holds them) and `context` (the caller's root context, for
.Release and the global values).
*/}}

{{/*
aibrix.endpoint: the OpenAI-compatible endpoint of the fleet's head, as common.endpoint JSON. The
head Service is named after the model, as the AIBrix gateway expects.
Usage: {{ $endpoint := include "aibrix.endpoint" (dict "values" .Values.aibrix "context" $) | fromJson }}
*/}}
{{- define "aibrix.endpoint" -}}
{{- include "common.endpoint" (dict "context" .context "baseUrl" (printf "http://%s:%d" .values.modelName (int .values.port)) "models" (list .values.modelName)) -}}
{{- end -}}

{{/*
aibrix.notes: the install notes of AIBrix: the model and fleet, how to follow the weights
loading, how to call the API through the AIBrix gateway.
Usage: {{ include "aibrix.notes" (dict "values" .Values.aibrix "context" $) }}
*/}}
{{- define "aibrix.notes" -}}
{{- $v := .values -}}
{{- $ns := .context.Release.Namespace -}}
AIBrix serves model "{{ $v.modelName }}" from a RayClusterFleet ({{ $v.nodes }} nodes x {{ $v.gpu.perNode }} GPUs per cluster).
{{- with include "common.fit.notes" (dict "context" .context "repo" $v.storage.huggingface.repo "gpu" $v.gpu.model "modelField" "aibrix.storage.huggingface.repo" "gpuField" "aibrix.gpu.model") }}
{{ . }}
{{- end }}
Weights load before the head's /metrics answers; follow it with:
  kubectl -n {{ $ns }} get rayclusterfleet {{ $v.modelName }}
  kubectl -n {{ $ns }} logs -l model.aibrix.ai/name={{ $v.modelName }},ray.io/node-type=head -c init-model -f   # when a downloader runs
{{- with include "common.notes.apiKey" (dict "context" .context) }}
{{ . }}
{{- end }}
Through the AIBrix gateway (model routing by the request's "model"):
  kubectl -n envoy-gateway-system port-forward service/$(kubectl -n envoy-gateway-system get service -l gateway.envoyproxy.io/owning-gateway-name=aibrix-eg -o jsonpath='{.items[0].metadata.name}') 8888:80
  curl http://localhost:8888/v1/chat/completions{{ include "common.notes.authHeader" (dict "context" .context) }} -H 'Content-Type: application/json' -d '{"model": "{{ $v.modelName }}", "messages": [{"role": "user", "content": "Hello"}]}'
{{- end -}}
