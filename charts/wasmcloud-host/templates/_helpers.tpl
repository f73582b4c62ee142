{{/* Names and labels, as `helm create` makes them. */}}
{{- define "wasmcloud-host.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wasmcloud-host.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "wasmcloud-host.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wasmcloud-host.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wasmcloud-host.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wasmcloud-host.labels" -}}
helm.sh/chart: {{ include "wasmcloud-host.chart" . }}
{{ include "wasmcloud-host.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.wasmcloud.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The applier needs an account of its own to be granted the Role. */}}
{{- define "wasmcloud-host.createServiceAccount" -}}
{{- if or .Values.serviceAccount.create .Values.wasmcloud.enableApplierSupport }}true{{ end }}
{{- end }}

{{- define "wasmcloud-host.serviceAccountName" -}}
{{- if include "wasmcloud-host.createServiceAccount" . }}
{{- default (include "wasmcloud-host.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* A list value may also be given as one comma-separated string (as the 2022 chart took it). */}}
{{- define "wasmcloud-host.commaList" -}}
{{- if kindIs "slice" . }}{{ join "," . }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/*
Where the host's NATS is, as "host port tls": the sidecar, or the existing NATS of nats.url;
wasmcloud.config.rpcNatsHost/Port override either.
*/}}
{{- define "wasmcloud-host.natsEndpoint" -}}
{{- $config := .Values.wasmcloud.config }}
{{- $host := "127.0.0.1" }}
{{- $port := "4222" }}
{{- $tls := "false" }}
{{- if not .Values.nats.enabled }}
{{- $url := required "nats.url is required when nats.enabled is false: the nats://host:port of the NATS (with JetStream) the hosts join" .Values.nats.url }}
{{- $parsed := urlParse $url }}
{{- if not (has $parsed.scheme (list "nats" "tls")) }}
{{- fail (printf "nats.url %q: expected nats://host:port or tls://host:port" $url) }}
{{- end }}
{{- $hostPort := splitList ":" $parsed.host }}
{{- $host = first $hostPort }}
{{- if gt (len $hostPort) 1 }}{{ $port = last $hostPort }}{{ end }}
{{- if eq $parsed.scheme "tls" }}{{ $tls = "true" }}{{ end }}
{{- end }}
{{- if $config.rpcNatsHost }}{{ $host = $config.rpcNatsHost }}{{ end }}
{{- if $config.rpcNatsPort }}{{ $port = toString $config.rpcNatsPort }}{{ end }}
{{- printf "%s %s %s" $host $port $tls }}
{{- end }}

{{/* The variables the host reads registry credentials from (wasmcloud.config.registry.*). */}}
{{- define "wasmcloud-host.registryVariable" -}}
{{- get (dict "url" "OCI_REGISTRY" "username" "OCI_REGISTRY_USER" "password" "OCI_REGISTRY_PASSWORD") . }}
{{- end }}

{{/* The seeds and passwords the chart keeps in its Secret: value name → Secret key. */}}
{{- define "wasmcloud-host.secretValues" -}}
{{- $config := .Values.wasmcloud.config }}
{{- $secrets := dict }}
{{- range $key := list "clusterSeed" "hostSeed" "rpcSeed" "providerRpcSeed" "ctlSeed" }}
{{- if index $config $key }}{{ $_ := set $secrets $key (index $config $key) }}{{ end }}
{{- end }}
{{- if $config.registry.password }}{{ $_ := set $secrets "registryPassword" $config.registry.password }}{{ end }}
{{- toYaml $secrets }}
{{- end }}

{{/*
Refuses values that cannot work, with the reason: 2022 values this host does not read, host label
keys that cannot be variable names, replicas that would not share a lattice, and controller
replicas that have no Deployment to size.
*/}}
{{- define "wasmcloud-host.validate" -}}
{{- $config := .Values.wasmcloud.config }}
{{- if $config.hostKey }}
{{- fail "wasmcloud.config.hostKey is not read by this host (nor was WASMCLOUD_HOST_KEY by the 2022 one): its key comes from wasmcloud.config.hostSeed" }}
{{- end }}
{{- if $config.providerRpcTimeout }}
{{- fail "wasmcloud.config.providerRpcTimeout is not read by this host: providers use wasmcloud.config.rpcTimeout" }}
{{- end }}
{{- if and (or $config.registry.username $config.registry.password) (not $config.registry.url) }}
{{- fail "wasmcloud.config.registry.username and password need wasmcloud.config.registry.url: the registry (host[:port]) they are for" }}
{{- end }}
{{- range $key, $_ := $config.hostLabels }}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $key) }}
{{- fail (printf "wasmcloud.config.hostLabels key %q: only letters, digits and _ are allowed, because it becomes the variable HOST_%s" $key (upper $key)) }}
{{- end }}
{{- end }}
{{- if and .Values.nats.enabled (not .Values.nats.leafnode.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "replicaCount > 1 with a plain NATS sidecar would give each replica a lattice of its own: make the sidecars leaf nodes (nats.leafnode.enabled) or use an existing NATS (nats.enabled: false, nats.url)" }}
{{- end }}
{{- if and .Values.nats.enabled (not .Values.nats.leafnode.enabled) $config.jetstreamReplicas (gt (int $config.jetstreamReplicas) 1) }}
{{- fail "wasmcloud.config.jetstreamReplicas > 1 with a plain NATS sidecar: the sidecar is one JetStream server, which keeps one copy; replicas need a NATS cluster (nats.enabled: false, nats.url; docs/deploy.md, NATS for production)" }}
{{- end }}
{{- if and .Values.wadm.enabled .Values.nats.enabled (gt (int .Values.wadm.replicas) 1) }}
{{- fail "wadm.replicas > 1 with the NATS sidecar: the controller then runs in each host pod, beside its NATS (one per host replica); wadm.replicas sizes its own Deployment, used with an existing NATS (nats.enabled: false, nats.url)" }}
{{- end }}
{{- if and $config.hostSeed (gt (int .Values.replicaCount) 1) }}
{{- fail "wasmcloud.config.hostSeed with replicaCount > 1 would give every replica the same host ID: leave hostSeed empty" }}
{{- end }}
{{- end }}
