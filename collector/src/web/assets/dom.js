// The only way this page creates DOM. Event data is ever only a text node (textContent semantics);
// attributes are limited to a fixed list, and links only ever point at hashes this page builds itself.

const ALLOWED_ATTRS = new Set(['class', 'id', 'title', 'role', 'tabindex', 'aria-label', 'aria-current', 'aria-pressed', 'aria-live', 'for', 'type', 'value', 'placeholder', 'name', 'open', 'data-id', 'lang', 'scope', 'datetime']);

/** el('div', { class: 'x' }, 'text', childNode, [more]) */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'href') node.setAttribute('href', internalHref(value));
      else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else if (ALLOWED_ATTRS.has(key)) node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Only `#/…` links: never a URL from an event (a `javascript:` URL stays text). */
function internalHref(value) {
  const text = String(value);
  return text.startsWith('#/') ? text : '#/';
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** A value from an event, as readable text: strings as is, the rest as compact JSON. */
export function show(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 1).slice(0, 20000);
  } catch {
    return String(value);
  }
}

export function relativeTime(iso) {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** A key/value table; values are text. */
export function kvTable(entries, className = 'kv') {
  return el('table', { class: className }, el('tbody', null, entries.map(([key, value]) => el('tr', null, el('th', { scope: 'row' }, key), el('td', null, el('span', { class: 'value' }, show(value)))))));
}
