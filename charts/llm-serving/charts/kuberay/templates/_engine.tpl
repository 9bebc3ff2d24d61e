{{/*
The engine contract the umbrella chart includes for every enabled engine; each takes `values`
(this chart's values as the umbrella holds them) and `context` (the caller's root context, for
.Release and the global values).
*/}}

{{/*
kuberay.endpoint: the OpenAI-compatible endpoint of Ray Serve, as common.endpoint JSON. The
KubeRay operator names the Serve Service after the RayService; the kuberay chart's Serve proxy
check takes the API key.
Usage: {{ $endpoint := include "kuberay.endpoint" (dict "values" .Values.kuberay "context" $) | fromJson }}
*/}}
{{- define "kuberay.endpoint" -}}
{{- $name := include "common.names.fullname" (dict "context" .context "chart" "kuberay") -}}
{{- $models := list -}}
{{- range .values.serve.llmConfigs }}{{ $models = append $models .modelId }}{{ end -}}
{{- include "common.endpoint" (dict "context" .context "baseUrl" (printf "http://%s-serve-svc:8000%s" $name (trimSuffix "/" .values.serve.routePrefix)) "models" $models) -}}
{{- end -}}

{{/*
kuberay.notes: the install notes of KubeRay: the models, how to follow the Serve application,
the Services the operator creates and how to call the API.
Usage: {{ include "kuberay.notes" (dict "values" .Values.kuberay "context" $) }}
*/}}
{{- define "kuberay.notes" -}}
{{- $v := .values -}}
{{- $ns := .context.Release.Namespace -}}
{{- $name := include "common.names.fullname" (dict "context" .context "chart" "kuberay") -}}
KubeRay serves{{ range $v.serve.llmConfigs }} {{ .modelSource }} as model "{{ .modelId }}"{{ end }}.
{{- $fitData := dict -}}
{{- if include "common.fit.enabled" .context }}{{ $fitData = include "common.fit.data" .context | fromJson }}{{ end -}}
{{- range $i, $c := $v.serve.llmConfigs }}
{{- with include "common.fit.notes" (dict "context" $.context "data" $fitData "repo" $c.modelSource "gpu" $v.gpu.model "modelField" (printf "kuberay.serve.llmConfigs[%d].modelSource" $i) "gpuField" "kuberay.gpu.model") }}
{{ . }}
{{- end }}
{{- end }}
Workers download and load the weights before the Serve application turns RUNNING (large models take 20-40 minutes):
  kubectl -n {{ $ns }} get rayservice {{ $name }} -o jsonpath='{.status.activeServiceStatus.applicationStatuses}'
The KubeRay operator creates the Services {{ $name }}-serve-svc (OpenAI API, once the app is ready) and {{ $name }}-head-svc (Ray dashboard:
  kubectl -n {{ $ns }} port-forward service/{{ $name }}-head-svc 8265:8265).
{{ include "common.notes.reach" (dict "context" .context "values" $v "service" (printf "%s-serve-svc" $name) "port" 8000 "prefix" $v.serve.routePrefix) }}
{{- end -}}
