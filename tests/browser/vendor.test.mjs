// The GraphiQL assets the Python package serves are the pinned npm files, byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const served = new URL('../../src/seg_graphql/web/static/graphiql/', import.meta.url);
const copies = {
  'react.production.min.js': 'react/umd/react.production.min.js',
  'react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.min.js': 'graphiql/graphiql.min.js',
  'graphiql.min.css': 'graphiql/graphiql.min.css',
  'plugin-explorer.umd.js': '@graphiql/plugin-explorer/dist/index.umd.js',
  'plugin-explorer.css': '@graphiql/plugin-explorer/dist/style.css',
};

for (const [file, source] of Object.entries(copies)) {
  test(`${file} is ${source} from the lockfile's version`, () => {
    const fromNpm = readFileSync(new URL(`node_modules/${source}`, import.meta.url));
    assert.ok(readFileSync(new URL(file, served)).equals(fromNpm));
  });
}
