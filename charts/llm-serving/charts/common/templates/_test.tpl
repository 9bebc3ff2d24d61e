{{/*
common.test.chat: a `helm test` Pod that lists the models of an OpenAI-compatible API, then asks
for a real chat completion (with the release's API key when there is one, mounted as a file and
named by API_KEY_FILE; the script also takes API_KEY). Its root filesystem is read-only: the reply
goes to an emptyDir at /tmp.
Usage: {{- include "common.test.chat" (dict "context" $ "name" "r1-vllm-test" "url" "http://r1-vllm:8000" "model" "deepseek-r1" "timeout" 600) }}
*/}}
{{- define "common.test.chat" -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.testSelector" (dict "context" .context) | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  activeDeadlineSeconds: {{ add .timeout 60 }}
  {{- /* no GPUs: common.placement.scheduling prefers nodes without them */ -}}
  {{- with (include "common.placement.scheduling" (dict "context" .context) | fromYaml).affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: chat
      {{- $image := dig "tests" "image" dict (.context.Values.global | default dict) }}
      image: {{ include "common.image.ref" (dict "image" $image) | quote }}
      imagePullPolicy: {{ $image.pullPolicy }}
      command: ["/bin/sh", "-c"]
      args:
        - |
          set -eu
          # The key, when there is one, goes in a header; without one no header is sent.
          if [ -n "${API_KEY_FILE:-}" ]; then API_KEY=$(cat "$API_KEY_FILE"); fi
          if [ -n "${API_KEY:-}" ]; then set -- -H "Authorization: Bearer ${API_KEY}"; else set --; fi
          echo "models at {{ .url }}/v1/models:"
          curl -fsS --max-time 60 "$@" {{ printf "%s/v1/models" .url | quote }}
          echo
          curl -fsS --max-time {{ .timeout }} "$@" -H 'Content-Type: application/json' \
            -d '{"model": {{ .model | toJson }}, "max_tokens": 32, "messages": [{"role": "user", "content": "Reply with one word: ready"}]}' \
            {{ printf "%s/v1/chat/completions" .url | quote }} | tee /tmp/reply
          grep -q '"choices"' /tmp/reply
      {{- $keySecret := include "common.apiKey.secretName" (dict "context" .context) }}
      {{- if $keySecret }}
      env:
        {{- include "common.apiKey.file" (dict "context" .context "part" "env" "name" "API_KEY_FILE") | nindent 8 }}
      {{- end }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $keySecret }}
        {{- include "common.apiKey.file" (dict "context" .context "part" "mount") | nindent 8 }}
        {{- end }}
      resources:
        requests:
          cpu: 10m
          memory: 16Mi
        limits:
          cpu: 100m
          memory: 64Mi
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 16Mi
    {{- if $keySecret }}
    {{- include "common.apiKey.file" (dict "context" .context "part" "volume") | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
common.test.engine: an engine chart's `helm test` Pod: common.test.chat against the engine's
`endpoint` (its <engine>.endpoint JSON: the base URL and the first model), unless
global.tests.enabled is false; the chat request may take global.tests.timeoutSeconds (300).
Usage: {{ include "common.test.engine" (dict "context" $ "name" "r1-vllm-test" "endpoint" (include "vllm.endpoint" (dict "values" .Values "context" $) | fromJson)) }}
*/}}
{{- define "common.test.engine" -}}
{{- $global := .context.Values.global | default dict -}}
{{- if dig "tests" "enabled" true $global -}}
{{ include "common.test.chat" (dict "context" .context "name" .name "url" .endpoint.baseUrl "model" (first .endpoint.models) "timeout" (int (dig "tests" "timeoutSeconds" 300 $global))) }}
{{- end -}}
{{- end -}}
