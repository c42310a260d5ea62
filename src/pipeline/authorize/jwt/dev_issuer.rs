//! A local development issuer, for machines that cannot reach the real one (issue #9):
//! `glassgate token --issuer ISSUER ...` prints a token signed with a key glassgate generates
//! once and keeps in the user's config folder, and `serve --trust-dev-issuer ISSUER` makes
//! that key the issuer's JWKS, so a Cognito pool's or an Auth0 tenant's routes can be tried
//! offline. Never implied: both sides are asked for explicitly, and the server announces it.
//!
//! The key: RSA 2048 (aws-lc-rs), PKCS#8 in `dev-issuer-key.pk8` under
//! `$GLASSGATE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/glassgate`, else `~/.config/glassgate`,
//! readable by its owner only. Tokens are RS256 with the key's `kid`.

use std::path::PathBuf;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;

/// Why the dev key cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    /// No folder to keep it in.
    #[error("no config folder: set GLASSGATE_CONFIG_DIR, XDG_CONFIG_HOME or HOME")]
    NoFolder,
    /// Reading or writing it failed.
    #[error("{path}: {reason}")]
    Io {
        /// The key file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The file is not a key this module wrote.
    #[error("{path} is not an RSA private key in PKCS#8 (delete it to get a new one)")]
    Invalid {
        /// The key file.
        path: String,
    },
}

/// The dev issuer's key pair.
pub struct DevKey {
    pair: KeyPair,
    kid: String,
    /// Where it is kept.
    pub path: PathBuf,
}

fn folder() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GLASSGATE_CONFIG_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(d).join("glassgate"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config").join("glassgate"))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl DevKey {
    /// The key, made and stored on first use.
    ///
    /// # Errors
    /// [`DevKeyError`] when it can be neither read nor made.
    pub fn load_or_create() -> Result<DevKey, DevKeyError> {
        let dir = folder().ok_or(DevKeyError::NoFolder)?;
        let path = dir.join("dev-issuer-key.pk8");
        let shown = path.display().to_string();
        let io = |e: std::io::Error| DevKeyError::Io {
            path: shown.clone(),
            reason: e.to_string(),
        };
        let der = match std::fs::read(&path) {
            Ok(der) => der,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| DevKeyError::Io {
                    path: shown.clone(),
                    reason: "cannot generate an RSA key".into(),
                })?;
                let der =
                    aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                        .map_err(|_| DevKeyError::Invalid {
                            path: shown.clone(),
                        })?
                        .as_ref()
                        .to_vec();
                std::fs::create_dir_all(&dir).map_err(io)?;
                write_private(&path, &der).map_err(io)?;
                der
            }
            Err(e) => return Err(io(e)),
        };
        let pair = KeyPair::from_pkcs8(&der).map_err(|_| DevKeyError::Invalid {
            path: shown.clone(),
        })?;
        let n = pair
            .public_key()
            .modulus()
            .big_endian_without_leading_zero()
            .to_vec();
        let kid = format!("glassgate-dev-{}", crate::model::api_id_for(&b64(&n)));
        Ok(DevKey { pair, kid, path })
    }

    /// The key's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWKS that publishes the key.
    pub fn jwks(&self) -> JwkSet {
        let public = self.pair.public_key();
        let n = b64(public.modulus().big_endian_without_leading_zero());
        let e = b64(public.exponent().big_endian_without_leading_zero());
        serde_json::from_value(serde_json::json!({
            "keys": [{"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": n, "e": e}]
        }))
        .unwrap_or(JwkSet { keys: Vec::new() })
    }

    /// A token with `claims`, RS256-signed with the key.
    ///
    /// # Errors
    /// A description when signing fails.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "signing failed".to_owned())?;
        Ok(format!("{signed}.{}", b64(&sig)))
    }
}

/// Write a file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}
