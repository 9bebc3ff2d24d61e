{{/*
llm-serving.engines: names of the engine subcharts, from the generated Chart.yaml annotation
(helm hides disabled subcharts from .Chart.Dependencies).
Usage: {{ include "llm-serving.engines" . }}  -> "vllm,ollama,kuberay"
*/}}
{{- define "llm-serving.engines" -}}
{{- index .Chart.Annotations "llm-serving/engines" -}}
{{- end -}}

{{/*
llm-serving.enabledEngines: comma-separated names of the enabled engines.
Usage: {{ include "llm-serving.enabledEngines" . }}
*/}}
{{- define "llm-serving.enabledEngines" -}}
{{- $enabled := list -}}
{{- range splitList "," (include "llm-serving.engines" .) -}}
{{- if (index $.Values .).enabled -}}
{{- $enabled = append $enabled . -}}
{{- end -}}
{{- end -}}
{{- join "," $enabled -}}
{{- end -}}

{{/*
llm-serving.endpoint: OpenAI-compatible endpoint of the enabled engine, as JSON:
{"engine": ..., "baseUrl": "http://<service>:<port>" (without /v1), "models": [...], "apiKey": bool}.
Usage: {{ $endpoint := include "llm-serving.endpoint" . | fromJson }}
*/}}
{{- define "llm-serving.endpoint" -}}
{{- $engine := first (splitList "," (include "llm-serving.enabledEngines" .)) -}}
{{- $svc := printf "%s-%s" .Release.Name $engine | trunc 63 | trimSuffix "-" -}}
{{- $out := dict "engine" $engine -}}
{{- if eq $engine "vllm" -}}
{{- $_ := set $out "baseUrl" (printf "http://%s:%d" $svc (int .Values.vllm.service.port)) -}}
{{- $_ := set $out "models" (list .Values.vllm.model.servedModelName) -}}
{{- else if eq $engine "ollama" -}}
{{- $_ := set $out "baseUrl" (printf "http://%s:%d" $svc (int .Values.ollama.service.port)) -}}
{{- $_ := set $out "models" .Values.ollama.models.pull -}}
{{- else if eq $engine "kuberay" -}}
{{- /* The KubeRay operator names the Serve service after the RayService. */ -}}
{{- $_ := set $out "baseUrl" (printf "http://%s-serve-svc:8000%s" $svc (trimSuffix "/" .Values.kuberay.serve.routePrefix)) -}}
{{- $models := list -}}
{{- range .Values.kuberay.serve.llmConfigs }}{{ $models = append $models .modelId }}{{ end -}}
{{- $_ := set $out "models" $models -}}
{{- else if eq $engine "aibrix" -}}
{{- /* The head Service is named after the model, as the AIBrix gateway expects. */ -}}
{{- $_ := set $out "baseUrl" (printf "http://%s:%d" .Values.aibrix.modelName (int .Values.aibrix.port)) -}}
{{- $_ := set $out "models" (list .Values.aibrix.modelName) -}}
{{- else -}}
{{- fail (printf "the chat UI does not know how to reach engine %q" $engine) -}}
{{- end -}}
{{- /* Every engine but ollama checks the key (KubeRay through the kuberay chart's Serve proxy check). */ -}}
{{- $_ := set $out "apiKey" (and (ne $engine "ollama") (ne (include "common.apiKey.secretName" (dict "context" $)) "")) -}}
{{- toJson $out -}}
{{- end -}}

{{/*
llm-serving.ui.fullname: name of the chat UI objects.
Usage: {{ include "llm-serving.ui.fullname" . }}
*/}}
{{- define "llm-serving.ui.fullname" -}}
{{- printf "%s-chat-ui" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
llm-serving.ui.labels: labels of the chat UI; the component label is what engine NetworkPolicies admit.
Usage: {{- include "llm-serving.ui.labels" . | nindent 4 }}
*/}}
{{- define "llm-serving.ui.labels" -}}
{{ include "common.labels.standard" (dict "context" . "component" "chat-ui") }}
{{- end -}}

{{/*
llm-serving.notes.reach: NOTES lines that reach an engine's OpenAI API for its exposure: the
Ingress host, the HTTPRoute hostnames, a LoadBalancer address, or a port-forward. Engine values
without an `ingress`, `httpRoute` or `service` key skip that exposure; `noKey` leaves out the API
key (ollama checks none); `prefix` is the API's path prefix (KubeRay's serve.routePrefix).
Usage: {{ include "llm-serving.notes.reach" (dict "context" $ "values" .Values.vllm "service" "r1-vllm" "port" 8000) }}
*/}}
{{- define "llm-serving.notes.reach" -}}
{{- $v := .values -}}
{{- $ns := .context.Release.Namespace -}}
{{- $secret := ternary "" (include "common.apiKey.secretName" (dict "context" .context)) (default false .noKey) -}}
{{- $auth := ternary " -H \"Authorization: Bearer $API_KEY\"" "" (ne $secret "") -}}
{{- $ingress := dig "ingress" "enabled" false $v -}}
{{- $route := dig "httpRoute" "enabled" false $v -}}
{{- $type := dig "service" "type" "ClusterIP" $v -}}
{{- $port := dig "service" "port" .port $v -}}
{{- $models := printf "%s/v1/models" (trimSuffix "/" (default "" .prefix)) -}}
{{- if $secret }}
{{ include "llm-serving.notes.apiKey" .context }}
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
llm-serving.notes.apiKey: the NOTES lines that read the release's API key into $API_KEY, to paste
before the commands that send it; nothing when the API is served without a key.
Usage: {{ include "llm-serving.notes.apiKey" $ }}
*/}}
{{- define "llm-serving.notes.apiKey" -}}
{{- with include "common.apiKey.secretName" (dict "context" $) -}}
The API key, for the commands below:
  API_KEY=$(kubectl -n {{ $.Release.Namespace }} get secret {{ . }} -o jsonpath='{.data.{{ $.Values.global.apiKey.secretKey }}}' | base64 -d)
{{- end -}}
{{- end -}}
