// Apollo Client with its persisted-query link, from Node, against the live server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { fetchWithKey, url } from './server.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** A client whose every HTTP request is recorded (method, and whether the query text went). */
function client({ useGETForHashedQueries = false } = {}) {
  const sent = [];
  const recordingFetch = async (input, init) => {
    const request = new URL(String(input));
    const body = init.body ? JSON.parse(init.body) : Object.fromEntries(request.searchParams);
    const response = await fetchWithKey(input, init);
    sent.push({ method: init.method, withQuery: 'query' in body, status: response.status });
    return response;
  };
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch }),
  );
  return { apollo: new ApolloClient({ link, cache: new InMemoryCache() }), sent };
}

// A query no other test sends, so its hash is unknown to the server at first.
const unique = `apq${Date.now()}`;
const SEGMENTS = gql`
  query ${unique}($first: Int!) {
    segments(first: $first) {
      totalCount
      edges { node { id name } }
    }
  }
`;

test('an unknown hash is answered PERSISTED_QUERY_NOT_FOUND, the link recovers, the hash then works', async () => {
  const first = client();
  const { data } = await first.apollo.query({ query: SEGMENTS, variables: { first: 5 } });
  assert.equal(typeof data.segments.totalCount, 'number');
  assert.deepEqual(
    first.sent.map((s) => s.withQuery),
    [false, true],
    'hash alone (not found), then hash + query',
  );

  const second = client(); // a fresh client: its first request is the hash alone, and it works
  const again = await second.apollo.query({ query: SEGMENTS, variables: { first: 5 } });
  assert.deepEqual(again.data, data);
  assert.deepEqual(second.sent.map((s) => s.withQuery), [false]);
});

test('GET with the hash alone works once the query is known (cacheable by a CDN)', async () => {
  const viaGet = client({ useGETForHashedQueries: true });
  const { data } = await viaGet.apollo.query({ query: SEGMENTS, variables: { first: 2 } });
  assert.ok(data.segments);
  assert.deepEqual(viaGet.sent, [{ method: 'GET', withQuery: false, status: 200 }]);
});

test('a query sent with a hash that is not its own is refused', async () => {
  const response = await fetchWithKey(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: '{ viewer { tenant } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } },
    }),
  });
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.errors[0].extensions.code, 'PERSISTED_QUERY_HASH_MISMATCH');
});
