{{/*
The RDMA option an engine's pods share (AIBrix's fleet, vLLM's LeaderWorkerSet groups): each
helper takes the engine's `rdma` values, `gpus` (GPUs per pod) and, for messages, `field` (the
engine's values key). Pods with RDMA also add IPC_LOCK and run as root (common.pod.securityContext).
*/}}

{{/*
common.rdma.resource: the extended resource of the RDMA devices for the preset.
Usage: {{ include "common.rdma.resource" (dict "rdma" .Values.rdma) }}
*/}}
{{- define "common.rdma.resource" -}}
{{- if eq .rdma.preset "volcengine" }}vke.volcengine.com/rdma{{ else }}{{ .rdma.resourceName }}{{ end -}}
{{- end -}}

{{/*
common.rdma.devices: RDMA devices per pod: rdma.devices, or one per GPU when it is null.
Usage: {{ include "common.rdma.devices" (dict "rdma" .Values.rdma "gpus" 8) | int }}
*/}}
{{- define "common.rdma.devices" -}}
{{- if kindIs "invalid" .rdma.devices }}{{ .gpus | int }}{{ else }}{{ .rdma.devices | int }}{{ end -}}
{{- end -}}

{{/*
common.rdma.resources: container resources with the GPUs of `gpu` (vendor, count) and, with RDMA,
the RDMA devices in requests and limits.
Usage: {{- include "common.rdma.resources" (dict "resources" .Values.resources "rdma" .Values.rdma "gpu" (dict "vendor" "nvidia" "count" 8)) | nindent 8 }}
*/}}
{{- define "common.rdma.resources" -}}
{{- $r := deepCopy (.resources | default dict) -}}
{{- if .rdma.enabled -}}
{{- $dev := dict (include "common.rdma.resource" .) (include "common.rdma.devices" (dict "rdma" .rdma "gpus" .gpu.count)) -}}
{{- $_ := set $r "limits" (merge $dev ($r.limits | default dict)) -}}
{{- $_ := set $r "requests" (merge (deepCopy $dev) ($r.requests | default dict)) -}}
{{- end -}}
{{- include "common.gpu.resources" (dict "resources" $r "gpu" .gpu) -}}
{{- end -}}

{{/*
common.rdma.env: NCCL's RDMA settings (InfiniBand/RoCE on, the HCAs, the RoCE GID index).
Usage: {{- include "common.rdma.env" (dict "rdma" .Values.rdma) | nindent 8 }}
*/}}
{{- define "common.rdma.env" -}}
{{- if .rdma.enabled }}
- name: NCCL_IB_DISABLE
  value: "0"
{{- with .rdma.hcas }}
- name: NCCL_IB_HCA
  value: {{ . | quote }}
{{- end }}
{{- if ge (int .rdma.gidIndex) 0 }}
- name: NCCL_IB_GID_INDEX
  value: {{ .rdma.gidIndex | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
common.rdma.annotations: the pod annotations attaching the RDMA networks of the preset.
Usage: {{- include "common.rdma.annotations" (dict "rdma" .Values.rdma "gpus" 8) | nindent 4 }}
*/}}
{{- define "common.rdma.annotations" -}}
{{- if .rdma.enabled -}}
{{- if eq .rdma.preset "volcengine" -}}
{{- $nets := list -}}
{{- range until (include "common.rdma.devices" . | int) }}{{ $nets = append $nets (dict "cniConf" (dict "name" "rdma")) }}{{ end -}}
k8s.volcengine.com/pod-networks: {{ toPrettyJson $nets | quote }}
{{- else if .rdma.annotations -}}
{{ toYaml .rdma.annotations }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
common.rdma.validate: fail on RDMA device counts that cannot work, naming the field and the fix.
Usage: {{- include "common.rdma.validate" (dict "rdma" .Values.rdma "gpus" 8 "field" "aibrix" "gpuField" "aibrix.gpu.perNode") }}
*/}}
{{- define "common.rdma.validate" -}}
{{- if .rdma.enabled -}}
{{- $devices := include "common.rdma.devices" . | int -}}
{{- $gpus := int .gpus -}}
{{- if eq $devices 0 -}}
{{- fail (printf "%s.rdma.enabled is true but %s.rdma.devices is 0: request one RDMA device per GPU (leave %s.rdma.devices null), or set %s.rdma.enabled=false for TCP." .field .field .field .field) -}}
{{- else if gt $devices $gpus -}}
{{- fail (printf "%s.rdma.devices (%d) is more than %s (%d): a pod uses one RDMA device per GPU at most; leave %s.rdma.devices null to match the GPUs." .field $devices .gpuField $gpus .field) -}}
{{- else if and (eq .rdma.preset "volcengine") (ne $devices $gpus) -}}
{{- fail (printf "%s.rdma.devices (%d) differs from %s (%d): the volcengine preset attaches one RDMA network per GPU; leave %s.rdma.devices null, or use %s.rdma.preset=generic for a shared RDMA device." .field $devices .gpuField $gpus .field .field) -}}
{{- end -}}
{{- end -}}
{{- end -}}
