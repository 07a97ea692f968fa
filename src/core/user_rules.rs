//! Who may do what to a user account (Langflow 1.13 §4.3–4.5), and what a username may be.
//! The edge layer loads the rows; these functions only decide.

/// Usernames are stored as given and matched exactly at login; uniqueness ignores ASCII case.
pub const USERNAME_MAX_CHARS: usize = 150;

pub fn check_username(username: &str) -> Result<(), &'static str> {
    if username.trim().is_empty() {
        return Err("Username cannot be empty.");
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err("Username must be at most 150 characters long.");
    }
    if username.chars().any(char::is_control) {
        return Err("Username cannot contain control characters.");
    }
    if username != username.trim() {
        return Err("Username cannot start or end with spaces.");
    }
    Ok(())
}

/// The authenticated caller, as far as permissions are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub is_superuser: bool,
}

/// Which fields a PATCH /users/{id} body sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatchFields {
    pub sets_password: bool,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
}

/// A refusal, with Langflow's status, `detail` and `X-Langflow-Error-Code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    DeactivateSelf,
    NotAdmin,
    PromoteNeedsSuperuser,
    PasswordNotHere,
    DeleteSelf,
    ReadOther,
}

impl Denied {
    pub fn status(self) -> u16 {
        match self {
            Denied::PasswordNotHere | Denied::DeleteSelf => 400,
            _ => 403,
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Denied::DeactivateSelf => "You can't deactivate your own user account",
            Denied::NotAdmin => "Permission denied",
            Denied::PromoteNeedsSuperuser => "Only a superuser may promote or demote platform superusers",
            Denied::PasswordNotHere => "You can't change your password here",
            Denied::DeleteSelf => "You can't delete your own user account",
            Denied::ReadOther => "Permission denied: user:manage is required.",
        }
    }

    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Denied::NotAdmin => Some("administration_denied"),
            Denied::PromoteNeedsSuperuser => Some("superuser_required"),
            _ => None,
        }
    }
}

/// PATCH /users/{id}, checked in Langflow's order.
pub fn check_patch(actor: Actor, target_id: &str, fields: PatchFields) -> Result<(), Denied> {
    let is_self = actor.id == target_id;
    if is_self && fields.is_active == Some(false) {
        return Err(Denied::DeactivateSelf);
    }
    if !actor.is_superuser && !is_self {
        return Err(Denied::NotAdmin);
    }
    if !actor.is_superuser && fields.is_superuser == Some(true) {
        return Err(Denied::PromoteNeedsSuperuser);
    }
    if !actor.is_superuser && fields.sets_password {
        return Err(Denied::PasswordNotHere);
    }
    Ok(())
}

/// GET /users/{id}: yourself, or anyone if you are a superuser.
pub fn check_read(actor: Actor, target_id: &str) -> Result<(), Denied> {
    if actor.is_superuser || actor.id == target_id {
        Ok(())
    } else {
        Err(Denied::ReadOther)
    }
}

/// DELETE /users/{id}: superusers only, never yourself.
pub fn check_delete(actor: Actor, target_id: &str) -> Result<(), Denied> {
    if !actor.is_superuser {
        return Err(Denied::NotAdmin);
    }
    if actor.id == target_id {
        return Err(Denied::DeleteSelf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: Actor = Actor { id: "admin", is_superuser: true };
    const ALICE: Actor = Actor { id: "alice", is_superuser: false };

    #[test]
    fn usernames() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("Zoë 東京").is_ok());
        assert!(check_username("robert'); DROP TABLE user;--").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("   ").is_err());
        assert!(check_username(" alice").is_err());
        assert!(check_username("al\u{0}ice").is_err());
        assert!(check_username("al\nice").is_err());
        assert!(check_username(&"a".repeat(150)).is_ok());
        assert!(check_username(&"a".repeat(151)).is_err());
    }

    #[test]
    fn a_normal_user_cannot_escalate() {
        let promote = PatchFields { is_superuser: Some(true), ..Default::default() };
        assert_eq!(check_patch(ALICE, "alice", promote), Err(Denied::PromoteNeedsSuperuser));
        assert_eq!(check_patch(ALICE, "bob", PatchFields::default()), Err(Denied::NotAdmin));
        let password = PatchFields { sets_password: true, ..Default::default() };
        assert_eq!(check_patch(ALICE, "alice", password), Err(Denied::PasswordNotHere));
        assert_eq!(check_read(ALICE, "bob"), Err(Denied::ReadOther));
        assert_eq!(check_delete(ALICE, "bob"), Err(Denied::NotAdmin));
        assert_eq!(check_delete(ALICE, "alice"), Err(Denied::NotAdmin));
    }

    #[test]
    fn a_user_may_edit_their_own_profile() {
        assert_eq!(check_patch(ALICE, "alice", PatchFields::default()), Ok(()));
        let activate = PatchFields { is_active: Some(true), is_superuser: Some(false), ..Default::default() };
        assert_eq!(check_patch(ALICE, "alice", activate), Ok(()));
        assert_eq!(check_read(ALICE, "alice"), Ok(()));
    }

    #[test]
    fn admins_manage_others_but_not_deactivate_or_delete_themselves() {
        let all = PatchFields { sets_password: true, is_active: Some(false), is_superuser: Some(true) };
        assert_eq!(check_patch(ADMIN, "alice", all), Ok(()));
        let deactivate = PatchFields { is_active: Some(false), ..Default::default() };
        assert_eq!(check_patch(ADMIN, "admin", deactivate), Err(Denied::DeactivateSelf));
        assert_eq!(check_patch(ALICE, "alice", deactivate), Err(Denied::DeactivateSelf));
        assert_eq!(check_delete(ADMIN, "admin"), Err(Denied::DeleteSelf));
        assert_eq!(check_delete(ADMIN, "alice"), Ok(()));
        assert_eq!(check_read(ADMIN, "alice"), Ok(()));
        assert_eq!(Denied::NotAdmin.error_code(), Some("administration_denied"));
    }

    mod properties {
        use super::*;
        use crate::core::test_support::interesting_text;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn accepted_usernames_are_clean(name in prop_oneof![any::<String>(), interesting_text(20), "[a-z ]{140,160}"]) {
                if check_username(&name).is_ok() {
                    let chars = name.chars().count();
                    prop_assert!((1..=USERNAME_MAX_CHARS).contains(&chars));
                    prop_assert!(!name.chars().any(char::is_control) && name.trim() == name);
                }
            }
        }
    }
}
