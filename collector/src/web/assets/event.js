// One event, section by section: exception chain with stack traces, breadcrumbs, tags, contexts,
// request, user, SDK, extra. Everything from the event is text.
import { el, kvTable, show } from './dom.js';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const listOf = (v) => (Array.isArray(v) ? v : isObject(v) && Array.isArray(v.values) ? v.values : []);

function section(title, ...content) {
  return el('section', { class: 'panel' }, el('h3', null, title), ...content);
}

function timeOf(value) {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  return typeof value === 'string' ? value : '';
}

/** meta: the collector's own record of the event (normalized timestamp, receive time). */
export function renderEvent(event, meta = {}) {
  const parts = [];
  const exceptions = listOf(event.exception);
  if (exceptions.length) parts.push(renderExceptions(exceptions));
  const message = isObject(event.logentry) ? event.logentry.formatted ?? event.logentry.message : event.message;
  if (message !== undefined) parts.push(section('Message', el('pre', { class: 'message' }, show(message))));
  if (!exceptions.length) {
    const thread = listOf(event.threads).find((t) => isObject(t) && isObject(t.stacktrace));
    if (thread) parts.push(section('Stack trace', renderFrames(listOf(thread.stacktrace.frames))));
  }
  const crumbs = listOf(event.breadcrumbs);
  if (crumbs.length) parts.push(renderBreadcrumbs(crumbs));
  const tags = Array.isArray(event.tags) ? event.tags : isObject(event.tags) ? Object.entries(event.tags) : [];
  if (tags.length) parts.push(section('Tags', el('ul', { class: 'tags' }, tags.map((pair) => el('li', { class: 'tag' }, el('span', { class: 'tag-key' }, show(pair?.[0])), el('span', { class: 'tag-value' }, show(pair?.[1])))))));
  if (isObject(event.request)) parts.push(section('Request', kvTable(Object.entries(event.request))));
  if (isObject(event.user)) parts.push(section('User', kvTable(Object.entries(event.user))));
  if (isObject(event.contexts)) {
    parts.push(section('Contexts', ...Object.entries(event.contexts).map(([name, ctx]) =>
      el('div', { class: 'context' }, el('h4', null, name), isObject(ctx) ? kvTable(Object.entries(ctx)) : el('pre', null, show(ctx))))));
  }
  if (isObject(event.extra) && Object.keys(event.extra).length) parts.push(section('Extra', kvTable(Object.entries(event.extra))));
  if (isObject(event.sdk)) parts.push(section('SDK', kvTable(Object.entries(event.sdk))));
  const facts = [['event_id', event.event_id], ['timestamp', timeOf(event.timestamp) || meta.timestamp], ['received', meta.receivedAt], ['platform', event.platform], ['level', event.level], ['release', event.release], ['environment', event.environment], ['server_name', event.server_name], ['transaction', event.transaction], ['logger', event.logger]].filter(([, v]) => v !== undefined);
  parts.push(section('Event', kvTable(facts)));
  const raw = el('details', { class: 'raw' }, el('summary', null, 'Raw JSON'), el('pre', null, show(event)));
  parts.push(raw);
  return parts;
}

/** Newest (the thrown one) first, as people read a chain; the protocol lists the cause first. */
function renderExceptions(exceptions) {
  const ordered = [...exceptions].reverse();
  return section(exceptions.length > 1 ? `Exception chain (${exceptions.length})` : 'Exception',
    ordered.map((exception, index) =>
      el('div', { class: 'exception' },
        index > 0 ? el('p', { class: 'caused muted' }, 'caused by') : null,
        el('h4', { class: 'exc-title' }, el('span', { class: 'exc-type' }, show(exception?.type ?? 'Error')), exception?.value !== undefined ? ': ' : '', el('span', { class: 'exc-value' }, show(exception?.value ?? ''))),
        isObject(exception?.mechanism) ? el('p', { class: 'mechanism muted' }, `mechanism: ${show(exception.mechanism.type)}`, exception.mechanism.handled === false ? ' · unhandled' : exception.mechanism.handled === true ? ' · handled' : '') : null,
        isObject(exception?.stacktrace) ? renderFrames(listOf(exception.stacktrace.frames)) : el('p', { class: 'muted' }, 'No stack trace.'))));
}

/** Most recent call first. In-app frames open with source and variables; library frames folded. */
function renderFrames(frames) {
  const ordered = frames.filter(isObject).reverse();
  return el('ol', { class: 'frames' }, ordered.map((frame) => {
    const inApp = frame.in_app === true;
    const where = frame.filename ?? frame.abs_path ?? frame.module ?? '?';
    const position = frame.lineno !== undefined ? `:${show(frame.lineno)}${frame.colno !== undefined ? `:${show(frame.colno)}` : ''}` : '';
    const summary = el('summary', null,
      el('span', { class: 'frame-fn' }, show(frame.function ?? '<anonymous>')),
      ' at ',
      el('span', { class: 'frame-file' }, show(where) + position),
      inApp ? el('span', { class: 'badge in-app' }, 'in app') : null);
    return el('li', { class: inApp ? 'frame in-app' : 'frame' }, el('details', { open: inApp }, summary, renderSource(frame), renderVars(frame.vars)));
  }));
}

function renderSource(frame) {
  if (typeof frame.context_line !== 'string') return null;
  const pre = Array.isArray(frame.pre_context) ? frame.pre_context : [];
  const post = Array.isArray(frame.post_context) ? frame.post_context : [];
  const first = typeof frame.lineno === 'number' ? frame.lineno - pre.length : undefined;
  const lines = [...pre.map((l) => [l, false]), [frame.context_line, true], ...post.map((l) => [l, false])];
  return el('ol', { class: 'source', start: undefined },
    lines.map(([line, current], index) =>
      el('li', { class: current ? 'line current' : 'line' }, el('span', { class: 'lineno' }, first !== undefined ? String(first + index) : ''), el('code', null, show(line)))));
}

function renderVars(vars) {
  if (!isObject(vars) || !Object.keys(vars).length) return null;
  return el('div', { class: 'vars' }, el('h5', null, 'Local variables'), kvTable(Object.entries(vars), 'kv vars-table'));
}

function renderBreadcrumbs(crumbs) {
  return section(`Breadcrumbs (${crumbs.length})`, el('ol', { class: 'timeline' }, crumbs.filter(isObject).map((crumb) =>
    el('li', { class: `crumb level-${show(crumb.level ?? 'info')}` },
      el('span', { class: 'crumb-time muted' }, timeOf(crumb.timestamp).replace(/^.*T/, '').replace(/Z$/, '')),
      el('span', { class: 'crumb-cat' }, show(crumb.category ?? crumb.type ?? 'default')),
      el('span', { class: 'crumb-msg' }, show(crumb.message ?? '')),
      isObject(crumb.data) ? el('span', { class: 'crumb-data muted' }, show(crumb.data)) : null))));
}
