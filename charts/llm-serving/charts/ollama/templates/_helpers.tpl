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
ollama.resources: .Values.resources, or derived from the largest pulled model by the generator's
one sizing formula (generator/backends/ollama.py), whose constants files/models.json carries:
need = model size + KV cache of contextLength x numParallel + runtimeGiB; on CPU the memory is
max(cpuMinMemoryGiB, ceil(need + cpuHeadroomGiB)) and the CPU cpuCpus; with a GPU the weights and
KV cache live in VRAM, so the memory is ceil(size + gpuHostMemoryGiB) and the CPU gpuCpus.
Usage: {{- include "ollama.resources" . | nindent 12 }}
*/}}
{{- define "ollama.resources" -}}
{{- if .Values.resources -}}
{{- include "common.gpu.resources" (dict "resources" .Values.resources "gpu" .Values.gpu) -}}
{{- else -}}
{{- $catalog := .Files.Get "files/models.json" | fromJson -}}
{{- $models := get $catalog "models" -}}
{{- $sizing := get $catalog "sizing" -}}
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
{{- $cpu := 0 -}}
{{- if gt (int .Values.gpu.count) 0 -}}
{{- $memory = ceil (addf $largest (float64 $sizing.gpuHostMemoryGiB)) -}}
{{- $cpu = int $sizing.gpuCpus -}}
{{- else -}}
{{- $need := addf $largest $kvGiB (float64 $sizing.runtimeGiB) -}}
{{- $memory = max (int $sizing.cpuMinMemoryGiB) (ceil (addf $need (float64 $sizing.cpuHeadroomGiB))) -}}
{{- $cpu = int $sizing.cpuCpus -}}
{{- end -}}
{{- $derived := dict "requests" (dict "cpu" (toString $cpu) "memory" (printf "%dGi" (int $memory))) "limits" (dict "memory" (printf "%dGi" (int $memory))) -}}
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
