{{/*
common.networkPolicy: an Ingress-only NetworkPolicy for pods of the release, rendered when
common.networkPolicy.enabled (global.networkPolicy.enabled and the engine's own `enabled`).
`rules`: a list of {from: [NetworkPolicyPeer...], ports: [port name or number...]} (TCP; no ports:
every port); a rule whose `from` is empty is left out, since an empty `from` would admit every
source (no rule left: nothing is admitted). `name` defaults to common.names.fullname, `selector`
(the pods' labels) to common.labels.selector, `component` labels the policy.
Usage: {{- include "common.networkPolicy" (dict "context" $ "rules" (list (dict "from" (include "common.networkPolicy.apiClients" (dict "context" $) | fromYamlArray) "ports" (list "http")))) }}
*/}}
{{- define "common.networkPolicy" -}}
{{- if include "common.networkPolicy.enabled" . -}}
{{- $rules := list -}}
{{- range .rules -}}
{{- if .from -}}
{{- $rule := dict "from" .from -}}
{{- with .ports -}}
{{- $ports := list -}}
{{- range . }}{{ $ports = append $ports (dict "port" . "protocol" "TCP") }}{{ end -}}
{{- $_ := set $rule "ports" $ports -}}
{{- end -}}
{{- $rules = append $rules $rule -}}
{{- end -}}
{{- end -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .name | default (include "common.names.fullname" (dict "context" .context)) | quote }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "component" .component) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- toYaml (.selector | default (include "common.labels.selector" (dict "context" .context) | fromYaml)) | nindent 6 }}
  policyTypes: ["Ingress"]
  ingress:
    {{- toYaml $rules | nindent 4 }}
{{- end -}}
{{- end -}}

{{/*
common.networkPolicy.enabled: "true" when global.networkPolicy.enabled (default true) and
`enabled`, the engine's own switch (default true), are both true.
Usage: {{- if include "common.networkPolicy.enabled" (dict "context" $ "enabled" .Values.networkPolicy.enabled) }}
*/}}
{{- define "common.networkPolicy.enabled" -}}
{{- $own := ternary .enabled true (hasKey . "enabled") -}}
{{- if and $own (dig "networkPolicy" "enabled" true (.context.Values.global | default dict)) }}true{{ end -}}
{{- end -}}

{{/*
common.networkPolicy.namespaces: a NetworkPolicyPeer list selecting whole namespaces by name.
Usage: {{- $peers := include "common.networkPolicy.namespaces" (dict "names" (list "ingress-nginx")) | fromYamlArray }}
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
common.networkPolicy.releaseClients: peers of the release that call an engine's API: its chat UI
and its `helm test` pods.
Usage: {{- $peers := include "common.networkPolicy.releaseClients" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "common.networkPolicy.releaseClients" -}}
- podSelector:
    matchLabels:
      {{- include "common.labels.uiSelector" (dict "context" .context) | nindent 6 }}
- podSelector:
    matchLabels:
      {{- include "common.labels.testSelector" (dict "context" .context) | nindent 6 }}
{{- end -}}

{{/*
common.networkPolicy.externalClients: peers from outside the release allowed to call its APIs and
UI: the namespaces of global.networkPolicy.ingressNamespaces and global.networkPolicy.allowFrom.
Usage: {{- $peers := include "common.networkPolicy.externalClients" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "common.networkPolicy.externalClients" -}}
{{- $np := dig "networkPolicy" dict (.context.Values.global | default dict) -}}
{{- include "common.networkPolicy.namespaces" (dict "names" ($np.ingressNamespaces | default list)) }}
{{- with $np.allowFrom }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
common.networkPolicy.apiClients: peers allowed to call an engine's API: common.networkPolicy.releaseClients
and common.networkPolicy.externalClients.
Usage: {{- $peers := include "common.networkPolicy.apiClients" (dict "context" $) | fromYamlArray }}
*/}}
{{- define "common.networkPolicy.apiClients" -}}
{{ include "common.networkPolicy.releaseClients" (dict "context" .context) }}
{{ include "common.networkPolicy.externalClients" (dict "context" .context) }}
{{- end -}}
