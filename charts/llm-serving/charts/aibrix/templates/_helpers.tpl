{{/*
aibrix.modelLabels: the labels the AIBrix gateway and autoscaler find the model by.
Usage: {{- include "aibrix.modelLabels" . | nindent 4 }}
*/}}
{{- define "aibrix.modelLabels" -}}
model.aibrix.ai/name: {{ .Values.modelName | quote }}
model.aibrix.ai/port: {{ .Values.port | quote }}
{{- end -}}

{{/*
aibrix.modelPath: what `vllm serve` loads: the hub repository or the local model folder.
Usage: {{ include "aibrix.modelPath" . }}
*/}}
{{- define "aibrix.modelPath" -}}
{{- $s := .Values.storage -}}
{{- if eq $s.type "huggingface" -}}{{ $s.huggingface.repo }}
{{- else if eq $s.type "pvc" -}}{{ $s.pvc.mountPath }}
{{- else if eq $s.type "objectStore" -}}{{ printf "%s/%s" $s.mountPath (include "aibrix.uriName" $s.objectStore.uri) }}
{{- else -}}{{ printf "%s/%s" $s.mountPath $s.localNvme.modelDir }}
{{- end -}}
{{- end -}}

{{/*
aibrix.uriName: last path segment of an object-store URI, the folder the downloader creates.
Usage: {{ include "aibrix.uriName" "tos://bucket/models/deepseek-r1/" }}  -> deepseek-r1
*/}}
{{- define "aibrix.uriName" -}}
{{- last (compact (splitList "/" .)) -}}
{{- end -}}

{{/*
aibrix.command: container args. Ray starts from the command KubeRay generates
($KUBERAY_GEN_RAY_START_CMD, with ray.io/overwrite-container-cmd); the head then runs vLLM with
the Ray executor, the workers block in `ray start`.
Usage: {{ include "aibrix.command" (dict "context" $ "role" "head") }}
*/}}
{{- define "aibrix.command" -}}
{{- $v := .context.Values -}}
{{- $cmd := printf "ulimit -n %d; echo %s; $KUBERAY_GEN_RAY_START_CMD;" (int $v.openFileLimit) .role -}}
{{- if eq .role "head" -}}
{{- $serve := list "vllm serve" (include "aibrix.modelPath" .context) -}}
{{- if $v.engine.trustRemoteCode }}{{ $serve = append $serve "--trust-remote-code" }}{{ end -}}
{{- $serve = append $serve (printf "--served-model-name %s" $v.modelName) -}}
{{- $serve = append $serve (printf "--tensor-parallel-size %d" (int $v.engine.tensorParallelSize)) -}}
{{- if gt (int $v.engine.pipelineParallelSize) 1 }}{{ $serve = append $serve (printf "--pipeline-parallel-size %d" (int $v.engine.pipelineParallelSize)) }}{{ end -}}
{{- $serve = append $serve "--distributed-executor-backend ray" -}}
{{- if gt (int $v.engine.maxModelLen) 0 }}{{ $serve = append $serve (printf "--max-model-len %d" (int $v.engine.maxModelLen)) }}{{ end -}}
{{- range $v.engine.extraArgs }}{{ $serve = append $serve (ternary . (squote .) (regexMatch "^[A-Za-z0-9._/=:,@+-]+$" .)) }}{{ end -}}
{{- $cmd = printf "%s %s" $cmd (join " " $serve) -}}
{{- end -}}
{{- $cmd -}}
{{- end -}}

{{/*
aibrix.env: NCCL/Gloo networking, RDMA settings and the Hugging Face token.
Usage: {{- include "aibrix.env" . | nindent 14 }}
*/}}
{{- define "aibrix.env" -}}
{{ include "common.pod.home" (dict "part" "env") }}
- name: GLOO_SOCKET_IFNAME
  value: {{ .Values.socketIfname | quote }}
- name: NCCL_SOCKET_IFNAME
  value: {{ .Values.socketIfname | quote }}
{{- include "common.rdma.env" (dict "rdma" .Values.rdma) }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .Values.storage.huggingface.tokenSecret }}
{{ include "common.pod.secretEnv" (dict "name" "HF_TOKEN" "secret" . "key" "token") }}
{{- end }}
{{- with include "common.apiKey.env" (dict "context" . "name" "VLLM_API_KEY") }}
{{ . }}
{{- end }}
{{- end -}}

{{/*
aibrix.initContainers: the AIBrix runtime downloader, for objectStore and localNvme.fillFromHub.
Usage: {{- include "aibrix.initContainers" . | nindent 12 }}
*/}}
{{- define "aibrix.initContainers" -}}
{{- $s := .Values.storage -}}
{{- if or (eq $s.type "objectStore") (and (eq $s.type "localNvme") $s.localNvme.fillFromHub) }}
initContainers:
  - name: init-model
    image: {{ $s.downloader.image | quote }}
    command:
      - aibrix_download
      - --model-uri
      {{- if eq $s.type "objectStore" }}
      - {{ $s.objectStore.uri | quote }}
      {{- else }}
      - {{ $s.huggingface.repo | quote }}
      {{- end }}
      - --local-dir
      - {{ printf "%s/" (trimSuffix "/" $s.mountPath) | quote }}
      {{- if eq $s.type "localNvme" }}
      - --model-name
      - {{ $s.localNvme.modelDir | quote }}
      {{- end }}
    env:
      {{- include "common.pod.home" (dict "part" "env") | nindent 6 }}
      - name: DOWNLOADER_MODEL_NAME
        value: {{ ternary (include "aibrix.uriName" $s.objectStore.uri) $s.localNvme.modelDir (eq $s.type "objectStore") | quote }}
      - name: DOWNLOADER_NUM_THREADS
        value: {{ $s.downloader.numThreads | quote }}
      - name: DOWNLOADER_ALLOW_FILE_SUFFIX
        value: {{ $s.downloader.allowFileSuffix | quote }}
      {{- if eq $s.type "objectStore" }}
      {{- $o := $s.objectStore }}
      {{- $prefix := ternary "TOS" "AWS" (eq $o.provider "tos") }}
      {{- $keys := ternary (list "TOS_ACCESS_KEY" "TOS_SECRET_KEY") (list "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY") (eq $o.provider "tos") }}
      {{- range $keys }}
      {{- include "common.pod.secretEnv" (dict "name" . "secret" $o.credentialsSecret "key" .) | nindent 6 }}
      {{- end }}
      {{- with $o.endpoint }}
      - name: {{ ternary "TOS_ENDPOINT" "AWS_ENDPOINT_URL" (eq $o.provider "tos") }}
        value: {{ . | quote }}
      {{- end }}
      {{- with $o.region }}
      - name: {{ ternary "TOS_REGION" "AWS_REGION" (eq $o.provider "tos") }}
        value: {{ . | quote }}
      {{- end }}
      {{- else }}
      {{- with $s.huggingface.tokenSecret }}
      {{- include "common.pod.secretEnv" (dict "name" "HF_TOKEN" "secret" . "key" "token") | nindent 6 }}
      {{- end }}
      {{- end }}
    {{- with $s.downloader.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- include "common.pod.containerSecurityContext" (dict) | nindent 4 }}
    volumeMounts:
      {{- include "common.pod.home" (dict "part" "mount") | nindent 6 }}
      - mountPath: {{ $s.mountPath | quote }}
        name: models
{{- end }}
{{- end -}}

{{/*
aibrix.volumes: /dev/shm and the models volume of the storage type.
Usage: {{- include "aibrix.volumes" . | nindent 12 }}
*/}}
{{- define "aibrix.volumes" -}}
{{- $s := .Values.storage -}}
{{ include "common.pod.home" (dict "part" "volume") }}
{{ include "common.pod.shmVolume" (dict "name" "shared-mem" "sizeLimit" .Values.shmSizeLimit) }}
{{- if eq $s.type "pvc" }}
- name: models
  persistentVolumeClaim:
    claimName: {{ $s.pvc.claimName | quote }}
{{- else if eq $s.type "objectStore" }}
- name: models
  hostPath:
    path: {{ $s.objectStore.hostPath | quote }}
    type: DirectoryOrCreate
{{- else if eq $s.type "localNvme" }}
- name: models
  hostPath:
    path: {{ $s.localNvme.hostPath | quote }}
    {{- /* The fill init container creates the directory; otherwise it must already exist. */}}
    type: {{ ternary "DirectoryOrCreate" "Directory" $s.localNvme.fillFromHub }}
{{- end }}
{{- end -}}

{{/*
aibrix.volumeMounts: mounts matching aibrix.volumes.
Usage: {{- include "aibrix.volumeMounts" . | nindent 16 }}
*/}}
{{- define "aibrix.volumeMounts" -}}
{{ include "common.pod.home" (dict "part" "mount") }}
- mountPath: /dev/shm
  name: shared-mem
{{- $s := .Values.storage }}
{{- if eq $s.type "pvc" }}
- mountPath: {{ $s.pvc.mountPath | quote }}
  name: models
{{- else if ne $s.type "huggingface" }}
- mountPath: {{ $s.mountPath | quote }}
  name: models
{{- end }}
{{- end -}}

{{/*
aibrix.pod: pod template of the head ("role" head) or the workers.
Usage: {{- include "aibrix.pod" (dict "context" $ "role" "head") | nindent 8 }}
*/}}
{{- define "aibrix.pod" -}}
{{- $ := .context -}}
{{- $v := $.Values -}}
metadata:
  labels:
    {{- include "aibrix.modelLabels" $ | nindent 4 }}
    {{- include "common.labels.standard" (dict "context" $ "component" (printf "ray-%s" .role) "pod" true) | nindent 4 }}
  {{- $annotations := include "common.rdma.annotations" (dict "rdma" $v.rdma "gpus" $v.gpu.perNode) | fromYaml }}
  {{- if and (eq .role "head") (include "common.routing.prefixCache" (dict "context" $)) }}
  {{- $_ := set $annotations "model.aibrix.ai/config" (include "aibrix.routingConfig" $) }}
  {{- end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  # Neither vLLM, Ray nor the init-model downloader calls the Kubernetes API (KubeRay's Ray
  # autoscaler is not enabled for fleets), so the pods get no service-account token.
  {{- /* RDMA: NCCL pins memory with IPC_LOCK, which only root processes get (common.pod.securityContext). */}}
  {{- include "common.pod.spec" (dict "context" $ "root" $v.rdma.enabled "gpus" $v.gpu.perNode "gpuModel" $v.gpu.model "field" "aibrix" "nodeSelector" $v.nodeSelector "tolerations" $v.tolerations) | nindent 2 }}
  {{- with include "aibrix.initContainers" $ | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  containers:
    - name: ray-{{ .role }}
      image: {{ include "common.image.ref" (dict "image" $v.image) | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      {{- if eq .role "head" }}
      ports:
        - containerPort: 6379
          name: gcs-server
        - containerPort: 8265
          name: dashboard
        - containerPort: 10001
          name: client
        - containerPort: {{ $v.port }}
          name: service
      {{- end }}
      command: ["/bin/bash", "-lc", "--"]
      args: [{{ include "aibrix.command" (dict "context" $ "role" .role) | quote }}]
      env:
        {{- include "aibrix.env" $ | nindent 8 }}
      {{- if eq .role "worker" }}
      lifecycle:
        preStop:
          exec:
            command: ["/bin/sh", "-c", "ray stop"]
      {{- end }}
      resources:
        {{- include "common.rdma.resources" (dict "resources" $v.resources "rdma" $v.rdma "gpu" (dict "vendor" $v.gpu.vendor "count" $v.gpu.perNode)) | nindent 8 }}
      {{- include "common.pod.containerSecurityContext" (dict "add" (ternary (list "IPC_LOCK") list $v.rdma.enabled)) | nindent 6 }}
      {{- if eq .role "head" }}
      startupProbe:
        httpGet:
          path: /metrics
          port: service
        initialDelaySeconds: {{ $v.startupProbe.initialDelaySeconds }}
        failureThreshold: {{ $v.startupProbe.failureThreshold }}
        periodSeconds: {{ $v.startupProbe.periodSeconds }}
      readinessProbe:
        httpGet:
          path: /health
          port: service
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      {{- if $v.livenessProbe.enabled }}
      livenessProbe:
        httpGet:
          path: /health
          port: service
        periodSeconds: {{ $v.livenessProbe.periodSeconds }}
        timeoutSeconds: 10
        failureThreshold: {{ $v.livenessProbe.failureThreshold }}
      {{- end }}
      {{- end }}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      volumeMounts:
        {{- include "aibrix.volumeMounts" $ | nindent 8 }}
  volumes:
    {{- include "aibrix.volumes" $ | nindent 4 }}
{{- end -}}

{{/*
aibrix.routingConfig: the model.aibrix.ai/config annotation of global.routing.strategy prefixCache,
on the head pods, the only pods the AIBrix gateway routes to: one profile, the default, whose
routingStrategy is `prefix-cache` (a request goes to the pod that holds its prompt's prefix, with
load balancing). The gateway reads it from v0.6.0 on (pkg/plugins/gateway/configprofiles); a
`routing-strategy` request header still wins, and older gateways (v0.2.1) ignore the annotation
and route by the header or their ROUTING_ALGORITHM alone (README: Routing).
Usage: {{ include "aibrix.routingConfig" . }}
*/}}
{{- define "aibrix.routingConfig" -}}
{{- dict "defaultProfile" "default" "profiles" (dict "default" (dict "routingStrategy" "prefix-cache")) | toJson -}}
{{- end -}}
