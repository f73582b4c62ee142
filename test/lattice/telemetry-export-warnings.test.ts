// An OTLP endpoint nobody answers is a warning that repeats with back-off (issue 17, item 4): the
// first failure at once, then at most once per doubling interval, and one line when exports work
// again. The real OTLP/HTTP exporter pointed at a closed port reports through the same wrapper.

import { createServer } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { describe, expect, it } from 'vitest';
import { type ExportCallback, warnOnExportFailure } from '../../lattice/telemetry/export-warnings.ts';

function captureLog() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    log: { warn: (line: string) => void warnings.push(line), info: (line: string) => void infos.push(line) },
  };
}

/** An exporter whose every export ends as `next` says. */
function scriptedExporter() {
  const state = { next: ExportResultCode.FAILED as ExportResultCode, exported: 0 };
  const exporter = {
    export(_items: string[], callback: ExportCallback) {
      state.exported++;
      callback(
        state.next === ExportResultCode.FAILED
          ? { code: ExportResultCode.FAILED, error: new TypeError('connect ECONNREFUSED') }
          : { code: ExportResultCode.SUCCESS },
      );
    },
  };
  return { state, exporter };
}

describe('warnOnExportFailure', () => {
  it('warns at the first failure, then once per doubling interval, and says when exports work again', () => {
    const { warnings, infos, log } = captureLog();
    const { state, exporter } = scriptedExporter();
    let clock = 1_000;
    const wrapped = warnOnExportFailure(exporter, 'traces', 'http://collector:4318/v1/traces', log, {
      firstIntervalMs: 100,
      maxIntervalMs: 400,
      now: () => clock,
    });
    const results: ExportResultCode[] = [];
    const exportAt = (at: number) => {
      clock = at;
      wrapped.export(['span'], (result) => results.push(result.code));
    };
    exportAt(1_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'cannot export traces to http://collector:4318/v1/traces: connect ECONNREFUSED',
    );
    exportAt(1_050); // within 100 ms: quiet
    exportAt(1_099);
    expect(warnings).toHaveLength(1);
    exportAt(1_100); // 100 ms on: the second warning counts the quiet ones
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('(3 failed exports since the last warning)');
    exportAt(1_250); // now 200 ms apart
    expect(warnings).toHaveLength(2);
    exportAt(1_300);
    expect(warnings).toHaveLength(3);
    exportAt(1_600); // 400 ms apart, the cap
    expect(warnings).toHaveLength(3);
    exportAt(1_700);
    exportAt(2_100);
    expect(warnings).toHaveLength(5);
    state.next = ExportResultCode.SUCCESS;
    exportAt(2_150);
    exportAt(2_200);
    expect(infos).toEqual([
      'telemetry: exporting traces to http://collector:4318/v1/traces again, after 9 failed exports',
    ]);
    // The caller's callback saw every result, unchanged.
    expect(results).toHaveLength(11);
    expect(results.at(-1)).toBe(ExportResultCode.SUCCESS);
    // Failing again starts over with an immediate warning.
    state.next = ExportResultCode.FAILED;
    exportAt(2_210);
    expect(warnings).toHaveLength(6);
  });

  it("warns when the real OTLP/HTTP exporter's endpoint refuses connections", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const url = `http://127.0.0.1:${port}/v1/traces`;
    const { warnings, log } = captureLog();
    const exporter = warnOnExportFailure(
      new OTLPTraceExporter({ url, timeoutMillis: 2_000 }),
      'traces',
      url,
      log,
    );
    const code = await new Promise<ExportResultCode>((resolve) =>
      exporter.export([], (result) => resolve(result.code)),
    );
    expect(code).toBe(ExportResultCode.FAILED);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot export traces to ${url}`);
    await exporter.shutdown();
  });
});
