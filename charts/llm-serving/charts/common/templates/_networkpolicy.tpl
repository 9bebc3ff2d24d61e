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

{{/*
common.validate.ingressNamespaces: an Ingress behind a NetworkPolicy needs the controller's namespace.
Usage: {{- include "common.validate.ingressNamespaces" (dict "context" $ "ingress" .Values.ingress "field" "vllm.ingress") }}
*/}}
{{- define "common.validate.ingressNamespaces" -}}
{{- $np := dig "networkPolicy" dict (.context.Values.global | default dict) -}}
{{- if and .ingress.enabled (dig "enabled" true $np) (not $np.ingressNamespaces) -}}
{{- fail (printf "%s.enabled but global.networkPolicy.ingressNamespaces is empty, so the NetworkPolicy would block the ingress controller: set global.networkPolicy.ingressNamespaces (e.g. [ingress-nginx]), or global.networkPolicy.enabled=false." .field) -}}
{{- end -}}
{{- end -}}

{{/*
common.validate.serviceReachable: a LoadBalancer or NodePort Service behind a NetworkPolicy
(`policy`: whether the engine renders one) needs its clients in `allowFrom` (`allowFromField`
names that list), or no one outside the release gets in.
Usage: {{- include "common.validate.serviceReachable" (dict "policy" true "service" .Values.service "field" "vllm.service.type" "allowFrom" .Values.global.networkPolicy.allowFrom "allowFromField" "global.networkPolicy.allowFrom") }}
*/}}
{{- define "common.validate.serviceReachable" -}}
{{- if and .policy (ne .service.type "ClusterIP") (not .allowFrom) -}}
{{- fail (printf "%s %s, but the NetworkPolicy admits only the release's chat UI and helm tests, so its clients would be dropped: add them to %s (e.g. - ipBlock: {cidr: 10.0.0.0/8}), or set global.networkPolicy.enabled=false." .field .service.type .allowFromField) -}}
{{- end -}}
{{- end -}}
