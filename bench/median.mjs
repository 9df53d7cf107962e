// The median of a list of numbers (any array-like). Its own module with no imports, so the
// benchmark's child processes can use it without loading what the parent's harness needs.
export function median(values) {
  const s = Array.from(values).sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
