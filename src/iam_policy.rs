//! IAM policy evaluation for Lambda authorizer results (aws-semantics.md §4.1, §5.1).
//!
//! Only statements whose `Action` covers `execute-api:Invoke` take part. An explicit `Deny`
//! that matches the method ARN wins; else a matching `Allow` allows; else the request is
//! implicitly denied. `Resource` patterns use IAM wildcards: `*` matches any run of
//! characters (slashes and colons included) and `?` exactly one. `NotResource` is honoured:
//! such a statement applies to every ARN that matches none of its patterns.
//!
//! A leaf, outside the pipeline: the trace keeps a result's statements, so that the admin
//! API can say which statement covers a request without parsing summaries back.

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// One policy statement, as parsed from the authorizer's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// `Effect`.
    pub effect: Effect,
    /// `Action` patterns.
    pub actions: Vec<String>,
    /// `Resource` patterns (empty when the statement uses `NotResource`).
    pub resources: Vec<String>,
    /// `NotResource` patterns.
    pub not_resources: Vec<String>,
}

/// What a policy says about one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// A matching `Allow` and no matching `Deny`.
    Allow,
    /// A matching `Deny`.
    ExplicitDeny,
    /// No statement matches.
    ImplicitDeny,
}

/// IAM wildcard match of the whole `text` against `pattern`.
///
/// Iterative with one backtrack point, so it is linear in practice and cannot blow the
/// stack on hostile patterns.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    // Policies nearly always start with a long literal (`arn:aws:execute-api:REGION:...`):
    // compare it in one go, then walk the rest byte by byte.
    let literal = p
        .iter()
        .position(|&b| b == b'*' || b == b'?')
        .unwrap_or(p.len());
    if !t.starts_with(&p[..literal]) {
        return false;
    }
    let (mut pi, mut ti) = (literal, literal);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn covers_invoke(actions: &[String]) -> bool {
    actions.iter().any(|a| {
        // IAM action names are case-insensitive; the common spellings need no allocation.
        matches!(a.as_str(), "execute-api:Invoke" | "execute-api:*" | "*")
            || wildcard_match(&a.to_ascii_lowercase(), "execute-api:invoke")
    })
}

pub fn applies(s: &Statement, method_arn: &str) -> bool {
    if !covers_invoke(&s.actions) {
        return false;
    }
    if !s.not_resources.is_empty() {
        return !s
            .not_resources
            .iter()
            .any(|r| wildcard_match(r, method_arn));
    }
    s.resources.iter().any(|r| wildcard_match(r, method_arn))
}

/// Whether a policy allows exactly the one method ARN it was built for and nothing else: every
/// `Allow` statement that covers `execute-api:Invoke` names that ARN alone, without a wildcard
/// or a `NotResource`. Cached, such a policy denies the caller's next route (the trap the
/// console flags).
pub fn allows_only(statements: &[Statement], method_arn: &str) -> bool {
    let mut allows = statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && covers_invoke(&s.actions))
        .peekable();
    allows.peek().is_some()
        && allows.all(|s| s.not_resources.is_empty() && s.resources.iter().all(|r| r == method_arn))
}

/// Evaluate statements against a method ARN.
pub fn evaluate(statements: &[Statement], method_arn: &str) -> Decision {
    let mut allowed = false;
    for s in statements {
        if applies(s, method_arn) {
            match s.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_for_exactly_its_own_method_arn_allows_only_it() {
        assert!(allows_only(&[st(Effect::Allow, ARN)], ARN));
        let wild = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*/*";
        assert!(!allows_only(&[st(Effect::Allow, wild)], ARN));
        assert!(!allows_only(
            &[st(Effect::Allow, ARN), st(Effect::Allow, wild)],
            ARN
        ));
        assert!(!allows_only(&[st(Effect::Deny, ARN)], ARN));
        assert!(!allows_only(&[], ARN));
        // A resource with ", " in it is one resource, not two.
        let odd = format!("{ARN}, {ARN}");
        assert!(!allows_only(&[st(Effect::Allow, &odd)], ARN));
        // A statement for another action does not count.
        let mut other = st(Effect::Allow, wild);
        other.actions = vec!["execute-api:ManageConnections".into()];
        assert!(allows_only(&[st(Effect::Allow, ARN), other], ARN));
        let not = Statement {
            not_resources: vec![wild.into()],
            resources: vec![],
            ..st(Effect::Allow, ARN)
        };
        assert!(!allows_only(&[not], ARN));
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/7";

    fn st(effect: Effect, resource: &str) -> Statement {
        Statement {
            effect,
            actions: vec!["execute-api:Invoke".into()],
            resources: vec![resource.into()],
            not_resources: vec![],
        }
    }

    #[test]
    fn wildcards_follow_iam() {
        assert!(wildcard_match("*", ARN));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*",
            ARN
        ));
        assert!(wildcard_match(
            "arn:aws:execute-api:*:*:abc123/Prod/GET/pets/?",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:*:*:abc123/Prod/GET/pets/??",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:*:*:abc123/Prod/POST/*",
            ARN
        ));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        // The literal head: longer than the text, equal to it, a strict prefix of it.
        assert!(!wildcard_match("abc*", "ab"));
        assert!(wildcard_match("abc*", "abc"));
        assert!(wildcard_match("abc", "abc"));
        assert!(!wildcard_match("abc", "abcd"));
        assert!(!wildcard_match("abd*", "abcd"));
        assert!(wildcard_match("ab?d", "abcd"));
        // Pathological patterns stay fast.
        let long = "a".repeat(5000);
        assert!(!wildcard_match(&format!("{}b", "*a".repeat(50)), &long));
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let p = [
            st(Effect::Allow, "*"),
            st(Effect::Deny, "*/Prod/GET/pets/*"),
        ];
        assert_eq!(evaluate(&p, ARN), Decision::ExplicitDeny);
    }

    #[test]
    fn allow_must_cover_the_arn() {
        assert_eq!(evaluate(&[st(Effect::Allow, ARN)], ARN), Decision::Allow);
        let other = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/8";
        assert_eq!(
            evaluate(&[st(Effect::Allow, other)], ARN),
            Decision::ImplicitDeny
        );
        assert_eq!(evaluate(&[], ARN), Decision::ImplicitDeny);
    }

    #[test]
    fn deny_that_does_not_match_is_ignored() {
        let p = [st(Effect::Allow, "*"), st(Effect::Deny, "*/POST/*")];
        assert_eq!(evaluate(&p, ARN), Decision::Allow);
    }

    #[test]
    fn actions_other_than_invoke_do_not_count() {
        let mut s = st(Effect::Allow, "*");
        s.actions = vec!["execute-api:ManageConnections".into()];
        assert_eq!(evaluate(&[s.clone()], ARN), Decision::ImplicitDeny);
        s.actions = vec!["execute-api:*".into()];
        assert_eq!(evaluate(&[s.clone()], ARN), Decision::Allow);
        s.actions = vec!["*".into()];
        assert_eq!(evaluate(&[s], ARN), Decision::Allow);
    }

    #[test]
    fn not_resource_applies_to_everything_else() {
        let s = Statement {
            effect: Effect::Deny,
            actions: vec!["execute-api:Invoke".into()],
            resources: vec![],
            not_resources: vec!["*/GET/public/*".into()],
        };
        let p = [st(Effect::Allow, "*"), s];
        assert_eq!(evaluate(&p, ARN), Decision::ExplicitDeny);
        assert_eq!(
            evaluate(&p, "arn:aws:execute-api:us-east-1:1:abc/Prod/GET/public/x"),
            Decision::Allow
        );
    }
}
