// Which errors a framework error handler reports: server errors. A 4xx error (not found, bad
// input) is the app answering correctly, so it is not an event; an error without any status is
// an unexpected failure and becomes a 500.

/** The HTTP status an error asks for (`status` or `statusCode`, as Express, Koa and Fastify use). */
export function errorStatus(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

export function isServerError(error: unknown): boolean {
  const status = errorStatus(error);
  return status === undefined || status >= 500;
}
