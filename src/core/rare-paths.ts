// Paths a hot function takes only now and then (a timestamp's text once a second, a pool refill,
// a memory reading once a second) are also taken on the function's first calls.
//
// V8 records type feedback for a function only after its first calls, and its optimizing compiler
// turns every operation it has no feedback for into an exit from the optimized code. A path taken
// only on the very first call had none, so its next run, after optimization, threw the optimized
// code away (with whatever it was inlined into) and it was compiled again: for the envelope code,
// 20–35 ms of compiling once per process. test/core/rare-paths.test.ts checks each such path.

/** How many first calls take the rare path too: enough to run it after feedback collection starts. */
export const RARE_PATH_FIRST_CALLS = 16;
