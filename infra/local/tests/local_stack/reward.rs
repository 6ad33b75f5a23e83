//! `local-stack reward` against moto: the reward it saves is found in the tenant's catalogue as
//! given, its standard output is the one `REWARD_ID=` line, bad arguments are refused before
//! anything is touched, and the moto is found through the state dir as `make reward` finds it.
//! Also the dev tenant's rewards that `local-stack dev` seeds on every start.

use super::common::{self, closed_port, moto_endpoint};
use local_stack::state::{DevEndpoints, StateDir};
use payments_domain::currency::Currency;
use payments_domain::ids::{AccountId, RewardId, TenantId, TenantScope};
use payments_domain::rewards::{Reward, RewardCatalogue};
use std::path::PathBuf;
use std::process::Output;

fn new_scope() -> TenantScope {
    TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    }
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("a currency")
}

fn codes(currencies: &[Currency]) -> Vec<&'static str> {
    currencies.iter().map(Currency::code).collect()
}

/// Runs `local-stack reward` for `scope` with the state dir `state` and `args`.
async fn reward(state: &PathBuf, scope: &TenantScope, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .arg("reward")
        .arg("--state-dir")
        .arg(state)
        .args(["--account", &scope.account.to_string()])
        .args(["--tenant", &scope.tenant.to_string()])
        .args(args)
        .env("LOCAL_STACK_LOG", "error")
        .output()
        .await
        .expect("local-stack runs")
}

/// The id of the single `REWARD_ID=<uuid>` line a successful run prints.
fn printed_id(output: &Output) -> RewardId {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}: {stdout} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let [line] = lines.as_slice() else {
        panic!("expected one line, got {stdout:?}");
    };
    let id = line
        .strip_prefix("REWARD_ID=")
        .unwrap_or_else(|| panic!("not a REWARD_ID= line: {line}"));
    RewardId::parse(id).unwrap_or_else(|_| panic!("not a lowercase UUID: {id}"))
}

#[tokio::test]
async fn saves_the_reward_it_prints() {
    let catalogue = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("reward");
    let endpoint = moto_endpoint();

    let output = reward(
        &state,
        &scope,
        &[
            "--endpoint",
            &endpoint,
            "--name",
            " Book voucher ",
            "--currencies",
            "EUR, GBP,EUR",
        ],
    )
    .await;
    let id = printed_id(&output);
    let found = catalogue.reward(&scope, id).await.expect("find");
    assert_eq!(
        found,
        Some(Reward {
            reward_id: id,
            name: "Book voucher".into(),
            provider: "SANDBOX".into(),
            currencies: vec![currency("EUR"), currency("GBP")],
        })
    );

    // Another provider, every currency; a second reward gets a new id.
    let output = reward(
        &state,
        &scope,
        &[
            "--endpoint",
            &endpoint,
            "--name",
            "Film pass",
            "--provider",
            "ACME_PAY",
        ],
    )
    .await;
    let other = printed_id(&output);
    assert_ne!(other, id);
    let found = catalogue.reward(&scope, other).await.expect("find");
    let found = found.expect("saved");
    assert_eq!(
        (found.name.as_str(), found.provider.as_str()),
        ("Film pass", "ACME_PAY")
    );
    assert!(found.currencies.is_empty() && found.accepts_currency(currency("JPY")));

    // Another tenant does not see it.
    assert_eq!(
        catalogue.reward(&new_scope(), id).await.expect("find"),
        None
    );
    assert!(
        !state.exists(),
        "--endpoint needs nothing from the state dir"
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_anything_is_touched() {
    // Nothing listens at the endpoint: each refusal comes before it is looked at.
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let state = common::temp_state_dir("reward");
    let scope = new_scope();
    for (args, says) in [
        (
            vec!["--currencies", "EUR,XYZ", "--name", "x"],
            "--currencies: \"XYZ\"",
        ),
        (vec!["--currencies", "EURO", "--name", "x"], "--currencies"),
        (vec![], "required arguments were not provided:\n  --name"),
        (vec!["--name", ""], "--name"),
        (vec!["--name", "   "], "--name"),
        (vec!["--name", &"a".repeat(101)], "--name"),
        (vec!["--name", "x", "--provider", "sandbox"], "--provider"),
        (
            vec!["--name", "x", "--direction", "CREDIT"],
            "unexpected argument '--direction'",
        ),
    ] {
        let mut full = vec!["--endpoint", endpoint.as_str()];
        full.extend(args.iter().copied());
        let output = reward(&state, &scope, &full).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .args(["reward", "--account", "not-a-uuid", "--tenant"])
        .arg(scope.tenant.to_string())
        .args(["--name", "x", "--endpoint", &endpoint])
        .output()
        .await
        .expect("local-stack runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--account"));

    // Valid arguments, but nothing answers there.
    let output = reward(&state, &scope, &["--endpoint", &endpoint, "--name", "x"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing answers at --endpoint"));
}

#[tokio::test]
async fn finds_the_running_stack_through_the_state_dir() {
    let catalogue = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("reward");
    let args = ["--name", "Sandbox lunch", "--currencies", "GBP"];

    // No dev stack recorded.
    let output = reward(&state, &scope, &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("no running dev stack"), "{stderr}");

    // A recorded one that runs: the reward lands in its moto.
    let dir = StateDir::new(&state);
    let running = DevEndpoints {
        moto_endpoint: moto_endpoint(),
        api_url: "http://127.0.0.1:3000".into(),
    };
    dir.record_endpoints(&running).expect("recorded");
    let id = printed_id(&reward(&state, &scope, &args).await);
    let found = catalogue
        .reward(&scope, id)
        .await
        .expect("find")
        .expect("saved");
    assert_eq!(found.name, "Sandbox lunch");
    assert_eq!(codes(&found.currencies), ["GBP"]);

    // A recorded one that stopped without clearing its record.
    let stopped = DevEndpoints {
        moto_endpoint: format!("http://127.0.0.1:{}", closed_port()),
        api_url: "http://127.0.0.1:3000".into(),
    };
    dir.record_endpoints(&stopped).expect("recorded");
    let output = reward(&state, &scope, &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("is `make dev` still running?"), "{stderr}");
    let _ = std::fs::remove_dir_all(state);
}

#[tokio::test]
async fn dev_rewards_are_seeded_under_their_kept_ids() {
    let catalogue = common::provisioned_store().await;
    let scope = new_scope();
    let state = common::temp_state_dir("reward");
    let ids = StateDir::new(&state).dev_rewards().expect("ids");
    local_stack::reward::seed_dev(&catalogue, &scope, &ids)
        .await
        .expect("seeded");
    // Every start saves them again under the ids kept in dev-rewards.json.
    let again = StateDir::new(&state).dev_rewards().expect("ids again");
    assert_eq!(again, ids);
    local_stack::reward::seed_dev(&catalogue, &scope, &again)
        .await
        .expect("seeded again");

    let found = |id| {
        let catalogue = catalogue.clone();
        async move {
            catalogue
                .reward(&scope, id)
                .await
                .expect("find")
                .unwrap_or_else(|| panic!("reward {id} not seeded"))
        }
    };
    let gift = found(ids.gift_card).await;
    let coffee = found(ids.coffee_voucher).await;
    let failing = found(ids.failing).await;
    assert_eq!(
        [
            gift.name.as_str(),
            coffee.name.as_str(),
            failing.name.as_str()
        ],
        ["Sandbox Gift Card", "Sandbox Coffee Voucher", "FAILING"]
    );
    for reward in [&gift, &coffee, &failing] {
        assert_eq!(reward.provider, "SANDBOX");
    }
    assert!(gift.currencies.is_empty() && failing.currencies.is_empty());
    assert_eq!(codes(&coffee.currencies), ["EUR", "GBP"]);
    assert!(!coffee.accepts_currency(currency("USD")));
    let _ = std::fs::remove_dir_all(state);
}
