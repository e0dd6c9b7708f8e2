//! `todo_fargate_service` (placeholder while the real file is written).
use super::ClientSlot;
use crate::plugin::{
    Applied, Block, CallContext, Diagnostic, Diagnostics, Resource, Schema, Value,
};
use async_trait::async_trait;
use std::sync::Arc;
/// x
pub struct FargateService {
    _clients: Arc<ClientSlot>,
}
impl FargateService {
    /// x
    pub fn new(clients: Arc<ClientSlot>) -> Self {
        Self { _clients: clients }
    }
}
#[async_trait]
impl Resource for FargateService {
    fn type_name(&self) -> &'static str {
        "todo_fargate_service"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new("x"))
    }
    async fn create(&self, _p: &Value, _c: &CallContext) -> Applied {
        Applied::failed(None, Diagnostic::error("x", "x"))
    }
    async fn read(&self, _s: &Value, _c: &CallContext) -> Result<Option<Value>, Diagnostics> {
        Ok(None)
    }
    async fn update(&self, p: &Value, _q: &Value, _c: &CallContext) -> Applied {
        Applied::failed(Some(p.clone()), Diagnostic::error("x", "x"))
    }
    async fn delete(&self, _p: &Value, _c: &CallContext) -> Diagnostics {
        Diagnostics::new()
    }
    async fn import(&self, _i: &str, _c: &CallContext) -> Result<Value, Diagnostics> {
        Err(Diagnostic::error("x", "x").into())
    }
}
