import type {
  ClientHooks,
  ClientLike,
  DataCategory,
  DiscardReason,
  Event,
  EventHint,
  EventProcessor,
  Integration,
  Mechanism,
  ResolvedOptions,
  SdkInfo,
  SeverityLevel,
  Transport,
} from './types.js';
import type { Dsn } from './dsn.js';
import { envelopeUrl } from './dsn.js';
import { ClientReports } from './client-reports.js';
import { attachmentItem, createEventEnvelope, itemQuantity, type Envelope } from './envelope.js';
import { createFrameParser } from './stacktrace.js';
import { exceptionsFromError } from './exceptions.js';
import { normalizeEvent } from './normalize/index.js';
import { createKeyMatcher } from './scrub.js';
import { markInApp } from './in-app.js';
import { addTraceContext, applyScopesToEvent, runProcessors, type ScopeChain } from './apply-scope.js';
import { ignoreRejection, isThenable } from './thenable.js';
import { describeError, messageOf, ownEventCopy } from './event-input.js';
import { createIgnoreMatcher } from './ignore-errors.js';
import { checkTransport } from './custom-transport.js';
import { debugLog } from './debug-log.js';
import { uuid4 } from './ids.js';
import { isOwn } from './own-code.js';
import { freezeDeep, thawEventParts } from './frozen-parts.js';
import { SDK_NAME, SDK_PACKAGE, SDK_VERSION } from './version.js';

export interface ClientSetup {
  options: ResolvedOptions;
  dsn: Dsn | undefined;
  integrations: Integration[];
  /** Directory that frames are made relative to and counted in-app under (Node: cwd). */
  projectRoot?: string;
}

type FrameParser = ReturnType<typeof createFrameParser>;

const MANUAL_MECHANISM: Mechanism = { type: 'generic', handled: true };

/**
 * The client owns options, the transport and the event pipeline. Everything up to handing the
 * envelope to the transport queue runs synchronously on the caller's tick, so the capture
 * functions can return whether the event was queued (SPEC.md decisions 1 and 2).
 */
export class Client implements ClientLike {
  readonly clientReports = new ClientReports();
  private readonly options: ResolvedOptions;
  private readonly dsn: Dsn | undefined;
  private transport: Transport | undefined;
  private readonly integrations: Integration[];
  private readonly integrationProcessors: EventProcessor[];
  /** Some integration's processEvent is not the SDK's own code (normalize/built-parts.ts). */
  private readonly foreignIntegrationProcessor: boolean;
  private readonly parser: FrameParser;
  private readonly isDenied: (key: string) => boolean;
  private readonly isIgnored: (text: string) => boolean;
  private readonly hasIgnoreRules: boolean;
  private readonly sdk: SdkInfo;
  private closed = false;
  private readonly hooks: { [K in keyof ClientHooks]?: Array<ClientHooks[K]> } = {};

  constructor(setup: ClientSetup) {
    this.options = setup.options;
    this.dsn = setup.dsn;
    this.integrations = setup.integrations;
    this.clientReports.setEnabled(this.options.sendClientReports);
    this.parser = createFrameParser({
      root: setup.projectRoot ?? this.options.projectRoot,
      inAppInclude: this.options.inAppInclude,
      inAppExclude: this.options.inAppExclude,
    });
    this.isDenied = createKeyMatcher({
      denyList: this.options.denyList,
      extraDenyList: this.options.extraDenyList,
      sendDefaultPii: this.options.sendDefaultPii,
    });
    this.isIgnored = createIgnoreMatcher(this.options.ignoreErrors);
    this.hasIgnoreRules = this.options.ignoreErrors.length > 0;
    // Frozen: every event carries this one object (core/frozen-parts.ts).
    this.sdk = freezeDeep({
      name: SDK_NAME,
      version: SDK_VERSION,
      integrations: this.integrations.map((i) => i.name),
      packages: [{ name: SDK_PACKAGE, version: SDK_VERSION }],
    });
    const processing = this.integrations.filter((i) => typeof i.processEvent === 'function');
    // An integration of the app's may change the event in place: its shared parts become copies first.
    this.integrationProcessors = processing.map((i) =>
      isOwn(i)
        ? (event: Event, hint: EventHint) => i.processEvent!(event, hint, this)
        : (event: Event, hint: EventHint) => i.processEvent!(thawEventParts(event), hint, this),
    );
    this.foreignIntegrationProcessor = processing.some((i) => !isOwn(i));

    // The transport names the SDK in User-Agent and X-Sentry-Auth.
    this.options._sdk = this.sdk;
    if (this.dsn) {
      const factory = this.options.transport;
      if (factory) {
        try {
          this.transport = checkTransport(factory({
            dsn: this.dsn,
            url: envelopeUrl(this.dsn),
            options: this.options,
            recordDroppedEvent: (reason, category, quantity) => this.recordDroppedEvent(reason, category, quantity),
            clientReports: this.clientReports,
            transportOptions: this.options.transportOptions,
          }));
        } catch (err) {
          debugLog.error('the transport factory threw; faultline stays disabled', err);
        }
      }
    }
  }

  /** Called once the client is bound, so integrations can hook in. */
  setupIntegrations(): void {
    for (const integration of this.integrations) {
      try {
        integration.setup?.(this);
      } catch (err) {
        debugLog.error(`integration ${integration.name} failed to set up`, err);
      }
    }
  }

  getOptions(): ResolvedOptions {
    return this.options;
  }

  getDsn(): Dsn | undefined {
    return this.dsn;
  }

  getTransport(): Transport | undefined {
    return this.transport;
  }

  getSdkInfo(): SdkInfo {
    return this.sdk;
  }

  getIntegration(name: string): Integration | undefined {
    return this.integrations.find((i) => i.name === name);
  }

  /** Sends nothing when there is no DSN, no transport, or after close. */
  isEnabled(): boolean {
    return !this.closed && this.transport !== undefined;
  }

  recordDroppedEvent(reason: DiscardReason, category: DataCategory, quantity = 1): void {
    this.clientReports.record(reason, category, quantity);
  }

  sendEnvelope(envelope: Envelope, category: DataCategory, quantity = 1): boolean {
    const transport = this.transport;
    if (!transport || this.closed) return false;
    if (transport.isRateLimited(category)) {
      this.recordDroppedEvent('ratelimit_backoff', category, quantity);
      debugLog.log(`${category} dropped: the server rate limits it right now`);
      return false;
    }
    // Only an explicit false is a refusal (Transport.send): a custom send may return nothing.
    return transport.send(envelope) !== false;
  }

  on<K extends keyof ClientHooks>(hook: K, callback: ClientHooks[K]): () => void {
    const list = (this.hooks[hook] ??= []) as Array<ClientHooks[K]>;
    list.push(callback);
    return () => {
      const i = list.indexOf(callback);
      if (i !== -1) list.splice(i, 1);
    };
  }

  emit<K extends keyof ClientHooks>(hook: K, ...args: Parameters<ClientHooks[K]>): void {
    const list = this.hooks[hook];
    if (!list) return;
    for (const callback of list.slice()) {
      try {
        (callback as (...a: unknown[]) => void)(...args);
      } catch (err) {
        debugLog.error(`a ${hook} hook threw`, err);
      }
    }
  }

  /** Frames of a stack string, oldest first, in-app marked (for integrations). */
  parseStack(stack: string | undefined, skipFrames = 0) {
    return this.parser.parse(stack ?? '', skipFrames);
  }

  // ---- capture entry points -------------------------------------------------------------------

  captureException(error: unknown, hint: EventHint, chain: ScopeChain, noArgument = false): string | undefined {
    if (!this.isEnabled()) return undefined;
    if (this.hasIgnoreRules && this.isIgnored(describeError(error))) {
      debugLog.log('event dropped: matched ignoreErrors');
      return undefined;
    }
    // Without an errorSampler, sampling comes before the event is built, so a sampled-out error
    // costs almost nothing; the sampler is given the exception it decides on (SPEC.md decision 2).
    const sampler = this.options.errorSampler;
    if (!sampler && !this.sampleIn()) return undefined;
    const mechanism = hint.mechanism ? { ...MANUAL_MECHANISM, ...hint.mechanism } : MANUAL_MECHANISM;
    const values = exceptionsFromError(error, {
      parser: this.parser,
      maxErrorDepth: this.options.maxErrorDepth,
      mechanism: mechanism as Mechanism,
      syntheticStack: hint.syntheticException?.stack,
      noArgument,
    });
    const event: Event = { exception: { values } };
    if (sampler && !this.sampleIn(event, hint)) return undefined;
    return this.process(event, hint, chain, 'error', true);
  }

  captureMessage(message: string, level: SeverityLevel | undefined, hint: EventHint, chain: ScopeChain): string | undefined {
    if (!this.isEnabled()) return undefined;
    if (this.hasIgnoreRules && this.isIgnored(message)) {
      debugLog.log('message dropped: matched ignoreErrors');
      return undefined;
    }
    const sampler = this.options.errorSampler;
    if (!sampler && !this.sampleIn()) return undefined;
    const event: Event = { logentry: { formatted: message } };
    if (level) event.level = level;
    if (sampler && !this.sampleIn(event, hint)) return undefined;
    if (this.options.attachStacktrace && hint.syntheticException?.stack) {
      const frames = this.parser.parse(hint.syntheticException.stack, 0);
      if (frames.length) event.threads = { values: [{ stacktrace: { frames }, crashed: false, current: true }] };
    }
    return this.process(event, hint, chain, 'info', true);
  }

  captureEvent(event: Event, hint: EventHint = {}, chain: ScopeChain = []): string | undefined {
    if (!this.isEnabled()) return undefined;
    if (this.hasIgnoreRules) {
      const last = event.exception?.values?.[event.exception.values.length - 1];
      const text = last ? `${last.type ?? ''}: ${last.value ?? ''}` : messageOf(event);
      if (text && this.isIgnored(text)) return undefined;
    }
    if (!this.sampleIn(event, hint)) return undefined;
    const own = ownEventCopy(event);
    return this.process(own, hint, chain, event.exception ? 'error' : 'info', false);
  }

  // ---- the pipeline -----------------------------------------------------------------------------

  private sampleIn(event?: Event, hint?: EventHint): boolean {
    let rate: number = this.options.sampleRate;
    const sampler = this.options.errorSampler;
    if (sampler && event) {
      try {
        const r = sampler(event, hint ?? {});
        if (typeof r === 'boolean') rate = r ? 1 : 0;
        else if (typeof r === 'number' && r >= 0 && r <= 1) rate = r;
        else debugLog.warn('errorSampler returned neither a boolean nor a number in [0, 1]; event kept');
      } catch (err) {
        debugLog.warn('errorSampler threw; event kept', err);
        rate = 1;
      }
    }
    if (rate >= 1 || Math.random() < rate) return true;
    this.recordDroppedEvent('sample_rate', 'error');
    debugLog.log('event dropped by sampling');
    return false;
  }

  /**
   * `built`: the event's stack traces were made by the SDK (captureException, captureMessage), not
   * handed in (captureEvent). If only the SDK's own processors run on it too, normalization may keep
   * those frames instead of copying them (normalize/built-parts.ts).
   */
  private process(event: Event, hint: EventHint, chain: ScopeChain, defaultLevel: SeverityLevel, built: boolean): string | undefined {
    const o = this.options;
    const eventId = typeof event.event_id === 'string' && /^[0-9a-f]{32}$/.test(event.event_id) ? event.event_id : uuid4();
    event.event_id = eventId;
    hint.event_id = eventId;
    if (typeof event.timestamp !== 'number') event.timestamp = givenTimestamp(event.timestamp) ?? Date.now() / 1000;
    event.platform ??= 'node';
    if (o.release !== undefined && event.release === undefined) event.release = o.release;
    if (o.environment !== undefined && event.environment === undefined) event.environment = o.environment;
    if (o.dist !== undefined && event.dist === undefined) event.dist = o.dist;
    if (o.serverName !== undefined && event.server_name === undefined) event.server_name = o.serverName;
    event.sdk ??= this.sdk;

    const attachments = applyScopesToEvent(event, chain, o.maxBreadcrumbs);
    event.level ??= defaultLevel;
    addTraceContext(event, chain);
    if (attachments) hint.attachments = (hint.attachments ?? []).concat(attachments);

    let ownPipeline = built && !this.foreignIntegrationProcessor;
    let processed: Event | null = event;
    if (this.integrationProcessors.length) processed = runProcessors(processed, hint, this.integrationProcessors);
    if (processed) {
      for (const scope of chain) {
        const processors = scope._eventProcessors;
        if (processors.length === 0) continue;
        for (const processor of processors) {
          if (isOwn(processor)) continue;
          // The app's processors may change the event in place: its shared parts become copies first.
          ownPipeline = false;
          thawEventParts(processed);
          break;
        }
        processed = runProcessors(processed, hint, processors);
        if (!processed) break;
      }
    }
    if (!processed) {
      this.recordDroppedEvent('event_processor', 'error');
      debugLog.log('event dropped by an event processor');
      return undefined;
    }

    // Frames the SDK parsed are marked already; a hand-built event's, or a processor's, may not be.
    if (!ownPipeline) {
      try {
        markInApp(processed, this.parser.describePath);
      } catch (err) {
        debugLog.warn('in-app marking failed; frames are sent as they are', err);
      }
    }

    let final: Event = normalizeEvent(processed, {
      depth: o.normalizeDepth,
      breadth: o.normalizeMaxBreadth,
      maxValueLength: o.maxValueLength,
      isDenied: this.isDenied,
      sendDefaultPii: o.sendDefaultPii,
      ownPipeline,
      // beforeSend may change the event it is given in place: then it gets copies of everything.
      shareFrozen: !o.beforeSend,
    });

    if (o.beforeSend) {
      let result: Event | null | undefined;
      try {
        result = o.beforeSend(final, hint);
      } catch (err) {
        debugLog.error('beforeSend threw; the event is dropped', err);
        result = null;
      }
      if (isThenable(result)) {
        ignoreRejection(result);
        debugLog.error('beforeSend returned a Promise; it runs synchronously (the capture answers at once), so the event is dropped: return the event itself, or null');
        result = null;
      }
      if (result && typeof result === 'object') {
        final = result;
      } else {
        this.recordDroppedEvent('before_send', 'error');
        debugLog.log('event dropped by beforeSend');
        return undefined;
      }
    }

    const transport = this.transport!;
    if (transport.isRateLimited('error')) {
      this.recordDroppedEvent('ratelimit_backoff', 'error');
      // The scope's attachments would have gone in the same envelope: they are lost with it, in bytes.
      for (const attachment of hint.attachments ?? []) {
        this.recordDroppedEvent('ratelimit_backoff', 'attachment', itemQuantity(attachmentItem(attachment)));
      }
      debugLog.log('event dropped: the server rate limits errors right now');
      return undefined;
    }

    const envelope = createEventEnvelope(final, { sdk: this.sdk, dsn: this.dsn, attachments: hint.attachments });
    if (transport.send(envelope) === false) {
      debugLog.log('event dropped: the send queue is full');
      return undefined;
    }
    if (this.hooks.eventQueued) this.emit('eventQueued', final, hint);
    for (const integration of this.integrations) {
      if (integration.onEventQueued) {
        try {
          integration.onEventQueued(final, hint);
        } catch (err) {
          debugLog.error(`integration ${integration.name} failed after queueing`, err);
        }
      }
    }
    return eventId;
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  async flush(timeout?: number): Promise<boolean> {
    const transport = this.transport;
    if (!transport) return true;
    this.emit('flush');
    try {
      return await transport.flush(timeout ?? this.options.shutdownTimeout);
    } catch (err) {
      debugLog.error('flush failed', err);
      return false;
    }
  }

  async close(timeout?: number): Promise<boolean> {
    if (this.closed) return true;
    const ok = await this.flush(timeout);
    this.closed = true;
    for (const integration of this.integrations) {
      try {
        integration.teardown?.();
      } catch (err) {
        debugLog.error(`integration ${integration.name} failed to tear down`, err);
      }
    }
    try {
      await this.transport?.close?.(0);
    } catch {
      // Closing is best effort; flush already reported the outcome.
    }
    return ok;
  }
}

/**
 * A `captureEvent` timestamp given as a Date or an RFC 3339 string (both are valid in the
 * protocol), in Unix seconds; undefined for anything else, which gets the capture's time.
 */
function givenTimestamp(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' && value ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
