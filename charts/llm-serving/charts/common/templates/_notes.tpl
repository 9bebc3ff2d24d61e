{{/*
common.notes.authHeader: the curl header that sends $API_KEY, when the release has an API key
(and not `noKey`, for an engine that checks none); empty otherwise.
Usage: curl http://localhost:8000/v1/models{{ include "common.notes.authHeader" (dict "context" $) }}
*/}}
{{- define "common.notes.authHeader" -}}
{{- if and (not .noKey) (include "common.apiKey.secretName" (dict "context" .context)) }} -H "Authorization: Bearer $API_KEY"{{ end -}}
{{- end -}}

{{/*
common.notes.reach: NOTES lines that reach an engine's OpenAI API for its exposure: the
Ingress host, the HTTPRoute hostnames, a LoadBalancer address, or a port-forward. Engine values
without an `ingress`, `httpRoute` or `service` key skip that exposure; `noKey` leaves out the API
key (ollama checks none); `prefix` is the API's path prefix (KubeRay's serve.routePrefix).
Usage: {{ include "common.notes.reach" (dict "context" $ "values" .Values.vllm "service" "r1-vllm" "port" 8000) }}
*/}}
{{- define "common.notes.reach" -}}
{{- /* pick: dig needs a plain map, and a subchart's .Values is not one. */ -}}
{{- $v := pick .values "ingress" "httpRoute" "service" -}}
{{- $ns := .context.Release.Namespace -}}
{{- $secret := ternary "" (include "common.apiKey.secretName" (dict "context" .context)) (default false .noKey) -}}
{{- $auth := include "common.notes.authHeader" (dict "context" .context "noKey" .noKey) -}}
{{- $ingress := dig "ingress" "enabled" false $v -}}
{{- $route := dig "httpRoute" "enabled" false $v -}}
{{- $type := dig "service" "type" "ClusterIP" $v -}}
{{- $port := dig "service" "port" .port $v -}}
{{- $models := printf "%s/v1/models" (trimSuffix "/" (default "" .prefix)) -}}
{{- if $secret }}
{{ include "common.notes.apiKey" (dict "context" .context) }}
{{- end }}
{{- if $ingress }}
Through the Ingress:
  curl {{ ternary "https" "http" $v.ingress.tls.enabled }}://{{ $v.ingress.host }}{{ $models }}{{ $auth }}
{{- end }}
{{- if $route }}
Through the HTTPRoute on {{ range $i, $p := $v.httpRoute.parentRefs }}{{ if $i }}, {{ end }}Gateway {{ $p.namespace | default $ns }}/{{ $p.name }}{{ end }}:
{{- range $v.httpRoute.hostnames }}
  curl https://{{ . }}{{ $models }}{{ $auth }}   # http:// if the listener has no TLS
{{- else }}
  curl http://<gateway address>{{ $models }}{{ $auth }}
{{- end }}
{{- end }}
{{- if eq $type "LoadBalancer" }}
Through the LoadBalancer Service (its address appears once the cloud assigns it):
  ADDRESS=$(kubectl -n {{ $ns }} get service {{ .service }} -o jsonpath='{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}')
  curl http://$ADDRESS:{{ $port }}{{ $models }}{{ $auth }}
{{- else if eq $type "NodePort" }}
Through the NodePort Service, on any node's address:
  PORT=$(kubectl -n {{ $ns }} get service {{ .service }} -o jsonpath='{.spec.ports[0].nodePort}')
  curl http://<node address>:$PORT{{ $models }}{{ $auth }}
{{- end }}
From your machine:
  kubectl -n {{ $ns }} port-forward service/{{ .service }} {{ .port }}:{{ $port }}
  curl http://localhost:{{ .port }}{{ $models }}{{ $auth }}
{{- end -}}

{{/*
common.notes.apiKey: the NOTES lines that read the release's API key into $API_KEY, to paste
before the commands that send it; nothing when the API is served without a key.
Usage: {{ include "common.notes.apiKey" (dict "context" $) }}
*/}}
{{- define "common.notes.apiKey" -}}
{{- $ctx := .context -}}
{{- with include "common.apiKey.secretName" (dict "context" $ctx) -}}
The API key, for the commands below:
  API_KEY=$(kubectl -n {{ $ctx.Release.Namespace }} get secret {{ . }} -o jsonpath='{.data.{{ include "common.apiKey.secretKey" (dict "context" $ctx) }}}' | base64 -d)
{{- end -}}
{{- end -}}
