// Async native calls lose the JS stack; capture it before the call so a native error points at the caller.
export async function callNative<T>(what: string, start: () => Promise<T>): Promise<T> {
  const site = new Error(`native ${what} failed`);
  try {
    return await start();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const err = new Error(`native ${what} failed: ${message}`, { cause: e });
    err.stack = `${err.name}: ${err.message}\n${(site.stack ?? '').split('\n').slice(1).join('\n')}`;
    throw err;
  }
}
