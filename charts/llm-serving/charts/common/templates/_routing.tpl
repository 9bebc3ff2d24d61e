{{/*
common.routing.prefixCache: "true" when global.routing.strategy is prefixCache (each engine then
renders its own cache-aware router).
Usage: {{- if include "common.routing.prefixCache" (dict "context" $) }}
*/}}
{{- define "common.routing.prefixCache" -}}
{{- if eq (dig "routing" "strategy" "service" (.context.Values.global | default dict)) "prefixCache" }}true{{ end -}}
{{- end -}}

{{/*
common.routing.validate: with global.routing.strategy prefixCache, fail when the engine `engine`
runs at most one replica (`replicas`, the most it can run; `field` names the values that set it):
a cache-aware router has no other replica to choose.
Usage: {{- include "common.routing.validate" (dict "context" $ "engine" "vllm" "replicas" 1 "field" "vllm.replicaCount") }}
*/}}
{{- define "common.routing.validate" -}}
{{- if and (include "common.routing.prefixCache" (dict "context" .context)) (lt (int .replicas) 2) -}}
{{- fail (printf "global.routing.strategy is prefixCache but %s runs at most %d replica (%s): a cache-aware router needs two replicas or more to choose between. Raise %s to 2 or more, or set global.routing.strategy=service." .engine (int .replicas) .field .field) -}}
{{- end -}}
{{- end -}}
