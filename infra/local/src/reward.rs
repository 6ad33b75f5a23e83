//! A tenant's reward catalogue in the local stack: the arguments of `local-stack reward`
//! (`make reward`), checked before anything is touched, and the dev tenant's SANDBOX rewards
//! that `local-stack dev` saves on every start. Rewards live in the table the schemes live in
//! ([`crate::scheme::table_name`]); the moto to write to is found as `local-stack scheme` finds it.

use crate::scheme::{codes, currency, is_app_id, DEFAULT_APP};
use crate::state::DevRewards;
use payments_aws::Store;
use payments_domain::currency::Currency;
use payments_domain::ids::{RewardId, TenantScope};
use payments_domain::rewards::{Reward, RewardCatalogue};

/// The longest reward name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// The name the SANDBOX provider fails every claim of.
pub const FAILING_NAME: &str = "FAILING";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardArgError {
    #[error(
        "--name: {0:?} is not a reward name (1-100 characters, not blank, no control characters)"
    )]
    Name(String),
    #[error("--provider: {0:?} is not an app id (1-64 characters of A-Z, 0-9, _ and -)")]
    Provider(String),
    #[error("--currencies: {code:?}: {reason}")]
    Currency { code: String, reason: String },
}

/// A new reward's settings, each checked: the name (blanks around it dropped), the provider's
/// app id, and canonical ISO 4217 codes (an empty list accepts every currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardArgs {
    pub name: String,
    pub provider: String,
    pub currencies: Vec<Currency>,
}

impl RewardArgs {
    /// `provider` and `currencies` as given on the command line, if given at all.
    pub fn parse(
        name: &str,
        provider: Option<&str>,
        currencies: Option<&str>,
    ) -> Result<RewardArgs, RewardArgError> {
        Ok(RewardArgs {
            name: parse_name(name)?,
            provider: parse_provider(provider.unwrap_or(DEFAULT_APP))?,
            currencies: codes(currencies.unwrap_or_default(), |code| {
                currency(code).map_err(|reason| RewardArgError::Currency {
                    code: code.to_owned(),
                    reason,
                })
            })?,
        })
    }

    pub fn into_reward(self, reward_id: RewardId) -> Reward {
        Reward {
            reward_id,
            name: self.name,
            provider: self.provider,
            currencies: self.currencies,
        }
    }
}

fn parse_name(input: &str) -> Result<String, RewardArgError> {
    let name = input.trim();
    let valid =
        (1..=NAME_MAX_CHARS).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    valid
        .then(|| name.to_owned())
        .ok_or_else(|| RewardArgError::Name(input.to_owned()))
}

fn parse_provider(input: &str) -> Result<String, RewardArgError> {
    is_app_id(input)
        .then(|| input.to_owned())
        .ok_or_else(|| RewardArgError::Provider(input.to_owned()))
}

/// Saves a new reward with a fresh id for `scope` and returns it.
pub async fn create(
    catalogue: &Store,
    scope: &TenantScope,
    args: RewardArgs,
) -> Result<Reward, payments_domain::Error> {
    let reward = args.into_reward(RewardId::new_random());
    catalogue.save_reward(scope, &reward).await?;
    Ok(reward)
}

fn sandbox_reward(reward_id: RewardId, name: &str, currencies: &[&str]) -> Reward {
    Reward {
        reward_id,
        name: name.to_owned(),
        provider: DEFAULT_APP.to_owned(),
        currencies: currencies
            .iter()
            .filter_map(|code| Currency::parse(code).ok())
            .collect(),
    }
}

/// The dev tenant's SANDBOX rewards under their kept ids: a gift card in every currency, a
/// coffee voucher in EUR and GBP, and [`FAILING_NAME`] in every currency, whose claims the
/// SANDBOX provider fails.
pub fn dev_rewards(ids: &DevRewards) -> [Reward; 3] {
    [
        sandbox_reward(ids.gift_card, "Sandbox Gift Card", &[]),
        sandbox_reward(
            ids.coffee_voucher,
            "Sandbox Coffee Voucher",
            &["EUR", "GBP"],
        ),
        sandbox_reward(ids.failing, FAILING_NAME, &[]),
    ]
}

/// Saves the dev tenant's rewards (again: moto keeps nothing between runs).
pub async fn seed_dev(
    catalogue: &Store,
    scope: &TenantScope,
    ids: &DevRewards,
) -> Result<(), payments_domain::Error> {
    for reward in dev_rewards(ids) {
        catalogue.save_reward(scope, &reward).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        name: &str,
        provider: Option<&str>,
        currencies: Option<&str>,
    ) -> Result<RewardArgs, RewardArgError> {
        RewardArgs::parse(name, provider, currencies)
    }

    #[test]
    fn defaults_are_sandbox_and_every_currency() {
        let args = parse("Book voucher", None, None).expect("valid");
        assert_eq!(
            args,
            RewardArgs {
                name: "Book voucher".into(),
                provider: "SANDBOX".into(),
                currencies: vec![],
            }
        );
        // An empty list, as `make reward CURRENCIES=` might pass it, also means all.
        let args = parse("x", None, Some(" , ")).expect("valid");
        assert!(args.currencies.is_empty());
    }

    #[test]
    fn names_are_1_to_100_characters() {
        for (input, expected) in [
            ("a", "a".to_owned()),
            ("  Book voucher ", "Book voucher".to_owned()),
            ("Bon d'achat été", "Bon d'achat été".to_owned()),
            (FAILING_NAME, FAILING_NAME.to_owned()),
            (&"é".repeat(100), "é".repeat(100)),
        ] {
            assert_eq!(parse(input, None, None).expect(input).name, expected);
        }
        for input in [
            "",
            "   ",
            &"a".repeat(101),
            &"é".repeat(101),
            "two\nlines",
            "tab\there",
        ] {
            let err = parse(input, None, None).expect_err(input);
            assert_eq!(err, RewardArgError::Name(input.to_owned()));
            assert!(err.to_string().starts_with("--name: "), "{err}");
        }
    }

    #[test]
    fn currencies_and_providers_are_checked() {
        let args = parse("x", Some("ACME_PAY"), Some("EUR, GBP,EUR")).expect("valid");
        assert_eq!(args.provider, "ACME_PAY");
        let codes: Vec<_> = args.currencies.iter().map(Currency::code).collect();
        assert_eq!(codes, ["EUR", "GBP"]);

        for (input, reason) in [
            ("EURO", "3 letters"),
            ("XYZ", "unknown"),
            ("eur", "unknown"),
            ("HRK", "withdrawn"),
        ] {
            let err = parse("x", None, Some(&format!("GBP,{input}"))).expect_err(input);
            assert!(
                matches!(&err, RewardArgError::Currency { code, reason: r } if code == input && r.contains(reason)),
                "{input}: {err}"
            );
            assert!(err.to_string().starts_with("--currencies: "), "{err}");
        }
        for provider in ["", "sandbox", "SAND BOX", &"A".repeat(65)] {
            assert_eq!(
                parse("x", Some(provider), None),
                Err(RewardArgError::Provider(provider.to_owned())),
                "{provider}"
            );
        }
    }

    #[test]
    fn dev_rewards_are_sandbox_with_their_kept_ids() {
        let ids = DevRewards {
            gift_card: RewardId::new_random(),
            coffee_voucher: RewardId::new_random(),
            failing: RewardId::new_random(),
        };
        let [gift, coffee, failing] = dev_rewards(&ids);
        assert_eq!(
            (gift.reward_id, coffee.reward_id, failing.reward_id),
            (ids.gift_card, ids.coffee_voucher, ids.failing)
        );
        assert_eq!(gift.name, "Sandbox Gift Card");
        assert_eq!(coffee.name, "Sandbox Coffee Voucher");
        assert_eq!(failing.name, "FAILING");
        for reward in [&gift, &coffee, &failing] {
            assert_eq!(reward.provider, "SANDBOX");
        }
        let jpy = Currency::parse("JPY").expect("JPY");
        assert!(gift.accepts_currency(jpy) && failing.accepts_currency(jpy));
        let codes: Vec<_> = coffee.currencies.iter().map(Currency::code).collect();
        assert_eq!(codes, ["EUR", "GBP"]);
    }
}
