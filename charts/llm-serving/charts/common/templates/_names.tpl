{{/*
common.names.fullname: name of an engine's objects, "<release>-<chart>", at most 63 characters.
Usage: {{ include "common.names.fullname" (dict "context" $) }}
*/}}
{{- define "common.names.fullname" -}}
{{- $ctx := .context -}}
{{- printf "%s-%s" $ctx.Release.Name $ctx.Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
