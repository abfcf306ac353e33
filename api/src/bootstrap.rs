//! Creating an organization with its default funnel and first owner: the `bootstrap` command, and the
//! demo organization a fresh development server makes for itself.

use entity::{enums::PlanTier, enums::UserRole, organization, user};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, TransactionSession, TransactionTrait};

use crate::{
    auth::JwtKeys,
    db::begin_write,
    error::ApiResult,
    organizations, pipeline,
    users::service::{self as users, NewUser, Session},
};

pub struct BootstrapInput {
    pub organization_name: String,
    pub owner_email: String,
    pub owner_name: String,
    /// Generated (and reported once) when not given.
    pub password: Option<String>,
    pub plan: PlanTier,
    pub default_country: String,
}

pub struct Bootstrapped {
    pub organization: organization::Model,
    pub owner: user::Model,
    /// Set when the password was generated here.
    pub generated_password: Option<String>,
    pub session: Session,
}

/// Creates an organization, its default pipeline stages and its owner in one transaction.
pub async fn bootstrap<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &JwtKeys,
    input: BootstrapInput,
) -> ApiResult<Bootstrapped> {
    let generated_password = input.password.is_none().then(generate_password);
    let password = input.password.or_else(|| generated_password.clone());
    let txn = begin_write(db).await?;
    let organization =
        organizations::service::create(&txn, &input.organization_name, input.plan, &input.default_country).await?;
    pipeline::service::create_default_stages(&txn, organization.id).await?;
    let owner = users::insert(
        &txn,
        organization.id,
        NewUser {
            email: input.owner_email,
            name: input.owner_name,
            role: UserRole::Owner,
            password,
            viewer_agent_ids: None,
        },
    )
    .await?;
    txn.commit().await?;
    let session = users::session_for(db, keys, owner.clone()).await?;
    Ok(Bootstrapped { organization, owner, generated_password, session })
}

/// In development, an empty database gets a demo organization so the first `cargo run` can be used
/// at once. Returns `None` when any organization exists already.
pub async fn ensure_demo<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &JwtKeys,
) -> ApiResult<Option<Bootstrapped>> {
    if organization::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let input = BootstrapInput {
        organization_name: "Demo Realty".into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Demo Owner".into(),
        password: None,
        plan: PlanTier::Scale,
        default_country: "CR".into(),
    };
    bootstrap(db, keys, input).await.map(Some)
}

fn generate_password() -> String {
    // 96 random bits, readable enough to type once.
    let raw = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}-{}", &raw[0..8], &raw[8..16], &raw[16..24])
}
