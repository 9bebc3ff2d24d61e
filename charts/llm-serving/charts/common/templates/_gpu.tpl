{{/*
common.gpu.resources: container resources with the vendor's GPU resource added to requests and limits.
Usage: {{ include "common.gpu.resources" (dict "resources" .Values.resources "gpu" .Values.gpu "field" "vllm") | nindent 12 }}
*/}}
{{- define "common.gpu.resources" -}}
{{- $resources := deepCopy (.resources | default dict) -}}
{{- $name := include "common.gpu.resourceName" (dict "vendor" .gpu.vendor) -}}
{{- $count := int .gpu.count -}}
{{- if gt $count 0 }}
{{- $_ := set $resources "limits" (merge (dict $name $count) ($resources.limits | default dict)) -}}
{{- $_ := set $resources "requests" (merge (dict $name $count) ($resources.requests | default dict)) -}}
{{- end }}
{{- toYaml $resources -}}
{{- end -}}

{{/*
common.gpu.resourceName: extended resource a vendor's device plugin advertises.
Usage: {{ include "common.gpu.resourceName" (dict "vendor" "nvidia") }}
*/}}
{{- define "common.gpu.resourceName" -}}
{{- $names := dict "nvidia" "nvidia.com/gpu" "amd" "amd.com/gpu" -}}
{{- required (printf "gpu.vendor %q is not one of nvidia, amd" .vendor) (get $names .vendor) -}}
{{- end -}}
