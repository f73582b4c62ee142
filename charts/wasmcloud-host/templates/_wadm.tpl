{{/*
The application controller (wadm-compatible; node controller/main.ts from the host image,
docs/apps.md). A client of the lattice as wash is, so it gets wash's connection variables: the
NATS the hosts' control interface uses (the sidecar, nats.url, or wasmcloud.config.controlNats*),
the control JWT and seed, the lattice and the JetStream domain.
Called with (dict "root" . ): the chart's context.
*/}}
{{- define "wasmcloud-host.wadmContainer" -}}
{{- $root := .root }}
{{- $config := $root.Values.wasmcloud.config }}
{{- $nats := splitList " " (include "wasmcloud-host.natsEndpoint" $root) }}
{{- $secrets := include "wasmcloud-host.secretValues" $root | fromYaml -}}
- name: wadm
  image: "{{ $root.Values.wasmcloud.image.repository }}:{{ $root.Values.wasmcloud.image.tag | default $root.Chart.AppVersion }}"
  imagePullPolicy: {{ $root.Values.wasmcloud.image.pullPolicy }}
  {{- /* The image's entrypoint starts a host; tini stays PID 1 and passes SIGTERM on. */}}
  command: ["/usr/bin/tini", "--", "node", "controller/main.ts"]
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  env:
    - name: WASMCLOUD_CTL_HOST
      value: {{ $config.controlNatsHost | default (index $nats 0) | quote }}
    - name: WASMCLOUD_CTL_PORT
      value: {{ $config.controlNatsPort | default (index $nats 1) | toString | quote }}
    {{- /* tls://…: TLS with the system's CAs, as the hosts get WASMCLOUD_RPC_TLS. */}}
    {{- if eq (index $nats 2) "true" }}
    - name: WASMCLOUD_CTL_TLS
      value: "true"
    {{- end }}
    {{- range $setting := list
          (list "ctlJWT" "WASMCLOUD_CTL_JWT")
          (list "latticePrefix" "WASMCLOUD_LATTICE_PREFIX")
          (list "jetstreamDomain" "WASMCLOUD_JS_DOMAIN")
          (list "jetstreamReplicas" "WASMCLOUD_JS_REPLICAS") }}
    {{- with index $config (first $setting) }}
    - name: {{ last $setting }}
      value: {{ toString . | quote }}
    {{- end }}
    {{- end }}
    {{- if or (hasKey $secrets "ctlSeed") $config.existingSecret }}
    - name: WASMCLOUD_CTL_SEED
      valueFrom:
        secretKeyRef:
          name: {{ $config.existingSecret | default (include "wasmcloud-host.fullname" $root) }}
          key: ctlSeed
          {{- if not (hasKey $secrets "ctlSeed") }}
          optional: true
          {{- end }}
    {{- end }}
  resources:
    {{- toYaml $root.Values.wadm.resources | nindent 4 }}
{{- end }}

{{/* The controller's own Deployment's pods: not the hosts' selector, so neither the hosts'
Deployment nor their Service ever selects them. */}}
{{- define "wasmcloud-host.wadmSelectorLabels" -}}
app.kubernetes.io/name: {{ include "wasmcloud-host.name" . }}-wadm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: wadm
{{- end }}
