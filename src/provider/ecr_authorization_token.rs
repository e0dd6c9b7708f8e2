//! `todo_ecr_authorization_token` (ephemeral resource): a registry login from ECR's
//! GetAuthorizationToken, for `docker login` in a provisioner or for another provider's
//! configuration, without the token ever reaching the state or a plan file.
//!
//! ECR's token is `base64("AWS:<password>")` and lives 12 hours, longer than any Terraform
//! run, so the resource is opened once per plan or apply and never renewed (Renew answers
//! without renewing), and there is nothing to release on close. Neither the token nor the
//! password is logged, nor put into an error message.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecr::types::AuthorizationData;
use aws_smithy_types::date_time::Format;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::ClientSlot;
use super::aws_error::{CallError, call};
use super::config::AwsClients;
use crate::plugin::model::{from_value, to_value};
use crate::plugin::{
    Attribute, Block, CallContext, Diagnostic, Diagnostics, EphemeralResource, Opened, Schema,
    Type, Validator, Value,
};

/// The ephemeral resource's type name.
pub const TYPE_NAME: &str = "todo_ecr_authorization_token";

/// The `todo_ecr_authorization_token` ephemeral resource.
pub struct EcrAuthorizationToken {
    clients: Arc<ClientSlot>,
}

impl EcrAuthorizationToken {
    /// The ephemeral resource, using the provider's shared clients.
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { clients }
    }
}

fn schema() -> Schema {
    Schema::new(
        Block::new(
            "A login for an ECR registry (ECR's GetAuthorizationToken): the registry's endpoint, \
             the user name and password for `docker login`, and the token they come from. An \
             ephemeral resource (Terraform 1.10 or later): the values can feed a provisioner, a \
             provider block, an ephemeral local or variable, or a write-only argument, and are \
             never stored in the state or a plan file. The token is valid for 12 hours.",
        )
        .attribute(
            Attribute::optional("registry_id", Type::String)
                .validate(Validator::Pattern {
                    regex: r"^[0-9]{12}$",
                    meaning: "an AWS account ID (12 digits)",
                })
                .subject("registry ID")
                .describe(
                    "The registry (account) whose endpoint to answer; the caller's account when \
                     unset. The token itself opens every registry the credentials may use.",
                ),
        )
        .attribute(
            Attribute::computed("proxy_endpoint", Type::String)
                .describe("The registry's endpoint, such as `https://123456789012.dkr.ecr.eu-central-1.amazonaws.com`."),
        )
        .attribute(
            Attribute::computed("user_name", Type::String)
                .describe("The user name for `docker login` (`AWS`)."),
        )
        .attribute(
            Attribute::computed("password", Type::String)
                .sensitive()
                .describe("The password for `docker login --password-stdin`."),
        )
        .attribute(
            Attribute::computed("authorization_token", Type::String)
                .sensitive()
                .describe("The base64 token ECR answered: `user_name:password` encoded."),
        )
        .attribute(
            Attribute::computed("expires_at", Type::String)
                .describe("When the token expires, in RFC 3339 (UTC)."),
        ),
    )
}

/// The configuration.
#[derive(Debug, Deserialize)]
struct TokenConfig {
    registry_id: Option<String>,
}

/// The result. No `Debug`: it holds the password.
#[derive(Serialize)]
struct TokenResult {
    registry_id: Option<String>,
    proxy_endpoint: Option<String>,
    user_name: String,
    password: String,
    authorization_token: String,
    expires_at: Option<String>,
}

/// The user name and password an authorization token encodes.
#[derive(PartialEq, Eq)]
pub struct RegistryCredentials {
    /// The user name (`AWS` for ECR).
    pub user_name: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCredentials")
            .field("user_name", &self.user_name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why an authorization token could not be read. The messages never quote the token.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not base64.
    #[error("the authorization token is not base64")]
    NotBase64,
    /// The decoded token is not UTF-8 text.
    #[error("the decoded authorization token is not UTF-8 text")]
    NotText,
    /// The decoded token has no `:` between user name and password.
    #[error("the decoded authorization token is not `<user name>:<password>`")]
    NoSeparator,
}

/// Decodes an ECR authorization token, `base64("<user name>:<password>")`.
pub fn decode_token(token: &str) -> Result<RegistryCredentials, TokenError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| TokenError::NotBase64)?;
    let text = String::from_utf8(bytes).map_err(|_| TokenError::NotText)?;
    let (user_name, password) = text.split_once(':').ok_or(TokenError::NoSeparator)?;
    if user_name.is_empty() || password.is_empty() {
        return Err(TokenError::NoSeparator);
    }
    Ok(RegistryCredentials {
        user_name: user_name.to_owned(),
        password: password.to_owned(),
    })
}

/// The result built from ECR's authorization data.
fn token_result(
    registry_id: Option<String>,
    data: &AuthorizationData,
) -> Result<TokenResult, Diagnostics> {
    let unreadable = |detail: String| {
        Diagnostics::from(Diagnostic::error(
            "Unreadable ECR authorization token",
            format!(
                "{detail}. ECR (or the endpoint standing in for it) answered an unusable token."
            ),
        ))
    };
    let token = data
        .authorization_token()
        .ok_or_else(|| unreadable("ECR answered no authorization token".to_owned()))?;
    let credentials = decode_token(token).map_err(|e| unreadable(e.to_string()))?;
    let expires_at = data
        .expires_at()
        .map(|at| at.fmt(Format::DateTime))
        .transpose()
        .map_err(|e| {
            unreadable(format!(
                "the expiry time cannot be written as RFC 3339: {e}"
            ))
        })?;
    Ok(TokenResult {
        registry_id,
        proxy_endpoint: data.proxy_endpoint().map(str::to_owned),
        user_name: credentials.user_name,
        password: credentials.password,
        authorization_token: token.to_owned(),
        expires_at,
    })
}

/// Asks ECR for an authorization token for `registry_id` (the caller's registry when `None`).
async fn authorization_data(
    clients: &AwsClients,
    registry_id: Option<&str>,
    ctx: &CallContext,
) -> Result<Option<AuthorizationData>, CallError> {
    // ECR deprecated `registryIds`: the token opens every registry the credentials may use
    // whatever is asked. It still chooses the registry whose proxy endpoint is answered.
    #[allow(deprecated)]
    let request = clients
        .ecr
        .get_authorization_token()
        .set_registry_ids(registry_id.map(|id| vec![id.to_owned()]));
    let output = call(ctx, "ecr:GetAuthorizationToken", request.send()).await?;
    Ok(output.authorization_data().first().cloned())
}

#[async_trait]
impl EphemeralResource for EcrAuthorizationToken {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn open(&self, config: &Value, ctx: &CallContext) -> Result<Option<Opened>, Diagnostics> {
        let Some(clients) = self.clients.if_known()? else {
            return Ok(None);
        };
        let config: TokenConfig = from_value(config)?;
        let registry_id = config.registry_id;
        let data = authorization_data(clients, registry_id.as_deref(), ctx)
            .await
            .map_err(|e| Diagnostics::from(e.diagnostic("Cannot get an ECR authorization token")))?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Cannot get an ECR authorization token",
                    "ecr:GetAuthorizationToken answered no authorization data.",
                ))
            })?;
        let result = token_result(registry_id, &data)?;
        crate::log_debug!(
            registry_id = ?result.registry_id,
            proxy_endpoint = ?result.proxy_endpoint,
            expires_at = ?result.expires_at,
            "obtained an ECR authorization token"
        );
        Ok(Some(Opened::new(to_value(&result)?)))
    }
}

#[cfg(test)]
mod tests;
