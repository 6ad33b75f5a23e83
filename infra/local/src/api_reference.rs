//! `/docs` on the local gateway: Swagger UI showing the API's OpenAPI document, which the
//! identity function serves at `/openapi.json` as it does in AWS. The viewer is local only (the
//! deployed API publishes the document, not a viewer): `make` installs the pinned
//! `swagger-ui-dist` package from npm and `dev` is given its folder.

use bytes::Bytes;
use http::{header, Response};
use http_body_util::Full;
use std::path::Path;

/// Where the viewer is served.
pub const PATH: &str = "/docs";

/// The files of `swagger-ui-dist` the page loads, with their content types. Only these are
/// served, so no request names a file of its own choosing.
const ASSETS: &[(&str, &str)] = &[
    ("swagger-ui.css", "text/css"),
    ("swagger-ui-bundle.js", "text/javascript"),
    ("favicon-32x32.png", "image/png"),
];

/// The page: the bundle, pointed at the document the API serves.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Payments API reference</title>
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });</script>
</body>
</html>
"##;

#[derive(Debug, thiserror::Error)]
#[error("the API reference viewer: cannot read {path} (`make dev` installs it): {source}")]
pub struct MissingAsset {
    path: String,
    source: std::io::Error,
}

/// The viewer's assets, read once from the installed `swagger-ui-dist` folder.
pub struct ApiReference {
    assets: Vec<(&'static str, &'static str, Bytes)>,
}

impl ApiReference {
    /// Reads every asset the page loads from `dir`, at start-up.
    pub fn load(dir: &Path) -> Result<ApiReference, MissingAsset> {
        let assets = ASSETS
            .iter()
            .map(|&(name, content_type)| {
                let path = dir.join(name);
                std::fs::read(&path)
                    .map(|bytes| (name, content_type, Bytes::from(bytes)))
                    .map_err(|source| MissingAsset {
                        path: path.display().to_string(),
                        source,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(ApiReference { assets })
    }

    /// The answer to a GET of `path`, when `path` is the viewer's; `None` leaves it to the API.
    pub fn serve(&self, path: &str) -> Option<Response<Full<Bytes>>> {
        let rest = path.strip_prefix(PATH)?;
        if rest.is_empty() || rest == "/" {
            return Some(answer(
                "text/html; charset=utf-8",
                Bytes::from_static(PAGE.as_bytes()),
            ));
        }
        let name = rest.strip_prefix('/')?;
        let (_, content_type, bytes) = self.assets.iter().find(|(asset, _, _)| *asset == name)?;
        Some(answer(content_type, bytes.clone()))
    }
}

fn answer(content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http_body_util::BodyExt;
    use std::path::PathBuf;

    async fn body(response: Response<Full<Bytes>>) -> Bytes {
        response
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default()
    }

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("api-reference-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).expect("temp dir");
        dir
    }

    #[tokio::test]
    async fn serves_the_page_and_only_its_assets() {
        let dir = folder();
        for (name, _) in ASSETS {
            std::fs::write(dir.join(name), format!("asset {name}")).expect("write");
        }
        let reference = ApiReference::load(&dir).expect("complete");
        std::fs::remove_dir_all(&dir).expect("read at start-up, not per request");
        for path in ["/docs", "/docs/"] {
            let page = reference.serve(path).expect("the page");
            assert_eq!(page.status(), StatusCode::OK);
            assert_eq!(
                page.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            let html = body(page).await;
            assert!(String::from_utf8_lossy(&html).contains(r#"url: "/openapi.json""#));
        }
        let script = reference
            .serve("/docs/swagger-ui-bundle.js")
            .expect("an asset");
        assert_eq!(script.headers()[header::CONTENT_TYPE], "text/javascript");
        assert_eq!(body(script).await, "asset swagger-ui-bundle.js");
        for elsewhere in [
            "/docs/../Cargo.toml",
            "/docs/index.html",
            "/docsx",
            "/v2/order-management/docs",
        ] {
            assert!(reference.serve(elsewhere).is_none(), "{elsewhere}");
        }
    }

    #[test]
    fn refuses_a_folder_without_the_viewer() {
        let dir = folder();
        let loaded = ApiReference::load(&dir);
        std::fs::remove_dir_all(&dir).expect("remove");
        assert!(loaded.is_err());
    }
}
