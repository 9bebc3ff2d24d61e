{{/*
common.placement.scheduling: the nodeSelector, affinity and tolerations of one pod, as YAML of a
mapping with whichever of the three is set (common.pod.spec renders them). With
global.placement.enabled:
- a pod with GPUs ("gpus" > 0) whose "gpuModel" is set gets a required node affinity whose terms
  (ORed) are that GPU's terms on every platform of global.placement.platforms
  (common.catalog.placement), and the GPU taint tolerations;
- a pod without GPUs prefers (weight 100) nodes that carry no GPU label on any platform.
The engine's own "nodeSelector" or "affinity", when set, replace the chart's affinity; its
"tolerations", when set, the chart's tolerations. "field" names the engine's values in errors.
Usage: {{- $scheduling := include "common.placement.scheduling" (dict "context" $ "gpus" .Values.gpu.count "gpuModel" .Values.gpu.model "nodeSelector" .Values.nodeSelector "affinity" .Values.affinity "tolerations" .Values.tolerations "field" "vllm") | fromYaml }}
*/}}
{{- define "common.placement.scheduling" -}}
{{- $placement := dig "placement" dict (.context.Values.global | default dict) -}}
{{- $enabled := dig "enabled" true $placement -}}
{{- $gpus := int (.gpus | default 0) -}}
{{- $out := dict -}}
{{- with .nodeSelector }}{{ $_ := set $out "nodeSelector" . }}{{ end -}}
{{- $affinity := .affinity | default dict -}}
{{- /* the catalog is parsed only when the chart's affinity or tolerations are used */ -}}
{{- $data := dict -}}
{{- if and $enabled (or (not (or .nodeSelector .affinity)) (and (not .tolerations) (gt $gpus 0))) -}}
{{- $data = include "common.catalog.placement" . | fromJson -}}
{{- end -}}
{{- if and $enabled (not .nodeSelector) (not .affinity) -}}
{{- if gt $gpus 0 -}}
{{- with .gpuModel -}}
{{- $byPlatform := index $data.gpus . | default dict -}}
{{- $platforms := $placement.platforms | default $data.platforms -}}
{{- $terms := list -}}
{{- range $platforms -}}
{{- range (index $byPlatform . | default list) }}{{ $terms = append $terms . }}{{ end -}}
{{- end -}}
{{- if not $terms -}}
{{- fail (printf "global.placement.platforms %v name no node label for %s (%s.gpu.model): add the platform your GPU nodes run on, or unlabelled for nodes that name no GPU model" $platforms . $.field) -}}
{{- end -}}
{{- $_ := set $affinity "nodeAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (dict "nodeSelectorTerms" $terms)) -}}
{{- end -}}
{{- else -}}
{{- $_ := set $affinity "nodeAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "preference" $data.cpuPreference))) -}}
{{- end -}}
{{- end -}}
{{- with $affinity }}{{ $_ := set $out "affinity" . }}{{ end -}}
{{- if .tolerations -}}
{{- $_ := set $out "tolerations" .tolerations -}}
{{- else if and $enabled (gt $gpus 0) -}}
{{- $_ := set $out "tolerations" $data.gpuTolerations -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
