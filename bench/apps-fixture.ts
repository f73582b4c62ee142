// The application `npm run bench -- apps` deploys: `actorCount` distinct actors (the wasmbus echo
// actor re-signed with a fresh module key each, so the hosts see that many different actors),
// written as files to a directory, and a 2022-form wadm manifest giving each one a spreadscaler
// of `instancesPerActor` instances spread evenly (weight 1 each) over one spread per zone label.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signForTest, unsignedActor } from '../test/helpers/actors.ts';

export const ZONE_LABEL = 'zone';

export interface BenchActor {
  name: string;
  /** Absolute path of the signed module: the image, loaded by hosts run with --allow-file-load. */
  path: string;
  /** Its module key (M…). */
  key: string;
}

export interface BenchApp {
  name: string;
  version: string;
  actors: BenchActor[];
  /** The manifest as JSON bytes, for `model.put`. */
  manifest: Uint8Array;
}

export function writeBenchApp(
  dir: string,
  options: { name: string; actorCount: number; instancesPerActor: number; zones: readonly string[] },
): BenchApp {
  const unsigned = unsignedActor('wasmbus-echo');
  const actors: BenchActor[] = [];
  for (let index = 1; index <= options.actorCount; index++) {
    const name = `echo-${String(index).padStart(2, '0')}`;
    const signed = signForTest(unsigned, { name });
    const path = join(dir, `${name}_s.wasm`);
    writeFileSync(path, signed.bytes);
    actors.push({ name, path, key: signed.id });
  }
  const spread = options.zones.map((zone) => ({
    name: zone,
    requirements: { [ZONE_LABEL]: zone },
    weight: 1,
  }));
  const version = 'v1';
  const manifest = {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: options.name, annotations: { version, description: 'npm run bench -- apps' } },
    spec: {
      components: actors.map((actor) => ({
        name: actor.name,
        type: 'actor',
        properties: { image: actor.path },
        traits: [{ type: 'spreadscaler', properties: { replicas: options.instancesPerActor, spread } }],
      })),
    },
  };
  return {
    name: options.name,
    version,
    actors,
    manifest: new TextEncoder().encode(JSON.stringify(manifest)),
  };
}
