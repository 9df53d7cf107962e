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
export { dedupeIntegration } from './integrations/dedupe.js';
export { nodeContextIntegration } from './integrations/node-context.js';
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
