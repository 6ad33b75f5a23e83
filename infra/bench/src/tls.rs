//! The proxy's TLS: a throwaway CA and a `localhost` certificate it signs, made with the
//! `openssl` command, and a CA bundle of the system's roots plus that CA for the functions'
//! `SSL_CERT_FILE` (so they parse as many roots as they do on Lambda).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("TLS set-up: {0}")]
    SetUp(String),
}

pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
    pub ca_bundle: PathBuf,
}

/// Where Debian, Fedora/Amazon Linux and others keep the system's roots.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn openssl(args: &[&str]) -> Result<(), TlsError> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| TlsError::Io("running openssl".into(), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(TlsError::SetUp(format!(
            "openssl {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

pub fn generate(dir: &Path) -> Result<TlsFiles, TlsError> {
    std::fs::create_dir_all(dir).map_err(|e| TlsError::Io(dir.display().to_string(), e))?;
    let path = |name: &str| dir.join(name);
    let text = |p: &Path| p.display().to_string();
    let (ca_key, ca, key, request, certificate, extensions, bundle) = (
        path("ca.key"),
        path("ca.pem"),
        path("localhost.key"),
        path("localhost.csr"),
        path("localhost.pem"),
        path("localhost.ext"),
        path("ca-bundle.pem"),
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    let (ca_key_text, ca_text) = (text(&ca_key), text(&ca));
    args.extend([
        "-keyout",
        &ca_key_text,
        "-out",
        &ca_text,
        "-days",
        "2",
        "-subj",
        "/CN=payments-bench CA",
    ]);
    openssl(&args)?;
    let (key_text, request_text) = (text(&key), text(&request));
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        &key_text,
        "-out",
        &request_text,
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&args)?;
    std::fs::write(
        &extensions,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .map_err(|e| TlsError::Io(text(&extensions), e))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &request_text,
        "-CA",
        &ca_text,
        "-CAkey",
        &ca_key_text,
        "-CAcreateserial",
        "-out",
        &text(&certificate),
        "-days",
        "2",
        "-extfile",
        &text(&extensions),
    ])?;
    let mut roots = SYSTEM_BUNDLES
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    if !roots.is_empty() && !roots.ends_with('\n') {
        roots.push('\n');
    }
    roots.push_str(&std::fs::read_to_string(&ca).map_err(|e| TlsError::Io(ca_text.clone(), e))?);
    std::fs::write(&bundle, roots).map_err(|e| TlsError::Io(text(&bundle), e))?;
    Ok(TlsFiles {
        certificate,
        key,
        ca_bundle: bundle,
    })
}

pub fn acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let tls = |e: &dyn std::fmt::Display| TlsError::SetUp(e.to_string());
    let chain = CertificateDer::pem_file_iter(&files.certificate)
        .map_err(|e| tls(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| tls(&e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| tls(&e))?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
