//! Certificates for the emulators' HTTPS: the self-signed `localhost` certificate of `--tls`, and
//! a private CA ([`TestCa`]) that issues server and client certificates. With it tests and
//! rehearsals meet what real deployments have — a corporate CA, a certificate for another name or
//! for an IP address, an expired certificate, mutual TLS — without touching the machine's trust
//! store. Keys are ECDSA P-256: quick to generate, and accepted by every TLS stack we talk to.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

/// A certificate and its private key, both PEM (the key as PKCS#8 `PRIVATE KEY`).
#[derive(Debug, Clone)]
pub struct Issued {
    /// The leaf certificate alone; its CA is [`TestCa::cert_pem`].
    pub cert_pem: String,
    pub key_pem: String,
}

/// Which side of a handshake a certificate is for, written as its extended key usage, because
/// TLS libraries refuse a server certificate offered by a client and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `serverAuth`.
    Server,
    /// `clientAuth`.
    Client,
}

/// When a certificate is valid, relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From an hour ago until a day from now: an ordinary certificate (the hour absorbs clock skew).
    Day,
    /// From three days ago until yesterday: what a client must refuse as expired.
    Expired,
    /// From tomorrow on: what a client must refuse as not yet valid.
    NotYetValid,
}

/// What kind of leaf certificate [`TestCa::issue`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    pub role: Role,
    pub validity: Validity,
}

impl Leaf {
    /// A server certificate valid for a day.
    pub const fn server() -> Leaf {
        Leaf { role: Role::Server, validity: Validity::Day }
    }
    /// A client certificate valid for a day.
    pub const fn client() -> Leaf {
        Leaf { role: Role::Client, validity: Validity::Day }
    }
    /// The same certificate, but expired yesterday.
    pub const fn expired(self) -> Leaf {
        Leaf { validity: Validity::Expired, ..self }
    }
    /// The same certificate, but valid only from tomorrow.
    pub const fn not_yet_valid(self) -> Leaf {
        Leaf { validity: Validity::NotYetValid, ..self }
    }
}

/// A private certificate authority: trust [`TestCa::cert_pem`] on one side and present what it
/// [`issues`](TestCa::issue) on the other.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A fresh CA whose certificate's common name is `name`, valid from a week ago for a year.
    ///
    /// Panics only if the crypto library cannot make a key or sign, which would leave a test
    /// nothing to do anyway.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::default();
        params.distinguished_name.remove(DnType::CommonName);
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::OrganizationName, "mfa-sandbox test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(7);
        params.not_after = now + Duration::days(365);
        let key = new_key().expect("ECDSA P-256 key generation");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-signing the CA certificate");
        TestCa { issuer }
    }

    /// The CA certificate in PEM: what a client (`ca_cert_pem`) or a server (`client_ca_pem`)
    /// trusts.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf certificate for `names`, each a DNS name or an IP literal (IPv4, IPv6, bracketed or
    /// not); IP literals go into IP-address SANs, as clients match them only there. The first
    /// name is also the common name.
    ///
    /// Panics on a name that cannot be a DNS name (not ASCII) or when `names` is empty: both are
    /// mistakes in the test that asks.
    pub fn issue(&self, names: &[&str], kind: Leaf) -> Issued {
        assert!(!names.is_empty(), "a certificate needs at least one name");
        let mut params = CertificateParams::default();
        params.distinguished_name.remove(DnType::CommonName);
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.subject_alt_names = names.iter().map(|n| san(n)).collect();
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match kind.role {
            Role::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Role::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        (params.not_before, params.not_after) = window(kind.validity, OffsetDateTime::now_utc());
        let key = new_key().expect("ECDSA P-256 key generation");
        let cert = params.signed_by(&key, &self.issuer).expect("signing a leaf certificate");
        Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

fn new_key() -> Result<KeyPair, rcgen::Error> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
}

/// A subject alternative name: an IP address when `name` is an IP literal, else a DNS name.
fn san(name: &str) -> SanType {
    let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    match bare.parse::<IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(name.try_into().unwrap_or_else(|e| panic!("{name:?} is not a DNS name: {e}"))),
    }
}

/// `(not_before, not_after)` of a certificate of this validity, issued at `now`.
fn window(validity: Validity, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    match validity {
        Validity::Day => (now - Duration::hours(1), now + Duration::days(1)),
        Validity::Expired => (now - Duration::days(3), now - Duration::days(1)),
        Validity::NotYetValid => (now + Duration::days(1), now + Duration::days(2)),
    }
}

/// The certificate of plain `--tls`: self-signed for `localhost` and `127.0.0.1`, so one PEM is
/// both what the server presents and what the client trusts (`{TYPE}_CA_CERT_PEM`).
pub fn self_signed_localhost() -> Result<Issued, String> {
    let key = new_key().map_err(|e| e.to_string())?;
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(Issued { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}

/// A TLS acceptor presenting `cert_chain_pem` (leaf first) with `key_pem`, offering HTTP/2 and
/// HTTP/1.1 by ALPN. With `client_ca_pem` the handshake demands a client certificate issued by
/// that CA (mutual TLS, as a zero-trust gateway in front of a vendor would): a client without
/// one, or with one from another CA, fails the handshake.
pub fn acceptor(
    cert_chain_pem: &str,
    key_pem: &str,
    client_ca_pem: Option<&str>,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certs(pem, "client CA")? {
                roots.add(cert).map_err(|e| format!("client CA: {e}"))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("client CA: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| format!("TLS key: {e}"))?;
    let mut config =
        builder.with_single_cert(certs(cert_chain_pem, "TLS certificate")?, key).map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Every certificate in `pem`; none at all is an error, as a config without one cannot work.
fn certs(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what}: no certificate in the PEM"));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::{CertificateError, Error as TlsError};

    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    fn roots(pem: &str) -> Arc<rustls::RootCertStore> {
        let mut roots = rustls::RootCertStore::empty();
        for c in certs(pem, "roots").unwrap() {
            roots.add(c).unwrap();
        }
        Arc::new(roots)
    }

    fn leaf(issued: &Issued) -> CertificateDer<'static> {
        certs(&issued.cert_pem, "leaf").unwrap().remove(0)
    }

    /// What a client trusting `ca_pem` says of `issued` presented by a server named `name`.
    fn check_server(ca_pem: &str, issued: &Issued, name: &str) -> Result<(), TlsError> {
        let v = rustls::client::WebPkiServerVerifier::builder_with_provider(roots(ca_pem), provider()).build().unwrap();
        let name = ServerName::try_from(name.to_string()).unwrap();
        v.verify_server_cert(&leaf(issued), &[], &name, &[], UnixTime::now()).map(|_| ())
    }

    /// What a server demanding certificates from `ca_pem` says of `issued` presented by a client.
    fn check_client(ca_pem: &str, issued: &Issued) -> Result<(), TlsError> {
        let v = rustls::server::WebPkiClientVerifier::builder_with_provider(roots(ca_pem), provider()).build().unwrap();
        v.verify_client_cert(&leaf(issued), &[], UnixTime::now()).map(|_| ())
    }

    #[test]
    fn server_certificates_name_hosts_and_ip_addresses() {
        let ca = TestCa::new("Corp Root CA");
        let names = ["zitadel.corp.test", "192.0.2.10", "[2001:db8::10]", "::1"];
        let issued = ca.issue(&names, Leaf::server());
        for name in ["zitadel.corp.test", "192.0.2.10", "2001:db8::10", "::1"] {
            check_server(&ca.cert_pem(), &issued, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let wrong = check_server(&ca.cert_pem(), &issued, "other.corp.test").unwrap_err();
        assert!(matches!(wrong, TlsError::InvalidCertificate(CertificateError::NotValidForNameContext { .. })));
        let other_ca = TestCa::new("Someone else");
        let unknown = check_server(&other_ca.cert_pem(), &issued, "zitadel.corp.test").unwrap_err();
        assert_eq!(unknown, TlsError::InvalidCertificate(CertificateError::UnknownIssuer));
        assert!(issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn expired_and_future_certificates_are_refused() {
        let ca = TestCa::new("Corp Root CA");
        let expired = check_server(&ca.cert_pem(), &ca.issue(&["localhost"], Leaf::server().expired()), "localhost");
        assert!(
            matches!(expired, Err(TlsError::InvalidCertificate(CertificateError::ExpiredContext { .. }))),
            "{expired:?}"
        );
        let early =
            check_server(&ca.cert_pem(), &ca.issue(&["localhost"], Leaf::server().not_yet_valid()), "localhost");
        assert!(
            matches!(early, Err(TlsError::InvalidCertificate(CertificateError::NotValidYetContext { .. }))),
            "{early:?}"
        );
    }

    /// The extended key usage keeps each certificate on its side of the handshake.
    #[test]
    fn roles_are_kept_apart() {
        let ca = TestCa::new("Corp Root CA");
        let client = ca.issue(&["terraform-runner"], Leaf::client());
        check_client(&ca.cert_pem(), &client).unwrap();
        assert!(check_server(&ca.cert_pem(), &client, "terraform-runner").is_err());
        assert!(check_client(&ca.cert_pem(), &ca.issue(&["localhost"], Leaf::server())).is_err());
        assert!(check_client(&ca.cert_pem(), &ca.issue(&["runner"], Leaf::client().expired())).is_err());
        assert!(check_client(&TestCa::new("other").cert_pem(), &client).is_err());
    }

    #[test]
    fn the_self_signed_certificate_is_its_own_anchor() {
        let issued = self_signed_localhost().unwrap();
        for name in ["localhost", "127.0.0.1"] {
            check_server(&issued.cert_pem, &issued, name).unwrap();
        }
        acceptor(&issued.cert_pem, &issued.key_pem, None).unwrap();
    }

    #[test]
    fn acceptors_need_readable_pem() {
        let ca = TestCa::new("Corp Root CA");
        let server = ca.issue(&["localhost"], Leaf::server());
        acceptor(&server.cert_pem, &server.key_pem, Some(&ca.cert_pem())).unwrap();
        let no_ca = acceptor(&server.cert_pem, &server.key_pem, Some("not a certificate")).err().unwrap();
        assert!(no_ca.contains("client CA"), "{no_ca}");
        assert!(acceptor("", &server.key_pem, None).is_err());
        assert!(acceptor(&server.cert_pem, "", None).is_err());
        // A key that does not belong to the certificate.
        let other = ca.issue(&["localhost"], Leaf::server());
        assert!(acceptor(&server.cert_pem, &other.key_pem, None).is_err());
    }
}
