{{/*
common.validate.parallelism: fail unless tensor x pipeline (x data, when "dp" is given) parallel
size equals the GPUs given.
Usage: {{- include "common.validate.parallelism" (dict "tp" 8 "pp" 2 "gpus" 16 "tpField" "vllm.engine.tensorParallelSize" "ppField" "vllm.engine.pipelineParallelSize" "gpuField" "vllm.gpu.count" "dp" 1 "dpField" "vllm.engine.dataParallelSize") }}
*/}}
{{- define "common.validate.parallelism" -}}
{{- $dp := int (.dp | default 1) -}}
{{- $product := mul (int .tp) (int .pp) $dp -}}
{{- $sizes := printf "%s (%d) x %s (%d)" .tpField (int .tp) .ppField (int .pp) -}}
{{- if .dpField }}{{ $sizes = printf "%s x %s (%d)" $sizes .dpField $dp }}{{ end -}}
{{- if ne $product (int .gpus) -}}
{{- fail (printf "%s = %d GPUs, but %s is %d: every GPU must hold a shard. Set %s to %d, or change the parallel sizes so their product is %d." $sizes $product .gpuField (int .gpus) .gpuField $product (int .gpus)) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.cache: offline mode needs weights that exist; a new ReadWriteOnce claim serves one node.
"offlineField" names the offline switch when it is not <field>.model.offline.
Usage: {{- include "common.validate.cache" (dict "cache" .Values.cache "model" .Values.model "pods" 2 "field" "vllm") }}
*/}}
{{- define "common.validate.cache" -}}
{{- $f := .field -}}
{{- $offline := .offlineField | default (printf "%s.model.offline" $f) -}}
{{- if and .model.offline (eq .cache.type "emptyDir") -}}
{{- fail (printf "%s is true but %s.cache.type is emptyDir: an offline pod can only load weights that already exist. Use cache.type pvc with cache.pvc.existingClaim, or cache.type hostPath, holding the model." $offline $f) -}}
{{- end -}}
{{- if and .model.offline (eq .cache.type "pvc") (not .cache.pvc.existingClaim) -}}
{{- fail (printf "%s is true but %s.cache.pvc.existingClaim is empty: a new claim is empty and offline mode downloads nothing. Set cache.pvc.existingClaim to a claim that holds the model, or set %s false." $offline $f $offline) -}}
{{- end -}}
{{- $modes := .cache.pvc.accessModes -}}
{{- if and (eq .cache.type "pvc") (not .cache.pvc.existingClaim) (gt (int .pods) 1) (not (has "ReadWriteMany" $modes)) (not (has "ReadOnlyMany" $modes)) -}}
{{- fail (printf "%s.cache.pvc.accessModes %v cannot be mounted by %d pods on different nodes: set %s.cache.pvc.accessModes to [ReadWriteMany], or use cache.type hostPath." $f $modes (int .pods) $f) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.apiVersion: fail when the cluster does not serve a custom resource the chart renders.
Usage: {{- include "common.validate.apiVersion" (dict "context" $ "apiVersion" "ray.io/v1/RayService" "operator" "the KubeRay operator") }}
*/}}
{{- define "common.validate.apiVersion" -}}
{{- $global := .context.Values.global | default dict -}}
{{- if and (dig "requireCRDs" true $global) (not (.context.Capabilities.APIVersions.Has .apiVersion)) -}}
{{- fail (printf "the cluster does not serve %s: install %s first. With helm template, pass --api-versions %s; for helm lint, set global.requireCRDs=false." .apiVersion .operator .apiVersion) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.noGpuInResources: GPUs are set from the gpu values, never through resources.
Usage: {{- include "common.validate.noGpuInResources" (dict "resources" .Values.resources "field" "vllm.resources" "fix" "set vllm.gpu.count") }}
*/}}
{{- define "common.validate.noGpuInResources" -}}
{{- $r := .resources | default dict -}}
{{- range $key, $_ := merge dict ($r.limits | default dict) ($r.requests | default dict) -}}
{{- if or (hasSuffix "/gpu" $key) (hasPrefix "nvidia.com/" $key) (hasPrefix "amd.com/" $key) -}}
{{- fail (printf "%s: %q is set by the chart from the GPU values; remove it from resources and %s instead" $.field $key $.fix) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.ingress: an enabled Ingress needs a host, and TLS a Secret.
Usage: {{- include "common.validate.ingress" (dict "ingress" .Values.ingress "field" "vllm.ingress") }}
*/}}
{{- define "common.validate.ingress" -}}
{{- if and .ingress.enabled (not .ingress.host) -}}
{{- fail (printf "%s.enabled is true but %s.host is empty: set the host name clients use." .field .field) -}}
{{- end -}}
{{- if and .ingress.enabled .ingress.tls.enabled (not .ingress.tls.secretName) -}}
{{- fail (printf "%s.tls.enabled is true but %s.tls.secretName is empty: name the TLS Secret (e.g. one cert-manager issues)." .field .field) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.exposedWithKey: an engine reachable from outside the cluster (common.exposure.fields
of its `values`, named from `field`) needs the API key, unless global.apiKey.allowUnauthenticated
says a gateway in front authenticates.
Usage: {{- include "common.validate.exposedWithKey" (dict "context" $ "values" .Values "field" "vllm") }}
*/}}
{{- define "common.validate.exposedWithKey" -}}
{{- $k := dig "apiKey" dict (.context.Values.global | default dict) -}}
{{- $exposed := include "common.exposure.fields" (dict "values" .values "field" .field) | fromJsonArray -}}
{{- if and $exposed (not (include "common.apiKey.secretName" (dict "context" .context))) (not $k.allowUnauthenticated) -}}
{{- fail (printf "%s exposes the API beyond the cluster without an API key: set global.apiKey.create=true (or global.apiKey.existingSecret), or global.apiKey.allowUnauthenticated=true when the gateway in front authenticates." (join ", " $exposed)) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.autoscaling: minReplicas <= maxReplicas and at least one HPA target.
Usage: {{- include "common.validate.autoscaling" (dict "autoscaling" .Values.autoscaling "field" "vllm.autoscaling" "keda" false) }}
*/}}
{{- define "common.validate.autoscaling" -}}
{{- $a := .autoscaling -}}
{{- if $a.enabled -}}
{{- include "common.validate.minMax" (dict "min" $a.minReplicas "max" $a.maxReplicas "minField" (printf "%s.minReplicas" .field) "maxField" (printf "%s.maxReplicas" .field)) -}}
{{- if and (not .keda) (eq (int $a.targetCPUUtilizationPercentage) 0) (eq (int $a.targetMemoryUtilizationPercentage) 0) -}}
{{- fail (printf "%s.enabled is true but both targetCPUUtilizationPercentage and targetMemoryUtilizationPercentage are 0: set at least one target." .field) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.ingressNamespaces: an Ingress behind a NetworkPolicy needs the controller's namespace.
Usage: {{- include "common.validate.ingressNamespaces" (dict "context" $ "ingress" .Values.ingress "field" "vllm.ingress") }}
*/}}
{{- define "common.validate.ingressNamespaces" -}}
{{- $np := dig "networkPolicy" dict (.context.Values.global | default dict) -}}
{{- if and .ingress.enabled (include "common.networkPolicy.enabled" (dict "context" .context)) (not $np.ingressNamespaces) -}}
{{- fail (printf "%s.enabled but global.networkPolicy.ingressNamespaces is empty, so the NetworkPolicy would block the ingress controller: set global.networkPolicy.ingressNamespaces (e.g. [ingress-nginx]), or global.networkPolicy.enabled=false." .field) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.serviceReachable: a LoadBalancer or NodePort Service behind a NetworkPolicy
(`policy`: whether the engine renders one) needs its clients in `allowFrom` (`allowFromField`
names that list), or no one outside the release gets in.
Usage: {{- include "common.validate.serviceReachable" (dict "policy" true "service" .Values.service "field" "vllm.service.type" "allowFrom" .Values.global.networkPolicy.allowFrom "allowFromField" "global.networkPolicy.allowFrom") }}
*/}}
{{- define "common.validate.serviceReachable" -}}
{{- if and .policy (ne .service.type "ClusterIP") (not .allowFrom) -}}
{{- fail (printf "%s %s, but the NetworkPolicy admits only the release's chat UI and helm tests, so its clients would be dropped: add them to %s (e.g. - ipBlock: {cidr: 10.0.0.0/8}), or set global.networkPolicy.enabled=false." .field .service.type .allowFromField) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.minMax: fail when a lower bound is above its upper bound, naming both fields.
Usage: {{- include "common.validate.minMax" (dict "min" 3 "max" 2 "minField" "aibrix.autoscaling.minReplicas" "maxField" "aibrix.autoscaling.maxReplicas") }}
*/}}
{{- define "common.validate.minMax" -}}
{{- if gt (int .min) (int .max) -}}
{{- fail (printf "%s (%d) is above %s (%d): raise %s or lower %s." .minField (int .min) .maxField (int .max) .maxField .minField) -}}
{{- end -}}
{{- end -}}
