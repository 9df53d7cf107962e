// A bar chart of events over time, as inline SVG built node by node (no markup strings).

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, String(value));
  return node;
}

/** counts: oldest first; unit: 'minute' | 'hour' */
export function barChart(counts, unit, label) {
  const width = 300;
  const height = 60;
  const max = Math.max(1, ...counts);
  const barWidth = width / counts.length;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height + 2}`, class: 'chart', role: 'img', preserveAspectRatio: 'none' });
  const title = svg('title');
  title.textContent = label;
  root.appendChild(title);
  root.appendChild(svg('line', { x1: 0, y1: height + 1, x2: width, y2: height + 1, class: 'axis' }));
  counts.forEach((count, index) => {
    if (count === 0) return;
    const barHeight = Math.max(2, (count / max) * height);
    const rect = svg('rect', { x: index * barWidth + 0.5, y: height - barHeight, width: Math.max(1, barWidth - 1), height: barHeight, class: 'bar' });
    const tip = svg('title');
    const ago = counts.length - 1 - index;
    tip.textContent = `${count} event${count === 1 ? '' : 's'}, ${ago === 0 ? `this ${unit}` : `${ago} ${unit}${ago === 1 ? '' : 's'} ago`}`;
    rect.appendChild(tip);
    root.appendChild(rect);
  });
  return root;
}
