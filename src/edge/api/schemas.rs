//! Response shapes with Langflow's exact field names.

use crate::db::users::User;
use crate::service::users::DEFAULT_OPTINS;
use serde::Serialize;
use serde_json::Value;

/// Langflow's UserRead. `create_at` (sic) is Langflow's name.
#[derive(Serialize)]
pub struct UserRead<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub profile_image: Option<&'a str>,
    pub store_api_key: Option<&'a str>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub create_at: &'a str,
    pub updated_at: &'a str,
    pub last_login_at: Option<&'a str>,
    pub optins: Value,
}

impl<'a> From<&'a User> for UserRead<'a> {
    fn from(user: &'a User) -> Self {
        let optins = user
            .optins
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_else(|| serde_json::from_str(DEFAULT_OPTINS).unwrap_or(Value::Null));
        UserRead {
            id: user.id.as_str(),
            username: &user.username,
            profile_image: user.profile_image.as_deref(),
            store_api_key: user.store_api_key.as_deref(),
            is_active: user.active(),
            is_superuser: user.superuser(),
            create_at: &user.create_at,
            updated_at: &user.updated_at,
            last_login_at: user.last_login_at.as_deref(),
            optins,
        }
    }
}

#[derive(Serialize)]
pub struct TokenPair<'a> {
    pub access_token: &'a str,
    pub refresh_token: &'a str,
    pub token_type: &'static str,
}
