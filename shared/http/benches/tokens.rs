//! What checking an access token costs in CPU, first time and again (issue 18): a token the
//! warm process has not seen is verified in full (ES256 signature, claims) and remembered; the
//! same token again is a lookup. Prints the median of 15 rounds of 1,000 each, in µs.
//!
//! `cargo bench -p payments-http --bench tokens`

use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_http::{generate_signing_key, TokenSigner, TokenVerifier};
use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 15;
const PER_ROUND: usize = 1_000;
const ISSUER: &str = "bench-issuer";
const AUDIENCE: &str = "bench-audience";

fn median(mut rounds: Vec<f64>) -> f64 {
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = generate_signing_key()?;
    let signer = TokenSigner::new(&keys.private_key_pem, ISSUER, AUDIENCE)?;
    let scope = TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    };
    // Distinct tokens (their expiry differs), so each is new to the verifier.
    let tokens = (0..PER_ROUND as i64)
        .map(|n| signer.issue(scope, &["tenant-admin"], 3_600 + n))
        .collect::<Result<Vec<_>, _>>()?;

    let mut first = Vec::new();
    let mut again = Vec::new();
    for _ in 0..ROUNDS {
        let verifier = TokenVerifier::new(&keys.public_key_base64, ISSUER, AUDIENCE)?;
        let started = Instant::now();
        for token in &tokens {
            black_box(verifier.verify(black_box(token))?);
        }
        first.push(started.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            black_box(verifier.verify(black_box(&tokens[0]))?);
        }
        again.push(started.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
    }
    println!("| Token | µs per check |");
    println!("|---|---|");
    println!(
        "| new to the process (verified, remembered) | {:.1} |",
        median(first)
    );
    println!("| seen before (remembered) | {:.2} |", median(again));
    Ok(())
}
