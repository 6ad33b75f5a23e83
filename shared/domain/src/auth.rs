//! Who may call what: roles, and the match between a verified token's tenant and account and
//! the request's headers. Verifying the token itself is the HTTP edge's (`payments-http`).

use crate::error::{AccessDenied, Error};
use crate::ids::TenantScope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    TransactionRead,
    TransactionWrite,
    Admin,
    BridgeRead,
    BridgeWrite,
    MandateRead,
    MandateWrite,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::TransactionRead,
        Role::TransactionWrite,
        Role::Admin,
        Role::BridgeRead,
        Role::BridgeWrite,
        Role::MandateRead,
        Role::MandateWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::TransactionRead => "tenant-transaction-read",
            Role::TransactionWrite => "tenant-transaction-write",
            Role::Admin => "tenant-admin",
            Role::BridgeRead => "tenant-bridge-read",
            Role::BridgeWrite => "tenant-bridge-write",
            Role::MandateRead => "tenant-mandate-read",
            Role::MandateWrite => "tenant-mandate-write",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// A verified token: the tenant and account it was issued for, and its roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub scope: TenantScope,
    pub roles: Vec<Role>,
}

impl Identity {
    /// The request may go on only when its headers name the token's own tenant and account
    /// and the token holds one of the route's roles.
    pub fn authorize(&self, headers: TenantScope, allowed: &[Role]) -> Result<TenantScope, Error> {
        if headers != self.scope {
            return Err(Error::Forbidden(AccessDenied::ScopeMismatch));
        }
        if !self.roles.iter().any(|role| allowed.contains(role)) {
            return Err(Error::Forbidden(AccessDenied::MissingRole));
        }
        Ok(self.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, TenantId};

    fn scope() -> TenantScope {
        TenantScope {
            tenant: TenantId::new_random(),
            account: AccountId::new_random(),
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("tenant-superuser"), None);
    }

    #[test]
    fn authorize_checks_scope_then_role() {
        let own = scope();
        let identity = Identity {
            scope: own,
            roles: vec![Role::TransactionRead],
        };
        assert!(identity
            .authorize(own, &[Role::TransactionRead, Role::Admin])
            .is_ok());
        assert!(matches!(
            identity.authorize(own, &[Role::Admin]),
            Err(Error::Forbidden(AccessDenied::MissingRole))
        ));
        let other_tenant = TenantScope {
            tenant: TenantId::new_random(),
            ..own
        };
        assert!(matches!(
            identity.authorize(other_tenant, &[Role::TransactionRead]),
            Err(Error::Forbidden(AccessDenied::ScopeMismatch))
        ));
        let other_account = TenantScope {
            account: AccountId::new_random(),
            ..own
        };
        assert!(matches!(
            identity.authorize(other_account, &[Role::TransactionRead]),
            Err(Error::Forbidden(AccessDenied::ScopeMismatch))
        ));
    }
}
