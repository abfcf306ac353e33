//! Who a request acts as. Tokens are checked strictly; the user, organization and role behind a token
//! are read from the database, or from this server's copy while the database has announced no change to
//! them (`cache`), so a deactivated or demoted user loses access at once.

mod actor;
pub mod api_token;
mod cache;
mod jwt;
mod password;

pub use actor::{Actor, ViewerScope};
pub use cache::ActorCache;
pub use jwt::{Claims, JwtKeys};
pub use password::{hash_password, verify_password};

use sea_orm::ConnectionTrait;

use crate::error::{ApiError, ApiResult};

/// Turns an `Authorization` header value into an actor. A header that is present but wrong is an
/// error, never a silent fall-back to anonymous.
pub async fn authenticate(db: &impl ConnectionTrait, keys: &JwtKeys, header: &str) -> ApiResult<Actor> {
    authenticate_with(db, keys, None, header).await
}

/// `authenticate` through the actors this server holds (`ActorCache`): a token seen recently, whose
/// organization has not changed since, is not read again.
pub async fn authenticate_cached(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    cache: &ActorCache,
    header: &str,
) -> ApiResult<Actor> {
    authenticate_with(db, keys, Some(cache), header).await
}

async fn authenticate_with(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    cache: Option<&ActorCache>,
    header: &str,
) -> ApiResult<Actor> {
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthenticated("Expected `Authorization: Bearer <token>`".into()))?;
    if token.starts_with(api_token::PREFIX) {
        return Ok(Actor::integration(api_token::by_secret(db, token).await?));
    }
    if let Some(actor) = cache.and_then(|c| c.get(token)) {
        return Ok(actor);
    }
    let generation = cache.map(ActorCache::generation);
    let claims = keys.verify(token)?;
    let actor = Actor::load(db, &claims).await?;
    if let (Some(cache), Some(generation)) = (cache, generation) {
        cache.put(token, &actor, claims.exp, generation);
    }
    Ok(actor)
}
