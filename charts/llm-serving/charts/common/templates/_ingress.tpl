{{/*
common.ingress: an Ingress routing every path of one host to a Service port, from the ingress values.
Usage: {{- include "common.ingress" (dict "context" $ "ingress" .Values.ingress "name" "r1-vllm" "service" "r1-vllm" "port" "http" "component" "server") }}
*/}}
{{- define "common.ingress" -}}
{{- if .ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
  {{- with .ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .ingress.className }}
  ingressClassName: {{ . | quote }}
  {{- end }}
  {{- if .ingress.tls.enabled }}
  tls:
    - hosts:
        - {{ .ingress.host | quote }}
      secretName: {{ .ingress.tls.secretName | quote }}
  {{- end }}
  rules:
    - host: {{ .ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .service }}
                port:
                  name: {{ .port }}
{{- end }}
{{- end -}}
