// `collector: true` (or env FAULTLINE_COLLECTOR=1) with no DSN sends to a faultline-collector on
// this machine, the way Sentry's Spotlight option works. The collector accepts this well-known key
// for its default project while it listens on loopback (collector/src/store/projects.ts).
export const LOCAL_DEVELOPMENT_KEY = 'fa01171e0c011ec70000000000000001';
export const DEFAULT_COLLECTOR_PORT = 8969;

export function localCollectorDsn(env: Record<string, string | undefined>): string {
  const port = Number(env['FAULTLINE_COLLECTOR_PORT']) || DEFAULT_COLLECTOR_PORT;
  return `http://${LOCAL_DEVELOPMENT_KEY}@127.0.0.1:${port}/1`;
}

export function wantsLocalCollector(option: unknown, env: Record<string, string | undefined>): boolean {
  if (option === true) return true;
  if (option === false) return false;
  const flag = env['FAULTLINE_COLLECTOR'];
  return flag === '1' || flag === 'true';
}
