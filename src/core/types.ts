// Protocol and public types. Field names follow the Sentry wire protocol (snake_case), so an
// event object can be serialized as it is; SDK-side names (options, hints) are camelCase.

export type SeverityLevel = 'fatal' | 'error' | 'warning' | 'info' | 'debug';
/** Inputs accepted where a level is expected; mapped to a SeverityLevel (SPEC.md decision 5). */
export type SeverityLevelInput = SeverityLevel | 'warn' | 'critical' | 'log' | 'trace';

export type Primitive = string | number | boolean | bigint | symbol | null | undefined;

export interface User {
  id?: string | number;
  email?: string;
  username?: string;
  name?: string;
  ip_address?: string;
  segment?: string;
  geo?: { city?: string; country_code?: string; region?: string };
  data?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface StackFrame {
  filename?: string;
  abs_path?: string;
  function?: string;
  raw_function?: string;
  module?: string;
  platform?: string;
  lineno?: number;
  colno?: number;
  in_app?: boolean;
  context_line?: string;
  pre_context?: string[];
  post_context?: string[];
  vars?: Record<string, unknown>;
}

export interface Stacktrace {
  frames: StackFrame[];
}

export interface Mechanism {
  type: string;
  handled?: boolean;
  synthetic?: boolean;
  description?: string;
  help_link?: string;
  data?: Record<string, unknown>;
  meta?: Record<string, unknown>;
  exception_id?: number;
  parent_id?: number;
  source?: string;
  is_exception_group?: boolean;
}

export interface Exception {
  type?: string;
  value?: string;
  module?: string;
  thread_id?: number | string;
  mechanism?: Mechanism;
  stacktrace?: Stacktrace;
}

export interface Breadcrumb {
  type?: string;
  category?: string;
  level?: SeverityLevel;
  message?: string;
  data?: Record<string, unknown>;
  /** Unix seconds. Set by addBreadcrumb when missing. */
  timestamp?: number;
  event_id?: string;
}

export interface BreadcrumbHint {
  [key: string]: unknown;
}

export type Context = Record<string, unknown>;
export type Contexts = Record<string, Context>;

export interface RequestData {
  url?: string;
  method?: string;
  data?: unknown;
  query_string?: string | Record<string, string> | Array<[string, string]>;
  cookies?: Record<string, string> | string;
  headers?: Record<string, string>;
  env?: Record<string, string>;
  fragment?: string;
  body_size?: number;
  protocol?: string;
}

export interface SdkInfo {
  name: string;
  version: string;
  integrations?: string[];
  packages?: Array<{ name: string; version: string }>;
  features?: string[];
}

export interface Thread {
  id?: number | string;
  name?: string;
  crashed?: boolean;
  current?: boolean;
  main?: boolean;
  stacktrace?: Stacktrace;
}

export interface Event {
  event_id?: string;
  /** Unix seconds (fractions allowed). */
  timestamp?: number;
  start_timestamp?: number;
  platform?: string;
  level?: SeverityLevel;
  logger?: string;
  transaction?: string;
  server_name?: string;
  release?: string;
  dist?: string;
  environment?: string;
  logentry?: { message?: string; formatted?: string; params?: unknown[] };
  /** Accepted on input to captureEvent and turned into `logentry` (the schema rejects it). */
  message?: string;
  exception?: { values?: Exception[] };
  threads?: { values?: Thread[] };
  breadcrumbs?: { values?: Breadcrumb[] } | Breadcrumb[];
  contexts?: Contexts;
  tags?: Record<string, Primitive>;
  extra?: Record<string, unknown>;
  user?: User;
  request?: RequestData;
  fingerprint?: string[];
  modules?: Record<string, string>;
  sdk?: SdkInfo;
  type?: 'transaction' | undefined;
  spans?: unknown[];
  measurements?: Record<string, { value: number; unit?: string }>;
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What travels beside an event to processors and beforeSend. */
export interface EventHint {
  event_id?: string;
  originalException?: unknown;
  syntheticException?: Error | null;
  mechanism?: Partial<Mechanism>;
  data?: unknown;
  attachments?: Attachment[];
  [key: string]: unknown;
}

export interface Attachment {
  filename: string;
  data: string | Uint8Array;
  contentType?: string;
  attachmentType?: string;
}

export type EventProcessor = (event: Event, hint: EventHint) => Event | null | undefined;

/** Per-call scope data accepted by the capture functions (SPEC.md decision 4). */
export interface CaptureContext {
  tags?: Record<string, Primitive>;
  extra?: Record<string, unknown>;
  user?: User | null;
  level?: SeverityLevelInput;
  fingerprint?: string[];
  contexts?: Contexts;
}

/** Data categories for rate limits and client reports (PROTOCOL.md §7). */
export type DataCategory =
  | 'default'
  | 'error'
  | 'transaction'
  | 'span'
  | 'security'
  | 'attachment'
  | 'session'
  | 'monitor'
  | 'log_item'
  | 'log_byte'
  | 'profile'
  | 'profile_chunk'
  | 'replay'
  | 'feedback'
  | 'internal';

export type DiscardReason =
  | 'queue_overflow'
  | 'cache_overflow'
  | 'buffer_overflow'
  | 'ratelimit_backoff'
  | 'network_error'
  | 'sample_rate'
  | 'before_send'
  | 'event_processor'
  | 'send_error'
  | 'internal_sdk_error'
  | 'insufficient_data'
  | 'backpressure'
  | 'ignored'
  | 'invalid';

/** An integration is a plain object from a factory (the pattern of the JS SDKs). */
export interface Integration {
  name: string;
  /** Runs once per process for this integration name (global hooks: process events, channels). */
  setupOnce?(): void;
  /** Runs for every client that uses it. */
  setup?(client: ClientLike): void;
  /** Event processor run before the scopes' processors. */
  processEvent?(event: Event, hint: EventHint, client: ClientLike): Event | null | undefined;
  /** Called after an event was handed to the transport queue (e.g. dedupe remembers it). */
  onEventQueued?(event: Event, hint: EventHint): void;
  /** Undo global hooks (used by close and in tests). */
  teardown?(): void;
}

/** The part of the client that integrations and transports see (avoids import cycles). */
export interface ClientLike {
  getOptions(): ResolvedOptions;
  getDsn(): import('./dsn.js').Dsn | undefined;
  recordDroppedEvent(reason: DiscardReason, category: DataCategory, quantity?: number): void;
  captureEvent(event: Event, hint?: EventHint, chain?: ReadonlyArray<import('./scope.js').Scope>): string | undefined;
  flush(timeout?: number): Promise<boolean>;
  /**
   * Hands a ready envelope (transaction, logs, check-in, sessions) to the transport, after the
   * rate limit of `category`. Returns false when it was dropped; the drop is then counted.
   */
  sendEnvelope(envelope: import('./envelope.js').Envelope, category: DataCategory, quantity?: number): boolean;
  /** Subscribes to a client hook; returns the unsubscribe function. */
  on<K extends keyof ClientHooks>(hook: K, callback: ClientHooks[K]): () => void;
  emit<K extends keyof ClientHooks>(hook: K, ...args: Parameters<ClientHooks[K]>): void;
}

/**
 * Moments features hook into without knowing each other: buffers (logs, session aggregates)
 * drain on `flush`; tracing and sessions follow each incoming request from `requestStart`
 * (called inside the request's isolation scope) to its response's end.
 */
export interface ClientHooks {
  /** Before the transport flushes (flush, close, process exit): put buffered items on the queue. */
  flush: () => void;
  /** An incoming HTTP request, inside its fresh isolation scope, before any handler runs. */
  requestStart: (request: unknown, response: unknown) => void;
  /** An event was queued for sending (after every processor and beforeSend). */
  eventQueued: (event: Event, hint: EventHint) => void;
}

export interface TransportRequest {
  body: Uint8Array;
}

/** A transport takes whole envelopes; `send` must never block the caller nor throw. */
export interface Transport {
  /**
   * Takes an envelope into the send queue and returns at once. Serialization, compression and I/O
   * happen later, off the caller's tick. Returns false when it was not accepted (queue full, or
   * every item rate limited); the transport has then already counted the drop. Any other result
   * (a custom transport's undefined, or a promise) counts as accepted.
   */
  send(envelope: import('./envelope.js').Envelope): boolean | void;
  /** Synchronous: is this data category under an active server rate limit right now? */
  isRateLimited(category: DataCategory): boolean;
  flush(timeout?: number): Promise<boolean>;
  close?(timeout?: number): Promise<boolean>;
}

export interface TransportOptions {
  /** Max envelopes waiting in memory (SPEC.md decision 12: 100). */
  bufferSize?: number;
  /** Max concurrent HTTP requests. */
  concurrency?: number;
  /** Request timeout in ms. */
  timeout?: number;
  /** Compress bodies larger than this many bytes (default 1024). */
  compressionThreshold?: number;
  headers?: Record<string, string>;
  [key: string]: unknown;
}

export interface TransportFactoryArgs {
  dsn: import('./dsn.js').Dsn;
  url: string;
  options: ResolvedOptions;
  recordDroppedEvent: ClientLike['recordDroppedEvent'];
  /** The client's drop counters; the transport attaches pending reports to envelopes it sends. */
  clientReports: import('./client-reports.js').ClientReports;
  transportOptions: TransportOptions;
}

export type TransportFactory = (args: TransportFactoryArgs) => Transport;

export interface Options {
  dsn?: string;
  debug?: boolean;
  release?: string;
  environment?: string;
  dist?: string;
  serverName?: string;
  sampleRate?: number;
  errorSampler?: (event: Event, hint: EventHint) => number | boolean;
  maxBreadcrumbs?: number;
  attachStacktrace?: boolean;
  sendDefaultPii?: boolean;
  maxValueLength?: number;
  normalizeDepth?: number;
  normalizeMaxBreadth?: number;
  ignoreErrors?: Array<string | RegExp>;
  beforeSend?: (event: Event, hint: EventHint) => Event | null | undefined;
  beforeBreadcrumb?: (breadcrumb: Breadcrumb, hint?: BreadcrumbHint) => Breadcrumb | null | undefined;
  integrations?: Integration[] | ((defaults: Integration[]) => Integration[]);
  defaultIntegrations?: boolean | Integration[];
  transport?: TransportFactory;
  transportOptions?: TransportOptions;
  shutdownTimeout?: number;
  /** Keys whose values are scrubbed (replaces the default denylist). */
  denyList?: string[];
  /** Extra keys scrubbed on top of the default denylist. */
  extraDenyList?: string[];
  /** Max depth of cause / AggregateError chains (default 5). */
  maxErrorDepth?: number;
  inAppInclude?: string[];
  inAppExclude?: string[];
  /** Directory under which frames count as in-app (default: process.cwd() in Node). */
  projectRoot?: string;
  sendClientReports?: boolean;
  // ---- Node options (read by the Node layer and its integrations) ----
  /** With no DSN, send to a faultline-collector on this machine (env FAULTLINE_COLLECTOR=1). */
  collector?: boolean;
  /** Lines of source around in-app frames (default true). */
  includeSourceContext?: boolean;
  /** Local variables of in-app frames, through node:inspector (default false). */
  includeLocalVariables?: boolean;
  /** How much of a parsed request body events carry (default 'medium' = 10 kB). */
  maxRequestBodySize?: 'never' | 'small' | 'medium' | 'always';
  /** Keep queued envelopes on disk until delivered (default true in Node; false: memory only). */
  offline?: boolean;
  /** Folder of the durable outbox (default: env FAULTLINE_CACHE_DIR, else <tmp>/faultline). */
  cacheDir?: string;
  /** What an unhandled rejection does after it is reported (default: Node's own mode). */
  unhandledRejections?: 'warn' | 'strict' | 'none';
  // ---- tracing (src/core/tracing) ----
  /** Share of root spans sampled, 0..1; tracing is off when neither this nor tracesSampler is set. */
  tracesSampleRate?: number;
  /** Decides per root span; its result overrides tracesSampleRate. */
  tracesSampler?: (context: Record<string, unknown>) => number | boolean;
  /** URLs (substring or RegExp) that outgoing requests carry trace headers to (default: all). */
  tracePropagationTargets?: Array<string | RegExp>;
  beforeSendTransaction?: (event: Event, hint: EventHint) => Event | null | undefined;
  beforeSendSpan?: (span: Record<string, unknown>) => Record<string, unknown> | null | undefined;
  /** Transaction names (substring or RegExp) that are never sent. */
  ignoreTransactions?: Array<string | RegExp>;
  // ---- structured logs (src/core/logs) ----
  enableLogs?: boolean;
  beforeSendLog?: (log: Record<string, unknown>) => Record<string, unknown> | null | undefined;
  // ---- release health (src/core/sessions) ----
  /** Request-mode session aggregates (default: on when `release` is set). */
  autoSessionTracking?: boolean;
  [key: string]: unknown;
}

export interface ResolvedOptions extends Options {
  environment: string;
  sampleRate: number;
  maxBreadcrumbs: number;
  attachStacktrace: boolean;
  sendDefaultPii: boolean;
  normalizeDepth: number;
  normalizeMaxBreadth: number;
  ignoreErrors: Array<string | RegExp>;
  shutdownTimeout: number;
  maxErrorDepth: number;
  inAppInclude: string[];
  inAppExclude: string[];
  sendClientReports: boolean;
  debug: boolean;
  transportOptions: TransportOptions;
}
