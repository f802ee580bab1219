// The graphql-http conformance audit (every MUST, SHOULD and MAY) against the live server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { serverAudits } from 'graphql-http';
import { fetchWithKey, url } from './server.mjs';

const tally = {};
after(() => {
  const line = Object.entries(tally)
    .map(([level, { ok, all }]) => `${level} ${ok}/${all}`)
    .join(', ');
  console.log(`graphql-http audit: ${line}`);
});

for (const { id, name, fn } of serverAudits({ url, fetchFn: fetchWithKey })) {
  test(`${id} ${name}`, async () => {
    const result = await fn();
    const level = name.split(' ')[0];
    tally[level] ??= { ok: 0, all: 0 };
    tally[level].all += 1;
    if (result.status === 'ok') tally[level].ok += 1;
    assert.equal(result.status, 'ok', `${result.reason ?? ''} ${JSON.stringify(result.response?.status ?? '')}`);
  });
}
