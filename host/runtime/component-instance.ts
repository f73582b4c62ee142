// Components through jco's instantiation glue. Each actor's glue module is imported once per
// worker; each instance gets the contract imports (which turn WIT calls into 2022 operations
// through `callOut`) and the WASI sandbox. Incoming operations are decoded from msgpack into
// the WIT function's arguments and its result encoded back, using the contracts table.

import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../lattice/errors.ts';
import { HostError } from '../errors.ts';
import { type ActorContext, callOut, missingCapability } from './actor-context.ts';
import { LOGGING_CONTRACT, logLevel, NUMBERGEN_CONTRACT, random32, randomInRange } from './builtins.ts';
import {
  ACTOR_CALL_INTERFACE,
  ACTOR_HANDLER_INTERFACE,
  argumentsToPayload,
  CONTRACT_VERSION,
  EXPORTS_BY_OPERATION,
  IMPORTED_OPERATIONS,
  payloadToArguments,
  payloadToResult,
  resultToPayload,
} from './contracts.ts';
import { wasiImports } from './wasi-sandbox.ts';
import { GuestError } from './wasmbus-instance.ts';
import type { ComponentDefinition } from './worker-protocol.ts';

type GlueModule = {
  instantiate: (
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, object>,
  ) => Promise<Record<string, Record<string, (...args: unknown[]) => unknown>>>;
};

/** jco passes an import's `err` as a thrown value; a thrown string becomes err(string). */
function asGuestError(error: unknown): string {
  return errorMessage(error);
}

/** The contract imports of one actor: each WIT function becomes a call out with its 2022 operation. */
function contractImports(context: ActorContext): Record<string, object> {
  const imports: Record<string, Record<string, (...args: unknown[]) => unknown>> = {};
  for (const spec of IMPORTED_OPERATIONS) {
    imports[spec.witInterface] ??= {};
    imports[spec.witInterface]![spec.functionName] = async (...args: unknown[]) => {
      let reply: Uint8Array;
      try {
        reply = await callOut(
          context,
          'default',
          spec.contract,
          spec.operation,
          argumentsToPayload(spec.input, args),
        );
      } catch (error) {
        throw asGuestError(error);
      }
      try {
        return payloadToResult(spec.output, reply, `${spec.operation} reply`);
      } catch (error) {
        throw asGuestError(error);
      }
    };
  }
  /** Runs a built-in if the claims list it; otherwise a trap, as these functions have no result to carry an error. */
  const guarded =
    <A extends unknown[], R>(contract: string, run: (...args: A) => R) =>
    (...args: A): R => {
      if (!context.caps.has(contract)) throw missingCapability(context.actorId, contract);
      return run(...args);
    };
  imports['wasmcloud:builtin/logging'] = {
    writeLog: guarded(LOGGING_CONTRACT, (level: unknown, text: unknown) =>
      context.log(logLevel(String(level)), String(text)),
    ),
  };
  imports['wasmcloud:builtin/numbergen'] = {
    generateGuid: guarded(NUMBERGEN_CONTRACT, () => randomUUID()),
    randomInRange: guarded(NUMBERGEN_CONTRACT, (min: unknown, max: unknown) =>
      randomInRange(Number(min), Number(max)),
    ),
    random32: guarded(NUMBERGEN_CONTRACT, random32),
  };
  imports[ACTOR_CALL_INTERFACE] = {
    call: async (target: unknown, operation: unknown, payload: unknown) => {
      try {
        return await callOut(context, 'default', String(target), String(operation), payload as Uint8Array);
      } catch (error) {
        throw asGuestError(error);
      }
    },
  };
  return imports;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The imports and exports jco must run asynchronously (JSPI) because they await the lattice. */
export function asyncFunctions(): { imports: string[]; exports: string[] } {
  return {
    imports: [
      ...IMPORTED_OPERATIONS.map((s) => `${s.witInterface}@${CONTRACT_VERSION}#${kebab(s.functionName)}`),
      `${ACTOR_CALL_INTERFACE}@${CONTRACT_VERSION}#call`,
    ],
    exports: [
      ...[...EXPORTS_BY_OPERATION.values()].map(
        (s) => `${s.witInterface}@${CONTRACT_VERSION}#${kebab(s.functionName)}`,
      ),
      `${ACTOR_HANDLER_INTERFACE}@${CONTRACT_VERSION}#handle`,
    ],
  };
}

/** A component actor in one worker: its glue, imported once, and a factory for instances. */
export class ComponentActor {
  readonly #definition: ComponentDefinition;
  readonly #imports: Record<string, object>;
  #glue: Promise<GlueModule> | undefined;

  constructor(definition: ComponentDefinition, context: ActorContext) {
    this.#definition = definition;
    this.#imports = { ...wasiImports(context.log), ...contractImports(context) };
  }

  async instantiate(): Promise<ComponentInstance> {
    this.#glue ??= import(
      `data:text/javascript;base64,${Buffer.from(this.#definition.glue).toString('base64')}`
    );
    const glue = await this.#glue;
    const exports = await glue.instantiate((name) => {
      const module = this.#definition.coreModules[name];
      if (!module) {
        throw new HostError(
          'ACTOR_INVALID_COMPONENT',
          `the component's glue asked for an unknown core module ${name}`,
        );
      }
      return module;
    }, this.#imports);
    return new ComponentInstance(exports);
  }
}

export class ComponentInstance {
  readonly #exports: Record<string, Record<string, (...args: unknown[]) => unknown>>;

  constructor(exports: Record<string, Record<string, (...args: unknown[]) => unknown>>) {
    this.#exports = exports;
  }

  #exported(witInterface: string): Record<string, (...args: unknown[]) => unknown> | undefined {
    return this.#exports[`${witInterface}@${CONTRACT_VERSION}`] ?? this.#exports[witInterface];
  }

  /** Runs one 2022 operation: a contract export if the component has it, else wasmcloud:actor/handler. */
  async invoke(operation: string, payload: Uint8Array): Promise<Uint8Array> {
    const spec = EXPORTS_BY_OPERATION.get(operation);
    const handler = spec && this.#exported(spec.witInterface)?.[spec.functionName];
    if (spec && handler) {
      const args = payloadToArguments(spec.input, payload, `${operation} input`);
      const result = await this.#call(() => handler(...args));
      return resultToPayload(spec.output, result);
    }
    const generic = this.#exported(ACTOR_HANDLER_INTERFACE)?.handle;
    if (generic) {
      const result = await this.#call(() => generic(operation, payload));
      return result instanceof Uint8Array ? result : new Uint8Array(0);
    }
    throw new UnknownOperationError('UNKNOWN_OPERATION', `the actor does not handle ${operation}`);
  }

  async #call(run: () => unknown): Promise<unknown> {
    try {
      return await run();
    } catch (error) {
      // jco throws an export's err as its payload (a string here); an Error is a trap.
      if (typeof error === 'string') throw new GuestError('ACTOR_ERROR', error);
      if (error && typeof error === 'object' && 'payload' in error)
        throw new GuestError('ACTOR_ERROR', String(error.payload));
      throw error;
    }
  }
}

export class UnknownOperationError extends HostError {}
