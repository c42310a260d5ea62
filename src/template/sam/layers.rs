//! Lambda layers: `AWS::Serverless::LayerVersion` (`ContentUri`) and
//! `AWS::Lambda::LayerVersion` (`Content` as a local path) of the template, and the `Layers`
//! of functions and `Globals.Function` that name them. Lambda unpacks each layer into `/opt`;
//! locally each layer stays in its own folder and the runtime's search paths point into it
//! (`lambda::env`). A layer that is not in the template (another account's ARN) cannot be
//! mounted: a warning names it.

use std::path::PathBuf;

use serde_json::Value;

use super::{Builder, Prop};
use crate::template::{Reported, child, code, describe, index};

/// The folders Lambda's runtimes read from a layer (`/opt/python`, `/opt/nodejs`, `/opt/bin`,
/// `/opt/lib`).
const LAYER_FOLDERS: [&str; 4] = ["python", "nodejs", "bin", "lib"];

impl Builder<'_> {
    /// The folders of the layers `props` name (`Globals.Function.Layers` first, then the
    /// function's own), in order.
    pub(super) fn layer_folders(&mut self, function: &str, props: &[Prop<'_>]) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for prop in props {
            let items = match self.r.resolve(prop.value, &prop.loc) {
                Ok(Some(Value::Array(items))) => items,
                Ok(None) => continue,
                Ok(Some(other)) => {
                    self.r.diags.error(
                        &prop.loc,
                        format!("expected a list of layer ARNs, got {}", describe(&other)),
                    );
                    continue;
                }
                Err(Reported) => continue,
            };
            for (i, item) in items.iter().enumerate() {
                let loc = index(&prop.loc, i);
                let Some(arn) = item.as_str() else {
                    self.r.diags.error(
                        &loc,
                        format!("expected a layer ARN, got {}", describe(item)),
                    );
                    continue;
                };
                let found = self
                    .r
                    .layers()
                    .into_iter()
                    .find(|l| self.r.layer_arn(l) == arn);
                match found {
                    Some(logical) => {
                        if let Some(dir) = self.layer_folder(logical) {
                            out.push(dir);
                        }
                    }
                    None => self.r.diags.warn(
                        &loc,
                        format!(
                            "layer {arn} of function {function} is not in this template, so its code is not here to mount: imports from it will fail (add it as an AWS::Serverless::LayerVersion with a local ContentUri)"
                        ),
                    ),
                }
            }
        }
        out
    }

    /// The folder of layer `logical` (a `.zip` is unpacked into the cache), checked once.
    fn layer_folder(&mut self, logical: &str) -> Option<PathBuf> {
        if let Some(known) = self.layer_memo.get(logical) {
            return known.clone();
        }
        let found = self.read_layer(logical);
        self.layer_memo.insert(logical.to_owned(), found.clone());
        found
    }

    fn read_layer(&mut self, logical: &str) -> Option<PathBuf> {
        let info = self.r.resource(logical)?;
        let props_loc = child(&child("Resources", logical), "Properties");
        let key = if info.ty == "AWS::Lambda::LayerVersion" {
            "Content"
        } else {
            "ContentUri"
        };
        let loc = child(&props_loc, key);
        let value = info.props.and_then(|p| p.get(key))?;
        let path = match self.r.resolve(value, &loc) {
            Ok(Some(Value::String(s))) if !s.starts_with("s3://") => s,
            Ok(Some(_)) => {
                self.r.diags.warn(
                    &loc,
                    format!(
                        "layer {logical} has its content in S3; glassgate needs it locally (a folder or .zip relative to the template), so functions using it run without it"
                    ),
                );
                return None;
            }
            Ok(None) | Err(Reported) => return None,
        };
        let dir = self.base_dir.join(&path);
        let cache = self.r.opts().cache_dir.clone();
        let folder = if dir.is_dir() {
            Ok(std::fs::canonicalize(&dir).unwrap_or(dir))
        } else if dir.is_file() {
            code::unpacked_zip(&cache, &dir)
        } else {
            Err(format!(
                "the content of layer {logical} does not exist: {}",
                dir.display()
            ))
        };
        match folder {
            Ok(folder) => {
                if !LAYER_FOLDERS.iter().any(|f| folder.join(f).is_dir()) {
                    self.r.diags.warn(
                        &loc,
                        format!(
                            "layer {logical} ({}) has no python/, nodejs/, bin/ or lib/ folder, the places Lambda's runtimes look in /opt: nothing in it will be found (sam build makes that layout; serve its output)",
                            folder.display()
                        ),
                    );
                }
                Some(folder)
            }
            Err(e) => {
                self.r.diags.error(&loc, e);
                None
            }
        }
    }
}
