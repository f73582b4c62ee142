// The OpenTelemetry trace SDK of one isolate, loaded by tracing.ts only when traces are on: the
// parent-based sampler with the ratio the settings name, a BatchSpanProcessor and the OTLP/HTTP (JSON)
// exporter to their URL, which warns when it cannot reach it (export-warnings.ts).

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { warnOnExportFailure } from './export-warnings.ts';
import { telemetryResource } from './resource.ts';
import type { TelemetrySettings } from './settings.ts';
import type { TracingOptions } from './tracing.ts';

/** OTEL_TRACES_SAMPLER as a sampler; the ratio ones keep `sampleRatio` of new traces. */
export function samplerFor(settings: TelemetrySettings['traces']): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.sampleRatio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

/** A tracer provider exporting to `url` (or to the options' exporter, in tests). */
export function createTracerProvider(
  settings: TelemetrySettings,
  url: string,
  options: TracingOptions,
): TracerProvider {
  const exporter =
    options.exporter ??
    warnOnExportFailure(
      new OTLPTraceExporter({ url, headers: settings.otlpHeaders.traces }),
      'traces',
      url,
      options.log,
    );
  return new TracerProvider({
    resource: telemetryResource(settings, options.serviceName, options.attributes),
    sampler: samplerFor(settings.traces),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.traces.batchDelayMs }),
    ],
  });
}
