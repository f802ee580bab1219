// GraphiQL and CORS in a real browser (Debian's Chromium driven by playwright-core) against
// the live server: the page and its assets come from the server itself, the docs list the
// schema, a query shows data; a page on another origin may call the API only when its origin
// is in SEG_CORS_ORIGINS.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { fetchWithKey, key, url } from './server.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = process.env.SCREENSHOT_DIR ?? '/tmp';
const allowedOrigin = process.env.SEG_ALLOWED_ORIGIN; // listed in the server's SEG_CORS_ORIGINS
let browser;

before(async () => {
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const created = await fetchWithKey(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation { createSegment(input: {name: "Seen in GraphiQL", matchAll: true}) { userErrors { message } } }',
    }),
  });
  assert.equal(created.status, 200);
});
after(async () => browser?.close());

test('GraphiQL loads from the server alone and shows where the key goes', async () => {
  const page = await browser.newPage();
  const requested = [];
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(url);
  await page.getByText('Bearer <your API key>').first().waitFor();
  await page.locator('.graphiql-editor-tool').getByText('Authorization').waitFor();
  await page.screenshot({ path: `${screenshots}/graphiql-first-visit.png` });
  const foreign = requested.filter((u) => new URL(u).host !== new URL(url).host);
  assert.deepEqual(foreign, [], 'every request goes to the server itself');
  assert.ok(requested.some((u) => u.endsWith('/graphiql/graphiql.min.js')));
  await page.close();
});

test('with a key, the docs list Segment and a query shows data', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // what a person does in the Headers tab, stored where GraphiQL keeps it
  await context.addInitScript((headers) => {
    if (!localStorage.getItem('graphiql:headers')) localStorage.setItem('graphiql:headers', headers);
  }, JSON.stringify({ Authorization: `Bearer ${key}` }));
  const page = await context.newPage();
  const requested = [];
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(url);
  await page.getByRole('button', { name: /documentation explorer/i }).click();
  await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
  await page.locator('.graphiql-doc-explorer-search-input input, .graphiql-doc-explorer-search input').first().fill('Segment');
  await page.locator('.graphiql-doc-explorer').getByText('Segment', { exact: true }).first().waitFor();
  await page.getByRole('button', { name: /execute query/i }).click();
  await page
    .locator('.result-window')
    .getByText('Seen in GraphiQL')
    .first()
    .waitFor()
    .catch(async (error) => {
      await page.screenshot({ path: `${screenshots}/graphiql-query-failed.png` });
      throw error;
    });
  await page.screenshot({ path: `${screenshots}/graphiql-query.png` });
  const result = await page.locator('.result-window').innerText();
  assert.match(result, /"totalCount": \d+/);
  const foreign = requested.filter((u) => new URL(u).host !== new URL(url).host);
  assert.deepEqual(foreign, []);
  await context.close();
});

/** A page on another origin (its own port) that calls the API with the key, as an app would. */
async function callFromOrigin(port) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    const outcome = await page.evaluate(
      async ({ url, key }) => {
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ viewer { tenant } }' }),
          });
          return { status: response.status, body: await response.json() };
        } catch (error) {
          return { blocked: String(error) };
        }
      },
      { url, key },
    );
    return { origin, outcome };
  } finally {
    await page.close();
    server.close();
  }
}

test('CORS: a configured origin may call the API', async () => {
  assert.ok(allowedOrigin, 'SEG_ALLOWED_ORIGIN names an origin listed in SEG_CORS_ORIGINS');
  const { outcome } = await callFromOrigin(Number(new URL(allowedOrigin).port));
  assert.equal(outcome.status, 200, JSON.stringify(outcome));
  assert.ok(outcome.body.data.viewer.tenant);
});

test('CORS: any other origin is blocked by the browser', async () => {
  const { origin, outcome } = await callFromOrigin(0);
  assert.notEqual(origin, allowedOrigin);
  assert.match(outcome.blocked ?? '', /Failed to fetch/, JSON.stringify(outcome));
});
