// Starts GraphiQL on this server's /graphql, with the key sent as a header.
(function () {
  var defaultQuery = [
    '# Your segments. Put your API key in the Headers tab first.',
    'query Segments {',
    '  segments(first: 10) {',
    '    totalCount',
    '    edges { node { id name type userCount } }',
    '  }',
    '}',
    '',
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: window.location.pathname }),
      defaultQuery: defaultQuery,
      defaultHeaders: '{"Authorization": "Bearer <your API key>"}',
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    })
  );
})();
