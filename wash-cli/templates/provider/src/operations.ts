// The operations of the {{name}} provider, by `Service.Operation` name: each takes the request
// payload (msgpack, as the contract says) and returns the reply payload. A thrown error becomes
// the invocation's error. Add yours here and list them in your contract.

import { decodePayload, encodePayload, type OperationHandler } from 'wash/provider-sdk';

/** {{capability}}: Greeter.Greet takes a name (a msgpack string) and answers a greeting. */
export const operations: Record<string, OperationHandler> = {
  'Greeter.Greet': (payload, context) => {
    const name = decodePayload(payload, 'Greeter.Greet request');
    if (typeof name !== 'string') throw new TypeError('Greeter.Greet takes a string');
    context.provider.log.debug(`greeting ${name} for ${context.actorId}`);
    return encodePayload(`Hello, ${name}!`);
  },
};
