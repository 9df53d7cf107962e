// `logger.fmt`: a tagged template that formats like a template literal but keeps the template
// (placeholders `%s`) and the values apart, so they can travel as attributes and logs of one
// shape group together on the server however the values differ.
import type { ParameterizedString } from './types.js';

/**
 * @example logger.info(logger.fmt`user ${id} paid ${amount}`)
 * // body "user 42 paid 9.5", attributes sentry.message.template "user %s paid %s",
 * // sentry.message.parameter.0 = 42, sentry.message.parameter.1 = 9.5
 */
export function fmt(strings: TemplateStringsArray, ...values: unknown[]): ParameterizedString {
  let template = '';
  let formatted = '';
  try {
    for (let i = 0; i < strings.length; i++) {
      const part = strings[i] ?? '';
      template += part;
      formatted += part;
      if (i < values.length) {
        template += '%s';
        formatted += safeString(values[i]);
      }
    }
  } catch {
    // A strange `strings` argument (not called as a tag): keep what was built.
  }
  // A String object, so it still works wherever a string does (printing, concatenation).
  const out = new String(formatted) as ParameterizedString;
  Object.defineProperty(out, '__template', { value: template });
  Object.defineProperty(out, '__params', { value: values });
  return out;
}

export function isParameterized(value: unknown): value is ParameterizedString {
  return value instanceof String && typeof (value as Partial<ParameterizedString>).__template === 'string';
}

export function safeString(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (value !== null && typeof value === 'object' && !(value instanceof String)) {
      if (value instanceof Error) return `${value.name}: ${value.message}`;
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    }
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
