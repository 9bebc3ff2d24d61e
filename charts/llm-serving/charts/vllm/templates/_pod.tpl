{{/*
vllm.podTemplate: the pod template of a vLLM server: "role" single (the Deployment's pods), leader
(a LeaderWorkerSet group's rank 0, which serves the API) or worker (a headless rank of the group:
no API port, no probes). Takes the chart's root context with "role" added.
Usage: {{- include "vllm.podTemplate" (merge (dict "role" "leader") .) | nindent 4 }}
*/}}
{{- define "vllm.podTemplate" -}}
{{- $role := .role -}}
metadata:
  labels:
    {{- include "common.labels.standard" (dict "context" $ "pod" true) | nindent 4 }}
    {{- if ne $role "single" }}
    {{ include "vllm.roleLabel" . }}: {{ $role }}
    {{- end }}
  {{- with merge (include "common.rdma.annotations" (dict "rdma" .Values.rdma "gpus" .Values.gpu.count) | fromYaml) .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- include "common.pod.spec" (dict "context" $ "runtimeClassName" .Values.gpu.runtimeClassName "priorityClassName" .Values.priorityClassName "terminationGracePeriodSeconds" .Values.terminationGracePeriodSeconds "root" .Values.rdma.enabled "supplementalGroups" .Values.gpu.supplementalGroups "gpus" .Values.gpu.count "gpuModel" .Values.gpu.model "field" "vllm" "nodeSelector" .Values.nodeSelector "tolerations" .Values.tolerations "affinity" .Values.affinity) | nindent 2 }}
  containers:
    - name: vllm
      image: {{ include "common.image.ref" (dict "image" .Values.image) | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- /* per-rank API servers (vllm.rankPorts): probes ask their supervisor, which answers once all do */}}
      {{- $ranks := int (include "vllm.rankPorts" .) }}
      {{- $probePort := ternary "supervisor" "http" (gt $ranks 0) }}
      command: ["vllm", "serve"]
      args:
        {{- include "vllm.args" . | nindent 8 }}
        {{- if ne $role "single" }}
        {{- include "vllm.multiNodeArgs" . | nindent 8 }}
        {{- end }}
      {{- if ne $role "worker" }}
      ports:
        {{- range include "vllm.apiPorts" . | fromJsonArray }}
        - name: {{ .name }}
          containerPort: {{ .number }}
          protocol: TCP
        {{- end }}
        {{- if $ranks }}
        - name: supervisor
          containerPort: {{ include "vllm.supervisorPort" . }}
          protocol: TCP
        {{- end }}
      {{- end }}
      env:
        {{- include "common.pod.home" (dict "part" "env") | nindent 8 }}
        {{- include "common.cache.env" (dict "cache" .Values.cache "model" .Values.model) | nindent 8 }}
        {{- with include "common.apiKey.env" (dict "context" $ "name" "VLLM_API_KEY") }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with include "common.rdma.env" (dict "rdma" .Values.rdma) }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      resources:
        {{- include "common.rdma.resources" (dict "resources" .Values.resources "rdma" .Values.rdma "gpu" .Values.gpu) | nindent 8 }}
      {{- include "common.pod.containerSecurityContext" (dict "add" (ternary (list "IPC_LOCK") list .Values.rdma.enabled)) | nindent 6 }}
      {{- if ne $role "worker" }}
      startupProbe:
        httpGet:
          path: /health
          port: {{ $probePort }}
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
        timeoutSeconds: 5
      readinessProbe:
        httpGet:
          path: /health
          port: {{ $probePort }}
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
        timeoutSeconds: 5
      livenessProbe:
        httpGet:
          path: /health
          port: {{ $probePort }}
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
        timeoutSeconds: 10
      {{- end }}
      volumeMounts:
        {{- include "common.pod.home" (dict "part" "mount") | nindent 8 }}
        - name: dshm
          mountPath: /dev/shm
        - name: cache
          mountPath: {{ .Values.cache.mountPath | quote }}
        {{- with include "common.cache.token" (dict "part" "mount" "model" .Values.model) }}
        {{- . | nindent 8 }}
        {{- end }}
  volumes:
    {{- include "common.pod.home" (dict "part" "volume") | nindent 4 }}
    {{- include "common.pod.shmVolume" (dict "sizeLimit" .Values.shm.sizeLimit) | nindent 4 }}
    {{- include "common.cache.volume" (dict "context" $ "cache" .Values.cache) | nindent 4 }}
    {{- with include "common.cache.token" (dict "part" "volume" "model" .Values.model) }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end -}}
