// Starts GraphiQL on this server's endpoints. The headers pane's values (Authorization) go on every HTTP
// request and, for subscriptions, into the WebSocket's connection_init payload, which is where the server
// reads the token: one WebSocket client per distinct set of headers.
(function () {
  var scheme = location.protocol === "https:" ? "wss:" : "ws:";
  var subscriptionUrl = scheme + "//" + location.host + "/graphql/ws";
  var fetchers = new Map();
  function fetcherFor(headers) {
    var key = JSON.stringify(headers || {});
    if (!fetchers.has(key)) {
      fetchers.set(
        key,
        GraphiQL.createFetcher({ url: "/graphql", subscriptionUrl: subscriptionUrl, wsConnectionParams: headers || {} })
      );
    }
    return fetchers.get(key);
  }
  function fetcher(params, options) {
    return fetcherFor(options && options.headers)(params, options);
  }
  var example = "# Add {\"Authorization\": \"Bearer <token>\"} in the headers pane below, then run:\n" +
    "{\n  me {\n    role\n    user { email name }\n    organization { name plan contactLimit contactCount }\n  }\n}\n";
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: example, isHeadersEditorEnabled: true, shouldPersistHeaders: true })
  );
})();
