//! The plugin server's certificate, written as DER by hand: one fixed shape (go-plugin's own,
//! for `localhost`, with an Ed25519 key), so a certificate library would bring a general
//! encoder, its time and PEM crates and their start-up cost to every provider process for
//! a few hundred bytes that never vary but in the key, the serial number and the dates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};

/// Why the certificate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// aws-lc could not generate or encode the key, or gather randomness.
    #[error("aws-lc could not {0}")]
    Crypto(&'static str),
}

/// A fresh key and its self-signed certificate.
pub struct ServerIdentity {
    /// The certificate in DER.
    pub certificate: Vec<u8>,
    /// The private key as PKCS#8 DER.
    pub private_key: Vec<u8>,
}

/// How long before now the certificate is valid (clocks of the two processes may differ).
const VALID_BEFORE: Duration = Duration::from_secs(30);
/// How long after now the certificate is valid.
const VALID_FOR: Duration = Duration::from_secs(60 * 60 * 24 * 30);

// Object identifiers and fixed parts, DER-encoded.
const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
const VERSION_3: &[u8] = &[0xa0, 0x03, 0x02, 0x01, 0x02];
const OID_ORGANIZATION: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x0a];
const OID_COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
const OID_KEY_USAGE: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x0f];
const OID_EXTENDED_KEY_USAGE: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x25];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x13];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x11];
const OID_SERVER_AUTH: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const OID_CLIENT_AUTH: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const CRITICAL: &[u8] = &[0x01, 0x01, 0xff];
/// digitalSignature, keyEncipherment and keyCertSign (bits 0, 2 and 5).
const KEY_USAGE_BITS: &[u8] = &[0x03, 0x02, 0x02, 0xa4];
/// cA = TRUE, no path length limit.
const CA: &[u8] = &[0x30, 0x03, 0x01, 0x01, 0xff];

/// A new Ed25519 key and a certificate for it, self-signed, shaped as go-plugin makes its own:
/// subject and issuer `O=HashiCorp, CN=localhost`, a CA (Terraform trusts it as the root of
/// the connection), usable for signatures, server and client authentication, and the name
/// `localhost`, valid from 30 seconds ago for 30 days.
pub fn generate() -> Result<ServerIdentity, CertificateError> {
    let key = Ed25519KeyPair::generate().map_err(|_| CertificateError::Crypto("generate a key"))?;
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial)
        .map_err(|_| CertificateError::Crypto("draw a serial number"))?;
    let now = SystemTime::now();
    let tbs = tbs_certificate(
        key.public_key().as_ref(),
        serial,
        now.checked_sub(VALID_BEFORE).unwrap_or(now),
        now + VALID_FOR,
    );
    let signature = key.sign(&tbs);
    let certificate = sequence(&[&tbs, ED25519, &bit_string(signature.as_ref())]);
    let private_key = key
        .to_pkcs8()
        .map_err(|_| CertificateError::Crypto("encode the key"))?;
    Ok(ServerIdentity {
        certificate,
        private_key: private_key.as_ref().to_vec(),
    })
}

/// The part of the certificate the signature covers.
fn tbs_certificate(
    public_key: &[u8],
    mut serial: [u8; 16],
    not_before: SystemTime,
    not_after: SystemTime,
) -> Vec<u8> {
    // A positive INTEGER in its shortest form: the top bit clear, the next one set.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    let name = sequence(&[
        &set(&sequence(&[OID_ORGANIZATION, &tlv(0x0c, b"HashiCorp")])),
        &set(&sequence(&[OID_COMMON_NAME, &tlv(0x0c, b"localhost")])),
    ]);
    let validity = sequence(&[&time(not_before), &time(not_after)]);
    let public_key_info = sequence(&[ED25519, &bit_string(public_key)]);
    let extensions = sequence(&[
        &sequence(&[OID_KEY_USAGE, CRITICAL, &tlv(0x04, KEY_USAGE_BITS)]),
        &sequence(&[
            OID_EXTENDED_KEY_USAGE,
            &tlv(0x04, &sequence(&[OID_SERVER_AUTH, OID_CLIENT_AUTH])),
        ]),
        &sequence(&[OID_BASIC_CONSTRAINTS, CRITICAL, &tlv(0x04, CA)]),
        &sequence(&[
            OID_SUBJECT_ALT_NAME,
            &tlv(0x04, &sequence(&[&tlv(0x82, b"localhost")])),
        ]),
    ]);
    sequence(&[
        VERSION_3,
        &tlv(0x02, &serial),
        ED25519,
        &name,
        &validity,
        &name,
        &public_key_info,
        &tlv(0xa3, &extensions),
    ])
}

/// One DER element: tag, definite length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(tag);
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set(content: &[u8]) -> Vec<u8> {
    tlv(0x31, content)
}

/// A BIT STRING of whole bytes.
fn bit_string(bytes: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], bytes].concat())
}

/// UTCTime for the years 1950 to 2049, GeneralizedTime after, as RFC 5280 requires.
fn time(at: SystemTime) -> Vec<u8> {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    let clock = format!(
        "{month:02}{day:02}{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
    if year < 2050 {
        tlv(0x17, format!("{:02}{clock}", year % 100).as_bytes())
    } else {
        tlv(0x18, format!("{year:04}{clock}").as_bytes())
    }
}

/// The Gregorian (year, month, day) of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{CertificateDer, ServerName};

    #[test]
    fn dates_follow_the_gregorian_calendar() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(59), (1970, 3, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_787), (2026, 11, 30));
        assert_eq!(civil_date(29_220), (2050, 1, 1));
    }

    #[test]
    fn times_switch_to_generalized_time_in_2050() {
        let at = |seconds| UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(time(at(1_796_000_000)), tlv(0x17, b"261130005320Z"));
        assert_eq!(time(at(2_524_608_000)), tlv(0x18, b"20500101000000Z"));
    }

    #[test]
    fn long_elements_use_the_long_length_form() {
        assert_eq!(tlv(0x04, &[7; 3])[..2], [0x04, 3]);
        assert_eq!(tlv(0x04, &[7; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[7; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    /// One DER element at the start of `der` (short or long length form): its contents and
    /// what follows it.
    fn split_element(der: &[u8]) -> (&[u8], &[u8]) {
        let (header, length) = match der[1] {
            short if short < 0x80 => (2, usize::from(short)),
            long => {
                let count = usize::from(long & 0x7f);
                let length = der[2..2 + count]
                    .iter()
                    .fold(0, |acc, byte| acc << 8 | usize::from(*byte));
                (2 + count, length)
            }
        };
        let (element, rest) = der.split_at(header + length);
        (&element[header..], rest)
    }

    /// webpki (what rustls checks certificates with) parses the certificate and finds the name
    /// `localhost` in it, and its signature verifies with its own key. (Path building does not
    /// apply: webpki refuses a CA as an end entity, which is what go-plugin's shape is; the
    /// protocol tests have Terraform's Go client verify it.)
    #[test]
    fn the_certificate_is_a_self_signed_certificate_for_localhost() {
        let identity = generate().expect("certificate");
        let der = CertificateDer::from(identity.certificate.clone());
        let anchor = webpki::anchor_from_trusted_cert(&der).expect("parses as a trust anchor");
        let leaf = webpki::EndEntityCert::try_from(&der).expect("parses with its extensions");
        let name = ServerName::try_from("localhost").expect("name");
        leaf.verify_is_valid_for_subject_name(&name)
            .expect("valid for localhost");
        assert!(
            leaf.verify_is_valid_for_subject_name(
                &ServerName::try_from("example.com").expect("name")
            )
            .is_err()
        );

        let (certificate, rest) = split_element(&identity.certificate);
        assert!(rest.is_empty());
        let tbs_length = certificate.len() - split_element(certificate).1.len();
        let (algorithm, rest) = split_element(&certificate[tbs_length..]);
        let (signature, rest) = split_element(rest);
        assert!(rest.is_empty());
        assert_eq!(algorithm, &ED25519[2..]);
        let tbs = &certificate[..tbs_length];
        let public_key =
            &anchor.subject_public_key_info[anchor.subject_public_key_info.len() - 32..];
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, public_key)
            .verify(tbs, &signature[1..])
            .expect("self-signed");
        assert_ne!(
            generate().expect("second").certificate,
            identity.certificate
        );
    }
}
