{{/*
common.httpRoute: a Gateway API HTTPRoute sending every path of the hostnames to a Service port.
Usage: {{- include "common.httpRoute" (dict "context" $ "route" .Values.httpRoute "name" "r1-vllm" "service" "r1-vllm" "port" 8000 "component" "server") }}
*/}}
{{- define "common.httpRoute" -}}
{{- if .route.enabled }}
{{- include "common.validate.apiVersion" (dict "context" .context "apiVersion" "gateway.networking.k8s.io/v1/HTTPRoute" "operator" "the Gateway API CRDs") }}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
spec:
  parentRefs:
    {{- toYaml .route.parentRefs | nindent 4 }}
  {{- with .route.hostnames }}
  hostnames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      backendRefs:
        - name: {{ .service }}
          port: {{ .port }}
      {{- with .route.requestTimeout }}
      timeouts:
        request: {{ . }}
      {{- end }}
{{- end }}
{{- end -}}
