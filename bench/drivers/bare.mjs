// A process that loads nothing and sends nothing: the baseline for wall time and memory.
export function init() {}
export const captureException = () => undefined;
export const captureMessage = () => undefined;
export const flush = async () => true;
export const close = async () => true;
