//! Lambda's process environment, and `--env-vars` overrides in SAM's JSON format.

use std::path::Path;

use indexmap::IndexMap;

use super::LambdaSettings;
use crate::model::Function;

/// Variables from the host that handlers legitimately need: where programs are, who the
/// user is, and the AWS credentials an SDK call from a handler would use. Everything else
/// of the host stays out, as on Lambda.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "TMPDIR",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// `--env-vars FILE`: `{"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "value"}}`.
///
/// As in `sam local`, a value overrides a variable only if the function declares it in the
/// template; `Parameters` applies to every function, a function's own section wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvOverrides {
    global: IndexMap<String, String>,
    per_function: IndexMap<String, IndexMap<String, String>>,
}

/// A malformed `--env-vars` file.
#[derive(Debug, thiserror::Error)]
pub enum EnvVarsError {
    /// The file cannot be read.
    #[error("cannot read env-vars file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the expected JSON shape.
    #[error("env-vars file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl EnvOverrides {
    /// Read and check an env-vars file.
    ///
    /// # Errors
    /// [`EnvVarsError`] naming the file and the offending key.
    pub fn from_file(path: &Path) -> Result<Self, EnvVarsError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| EnvVarsError::Read {
            path: p.clone(),
            source,
        })?;
        Self::parse(&text).map_err(|message| EnvVarsError::Invalid { path: p, message })
    }

    /// Parse the JSON text of an env-vars file.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let serde_json::Value::Object(top) = v else {
            return Err(
                "expected an object of the form {\"FunctionName\": {\"VAR\": \"value\"}}".into(),
            );
        };
        let mut out = EnvOverrides::default();
        for (section, vars) in top {
            let serde_json::Value::Object(vars) = vars else {
                return Err(format!("{section}: expected an object of variables"));
            };
            let mut map = IndexMap::new();
            for (k, v) in vars {
                let s = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(format!(
                            "{section}.{k}: expected a string, number or boolean, got {other}"
                        ));
                    }
                };
                map.insert(k, s);
            }
            if section == "Parameters" {
                out.global = map;
            } else {
                out.per_function.insert(section, map);
            }
        }
        Ok(out)
    }

    /// Sections naming functions the model does not have (worth a warning).
    pub fn unknown_functions<'a>(
        &'a self,
        known: &'a IndexMap<String, Function>,
    ) -> impl Iterator<Item = &'a str> {
        self.per_function
            .keys()
            .filter(move |k| {
                !known.contains_key(*k) && !known.values().any(|f| &f.function_name == *k)
            })
            .map(String::as_str)
    }

    /// The function's variables with overrides applied.
    pub fn apply(&self, f: &Function) -> IndexMap<String, String> {
        let mut vars = f.environment.clone();
        let own = self
            .per_function
            .get(&f.logical_id)
            .or_else(|| self.per_function.get(&f.function_name));
        for (k, v) in vars.iter_mut() {
            if let Some(o) = own.and_then(|m| m.get(k)).or_else(|| self.global.get(k)) {
                v.clone_from(o);
            }
        }
        vars
    }
}

/// The complete environment of a function's process (without `AWS_LAMBDA_RUNTIME_API`,
/// which is per process).
pub(crate) fn lambda_environment(
    f: &Function,
    settings: &LambdaSettings,
    bootstrap_dir: &Path,
) -> Vec<(String, String)> {
    let mut env: IndexMap<String, String> = IndexMap::new();
    for k in INHERITED {
        if let Ok(v) = std::env::var(k) {
            env.insert((*k).to_owned(), v);
        }
    }
    let task_root = f.code_dir.display().to_string();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("TZ", ":UTC".into());
    set("LAMBDA_TASK_ROOT", task_root);
    set("LAMBDA_RUNTIME_DIR", bootstrap_dir.display().to_string());
    set("_HANDLER", f.handler.clone().unwrap_or_default());
    set("AWS_LAMBDA_FUNCTION_NAME", f.function_name.clone());
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into());
    set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string());
    set(
        "AWS_LAMBDA_LOG_GROUP_NAME",
        format!("/aws/lambda/{}", f.function_name),
    );
    set("AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST".into());
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", f.runtime));
    set("AWS_REGION", settings.region.clone());
    set("AWS_DEFAULT_REGION", settings.region.clone());
    if f.runtime.starts_with("python") {
        set("PYTHONUNBUFFERED", "1".into());
        // Lambda's code folder is read-only, so no bytecode is ever written there. Writing it
        // here would litter the project with __pycache__ and, worse, let a reload load stale
        // bytecode: a .pyc is trusted when the source's mtime (to the second) and size match,
        // so an edit that keeps the size within the same second would not be seen.
        set("PYTHONDONTWRITEBYTECODE", "1".into());
    }
    for (k, v) in search_paths(f, env.get("PATH").map(String::as_str)) {
        env.insert(k, v);
    }
    for (k, v) in settings.env_overrides.apply(f) {
        env.insert(k, v);
    }
    env.into_iter().collect()
}

/// The search paths that reach a function's installed dependencies (`glassgate build`, what
/// the deployment package would hold beside the code, so first) and its layers, as Lambda's
/// `/opt` does: Python's `python/` and `python/lib/pythonX.Y/site-packages`, Node's
/// `nodejs/node_modules` and `nodejs/nodeNN/node_modules`, `bin/` on `PATH` and `lib/` on
/// `LD_LIBRARY_PATH`. Lambda unpacks layers in order, a later one overwriting an earlier
/// one's files, so later layers come first here. Node's ES modules ignore `NODE_PATH`; the
/// runtime client resolves bare imports from `GLASSGATE_NODE_DEPS` itself.
fn search_paths(f: &Function, path: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(deps) = &f.deps {
        if f.runtime.starts_with("nodejs") {
            out.push(("GLASSGATE_NODE_DEPS".to_owned(), deps.display().to_string()));
        }
    }
    if f.layers.is_empty() && f.deps.is_none() {
        return out;
    }
    let join = |dirs: Vec<std::path::PathBuf>| {
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    };
    let newest_first: Vec<&std::path::PathBuf> = f.layers.iter().rev().collect();
    if f.runtime.starts_with("python") {
        let dirs = f
            .deps
            .iter()
            .cloned()
            .chain(newest_first.iter().flat_map(|l| {
                [
                    l.join("python"),
                    l.join("python/lib").join(&f.runtime).join("site-packages"),
                ]
            }))
            .collect();
        out.push(("PYTHONPATH".to_owned(), join(dirs)));
    }
    if f.runtime.starts_with("nodejs") {
        let major: String = f
            .runtime
            .trim_start_matches("nodejs")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let dirs = f
            .deps
            .iter()
            .map(|d| d.join("node_modules"))
            .chain(newest_first.iter().flat_map(|l| {
                [
                    l.join("nodejs")
                        .join(format!("node{major}"))
                        .join("node_modules"),
                    l.join("nodejs/node_modules"),
                ]
            }))
            .collect();
        out.push(("NODE_PATH".to_owned(), join(dirs)));
    }
    let bins = join(newest_first.iter().map(|l| l.join("bin")).collect());
    out.push((
        "PATH".to_owned(),
        match path {
            Some(p) if !p.is_empty() => format!("{bins}:{p}"),
            _ => bins,
        },
    ));
    out.push((
        "LD_LIBRARY_PATH".to_owned(),
        join(newest_first.iter().map(|l| l.join("lib")).collect()),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn func() -> Function {
        Function {
            logical_id: "Hello".into(),
            function_name: "hello-fn".into(),
            runtime: "python3.12".into(),
            handler: Some("app.handler".into()),
            code_dir: "/code".into(),
            timeout: Duration::from_secs(3),
            memory_mb: 256,
            environment: [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "2".to_owned()),
            ]
            .into_iter()
            .collect(),
            layers: Vec::new(),
            deps: None,
            sdk_imports: Vec::new(),
            unsupported: None,
        }
    }

    #[test]
    fn overrides_apply_only_to_declared_variables() {
        let o = EnvOverrides::parse(
            r#"{"Parameters": {"A": "global", "C": "x"}, "Hello": {"B": "own", "D": 5}}"#,
        )
        .unwrap();
        let vars = o.apply(&func());
        assert_eq!(vars.get("A").map(String::as_str), Some("global"));
        assert_eq!(vars.get("B").map(String::as_str), Some("own"));
        assert!(!vars.contains_key("C"));
        assert!(!vars.contains_key("D"));
    }

    #[test]
    fn function_section_wins_over_parameters_and_may_use_the_function_name() {
        let o =
            EnvOverrides::parse(r#"{"Parameters": {"A": "g"}, "hello-fn": {"A": "own"}}"#).unwrap();
        assert_eq!(o.apply(&func()).get("A").map(String::as_str), Some("own"));
    }

    #[test]
    fn malformed_files_name_the_key() {
        assert!(
            EnvOverrides::parse("[]")
                .unwrap_err()
                .contains("expected an object")
        );
        assert_eq!(
            EnvOverrides::parse(r#"{"Hello": {"A": [1]}}"#).unwrap_err(),
            "Hello.A: expected a string, number or boolean, got [1]"
        );
        assert!(
            EnvOverrides::parse("{")
                .unwrap_err()
                .starts_with("not valid JSON")
        );
    }

    #[test]
    fn lambda_environment_has_the_runtime_contract() {
        let env: IndexMap<String, String> =
            lambda_environment(&func(), &LambdaSettings::default(), Path::new("/rt"))
                .into_iter()
                .collect();
        assert_eq!(env["_HANDLER"], "app.handler");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "hello-fn");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(env["LAMBDA_TASK_ROOT"], "/code");
        assert_eq!(env["AWS_REGION"], "us-east-1");
        assert_eq!(env["A"], "1");
    }
}
