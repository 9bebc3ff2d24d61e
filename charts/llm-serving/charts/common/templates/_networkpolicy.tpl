{{/*
common.networkPolicy.namespaces: a NetworkPolicyPeer list selecting whole namespaces by name.
Usage: {{- include "common.networkPolicy.namespaces" (dict "names" (list "ingress-nginx")) | nindent 8 }}
*/}}
{{- define "common.networkPolicy.namespaces" -}}
{{- if .names }}
- namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: In
        values: {{ toJson .names }}
{{- end }}
{{- end -}}

{{/*
common.networkPolicy.apiClients: peers allowed to call an engine's API: the release's chat UI,
global.networkPolicy.ingressNamespaces and global.networkPolicy.allowFrom, plus "extra" peers.
Usage: {{- include "common.networkPolicy.apiClients" (dict "context" $ "extra" list) | nindent 8 }}
*/}}
{{- define "common.networkPolicy.apiClients" -}}
{{- $np := dig "networkPolicy" dict (.context.Values.global | default dict) -}}
- podSelector:
    matchLabels:
      {{- include "common.labels.uiSelector" (dict "context" .context) | nindent 6 }}
- podSelector:
    matchLabels:
      {{- include "common.labels.testSelector" (dict "context" .context) | nindent 6 }}
{{- include "common.networkPolicy.namespaces" (dict "names" ($np.ingressNamespaces | default list)) }}
{{- with concat ($np.allowFrom | default list) (.extra | default list) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
common.networkPolicy.enabled: "true" when global.networkPolicy.enabled (default true).
Usage: {{- if include "common.networkPolicy.enabled" (dict "context" $) }}
*/}}
{{- define "common.networkPolicy.enabled" -}}
{{- if dig "networkPolicy" "enabled" true (.context.Values.global | default dict) }}true{{ end -}}
{{- end -}}
