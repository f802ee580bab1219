// Where the live server is: CI (.ci/run) starts `seg-graphql serve` and passes these.
export const url = process.env.SEG_URL ?? 'http://127.0.0.1:8000/graphql';
export const key = process.env.SEG_KEY ?? '';
if (!process.env.SEG_URL || !key) {
  throw new Error('set SEG_URL (the /graphql URL of a live seg-graphql serve) and SEG_KEY');
}

/** fetch with the API key, as any client of this server sends it. */
export function fetchWithKey(input, init = {}) {
  const headers = new Headers(init.headers ?? {});
  headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers });
}
