{{/*
The fit check: do the values' model, GPU, layout and context load at all? The arithmetic is the
planner's (generator/catalog.py `fit`), computed here from common.fit.data (generated from the
catalog); tests/test_fit_check.py requires both to give the same verdict and token count on a grid
of every catalog GPU x checkpoint x layout x context. global.fitCheck.enabled false turns the
refusals off; a model or GPU the catalog does not know is not checked, and the install notes say so
(common.fit.notes).
*/}}

{{/*
common.fit.arith: the memory arithmetic of one GPU of a vLLM layout, as catalog.fit computes it:
weights per GPU = loaded weights / (tp x pp), or with data parallelism ("dp" ranks of tp x pp GPUs)
or EPLB's "redundantExperts" the rest whole per rank, shared / (tp x pp), plus the routed experts of
the fullest GPU, ceil((experts + redundant) / (tp x dp)) of them, / pp; KV cache = memory x
utilization - weights - the runtime overhead of the engine's vLLM release (common.fit.overhead, in
whole MiB); KV bytes per token per GPU = layers x KV heads x head dim x (1 for MLA's latent, 2 for K
and V) x bytes per element (kvCacheDtype: auto 2, fp8 1) / (1 for MLA, which every tensor-parallel
rank keeps whole, else min(tp, KV heads)) / pp; tokens = floor(KV cache / bytes per token).
The overhead's inputs: "engine" (whose vLLM release), "maxNumSeqs", "maxNumBatchedTokens" (0: the
release's defaults), "eager" (--enforce-eager), "all2allBackend", "nodes", "chunkedPrefill" and
"expertParallel" (absent: on).
Returns JSON: weightsGiB, budgetGiB, overheadGiB, overhead (common.fit.overhead's terms), kvGiB,
kvBytesPerToken, kvTokens.
Usage: {{ $a := include "common.fit.arith" (dict "data" $data "engine" "vllm" "repo" "deepseek-ai/DeepSeek-R1" "gpu" "H200-141GB" "tp" 1 "pp" 1 "dp" 8 "redundantExperts" 0 "utilization" 0.9 "kvCacheDtype" "auto" "maxModelLen" 32768 "maxNumSeqs" 64) | fromJson }}
*/}}
{{- define "common.fit.arith" -}}
{{- $ckpt := index .data.checkpoints .repo -}}
{{- $model := index .data.models $ckpt.model -}}
{{- $gpu := index .data.gpus .gpu -}}
{{- $tp := int .tp -}}
{{- $pp := int .pp -}}
{{- $dp := int (.dp | default 1) -}}
{{- $redundant := int (.redundantExperts | default 0) -}}
{{- $weights := divf $ckpt.weightsGiB (mul $tp $pp) -}}
{{- if or (gt $dp 1) (gt $redundant 0) -}}
{{- $routed := int $model.routedExperts -}}
{{- $experts := 0.0 -}}
{{- if gt $routed 0 -}}
{{- $ep := mul $tp $dp -}}
{{- $perGpu := div (add $routed $redundant (sub $ep 1)) $ep -}}
{{- $experts = divf (mulf $ckpt.expertsGiB $perGpu) $routed $pp -}}
{{- end -}}
{{- $weights = addf (divf $ckpt.sharedGiB (mul $tp $pp)) $experts -}}
{{- end -}}
{{- $budget := mulf $gpu.memoryGiB .utilization -}}
{{- $release := dig (toString .engine) $gpu.vendor .data.defaultRelease .data.vllmVersions -}}
{{- $overhead := include "common.fit.overhead" (dict "data" .data "model" $model "gpu" .gpu "release" $release "tp" $tp "pp" $pp "dp" $dp "seqs" .maxNumSeqs "tokens" .maxNumBatchedTokens "context" (int .maxModelLen | default (int $model.maxPosition)) "eager" .eager "all2all" .all2allBackend "nodes" .nodes "chunked" .chunkedPrefill "expertParallel" .expertParallel) | fromJson -}}
{{- $overheadGiB := divf $overhead.mib 1024 -}}
{{- $kvGiB := subf $budget $weights $overheadGiB -}}
{{- $elementBytes := int (index .data.kvCacheBytes (ternary "fp8" "auto" (hasPrefix "fp8" (toString .kvCacheDtype)))) -}}
{{- $split := ternary 1 (min $tp (int $model.kvHeads)) $model.mla -}}
{{- $perToken := divf (include "common.fit.kvBytesPerToken" (dict "model" $model "elementBytes" $elementBytes) | int) $split $pp -}}
{{- $tokens := 0 -}}
{{- if gt $kvGiB 0.0 }}{{ $tokens = int64 (floor (divf (mulf $kvGiB 1073741824) $perToken)) }}{{ end -}}
{{- dict "weightsGiB" $weights "budgetGiB" $budget "overheadGiB" $overheadGiB "overhead" $overhead "kvGiB" $kvGiB "kvBytesPerToken" $perToken "kvTokens" $tokens | toJson -}}
{{- end -}}

{{/*
common.fit.overhead: the runtime memory of one GPU besides weights and KV cache, in bytes, as
generator/overhead.py computes it for vLLM release "release" (its facts in .data.vllmReleases):
- batch: maxNumBatchedTokens ("tokens") and maxNumSeqs ("seqs"), else the release's defaults: V1
  16384 tokens and 1024 sequences on GPUs of 160 GiB and more (largeGpuTier), 8192 and 1024 on GPUs
  of 70 GiB and more but A100, else 2048 and 256, and where newerBatchRules 256 tokens for batched
  data-parallel MoE ("all2all" deepep_low_latency or nixl_ep, dp above 1, "expertParallel"), at least the
  "context" with "chunked" prefill off, at most seqs x context; a default seqs is at most the
  batch. V0 2048 tokens above a context of 32768, else max(context, 2048), and 256 sequences;
- the profile run, 2 bytes per element: the experts' workspaces for tokens x dp tokens (top-k x
  (max(moe intermediate, hidden) + max(2 x moe intermediate, hidden)), and with dp the gathered
  hidden state and top-k weights and ids, hidden + 4 x top-k), plus the larger of the forward pass
  (tokens x 2 x hidden + the larger of the attention's intermediates with MLA's simulated
  up-projection of min(max(8 x context, 4 x seqs x 64), 65536) rows, and the dense MLP's) and the
  sampler (min(seqs, tokens) x vocabulary x 14 bytes);
- non-torch: 128 MiB on one GPU, 1 GiB on a GPU of several (V0: 2.6 GiB, NCCL's buffers included);
- DeepEP buffers ("all2all" deepep_*, with dp): 1 GiB, 2 GiB across "nodes";
- CUDA graphs, where the release subtracts them and not "eager": the forward pass of the largest
  captured batch (without MLA's up-projection) + (piecewise graphs - 1 + full graphs - 1) x layers
  per pipeline stage x bytes per layer and graph; piecewise graphs for the batch sizes up to cap =
  min(2 x seqs, limit, tokens), limit 512 or, where largeGpuTier, 1024 on compute capability 10.x
  ([1, 2, 4], 8 to 248 by 8, 256 to cap by 16, the batch if not above cap, seqs if neither above
  the limit nor above the batch), full graphs for those up to seqs.
Returns JSON: mib (the total rounded up to whole MiB), release, activation, experts, forward,
sampler, nonTorch, all2all, graphs (bytes), graphCount, tokens, moeTokens (the tokens the experts
take), seqs.
Usage: {{ $o := include "common.fit.overhead" (dict "data" $data "model" $model "gpu" "H200-141GB" "release" "0.31.0" "tp" 8 "pp" 1 "dp" 1 "seqs" 64 "tokens" 0 "context" 32768 "eager" false "all2all" "" "nodes" 1 "chunked" true "expertParallel" true) | fromJson }}
*/}}
{{- define "common.fit.overhead" -}}
{{- $o := .data.overhead -}}
{{- $model := .model -}}
{{- $gpu := index .data.gpus .gpu -}}
{{- $rel := index .data.vllmReleases .release -}}
{{- $tp := int64 .tp -}}
{{- $pp := int64 .pp -}}
{{- $dp := int64 (.dp | default 1) -}}
{{- $context := int64 .context -}}
{{- $chunked := true -}}
{{- if not (kindIs "invalid" .chunked) }}{{ $chunked = .chunked }}{{ end -}}
{{- $ep := true -}}
{{- if not (kindIs "invalid" .expertParallel) }}{{ $ep = .expertParallel }}{{ end -}}
{{- /* the batch */ -}}
{{- $tokens := 0 -}}
{{- $seqs := 0 -}}
{{- if not $rel.v1 -}}
{{- $tokens = ternary (int64 $o.v0.chunk) (max $context (int64 $o.v0.chunk)) (gt $context (int64 $o.v0.chunkedAbove)) -}}
{{- $seqs = int64 $o.v0.seqs -}}
{{- else -}}
{{- $large := index $o.batchTiers 0 -}}
{{- $big := index $o.batchTiers 1 -}}
{{- range $o.batchTiers -}}
{{- if and (not $tokens) (ge (float64 $gpu.memoryGiB) (float64 .minGiB)) (or (ne .minGiB $large.minGiB) $rel.largeGpuTier) (or (ne .minGiB $big.minGiB) (not (hasPrefix $o.notThe70GiBTier (toString $.gpu)))) -}}
{{- $tokens = int64 .tokens }}{{ $seqs = int64 .seqs -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $seqs = int64 (.seqs | default $seqs) -}}
{{- if not $rel.v1 -}}
{{- $tokens = int64 (.tokens | default $tokens) -}}
{{- else if .tokens -}}
{{- $tokens = int64 .tokens -}}
{{- else if $rel.newerBatchRules -}}
{{- if and (has (toString .all2all) $o.batchedDpBackends) (gt $dp 1) $ep }}{{ $tokens = int64 $o.batchedDpTokens }}{{ end -}}
{{- if gt $context 0 -}}
{{- if not $chunked }}{{ $tokens = max $context $tokens }}{{ end -}}
{{- $tokens = min (mul $seqs $context) $tokens -}}
{{- end -}}
{{- end -}}
{{- if and $rel.v1 (not .seqs) }}{{ $seqs = min $seqs $tokens }}{{ end -}}
{{- $tokens = int64 $tokens -}}
{{- $seqs = int64 $seqs -}}
{{- /* widths, elements per token */ -}}
{{- $h := int64 $model.hiddenSize -}}
{{- $heads := div (int64 $model.attentionHeads) $tp -}}
{{- $residual := mul 2 $h -}}
{{- $attention := 0 -}}
{{- $workspace := 0 -}}
{{- if $model.mla -}}
{{- $attention = mul $heads (add $model.qkNopeHeadDim $model.qkRopeHeadDim $model.vHeadDim) -}}
{{- $workspace = mul $heads (add $model.qkNopeHeadDim $model.vHeadDim) -}}
{{- else -}}
{{- $attention = add (mul $heads $model.headDim 2) (mul 2 (max 1 (div (int64 $model.kvHeads) $tp)) $model.headDim) -}}
{{- end -}}
{{- $dense := div (mul 3 $model.intermediateSize) $tp -}}
{{- $experts := 0 -}}
{{- if gt (int $model.routedExperts) 0 -}}
{{- $i := int64 $model.moeIntermediateSize -}}
{{- $k := int64 $model.expertsPerToken -}}
{{- $experts = mul $k (add (max $i $h) (max (mul 2 $i) $h)) -}}
{{- if gt $dp 1 }}{{ $experts = add $experts $h (mul 4 $k) }}{{ end -}}
{{- end -}}
{{- /* the profile run */ -}}
{{- $moeTokens := ternary (mul $tokens $dp) $tokens (gt (int64 $experts) 0) -}}
{{- $expertsBytes := mul $o.activationBytes $moeTokens $experts -}}
{{- $rows := 0 -}}
{{- if gt (int64 $workspace) 0 }}{{ $rows = min (max (mul 8 $context) (mul 4 $seqs $o.mlaBlockSize)) $o.mlaWorkspaceRows }}{{ end -}}
{{- $forward := mul $o.activationBytes (add (mul $tokens $residual) (max (add (mul $tokens $attention) (mul $rows $workspace)) (mul $tokens $dense))) -}}
{{- $sampler := mul (min $seqs $tokens) $model.vocabSize $o.samplerBytesPerLogit -}}
{{- $activation := add $expertsBytes (max $forward $sampler) -}}
{{- $nonTorch := ternary (ternary $o.nonTorchMultiGpu $o.nonTorchMultiGpuV0 $rel.v1) $o.nonTorchOneGpu (gt (mul $tp $pp $dp) 1) -}}
{{- $buffers := 0 -}}
{{- if and (hasPrefix "deepep" (toString .all2all)) (gt $dp 1) -}}
{{- $buffers = mul $o.deepepBuffer (ternary 2 1 (gt (int (.nodes | default 1)) 1)) -}}
{{- end -}}
{{- /* CUDA graphs */ -}}
{{- $graphs := 0 -}}
{{- $count := 0 -}}
{{- if and $rel.subtractsGraphs (not .eager) -}}
{{- $limit := int64 $o.graphCap -}}
{{- if and $rel.largeGpuTier (ge (float64 $gpu.computeCapability) 10.0) (lt (float64 $gpu.computeCapability) 11.0) }}{{ $limit = int64 $o.graphCapBlackwell }}{{ end -}}
{{- $uncapped := min (mul 2 $seqs) $limit -}}
{{- $cap := min $tokens $uncapped -}}
{{- $sizes := list -}}
{{- range list 1 2 4 }}{{ if le (int64 .) $cap }}{{ $sizes = append $sizes (int64 .) }}{{ end }}{{ end -}}
{{- range untilStep 8 (int (min (add $cap 1) 256)) 8 }}{{ $sizes = append $sizes (int64 .) }}{{ end -}}
{{- range untilStep 256 (int (add $cap 1)) 16 }}{{ $sizes = append $sizes (int64 .) }}{{ end -}}
{{- if le $tokens $cap }}{{ $sizes = append $sizes $tokens }}{{ end -}}
{{- if and (le $seqs $uncapped) (le $seqs $tokens) }}{{ $sizes = append $sizes $seqs }}{{ end -}}
{{- $sizes = uniq $sizes -}}
{{- $full := 0 -}}
{{- $largest := 0 -}}
{{- range $sizes }}{{ if le . $seqs }}{{ $full = add $full 1 }}{{ end }}{{ $largest = max $largest . }}{{ end -}}
{{- $first := mul $o.activationBytes (add (mul $largest $residual) (max (mul $largest $attention) (mul $largest $dense))) -}}
{{- $layers := div (add $model.layers (sub $pp 1)) $pp -}}
{{- $perLayer := ternary $o.graphBytesPerLayer.mla $o.graphBytesPerLayer.gqa $model.mla -}}
{{- $graphs = add $first (mul (sub (add (len $sizes) $full) 2) $layers $perLayer) -}}
{{- $count = add (len $sizes) $full -}}
{{- end -}}
{{- $total := add $activation $nonTorch $buffers $graphs -}}
{{- dict "mib" (div (add $total 1048575) 1048576) "release" .release "activation" $activation "experts" $expertsBytes "forward" $forward "sampler" $sampler "nonTorch" $nonTorch "all2all" $buffers "graphs" $graphs "graphCount" $count "tokens" $tokens "moeTokens" $moeTokens "seqs" $seqs | toJson -}}
{{- end -}}

{{/*
common.fit.verdict: whether an engine running vLLM (engine: vllm, kuberay, aibrix) loads a
checkpoint on a GPU with a layout and context, without failing. "problem" is "" when it fits, else
precision (the engine's vLLM does not load that precision on that GPU), heads (tensor parallel does
not divide the attention heads), weights (no room left for any KV cache) or context (one sequence
of maxModelLen does not fit the KV cache); "checked" is false for a checkpoint or GPU the catalog
does not know. maxModelLen 0 stands for the model's own context.
Usage: {{ $v := include "common.fit.verdict" (dict "data" $data "engine" "vllm" "repo" "deepseek-ai/DeepSeek-R1" "gpu" "H200-141GB" "tp" 8 "pp" 1 "utilization" 0.9 "kvCacheDtype" "auto" "maxModelLen" 32768) | fromJson }}
*/}}
{{- define "common.fit.verdict" -}}
{{- $ckpt := index .data.checkpoints (toString .repo) -}}
{{- $out := dict "checked" false "problem" "" -}}
{{- if and $ckpt (hasKey .data.gpus (toString .gpu)) -}}
{{- $model := index .data.models $ckpt.model -}}
{{- $context := int .maxModelLen | default (int $model.maxPosition) -}}
{{- $out = merge (dict "checked" true "model" $ckpt.model "precision" $ckpt.precision "maxModelLen" $context) $out -}}
{{- $heads := int $model.attentionHeads -}}
{{- if not (has .gpu (index $ckpt.loads .engine | default list)) -}}
{{- $_ := set $out "problem" "precision" -}}
{{- else if and $heads (ne 0 (mod $heads (int .tp))) -}}
{{- $_ := set $out "problem" "heads" -}}
{{- else -}}
{{- $a := include "common.fit.arith" . | fromJson -}}
{{- $out = merge $out $a -}}
{{- if le $a.kvGiB 0.0 -}}
{{- $_ := set $out "problem" "weights" -}}
{{- else if lt (int64 $a.kvTokens) (int64 $context) -}}
{{- $_ := set $out "problem" "context" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
common.fit.vllm: fail, naming the field, the numbers and the nearest fix, when an engine running
vLLM cannot load its model with these values (common.fit.verdict). Nothing when it fits, when the
catalog does not know the model or GPU, or when global.fitCheck.enabled is false.
"fields" names the values in messages: model, gpu, tp, utilization, maxModelLen, kvCacheDtype.
"data": common.fit.data already parsed by the caller (optional: parsed here otherwise).
Usage: {{- include "common.fit.vllm" (dict "context" $ "engine" "vllm" "repo" $v.model.name "gpu" $v.gpu.model "tp" 1 "pp" 1 "utilization" 0.9 "kvCacheDtype" "auto" "maxModelLen" 32768 "fields" (dict "model" "vllm.model.name" "gpu" "vllm.gpu.model" "tp" "vllm.engine.tensorParallelSize" "utilization" "vllm.engine.gpuMemoryUtilization" "maxModelLen" "vllm.engine.maxModelLen" "kvCacheDtype" "vllm.engine.kvCacheDtype")) }}
*/}}
{{- define "common.fit.vllm" -}}
{{- if include "common.fit.enabled" .context -}}
{{- $data := .data -}}
{{- if not $data }}{{ $data = include "common.fit.data" .context | fromJson }}{{ end -}}
{{- $args := merge (dict "data" $data) (omit . "context" "fields" "data") -}}
{{- $v := include "common.fit.verdict" $args | fromJson -}}
{{- $f := .fields -}}
{{- if and $v.checked $v.problem -}}
{{- $ckpt := index $data.checkpoints .repo -}}
{{- $model := index $data.models $ckpt.model -}}
{{- $what := printf "%s %s (%s, %s weights of %.1f GiB)" $f.model .repo $ckpt.model $ckpt.precision (float64 $ckpt.weightsGiB) -}}
{{- $on := printf "%s %s (%.1f GiB each)" $f.gpu .gpu (float64 (index $data.gpus .gpu).memoryGiB) -}}
{{- /* the nearest fixes: the best other checkpoint of the model that fits this GPU and layout, the smallest GPU that fits this checkpoint */ -}}
{{- $ckptFix := "" -}}
{{- range $model.checkpoints -}}
{{- if and (not $ckptFix) (ne . $.repo) -}}
{{- $o := include "common.fit.verdict" (merge (dict "repo" .) $args) | fromJson -}}
{{- if and $o.checked (not $o.problem) }}{{ $ckptFix = printf "%s %s (%s, KV cache for %d tokens)" $f.model . $o.precision (int64 $o.kvTokens) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- $gpuFix := "" -}}
{{- $best := 0.0 -}}
{{- range $name, $gpu := $data.gpus -}}
{{- if and (ne $name $.gpu) (not $gpu.consumer) (or (not $gpuFix) (lt (float64 $gpu.memoryGiB) $best)) -}}
{{- $o := include "common.fit.verdict" (merge (dict "gpu" $name) $args) | fromJson -}}
{{- if not $o.problem }}{{ $gpuFix = printf "%s %s (KV cache for %d tokens)" $f.gpu $name (int64 $o.kvTokens) }}{{ $best = float64 $gpu.memoryGiB }}{{ end -}}
{{- end -}}
{{- end -}}
{{- $fixes := compact (list $ckptFix $gpuFix) -}}
{{- $o := $v.overhead | default dict -}}
{{- $gib := 1073741824.0 -}}
{{- $terms := "" -}}
{{- if $o -}}
{{- $experts := ternary (printf "experts %.1f for %d tokens + " (divf $o.experts $gib) (int64 $o.moeTokens)) "" (gt (float64 $o.experts) 0.0) -}}
{{- $terms = printf " (vLLM %s: a profile run of %d tokens %.1f (%sthe larger of forward %.1f and sampler %.1f for %d sequences), non-torch %.1f, DeepEP %.1f, CUDA graphs %.1f)" $o.release (int64 $o.tokens) (divf $o.activation $gib) $experts (divf $o.forward $gib) (divf $o.sampler $gib) (int64 $o.seqs) (divf $o.nonTorch $gib) (divf $o.all2all $gib) (divf $o.graphs $gib) -}}
{{- $small := int64 $data.overhead.dataParallelBatch -}}
{{- if and (ne (int64 $o.moeTokens) (int64 $o.tokens)) (gt (int64 $o.tokens) $small) }}{{ $fixes = append $fixes (printf "a --max-num-batched-tokens of %d (vllm.engine.maxNumBatchedTokens; Ray Serve's engine kwarg max_num_batched_tokens), as every data-parallel rank's batch reaches the experts in vLLM's profile run" $small) }}{{ end -}}
{{- end -}}
{{- $nearest := ternary (printf " Would fit: %s." (join "; or " $fixes)) " Nothing in the catalog fits this layout and context." (gt (len $fixes) 0) -}}
{{- if eq $v.problem "precision" -}}
{{- $loads := index $ckpt.loads .engine | default list -}}
{{- $release := index (index $data.vllmVersions .engine) (index $data.gpus .gpu).vendor | default "with no image for this GPU's vendor" -}}
{{- fail (printf "%s: %s runs vLLM %s, which does not load %s checkpoints of %s on %s. GPUs it loads them on: %s.%s" $what .engine $release $ckpt.precision $ckpt.model $on (join ", " $loads | default "none") $nearest) -}}
{{- else if eq $v.problem "heads" -}}
{{- $sizes := list -}}
{{- range $t := until 17 }}{{ if and (gt $t 0) (eq 0 (mod (int $model.attentionHeads) $t)) }}{{ $sizes = append $sizes $t }}{{ end }}{{ end -}}
{{- fail (printf "%s %d does not divide the %d attention heads of %s (%s): vLLM refuses to load it. Use a tensor-parallel size that divides them: %s." $f.tp (int .tp) (int $model.attentionHeads) $ckpt.model .repo (join ", " $sizes)) -}}
{{- else if eq $v.problem "weights" -}}
{{- fail (printf "%s does not fit %s: its weights take %.1f GiB per GPU (over tensor %d x pipeline %d x data %d), and %s %.2f leaves %.1f GiB per GPU, less %.1f GiB of runtime overhead%s: no room for any KV cache.%s Or raise %s, or spread it over more GPUs." $what $on (float64 $v.weightsGiB) (int .tp) (int .pp) (int (.dp | default 1)) $f.utilization (float64 .utilization) (float64 $v.budgetGiB) (float64 $v.overheadGiB) $terms $nearest $f.utilization) -}}
{{- else -}}
{{- $fp8 := "" -}}
{{- if and (not (hasPrefix "fp8" (toString .kvCacheDtype))) (index $data.gpus .gpu).fp8 -}}
{{- $fp8 = printf ", or set %s fp8 (half the bytes per token)" $f.kvCacheDtype -}}
{{- end -}}
{{- fail (printf "%s %d does not fit: with %s on %s, the KV cache is %.1f GiB per GPU (%.1f GiB x %s %.2f - %.1f GiB of weights - %.1f GiB overhead%s) at %.0f bytes per token per GPU, which holds %d tokens, fewer than one sequence of %d. Set %s to %d or less%s.%s" $f.maxModelLen (int $v.maxModelLen) $what $on (float64 $v.kvGiB) (float64 (index $data.gpus .gpu).memoryGiB) $f.utilization (float64 .utilization) (float64 $v.weightsGiB) (float64 $v.overheadGiB) $terms (float64 $v.kvBytesPerToken) (int64 $v.kvTokens) (int $v.maxModelLen) $f.maxModelLen (int64 $v.kvTokens) $fp8 $nearest) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.fit.enabled: "true" unless global.fitCheck.enabled is false.
Usage: {{ if include "common.fit.enabled" $ }}...{{ end }}
*/}}
{{- define "common.fit.enabled" -}}
{{- if dig "fitCheck" "enabled" true (.Values.global | default dict) }}true{{ end -}}
{{- end -}}

{{/*
common.fit.gib: a Kubernetes memory quantity (e.g. 9Gi, 500M, 1073741824) in GiB, as a number; "" for none.
Usage: {{ $gib := include "common.fit.gib" "9Gi" }}
*/}}
{{- define "common.fit.gib" -}}
{{- $q := toString . -}}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$" $q -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $unit := trimPrefix $number $q -}}
{{- $factor := get (dict "" 1.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 "P" 1000000000000000.0) $unit -}}
{{- divf (mulf (float64 $number) $factor) 1073741824 -}}
{{- end -}}
{{- end -}}

{{/*
common.fit.ollama: fail when an ollama model can never run: its weights, KV cache (16-bit, for
contextLength x numParallel, which ollama allocates up front) and runtime exceed the GPUs' memory
and the pod's memory limit together. ollama offloads the layers that do not fit its GPUs to the
CPU, which is slower but runs, so more than the GPU holds is not refused; on CPU the memory limit
is all it has. Without a memory limit nothing bounds it and nothing is refused.
Usage: {{- include "common.fit.ollama" (dict "context" $ "tags" $v.models.pull "contextLength" 8192 "numParallel" 2 "gpu" $v.gpu.model "gpus" $v.gpu.count "memoryLimit" $v.resources.limits.memory "field" "ollama") }}
*/}}
{{- define "common.fit.ollama" -}}
{{- if include "common.fit.enabled" .context -}}
{{- $limit := include "common.fit.gib" (.memoryLimit | default "") -}}
{{- if $limit -}}
{{- $data := include "common.fit.data" .context | fromJson -}}
{{- $gpu := index $data.gpus (toString .gpu) | default dict -}}
{{- $vram := mulf ($gpu.memoryGiB | default 0.0) (int .gpus) -}}
{{- $capacity := addf $vram $limit -}}
{{- range .tags -}}
{{- $n := include "common.fit.ollamaNeed" (dict "data" $data "tag" . "contextLength" $.contextLength "numParallel" $.numParallel) | fromJson -}}
{{- if and $n.checked (gt (float64 $n.needGiB) (float64 $capacity)) -}}
{{- fail (printf "%s.models.pull %s needs %.1f GiB (weights %.1f, KV cache %.1f for %s.server.contextLength %d x numParallel %d, runtime %.1f), more than %s.resources.limits.memory %s%s can ever hold (%.1f GiB): ollama would be killed for memory. Raise %s.resources.limits.memory to %dGi (layers beyond the GPU run on the CPU, slower), lower %s.server.contextLength or numParallel, or pull a smaller tag." $.field . (float64 $n.needGiB) (float64 $n.weightsGiB) (float64 $n.kvGiB) $.field (int $.contextLength) (int $.numParallel) (float64 $n.runtimeGiB) $.field (toString $.memoryLimit) (ternary (printf " and %d x %s (%.1f GiB)" (int $.gpus) $.gpu $vram) "" (gt $vram 0.0)) (float64 $capacity) $.field (int (ceil (subf $n.needGiB $vram))) $.field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.fit.ollamaNeed: what an ollama model needs, as generator/backends/ollama.py sizes it:
weights + 16-bit KV bytes per token x contextLength x numParallel + runtime, in GiB.
Usage: {{ $n := include "common.fit.ollamaNeed" (dict "data" $data "tag" "deepseek-r1:7b" "contextLength" 8192 "numParallel" 2) | fromJson }}
*/}}
{{- define "common.fit.ollamaNeed" -}}
{{- $ckpt := index .data.checkpoints (toString .tag) -}}
{{- if $ckpt -}}
{{- $model := index .data.models $ckpt.model -}}
{{- $bytes := include "common.fit.kvBytesPerToken" (dict "model" $model "elementBytes" 2) | int -}}
{{- $kv := divf (mul $bytes (int .contextLength) (int .numParallel)) 1073741824 -}}
{{- $need := addf $ckpt.weightsGiB $kv .data.ollama.runtimeGiB -}}
{{- dict "checked" true "weightsGiB" $ckpt.weightsGiB "kvGiB" $kv "runtimeGiB" .data.ollama.runtimeGiB "needGiB" $need | toJson -}}
{{- else -}}
{{- dict "checked" false | toJson -}}
{{- end -}}
{{- end -}}

{{/*
common.fit.notes: a line of the install notes when the fit of a model was not checked (a model or
GPU the catalog does not know, or global.fitCheck.enabled false); nothing when it was. "data":
common.fit.data already parsed by the caller (optional: parsed here otherwise).
Usage: {{ include "common.fit.notes" (dict "context" .context "repo" $v.model.name "gpu" $v.gpu.model "modelField" "vllm.model.name" "gpuField" "vllm.gpu.model") }}
*/}}
{{- define "common.fit.notes" -}}
{{- if not (include "common.fit.enabled" .context) -}}
Fit check: off (global.fitCheck.enabled false): nothing checked that {{ .repo }} fits the GPUs.
{{- else -}}
{{- $data := .data -}}
{{- if not $data }}{{ $data = include "common.fit.data" .context | fromJson }}{{ end -}}
{{- if not (hasKey $data.checkpoints (toString .repo)) -}}
Fit check: {{ .modelField }} {{ .repo }} is not in the catalog, so the chart could not check that its
weights and KV cache fit the GPUs; vLLM reports it at startup if they do not.
{{- else if not (hasKey $data.gpus (toString .gpu)) -}}
Fit check: {{ .gpuField }} is empty, so the chart could not check that {{ .repo }} fits the GPUs.
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.fit.kvBytesPerToken: the KV cache of one token over all layers of a model of common.fit.data,
in bytes: KV heads x head dim x (1 for MLA's one latent, 2 for K and V) x layers x "elementBytes".
Usage: {{ include "common.fit.kvBytesPerToken" (dict "model" $model "elementBytes" 2) | int }}
*/}}
{{- define "common.fit.kvBytesPerToken" -}}
{{- mul (int .model.layers) (int .model.kvHeads) (int .model.headDim) (ternary 1 2 .model.mla) (int .elementBytes) -}}
{{- end -}}

{{/*
common.fit.arg: the value of a flag in a list of command-line arguments (`--flag value` or
`--flag=value`; the last one, as argparse takes it), else "default".
Usage: {{ $util := include "common.fit.arg" (dict "args" $v.engine.extraArgs "flag" "--gpu-memory-utilization" "default" "0.9") }}
*/}}
{{- define "common.fit.arg" -}}
{{- $out := .default -}}
{{- $next := false -}}
{{- range .args -}}
{{- if $next }}{{ $out = . }}{{ $next = false }}{{ end -}}
{{- if eq . $.flag }}{{ $next = true }}{{ else if hasPrefix (printf "%s=" $.flag) . }}{{ $out = trimPrefix (printf "%s=" $.flag) . }}{{ end -}}
{{- end -}}
{{- $out -}}
{{- end -}}

{{/*
common.fit.switch: "true" when a boolean flag of vLLM's parser (BooleanOptionalAction) ends up on
in a list of command-line arguments: the last of `--flag` and `--no-flag` wins, else "default".
Usage: {{ $chunked := include "common.fit.switch" (dict "args" $args "flag" "--enable-chunked-prefill" "default" $v.engine.enableChunkedPrefill) | eq "true" }}
*/}}
{{- define "common.fit.switch" -}}
{{- $on := .default -}}
{{- $off := printf "--no-%s" (trimPrefix "--" .flag) -}}
{{- range .args }}{{ if eq . $.flag }}{{ $on = true }}{{ else if eq . $off }}{{ $on = false }}{{ end }}{{ end -}}
{{- if $on }}true{{ end -}}
{{- end -}}

{{/*
common.fit.hasFlag: "true" when a list of command-line arguments has the flag (`--flag`, with or
without a value, or `--flag=value`).
Usage: {{ if include "common.fit.hasFlag" (dict "args" $v.engine.extraArgs "flag" "--cpu-offload-gb") }}...{{ end }}
*/}}
{{- define "common.fit.hasFlag" -}}
{{- range .args }}{{ if or (eq . $.flag) (hasPrefix (printf "%s=" $.flag) .) }}true{{ end }}{{ end -}}
{{- end -}}
