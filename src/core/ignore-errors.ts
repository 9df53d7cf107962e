import { debugLog } from './debug-log.js';

/**
 * `ignoreErrors`: strings match as substrings of `Type: message` (or of a message), RegExps as
 * patterns. Compiled once at init into a single test function.
 */
export function createIgnoreMatcher(rules: ReadonlyArray<string | RegExp>): (text: string) => boolean {
  const substrings: string[] = [];
  const patterns: RegExp[] = [];
  for (const rule of rules) {
    if (typeof rule === 'string') substrings.push(rule);
    else if (rule instanceof RegExp) patterns.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
    else debugLog.warn('ignoreErrors: entries must be strings or RegExps; one was ignored');
  }
  return (text: string) => {
    for (const s of substrings) if (text.includes(s)) return true;
    for (const p of patterns) if (p.test(text)) return true;
    return false;
  };
}
