//! `/graphql/ws`: subscriptions over graphql-transport-ws (and the older graphql-ws protocol).

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    response::Response,
};

use crate::{auth::authenticate, graphql::loaders::Loaders, state::AppState, visibility::Visible};

/// GraphQL subscriptions over graphql-transport-ws. The token travels in the `connection_init`
/// payload as `{"Authorization": "Bearer ..."}`; a bad token closes the connection.
pub async fn ws_handler(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.ws.clone();
    upgrade.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |stream| {
        GraphQLWebSocket::new(stream, schema, protocol)
            .on_connection_init(move |payload| connection_init(state, payload))
            .serve()
    })
}

async fn connection_init(state: AppState, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let mut data = Data::default();
    let header = payload.get("Authorization").or_else(|| payload.get("authorization")).and_then(|v| v.as_str());
    if let Some(header) = header {
        let actor = authenticate(&state.lookups, &state.jwt, header).await?;
        // A subscription lives on while the actor's rights change; every contact it delivers is read again
        // with the refreshed actor (`events::graphql`), so its loaders cover the organization.
        data.insert(Loaders::new(&state.lookups, Visible::system(actor.organization_id())));
        data.insert(actor);
    }
    Ok(data)
}
