//! The RPCs of ephemeral resources: ValidateEphemeralResourceConfig, OpenEphemeralResource,
//! RenewEphemeralResource and CloseEphemeralResource, over the
//! [`EphemeralResource`](super::super::ephemeral::EphemeralResource) trait.
//!
//! Open runs only on a wholly known configuration. Terraform (1.10 to 1.15) never sends it
//! another: for a configuration with unknown values it skips Validate and Open and computes the
//! unknown result itself. Should one arrive anyway, or should the resource say it cannot be
//! opened yet, the answer is what Terraform would compute: the configuration with its unset
//! computed attributes unknown. No deferral is answered: terraform-plugin-framework defers only
//! when the provider's own configuration asked for it, which this server never does.
//!
//! The results are secrets by nature: nothing here logs a result or private data.

use std::time::{SystemTime, UNIX_EPOCH};

use super::super::diag::{Diagnostic, Diagnostics};
use super::super::ephemeral::unknown_result;
use super::super::private::Private;
use super::super::proto::google::protobuf::Timestamp;
use super::convert::{decode, encode};
use super::handlers::{handler, validate};
use super::{EphemeralEntry, ProviderService, WithDiagnostics, lookup, pb};

impl ProviderService {
    fn ephemeral_resource(&self, type_name: &str) -> Result<&EphemeralEntry, Diagnostics> {
        lookup(
            &self.shared.ephemeral_resources,
            "ephemeral resource",
            type_name,
        )
    }

    /// OpenEphemeralResource: the encoded result, the private bytes and the renewal time.
    async fn open_ephemeral(
        &self,
        request: &pb::open_ephemeral_resource::Request,
    ) -> Result<(pb::DynamicValue, Option<Vec<u8>>, Option<Timestamp>), Diagnostics> {
        let entry = self.ephemeral_resource(&request.type_name)?;
        let config = decode(request.config.as_ref(), entry.ty(), "configuration")?;
        let opened = if config.is_wholly_known() {
            entry.implementation.open(&config, &self.context()).await?
        } else {
            None
        };
        let Some(opened) = opened else {
            crate::log_debug!(
                tf_resource_type = request.type_name,
                "ephemeral resource cannot be opened yet; answering an unknown result"
            );
            let result = unknown_result(&entry.schema().block, &config);
            return Ok((encode(result, entry.ty(), "result")?, None, None));
        };
        crate::log_debug!(
            tf_resource_type = request.type_name,
            renews = opened.renew_at.is_some(),
            "opened ephemeral resource"
        );
        let result = encode(opened.result, entry.ty(), "result")?;
        let renew_at = opened.renew_at.map(timestamp).transpose()?;
        Ok((result, private_bytes(&opened.private), renew_at))
    }

    /// RenewEphemeralResource: the private bytes and the next renewal time.
    async fn renew_ephemeral(
        &self,
        request: &pb::renew_ephemeral_resource::Request,
    ) -> Result<(Option<Vec<u8>>, Option<Timestamp>), Diagnostics> {
        let entry = self.ephemeral_resource(&request.type_name)?;
        let private = Private::from_bytes(request.private.as_deref().unwrap_or_default());
        let renewed = entry
            .implementation
            .renew(&private, &self.context())
            .await?;
        let renew_at = renewed.renew_at.map(timestamp).transpose()?;
        Ok((private_bytes(&renewed.private), renew_at))
    }
}

/// Private data for the wire: none when empty.
fn private_bytes(private: &Private) -> Option<Vec<u8>> {
    let bytes = private.to_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

/// A renewal time as a protobuf timestamp; an error for a time before 1970.
fn timestamp(time: SystemTime) -> Result<Timestamp, Diagnostics> {
    let since_epoch = time.duration_since(UNIX_EPOCH).map_err(|_| {
        Diagnostics::from(Diagnostic::error(
            "Provider produced an invalid renewal time",
            "The renewal time lies before 1970. This is a bug in the provider.",
        ))
    })?;
    Ok(Timestamp {
        seconds: i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since_epoch.subsec_nanos()).unwrap_or(0),
    })
}

// ValidateEphemeralResourceConfig: the attributes' validators, then the type's own checks.
handler!(validate_ephemeral_resource_config, |this, request| {
    let entry = this.ephemeral_resource(&request.type_name);
    let diagnostics = validate(entry, &request.config, |ephemeral, config| {
        ephemeral.validate(config)
    });
    pb::validate_ephemeral_resource_config::Response::with_diagnostics(diagnostics.await)
});

// OpenEphemeralResource: the result, private data for Renew and Close, and when to renew.
handler!(open_ephemeral_resource, |this, request| {
    let opened = this.open_ephemeral(&request).await;
    pb::open_ephemeral_resource::Response::from_result(
        opened,
        |response, (result, private, renew_at)| {
            response.result = Some(result);
            response.private = private;
            response.renew_at = renew_at;
        },
    )
});

// RenewEphemeralResource: new private data and the next renewal time, if any.
handler!(renew_ephemeral_resource, |this, request| {
    let renewed = this.renew_ephemeral(&request).await;
    pb::renew_ephemeral_resource::Response::from_result(renewed, |response, (private, at)| {
        response.private = private;
        response.renew_at = at;
    })
});

// CloseEphemeralResource: the resource releases what Open acquired.
handler!(close_ephemeral_resource, |this, request| {
    let diagnostics = match this.ephemeral_resource(&request.type_name) {
        Ok(entry) => {
            let private = Private::from_bytes(request.private.as_deref().unwrap_or_default());
            let ctx = this.context();
            entry.implementation.close(&private, &ctx).await
        }
        Err(d) => d,
    };
    pb::close_ephemeral_resource::Response::with_diagnostics(diagnostics)
});

#[cfg(test)]
mod tests;
