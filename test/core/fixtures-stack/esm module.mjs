// An ES module whose path needs percent-encoding: V8 prints its frames as `file:///…%20…` URLs.
export function esmStack() {
  try {
    throw new Error('from an ES module');
  } catch (error) {
    return error.stack;
  }
}
