// The issue list: filters (sort, level, environment, release, text) kept in the URL hash, so a view can be
// bookmarked and the back button works.
import { el, getJson, relativeTime } from './dom.js';

const SORTS = [['last_seen', 'Last seen'], ['new', 'Newest'], ['first_seen', 'Oldest'], ['count', 'Events'], ['users', 'Users']];
const LEVELS = ['', 'fatal', 'error', 'warning', 'info', 'debug'];

export function filtersFromHash(params) {
  return {
    sort: params.get('sort') || 'last_seen',
    level: params.get('level') || '',
    environment: params.get('environment') || '',
    release: params.get('release') || '',
    q: params.get('q') || '',
  };
}

function hashFor(filters) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value && !(key === 'sort' && value === 'last_seen')) params.set(key, value);
  const text = params.toString();
  return text ? `#/?${text}` : '#/';
}

export async function renderList(filters, state) {
  const query = new URLSearchParams({ limit: '100' });
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  const [data, facets] = await Promise.all([getJson(`/api/issues?${query}`), getJson('/api/facets')]);
  if (state.isStale()) return;

  const select = (name, label, options, current) =>
    el('label', { class: 'filter' }, el('span', null, label),
      el('select', { name, onchange: (e) => { location.hash = hashFor({ ...filters, [name]: e.target.value }); } },
        options.map(([value, text]) => {
          const option = el('option', { value }, text);
          if (value === current) option.selected = true;
          return option;
        })));

  const textFilter = el('input', { type: 'search', name: 'q', value: filters.q, placeholder: 'Filter text', 'aria-label': 'Filter issues by text' });
  const form = el('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); location.hash = hashFor({ ...filters, q: textFilter.value.trim() }); } },
    select('sort', 'Sort', SORTS, filters.sort),
    select('level', 'Level', LEVELS.map((l) => [l, l || 'any']), filters.level),
    select('environment', 'Environment', [['', 'any'], ...facets.environments.map((e) => [e, e])], filters.environment),
    select('release', 'Release', [['', 'any'], ...facets.releases.map((r) => [r, r])], filters.release),
    el('label', { class: 'filter grow' }, el('span', null, 'Text'), textFilter),
    el('button', { type: 'submit' }, 'Apply'));

  const rows = data.issues.map((issue, index) =>
    el('li', { class: `issue level-${issue.level}`, 'data-id': issue.id },
      el('a', { class: 'issue-link', href: `#/issues/${issue.id}`, tabindex: index === 0 ? '0' : '-1' },
        el('span', { class: `badge level-${issue.level}` }, issue.level),
        el('span', { class: 'issue-title' }, issue.title),
        el('span', { class: 'issue-culprit muted' }, issue.culprit)),
      el('span', { class: 'issue-stats' },
        el('span', { class: 'stat', title: 'events' }, `${issue.count} ev`),
        el('span', { class: 'stat', title: 'affected users' }, `${issue.userCount} users`),
        el('span', { class: 'stat muted', title: `last seen ${issue.lastSeen}` }, relativeTime(issue.lastSeen)),
        el('span', { class: 'stat muted', title: `first seen ${issue.firstSeen}` }, `first ${relativeTime(issue.firstSeen)}`))));

  state.replace(
    form,
    el('p', { class: 'muted count', 'aria-live': 'polite' }, `${data.total} issue${data.total === 1 ? '' : 's'}`),
    rows.length ? el('ol', { class: 'issues', id: 'issue-list' }, rows) : el('p', { class: 'empty' }, 'No issues yet. Send an event to the DSN printed by the collector.'),
  );
}
