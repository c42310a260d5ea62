//! `AWS::Serverless::Function` and `AWS::Lambda::Function`: the properties a function is run
//! with (runtime, handler, timeout, memory, environment, layers), where its code is (a folder,
//! a built `.zip`, a single file, inline code), and whether glassgate can run it at all: a
//! container image, a runtime it does not run or code out of its reach marks the function
//! instead of stopping the template.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value;

use super::{Builder, Prop};
use crate::model::Function;
use crate::template::intrinsics::{ResourceInfo, scalar_text};
use crate::template::{Reported, child, code, describe};

impl<'t> Builder<'t> {
    /// Warn about a function property we do not honour (or stay silent if it is harmless).
    pub(super) fn function_property_note(&mut self, key: &str, loc: &str) {
        let specific = match key {
            "FileSystemConfigs" => Some("EFS file systems are not mounted"),
            "FunctionUrlConfig" => Some("function URLs are not served by glassgate"),
            "ImageConfig" => {
                Some("ImageConfig applies to container images, which glassgate does not run")
            }
            _ => None,
        };
        self.property_note(key, loc, HARMLESS_FUNCTION_PROPERTIES, specific);
    }

    pub(super) fn function(&mut self, logical: &str, info: &ResourceInfo<'t>, serverless: bool) {
        let res_loc = child("Resources", logical);
        let props_loc = child(&res_loc, "Properties");
        let Some(props) = self.properties(info.props, &props_loc) else {
            return;
        };
        let Some(own) = props.get().as_object() else {
            return;
        };
        let ignore = self.ignore_globals_of(info, &res_loc);
        let mut effective: IndexMap<&str, Prop<'_>> = IndexMap::new();
        let mut env_layers: Vec<Prop<'_>> = Vec::new();
        let mut layer_props: Vec<Prop<'_>> = Vec::new();
        if serverless {
            for (key, value) in self.globals_function.clone() {
                if ignore.ignores(key) {
                    continue;
                }
                let prop = Prop {
                    value,
                    loc: child("Globals.Function", key),
                };
                if key == "Environment" {
                    env_layers.push(prop);
                } else if key == "Layers" {
                    layer_props.push(prop);
                } else {
                    effective.insert(key, prop);
                }
            }
        }
        for (key, value) in own {
            let prop = Prop {
                value,
                loc: child(&props_loc, key),
            };
            if key == "Environment" {
                env_layers.push(prop);
            } else if key == "Layers" {
                // SAM appends a function's Layers to those of Globals.
                layer_props.push(prop);
            } else {
                effective.insert(key.as_str(), prop);
            }
        }

        let mut ok = true;
        let mut runtime: Option<(String, String)> = None;
        let mut handler = None;
        let mut code: Option<Prop<'_>> = None;
        let mut timeout = 3;
        let mut memory = 128;
        let mut events: Option<Prop<'_>> = None;
        let mut image: Option<String> = None;
        let mut inline: Option<Prop<'_>> = None;
        // A Handler that failed to resolve is reported already: not also as missing.
        let mut handler_failed = false;
        for (key, prop) in effective {
            match key {
                // Read through the resolver, which caches it for `Ref`s.
                "FunctionName" => {}
                "Runtime" => match self.string(&prop) {
                    Ok(Some(s)) => runtime = Some((s, prop.loc)),
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "Handler" => match self.string(&prop) {
                    Ok(s) => handler = s,
                    Err(Reported) => {
                        ok = false;
                        handler_failed = true;
                    }
                },
                "CodeUri" if serverless => code = Some(prop),
                "Code" if !serverless => code = Some(prop),
                "InlineCode" if serverless => inline = Some(prop),
                "Timeout" => match self.whole_number(
                    &prop,
                    1..=900,
                    "Timeout must be between 1 and 900 seconds",
                ) {
                    Ok(Some(n)) => timeout = n,
                    Ok(None) => {}
                    Err(Reported) => ok = false,
                },
                "MemorySize" => {
                    match self.whole_number(
                        &prop,
                        128..=10240,
                        "MemorySize must be between 128 and 10240 MB",
                    ) {
                        Ok(Some(n)) => memory = n,
                        Ok(None) => {}
                        Err(Reported) => ok = false,
                    }
                }
                "Events" if serverless => events = Some(prop),
                "PackageType" => match self.string(&prop) {
                    Ok(Some(t)) if t == "Image" => image = Some(prop.loc),
                    Ok(_) => {}
                    Err(Reported) => ok = false,
                },
                "ImageUri" => {
                    image.get_or_insert(prop.loc);
                }
                other => self.function_property_note(other, &prop.loc),
            }
        }

        let function_name = self.r.function_name(logical);
        let environment = self.environment(&env_layers);
        let layers = self.layer_folders(logical, &layer_props);
        if let Some(events) = &events {
            self.events(logical, events);
        }

        // The code, once the runtime is one glassgate runs: code it cannot reach (in S3, a
        // folder that is not there) makes the function one it cannot run, like a runtime.
        let mut code_dir = None;
        let mut code_unavailable = None;
        if image.is_none()
            && let Some((r, _)) = &runtime
            && runtime_kind(r).is_some()
        {
            code_dir = match (&inline, &code) {
                (Some(prop), None) => self.inline_code_dir(logical, prop, r),
                (Some(prop), Some(_)) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("function {logical} has both InlineCode and CodeUri; use one"),
                    );
                    None
                }
                (None, _) => match self.code_dir(logical, code.as_ref(), serverless, r) {
                    Ok(dir) => dir,
                    Err(unavailable) => {
                        code_unavailable = Some(unavailable);
                        None
                    }
                },
            };
        }
        // A function glassgate cannot run does not stop the template: its routes answer 502
        // (`runtime-unsupported`) and everything else is served.
        let unsupported = match (&image, &runtime) {
            (Some(loc), _) => Some((
                loc.clone(),
                "it is a container image (PackageType: Image); glassgate runs code from a folder (CodeUri)".to_owned(),
            )),
            (None, Some((r, loc))) if runtime_kind(r).is_none() => Some((
                loc.clone(),
                format!(
                    "its runtime {r} is not one glassgate runs (python3.x, nodejs*.x and provided runtimes)"
                ),
            )),
            _ => code_unavailable,
        };
        if let Some((loc, reason)) = unsupported {
            self.r.diags.warn(
                loc,
                format!(
                    "function {logical} cannot run under glassgate: {reason}; its routes are served and answer 502 (runtime-unsupported), the rest of the template runs"
                ),
            );
            let (Ok(function_name), Ok(environment), true) = (function_name, environment, ok)
            else {
                return;
            };
            self.functions.insert(
                logical.to_owned(),
                Function {
                    logical_id: logical.to_owned(),
                    function_name,
                    runtime: runtime.map_or_else(|| "image".to_owned(), |(r, _)| r),
                    handler,
                    code_dir: self.base_dir.to_path_buf(),
                    timeout: Duration::from_secs(timeout),
                    memory_mb: u32::try_from(memory).unwrap_or(128),
                    environment,
                    layers,
                    deps: None,
                    sdk_imports: Vec::new(),
                    unsupported: Some(reason),
                },
            );
            return;
        }
        let Some((runtime, _)) = runtime else {
            let hint = if serverless {
                " (set it on the function or in Globals.Function)"
            } else {
                ""
            };
            self.r.diags.error(
                &props_loc,
                format!("function {logical} has no Runtime{hint}"),
            );
            return;
        };
        let Some(kind) = runtime_kind(&runtime) else {
            return;
        };
        if handler.is_none() && !handler_failed && kind == RuntimeKind::Interpreted {
            self.r.diags.error(
                &props_loc,
                format!("function {logical} has no Handler; {runtime} functions need one (e.g. app.handler)"),
            );
            ok = false;
        }
        let (Ok(function_name), Ok(environment), Some(code_dir), true) =
            (function_name, environment, code_dir, ok)
        else {
            return;
        };
        let Ok(memory_mb) = u32::try_from(memory) else {
            return;
        };
        // One scan of the code for undeclared AWS SDK imports serves both the install folder's
        // key and the warning when nothing is installed.
        let target = code::deps_target(&self.r.opts().cache_dir, &runtime, &code_dir);
        let sdk_imports = target
            .as_ref()
            .map(|t| t.aws_sdk.clone())
            .unwrap_or_default();
        let deps = target.map(|t| t.folder).filter(|f| f.is_dir());
        self.functions.insert(
            logical.to_owned(),
            Function {
                logical_id: logical.to_owned(),
                function_name,
                runtime,
                handler,
                code_dir,
                timeout: Duration::from_secs(timeout),
                memory_mb,
                environment,
                layers,
                deps,
                sdk_imports,
                unsupported: None,
            },
        );
    }

    /// Which Globals keys the resource opts out of (`IgnoreGlobals: "*"` or a list).
    pub(super) fn ignore_globals_of(
        &mut self,
        info: &ResourceInfo<'t>,
        res_loc: &str,
    ) -> IgnoreGlobals {
        let raw = info.ignore_globals;
        let loc = child(res_loc, "IgnoreGlobals");
        match raw {
            None => IgnoreGlobals::None,
            Some(Value::String(s)) if s == "*" => IgnoreGlobals::All,
            Some(Value::String(s)) => IgnoreGlobals::Some(vec![s.clone()]),
            Some(Value::Array(items)) => {
                IgnoreGlobals::Some(items.iter().filter_map(scalar_text).collect())
            }
            Some(other) => {
                self.r.diags.warn(
                    loc,
                    format!(
                        "expected \"*\" or a list of property names, got {}; ignored",
                        describe(other)
                    ),
                );
                IgnoreGlobals::None
            }
        }
    }

    /// `Environment.Variables` of every layer (Globals first), later layers winning per name.
    pub(super) fn environment(
        &mut self,
        layers: &[Prop<'_>],
    ) -> Result<IndexMap<String, String>, Reported> {
        let mut vars = IndexMap::new();
        let mut failed = false;
        for layer in layers {
            let env = match self.r.resolve_shallow(layer.value, &layer.loc) {
                Ok(Some(node)) => node,
                Ok(None) => continue,
                Err(Reported) => {
                    failed = true;
                    continue;
                }
            };
            let Some(env) = env.get().as_object() else {
                self.r.diags.error(
                    &layer.loc,
                    format!(
                        "expected a mapping with Variables, got {}",
                        describe(env.get())
                    ),
                );
                failed = true;
                continue;
            };
            for (key, value) in env {
                let loc = child(&layer.loc, key);
                if key != "Variables" {
                    self.r.diags.warn(
                        loc,
                        format!("Environment.{key} is not supported by glassgate; ignored"),
                    );
                    continue;
                }
                let node = match self.r.resolve_shallow(value, &loc) {
                    Ok(Some(node)) => node,
                    Ok(None) => continue,
                    Err(Reported) => {
                        failed = true;
                        continue;
                    }
                };
                let Some(entries) = node.get().as_object() else {
                    self.r.diags.error(
                        &loc,
                        format!(
                            "expected a mapping of names to values, got {}",
                            describe(node.get())
                        ),
                    );
                    failed = true;
                    continue;
                };
                for (name, v) in entries {
                    let at = child(&loc, name);
                    // As SAM CLI does: a value it cannot resolve, or null, is an empty string.
                    if let Some(param) = self.r.valueless_parameter(v) {
                        self.r.diags.warn(
                            &at,
                            format!(
                                "{name} uses parameter {param}, which has no Default and no value: it is empty, as SAM CLI passes it (give one with --parameter-overrides {param}=VALUE)"
                            ),
                        );
                        vars.insert(name.clone(), String::new());
                        continue;
                    }
                    if v.is_null() {
                        self.r.diags.warn(
                            &at,
                            format!("{name} is null: it is empty, as SAM CLI passes it"),
                        );
                        vars.insert(name.clone(), String::new());
                        continue;
                    }
                    match self.r.resolve(v, &at) {
                        Ok(Some(v)) => match scalar_text(&v) {
                            Some(text) => {
                                vars.insert(name.clone(), text);
                            }
                            None => {
                                self.r
                                    .diags
                                    .error(at, format!("expected a string, got {}", describe(&v)));
                                failed = true;
                            }
                        },
                        Ok(None) => {
                            vars.shift_remove(name);
                        }
                        Err(Reported) => failed = true,
                    }
                }
            }
        }
        if failed { Err(Reported) } else { Ok(vars) }
    }

    /// The absolute code folder, from `CodeUri` (serverless) or `Code` (Lambda).
    /// `InlineCode` (SAM) or `Code.ZipFile` (CloudFormation): written where Lambda writes it.
    pub(super) fn inline_code_dir(
        &mut self,
        logical: &str,
        prop: &Prop<'_>,
        runtime: &str,
    ) -> Option<PathBuf> {
        let code = match self.string(prop) {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(Reported) => return None,
        };
        let cache = self.r.opts().cache_dir.clone();
        match code::inline(&cache, &code, runtime) {
            Ok(Some(dir)) => Some(dir),
            Ok(None) => {
                self.r.diags.error(
                    &prop.loc,
                    format!("inline code of function {logical} needs a Python or Node.js runtime, as on Lambda (it has {runtime})"),
                );
                None
            }
            Err(e) => {
                self.r.diags.error(&prop.loc, e);
                None
            }
        }
    }

    /// A function's code folder; `Ok(None)` when the template is wrong (reported), `Err` with
    /// where and why when the code is valid SAM but out of glassgate's reach.
    pub(super) fn code_dir(
        &mut self,
        logical: &str,
        code: Option<&Prop<'_>>,
        serverless: bool,
        runtime: &str,
    ) -> Result<Option<PathBuf>, (String, String)> {
        let local_hint = "glassgate runs code from the machine: point CodeUri at the local folder or .zip, or run `sam build` and serve the project (glassgate uses .aws-sam/build)";
        let relative = match code {
            None => None,
            Some(prop) => match self.r.resolve(prop.value, &prop.loc) {
                Err(Reported) => return Ok(None),
                Ok(None) => None,
                Ok(Some(Value::String(s))) if s.starts_with("s3://") => {
                    return Err((
                        prop.loc.clone(),
                        format!("its code is in S3 ({s}); {local_hint}"),
                    ));
                }
                Ok(Some(Value::String(s))) => Some((s, prop.loc.clone())),
                Ok(Some(Value::Object(m))) if !serverless && m.contains_key("ZipFile") => {
                    let zip = Prop {
                        value: &m["ZipFile"],
                        loc: child(&prop.loc, "ZipFile"),
                    };
                    return Ok(self.inline_code_dir(logical, &zip, runtime));
                }
                Ok(Some(Value::Object(_))) => {
                    return Err((
                        prop.loc.clone(),
                        format!("its code is in S3 (Bucket and Key); {local_hint}"),
                    ));
                }
                Ok(Some(other)) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("expected a folder path, got {}", describe(&other)),
                    );
                    return Ok(None);
                }
            },
        };
        let (dir, loc) = match &relative {
            Some((s, loc)) => (self.base_dir.join(s), loc.clone()),
            None => (
                self.base_dir.to_path_buf(),
                child(&child("Resources", logical), "Properties"),
            ),
        };
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => Ok(Some(std::fs::canonicalize(&dir).unwrap_or(dir))),
            // A built artifact (unpacked once into the cache), or a single file (alone in a
            // folder, as in the deployment package Lambda would get).
            Ok(_) => {
                let cache = self.r.opts().cache_dir.clone();
                let is_zip = dir
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
                let unpacked = if is_zip {
                    code::unpacked_zip(&cache, &dir)
                } else {
                    code::single_file(&cache, &dir)
                };
                match unpacked {
                    Ok(folder) => Ok(Some(folder)),
                    Err(e) => Err((loc, format!("its code cannot be used: {e}"))),
                }
            }
            Err(_) => Err((
                loc,
                format!(
                    "its code folder {} does not exist (a CodeUri that is not built yet, or a typo in it)",
                    dir.display()
                ),
            )),
        }
    }
}

/// Function properties with no effect on running the code locally (permissions, deployment,
/// networking, observability).
pub(super) const HARMLESS_FUNCTION_PROPERTIES: &[&str] = &[
    "Architectures",
    "AssumeRolePolicyDocument",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "AutoPublishCodeSha256",
    "CodeSigningConfigArn",
    "DeadLetterConfig",
    "DeadLetterQueue",
    "DeploymentPreference",
    "Description",
    "EphemeralStorage",
    "EventInvokeConfig",
    "KmsKeyArn",
    "LoggingConfig",
    "PermissionsBoundary",
    "Policies",
    "PropagateTags",
    "ProvisionedConcurrencyConfig",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "Role",
    "RolePath",
    "RuntimeManagementConfig",
    "SnapStart",
    "SourceKMSKeyArn",
    "Tags",
    "Tracing",
    "TracingConfig",
    "VersionDescription",
    "VpcConfig",
];

#[derive(Debug, PartialEq, Eq)]
pub(super) enum IgnoreGlobals {
    None,
    All,
    Some(Vec<String>),
}

impl IgnoreGlobals {
    pub(super) fn ignores(&self, key: &str) -> bool {
        match self {
            IgnoreGlobals::None => false,
            IgnoreGlobals::All => true,
            IgnoreGlobals::Some(keys) => keys.iter().any(|k| k == key),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RuntimeKind {
    /// python and node: the handler names a file and a function.
    Interpreted,
    /// `provided*`: the code folder holds a `bootstrap` executable; `Handler` is optional.
    Custom,
}

pub(super) fn runtime_kind(runtime: &str) -> Option<RuntimeKind> {
    if runtime.len() > "python3.".len() && runtime.starts_with("python3.")
        || runtime.len() > "nodejs".len() && runtime.starts_with("nodejs")
    {
        Some(RuntimeKind::Interpreted)
    } else if matches!(runtime, "provided" | "provided.al2" | "provided.al2023") {
        Some(RuntimeKind::Custom)
    } else {
        None
    }
}
