//! terraform-provider-todo: a Terraform provider, written in Rust, that manages an ECR
//! repository apart from the deployment and an ECS Fargate service whose image tag (the short
//! git SHA) is an input at apply time.
//!
//! Two layers, one direction of dependency:
//! - [`plugin`]: the Terraform plugin protocol (handshake, mutual TLS, gRPC, cty values,
//!   schemas, diagnostics, planning rules). It knows nothing of AWS.
//! - [`provider`]: the `todo` provider's resources and data sources over the AWS SDK. It knows
//!   nothing of wire formats.

#![warn(missing_docs)]

pub mod plugin;
pub mod provider;
