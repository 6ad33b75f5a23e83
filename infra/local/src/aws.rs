//! SDK configuration for the emulator: fixed test credentials and region, so nothing from the
//! developer's own AWS setup (profiles, SSO, real credentials) is ever used against moto — or
//! moto's requests against AWS.

use crate::template::LOCAL_REGION;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::Credentials;

/// The environment the functions get so that their default SDK chain talks to moto.
pub fn function_environment(endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", LOCAL_REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ]
}

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(LOCAL_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "local-stack"))
        .load()
        .await
}
