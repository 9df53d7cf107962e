// Event and trace ids: 32 lowercase hex characters (a v4 UUID without dashes).
// `crypto.randomUUID` is a global in Node 20+, browsers and edge runtimes.

const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;

export function uuid4(): string {
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID().replace(/-/g, '');
  let out = '';
  for (let i = 0; i < 32; i++) out += ((Math.random() * 16) | 0).toString(16);
  return out;
}

/** 16 hex characters, for span ids. */
export function spanId(): string {
  return uuid4().slice(16);
}
