{{/*
kuberay.serveConfig: serveConfigV2 (Ray Serve LLM application) built from .Values.serve. With
global.routing.strategy prefixCache every model's deployment_config names Ray Serve LLM's
prefix-aware router (kuberay.requestRouter). An llmConfig with engineKwargs.dataParallelSize above
1 (the only one, validate.yaml) is served by Ray 2.52's data-parallel application instead
(ray.serve.llm:build_dp_openai_app, whose args are DPOpenAiServingArgs: one `llm_config`):
`data_parallel_size` in engine_kwargs, no autoscaling_config (Ray sets num_replicas to the ranks
and refuses both), `experimental_configs.dp_size_per_node` (kuberay.dpSizePerNode; Ray requires it)
and each rank's placement group of tensor x pipeline parallel GPUs packed on one node (STRICT_PACK,
what Ray's DPServer forces). tests/data/ray-serve-dp.yaml holds the fields, with their sources.
Usage: {{- include "kuberay.serveConfig" . | nindent 4 }}
*/}}
{{- define "kuberay.serveConfig" -}}
{{- $configs := list -}}
{{- $dataParallel := false -}}
{{- range $i, $c := .Values.serve.llmConfigs -}}
{{- $k := $c.engineKwargs -}}
{{- $dp := int ($k.dataParallelSize | default 1) -}}
{{- $kwargs := dict "tensor_parallel_size" $k.tensorParallelSize "pipeline_parallel_size" $k.pipelineParallelSize "gpu_memory_utilization" $k.gpuMemoryUtilization "dtype" $k.dtype "max_num_seqs" $k.maxNumSeqs "max_model_len" $k.maxModelLen "enable_chunked_prefill" $k.enableChunkedPrefill "enable_prefix_caching" $k.enablePrefixCaching -}}
{{- if gt $dp 1 -}}
{{- $dataParallel = true -}}
{{- $_ := set $kwargs "data_parallel_size" $dp -}}
{{- end -}}
{{- range $key, $val := ($k.extra | default dict) -}}
{{- if hasKey $kwargs $key -}}
{{- fail (printf "kuberay.serve.llmConfigs[%d].engineKwargs.extra.%s repeats a kwarg that has its own value: set it through engineKwargs instead of extra." $i $key) -}}
{{- end -}}
{{- $_ := set $kwargs $key $val -}}
{{- end -}}
{{- $deployment := dict -}}
{{- if eq $dp 1 -}}
{{- $_ := set $deployment "autoscaling_config" (dict "min_replicas" $c.autoscaling.minReplicas "max_replicas" $c.autoscaling.maxReplicas) -}}
{{- end -}}
{{- if include "common.routing.prefixCache" (dict "context" $) -}}
{{- $_ := set $deployment "request_router_config" (include "kuberay.requestRouter" $ | fromYaml) -}}
{{- end -}}
{{- $cfg := dict "model_loading_config" (dict "model_id" $c.modelId "model_source" $c.modelSource) "deployment_config" $deployment "engine_kwargs" $kwargs -}}
{{- with $c.acceleratorType }}{{ $_ := set $cfg "accelerator_type" . }}{{ end -}}
{{- with $c.runtimeEnvVars }}{{ $_ := set $cfg "runtime_env" (dict "env_vars" .) }}{{ end -}}
{{- if gt $dp 1 -}}
{{- $_ := set $cfg "experimental_configs" (dict "dp_size_per_node" (int (include "kuberay.dpSizePerNode" (dict "context" $ "config" $c)))) -}}
{{- $bundles := list -}}
{{- range until (int (mul $k.tensorParallelSize $k.pipelineParallelSize)) }}{{ $bundles = append $bundles (dict "GPU" 1) }}{{ end -}}
{{- $_ := set $cfg "placement_group_config" (dict "bundles" $bundles "strategy" "STRICT_PACK") -}}
{{- end -}}
{{- $configs = append $configs $cfg -}}
{{- end -}}
{{- $app := dict "name" .Values.serve.applicationName "route_prefix" .Values.serve.routePrefix -}}
{{- if $dataParallel -}}
{{- $_ := set $app "import_path" "ray.serve.llm:build_dp_openai_app" -}}
{{- $_ := set $app "args" (dict "llm_config" (first $configs)) -}}
{{- else -}}
{{- $_ := set $app "import_path" "ray.serve.llm:build_openai_app" -}}
{{- $_ := set $app "args" (dict "llm_configs" $configs) -}}
{{- end -}}
{{- toYaml (dict "applications" (list $app)) -}}
{{- end -}}

{{/*
kuberay.dpSizePerNode: the data-parallel ranks on each worker node of llmConfig `config`, Ray's
`experimental_configs.dp_size_per_node`: a worker's GPUs / (tensor x pipeline parallel size). Ray's
rank assigner gives each node that many consecutive ranks (node k: ranks k x size ... (k+1) x size - 1,
the layout DeepEP assumes) and fails a rank beyond them, so the ranks must fill the workers, which
validate.yaml checks (every group the same gpus).
Usage: {{ include "kuberay.dpSizePerNode" (dict "context" $ "config" $c) | int }}
*/}}
{{- define "kuberay.dpSizePerNode" -}}
{{- $k := .config.engineKwargs -}}
{{- div (int (first .context.Values.workerGroups).gpus) (int (mul $k.tensorParallelSize $k.pipelineParallelSize)) -}}
{{- end -}}

{{/*
kuberay.env: environment of head and workers: Hugging Face cache and token, extra env.
Usage: {{- include "kuberay.env" . | nindent 12 }}
*/}}
{{- define "kuberay.env" -}}
{{ include "common.cache.env" (dict "cache" .Values.cache "model" .Values.model) }}
{{- with include "common.apiKey.file" (dict "context" . "part" "env" "name" "LLM_SERVING_API_KEY_FILE") }}
{{ . }}
# Ray Serve LLM has no API key option: every Serve HTTP proxy loads files/llm_serving_auth.py.
- name: RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH
  value: llm_serving_auth.middlewares
- name: PYTHONPATH
  value: {{ include "kuberay.serveAuthDir" . }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
kuberay.podDefaults: the opening of the head ("role" head, `pod` .Values.head) and worker (`pod`
the worker group) pod specs, up to their containers. Only the head gets a service-account token,
and only with autoscaling: KubeRay adds the Ray autoscaler as a sidecar of the head, and it alone
talks to the API server. Only workers, which hold the GPUs, get the GPU runtime class, and with
rdma.enabled run as root (their IPC_LOCK takes effect only there, common.rdma).
Usage: {{- include "kuberay.podDefaults" (dict "context" $ "role" "head" "pod" .Values.head) | nindent 10 }}
*/}}
{{- define "kuberay.podDefaults" -}}
{{- $head := eq .role "head" -}}
{{- /* rayproject images run as user ray (uid 1000, gid 100). */ -}}
{{- include "common.pod.spec" (dict "context" .context "serviceAccountToken" (and $head .context.Values.autoscaling.enabled) "user" 1000 "group" 100 "root" (and (not $head) .context.Values.rdma.enabled) "runtimeClassName" .context.Values.gpu.runtimeClassName "gpus" (ternary 0 .pod.gpus $head) "gpuModel" .context.Values.gpu.model "field" "kuberay" "nodeSelector" .pod.nodeSelector "tolerations" .pod.tolerations) -}}
{{- end -}}

{{/*
kuberay.gpusRequired: GPUs the served models need: tensor x pipeline x data parallel x max replicas, summed.
Usage: {{ include "kuberay.gpusRequired" . }}
*/}}
{{- define "kuberay.gpusRequired" -}}
{{- $n := 0 -}}
{{- range .Values.serve.llmConfigs -}}
{{- $n = add $n (mul .engineKwargs.tensorParallelSize .engineKwargs.pipelineParallelSize (.engineKwargs.dataParallelSize | default 1) .autoscaling.maxReplicas) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/*
kuberay.workerCount: worker pods at most (maxReplicas with autoscaling, replicas otherwise), summed.
Usage: {{ include "kuberay.workerCount" (dict "context" . "gpus" false) }}
*/}}
{{- define "kuberay.workerCount" -}}
{{- $n := 0 -}}
{{- $auto := .context.Values.autoscaling.enabled -}}
{{- range .context.Values.workerGroups -}}
{{- $pods := ternary (.maxReplicas | default .replicas) .replicas $auto -}}
{{- $n = add $n (ternary (mul $pods .gpus) $pods $.gpus) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/*
kuberay.serveAuthDir: where files/llm_serving_auth.py is mounted when the API needs a key.
Usage: {{ include "kuberay.serveAuthDir" . }}
*/}}
{{- define "kuberay.serveAuthDir" -}}/opt/llm-serving{{- end -}}

{{/*
kuberay.serveAuth: the API key check for Serve's HTTP proxies, when global.apiKey names a Secret.
`part` is "annotations" (a checksum, so a changed check rolls the cluster), "mount" or "volume".
Usage: {{- include "kuberay.serveAuth" (dict "context" $ "part" "mount") | nindent 16 }}
*/}}
{{- define "kuberay.serveAuth" -}}
{{- if include "common.apiKey.secretName" (dict "context" .context) -}}
{{- $name := printf "%s-serve-auth" (include "common.names.fullname" (dict "context" .context)) -}}
{{- if eq .part "annotations" -}}
checksum/serve-auth: {{ .context.Files.Get "files/llm_serving_auth.py" | sha256sum }}
{{- else if eq .part "mount" -}}
- name: serve-auth
  mountPath: {{ include "kuberay.serveAuthDir" .context }}
  readOnly: true
{{ include "common.apiKey.file" (dict "context" .context "part" "mount") }}
{{- else if eq .part "volume" -}}
- name: serve-auth
  configMap:
    name: {{ $name }}
{{ include "common.apiKey.file" (dict "context" .context "part" "volume") }}
{{- else -}}
{{- fail (printf "kuberay.serveAuth: unknown part %q" .part) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
kuberay.requestRouter: the `request_router_config` (ray.serve.config.RequestRouterConfig, Ray 2.52)
of global.routing.strategy prefixCache: Ray Serve LLM's PrefixCacheAffinityRouter (public as
ray.serve.llm.request_router, stability alpha; the policy is in ray.llm._internal.serve.
routing_policies.prefix_aware). It sends a request to the replica whose prefix tree matches the
longest part of its prompt while the replicas' queues differ by fewer than imbalanced_threshold
(10) requests, and by power of two choices otherwise. Eviction is on: without it the prefix tree
(a detached actor shared by every router) keeps every prompt it has seen; the router's defaults
then trim it from 400,000 to 360,000 characters every 10 s. tests/data/ray-serve-router.yaml holds
the class and its keyword arguments.
Usage: {{ include "kuberay.requestRouter" . | fromYaml }}
*/}}
{{- define "kuberay.requestRouter" -}}
request_router_class: ray.serve.llm.request_router:PrefixCacheAffinityRouter
request_router_kwargs:
  do_eviction: true
{{- end -}}
