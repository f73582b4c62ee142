// The index of links by route (host/runtime/link-index.ts) that the lattice data and the workers'
// route tables find a call's link with: it must answer what the scan it replaced answered — the
// first link held for (actor, contract, link name), in arrival order — through puts, re-puts that
// change a link, and deletes.

import { describe, expect, test } from 'vitest';
import { LinkIndex, type LinkRoute } from '../../host/runtime/link-index.ts';

interface Link extends LinkRoute {
  id: string;
  providerId: string;
}

function link(id: string, actorId: string, contractId: string, linkName: string, providerId = 'P'): Link {
  return { id, actorId, contractId, linkName, providerId };
}

/** What the scan over the links in arrival order answered. */
function scan(links: Map<string, Link>, actorId: string, contractId: string, linkName: string) {
  for (const held of links.values())
    if (held.actorId === actorId && held.contractId === contractId && held.linkName === linkName) return held;
  return undefined;
}

describe('LinkIndex', () => {
  test('finds each link by its route, not another route of the same actor', () => {
    const index = new LinkIndex<Link>((held) => held);
    index.set('1', link('1', 'A', 'wasmcloud:keyvalue', 'default'));
    index.set('2', link('2', 'A', 'wasmcloud:httpserver', 'default'));
    index.set('3', link('3', 'A', 'wasmcloud:keyvalue', 'other'));
    expect(index.find('A', 'wasmcloud:keyvalue', 'default')?.id).toBe('1');
    expect(index.find('A', 'wasmcloud:httpserver', 'default')?.id).toBe('2');
    expect(index.find('A', 'wasmcloud:keyvalue', 'other')?.id).toBe('3');
    expect(index.find('A', 'wasmcloud:messaging', 'default')).toBeUndefined();
    expect(index.find('B', 'wasmcloud:keyvalue', 'default')).toBeUndefined();
    expect(index.size).toBe(3);
  });

  test('a re-put replaces the link in place; a delete returns it and it is gone', () => {
    const index = new LinkIndex<Link>((held) => held);
    index.set('1', link('1', 'A', 'c', 'default', 'P1'));
    index.set('1', link('1', 'A', 'c', 'default', 'P2'));
    expect(index.find('A', 'c', 'default')?.providerId).toBe('P2');
    expect(index.size).toBe(1);
    expect(index.delete('1')?.providerId).toBe('P2');
    expect(index.delete('1')).toBeUndefined();
    expect(index.find('A', 'c', 'default')).toBeUndefined();
    expect([...index.values()]).toEqual([]);
  });

  test('answers as the scan in arrival order did, over random puts and deletes', () => {
    // Few actors, contracts and IDs so that routes collide, IDs move between routes and actors.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const index = new LinkIndex<Link>((held) => held);
    const links = new Map<string, Link>();
    for (let step = 0; step < 5000; step++) {
      const id = String(random(30));
      if (random(4) === 0) {
        expect(index.delete(id)).toEqual(links.get(id));
        links.delete(id);
      } else {
        const next = link(id, `A${random(4)}`, `c${random(3)}`, `l${random(2)}`, `P${step}`);
        index.set(id, next);
        // Map.set keeps a held ID's place, as the index keeps its place among its actor's links; an
        // ID put again for another actor (never for a real link: its ID hashes its route) arrives anew.
        if (links.get(id)?.actorId !== next.actorId) links.delete(id);
        links.set(id, next);
      }
      const [actorId, contractId, linkName] = [`A${random(4)}`, `c${random(3)}`, `l${random(2)}`];
      expect(index.find(actorId, contractId, linkName)).toBe(scan(links, actorId, contractId, linkName));
      expect(index.size).toBe(links.size);
    }
  });
});
