{{/*
The engine contract the umbrella chart includes for every enabled engine; each takes `values`
(this chart's values as the umbrella holds them) and `context` (the caller's root context, for
.Release and the global values).
*/}}

{{/*
ollama.endpoint: the OpenAI-compatible endpoint of the ollama Service, as common.endpoint JSON
(ollama checks no API key).
Usage: {{ $endpoint := include "ollama.endpoint" (dict "values" .Values.ollama "context" $) | fromJson }}
*/}}
{{- define "ollama.endpoint" -}}
{{- $svc := include "common.names.fullname" (dict "context" .context "chart" "ollama") -}}
{{- include "common.endpoint" (dict "context" .context "baseUrl" (printf "http://%s:%d" $svc (int .values.service.port)) "models" .values.models.pull "noKey" true) -}}
{{- end -}}

{{/*
ollama.notes: the install notes of ollama: the models, how to follow their download, who may
reach the API and how.
Usage: {{ include "ollama.notes" (dict "values" .Values.ollama "context" $) }}
*/}}
{{- define "ollama.notes" -}}
{{- $v := .values -}}
{{- $svc := include "common.names.fullname" (dict "context" .context "chart" "ollama") -}}
ollama serves {{ join ", " $v.models.pull }}. The pod turns Ready once every model is in its store;
follow the download with:
  kubectl -n {{ .context.Release.Namespace }} logs deploy/{{ $svc }} -c pull-models -f
ollama has no authentication{{ if include "common.networkPolicy.enabled" (dict "context" .context "enabled" $v.networkPolicy.enabled) }}; its NetworkPolicy admits only the chat UI{{ with $v.networkPolicy.allowFrom }} and networkPolicy.allowFrom{{ end }}{{ end }}.
{{ include "common.notes.reach" (dict "context" .context "values" $v "service" $svc "port" 11434 "noKey" true) }}
{{- end -}}
