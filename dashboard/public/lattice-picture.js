// The picture of the lattice: actors in a column on the left, providers on the right, each link
// definition a curve from its actor to its provider, labelled with its contract and link name.
// A link whose actor or provider runs nowhere still shows, to a dashed "not running" box, since
// that is usually the thing someone needs to notice. A box that an application controller
// started names the application in a tag on its bottom edge. Past a few dozen boxes or a few hundred
// links one box per actor is no picture at all (and thousands of SVG nodes stall the page): it
// then shows all actors as one box and the providers each with how many links reach them.

import { replaceChildren, shortKey, svg } from './dom.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').LinkSummary} LinkSummary */
/** @typedef {import('../page-data.ts').ProviderHealth} ProviderHealth */

/**
 * A box in the picture: an actor, or a provider under one link name.
 * @typedef {object} PictureNode
 * @property {string} key
 * @property {'actor' | 'provider'} kind
 * @property {string} id
 * @property {string} title
 * @property {string} detail
 * @property {ProviderHealth} [health]
 * @property {boolean} running
 * @property {string[]} applications the applications that started it
 */

const NODE_WIDTH = 250;
const NODE_HEIGHT = 58;
const ROW_GAP = 18;
const MARGIN = 16;
/** Room above the boxes for the column titles. */
const TOP = 30;
const WIDTH = 820;
const LEFT_X = MARGIN;
const RIGHT_X = WIDTH - MARGIN - NODE_WIDTH;

/**
 * @param {string} text
 * @param {number} length
 */
function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/**
 * @param {number} count
 * @param {string} word
 */
function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The box of a link's provider that runs nowhere.
 * @param {LinkSummary} link
 * @returns {PictureNode}
 */
function ghostProvider(link) {
  return {
    key: `${link.provider_id}|${link.link_name}`,
    kind: 'provider',
    id: link.provider_id,
    title: link.provider_name,
    detail: `not running · ${link.link_name}`,
    running: false,
    applications: [],
  };
}

/**
 * The boxes of each column, running ones first, then the ends of links that run nowhere.
 * @param {LatticeSnapshot} state
 * @returns {{ actors: PictureNode[]; providers: PictureNode[] }}
 */
function columns(state) {
  /** @type {PictureNode[]} */
  const actors = state.actors.map((actor) => ({
    key: actor.id,
    kind: 'actor',
    id: actor.id,
    title: actor.name,
    detail: `${plural(actor.total_instances, 'instance')} on ${plural(actor.instances.length, 'host')}`,
    health: undefined,
    running: true,
    applications: actor.applications,
  }));
  /** @type {PictureNode[]} */
  const providers = state.providers.map((provider) => {
    const healths = provider.hosts.map((host) => host.health);
    const health = healths.includes('unhealthy')
      ? 'unhealthy'
      : healths.every((value) => value === 'healthy')
        ? 'healthy'
        : 'unknown';
    return {
      key: `${provider.id}|${provider.link_name}`,
      kind: 'provider',
      id: provider.id,
      title: provider.name,
      detail: `${provider.contract_id || 'unknown contract'} · ${provider.link_name}`,
      health,
      running: true,
      applications: provider.applications,
    };
  });
  const actorKeys = new Set(actors.map((node) => node.key));
  const providerKeys = new Set(providers.map((node) => node.key));
  for (const link of state.links) {
    if (!actorKeys.has(link.actor_id)) {
      actorKeys.add(link.actor_id);
      actors.push({
        key: link.actor_id,
        kind: 'actor',
        id: link.actor_id,
        title: link.actor_name,
        detail: 'not running',
        running: false,
        applications: [],
      });
    }
    const providerKey = `${link.provider_id}|${link.link_name}`;
    if (!providerKeys.has(providerKey)) {
      providerKeys.add(providerKey);
      providers.push(ghostProvider(link));
    }
  }
  return { actors, providers };
}

/** @param {number} index */
function nodeY(index) {
  return TOP + index * (NODE_HEIGHT + ROW_GAP);
}

/** @type {Record<ProviderHealth, string>} */
const HEALTH_TEXT = {
  healthy: 'healthy',
  unhealthy: 'failing health checks',
  unknown: 'health not yet known',
};

/** Roughly how wide a character of the tag's text is, to size its box. */
const TAG_CHAR_WIDTH = 6.6;

/**
 * A tag naming the application(s), its right edge at `right`.
 * @param {string} apps
 * @param {number} right
 * @param {number} y
 */
function applicationTag(apps, right, y) {
  const text = truncate(apps, 14);
  const width = Math.ceil(text.length * TAG_CHAR_WIDTH) + 14;
  return svg(
    'g',
    { class: 'app-tag', 'data-app': apps },
    svg('rect', { x: right - width, y, width, height: 16, rx: 8 }),
    svg('text', { x: right - width / 2, y: y + 12, 'text-anchor': 'middle' }, text),
  );
}

/**
 * @param {PictureNode} node
 * @param {number} x
 * @param {number} y
 */
function drawNode(node, x, y) {
  const dataKey = node.kind === 'actor' ? 'data-actor-id' : 'data-provider-id';
  const title = node.title === node.id ? shortKey(node.id) : node.title;
  const apps = node.applications.join(', ');
  const parts = [
    svg(
      'title',
      {},
      `${node.kind} ${node.title}\n${node.id}\n${node.detail}${apps ? `\napplication ${apps}` : ''}`,
    ),
    svg('rect', { x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 10, class: 'node-box' }),
    svg('text', { x: x + 14, y: y + 24, class: 'node-title' }, truncate(title, 26)),
    svg('text', { x: x + 14, y: y + 44, class: 'node-detail' }, truncate(node.detail, 36)),
  ];
  // On the bottom edge, half in the gap between rows, so it covers neither line of text.
  if (apps) parts.push(applicationTag(apps, x + NODE_WIDTH - 12, y + NODE_HEIGHT - 8));
  if (node.health) {
    parts.push(
      svg(
        'circle',
        { cx: x + NODE_WIDTH - 16, cy: y + 16, r: 6, class: `health health-${node.health}` },
        svg('title', {}, HEALTH_TEXT[node.health]),
      ),
    );
  }
  return svg('g', { class: `node ${node.kind}${node.running ? '' : ' ghost'}`, [dataKey]: node.id }, parts);
}

/**
 * @param {LinkSummary} link
 * @param {number} from the actor's row
 * @param {number} to the provider's row
 */
function drawLink(link, from, to) {
  const x1 = LEFT_X + NODE_WIDTH;
  const y1 = nodeY(from) + NODE_HEIGHT / 2;
  const x2 = RIGHT_X;
  const y2 = nodeY(to) + NODE_HEIGHT / 2;
  const bend = (x2 - x1) / 2;
  const label = `${link.contract_id} · ${link.link_name}`;
  return svg(
    'g',
    { class: 'link', 'data-link-id': link.id },
    svg('title', {}, `${link.actor_name} → ${link.provider_name}\n${label}`),
    svg('path', {
      d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
      class: 'link-line',
    }),
    svg('circle', { cx: x2, cy: y2, r: 4, class: 'link-end' }),
    svg(
      'text',
      { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, class: 'link-label', 'text-anchor': 'middle' },
      truncate(label, 40),
    ),
  );
}

/**
 * The picture's frame: its size, what it shows in words, the columns' titles, then `children`.
 * @param {string} className
 * @param {number} height
 * @param {string} description
 * @param {[string, string]} titles
 * @param {import('./dom.js').Child[]} children
 */
function pictureSvg(className, height, description, titles, ...children) {
  return svg(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${height}`,
      class: className,
      role: 'img',
      'aria-label': `The lattice: ${description}`,
    },
    svg('text', { x: LEFT_X, y: TOP - 10, class: 'column-title' }, titles[0]),
    svg('text', { x: RIGHT_X, y: TOP - 10, class: 'column-title' }, titles[1]),
    ...children,
  );
}

/** More boxes in a column, or more links, than this and the picture is summarized. */
const MAX_BOXES = 40;
const MAX_LINKS = 200;
/** Providers drawn one by one in the summary; the rest share one box. */
const SUMMARY_PROVIDERS = 12;

/**
 * The summary: every actor in one box, the providers (most linked first) with their link counts.
 * @param {LatticeSnapshot} state
 */
function summaryPicture(state) {
  /** @type {Map<string, { provider: PictureNode; links: number }>} */
  const byProvider = new Map();
  for (const provider of columns({ ...state, actors: [], links: [] }).providers)
    byProvider.set(provider.key, { provider, links: 0 });
  const linkedActors = new Set();
  for (const link of state.links) {
    linkedActors.add(link.actor_id);
    const key = `${link.provider_id}|${link.link_name}`;
    const entry = byProvider.get(key);
    if (entry) entry.links += 1;
    else byProvider.set(key, { provider: ghostProvider(link), links: 1 });
  }
  const ranked = [...byProvider.values()].sort((a, b) => b.links - a.links);
  const shown = ranked.slice(0, SUMMARY_PROVIDERS);
  const rest = ranked.slice(SUMMARY_PROVIDERS);
  const instances = state.actors.reduce((sum, actor) => sum + actor.total_instances, 0);
  /** @type {PictureNode} */
  const actorBox = {
    key: '*',
    kind: 'actor',
    id: '*',
    title: plural(state.actors.length, 'actor'),
    detail: `${plural(instances, 'instance')} · ${linkedActors.size} linked`,
    running: true,
    applications: [],
  };
  const rows = Math.max(1, shown.length + (rest.length > 0 ? 1 : 0));
  const height = TOP + MARGIN + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const curve = (/** @type {number} */ row, /** @type {number} */ count) => {
    const x1 = LEFT_X + NODE_WIDTH;
    const y1 = TOP + NODE_HEIGHT / 2;
    const x2 = RIGHT_X;
    const y2 = nodeY(row) + NODE_HEIGHT / 2;
    const bend = (x2 - x1) / 2;
    return svg(
      'g',
      { class: 'link summary' },
      svg('path', {
        d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
        class: 'link-line',
      }),
      svg(
        'text',
        { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, class: 'link-label', 'text-anchor': 'middle' },
        plural(count, 'link'),
      ),
    );
  };
  const restLinks = rest.reduce((sum, entry) => sum + entry.links, 0);
  const description = `${plural(state.actors.length, 'actor')}, ${plural(state.providers.length, 'provider')} and ${plural(state.links.length, 'link')}, summarized (the tables list each)`;
  return pictureSvg(
    'picture summary',
    height,
    description,
    ['actors (all)', 'providers by links'],
    shown.map((entry, index) => (entry.links > 0 ? curve(index, entry.links) : null)),
    rest.length > 0 && restLinks > 0 ? curve(shown.length, restLinks) : null,
    drawNode(actorBox, LEFT_X, nodeY(0)),
    shown.map((entry, index) => drawNode(entry.provider, RIGHT_X, nodeY(index))),
    rest.length > 0
      ? drawNode(
          {
            key: '*',
            kind: 'provider',
            id: '*',
            title: `${rest.length} more providers`,
            detail: plural(restLinks, 'link'),
            running: true,
            applications: [],
          },
          RIGHT_X,
          nodeY(shown.length),
        )
      : null,
  );
}

/**
 * @param {HTMLElement} container
 * @param {LatticeSnapshot} state
 */
export function renderPicture(container, state) {
  if (
    state.links.length > MAX_LINKS ||
    state.actors.length > MAX_BOXES ||
    state.providers.length > MAX_BOXES
  ) {
    replaceChildren(container, summaryPicture(state));
    return;
  }
  const { actors, providers } = columns(state);
  if (actors.length > MAX_BOXES || providers.length > MAX_BOXES) {
    replaceChildren(container, summaryPicture(state));
    return;
  }
  if (actors.length === 0 && providers.length === 0) {
    replaceChildren(
      container,
      svg(
        'svg',
        {
          viewBox: `0 0 ${WIDTH} 80`,
          class: 'picture',
          role: 'img',
          'aria-label': 'The lattice runs nothing yet',
        },
        svg(
          'text',
          { x: WIDTH / 2, y: 45, 'text-anchor': 'middle', class: 'empty' },
          'Nothing runs yet: start an actor or a provider with the buttons above.',
        ),
      ),
    );
    return;
  }
  const rows = Math.max(actors.length, providers.length, 1);
  const height = TOP + MARGIN + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const actorRow = new Map(actors.map((node, index) => [node.key, index]));
  const providerRow = new Map(providers.map((node, index) => [node.key, index]));
  // Both ends of every link have a row: columns() adds a box for an end that runs nowhere.
  const rowOf = (/** @type {Map<string, number>} */ rows, /** @type {string} */ key) =>
    /** @type {number} */ (rows.get(key));
  const links = state.links.map((link) =>
    drawLink(
      link,
      rowOf(actorRow, link.actor_id),
      rowOf(providerRow, `${link.provider_id}|${link.link_name}`),
    ),
  );
  const description = `${plural(actors.length, 'actor')}, ${plural(providers.length, 'provider')} and ${plural(state.links.length, 'link')}`;
  replaceChildren(
    container,
    pictureSvg(
      'picture',
      height,
      description,
      ['actors', 'providers'],
      links,
      actors.map((node, index) => drawNode(node, LEFT_X, nodeY(index))),
      providers.map((node, index) => drawNode(node, RIGHT_X, nodeY(index))),
    ),
  );
}
