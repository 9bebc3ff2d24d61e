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
service-account token (unless `serviceAccountToken`), common.pod.securityContext (`user`, `group`),
global.imagePullSecrets, then whichever of `runtimeClassName`, `priorityClassName`,
`terminationGracePeriodSeconds` are given and set, and the nodeSelector, tolerations and affinity
of common.placement.scheduling from `gpus` (the pod's GPU count), `gpuModel`, `field` and the
engine's `nodeSelector`, `tolerations` and `affinity`.
Usage: {{- include "common.pod.spec" (dict "context" $ "runtimeClassName" .Values.gpu.runtimeClassName "gpus" .Values.gpu.count "gpuModel" .Values.gpu.model "field" "vllm" "nodeSelector" .Values.nodeSelector "tolerations" .Values.tolerations "affinity" .Values.affinity) | nindent 6 }}
*/}}
{{- define "common.pod.spec" -}}
{{- if not .serviceAccountToken -}}
automountServiceAccountToken: false
{{ end -}}
{{ include "common.pod.securityContext" (dict "user" .user "group" .group) }}
{{- with include "common.pod.imagePullSecrets" (dict "context" .context) | trim }}
{{ . }}
{{- end }}
{{- with .runtimeClassName }}
runtimeClassName: {{ . | quote }}
{{- end }}
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
common.pod.securityContext: pod-level security context every engine starts from; "user" and
"group" (the image's own non-root user) make the pod run as non-root.
Usage: {{- include "common.pod.securityContext" (dict "user" 1000 "group" 100) | nindent 6 }}
*/}}
{{- define "common.pod.securityContext" -}}
securityContext:
  {{- with .user }}
  runAsNonRoot: true
  runAsUser: {{ . }}
  runAsGroup: {{ $.group }}
  fsGroup: {{ $.group }}
  {{- end }}
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/*
common.pod.containerSecurityContext: no privilege escalation, every capability dropped unless listed.
Usage: {{- include "common.pod.containerSecurityContext" (dict "add" (list "IPC_LOCK")) | nindent 10 }}
*/}}
{{- define "common.pod.containerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
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
