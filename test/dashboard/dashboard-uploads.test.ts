// Where uploaded files go: a private directory (0700, made at the first upload) of files only this
// user can read (0600), checked before they are kept, stored once per content, and removed when the
// dashboard closes.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { DashboardApiError } from '../../dashboard/api-errors.ts';
import { UploadStore } from '../../dashboard/uploads.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { builtActor } from '../helpers/actors.ts';

const ECHO = builtActor('wasmbus-echo');
let store: UploadStore | undefined;

afterEach(() => {
  store?.close();
  store = undefined;
});

test('a checked upload is kept privately under a name of its own, once per content', async () => {
  store = new UploadStore();
  expect(store.directory).toBeUndefined();
  const info = await store.add('actor', 'echo.wasm', ECHO);
  const directory = store.directory ?? '';
  expect(statSync(directory).mode & 0o777).toBe(0o700);
  expect(info).toMatchObject({
    kind: 'actor',
    file_name: 'echo.wasm',
    public_key: verifySignedWasm(ECHO).claims.sub,
  });
  const stored = store.get(info.upload_id, 'actor');
  expect(stored.path.startsWith(`${directory}/`)).toBe(true);
  expect(stored.path).not.toContain('echo.wasm');
  expect(statSync(stored.path).mode & 0o777).toBe(0o600);
  expect(Buffer.compare(readFileSync(stored.path), ECHO)).toBe(0);
  expect(store.fileNameAt(stored.path)).toBe('echo.wasm');
  expect((await store.add('actor', 'copy.wasm', ECHO)).upload_id).toBe(info.upload_id);
});

test('an upload asked for as the other kind, or unknown, is a 404 that says so', async () => {
  store = new UploadStore();
  const info = await store.add('actor', 'echo.wasm', ECHO);
  const wrongKind = (() => {
    try {
      store.get(info.upload_id, 'provider');
    } catch (error) {
      return error;
    }
  })();
  expect(wrongKind).toBeInstanceOf(DashboardApiError);
  expect(wrongKind).toMatchObject({
    status: 404,
    message: `no provider upload ${info.upload_id} (upload the file again)`,
  });
});

test('a store that never took an upload leaves nothing to remove', () => {
  store = new UploadStore();
  store.close();
  expect(store.directory).toBeUndefined();
});

test('close removes the directory and every file; later uploads are refused', async () => {
  store = new UploadStore();
  const path = store.get((await store.add('actor', 'echo.wasm', ECHO)).upload_id, 'actor').path;
  store.close();
  expect(existsSync(path)).toBe(false);
  expect(existsSync(store.directory ?? '')).toBe(false);
  await expect(store.add('actor', 'echo.wasm', ECHO)).rejects.toMatchObject({ status: 503 });
});
