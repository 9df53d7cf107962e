// The span status an HTTP status code stands for (the OpenTelemetry mapping the protocol's
// SpanStatus values come from).
const BY_CODE: Record<number, string> = {
  400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found',
  409: 'already_exists', 413: 'failed_precondition', 429: 'resource_exhausted', 499: 'cancelled',
  501: 'unimplemented', 503: 'unavailable', 504: 'deadline_exceeded',
};

export function spanStatusFromHttpCode(code: number): string {
  if (code < 400) return 'ok';
  return BY_CODE[code] ?? (code < 500 ? 'invalid_argument' : code < 600 ? 'internal_error' : 'unknown');
}
