// Loader-thread half of count-modules.mjs: reports every file: URL that is actually loaded.
let port;
export function initialize(data) {
  port = data.port;
}
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) port.postMessage(url);
  return nextLoad(url, context);
}
