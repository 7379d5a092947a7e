//! `--self-signed`: a CA and a serving certificate for the webhook
//! Service's DNS names, generated in memory at start (rcgen, ECDSA P-256).
//! The CA goes into the MutatingWebhookConfiguration's `caBundle`
//! (see `cabundle`).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A generated serving pair and the CA that signed it, in PEM.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// The serving certificate followed by the CA.
    pub cert_chain_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
}

/// The names the API server may use for `<service>.<namespace>`.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Generates a CA and a certificate it signs for `names`.
pub fn generate(names: &[String]) -> Result<SelfSigned, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "meshinject self-signed CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names.to_vec())?;
    if let Some(first) = names.first() {
        params
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer)?;
    Ok(SelfSigned {
        cert_chain_pem: format!("{}{}", cert.pem(), ca_cert.pem()),
        key_pem: key.serialize_pem(),
        ca_pem: ca_cert.pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_is_servable() {
        let names = service_names("istiod", "istio-system");
        assert!(names.contains(&"istiod.istio-system.svc".to_string()));
        let s = generate(&names).unwrap();
        assert!(s.cert_chain_pem.matches("BEGIN CERTIFICATE").count() == 2);
        super::super::tls::certified_key(s.cert_chain_pem.as_bytes(), s.key_pem.as_bytes())
            .expect("the generated key matches the generated certificate");
    }
}
