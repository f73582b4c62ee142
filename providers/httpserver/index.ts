// The httpserver capability provider (`wasmcloud:httpserver`, protocol.md §7.1): each linked actor
// gets its own HTTP listener, configured by its link's values, and every request arriving there
// becomes an `HttpServer.HandleRequest` invocation of that actor. Actors call nothing on this
// provider, so it serves no operations. See docs/providers.md, "httpserver".

import { startProvider } from '../sdk/mod.ts';
import { ActorListeners } from './listeners.ts';

const listeners = new ActorListeners();

await startProvider({
  operations: {},
  linkPut: (link, provider) => listeners.open(link, provider),
  linkDel: (link, provider) => listeners.close(link.actor_id, provider),
  shutdown: () => listeners.closeAll(),
});
