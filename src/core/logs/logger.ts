// The public structured-logging API: `logger.info('text', { attributes })` and the template form
// `logger.info(logger.fmt\`user ${id} paid\`)`. Records are sent only with `enableLogs: true`.
import { captureLog } from './capture.js';
import { fmt } from './template.js';
import type { LogAttributes, LogLevel, ParameterizedString } from './types.js';

export type LogMethod = (message: string | ParameterizedString, attributes?: LogAttributes) => void;

export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  /** Tagged template whose values are kept as `sentry.message.parameter.<i>` attributes. */
  fmt: typeof fmt;
}

const method = (level: LogLevel): LogMethod => (message, attributes) => captureLog(level, message, attributes);

/**
 * @example
 * faultline.logger.info('order placed', { orderId: 'A-1', total: 42.5 });
 * faultline.logger.warn(faultline.logger.fmt`stock low for ${sku}: ${left} left`);
 */
export const logger: Logger = {
  trace: method('trace'),
  debug: method('debug'),
  info: method('info'),
  warn: method('warn'),
  error: method('error'),
  fatal: method('fatal'),
  fmt,
};
