{{/*
common.apiKey.secretName: the Secret holding the release's API key: global.apiKey.existingSecret,
or "<release>-api-key" when global.apiKey.create; empty when the API is served without a key.
Usage: {{ include "common.apiKey.secretName" (dict "context" $) }}
*/}}
{{- define "common.apiKey.secretName" -}}
{{- $k := dig "apiKey" dict (.context.Values.global | default dict) -}}
{{- if $k.existingSecret -}}{{ $k.existingSecret }}
{{- else if $k.create -}}{{ printf "%s-api-key" .context.Release.Name | trunc 63 | trimSuffix "-" }}
{{- end -}}
{{- end -}}

{{/*
common.apiKey.secretKey: the key of the API key Secret that holds the key (global.apiKey.secretKey,
default "api-key").
Usage: {{ include "common.apiKey.secretKey" (dict "context" $) }}
*/}}
{{- define "common.apiKey.secretKey" -}}
{{- dig "apiKey" "secretKey" "api-key" (.context.Values.global | default dict) -}}
{{- end -}}

{{/*
common.apiKey.env: env var `name` read from the API key Secret, when there is one.
Usage: {{- include "common.apiKey.env" (dict "context" $ "name" "VLLM_API_KEY") | nindent 12 }}
*/}}
{{- define "common.apiKey.env" -}}
{{- with include "common.apiKey.secretName" (dict "context" .context) -}}
{{ include "common.pod.secretEnv" (dict "name" $.name "secret" . "key" (include "common.apiKey.secretKey" (dict "context" $.context))) }}
{{- end -}}
{{- end -}}

{{/*
common.apiKey.file: the release's API key as the read-only file /var/run/secrets/llm-serving/api-key/api-key,
for programs that can read it from a file. `part`: "env" (`name` = that path), "volume" or "mount";
each renders nothing when the API is served without a key.
Usage: {{- include "common.apiKey.file" (dict "context" $ "part" "env" "name" "API_KEY_FILE") | nindent 12 }}
*/}}
{{- define "common.apiKey.file" -}}
{{- with include "common.apiKey.secretName" (dict "context" .context) -}}
{{- $dir := "/var/run/secrets/llm-serving/api-key" -}}
{{- if eq $.part "env" -}}
- name: {{ $.name }}
  value: {{ printf "%s/api-key" $dir }}
{{- else -}}
{{ include "common.pod.secretFile" (dict "part" $.part "name" "api-key" "secret" . "key" (include "common.apiKey.secretKey" (dict "context" $.context)) "file" "api-key" "dir" $dir) }}
{{- end -}}
{{- end -}}
{{- end -}}
