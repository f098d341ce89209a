{{- define "flint.labels" -}}
app.kubernetes.io/name: flint
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "flint.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}

{{- define "flint.jobNamespaces" -}}
{{- if .Values.jobNamespaces }}{{ join "," .Values.jobNamespaces }}{{ else }}{{ .Release.Namespace }}{{ end }}
{{- end }}

{{- define "flint.operatorRules" }}
rules:
  - apiGroups: ["flint.dev"]
    resources: ["sparkapplications"]
    verbs: ["get", "list", "watch", "delete"]
  - apiGroups: ["flint.dev"]
    resources: ["sparkapplications/status"]
    verbs: ["get", "patch"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch", "create", "patch", "delete"]
  - apiGroups: [""]
    resources: ["pods/log"]
    verbs: ["get"]
  # delete: only what an earlier app of the same name left behind (see remove_leftovers).
  - apiGroups: [""]
    resources: ["services", "configmaps"]
    verbs: ["get", "create", "patch", "delete"]
  # Each app's authentication Secret: created once, never read back or changed.
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["create"]
  - apiGroups: ["events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch"]
{{- end }}
