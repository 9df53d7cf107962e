// Who may send a stored envelope. Several processes (workers of one app, a CLI beside a server,
// concurrent test runs) can share one outbox folder, because the folder is per DSN. Without a
// rule, a process starting up would resend the envelopes a live sibling is sending right now, and
// the server would get them twice. The rule:
//
// - an envelope belongs to the process whose pid is in its file name while that process lives;
// - a process takes over (adopts) the envelopes of dead processes, and those a previous
//   incarnation with its own pid left (a restarted container is often pid 1 again), by renaming
//   the file to a name of its own: rename is atomic, so of two processes adopting at once exactly
//   one wins, and the loser sees the file gone;
// - within one process, several outboxes (init, close, init again) share a registry of the names
//   held by a live outbox, so the second never takes what the first is still sending. When an
//   outbox closes, what it still holds goes to the folder's live outbox (handOver), at once or,
//   for an envelope in flight, once its request has ended. A segment file goes once none of its
//   envelopes is in flight, with the indexes of those still to send: the ones already delivered
//   stay in the file (it is deleted only when all are done) and must not be sent again.
//
// Limitation: if the OS gives a dead process's pid to an unrelated live process, that process's
// envelopes wait until it ends (or a process with that pid starts faultline). Pids are recycled
// slowly on Linux (pid_max is 4 million on 64-bit systems), so this is rare and delays, never loses.

const held = new Set<string>();

/**
 * Segment files let go with no live outbox to take them -> the indexes of their envelopes still
 * to send, for the next outbox of this process that loads the folder (another process, or this
 * one after a crash, sends the whole file: at-least-once).
 */
const leftovers = new Map<string, readonly number[]>();

/** An outbox that can take over an envelope file another outbox of this process let go. */
export interface Adopter {
  /** `only`: for a segment, the indexes of the envelopes still to send (all when undefined). */
  adopt(name: string, only?: readonly number[]): void;
}
/** The newest open outbox per folder: a closing one hands its leftovers to it. */
const live = new Map<string, Adopter>();

export function registerLive(directory: string, outbox: Adopter): void {
  live.set(directory, outbox);
}

export function unregisterLive(directory: string, outbox: Adopter): void {
  if (live.get(directory) === outbox) live.delete(directory);
}

/**
 * A closed outbox lets go of a stored envelope: the folder's live outbox takes it now; with none,
 * the name is released for the next outbox's loader.
 */
export function handOver(directory: string, name: string, only?: readonly number[]): void {
  const next = live.get(directory);
  if (next) return next.adopt(name, only);
  if (only) leftovers.set(name, only);
  held.delete(name);
}

/** What handOver left of a segment file for the loader that adopts it (undefined: all of it). */
export function takeLeftover(name: string): readonly number[] | undefined {
  const only = leftovers.get(name);
  leftovers.delete(name);
  return only;
}

/** The pid written into an envelope's name (`<ms>-<pid>-<seq>-<random>.envelope`), or NaN. */
export function pidOf(name: string): number {
  const parts = name.split('-');
  return parts.length >= 4 ? Number(parts[1]) : Number.NaN;
}

/** Signal 0 checks existence without signalling; EPERM means it exists but is not ours. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** May this process adopt a file it found in the folder (it did not write it in this outbox)? */
export function mayAdopt(name: string): boolean {
  if (held.has(name)) return false;
  const pid = pidOf(name);
  if (!Number.isInteger(pid) || pid <= 0) return true; // a name without a valid owner: anyone's
  return pid === process.pid || !isAlive(pid);
}

/** Marks a name as held by a live outbox of this process. */
export function hold(name: string): void {
  held.add(name);
}

export function release(name: string): void {
  held.delete(name);
}
