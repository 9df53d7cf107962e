// Puts collected locals on the matching frames of an event. The collected frames come from the
// debugger at the `throw`; the event's frames come from `error.stack`, taken where the error was
// constructed, and may since have been moved to their TypeScript sources. So frames are matched
// newest first, in order, by function name or by compiled file and line, never by index alone.

import type { StackFrame } from '../../core/types.js';
import { compiledPositionOf } from '../source-maps.js';
import type { CollectedFrame } from './collector.js';

/** How far ahead in the event's frames a collected frame may be found (helper frames in between). */
const LOOKAHEAD = 5;

/** Sets `vars` on the in-app frames of `frames` (oldest first) that match `collected` (newest first). */
export function attachVars(frames: StackFrame[], collected: readonly CollectedFrame[]): number {
  let attached = 0;
  let next = frames.length - 1;
  for (const c of collected) {
    for (let i = next; i >= 0 && i >= next - LOOKAHEAD; i--) {
      const frame = frames[i]!;
      if (frame.in_app === false || !matches(frame, c)) continue;
      if (Object.keys(c.vars).length > 0) {
        // A copy: the event's vars are normalized and scrubbed; our stored object stays as it was.
        frame.vars = { ...c.vars };
        attached++;
      }
      next = i - 1;
      break;
    }
  }
  return attached;
}

function matches(frame: StackFrame, c: CollectedFrame): boolean {
  const compiled = compiledPositionOf(frame);
  const absPath = compiled?.absPath ?? frame.abs_path;
  const lineno = compiled?.lineno ?? frame.lineno;
  if (absPath === c.path && lineno === c.line) return true;
  const name = frame.raw_function ?? frame.function;
  if (!name || !c.functionName) return c.functionName === '' && (name === '?' || name === undefined) && absPath === c.path;
  return name === c.functionName || name.endsWith('.' + c.functionName);
}
