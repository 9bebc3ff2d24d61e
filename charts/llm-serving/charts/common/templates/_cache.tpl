{{/*
common.cache.claimName: claim holding an engine's weights cache (existing, or "<fullname>-cache").
Usage: {{ include "common.cache.claimName" (dict "context" $ "cache" .Values.cache) }}
*/}}
{{- define "common.cache.claimName" -}}
{{- .cache.pvc.existingClaim | default (printf "%s-cache" (include "common.names.fullname" (dict "context" .context))) -}}
{{- end -}}

{{/*
common.cache.volume: the "cache" volume of a pod, from the cache values (pvc, hostPath or emptyDir).
Usage: {{- include "common.cache.volume" (dict "context" $ "cache" .Values.cache) | nindent 8 }}
*/}}
{{- define "common.cache.volume" -}}
- name: cache
  {{- if eq .cache.type "pvc" }}
  persistentVolumeClaim:
    claimName: {{ include "common.cache.claimName" . | quote }}
  {{- else if eq .cache.type "hostPath" }}
  hostPath:
    path: {{ .cache.hostPath.path | quote }}
    type: {{ .cache.hostPath.type }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ .cache.emptyDir.sizeLimit | quote }}
  {{- end }}
{{- end -}}

{{/*
common.cache.env: HF_HOME on the cache, offline switches, and HF_TOKEN_PATH when a token Secret is set.
Usage: {{- include "common.cache.env" (dict "cache" .Values.cache "model" .Values.model) | nindent 12 }}
*/}}
{{- define "common.cache.env" -}}
- name: HF_HOME
  value: {{ .cache.mountPath | quote }}
{{- if .model.offline }}
- name: HF_HUB_OFFLINE
  value: "1"
- name: TRANSFORMERS_OFFLINE
  value: "1"
{{- end }}
{{- if .model.hfToken.existingSecret }}
- name: HF_TOKEN_PATH
  value: {{ include "common.cache.tokenDir" . }}/token
{{- end }}
{{- end -}}

{{/*
common.cache.token: the Hugging Face token Secret as the file HF_TOKEN_PATH names (huggingface_hub
reads it when HF_TOKEN is unset). `part`: "volume" or "mount"; nothing without a token Secret.
Usage: {{- include "common.cache.token" (dict "part" "mount" "model" .Values.model) | nindent 12 }}
*/}}
{{- define "common.cache.token" -}}
{{- with .model.hfToken.existingSecret -}}
{{ include "common.pod.secretFile" (dict "part" $.part "name" "hf-token" "secret" . "key" $.model.hfToken.secretKey "file" "token" "dir" (include "common.cache.tokenDir" $)) }}
{{- end -}}
{{- end -}}

{{/*
common.cache.tokenDir: where the Hugging Face token Secret is mounted (file `token`).
Usage: {{ include "common.cache.tokenDir" . }}
*/}}
{{- define "common.cache.tokenDir" -}}/var/run/secrets/llm-serving/hf-token{{- end -}}

{{/*
common.cache.claim: the PersistentVolumeClaim of the cache when the chart creates it; kept on uninstall.
Usage: {{- include "common.cache.claim" (dict "context" $ "cache" .Values.cache) }}
*/}}
{{- define "common.cache.claim" -}}
{{- if and (eq .cache.type "pvc") (not .cache.pvc.existingClaim) }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "common.cache.claimName" . }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" "model-cache") | nindent 4 }}
  annotations:
    # Weights take long to download: keep the claim when the release is uninstalled.
    helm.sh/resource-policy: keep
spec:
  accessModes:
    {{- toYaml .cache.pvc.accessModes | nindent 4 }}
  {{- with .cache.pvc.storageClassName }}
  storageClassName: {{ . | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ .cache.pvc.size }}
{{- end }}
{{- end -}}
