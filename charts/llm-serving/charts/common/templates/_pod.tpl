{{/*
common.pod.imagePullSecrets: imagePullSecrets from global.imagePullSecrets, if any.
Usage: {{- include "common.pod.imagePullSecrets" (dict "context" $) | nindent 6 }}
*/}}
{{- define "common.pod.imagePullSecrets" -}}
{{- with (dig "imagePullSecrets" list (.context.Values.global | default dict)) }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
common.pod.spec: the fields a pod spec of the release opens with, before its containers: no
service-account token (unless `serviceAccountToken`), common.pod.securityContext (`user`, `group`,
`supplementalGroups`, `root`; the supplementalGroups of GPU pods only),
global.imagePullSecrets, then whichever of `runtimeClassName` (GPU pods only), `priorityClassName`,
`terminationGracePeriodSeconds` are given and set, and the nodeSelector, tolerations and affinity
of common.placement.scheduling from `gpus` (the pod's GPU count), `gpuModel`, `field` and the
engine's `nodeSelector`, `tolerations` and `affinity`.
Usage: {{- include "common.pod.spec" (dict "context" $ "runtimeClassName" .Values.gpu.runtimeClassName "gpus" .Values.gpu.count "gpuModel" .Values.gpu.model "field" "vllm" "nodeSelector" .Values.nodeSelector "tolerations" .Values.tolerations "affinity" .Values.affinity) | nindent 6 }}
*/}}
{{- define "common.pod.spec" -}}
{{- $gpu := gt (int .gpus) 0 -}}
{{- if not .serviceAccountToken -}}
automountServiceAccountToken: false
{{ end -}}
{{ include "common.pod.securityContext" (dict "user" .user "group" .group "supplementalGroups" (ternary .supplementalGroups list $gpu) "root" .root) }}
{{- with include "common.pod.imagePullSecrets" (dict "context" .context) | trim }}
{{ . }}
{{- end }}
{{- if $gpu }}{{ with .runtimeClassName }}
runtimeClassName: {{ . | quote }}
{{- end }}{{ end }}
{{- with .priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- if hasKey . "terminationGracePeriodSeconds" }}
terminationGracePeriodSeconds: {{ .terminationGracePeriodSeconds }}
{{- end }}
{{- $scheduling := include "common.placement.scheduling" (dict "context" .context "gpus" .gpus "gpuModel" .gpuModel "nodeSelector" .nodeSelector "affinity" .affinity "tolerations" .tolerations "field" .field) | fromYaml }}
{{- with $scheduling.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $scheduling.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $scheduling.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
common.pod.securityContext: the pod-level security context of every pod of the release, as Pod
Security "restricted" asks: a non-root numeric user, seccomp RuntimeDefault. "user" and "group"
are the image's own non-root user where it has one (rayproject images: 1000/100); otherwise the
chart's UID and GID 10001, which owns nothing in the image (above 10000, clear of host users).
fsGroup makes the volumes (cache claims, emptyDirs) group-writable; OnRootMismatch keeps a large
model claim from being re-chowned at every start. "supplementalGroups": extra GIDs, e.g. the
host's render and video groups that own AMD GPU device nodes. "root": the image's own user
(root), for pods that need a capability to take effect: Kubernetes gives added capabilities to
root processes only (kubernetes/kubernetes#56374: non-root processes get them in their bounding
set, not their permitted or effective set).
Usage: {{- include "common.pod.securityContext" (dict "user" 1000 "group" 100 "supplementalGroups" (list 44)) | nindent 6 }}
*/}}
{{- define "common.pod.securityContext" -}}
{{- $user := .user | default 10001 -}}
{{- $group := .group | default 10001 -}}
securityContext:
  {{- if not .root }}
  runAsNonRoot: true
  runAsUser: {{ $user }}
  runAsGroup: {{ $group }}
  fsGroup: {{ $group }}
  fsGroupChangePolicy: OnRootMismatch
  {{- end }}
  {{- with .supplementalGroups }}
  supplementalGroups: {{ toJson . }}
  {{- end }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/*
common.pod.home: a writable home for the images that keep their state under $HOME and define no
non-root user (vLLM, ollama, AIBrix: caches under ~/.cache and ~/.triton, vLLM's usage stats
under ~/.config, ollama's key pair under ~/.ollama), whose own HOME (/root) the chart's UID cannot
write. Sources: vllm-project/vllm docker/Dockerfile and docker/Dockerfile.rocm (no USER; ENTRYPOINT
vllm serve), ollama/ollama Dockerfile (no USER; `serve` creates $HOME/.ollama/id_ed25519 and exits
when it cannot), vllm-project/aibrix's sample README (aibrix/vllm-openai is vllm/vllm-openai:v0.7.3
plus Ray and NCCL) and build/container/Dockerfile.runtime (no USER), ChatGPTNextWeb/NextChat
Dockerfile (node:18-alpine, no USER), ray-project/ray docker/base-deps/Dockerfile (USER 1000, gid
100, HOME /home/ray: the KubeRay pods keep it), curl/curl-container (USER curl_user, a name, so the
test pods set a numeric runAsUser). torch looks the user name up at import (getpass.getuser), which
fails for a UID without a passwd entry unless USER or LOGNAME is set. "part" "env" gives HOME, USER and LOGNAME (torch and Ray look the user name up, and the
chart's UID has no passwd entry), "mount" the container's volumeMount, "volume" the pod's emptyDir.
Usage: {{- include "common.pod.home" (dict "part" "env") | nindent 12 }}
*/}}
{{- define "common.pod.home" -}}
{{- if eq .part "env" -}}
- name: HOME
  value: /home/llm-serving
- name: USER
  value: llm-serving
- name: LOGNAME
  value: llm-serving
{{- else if eq .part "mount" -}}
- name: home
  mountPath: /home/llm-serving
{{- else -}}
- name: home
  emptyDir: {}
{{- end -}}
{{- end -}}

{{/*
common.pod.containerSecurityContext: no privilege escalation, every capability dropped unless listed
in `add`; a read-only root filesystem with `readOnlyRootFilesystem` (containers that write nowhere
but their volumes); `runAsUser` when given (0 for an image whose own user is not root, where an
added capability must take effect: common.pod.securityContext's "root").
Usage: {{- include "common.pod.containerSecurityContext" (dict "add" (list "IPC_LOCK")) | nindent 10 }}
       {{- include "common.pod.containerSecurityContext" (dict "readOnlyRootFilesystem" true) | nindent 10 }}
       {{- include "common.pod.containerSecurityContext" (dict "add" (list "IPC_LOCK") "runAsUser" 0) | nindent 10 }}
*/}}
{{- define "common.pod.containerSecurityContext" -}}
securityContext:
  {{- if hasKey . "runAsUser" }}
  runAsUser: {{ .runAsUser }}
  {{- end }}
  allowPrivilegeEscalation: false
  {{- if .readOnlyRootFilesystem }}
  readOnlyRootFilesystem: true
  {{- end }}
  capabilities:
    drop: ["ALL"]
    {{- with .add }}
    add: {{ toJson . }}
    {{- end }}
{{- end -}}

{{/*
common.pod.shmVolume: memory-backed /dev/shm volume for NCCL and worker processes ("name" defaults
to dshm; no "sizeLimit": bounded by the pod's memory only).
Usage: {{- include "common.pod.shmVolume" (dict "sizeLimit" .Values.shm.sizeLimit) | nindent 8 }}
*/}}
{{- define "common.pod.shmVolume" -}}
- name: {{ .name | default "dshm" }}
  emptyDir:
    medium: Memory
    {{- with .sizeLimit }}
    sizeLimit: {{ . | quote }}
    {{- end }}
{{- end -}}

{{/*
common.pod.secretEnv: one env var read from a Secret key.
Usage: {{- include "common.pod.secretEnv" (dict "name" "HF_TOKEN" "secret" "hf" "key" "token") | nindent 12 }}
*/}}
{{- define "common.pod.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
{{- end -}}

{{/*
common.pod.secretFile: one key of a Secret as a read-only file `<dir>/<file>`, instead of an env
var (which `kubectl describe`, crash dumps and child processes would see). `part` "volume" gives
the pod volume, "mount" the container's volumeMount.
Usage: {{- include "common.pod.secretFile" (dict "part" "volume" "name" "hf-token" "secret" "hf" "key" "token" "file" "token") | nindent 8 }}
       {{- include "common.pod.secretFile" (dict "part" "mount" "name" "hf-token" "dir" "/var/run/secrets/llm-serving/hf-token") | nindent 12 }}
*/}}
{{- define "common.pod.secretFile" -}}
{{- if eq .part "volume" -}}
- name: {{ .name }}
  secret:
    secretName: {{ .secret | quote }}
    defaultMode: 0444
    items:
      - key: {{ .key | quote }}
        path: {{ .file | quote }}
{{- else if eq .part "mount" -}}
- name: {{ .name }}
  mountPath: {{ .dir | quote }}
  readOnly: true
{{- else -}}
{{- fail (printf "common.pod.secretFile: unknown part %q" .part) -}}
{{- end -}}
{{- end -}}

{{/*
common.pod.apiToken: the service-account token of a pod that calls the Kubernetes API, mounted
read-only where client-go's in-cluster config reads it (/var/run/secrets/kubernetes.io/serviceaccount):
the token (an hour, refreshed by the kubelet), the cluster CA and the namespace, as the kubelet's
automount would, but for this pod alone (its ServiceAccount and common.pod.spec turn automount
off). What the token may do is its ServiceAccount's RBAC. "part" "volume" gives the pod volume,
"mount" the container's volumeMount.
Usage: {{- include "common.pod.apiToken" (dict "part" "volume") | nindent 8 }}
*/}}
{{- define "common.pod.apiToken" -}}
{{- if eq .part "volume" -}}
- name: kube-api-access
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3607
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- else if eq .part "mount" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- else -}}
{{- fail (printf "common.pod.apiToken: unknown part %q" .part) -}}
{{- end -}}
{{- end -}}
