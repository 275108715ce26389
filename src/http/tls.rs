//! TLS to a vendor: which servers are trusted (the operating system's store, which on Linux also
//! reads `SSL_CERT_FILE` and `SSL_CERT_DIR`, plus `ca_cert_pem`), the client certificate a
//! gateway may demand (`client_cert_pem`, `client_key_pem`), and what a failed handshake means.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The CA certificates in a PEM bundle; an error when there is none.
pub fn ca_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes()).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err("must contain at least one PEM block starting with -----BEGIN CERTIFICATE-----".into());
    }
    Ok(certs)
}

/// Why a client certificate and key cannot be used; never repeats the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("client_cert_pem holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("client_key_pem holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)")]
    NoKey,
    #[error(
        "client_key_pem is a private key of a kind this provider cannot sign with (RSA, ECDSA P-256/P-384 and Ed25519 work)"
    )]
    UnsupportedKey,
    #[error(
        "client_key_pem is not the private key of the certificate in client_cert_pem (their public keys differ): give the key that was issued with that certificate"
    )]
    Mismatch,
}

impl IdentityError {
    /// The attribute to point at.
    pub fn attribute(&self) -> &'static str {
        match self {
            IdentityError::NoCertificate => "client_cert_pem",
            _ => "client_key_pem",
        }
    }
}

/// A client certificate chain and its key, checked to belong together.
pub fn client_identity(
    cert_pem: &str,
    key_pem: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), IdentityError> {
    let chain: Vec<_> = CertificateDer::pem_slice_iter(cert_pem.as_bytes()).filter_map(Result::ok).collect();
    if chain.is_empty() {
        return Err(IdentityError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| IdentityError::NoKey)?;
    match rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()) {
        Ok(_) => Ok((chain, key)),
        Err(Error::InconsistentKeys(_)) => Err(IdentityError::Mismatch),
        Err(_) => Err(IdentityError::UnsupportedKey),
    }
}

/// What the TLS settings of one provider come to.
pub struct TlsOptions<'a> {
    pub ca_cert_pem: Option<&'a str>,
    pub insecure_skip_verify: bool,
    pub client: Option<(&'a str, &'a str)>,
}

/// The client configuration for vendor connections: ALPN offers HTTP/2 and HTTP/1.1.
pub fn client_config(o: &TlsOptions<'_>) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous();
    let builder = if o.insecure_skip_verify {
        builder.with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
    } else {
        let extra = match o.ca_cert_pem {
            Some(pem) => ca_certificates(pem).map_err(|e| format!("ca_cert_pem {e}"))?,
            None => Vec::new(),
        };
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
            .map_err(|e| format!("cannot read the system's trusted certificates: {e}"))?;
        builder.with_custom_certificate_verifier(Arc::new(verifier))
    };
    let mut config = match o.client {
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key).map_err(|e| e.to_string())?;
            builder.with_client_auth_cert(chain, key).map_err(|e| format!("client certificate: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Notes that the server asked for a client certificate (a TLS `CertificateRequest`), and
/// answers with the configured one, if any. A TLS 1.3 server that demands one refuses only after
/// the handshake, and the client may see just a broken connection when it writes before the
/// alert arrives: knowing the server asked is what lets that failure be named.
#[derive(Debug)]
pub struct NoteRequest {
    pub inner: Arc<dyn rustls::client::ResolvesClientCert>,
    pub asked: Arc<std::sync::atomic::AtomicBool>,
}

impl rustls::client::ResolvesClientCert for NoteRequest {
    fn resolve(&self, hints: &[&[u8]], schemes: &[SignatureScheme]) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner.resolve(hints, schemes)
    }
    fn has_certs(&self) -> bool {
        self.inner.has_certs()
    }
}

/// `insecure_skip_verify = true`: any certificate, any name (signatures are still checked, so
/// the handshake itself stays sound).
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a failed handshake means, in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// Signed by a CA nobody here trusts (a private or TLS-inspecting CA, or self-signed).
    UntrustedIssuer,
    /// Valid, but for other names than the URL's host.
    WrongHost,
    Expired,
    NotYetValid,
    Revoked,
    /// The server asks for a client certificate and got none.
    ClientCertificateWanted,
    /// The server did not accept the client certificate it was given (the alert it sent).
    ClientCertificateRefused(String),
    /// No TLS version in common: the server speaks only TLS 1.0 or 1.1.
    ProtocolVersion,
    /// What answered does not speak TLS (a plain-http server behind an `https://` URL).
    NotTls,
    Other(String),
}

/// Reads a rustls error; `client_cert` says whether a client certificate was configured.
pub fn classify(e: &Error, client_cert: bool) -> TlsProblem {
    use CertificateError as C;
    match e {
        Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => TlsProblem::UntrustedIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongHost,
            C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            C::Revoked => TlsProblem::Revoked,
            other => TlsProblem::Other(format!("the server's certificate is not valid: {other:?}")),
        },
        Error::AlertReceived(AlertDescription::CertificateRequired) => TlsProblem::ClientCertificateWanted,
        Error::AlertReceived(
            a @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied
            | AlertDescription::HandshakeFailure),
        ) if client_cert => TlsProblem::ClientCertificateRefused(format!("{a:?}")),
        // TLS 1.2 servers that want a certificate and get none end the handshake like this.
        Error::AlertReceived(AlertDescription::HandshakeFailure | AlertDescription::BadCertificate) => {
            TlsProblem::ClientCertificateWanted
        }
        Error::AlertReceived(AlertDescription::ProtocolVersion)
        | Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
            | rustls::PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => TlsProblem::ProtocolVersion,
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            TlsProblem::NotTls
        }
        other => TlsProblem::Other(other.to_string()),
    }
}

/// The rustls error in an error chain, if any. They arrive wrapped in one or more `io::Error`s
/// (whose `source` skips them) — or, on an HTTP/2 connection, flattened to an `io::Error` of
/// kind `InvalidData` and rustls's message, since h2 keeps only the kind and text of I/O errors
/// (`h2::proto::Error::Io`): a TLS 1.3 server's alert after the handshake (a refused client
/// certificate) comes that way, and is read back from rustls's wording.
pub fn rustls_error(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    fn inside(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
        if let Some(r) = e.downcast_ref::<Error>() {
            return Some(r.clone());
        }
        let io = e.downcast_ref::<std::io::Error>()?;
        match io.get_ref() {
            Some(inner) => inside(inner),
            None => None,
        }
        .or_else(|| alert_from_text(io))
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = inside(s) {
            return Some(r);
        }
        src = s.source();
    }
    None
}

/// `received fatal alert: CertificateRequired`, rustls's text for `Error::AlertReceived`.
fn alert_from_text(io: &std::io::Error) -> Option<Error> {
    use AlertDescription as A;
    if io.kind() != std::io::ErrorKind::InvalidData {
        return None;
    }
    let text = io.to_string();
    let name = text.strip_prefix("received fatal alert: ")?;
    let known = [
        A::CertificateRequired,
        A::BadCertificate,
        A::UnknownCA,
        A::CertificateExpired,
        A::CertificateRevoked,
        A::CertificateUnknown,
        A::UnsupportedCertificate,
        A::AccessDenied,
        A::HandshakeFailure,
        A::ProtocolVersion,
    ];
    known.into_iter().find(|a| format!("{a:?}") == name).map(Error::AlertReceived)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client.test".to_string()]).unwrap().self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_key_must_belong_to_its_certificate() {
        let (cert, key) = pair();
        let (_, other_key) = pair();
        assert!(client_identity(&cert, &key).is_ok());
        assert_eq!(client_identity(&cert, &other_key).unwrap_err(), IdentityError::Mismatch);
        assert_eq!(client_identity("nothing", &key).unwrap_err(), IdentityError::NoCertificate);
        assert_eq!(client_identity(&cert, &cert).unwrap_err(), IdentityError::NoKey);
        let e = client_identity(&cert, &other_key).unwrap_err().to_string();
        assert!(!e.contains("PRIVATE KEY-----\n"), "{e}");
    }

    #[test]
    fn handshake_failures_are_read_by_cause() {
        let c = |e: Error, cert| classify(&e, cert);
        assert_eq!(c(Error::InvalidCertificate(CertificateError::UnknownIssuer), false), TlsProblem::UntrustedIssuer);
        assert_eq!(c(Error::InvalidCertificate(CertificateError::NotValidForName), false), TlsProblem::WrongHost);
        assert_eq!(c(Error::InvalidCertificate(CertificateError::Expired), false), TlsProblem::Expired);
        assert_eq!(
            c(Error::AlertReceived(AlertDescription::CertificateRequired), false),
            TlsProblem::ClientCertificateWanted
        );
        assert_eq!(
            c(Error::AlertReceived(AlertDescription::HandshakeFailure), false),
            TlsProblem::ClientCertificateWanted
        );
        assert!(matches!(
            c(Error::AlertReceived(AlertDescription::UnknownCA), true),
            TlsProblem::ClientCertificateRefused(_)
        ));
        assert_eq!(c(Error::AlertReceived(AlertDescription::ProtocolVersion), false), TlsProblem::ProtocolVersion);
    }
}
