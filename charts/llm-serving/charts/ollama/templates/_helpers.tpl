{{/*
ollama.image: server image; the ROCm build for AMD GPUs.
Usage: {{ include "ollama.image" . }}
*/}}
{{- define "ollama.image" -}}
{{- $tag := .Values.image.tag -}}
{{- if and (gt (int .Values.gpu.count) 0) (eq .Values.gpu.vendor "amd") (not (hasSuffix "-rocm" $tag)) -}}
{{- $tag = printf "%s-rocm" $tag -}}
{{- end -}}
{{- include "common.image.ref" (dict "image" .Values.image "tag" $tag) -}}
{{- end -}}

{{/*
ollama.resources: .Values.resources, or derived from the largest pulled model (files/models.json):
memory = model size + KV cache of contextLength x numParallel + 1 GiB runtime, at least 8 GiB (on
CPU; with a GPU the weights live in VRAM and host memory covers loading), 2 CPUs.
Usage: {{- include "ollama.resources" . | nindent 12 }}
*/}}
{{- define "ollama.resources" -}}
{{- if .Values.resources -}}
{{- include "common.gpu.resources" (dict "resources" .Values.resources "gpu" .Values.gpu) -}}
{{- else -}}
{{- $catalog := .Files.Get "files/models.json" | fromJson -}}
{{- $models := get $catalog "models" -}}
{{- $largest := 0.0 -}}
{{- $kv := 0.0 -}}
{{- range .Values.models.pull -}}
{{- $m := get $models (trimPrefix "library/" .) -}}
{{- if not $m -}}
{{- fail (printf "ollama.resources is empty and %s is not in the chart's model catalog, so its memory cannot be derived: set ollama.resources (requests.memory at least the model size plus its KV cache)." .) -}}
{{- end -}}
{{- if gt (float64 $m.sizeGiB) $largest -}}
{{- $largest = float64 $m.sizeGiB -}}
{{- $kv = float64 $m.kvGiBPerKToken -}}
{{- end -}}
{{- end -}}
{{- $kvGiB := mulf $kv (divf (mul .Values.server.contextLength .Values.server.numParallel) 1024) -}}
{{- $memory := 0 -}}
{{- if gt (int .Values.gpu.count) 0 -}}
{{- $memory = ceil (addf $largest 4) -}}
{{- else -}}
{{- $memory = max 8 (ceil (addf $largest $kvGiB 1)) -}}
{{- end -}}
{{- $derived := dict "requests" (dict "cpu" "2" "memory" (printf "%dGi" (int $memory))) "limits" (dict "memory" (printf "%dGi" (int $memory))) -}}
{{- include "common.gpu.resources" (dict "resources" $derived "gpu" .Values.gpu) -}}
{{- end -}}
{{- end -}}

{{/*
ollama.modelCheck: shell that exits non-zero naming the first model missing from the store.
Usage: {{ include "ollama.modelCheck" . }}
*/}}
{{- define "ollama.modelCheck" -}}
for m in {{ range .Values.models.pull }}{{ . | squote }} {{ end }}; do ollama show "$m" >/dev/null 2>&1 || { echo "model $m is not in the store at $OLLAMA_MODELS"; exit 1; }; done
{{- end -}}
