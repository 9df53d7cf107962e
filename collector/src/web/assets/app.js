// The page's shell: hash routing, live updates (Server-Sent Events, falling back to 1 s polling),
// keyboard shortcuts. Views are in list.js and issue.js.
import { clear, el } from './dom.js';
import { filtersFromHash, renderList } from './list.js';
import { renderIssue } from './issue.js';

const main = document.getElementById('main');
const liveBadge = document.getElementById('live');
const search = document.getElementById('search');
let generation = 0;
const shared = { chartMode: 'hours', current: undefined };

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const issue = /^\/issues\/(\d+)(?:\/events\/([0-9a-f-]{32,36}))?$/.exec(path);
  if (issue) return { view: 'issue', issueId: issue[1], eventId: issue[2] };
  return { view: 'list', params: new URLSearchParams(query) };
}

/** The list item (`data-id`) that holds the keyboard focus, if any. */
const focusedItemId = () => document.activeElement?.closest?.('[data-id]')?.getAttribute('data-id') ?? undefined;

/** Renders the current route. `quiet` re-renders keep focus and scroll (live refresh). */
async function render(quiet = false) {
  const mine = ++generation;
  const state = {
    ...shared,
    isStale: () => mine !== generation,
    // Views fetch, then swap the page in one step through this. A quiet render reads the focus at
    // the swap, not before the fetch: the user may have moved on (j/k) while it was loading.
    replace: (...nodes) => {
      const focused = quiet ? focusedItemId() : undefined;
      clear(main).append(...nodes);
      if (focused) main.querySelector(`[data-id="${CSS.escape(focused)}"] a`)?.focus();
    },
  };
  const route = parseRoute();
  const scroll = window.scrollY;
  try {
    if (route.view === 'issue') await renderIssue(route.issueId, route.eventId, state);
    else {
      const filters = filtersFromHash(route.params);
      if (document.activeElement !== search) search.value = filters.q;
      await renderList(filters, state);
    }
    shared.chartMode = state.chartMode;
    shared.current = state.current;
    if (quiet) window.scrollTo(0, scroll);
    else if (document.activeElement === document.body) main.focus({ preventScroll: true });
  } catch (error) {
    if (mine === generation) state.replace(el('p', { class: 'error' }, `Could not load: ${error.message}`));
  }
}

// Live updates: re-render at most every 300 ms while events stream in.
let refreshTimer;
function scheduleRefresh(notice) {
  const route = parseRoute();
  if (route.view === 'issue' && route.eventId && notice && !notice.issueIds.includes(Number(route.issueId))) return;
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    render(true);
  }, 150);
}

function connectLive() {
  if (!('EventSource' in window)) return startPolling();
  const source = new EventSource('/api/live');
  source.addEventListener('open', () => { liveBadge.classList.add('on'); liveBadge.title = 'Live: connected'; });
  source.addEventListener('change', (message) => {
    let notice;
    try { notice = JSON.parse(message.data); } catch { notice = undefined; }
    scheduleRefresh(notice);
  });
  source.addEventListener('error', () => { liveBadge.classList.remove('on'); liveBadge.title = 'Live: reconnecting'; });
}

function startPolling() {
  let last = '';
  setInterval(async () => {
    try {
      const stats = await (await fetch('/api/stats')).json();
      const key = `${stats.events}/${stats.issues}`;
      if (key !== last) { if (last) scheduleRefresh(); last = key; }
    } catch { /* the collector may be restarting */ }
  }, 1000);
}

// Keyboard: '/' search, j/k move through issues, u back to the list, [ ] older/newer event.
document.addEventListener('keydown', (e) => {
  if (e.metaKey || e.ctrlKey || e.altKey) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? '');
  if (typing) {
    if (e.key === 'Escape') document.activeElement.blur();
    return;
  }
  const route = parseRoute();
  if (e.key === '/') { e.preventDefault(); search.focus(); search.select(); }
  else if (e.key === 'u' && route.view === 'issue') location.hash = '#/';
  else if ((e.key === 'j' || e.key === 'k') && route.view === 'list') {
    const links = [...main.querySelectorAll('.issue-link')];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    const next = links[Math.min(links.length - 1, Math.max(0, at + (e.key === 'j' ? 1 : -1)))] ?? links[0];
    links.forEach((link) => link.setAttribute('tabindex', '-1'));
    next.setAttribute('tabindex', '0');
    next.focus();
  } else if (route.view === 'issue' && (e.key === '[' || e.key === ']')) {
    const target = e.key === '[' ? shared.current?.older : shared.current?.newer;
    if (target) location.hash = `#/issues/${route.issueId}/events/${target}`;
  }
});

document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const params = new URLSearchParams();
  if (search.value.trim()) params.set('q', search.value.trim());
  location.hash = params.toString() ? `#/?${params}` : '#/';
});

window.addEventListener('hashchange', () => { render(false); window.scrollTo(0, 0); });
render(false);
connectLive();
