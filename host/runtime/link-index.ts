// Links by ID, found by what routes a call over them (actor, contract, link name) without a scan:
// the host's lattice data and every worker's route table answer "which link does this call go
// over" for each call and each link put, and a scan of 20,000 links took a millisecond each time.
// Links are grouped by actor (an actor has a link or two, one per contract it uses), keyed by the
// actor's key string itself, whose hash the engine keeps once computed. It answers what a scan in
// arrival order would: the first link held for that route (an ID put again for another actor, which
// a real link's ID, the hash of its route, never is, counts as arriving anew).

export interface LinkRoute {
  actorId: string;
  contractId: string;
  linkName: string;
}

export class LinkIndex<L> {
  readonly #routeOf: (link: L) => LinkRoute;
  readonly #byId = new Map<string, L>();
  /** Each actor's links with their IDs, in arrival order. */
  readonly #byActor = new Map<string, Array<{ id: string; link: L }>>();

  constructor(routeOf: (link: L) => LinkRoute) {
    this.#routeOf = routeOf;
  }

  get size(): number {
    return this.#byId.size;
  }

  values(): IterableIterator<L> {
    return this.#byId.values();
  }

  get(id: string): L | undefined {
    return this.#byId.get(id);
  }

  set(id: string, link: L): void {
    const previous = this.#byId.get(id);
    this.#byId.set(id, link);
    const actorId = this.#routeOf(link).actorId;
    if (previous !== undefined) {
      const previousActor = this.#routeOf(previous).actorId;
      // Same actor: its place among the actor's links (its arrival) is kept.
      if (previousActor === actorId) {
        const held = this.#byActor.get(actorId)?.find((entry) => entry.id === id);
        if (held !== undefined) {
          held.link = link;
          return;
        }
      } else this.#unroute(previousActor, id);
    }
    const links = this.#byActor.get(actorId);
    if (links === undefined) this.#byActor.set(actorId, [{ id, link }]);
    else links.push({ id, link });
  }

  /** Removes the link of that ID and returns it, if there was one. */
  delete(id: string): L | undefined {
    const link = this.#byId.get(id);
    if (link === undefined) return undefined;
    this.#byId.delete(id);
    this.#unroute(this.#routeOf(link).actorId, id);
    return link;
  }

  /** The link a call of `actorId` on `contractId` through `linkName` goes over, if one is held. */
  find(actorId: string, contractId: string, linkName: string): L | undefined {
    const links = this.#byActor.get(actorId);
    if (links === undefined) return undefined;
    for (const { link } of links) {
      const route = this.#routeOf(link);
      if (route.contractId === contractId && route.linkName === linkName) return link;
    }
    return undefined;
  }

  #unroute(actorId: string, id: string): void {
    const links = this.#byActor.get(actorId);
    if (links === undefined) return;
    const rest = links.filter((entry) => entry.id !== id);
    if (rest.length === 0) this.#byActor.delete(actorId);
    else this.#byActor.set(actorId, rest);
  }
}
