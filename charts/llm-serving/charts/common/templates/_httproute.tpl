{{/*
common.httpRoute: a Gateway API HTTPRoute sending every path of the hostnames to a Service port,
or, with `inferencePool` (a name), to that InferencePool (inference.networking.k8s.io; no port:
the pool's targetPorts decide it), whose endpoint picker chooses the pod.
Usage: {{- include "common.httpRoute" (dict "context" $ "route" .Values.httpRoute "name" "r1-vllm" "service" "r1-vllm" "port" 8000 "component" "server") }}
       {{- include "common.httpRoute" (dict "context" $ "route" .Values.httpRoute "name" "r1-vllm" "inferencePool" "r1-vllm" "component" "server") }}
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
        {{- if .inferencePool }}
        - group: inference.networking.k8s.io
          kind: InferencePool
          name: {{ .inferencePool }}
        {{- else }}
        - name: {{ .service }}
          port: {{ .port }}
        {{- end }}
      {{- with .route.requestTimeout }}
      timeouts:
        request: {{ . }}
      {{- end }}
{{- end }}
{{- end -}}
