//! `HTTP_PROXY` integrations in every form a template writes them: OpenAPI's
//! `x-amazon-apigateway-integration` `type: http_proxy` (REST and HTTP APIs), a REST
//! `AWS::ApiGateway::Method`'s `Integration.Type: HTTP_PROXY` and an
//! `AWS::ApiGatewayV2::Integration` `IntegrationType: HTTP_PROXY`. One reader, told the keys
//! of its form.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{Builder, Prop, http_method};
use crate::model::{ApiKind, HttpProxy, Integration};
use crate::template::{Reported, child};

/// The keys of one form.
pub(super) struct HttpProxyKeys {
    /// `uri`, `Uri`, `IntegrationUri`.
    pub uri: &'static str,
    /// `httpMethod`, `IntegrationHttpMethod`, `IntegrationMethod`.
    pub method: &'static str,
    /// `timeoutInMillis`, `TimeoutInMillis`.
    pub timeout: &'static str,
    /// `requestParameters`, `RequestParameters`.
    pub parameters: &'static str,
}

/// OpenAPI's spelling, for both flavours.
pub(super) const OPENAPI: HttpProxyKeys = HttpProxyKeys {
    uri: "uri",
    method: "httpMethod",
    timeout: "timeoutInMillis",
    parameters: "requestParameters",
};

/// `AWS::ApiGateway::Method`'s `Integration`.
pub(super) const CFN_REST: HttpProxyKeys = HttpProxyKeys {
    uri: "Uri",
    method: "IntegrationHttpMethod",
    timeout: "TimeoutInMillis",
    parameters: "RequestParameters",
};

/// `AWS::ApiGatewayV2::Integration`.
pub(super) const CFN_V2: HttpProxyKeys = HttpProxyKeys {
    uri: "IntegrationUri",
    method: "IntegrationMethod",
    timeout: "TimeoutInMillis",
    parameters: "RequestParameters",
};

impl Builder<'_> {
    /// An `HTTP_PROXY` integration from its mapping: the endpoint URL (http or https), the
    /// method (`ANY` for the request's own), the timeout (50 ms to 29 s on REST, to 30 s on
    /// HTTP APIs) and the request parameter mappings.
    pub(super) fn http_proxy_integration(
        &mut self,
        entries: &Map<String, Value>,
        loc: &str,
        keys: &HttpProxyKeys,
        flavor: ApiKind,
    ) -> Result<Integration, Reported> {
        let mut ok = true;
        let uri = match entries.get(keys.uri) {
            None => {
                return Err(self.r.diags.error(
                    loc,
                    format!(
                        "an HTTP_PROXY integration needs {} (the endpoint URL, http:// or https://)",
                        keys.uri
                    ),
                ));
            }
            Some(value) => {
                let at = Prop {
                    value,
                    loc: child(loc, keys.uri),
                };
                match self.string(&at)? {
                    // `${stageVariables.x}` is filled per request.
                    Some(u) if u.starts_with("http://") || u.starts_with("https://") => u,
                    Some(u) => {
                        return Err(self.r.diags.error(
                            &at.loc,
                            format!("the endpoint of an HTTP_PROXY integration must be an http:// or https:// URL, got {u:?}"),
                        ));
                    }
                    None => {
                        return Err(self.r.diags.error(&at.loc, "the endpoint URL is empty"));
                    }
                }
            }
        };
        let mut method = None;
        if let Some(value) = entries.get(keys.method) {
            let at = Prop {
                value,
                loc: child(loc, keys.method),
            };
            match self.string(&at) {
                Ok(Some(m)) if m.eq_ignore_ascii_case("ANY") => {}
                Ok(Some(m)) => match http_method(&m) {
                    Some(m) => method = Some(m),
                    None => {
                        self.r.diags.error(
                            &at.loc,
                            format!("unknown HTTP method {m:?} for the endpoint; expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"),
                        );
                        ok = false;
                    }
                },
                Ok(None) => {}
                Err(Reported) => ok = false,
            }
        }
        let (max, default) = match flavor {
            ApiKind::Rest => (29_000, 29_000),
            ApiKind::Http => (30_000, 30_000),
        };
        let mut timeout_ms = default;
        if let Some(value) = entries.get(keys.timeout) {
            let at = Prop {
                value,
                loc: child(loc, keys.timeout),
            };
            let message = match flavor {
                ApiKind::Rest => super::TIMEOUT_RANGE_MESSAGE,
                ApiKind::Http => "TimeoutInMillis should be between 50 ms and 30000 ms",
            };
            match self.whole_number(&at, 50..=max, message) {
                Ok(Some(n)) => timeout_ms = n,
                Ok(None) => {}
                Err(Reported) => ok = false,
            }
        }
        let mut request_parameters = Vec::new();
        if let Some(value) = entries.get(keys.parameters) {
            let at = child(loc, keys.parameters);
            match self.mapping(value, &at) {
                Ok(m) => {
                    for (k, v) in &m {
                        let p = Prop {
                            value: v,
                            loc: child(&at, k),
                        };
                        match self.string(&p) {
                            Ok(Some(text)) => request_parameters.push((k.clone(), text)),
                            Ok(None) => {}
                            Err(Reported) => ok = false,
                        }
                    }
                }
                Err(Reported) => ok = false,
            }
        }
        for (k, v) in entries {
            // A VPC link reaches a private endpoint; locally the URI itself is dialled.
            if (k == "connectionType" || k == "ConnectionType")
                && v.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("VPC_LINK"))
            {
                self.r.diags.warn(
                    child(loc, k),
                    "this integration goes through a VPC link on AWS; glassgate connects to its URI directly",
                );
            }
            if k == "tlsConfig" || k == "TlsConfig" {
                self.r.diags.warn(
                    child(loc, k),
                    format!("{k} is not applied by glassgate; https endpoints are checked against this machine's trusted certificates"),
                );
            }
            if (k == "responseParameters" || k == "ResponseParameters") && flavor == ApiKind::Rest {
                self.r.diags.warn(
                    child(loc, k),
                    format!("{k} of REST HTTP_PROXY integrations are not applied by glassgate; responses pass through as the endpoint sends them"),
                );
            }
        }
        let mut response_parameters = Vec::new();
        if flavor == ApiKind::Http {
            for k in ["responseParameters", "ResponseParameters"] {
                if let Some(v) = entries.get(k) {
                    match self.response_parameters(v, &child(loc, k), k == "ResponseParameters") {
                        Ok(r) => response_parameters = r,
                        Err(Reported) => ok = false,
                    }
                }
            }
        }
        if !ok {
            return Err(Reported);
        }
        Ok(Integration::HttpProxy(Box::new(HttpProxy {
            uri,
            method,
            timeout: Duration::from_millis(timeout_ms),
            request_parameters,
            response_parameters,
        })))
    }

    /// An HTTP API integration's response parameter mappings, by the endpoint's status:
    /// OpenAPI writes `{"404": {"overwrite:statuscode": "500"}}`, CloudFormation
    /// `{"404": {"ResponseParameters": [{"Destination": ..., "Source": ...}]}}`.
    fn response_parameters(
        &mut self,
        value: &Value,
        loc: &str,
        cfn: bool,
    ) -> Result<crate::model::ResponseMappings, Reported> {
        let mut out = Vec::new();
        for (status, v) in self.mapping(value, loc)? {
            let at = child(loc, &status);
            let Some(code) = status
                .parse::<u16>()
                .ok()
                .filter(|s| (200..=599).contains(s))
            else {
                return Err(self.r.diags.error(
                    &at,
                    format!("a response parameter mapping is keyed by an HTTP status code from 200 to 599, got {status:?}"),
                ));
            };
            let mut pairs = Vec::new();
            if cfn {
                let m = self.mapping(&v, &at)?;
                let list_at = child(&at, "ResponseParameters");
                let Some(Value::Array(items)) = m.get("ResponseParameters") else {
                    return Err(self.r.diags.error(
                        &at,
                        "expected {ResponseParameters: [{Destination, Source}, ...]}",
                    ));
                };
                for (i, item) in items.iter().enumerate() {
                    let iloc = crate::template::index(&list_at, i);
                    let e = self.mapping(item, &iloc)?;
                    let field = |b: &mut Self, key: &str| -> Result<String, Reported> {
                        match e.get(key) {
                            Some(v) => Ok(b
                                .string(&Prop {
                                    value: v,
                                    loc: child(&iloc, key),
                                })?
                                .unwrap_or_default()),
                            None => Err(b
                                .r
                                .diags
                                .error(&iloc, format!("a response parameter needs a {key}"))),
                        }
                    };
                    let d = field(self, "Destination")?;
                    let s = field(self, "Source")?;
                    pairs.push((d, s));
                }
            } else {
                for (d, s) in self.mapping(&v, &at)? {
                    let text = self
                        .string(&Prop {
                            value: &s,
                            loc: child(&at, &d),
                        })?
                        .unwrap_or_default();
                    pairs.push((d, text));
                }
            }
            for (d, _) in &pairs {
                let known = d == "overwrite:statuscode"
                    || ["append:header.", "overwrite:header.", "remove:header."]
                        .iter()
                        .any(|p| d.strip_prefix(p).is_some_and(|n| !n.is_empty()));
                if !known {
                    return Err(self.r.diags.error(
                        &at,
                        format!("{d:?} is not a response parameter: expected append:header.NAME, overwrite:header.NAME, remove:header.NAME or overwrite:statuscode"),
                    ));
                }
            }
            out.push((code, pairs));
        }
        Ok(out)
    }
}
