{{/*
common.names.fullname: name of an engine's objects, "<release>-<chart>", at most 63 characters.
`chart` names the engine when the context is not its own chart's (the umbrella calling an
engine's endpoint or notes).
Usage: {{ include "common.names.fullname" (dict "context" $) }}
       {{ include "common.names.fullname" (dict "context" .context "chart" "vllm") }}
*/}}
{{- define "common.names.fullname" -}}
{{- $ctx := .context -}}
{{- printf "%s-%s" $ctx.Release.Name (.chart | default $ctx.Chart.Name) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
