// A lattice event's CloudEvent envelope, and building one to publish. Apart from events.ts, whose
// schemas of every event's data are zod: the actor workers publish invocation events
// (host/runtime/invocation-events.ts) and load no zod (docs/host.md, "What an idle host costs").

import type { EventData } from './events.ts';
import { assertSubjectToken } from './subjects.ts';

export const EVENT_TYPE_PREFIX = 'com.wasmcloud.lattice.';

export interface CloudEvent<Data = unknown> {
  specversion: '1.0';
  /** ISO-8601 time the event was made. */
  time: string;
  /** `com.wasmcloud.lattice.{name}` */
  type: string;
  /** The public key of the host that published it (`n/a` for OTP 0.60's re-published `linkdef_set`). */
  source: string;
  datacontenttype: string;
  /** A UUID (v4 from 2022 hosts; ULID-based in 1.x), so only checked to be non-empty. */
  id: string;
  data: Data;
  [extension: string]: unknown;
}

/** A new CloudEvent for `name`, stamped now with a random v4 UUID. */
export function cloudEvent<Name extends string>(
  name: Name,
  source: string,
  data: EventData<Name>,
): CloudEvent<EventData<Name>> {
  // The name also becomes a subject token (`wasmbus.evt.{lattice}.{name}`).
  assertSubjectToken('event name', name);
  return {
    specversion: '1.0',
    time: new Date().toISOString(),
    type: `${EVENT_TYPE_PREFIX}${name}`,
    source,
    datacontenttype: 'application/json',
    id: crypto.randomUUID(),
    data,
  };
}
