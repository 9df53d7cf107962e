// Which integrations and event processors are faultline's own code. An event that only the SDK's
// own code has touched since it was built needs no second copy of the stack frames the SDK made
// for it (normalize/built-parts.ts); the client asks this for every processor that ran.

const own = new WeakSet<object>();

/** Marks an integration or event processor as the SDK's own; returns it. */
export function markOwn<T extends object>(value: T): T {
  own.add(value);
  return value;
}

export function isOwn(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && own.has(value);
}
