{{/*
common.labels.selector: the labels that select an engine's pods; never change them after install.
`name` (default: the chart's name) tells a component with pods of its own (the vLLM chart's
endpoint picker) from the engine's pods, whose selectors must not match it.
Usage: {{ include "common.labels.selector" (dict "context" $) | nindent 4 }}
       {{ include "common.labels.selector" (dict "context" $ "name" "vllm-endpoint-picker") | nindent 4 }}
*/}}
{{- define "common.labels.selector" -}}
{{- $ctx := .context -}}
app.kubernetes.io/name: {{ .name | default $ctx.Chart.Name }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
{{- end -}}

{{/*
common.labels.standard: selector labels (with common.labels.selector's `name`) plus component,
chart, version and management labels. With "pod" true, for pod templates, without helm.sh/chart:
a label of the pod template that changes with every chart version would restart every pod (and
have a RayService build a second cluster) on an upgrade that changes nothing else.
Usage: {{ include "common.labels.standard" (dict "context" $ "component" "server") | nindent 4 }}
       {{ include "common.labels.standard" (dict "context" $ "pod" true) | nindent 8 }}
*/}}
{{- define "common.labels.standard" -}}
{{- $ctx := .context -}}
{{ include "common.labels.selector" (dict "context" $ctx "name" .name) }}
app.kubernetes.io/component: {{ .component | default "server" }}
app.kubernetes.io/part-of: llm-serving
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
{{- with $ctx.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
{{- if not .pod }}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end -}}

{{/*
common.labels.uiSelector: labels of the release's chat UI pods (rendered by the umbrella chart).
Usage: {{- include "common.labels.uiSelector" (dict "context" $) | nindent 14 }}
*/}}
{{- define "common.labels.uiSelector" -}}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: chat-ui
{{- end -}}

{{/*
common.labels.testSelector: labels of the release's `helm test` pods, which NetworkPolicies admit.
Usage: {{- include "common.labels.testSelector" (dict "context" $) | nindent 14 }}
*/}}
{{- define "common.labels.testSelector" -}}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: helm-test
{{- end -}}
