//! Parameters, pseudo parameters, mappings, conditions and intrinsic functions.
//!
//! This module owns evaluation: given a node of the template tree it returns the same node with
//! every `Ref`/`Fn::*` replaced by its value, as CloudFormation would at deploy time with the
//! region, account and parameters of [`LoadOptions`]. It is called only on the parts of the
//! template the model needs, so problems are reported where a value is actually used.
//!
//! `AWS::NoValue` (directly or through `Fn::If`) is represented as `None` and removes the
//! mapping entry or list element that holds it, as in CloudFormation.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Diagnostics, LoadOptions, Reported, child, describe, index};

/// What every evaluation returns: `Ok(None)` is `AWS::NoValue`; errors are already recorded.
pub(super) type Resolved = Result<Option<Value>, Reported>;

/// The logical id SAM gives the API it creates for events without `RestApiId`.
pub(super) const IMPLICIT_API: &str = "ServerlessRestApi";

/// The logical id SAM gives the HTTP API it creates for `HttpApi` events without `ApiId`.
pub(super) const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// Whether `logical` names one of the APIs SAM creates implicitly (which a template may refer
/// to without declaring).
fn is_implicit_api(logical: &str) -> bool {
    logical == IMPLICIT_API || logical == IMPLICIT_HTTP_API
}

const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";
const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
pub(super) const SERVERLESS_API: &str = "AWS::Serverless::Api";
pub(super) const SERVERLESS_HTTP_API: &str = "AWS::Serverless::HttpApi";
pub(super) const CFN_REST_API: &str = "AWS::ApiGateway::RestApi";

const COGNITO_USER_POOL: &str = "AWS::Cognito::UserPool";
/// Layer resources: what `Ref` of one answers (its version ARN) is how functions name them.
pub(super) const LAYER_TYPES: [&str; 2] =
    ["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"];

/// The id glassgate gives a user pool declared in the template (`Ref`): AWS makes
/// `{region}_{random}`; the logical id in place of the random part keeps it readable and the
/// same on every load, so its issuer (`https://cognito-idp.{region}.amazonaws.com/{id}`) can be
/// given to `glassgate token --issuer` and `serve --trust-dev-issuer`.
pub(super) fn user_pool_id(region: &str, logical: &str) -> String {
    format!("{region}_{logical}")
}

/// What `!GetAtt Api.RootResourceId` evaluates to. AWS gives the root resource a random id; the
/// loader only needs to recognise it as "the root of `Api`" when building resource paths.
pub(super) fn root_resource_id(api: &str) -> String {
    format!("{api}.RootResourceId")
}

/// The parts of a resource that other resources can observe through `Ref`/`Fn::GetAtt`.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResourceInfo<'t> {
    pub ty: &'t str,
    /// The resource-level `Condition`, as written.
    pub condition: Option<&'t Value>,
    pub props: Option<&'t Value>,
    /// SAM's `IgnoreGlobals` attribute, as written.
    pub ignore_globals: Option<&'t Value>,
}

impl ResourceInfo<'_> {
    pub(super) fn is_function(&self) -> bool {
        self.ty == SERVERLESS_FUNCTION || self.ty == LAMBDA_FUNCTION
    }
}

#[derive(Debug)]
struct Param {
    /// `String`, `Number`, `CommaDelimitedList`, `List<...>`, `AWS::SSM::Parameter::Value<...>`...
    ty: String,
    /// The override if given, else `Default` as text; `None` means the user must provide one.
    value: Option<String>,
}

impl Param {
    fn is_list(&self) -> bool {
        self.ty == "CommaDelimitedList" || self.ty.starts_with("List<")
    }
}

/// Memo for values computed on demand, detecting cycles (`Running` seen again).
#[derive(Debug, Clone)]
enum Memo<T> {
    Running,
    Done(Result<T, Reported>),
}

/// Evaluates template nodes; also owns the [`Diagnostics`] of the whole load.
pub(super) struct Resolver<'t> {
    opts: &'t LoadOptions,
    params: IndexMap<String, Param>,
    mappings: Option<&'t Map<String, Value>>,
    conditions: Option<&'t Map<String, Value>>,
    resources: IndexMap<&'t str, ResourceInfo<'t>>,
    condition_memo: HashMap<String, Memo<bool>>,
    included_memo: HashMap<String, Result<bool, Reported>>,
    name_memo: HashMap<String, Memo<String>>,
    missing_params: HashSet<String>,
    pub diags: Diagnostics,
}

impl<'t> Resolver<'t> {
    /// Read `Parameters`, `Mappings` and `Conditions` of `root` (shape only; values are
    /// evaluated when used) and apply the parameter overrides.
    pub(super) fn new(
        root: &'t Map<String, Value>,
        resources: IndexMap<&'t str, ResourceInfo<'t>>,
        opts: &'t LoadOptions,
        mut diags: Diagnostics,
    ) -> Self {
        let params = read_parameters(root.get("Parameters"), opts, &mut diags);
        let mappings = section(root, "Mappings", &mut diags);
        let conditions = section(root, "Conditions", &mut diags);
        if let Some(mappings) = mappings {
            for (name, m) in mappings {
                if !m.is_object() {
                    diags.error(
                        child("Mappings", name),
                        format!("expected a mapping, got {}", describe(m)),
                    );
                }
            }
        }
        Self {
            opts,
            params,
            mappings,
            conditions,
            resources,
            condition_memo: HashMap::new(),
            included_memo: HashMap::new(),
            name_memo: HashMap::new(),
            missing_params: HashSet::new(),
            diags,
        }
    }

    pub(super) fn resource(&self, logical: &str) -> Option<ResourceInfo<'t>> {
        self.resources.get(logical).copied()
    }

    /// Evaluate `v` completely (every nested intrinsic), as found at `loc`.
    pub(super) fn resolve(&mut self, v: &Value, loc: &str) -> Resolved {
        match v {
            Value::Object(m) => {
                if let Some((key, arg)) = single_intrinsic(m) {
                    let at = child(loc, key);
                    if key == "Ref" {
                        return self.reference(arg, &at);
                    }
                    return self.function(&key["Fn::".len()..], arg, &at);
                }
                let mut out = Map::new();
                let mut failed = false;
                for (k, x) in m {
                    match self.resolve(x, &child(loc, k)) {
                        Ok(Some(x)) => {
                            out.insert(k.clone(), x);
                        }
                        Ok(None) => {}
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    Err(Reported)
                } else {
                    Ok(Some(Value::Object(out)))
                }
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut failed = false;
                for (i, x) in items.iter().enumerate() {
                    match self.resolve(x, &index(loc, i)) {
                        Ok(Some(x)) => out.push(x),
                        Ok(None) => {}
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    Err(Reported)
                } else {
                    Ok(Some(Value::Array(out)))
                }
            }
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// Evaluate `v` only if it is itself an intrinsic; a plain mapping or list is returned as is,
    /// so the caller can evaluate just the entries it needs.
    pub(super) fn resolve_shallow<'a>(&mut self, v: &'a Value, loc: &str) -> ShallowResolved<'a> {
        match v {
            Value::Object(m) if single_intrinsic(m).is_some() => {
                self.resolve(v, loc).map(|r| r.map(Node::Owned))
            }
            other => Ok(Some(Node::Borrowed(other))),
        }
    }

    /// Whether the resource's own `Condition` (if any) holds.
    pub(super) fn included(&mut self, logical: &str) -> Result<bool, Reported> {
        if let Some(known) = self.included_memo.get(logical) {
            return *known;
        }
        let Some(info) = self.resource(logical) else {
            return Ok(is_implicit_api(logical));
        };
        let loc = child(&child("Resources", logical), "Condition");
        let result = match info.condition {
            None => Ok(true),
            Some(Value::String(name)) => self.condition(name, &loc),
            Some(other) => Err(self.diags.error(
                loc,
                format!("expected the name of a condition, got {}", describe(other)),
            )),
        };
        self.included_memo.insert(logical.to_owned(), result);
        result
    }

    /// The deployed name of a function: `FunctionName`, or the logical id.
    pub(super) fn function_name(&mut self, logical: &str) -> Result<String, Reported> {
        match self.name_memo.get(logical) {
            Some(Memo::Done(result)) => return result.clone(),
            Some(Memo::Running) => {
                return Err(self.diags.error(
                    child(&child("Resources", logical), "Properties.FunctionName"),
                    format!("FunctionName of {logical} depends on itself"),
                ));
            }
            None => {}
        }
        self.name_memo.insert(logical.to_owned(), Memo::Running);
        let raw = self
            .resource(logical)
            .and_then(|r| r.props)
            .and_then(|p| p.get("FunctionName"));
        let loc = child(&child("Resources", logical), "Properties.FunctionName");
        let result = match raw {
            None => Ok(logical.to_owned()),
            Some(raw) => match self.resolve(raw, &loc) {
                Ok(None) => Ok(logical.to_owned()),
                Ok(Some(Value::String(s))) if !s.is_empty() => Ok(s),
                Ok(Some(other)) => Err(self.diags.error(
                    &loc,
                    format!("expected a non-empty string, got {}", describe(&other)),
                )),
                Err(e) => Err(e),
            },
        };
        self.name_memo
            .insert(logical.to_owned(), Memo::Done(result.clone()));
        result
    }

    /// Evaluate the named condition, as used at `loc`.
    pub(super) fn condition(&mut self, name: &str, loc: &str) -> Result<bool, Reported> {
        match self.condition_memo.get(name) {
            Some(Memo::Done(result)) => return *result,
            Some(Memo::Running) => {
                return Err(self.diags.error(
                    child("Conditions", name),
                    format!("condition {name} depends on itself"),
                ));
            }
            None => {}
        }
        let Some(expr) = self.conditions.and_then(|c| c.get(name)) else {
            return Err(self.diags.error(
                loc,
                format!("no condition named {name} in the Conditions section"),
            ));
        };
        self.condition_memo.insert(name.to_owned(), Memo::Running);
        let result = self.condition_expr(expr, &child("Conditions", name));
        self.condition_memo
            .insert(name.to_owned(), Memo::Done(result));
        result
    }

    fn condition_expr(&mut self, v: &Value, loc: &str) -> Result<bool, Reported> {
        let Some((key, arg)) = v.as_object().and_then(single_key) else {
            return Err(self.diags.error(
                loc,
                format!(
                    "expected a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition), got {}",
                    describe(v)
                ),
            ));
        };
        let at = child(loc, key);
        match key {
            "Condition" => match arg {
                Value::String(name) => self.condition(name, &at),
                other => Err(self.diags.error(
                    at,
                    format!("expected the name of a condition, got {}", describe(other)),
                )),
            },
            "Fn::Equals" => {
                let [a, b] = self.args::<2>(arg, &at, "[value, value]")?;
                let a = self.resolve_some(a, &index(&at, 0));
                let b = self.resolve_some(b, &index(&at, 1));
                Ok(normalized(&a?) == normalized(&b?))
            }
            "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let items = match arg {
                    Value::Array(items) if !items.is_empty() => items,
                    other => {
                        return Err(self.diags.error(
                            at,
                            format!("expected a list of conditions, got {}", describe(other)),
                        ));
                    }
                };
                if key == "Fn::Not" && items.len() != 1 {
                    return Err(self.diags.error(
                        at,
                        format!("Fn::Not takes exactly one condition, got {}", items.len()),
                    ));
                }
                // Evaluate every operand so all their errors are reported, as CloudFormation does.
                let values: Vec<_> = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.condition_expr(x, &index(&at, i)))
                    .collect();
                let values = values.into_iter().collect::<Result<Vec<bool>, _>>()?;
                Ok(match key {
                    "Fn::And" => values.iter().all(|b| *b),
                    "Fn::Or" => values.iter().any(|b| *b),
                    _ => !values[0],
                })
            }
            _ => Err(self.diags.error(
                loc,
                format!(
                    "expected a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition), got {key}"
                ),
            )),
        }
    }

    /// `Ref`: parameters, pseudo parameters and resources.
    /// How the template is loaded.
    pub(super) fn opts(&self) -> &'t LoadOptions {
        self.opts
    }

    /// The (included) layer resources of the template, in order.
    pub(super) fn layers(&mut self) -> Vec<&'t str> {
        let all: Vec<&'t str> = self
            .resources
            .iter()
            .filter(|(_, info)| LAYER_TYPES.contains(&info.ty))
            .map(|(logical, _)| *logical)
            .collect();
        all.into_iter()
            .filter(|l| self.included(l) == Ok(true))
            .collect()
    }

    /// What `Ref` of layer `logical` answers: its first version's ARN, named by a literal
    /// `LayerName` or else the logical id.
    pub(super) fn layer_arn(&self, logical: &str) -> String {
        let name = self
            .resource(logical)
            .and_then(|r| r.props)
            .and_then(|p| p.get("LayerName"))
            .and_then(Value::as_str)
            .unwrap_or(logical);
        format!(
            "arn:aws:lambda:{}:{}:layer:{name}:1",
            self.opts.region, self.opts.account_id
        )
    }

    /// A parameter with no `Default` and no override that `value` uses (`Ref`, or `${Name}` in
    /// `Fn::Sub`), if any: where SAM CLI would pass an empty value, the caller can too.
    pub(super) fn valueless_parameter(&self, value: &Value) -> Option<String> {
        let valueless = |name: &str| {
            self.params
                .get(name)
                .is_some_and(|p| p.value.is_none())
                .then(|| name.to_owned())
        };
        match value {
            Value::Object(m) => {
                if let Some(Value::String(name)) = m.get("Ref") {
                    return valueless(name);
                }
                if let Some(sub) = m.get("Fn::Sub") {
                    let (text, vars) = match sub {
                        Value::String(t) => (Some(t.as_str()), None),
                        Value::Array(items) => (
                            items.first().and_then(Value::as_str),
                            items.get(1).and_then(Value::as_object),
                        ),
                        _ => (None, None),
                    };
                    let mut rest = text.unwrap_or_default();
                    while let Some(start) = rest.find("${") {
                        let after = &rest[start + 2..];
                        let Some(end) = after.find('}') else { break };
                        let name = &after[..end];
                        if !vars.is_some_and(|v| v.contains_key(name))
                            && let Some(p) = valueless(name)
                        {
                            return Some(p);
                        }
                        rest = &after[end..];
                    }
                }
                m.values().find_map(|v| self.valueless_parameter(v))
            }
            Value::Array(items) => items.iter().find_map(|v| self.valueless_parameter(v)),
            _ => None,
        }
    }

    fn reference(&mut self, arg: &Value, loc: &str) -> Resolved {
        let Value::String(name) = arg else {
            return Err(self.diags.error(
                loc,
                format!(
                    "Ref takes the name of a parameter or resource, got {}",
                    describe(arg)
                ),
            ));
        };
        if let Some(pseudo) = name.strip_prefix("AWS::") {
            return self.pseudo(pseudo, name, loc);
        }
        if let Some(param) = self.params.get(name) {
            let Some(text) = param.value.clone() else {
                if self.missing_params.insert(name.clone()) {
                    self.diags.error(
                        child("Parameters", name),
                        format!(
                            "parameter {name} has no Default and no value was given (used at {loc}); pass --parameter-overrides {name}=Value"
                        ),
                    );
                }
                return Err(Reported);
            };
            if param.ty.starts_with("AWS::SSM::Parameter::") {
                self.diags.warn(
                    loc,
                    format!(
                        "parameter {name} is read from SSM in AWS; glassgate uses its value {text:?} as is"
                    ),
                );
            }
            if param.is_list() {
                return Ok(Some(Value::Array(
                    text.split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .collect(),
                )));
            }
            return Ok(Some(Value::String(text)));
        }
        self.resource_ref(name, loc).map(|s| Some(Value::String(s)))
    }

    fn resource_ref(&mut self, name: &str, loc: &str) -> Result<String, Reported> {
        let Some(info) = self.resource(name) else {
            if is_implicit_api(name) {
                return Ok(name.to_owned());
            }
            if let Some(arn) = self.published_ref(name, loc)? {
                return Ok(arn);
            }
            return Err(self.diags.error(
                loc,
                format!("unresolved reference to {name}: no parameter, pseudo parameter or resource has that name"),
            ));
        };
        self.require_included(name, loc)?;
        if info.ty == COGNITO_USER_POOL {
            return Ok(user_pool_id(&self.opts.region, name));
        }
        if LAYER_TYPES.contains(&info.ty) {
            return Ok(self.layer_arn(name));
        }
        if info.is_function() {
            self.function_name(name)
        } else {
            Ok(name.to_owned())
        }
    }

    fn require_included(&mut self, name: &str, loc: &str) -> Result<(), Reported> {
        if self.included(name)? {
            Ok(())
        } else {
            Err(self.diags.error(
                loc,
                format!("{name} is referenced here but its Condition excludes it"),
            ))
        }
    }

    fn pseudo(&mut self, pseudo: &str, name: &str, loc: &str) -> Resolved {
        let o = self.opts;
        let text = match pseudo {
            "Region" => o.region.clone(),
            "AccountId" => o.account_id.clone(),
            "StackName" => o.stack_name.clone(),
            "Partition" => "aws".to_owned(),
            "URLSuffix" => "amazonaws.com".to_owned(),
            "StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                o.region, o.account_id, o.stack_name
            ),
            "NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            "NoValue" => return Ok(None),
            _ => {
                return Err(self
                    .diags
                    .error(loc, format!("unknown pseudo parameter {name}")));
            }
        };
        Ok(Some(Value::String(text)))
    }

    /// What SAM's `AutoPublishAlias` makes a function's alias and version answer: `Ref
    /// Fn.Alias` or `Fn.Alias` in `Fn::Sub` (also the generated `FnAlias{alias}`), and
    /// `Fn.Version`: the function's ARN with the alias (or version `1`) as qualifier, which
    /// the local function answers to. `Ok(None)` when `name` is none of these.
    fn published_ref(&mut self, name: &str, loc: &str) -> Result<Option<String>, Reported> {
        let (logical, what) = match name.rsplit_once('.') {
            Some((l, w @ ("Alias" | "Version"))) => (l.to_owned(), w),
            _ => {
                // `HelloFunctionAliaslive`, the alias resource SAM generates.
                let found = self.resources.iter().find_map(|(logical, info)| {
                    let alias = info
                        .props
                        .and_then(|p| p.get("AutoPublishAlias"))
                        .and_then(Value::as_str)?;
                    (info.is_function() && name == format!("{logical}Alias{alias}"))
                        .then(|| (*logical).to_owned())
                });
                match found {
                    Some(l) => (l, "Alias"),
                    None => return Ok(None),
                }
            }
        };
        let Some(info) = self.resource(&logical).filter(|i| i.is_function()) else {
            return Ok(None);
        };
        let alias = info.props.and_then(|p| p.get("AutoPublishAlias")).cloned();
        let Some(alias) = alias else {
            return Err(self.diags.error(
                loc,
                format!(
                    "{name} exists only when {logical} has AutoPublishAlias (SAM creates the alias and version then)"
                ),
            ));
        };
        let qualifier = match what {
            "Alias" => match self.resolve(&alias, loc)? {
                Some(Value::String(a)) if !a.is_empty() => a,
                _ => {
                    return Err(self
                        .diags
                        .error(loc, format!("AutoPublishAlias of {logical} must be a name")));
                }
            },
            _ => "1".to_owned(),
        };
        let function = self.function_name(&logical)?;
        Ok(Some(format!(
            "arn:aws:lambda:{}:{}:function:{function}:{qualifier}",
            self.opts.region, self.opts.account_id
        )))
    }

    /// `Fn::GetAtt` of `logical.attr`, used at `loc`.
    fn attribute(&mut self, logical: &str, attr: &str, loc: &str) -> Result<String, Reported> {
        let Some(info) = self.resource(logical) else {
            if is_implicit_api(logical) {
                return Ok(self.placeholder_attribute(logical, attr, loc));
            }
            return Err(self.diags.error(
                loc,
                format!("Fn::GetAtt refers to {logical}, which is not a resource of this template"),
            ));
        };
        self.require_included(logical, loc)?;
        // `${Fn.Alias}` in `Fn::Sub` reads as an attribute; SAM means the alias.
        if info.is_function() && (attr == "Alias" || attr == "Version") {
            return Ok(self
                .published_ref(&format!("{logical}.{attr}"), loc)?
                .unwrap_or_default());
        }
        if info.is_function() && attr == "Arn" {
            let name = self.function_name(logical)?;
            return Ok(format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                self.opts.region, self.opts.account_id
            ));
        }
        if info.ty == CFN_REST_API && attr == "RootResourceId" {
            return Ok(root_resource_id(logical));
        }
        if info.ty == COGNITO_USER_POOL {
            let (region, pool) = (&self.opts.region, user_pool_id(&self.opts.region, logical));
            match attr {
                "Arn" => {
                    return Ok(format!(
                        "arn:aws:cognito-idp:{region}:{}:userpool/{pool}",
                        self.opts.account_id
                    ));
                }
                "ProviderURL" => {
                    return Ok(format!("https://cognito-idp.{region}.amazonaws.com/{pool}"));
                }
                "ProviderName" => return Ok(format!("cognito-idp.{region}.amazonaws.com/{pool}")),
                _ => {}
            }
        }
        Ok(self.placeholder_attribute(logical, attr, loc))
    }

    /// The logical id of the (included) function whose logical id or deployed name is `name`.
    /// Logical ids win, as they are what the template author sees.
    pub(super) fn find_function(&mut self, name: &str) -> Option<String> {
        let functions: Vec<&'t str> = self
            .resources
            .iter()
            .filter(|(_, info)| info.is_function())
            .map(|(logical, _)| *logical)
            .collect();
        if functions.contains(&name) && self.included(name) == Ok(true) {
            return Some(name.to_owned());
        }
        functions.into_iter().find_map(|logical| {
            let matches = self.included(logical) == Ok(true)
                && self.function_name(logical).is_ok_and(|n| n == name);
            matches.then(|| logical.to_owned())
        })
    }

    fn placeholder_attribute(&mut self, logical: &str, attr: &str, loc: &str) -> String {
        let placeholder = format!("{logical}.{attr}");
        self.diags.warn(
            loc,
            format!("Fn::GetAtt {placeholder} cannot be resolved locally; using the text {placeholder:?}"),
        );
        placeholder
    }

    /// Every `Fn::*` function, `name` without its `Fn::` prefix.
    fn function(&mut self, name: &str, arg: &Value, loc: &str) -> Resolved {
        match name {
            "GetAtt" => {
                let (logical, attr) = match arg {
                    Value::String(s) => match s.split_once('.') {
                        Some((l, a)) => (l.to_owned(), a.to_owned()),
                        None => {
                            return Err(self.diags.error(
                                loc,
                                format!("expected \"LogicalId.Attribute\", got {s:?}"),
                            ));
                        }
                    },
                    _ => {
                        let [l, a] = self.args::<2>(arg, loc, "[LogicalId, Attribute]")?;
                        let l = self.string_arg(l, &index(loc, 0))?;
                        let a = self.string_arg(a, &index(loc, 1))?;
                        (l, a)
                    }
                };
                self.attribute(&logical, &attr, loc)
                    .map(|s| Some(Value::String(s)))
            }
            "Sub" => self.sub(arg, loc).map(|s| Some(Value::String(s))),
            "Join" => {
                let [delim, list] = self.args::<2>(arg, loc, "[delimiter, [values]]")?;
                let delim = self.string_arg(delim, &index(loc, 0));
                let list = self.list_arg(list, &index(loc, 1));
                let (delim, list) = (delim?, list?);
                let mut parts = Vec::with_capacity(list.len());
                for (i, item) in list.iter().enumerate() {
                    match scalar_text(item) {
                        Some(s) => parts.push(s),
                        None => {
                            return Err(self.diags.error(
                                index(&index(loc, 1), i),
                                format!("Fn::Join joins strings, got {}", describe(item)),
                            ));
                        }
                    }
                }
                Ok(Some(Value::String(parts.join(&delim))))
            }
            "Select" => {
                let [i, list] = self.args::<2>(arg, loc, "[index, [values]]")?;
                let i = self.resolve_some(i, &index(loc, 0));
                let list = self.list_arg(list, &index(loc, 1));
                let (i, list) = (i?, list?);
                let Some(n) = scalar_text(&i).and_then(|s| s.trim().parse::<usize>().ok()) else {
                    return Err(self.diags.error(
                        index(loc, 0),
                        format!("expected a non-negative whole number, got {}", shown(&i)),
                    ));
                };
                match list.into_iter().nth(n) {
                    Some(v) => Ok(Some(v)),
                    None => Err(self
                        .diags
                        .error(loc, format!("index {n} is past the end of the list"))),
                }
            }
            "Split" => {
                let [delim, source] = self.args::<2>(arg, loc, "[delimiter, string]")?;
                let delim = self.string_arg(delim, &index(loc, 0));
                let source = self.string_arg(source, &index(loc, 1));
                let (delim, source) = (delim?, source?);
                if delim.is_empty() {
                    return Err(self
                        .diags
                        .error(index(loc, 0), "the delimiter of Fn::Split is empty"));
                }
                Ok(Some(Value::Array(
                    source
                        .split(delim.as_str())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )))
            }
            "If" => {
                let [cond, then, otherwise] =
                    self.args::<3>(arg, loc, "[condition, value if true, value if false]")?;
                let Value::String(cond) = cond else {
                    return Err(self.diags.error(
                        index(loc, 0),
                        format!("expected the name of a condition, got {}", describe(cond)),
                    ));
                };
                if self.condition(cond, &index(loc, 0))? {
                    self.resolve(then, &index(loc, 1))
                } else {
                    self.resolve(otherwise, &index(loc, 2))
                }
            }
            "FindInMap" => self.find_in_map(arg, loc),
            "Base64" => {
                let text = self.string_arg(arg, loc)?;
                Ok(Some(Value::String(base64(text.as_bytes()))))
            }
            "ImportValue" | "GetAZs" | "Cidr" | "Length" | "ToJsonString" | "Transform" => {
                let placeholder = match arg {
                    Value::String(s) => format!("Fn::{name}({s})"),
                    _ => format!("Fn::{name}(...)"),
                };
                self.diags.warn(
                    loc,
                    format!(
                        "Fn::{name} cannot be evaluated locally; using the text {placeholder:?}"
                    ),
                );
                Ok(Some(Value::String(placeholder)))
            }
            "Equals" | "And" | "Or" | "Not" => Err(self.diags.error(
                loc,
                format!("Fn::{name} can only be used in the Conditions section"),
            )),
            _ => Err(self
                .diags
                .error(loc, format!("unknown intrinsic function Fn::{name}"))),
        }
    }

    fn find_in_map(&mut self, arg: &Value, loc: &str) -> Resolved {
        let items = match arg {
            Value::Array(items) if items.len() == 3 || items.len() == 4 => items,
            other => {
                return Err(self.diags.error(
                    loc,
                    format!(
                        "expected [MapName, TopLevelKey, SecondLevelKey], got {}",
                        describe(other)
                    ),
                ));
            }
        };
        let keys: Vec<_> = items[..3]
            .iter()
            .enumerate()
            .map(|(i, x)| self.string_arg(x, &index(loc, i)))
            .collect();
        let keys = keys.into_iter().collect::<Result<Vec<String>, _>>()?;
        let (map, top, second) = (&keys[0], &keys[1], &keys[2]);
        let found = self
            .mappings
            .and_then(|m| m.get(map.as_str()))
            .map(|m| m.get(top.as_str()).map(|t| t.get(second.as_str())));
        match found {
            Some(Some(Some(v))) => Ok(Some(v.clone())),
            Some(Some(None)) => Err(self.diags.error(
                loc,
                format!("mapping {map} has no key {second:?} under {top:?}"),
            )),
            Some(None) => Err(self
                .diags
                .error(loc, format!("mapping {map} has no top-level key {top:?}"))),
            None => Err(self.diags.error(
                loc,
                format!("no mapping named {map} in the Mappings section"),
            )),
        }
    }

    fn sub(&mut self, arg: &Value, loc: &str) -> Result<String, Reported> {
        let (template, vars, text_loc) = match arg {
            Value::String(s) => (s.as_str(), None, loc.to_owned()),
            Value::Array(items) => match items.as_slice() {
                [Value::String(s)] => (s.as_str(), None, index(loc, 0)),
                [Value::String(s), Value::Object(vars)] => (s.as_str(), Some(vars), index(loc, 0)),
                _ => {
                    return Err(self
                        .diags
                        .error(loc, "expected a string or [string, {Name: value, ...}]"));
                }
            },
            other => {
                return Err(self.diags.error(
                    loc,
                    format!(
                        "expected a string or [string, {{Name: value, ...}}], got {}",
                        describe(other)
                    ),
                ));
            }
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        let mut failed = false;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `${!Name}` is how a literal `${Name}` is written.
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(self.diags.error(
                    text_loc,
                    "unterminated ${ in Fn::Sub (write ${!Name} for a literal ${Name})",
                ));
            };
            let var = after[..end].trim();
            rest = &after[end + 1..];
            match self.sub_variable(var, vars, loc) {
                Ok(text) => out.push_str(&text),
                Err(Reported) => failed = true,
            }
        }
        out.push_str(rest);
        if failed { Err(Reported) } else { Ok(out) }
    }

    fn sub_variable(
        &mut self,
        var: &str,
        vars: Option<&Map<String, Value>>,
        loc: &str,
    ) -> Result<String, Reported> {
        let value = if let Some(v) = vars.and_then(|m| m.get(var)) {
            let at = child(&index(loc, 1), var);
            self.resolve_some(v, &at)?
        } else if let (false, Some((logical, attr))) =
            (var.starts_with("AWS::"), var.split_once('.'))
        {
            Value::String(self.attribute(logical, attr, loc)?)
        } else {
            match self.reference(&Value::String(var.to_owned()), loc)? {
                Some(v) => v,
                None => {
                    return Err(self.diags.error(
                        loc,
                        format!("${{{var}}} is AWS::NoValue, which Fn::Sub cannot use"),
                    ));
                }
            }
        };
        match scalar_text(&value) {
            Some(s) => Ok(s),
            None => Err(self.diags.error(
                loc,
                format!(
                    "${{{var}}} is {}; Fn::Sub needs a string (use Fn::Join for lists)",
                    describe(&value)
                ),
            )),
        }
    }

    /// Evaluate an argument that must produce a value (not `AWS::NoValue`).
    fn resolve_some(&mut self, v: &Value, loc: &str) -> Result<Value, Reported> {
        match self.resolve(v, loc)? {
            Some(v) => Ok(v),
            None => Err(self
                .diags
                .error(loc, "AWS::NoValue cannot be used as an argument here")),
        }
    }

    fn string_arg(&mut self, v: &Value, loc: &str) -> Result<String, Reported> {
        let v = self.resolve_some(v, loc)?;
        match scalar_text(&v) {
            Some(s) => Ok(s),
            None => Err(self
                .diags
                .error(loc, format!("expected a string, got {}", describe(&v)))),
        }
    }

    fn list_arg(&mut self, v: &Value, loc: &str) -> Result<Vec<Value>, Reported> {
        match self.resolve_some(v, loc)? {
            Value::Array(items) => Ok(items),
            other => Err(self
                .diags
                .error(loc, format!("expected a list, got {}", describe(&other)))),
        }
    }

    /// The elements of a fixed-length argument list.
    fn args<'a, const N: usize>(
        &mut self,
        arg: &'a Value,
        loc: &str,
        shape: &str,
    ) -> Result<[&'a Value; N], Reported> {
        if let Value::Array(items) = arg {
            let refs: Vec<&Value> = items.iter().collect();
            if let Ok(array) = <[&Value; N]>::try_from(refs) {
                return Ok(array);
            }
            return Err(self.diags.error(
                loc,
                format!("expected {shape}, got a list of {} elements", items.len()),
            ));
        }
        Err(self
            .diags
            .error(loc, format!("expected {shape}, got {}", describe(arg))))
    }
}

/// Either a node of the template or one computed from it.
#[derive(Debug)]
pub(super) enum Node<'t> {
    Borrowed(&'t Value),
    Owned(Value),
}

impl Node<'_> {
    pub(super) fn get(&self) -> &Value {
        match self {
            Node::Borrowed(v) => v,
            Node::Owned(v) => v,
        }
    }
}

pub(super) type ShallowResolved<'t> = Result<Option<Node<'t>>, Reported>;

/// A one-entry mapping whose key is an intrinsic function (`Ref` or `Fn::*`).
pub(super) fn single_intrinsic(m: &Map<String, Value>) -> Option<(&str, &Value)> {
    single_key(m).filter(|(k, _)| *k == "Ref" || k.starts_with("Fn::"))
}

fn single_key(m: &Map<String, Value>) -> Option<(&str, &Value)> {
    if m.len() != 1 {
        return None;
    }
    m.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// The text CloudFormation would use for a scalar (`30`, `true`); `None` for null and
/// collections.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn shown(v: &Value) -> String {
    scalar_text(v).map_or_else(|| describe(v).to_owned(), |s| format!("{s:?}"))
}

/// `Fn::Equals` compares what CloudFormation would compare: text, so `30` equals `"30"`.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Number(_) | Value::Bool(_) => scalar_text(v).map_or(Value::Null, Value::String),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

fn section<'t>(
    root: &'t Map<String, Value>,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<&'t Map<String, Value>> {
    match root.get(name)? {
        Value::Object(m) => Some(m),
        Value::Null => None,
        other => {
            diags.error(name, format!("expected a mapping, got {}", describe(other)));
            None
        }
    }
}

fn read_parameters(
    section: Option<&Value>,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> IndexMap<String, Param> {
    let mut params = IndexMap::new();
    let declared = match section {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(other) => {
            diags.error(
                "Parameters",
                format!("expected a mapping, got {}", describe(other)),
            );
            None
        }
    };
    for (name, decl) in declared.into_iter().flatten() {
        let loc = child("Parameters", name);
        let Value::Object(decl) = decl else {
            diags.error(loc, format!("expected a mapping, got {}", describe(decl)));
            continue;
        };
        let ty = match decl.get("Type") {
            Some(Value::String(t)) => t.clone(),
            Some(other) => {
                diags.error(
                    child(&loc, "Type"),
                    format!("expected a string, got {}", describe(other)),
                );
                continue;
            }
            None => {
                diags.error(&loc, "parameter has no Type");
                continue;
            }
        };
        let default = match decl.get("Default") {
            None => None,
            Some(Value::Array(items)) => {
                // A list default is accepted for list types; CloudFormation wants text.
                let texts: Option<Vec<String>> = items.iter().map(scalar_text).collect();
                match texts {
                    Some(t) => Some(t.join(",")),
                    None => {
                        diags.error(child(&loc, "Default"), "expected a string");
                        continue;
                    }
                }
            }
            Some(v) => match scalar_text(v) {
                Some(s) => Some(s),
                None => {
                    diags.error(
                        child(&loc, "Default"),
                        format!("expected a string, got {}", describe(v)),
                    );
                    continue;
                }
            },
        };
        let overridden = opts.parameter_overrides.get(name).cloned();
        let from_override = overridden.is_some();
        let value = overridden.or(default);
        if let Some(value) = &value {
            let source = if from_override {
                format!("--parameter-overrides {name}={value}")
            } else {
                "Default".to_owned()
            };
            check_value(name, &ty, value, decl, &loc, &source, diags);
        }
        params.insert(name.clone(), Param { ty, value });
    }
    for name in opts.parameter_overrides.keys() {
        if !params.contains_key(name) {
            diags.warn(
                "--parameter-overrides",
                format!("parameter {name} is not declared in the template's Parameters; ignored"),
            );
        }
    }
    params
}

/// The checks CloudFormation applies to every parameter value up front.
fn check_value(
    name: &str,
    ty: &str,
    value: &str,
    decl: &Map<String, Value>,
    loc: &str,
    source: &str,
    diags: &mut Diagnostics,
) {
    if ty == "Number" && value.trim().parse::<f64>().is_err() {
        diags.error(
            loc,
            format!(
                "parameter {name} is a Number but its value {value:?} ({source}) is not a number"
            ),
        );
    }
    if let Some(Value::Array(allowed)) = decl.get("AllowedValues") {
        let allowed: Vec<String> = allowed.iter().filter_map(scalar_text).collect();
        if !allowed.iter().any(|a| a == value) {
            diags.error(
                loc,
                format!(
                    "value {value:?} ({source}) is not one of the AllowedValues: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// Standard base64 with padding, for `Fn::Base64`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
