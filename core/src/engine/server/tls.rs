//! TLS for the own-port listener ([`serve_tls`](super::serve_tls)): a certificate chain
//! and its private key, PEM, served with rustls (the ring provider, as the client uses).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// Where a PEM document comes from: a file, or the PEM text itself.
#[derive(Clone, PartialEq, Eq)]
pub enum Pem {
    /// A file holding PEM, read when the [`TlsConfig`] is built.
    File(PathBuf),
    /// PEM text (`-----BEGIN ...`).
    Bytes(Vec<u8>),
}

impl Pem {
    /// A string as the faces take it: PEM text if it starts with `-----BEGIN` (after
    /// white space), a file path otherwise.
    pub fn text_or_path(s: &str) -> Pem {
        if s.trim_start().starts_with("-----BEGIN") {
            Pem::Bytes(s.as_bytes().to_vec())
        } else {
            Pem::File(PathBuf::from(s))
        }
    }

    fn read(&self) -> Result<std::borrow::Cow<'_, [u8]>, TlsError> {
        match self {
            Pem::Bytes(b) => Ok(b.as_slice().into()),
            Pem::File(path) => std::fs::read(path)
                .map(Into::into)
                .map_err(|e| TlsError::Read { path: path.clone(), message: e.to_string() }),
        }
    }
}

// A private key must not end up in a log: the bytes are only counted.
impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::File(p) => f.debug_tuple("File").field(p).finish(),
            Pem::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
        }
    }
}

/// Why a [`TlsConfig`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The certificate PEM holds no certificate, or one that is not valid PEM.
    #[error("invalid certificate PEM: {0}")]
    InvalidCertificate(String),
    /// The key PEM holds no private key (PKCS#8, PKCS#1 or SEC1), or one that is not valid.
    #[error("invalid private key PEM: {0}")]
    InvalidKey(String),
    /// The private key is not the key of the (first) certificate.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    /// rustls refused the certificate and key for another reason.
    #[error("TLS configuration refused: {0}")]
    Rejected(String),
}

/// A TLS server configuration for [`serve_tls`](super::serve_tls) and
/// [`EngineConfig::tls`](super::EngineConfig::tls): the certificate chain (leaf first)
/// and its private key. TLS 1.2 and 1.3, ALPN `http/1.1`.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ServerConfig>,
}

impl TlsConfig {
    /// From a certificate chain and a private key, each a file or PEM text.
    pub fn new(cert: &Pem, key: &Pem) -> Result<TlsConfig, TlsError> {
        let cert = cert.read()?;
        let key = key.read()?;
        TlsConfig::from_pem(&cert, &key)
    }

    /// From PEM text: `cert` holds one or more certificates (leaf first), `key` the
    /// leaf's private key.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<TlsConfig, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::InvalidCertificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::InvalidCertificate("no CERTIFICATE section".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsError::InvalidKey(e.to_string()))?;
        let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rejected(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch,
                rustls::Error::InvalidCertificate(e) => TlsError::InvalidCertificate(format!("{e:?}")),
                rustls::Error::General(m) => TlsError::InvalidKey(m),
                other => TlsError::Rejected(other.to_string()),
            })?;
        Ok(TlsConfig::from_rustls(config))
    }

    /// From PEM files (the certificate chain and the private key).
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<TlsConfig, TlsError> {
        TlsConfig::new(&Pem::File(cert.as_ref().to_owned()), &Pem::File(key.as_ref().to_owned()))
    }

    /// A rustls configuration built by the caller (client certificates, several
    /// certificates by SNI...). Without ALPN protocols set, `http/1.1` is offered.
    pub fn from_rustls(mut config: ServerConfig) -> TlsConfig {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        TlsConfig { config: Arc::new(config) }
    }

    pub(super) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").field("alpn_protocols", &self.config.alpn_protocols).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(name: &str) -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn pem_text_or_path() {
        assert!(matches!(Pem::text_or_path("  -----BEGIN CERTIFICATE-----\n"), Pem::Bytes(_)));
        assert_eq!(Pem::text_or_path("certs/server.pem"), Pem::File("certs/server.pem".into()));
        assert_eq!(format!("{:?}", Pem::Bytes(vec![1, 2, 3])), "Bytes(<3 bytes>)");
    }

    #[test]
    fn certificate_and_key_are_checked() {
        let (cert, key) = leaf("localhost");
        TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        let (_, other_key) = leaf("localhost");
        assert_eq!(TlsConfig::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err(), TlsError::KeyMismatch);
        assert!(matches!(TlsConfig::from_pem(b"nothing", key.as_bytes()), Err(TlsError::InvalidCertificate(_))));
        assert!(matches!(TlsConfig::from_pem(cert.as_bytes(), cert.as_bytes()), Err(TlsError::InvalidKey(_))));
        let broken = key.replace("\n", "\n!!");
        assert!(matches!(TlsConfig::from_pem(cert.as_bytes(), broken.as_bytes()), Err(TlsError::InvalidKey(_))));
        let missing = TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
        assert!(matches!(missing, TlsError::Read { .. }), "{missing:?}");
    }
}
