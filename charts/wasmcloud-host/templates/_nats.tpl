{{/*
The NATS sidecar. As a native sidecar (root: the chart's context, native: true) it is an init
container that keeps running: Kubernetes starts it, and waits for its startup probe, before the host.
*/}}
{{- define "wasmcloud-host.natsContainer" -}}
{{- $root := .root }}
{{- $nats := $root.Values.nats -}}
- name: nats
  image: "{{ $nats.image.repository }}:{{ $nats.image.tag }}"
  imagePullPolicy: {{ $nats.image.pullPolicy }}
  {{- if .native }}
  restartPolicy: Always
  {{- end }}
  args:
    - "--config"
    - "/etc/nats/nats.conf"
  env:
    {{- /* nats.conf names the server after its pod. */}}
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  ports:
    - name: nats
      containerPort: 4222
      protocol: TCP
    - name: nats-monitor
      containerPort: 8222
      protocol: TCP
  startupProbe:
    httpGet:
      path: /healthz
      port: nats-monitor
    periodSeconds: 1
    failureThreshold: 30
  livenessProbe:
    httpGet:
      path: /healthz
      port: nats-monitor
    periodSeconds: 10
  volumeMounts:
    - name: nats-config
      mountPath: /etc/nats
      readOnly: true
    - name: nats-data
      mountPath: /data
    {{- if $nats.leafnode.enabled }}
    - name: nats-credentials
      mountPath: /etc/nats-credentials
      readOnly: true
    {{- end }}
  resources:
    {{- toYaml $nats.resources | nindent 4 }}
{{- end }}
