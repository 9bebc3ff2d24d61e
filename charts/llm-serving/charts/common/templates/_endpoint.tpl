{{/*
common.endpoint: an engine's OpenAI-compatible endpoint, as JSON: {"baseUrl": "http://<service>:<port>"
(without /v1), "models": [...], "apiKey": bool}. apiKey: whether clients must send the release's
API key (there is one, and the engine checks it; `noKey` for an engine that checks none).
Usage: {{ include "common.endpoint" (dict "context" $ "baseUrl" "http://r1-vllm:8000" "models" (list "deepseek-r1")) }}
*/}}
{{- define "common.endpoint" -}}
{{- $key := and (not .noKey) (ne (include "common.apiKey.secretName" (dict "context" .context)) "") -}}
{{- toJson (dict "baseUrl" .baseUrl "models" .models "apiKey" $key) -}}
{{- end -}}
