{{/*
common.image.ref: "<repository>:<tag>", and "@<digest>" when image.digest is set (the digest then
decides what runs; the tag stays for the reader). `tag` overrides image.tag (ollama's -rocm build).
Usage: image: {{ include "common.image.ref" (dict "image" .Values.image) | quote }}
*/}}
{{- define "common.image.ref" -}}
{{- .image.repository }}:{{ .tag | default .image.tag }}{{ with .image.digest }}@{{ . }}{{ end -}}
{{- end -}}
