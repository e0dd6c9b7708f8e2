//! Which task definition revisions a `todo_fargate_service` owns: the ones it registered
//! itself, recorded in its private state. Destroy deregisters those and nothing else, so a
//! revision that another service, another environment or a person registered in the same
//! family is never touched.
//!
//! States written before the record existed (provider versions up to 0.x with schema version
//! 0) carry no record: for them the revision the state names is the one the resource
//! registered, as those versions registered every revision they ran. An imported service
//! starts with an empty record: it owns nothing until it registers a revision.

use serde::{Deserialize, Serialize};

use crate::plugin::{Diagnostic, Diagnostics, Private};

/// The private state key of the record.
const KEY: &str = "registered_revisions";

/// The task definition revisions (ARNs) a service registered and has not deregistered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct RegisteredRevisions(Vec<String>);

impl RegisteredRevisions {
    /// The record in `private`; `None` when the state predates it.
    pub fn read(private: &Private) -> Result<Option<Self>, Diagnostics> {
        private.get(KEY).map_err(|error| {
            Diagnostic::error("Unreadable private state", error.to_string()).into()
        })
    }

    /// The revisions a resource owns: its record, or for a state without one, the revision
    /// the state names (`running`).
    pub fn owned(private: &Private, running: Option<&str>) -> Result<Self, Diagnostics> {
        Ok(Self::read(private)?
            .unwrap_or_else(|| Self(running.map(str::to_owned).into_iter().collect())))
    }

    /// Adds a revision the resource just registered.
    pub fn record(&mut self, arn: &str) {
        if !self.0.iter().any(|known| known == arn) {
            self.0.push(arn.to_owned());
        }
    }

    /// Drops a revision the resource deregistered.
    pub fn forget(&mut self, arn: &str) {
        self.0.retain(|known| known != arn);
    }

    /// The ARNs, oldest first.
    pub fn arns(&self) -> &[String] {
        &self.0
    }

    /// `private` with this record in it.
    pub fn store(&self, mut private: Private) -> Private {
        if let Err(error) = private.set(KEY, self) {
            // A list of strings always serializes; keep the old record rather than fail.
            crate::log_error!(%error, "cannot record the registered revisions");
        }
        private
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:ecs:us-east-1:000000000000:task-definition/prod-api:1";
    const B: &str = "arn:aws:ecs:us-east-1:000000000000:task-definition/prod-api:2";

    #[test]
    fn a_state_without_a_record_owns_only_the_revision_it_names() {
        let legacy = Private::default();
        let owned = RegisteredRevisions::owned(&legacy, Some(A)).unwrap();
        assert_eq!(owned.arns(), [A]);
        assert!(
            RegisteredRevisions::owned(&legacy, None)
                .unwrap()
                .arns()
                .is_empty()
        );
    }

    #[test]
    fn an_empty_record_owns_nothing_even_with_a_running_revision() {
        // An imported service: the running revision belongs to whoever registered it.
        let imported = RegisteredRevisions::default().store(Private::default());
        let owned = RegisteredRevisions::owned(&imported, Some(A)).unwrap();
        assert!(owned.arns().is_empty());
    }

    #[test]
    fn registered_revisions_are_recorded_once_and_forgotten_when_deregistered() {
        let mut record = RegisteredRevisions::default();
        record.record(A);
        record.record(B);
        record.record(A);
        let private = record.store(Private::default());
        let read = Private::from_bytes(&private.to_bytes());
        let mut owned = RegisteredRevisions::owned(&read, Some("other")).unwrap();
        assert_eq!(owned.arns(), [A, B]);
        owned.forget(A);
        assert_eq!(owned.arns(), [B]);
    }
}
