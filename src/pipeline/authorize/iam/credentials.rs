//! The credentials `AWS_IAM` routes check signatures against: every profile of the file given
//! with `--iam-credentials` (the AWS shared credentials format), or, without it, what an AWS
//! SDK would sign with here: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and
//! `AWS_SESSION_TOKEN`), else the `AWS_PROFILE` (or `default`) profile of
//! `AWS_SHARED_CREDENTIALS_FILE` (or `~/.aws/credentials`).
//!
//! Besides the AWS keys a profile may carry `aws_account_id` and glassgate's own
//! `glassgate_user_arn` and `glassgate_user_id`, which fill the caller's identity in the event
//! (IAM would know them; locally nothing else does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One known access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `aws_secret_access_key`.
    pub secret: String,
    /// `aws_session_token`: temporary credentials must send it as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// `aws_account_id`, or the account of `glassgate_user_arn`.
    pub account_id: Option<String>,
    /// `glassgate_user_arn`: `userArn` in the event.
    pub user_arn: Option<String>,
    /// `glassgate_user_id`: `caller` and `user` in the event (an IAM unique id such as
    /// `AIDA...`, or `AROA...:session` for a role).
    pub user_id: Option<String>,
    /// Where it came from, for messages: `profile dev of FILE`, `AWS_ACCESS_KEY_ID`.
    pub origin: String,
}

/// Every known access key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    by_key: HashMap<String, Credential>,
    /// Where they were looked for, for messages (`--iam-credentials FILE`, `the AWS
    /// environment and profile`).
    pub looked_in: String,
}

/// A credentials file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file cannot be read.
    #[error("--iam-credentials {}: cannot read it", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a section, a `key = value` or a comment.
    #[error("--iam-credentials {}: line {line}: expected [profile] or key = value, got {text:?}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The line.
        text: String,
    },
    /// A profile with a key id and no secret, or the reverse.
    #[error("--iam-credentials {}: profile [{profile}] needs both aws_access_key_id and aws_secret_access_key", path.display())]
    Incomplete {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
    /// The file holds no usable profile.
    #[error("--iam-credentials {}: no profile has aws_access_key_id and aws_secret_access_key", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl Credentials {
    /// The credential of an access key id.
    pub fn get(&self, access_key: &str) -> Option<&Credential> {
        self.by_key.get(access_key)
    }

    /// How many access keys are known.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no access key is known.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Every profile of a credentials file.
    ///
    /// # Errors
    /// The file cannot be read, is not in the credentials format, or holds no key.
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let profiles = parse(&text).map_err(|(line, text)| CredentialsError::Syntax {
            path: path.to_owned(),
            line,
            text,
        })?;
        let mut creds = Credentials {
            looked_in: format!("--iam-credentials {}", path.display()),
            ..Credentials::default()
        };
        for (profile, keys) in &profiles {
            match (
                keys.get("aws_access_key_id"),
                keys.get("aws_secret_access_key"),
            ) {
                (Some(id), Some(secret)) => {
                    let origin = format!("profile {profile} of {}", path.display());
                    creds
                        .by_key
                        .insert(id.clone(), credential(secret, keys, origin));
                }
                (None, None) => {}
                _ => {
                    return Err(CredentialsError::Incomplete {
                        path: path.to_owned(),
                        profile: profile.clone(),
                    });
                }
            }
        }
        if creds.is_empty() {
            return Err(CredentialsError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(creds)
    }

    /// What an AWS SDK would sign with on this machine (environment, then profile); empty
    /// when there is nothing. A profile file that does not parse is skipped with a note in
    /// `looked_in`, as the SDKs would fail on it too.
    pub fn from_environment(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut creds = Credentials {
            looked_in: "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the AWS profile".into(),
            ..Credentials::default()
        };
        if let (Some(id), Some(secret)) = (
            env("AWS_ACCESS_KEY_ID").filter(|s| !s.is_empty()),
            env("AWS_SECRET_ACCESS_KEY").filter(|s| !s.is_empty()),
        ) {
            let mut keys = HashMap::new();
            if let Some(t) = env("AWS_SESSION_TOKEN").filter(|s| !s.is_empty()) {
                keys.insert("aws_session_token".to_owned(), t);
            }
            if let Some(a) = env("AWS_ACCOUNT_ID").filter(|s| !s.is_empty()) {
                keys.insert("aws_account_id".to_owned(), a);
            }
            creds
                .by_key
                .insert(id, credential(&secret, &keys, "AWS_ACCESS_KEY_ID".into()));
            return creds;
        }
        let file = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".aws/credentials")));
        let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let Some(file) = file else {
            return creds;
        };
        let Ok(text) = std::fs::read_to_string(&file) else {
            return creds;
        };
        match parse(&text) {
            Ok(profiles) => {
                if let Some(keys) = profiles.iter().find(|(p, _)| *p == profile).map(|(_, k)| k)
                    && let (Some(id), Some(secret)) = (
                        keys.get("aws_access_key_id"),
                        keys.get("aws_secret_access_key"),
                    )
                {
                    let origin = format!("profile {profile} of {}", file.display());
                    creds
                        .by_key
                        .insert(id.clone(), credential(secret, keys, origin));
                }
            }
            Err((line, _)) => {
                creds.looked_in = format!(
                    "{} ({} does not parse at line {line})",
                    creds.looked_in,
                    file.display()
                );
            }
        }
        creds
    }
}

fn credential(secret: &str, keys: &HashMap<String, String>, origin: String) -> Credential {
    let user_arn = keys.get("glassgate_user_arn").cloned();
    let account_id = keys.get("aws_account_id").cloned().or_else(|| {
        // arn:aws:iam::123456789012:user/alice
        user_arn
            .as_deref()
            .and_then(|a| a.split(':').nth(4))
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    });
    Credential {
        secret: secret.to_owned(),
        session_token: keys.get("aws_session_token").cloned(),
        account_id,
        user_arn,
        user_id: keys.get("glassgate_user_id").cloned(),
        origin,
    }
}

type Profiles = Vec<(String, HashMap<String, String>)>;

/// The sections of an INI file in the AWS credentials dialect: `[name]` (or `[profile
/// name]`), `key = value`, `#` and `;` comments, indented lines continuing a nested block
/// (ignored, as nothing here needs them).
fn parse(text: &str) -> Result<Profiles, (usize, String)> {
    let mut profiles: Profiles = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) && !profiles.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            let name = name.strip_prefix("profile ").unwrap_or(name).trim();
            profiles.push((name.to_owned(), HashMap::new()));
            continue;
        }
        match (line.split_once('='), profiles.last_mut()) {
            (Some((k, v)), Some((_, keys))) => {
                keys.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
            _ => return Err((i + 1, raw.to_owned())),
        }
    }
    Ok(profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_of_a_file_is_a_known_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "# test callers\n[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = s1\n\n[profile alice]\naws_access_key_id=AKIDALICE\naws_secret_access_key=s2\naws_session_token = tok\nglassgate_user_arn = arn:aws:iam::111122223333:user/alice\ns3 =\n  max_concurrent_requests = 2\n",
        )
        .expect("write");
        let c = Credentials::from_file(&path).expect("loads");
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("AKIDEFAULT").map(|c| c.secret.as_str()), Some("s1"));
        let alice = c.get("AKIDALICE").expect("alice");
        assert_eq!(alice.session_token.as_deref(), Some("tok"));
        assert_eq!(alice.account_id.as_deref(), Some("111122223333"));
        assert!(
            alice.origin.starts_with("profile alice of "),
            "{}",
            alice.origin
        );
    }

    #[test]
    fn a_broken_file_says_where() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[default]\naws_access_key_id AKID\n").expect("write");
        let e = Credentials::from_file(&path)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        std::fs::write(&path, "[default]\naws_access_key_id = AKID\n").expect("write");
        let e = Credentials::from_file(&path)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("needs both"), "{e}");
    }

    #[test]
    fn the_environment_wins_over_the_profile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = sdev\n",
        )
        .expect("write");
        let file = path.display().to_string();
        let profile_only = |k: &str| match k {
            "AWS_SHARED_CREDENTIALS_FILE" => Some(file.clone()),
            "AWS_PROFILE" => Some("dev".into()),
            _ => None,
        };
        assert!(
            Credentials::from_environment(&profile_only)
                .get("AKIDDEV")
                .is_some()
        );
        let with_env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKIDENV".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("senv".into()),
            other => profile_only(other),
        };
        let c = Credentials::from_environment(&with_env);
        assert_eq!(c.len(), 1);
        assert!(c.get("AKIDENV").is_some());
    }
}
