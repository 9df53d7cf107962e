export { logger } from './logger.js';
export type { Logger, LogMethod } from './logger.js';
export { captureLog, logsEnabled } from './capture.js';
export { fmt } from './template.js';
export type { Log, LogAttributes, LogLevel, ParameterizedString, SerializedLog } from './types.js';
