// faultline for Node.js: the public surface. The runtime-agnostic heart lives in ./core, the Node
// layer (init with Node defaults, AsyncLocalStorage, HTTP transport) in ./node.
export { init } from './node/init.js';
export {
  addBreadcrumb,
  captureEvent,
  captureException,
  captureMessage,
  close,
  flush,
  getClient,
  getCurrentScope,
  getGlobalScope,
  getIsolationScope,
  isInitialized,
  lastEventId,
  setContext,
  setExtra,
  setExtras,
  setFingerprint,
  setLevel,
  setTag,
  setTags,
  setUser,
  withIsolationScope,
  withScope,
} from './core/api.js';
export type { CaptureContextArg } from './core/api.js';
export { Scope } from './core/scope.js';
export { Client } from './core/client.js';
export { parseDsn } from './core/dsn.js';
export type { Dsn } from './core/dsn.js';
export { makeNodeTransport } from './node/transport-http.js';
export { makeDurableNodeTransport } from './node/transport-durable.js';
export type { DurableTransport } from './node/transport-durable.js';
export { processExitIntegration } from './node/process-exit.js';
export { dedupeIntegration } from './integrations/dedupe.js';
export { nodeContextIntegration } from './integrations/contexts.js';
export type { NodeContextOptions } from './integrations/contexts.js';
export { modulesIntegration } from './integrations/modules.js';
export { onUncaughtExceptionIntegration } from './integrations/on-uncaught-exception.js';
export { onUnhandledRejectionIntegration } from './integrations/on-unhandled-rejection.js';
export { consoleIntegration } from './integrations/console.js';
export { childProcessIntegration } from './integrations/child-process.js';
export type { ChildProcessOptions } from './integrations/child-process.js';
export { contextLinesIntegration } from './integrations/context-lines.js';
export type { ContextLinesOptions } from './integrations/context-lines.js';
export { localVariablesIntegration } from './integrations/local-variables.js';
export type { LocalVariablesOptions } from './integrations/local-variables.js';
export { httpServerIntegration } from './integrations/http-server.js';
export { httpBreadcrumbsIntegration } from './integrations/http-breadcrumbs.js';
export { setupExpressErrorHandler, expressErrorHandler } from './integrations/express.js';
export { setupFastifyErrorHandler, faultlineFastifyPlugin } from './integrations/fastify.js';
export { koaErrorHandler } from './integrations/koa.js';
export { pinoIntegration } from './integrations/pino.js';
export type { PinoIntegrationOptions } from './integrations/pino.js';
export { createWinstonTransport } from './integrations/winston.js';
export type { WinstonTransportOptions } from './integrations/winston.js';
export {
  continueTrace, getActiveSpan, getTraceData, setMeasurement, startInactiveSpan, startNewTrace,
  startSpan, startSpanManual, withActiveSpan, Span,
} from './core/tracing/index.js';
export type {
  StartSpanOptions, SpanAttributes, SpanAttributeValue, SpanContextData, TransactionSource, SamplingContext,
} from './core/tracing/index.js';
export { httpServerTracingIntegration } from './integrations/tracing-http-server.js';
export type { HttpServerTracingOptions } from './integrations/tracing-http-server.js';
export { httpClientTracingIntegration } from './integrations/tracing-http-client.js';
export { logger } from './core/logs/index.js';
export type { Log, LogAttributes, LogLevel, Logger, ParameterizedString } from './core/logs/index.js';
export { captureCheckIn, withMonitor } from './core/check-ins/index.js';
export type { CheckIn, CheckInStatus, IntervalUnit, MonitorConfig, MonitorSchedule } from './core/check-ins/index.js';
export { sessionsIntegration } from './integrations/sessions.js';
export type { IncomingRequestLike, SessionsIntegrationOptions } from './integrations/sessions.js';
export { cron, instrumentCron, instrumentNodeCron } from './node/cron/index.js';
export type { ConsoleIntegrationOptions, ConsoleMethod } from './integrations/console.js';
export { SDK_NAME, SDK_VERSION } from './core/version.js';
export type {
  Attachment,
  Breadcrumb,
  BreadcrumbHint,
  CaptureContext,
  Context,
  Contexts,
  DataCategory,
  DiscardReason,
  Event,
  EventHint,
  EventProcessor,
  Exception,
  Integration,
  Mechanism,
  Options,
  RequestData,
  ResolvedOptions,
  SdkInfo,
  SeverityLevel,
  SeverityLevelInput,
  StackFrame,
  Stacktrace,
  Transport,
  TransportFactory,
  TransportFactoryArgs,
  TransportOptions,
  User,
} from './core/types.js';

/**
 * @internal Not an API: the entry point of the outbox's burst sender thread, which loads this
 * module in the thread (node/outbox/burst-sender.ts).
 */
export { __faultlineBurstWorker } from './node/outbox/burst-sender.js';
