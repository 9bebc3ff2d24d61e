{{/*
common.validate.parallelism: fail unless tensor x pipeline parallel size equals the GPUs given.
Usage: {{- include "common.validate.parallelism" (dict "tp" 8 "pp" 2 "gpus" 16 "tpField" "vllm.engine.tensorParallelSize" "ppField" "vllm.engine.pipelineParallelSize" "gpuField" "vllm.gpu.count") }}
*/}}
{{- define "common.validate.parallelism" -}}
{{- $product := mul (int .tp) (int .pp) -}}
{{- if ne $product (int .gpus) -}}
{{- fail (printf "%s (%d) x %s (%d) = %d GPUs, but %s is %d: every GPU must hold a shard. Set %s to %d, or change the parallel sizes so their product is %d." .tpField (int .tp) .ppField (int .pp) $product .gpuField (int .gpus) .gpuField $product (int .gpus)) -}}
{{- end -}}
{{- end -}}
