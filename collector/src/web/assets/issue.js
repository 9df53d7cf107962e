// An issue's page: headline, counts, the events-over-time chart, the list of its events, and one event
// (the latest unless another is chosen) rendered in full.
import { barChart } from './chart.js';
import { clear, el, getJson, relativeTime } from './dom.js';
import { renderEvent } from './event.js';

export async function renderIssue(issueId, eventId, state) {
  const [issue, eventList, event] = await Promise.all([
    getJson(`/api/issues/${issueId}`),
    getJson(`/api/issues/${issueId}/events?limit=50`),
    getJson(eventId ? `/api/events/${eventId}` : `/api/issues/${issueId}/events/latest`).catch(() => null),
  ]);
  if (state.isStale()) return;
  state.current = { older: event?.previousEventId, newer: event?.nextEventId, issueId };

  const chartMode = state.chartMode ?? 'hours';
  const chartBox = el('div', { class: 'chart-box' });
  const drawChart = (mode) => {
    state.chartMode = mode;
    const counts = mode === 'hours' ? issue.series.hours : issue.series.minutes;
    clear(chartBox).append(
      barChart(counts, mode === 'hours' ? 'hour' : 'minute', mode === 'hours' ? 'Events per hour, last 24 hours' : 'Events per minute, last hour'),
      el('div', { class: 'chart-modes' },
        el('button', { type: 'button', 'aria-pressed': String(mode === 'hours'), class: mode === 'hours' ? 'on' : '', onclick: () => drawChart('hours') }, '24 h'),
        el('button', { type: 'button', class: mode === 'minutes' ? 'on' : '', onclick: () => drawChart('minutes') }, '60 min')));
  };
  drawChart(chartMode);

  const values = (list) => (list.length ? list.map((v) => `${v.value} (${v.count})`).join(', ') : '—');
  const header = el('section', { class: 'issue-head' },
    el('p', null, el('a', { href: '#/' }, '← All issues')),
    el('h2', { class: 'issue-heading' }, el('span', { class: `badge level-${issue.level}` }, issue.level), ' ', el('span', { class: 'issue-title' }, issue.title)),
    el('p', { class: 'issue-culprit muted' }, issue.culprit),
    el('dl', { class: 'facts' },
      el('div', null, el('dt', null, 'Events'), el('dd', null, String(issue.count))),
      el('div', null, el('dt', null, 'Users'), el('dd', null, String(issue.userCount))),
      el('div', null, el('dt', null, 'First seen'), el('dd', { title: issue.firstSeen }, relativeTime(issue.firstSeen))),
      el('div', null, el('dt', null, 'Last seen'), el('dd', { title: issue.lastSeen }, relativeTime(issue.lastSeen))),
      el('div', null, el('dt', null, 'Releases'), el('dd', null, values(issue.releases))),
      el('div', null, el('dt', null, 'Environments'), el('dd', null, values(issue.environments)))),
    chartBox);

  const nav = el('nav', { class: 'event-nav', 'aria-label': 'Events of this issue' },
    el('a', { href: `#/issues/${issueId}`, class: 'button' }, 'Latest'),
    event?.previousEventId ? el('a', { href: `#/issues/${issueId}/events/${event.previousEventId}`, class: 'button' }, '← Older') : el('span', { class: 'button disabled' }, '← Older'),
    event?.nextEventId ? el('a', { href: `#/issues/${issueId}/events/${event.nextEventId}`, class: 'button' }, 'Newer →') : el('span', { class: 'button disabled' }, 'Newer →'),
    event ? el('span', { class: 'muted' }, `event ${event.eventId} · ${relativeTime(event.receivedAt)}`) : null);

  const others = el('details', { class: 'event-list' }, el('summary', null, `Stored events (${eventList.events.length} of ${issue.count})`),
    el('ol', null, eventList.events.map((e) => el('li', { class: e.eventId === event?.eventId ? 'current' : '' },
      el('a', { href: `#/issues/${issueId}/events/${e.eventId}` }, relativeTime(e.receivedAt)), ' ',
      el('span', { class: 'muted' }, [e.environment, e.release, e.user].filter(Boolean).join(' · '))))));

  state.replace(header, nav, others,
    event ? el('article', { class: 'event' }, renderEvent(event.event, event)) : el('p', { class: 'empty' }, 'This issue has no stored events (retention removed them).'));
}
