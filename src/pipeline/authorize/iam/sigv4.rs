//! The arithmetic of AWS Signature Version 4 as a verifier needs it: the canonical request
//! built from the request as it arrived and the client's own `SignedHeaders`, the string to
//! sign, and the signature. Signing crates decide for themselves which headers to sign, so
//! they cannot rebuild what a given client signed; the crypto (SHA-256, HMAC) is aws-lc-rs's.

use aws_lc_rs::{digest, hmac};

/// The one algorithm API Gateway takes.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

/// The request parts a canonical request is made of.
pub struct Parts<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: Option<&'a str>,
    /// Every header as received (any case).
    pub headers: &'a [(String, String)],
    /// The client's `SignedHeaders`, lower case, in its order.
    pub signed_headers: &'a [String],
    /// The body.
    pub body: &'a [u8],
}

/// The canonical request (the AWS documentation's "CanonicalRequest").
pub fn canonical_request(p: &Parts<'_>) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(p.method);
    out.push('\n');
    out.push_str(&canonical_uri(p.path));
    out.push('\n');
    out.push_str(&canonical_query(p.query.unwrap_or("")));
    out.push('\n');
    for name in p.signed_headers {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = p
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&p.signed_headers.join(";"));
    out.push('\n');
    // API Gateway hashes the body it received: an `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`
    // does not excuse the payload (aws-sdk-js-v3#308).
    out.push_str(&sha256_hex(p.body));
    out
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// The hex signature of a string to sign with a secret key, for a scope's date, region and
/// service.
pub fn signature(secret: &str, date: &str, region: &str, service: &str, to_sign: &str) -> String {
    let step = |key: &[u8], data: &str| -> Vec<u8> {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
            .as_ref()
            .to_vec()
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(&k_date, region);
    let k_service = step(&k_region, service);
    let k_signing = step(&k_service, "aws4_request");
    hex(&step(&k_signing, to_sign))
}

/// Whether two signatures are equal, in time independent of where they differ.
pub fn same_signature(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The canonical URI: the path with dot segments and repeated slashes removed, then every
/// byte outside RFC 3986's unreserved set (and `/`) percent-encoded, so a path sent encoded
/// is encoded twice, as AWS's signers do for every service but S3.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for s in path.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    encode(&normalized, true)
}

/// The canonical query string: each name and value decoded, then encoded again (unreserved
/// characters kept), sorted by name and then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k), false), encode(&decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding; a `%` not followed by two hex digits stays as it is.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = bytes.get(i + 1..i + 3)
            && let Ok(s) = std::str::from_utf8(h)
            && let Ok(v) = u8::from_str_radix(s, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `get-vanilla` case of AWS's Signature Version 4 test suite.
    #[test]
    fn the_aws_test_suite_vanilla_get_signs_as_published() {
        let headers = vec![
            ("Host".to_owned(), "example.amazonaws.com".to_owned()),
            ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
        ];
        let signed = vec!["host".to_owned(), "x-amz-date".to_owned()];
        let canonical = canonical_request(&Parts {
            method: "GET",
            path: "/",
            query: None,
            headers: &headers,
            signed_headers: &signed,
            body: b"",
        });
        assert_eq!(
            canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/service/aws4_request",
            &canonical,
        );
        assert_eq!(
            signature(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "20150830",
                "us-east-1",
                "service",
                &sts
            ),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn paths_are_normalized_and_encoded_twice() {
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_uri("/files/a%20b"), "/files/a%2520b");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn query_pairs_are_sorted_and_reencoded() {
        assert_eq!(canonical_query("b=2&a=x%20y&a=1&c"), "a=1&a=x%20y&b=2&c=");
        assert_eq!(canonical_query("k=%7E~"), "k=~~");
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = vec![
            ("Host".to_owned(), "h".to_owned()),
            ("X-Multi".to_owned(), "  a   b ".to_owned()),
            ("x-multi".to_owned(), "c".to_owned()),
        ];
        let signed = vec!["host".to_owned(), "x-multi".to_owned()];
        let c = canonical_request(&Parts {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            signed_headers: &signed,
            body: b"{}",
        });
        assert!(c.contains("\nx-multi:a b,c\n"), "{c}");
    }
}
