//! AutoMTLS as go-plugin does it: Terraform passes its client certificate in
//! `PLUGIN_CLIENT_CERT`; we answer with a fresh self-signed server certificate on the handshake
//! line. Only a peer presenting exactly Terraform's certificate (and proving it holds the key) may
//! connect.
//!
//! webpki cannot be used to check the client: Terraform's certificate is a CA certificate used as a
//! leaf, which webpki rejects (`CaUsedAsEndEntity`), and it is ECDSA P-521, which ring cannot
//! verify. So the verifier pins the exact DER bytes and checks handshake signatures with
//! aws-lc-rs, which does support P-521 (go-plugin `mtls.go` generates Terraform's certificate).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error as TlsError, ServerConfig, SignatureScheme,
};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TlsSetupError {
    #[error("PLUGIN_CLIENT_CERT does not contain a PEM certificate")]
    NoClientCert,
    #[error("could not generate the plugin's certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration failed: {0}")]
    Rustls(#[from] TlsError),
}

/// The server side of AutoMTLS, plus the certificate to announce on the handshake line.
pub struct AutoMtls {
    pub config: Arc<ServerConfig>,
    /// DER of the server certificate; the handshake line carries it base64 without padding.
    pub server_cert_der: Vec<u8>,
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the TLS configuration for a Terraform-launched plugin.
pub fn auto_mtls(client_cert_pem: &str) -> Result<AutoMtls, TlsSetupError> {
    let client_der = first_pem_certificate(client_cert_pem).ok_or(TlsSetupError::NoClientCert)?;
    let (server_der, key_der) = self_signed_localhost()?;
    let crypto = provider();
    let verifier = Arc::new(PinnedClientCert {
        expected: CertificateDer::from(client_der),
        algs: crypto.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(crypto)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(server_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        )?;
    // grpc-go >= 1.67 (Terraform >= 1.12, OpenTofu) refuses a TLS server that does not pick h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoMtls { config: Arc::new(config), server_cert_der: server_der })
}

/// A certificate shaped like go-plugin's own (CA flag, server+client auth, SAN localhost, valid
/// from 30 s ago), but on P-256 because its key is generated in under a millisecond.
pub fn self_signed_localhost() -> Result<(Vec<u8>, Vec<u8>), rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.distinguished_name.push(DnType::OrganizationName, "terraform-provider-mfa");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::days(365 * 30);
    let cert = params.self_signed(&key)?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// Extracts the DER of the first `CERTIFICATE` block of a PEM text.
pub fn first_pem_certificate(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = pem.find(begin)? + begin.len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Accepts exactly one client certificate, byte for byte, and checks the handshake signature made
/// with its key.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            log::warn!("refused a TLS client whose certificate is not the one Terraform announced");
            Err(TlsError::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertises_p521_so_terraform_sends_its_certificate() {
        // Go only sends a client certificate whose signature scheme the server advertises.
        let algs = provider().signature_verification_algorithms;
        assert!(algs.supported_schemes().contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn pem_parsing_finds_the_certificate() {
        let (der, _) = self_signed_localhost().unwrap();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", b64);
        assert_eq!(first_pem_certificate(&pem).unwrap(), der);
        assert!(first_pem_certificate("garbage").is_none());
        assert!(auto_mtls("garbage").is_err());
        let m = auto_mtls(&pem).unwrap();
        assert_eq!(m.config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
