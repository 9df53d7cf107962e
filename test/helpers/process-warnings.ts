// The names of the process warnings (TimeoutOverflowWarning, …) emitted while `body` runs: the SDK
// must not make the app's process print any.
export async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const names: string[] = [];
  const onWarning = (warning: Error) => names.push(warning.name);
  process.on('warning', onWarning);
  try {
    await body();
    // Warnings are emitted on the next tick after the call that caused them.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return names;
}
