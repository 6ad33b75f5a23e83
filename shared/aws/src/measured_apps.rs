//! Every call to a payment app, measured: `ProviderCalls` by app, call and outcome, and
//! `ProviderLatencyMs` by app and call (docs/operations.md), so a slow or failing provider shows
//! on a dashboard without a line of code read. The workers build their apps through
//! [`measured_apps`], so a new app is measured without asking.

use crate::metrics::provider_answered;
use payments_domain::payments::{
    PaymentApp, PaymentApps, PaymentOutcome, PaymentRequest, RefundRequest, RewardOutcome,
    RewardRequest,
};
use payments_domain::BoxFuture;
use std::future::Future;
use std::time::Instant;

/// The apps of a deployment, each measured.
pub fn measured_apps(apps: Vec<Box<dyn PaymentApp>>) -> PaymentApps {
    PaymentApps::new(
        apps.into_iter()
            .map(|app| Box::new(Measured(app)) as Box<dyn PaymentApp>)
            .collect(),
    )
}

struct Measured(Box<dyn PaymentApp>);

impl Measured {
    fn timed<'a, T: Send + 'a>(
        &'a self,
        call: &'static str,
        answer: impl Future<Output = T> + Send + 'a,
        outcome: fn(&T) -> &'static str,
    ) -> BoxFuture<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let answer = answer.await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
            provider_answered(self.0.app_id(), call, outcome(&answer), elapsed_ms);
            answer
        })
    }
}

fn payment_outcome(outcome: &PaymentOutcome) -> &'static str {
    match outcome {
        PaymentOutcome::Succeeded { .. } => "succeeded",
        PaymentOutcome::Declined { .. } => "declined",
        PaymentOutcome::Pending { .. } => "pending",
        PaymentOutcome::Retryable { .. } => "retryable",
        PaymentOutcome::InDoubt { .. } => "in_doubt",
    }
}

fn reward_outcome(outcome: &RewardOutcome) -> &'static str {
    match outcome {
        RewardOutcome::Issued { .. } => "issued",
        RewardOutcome::Failed { .. } => "failed",
        RewardOutcome::Retryable { .. } => "retryable",
        RewardOutcome::InDoubt { .. } => "in_doubt",
    }
}

impl PaymentApp for Measured {
    fn app_id(&self) -> &'static str {
        self.0.app_id()
    }

    fn execute<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        self.timed("execute", self.0.execute(request), payment_outcome)
    }

    fn payment_status<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, PaymentOutcome> {
        self.timed(
            "payment_status",
            self.0.payment_status(request),
            payment_outcome,
        )
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        self.timed("refund", self.0.refund(request), payment_outcome)
    }

    fn refund_status<'a>(&'a self, request: &'a RefundRequest) -> BoxFuture<'a, PaymentOutcome> {
        self.timed(
            "refund_status",
            self.0.refund_status(request),
            payment_outcome,
        )
    }

    fn claim_reward<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        self.timed("claim_reward", self.0.claim_reward(request), reward_outcome)
    }

    fn reward_status<'a>(&'a self, request: &'a RewardRequest) -> BoxFuture<'a, RewardOutcome> {
        self.timed(
            "reward_status",
            self.0.reward_status(request),
            reward_outcome,
        )
    }
}
