//! `POST /api/v1/admin/rotate-secret-key`: re-encrypts every stored secret under the current
//! `LANGFLOW_SECRET_KEY` (`service::secrets`).

use super::error::ApiResult;
use super::json;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::auth::Principal;
use crate::service::{secrets, Services};
use serde_json::json;
use worker::Response;

pub async fn rotate_secret_key(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    _: &Params<'_>,
) -> ApiResult<Response> {
    let report = secrets::rotate(services, &req.call(), &principal.as_superuser()?).await?;
    let changed: serde_json::Map<String, serde_json::Value> =
        report.changed.iter().map(|(column, n)| (column.to_string(), (*n).into())).collect();
    json(
        200,
        &json!({
            "changed": changed, "total_changed": report.total_changed, "undecryptable": report.undecryptable,
            "complete": report.complete,
        }),
    )
}
