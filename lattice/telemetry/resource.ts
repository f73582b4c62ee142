// The OpenTelemetry resource of a process of the lattice: who sent a span or a metric. The names are
// the wasmCloud host's (observability.md, "Metrics": host.id, host.version, host.arch, host.os,
// host.osfamily, host.friendly_name, host.hostname) beside the specification's service.name; the
// caller adds what only it knows (a host's key and friendly name, a provider's key), and the user's
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over everything.

import { hostname } from 'node:os';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TelemetrySettings } from './settings.ts';

/** What this machine and process are, in the wasmCloud host's attribute names. */
export function processAttributes(): Record<string, string> {
  return {
    'host.arch': process.arch,
    'host.os': process.platform,
    'host.osfamily': process.platform === 'win32' ? 'windows' : 'unix',
    'host.hostname': hostname(),
  };
}

/**
 * The resource of this process: `serviceName` unless OTEL_SERVICE_NAME says otherwise, the
 * machine's attributes, the caller's `attributes`, then OTEL_RESOURCE_ATTRIBUTES.
 */
export function telemetryResource(
  settings: Pick<TelemetrySettings, 'serviceName' | 'resourceAttributes'>,
  serviceName: string,
  attributes: Readonly<Record<string, string>> = {},
): Resource {
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    ...processAttributes(),
    ...attributes,
    ...settings.resourceAttributes,
    ...(settings.serviceName === undefined ? {} : { [ATTR_SERVICE_NAME]: settings.serviceName }),
  });
}
