{{/* Names. */}}
{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's name: parley.component (dict "root" $ "component" "api"). */}}
{{- define "parley.component" -}}
{{- printf "%s-%s" (include "parley.fullname" .root | trunc 52 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "parley.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "parley.labels" -}}
helm.sh/chart: {{ include "parley.chart" . }}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: parley
{{- end -}}

{{/* Labels of one component: parley.componentLabels (dict "root" $ "component" "api"). */}}
{{- define "parley.componentLabels" -}}
{{ include "parley.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "parley.componentSelector" -}}
{{ include "parley.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "parley.secretName" -}}
{{- default (printf "%s-secrets" (include "parley.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "parley.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Secret settings, each a secretKeyRef into the Parley Secret (never a value in the pod spec):
parley.secretEnv (dict "root" $ "required" (list ...) "optional" (list ...)).
*/}}
{{- define "parley.secretEnv" -}}
{{- $secret := include "parley.secretName" .root -}}
{{- range .required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
{{- end }}
{{- range .optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end -}}

{{/* Plain settings: a map of NAME: value as env entries (values quoted: the environment is strings). */}}
{{- define "parley.plainEnv" -}}
{{- range $name, $value := . }}
{{- if not (kindIs "invalid" $value) }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The Temporal connection (address, namespace, task queue, TLS, API key) of the API and the workers. */}}
{{- define "parley.temporalEnv" -}}
{{- $t := .Values.temporal -}}
- name: TEMPORAL_ADDRESS
  value: {{ $t.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ $t.namespace | quote }}
- name: TASK_QUEUE
  value: {{ $t.taskQueue | quote }}
{{- if $t.tls.enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- with $t.tls.caFile }}
- name: TEMPORAL_TLS_CA
  value: {{ printf "%s/%s" $t.tls.mountPath . | quote }}
{{- end }}
{{- with $t.tls.certFile }}
- name: TEMPORAL_TLS_CERT
  value: {{ printf "%s/%s" $t.tls.mountPath . | quote }}
{{- end }}
{{- with $t.tls.keyFile }}
- name: TEMPORAL_TLS_KEY
  value: {{ printf "%s/%s" $t.tls.mountPath . | quote }}
{{- end }}
{{- with $t.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if $t.apiKey.enabled }}
- name: TEMPORAL_API_KEY_FILE
  value: /etc/parley/temporal-api-key/TEMPORAL_API_KEY
{{- end }}
{{- end -}}

{{- define "parley.temporalVolumeMounts" -}}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: {{ .Values.temporal.tls.mountPath }}
  readOnly: true
{{- end }}
{{- if .Values.temporal.apiKey.enabled }}
- name: temporal-api-key
  mountPath: /etc/parley/temporal-api-key
  readOnly: true
{{- end }}
{{- end -}}

{{- define "parley.temporalVolumes" -}}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- if .Values.temporal.apiKey.enabled }}
- name: temporal-api-key
  secret:
    secretName: {{ include "parley.secretName" . }}
    defaultMode: 0440
    items:
      - key: TEMPORAL_API_KEY
        path: TEMPORAL_API_KEY
{{- end }}
{{- end -}}

{{/* prometheus.io annotations for one port. */}}
{{- define "parley.scrapeAnnotations" -}}
{{- if .root.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
