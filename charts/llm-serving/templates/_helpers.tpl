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
llm-serving.endpoint: OpenAI-compatible endpoint of the enabled engine (the first, when several
are), as JSON: the engine's own "<engine>.endpoint" ({"baseUrl": "http://<service>:<port>"
(without /v1), "models": [...], "apiKey": bool}) with "engine" added.
Usage: {{ $endpoint := include "llm-serving.endpoint" . | fromJson }}
*/}}
{{- define "llm-serving.endpoint" -}}
{{- $engine := first (compact (splitList "," (include "llm-serving.enabledEngines" .))) -}}
{{- $out := dict -}}
{{- with $engine -}}
{{- $out = include (printf "%s.endpoint" .) (dict "values" (index $.Values .) "context" $) | fromJson -}}
{{- $_ := set $out "engine" . -}}
{{- end -}}
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
`pod` true: for its pod template (common.labels.standard).
Usage: {{- include "llm-serving.ui.labels" (dict "context" . "pod" false) | nindent 4 }}
*/}}
{{- define "llm-serving.ui.labels" -}}
{{ include "common.labels.standard" (dict "context" .context "component" "chat-ui" "pod" .pod) }}
{{- end -}}
