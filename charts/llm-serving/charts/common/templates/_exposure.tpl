{{/*
common.exposure.fields: what exposes an engine beyond the cluster, as a JSON list naming each value:
"<field>.ingress.enabled", "<field>.httpRoute.enabled", "<field>.service.type <type>" (a
LoadBalancer or NodePort Service). Engine values without an `ingress`, `httpRoute` or `service`
key skip that exposure. Empty list: reachable only from inside the cluster.
Usage: {{- $exposed := include "common.exposure.fields" (dict "values" .Values "field" "vllm") | fromJsonArray }}
*/}}
{{- define "common.exposure.fields" -}}
{{- /* pick: dig needs a plain map, and a subchart's .Values is not one. */ -}}
{{- $v := pick .values "ingress" "httpRoute" "service" -}}
{{- $exposed := list -}}
{{- if dig "ingress" "enabled" false $v }}{{ $exposed = append $exposed (printf "%s.ingress.enabled" .field) }}{{ end -}}
{{- if dig "httpRoute" "enabled" false $v }}{{ $exposed = append $exposed (printf "%s.httpRoute.enabled" .field) }}{{ end -}}
{{- $type := dig "service" "type" "ClusterIP" $v -}}
{{- if ne $type "ClusterIP" }}{{ $exposed = append $exposed (printf "%s.service.type %s" .field $type) }}{{ end -}}
{{- toJson $exposed -}}
{{- end -}}
