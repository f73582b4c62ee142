{{/*
Metrics and traces of the hosts (docs/deploy.md, "Metrics and traces"): the metrics port, the
annotations Prometheus's kubernetes-pods scrape job reads, and the OTEL_* variables of
wasmcloud.config.otel. The application controller reads no OTEL_* variable and serves no metrics,
so none of this goes to its container.
*/}}

{{/* Refuses a metrics port another listener of the pod already has: the host would not start. */}}
{{- define "wasmcloud-host.validateTelemetry" -}}
{{- $metrics := .Values.wasmcloud.metrics }}
{{- if $metrics.enabled }}
{{- $port := int $metrics.port }}
{{- if eq $port (int .Values.wasmcloud.dashboardPort) }}
{{- fail (printf "wasmcloud.metrics.port %d is wasmcloud.dashboardPort too: give /metrics a port of its own (it is also served on the dashboard port)" $port) }}
{{- end }}
{{- if and .Values.nats.enabled (has $port (list 4222 8222)) }}
{{- fail (printf "wasmcloud.metrics.port %d is taken by the NATS sidecar in the same pod (4222 clients, 8222 monitoring)" $port) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod annotations that make Prometheus scrape the host's metrics port. */}}
{{- define "wasmcloud-host.scrapeAnnotations" -}}
{{- if .Values.wasmcloud.metrics.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.wasmcloud.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* The host container's variables for metrics and OpenTelemetry, as a YAML list of env entries. */}}
{{- define "wasmcloud-host.telemetryEnv" -}}
{{- $metrics := .Values.wasmcloud.metrics }}
{{- $otel := .Values.wasmcloud.config.otel }}
{{- if $metrics.enabled }}
{{- /* Not WASMCLOUD_METRICS_ENABLED=true: that would also push to the OTLP default localhost:4318. */ -}}
- name: WASMCLOUD_METRICS_PORT
  value: {{ $metrics.port | quote }}
{{- /* The host's default, 127.0.0.1, cannot be scraped from outside the pod. */}}
- name: WASMCLOUD_METRICS_HOST
  value: "0.0.0.0"
{{- else -}}
- name: WASMCLOUD_METRICS_ENABLED
  value: "false"
{{- end }}
{{- range $setting := list
      (list "exporter" "OTEL_TRACES_EXPORTER")
      (list "endpoint" "OTEL_EXPORTER_OTLP_ENDPOINT")
      (list "tracesEndpoint" "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
      (list "metricsEndpoint" "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
      (list "sampler" "OTEL_TRACES_SAMPLER")
      (list "serviceName" "OTEL_SERVICE_NAME") }}
{{- with index $otel (first $setting) }}
- name: {{ last $setting }}
  value: {{ toString . | quote }}
{{- end }}
{{- end }}
{{- if kindIs "bool" $otel.tracesEnabled }}
- name: WASMCLOUD_TRACES_ENABLED
  value: {{ toString $otel.tracesEnabled | quote }}
{{- end }}
{{- /* 0 is a ratio too (no new trace kept), so not `with`. A number is written without exponent
(1e-05 is not a ratio the host reads) and without trailing zeros. */}}
{{- $ratio := $otel.samplerRatio }}
{{- if kindIs "string" $ratio }}
{{- with $ratio }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- else if not (kindIs "invalid" $ratio) }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ regexReplaceAll "\\.?0+$" (printf "%f" (float64 $ratio)) "" | quote }}
{{- end }}
{{- /* int64: YAML numbers reach templates as floats, and toString would write 3600000 as 3.6e+06. */}}
{{- with $otel.metricExportInterval }}
- name: OTEL_METRIC_EXPORT_INTERVAL
  value: {{ int64 . | toString | quote }}
{{- end }}
{{- with $otel.resourceAttributes }}
{{- $pairs := list }}
{{- range $key, $value := . }}
{{- $pairs = append $pairs (printf "%s=%s" $key (toString $value)) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $pairs | quote }}
{{- end }}
{{- with $otel.headersSecret.name }}
{{- /* Not optional: a Secret named here and missing should stop the pod, not drop the API key. */}}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $otel.headersSecret.key }}
{{- end }}
{{- end }}
