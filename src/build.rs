//! `glassgate build`: installs each function's declared dependencies (`requirements.txt` with
//! the user's own `pip`, `package.json` with their `npm`) into glassgate's cache, one folder
//! per manifest content (`template::code::deps_target`), never touching the source folder.
//! `serve` finds them there and puts them on the function's search paths, as `sam build`'s
//! package would hold them beside the code. An unchanged project installs nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::app::{TemplateArgs, load_model};
use crate::template::code::{DepsTarget, cache_dir, deps_target};

/// What one function needed.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Installed now.
    Installed,
    /// Already in the cache (another function, or an earlier build, has the same manifest).
    UpToDate,
}

/// Install every function's dependencies; progress goes to stderr, one line per function.
///
/// # Errors
/// The template does not load, or an install fails (with the installer's output).
pub fn build(args: &TemplateArgs) -> Result<Vec<(String, Step)>> {
    let model = load_model(args)?;
    let cache = cache_dir();
    let mut done = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in model.functions.values() {
        if f.unsupported.is_some() {
            continue;
        }
        let Some(target) = deps_target(&cache, &f.runtime, &f.code_dir) else {
            continue;
        };
        let what = describe(&target);
        if target.folder.is_dir() || !seen.insert(target.folder.clone()) {
            eprintln!(
                "glassgate build: {}: {what} up to date ({})",
                f.logical_id,
                target.folder.display()
            );
            done.push((f.logical_id.clone(), Step::UpToDate));
            continue;
        }
        eprintln!(
            "glassgate build: {}: installing {what} with {} ...",
            f.logical_id,
            if target.kind == "python" {
                "pip"
            } else {
                "npm"
            }
        );
        let began = Instant::now();
        install(&target).with_context(|| format!("function {}", f.logical_id))?;
        eprintln!(
            "glassgate build: {}: done in {:.1} s ({})",
            f.logical_id,
            began.elapsed().as_secs_f64(),
            target.folder.display()
        );
        done.push((f.logical_id.clone(), Step::Installed));
    }
    if done.is_empty() {
        eprintln!(
            "glassgate build: no function of {} needs anything installed (requirements.txt, package.json, AWS SDK imports)",
            model.template_path.display()
        );
    }
    Ok(done)
}

/// What a target installs, for the progress lines: the manifest, and the AWS SDK packages
/// Lambda would provide.
fn describe(target: &DepsTarget) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &target.manifest {
        parts.push(format!("the dependencies of {}", m.display()));
    }
    if !target.aws_sdk.is_empty() {
        parts.push(format!(
            "{} (imported, not declared: Lambda's Node.js runtimes include the AWS SDK v3)",
            target.aws_sdk.join(", ")
        ));
    }
    parts.join(" and ")
}

/// Install into a temporary folder beside the target, then rename it into place, so a failed
/// or interrupted install never leaves a folder that looks complete.
fn install(target: &DepsTarget) -> Result<()> {
    let parent = target
        .folder
        .parent()
        .context("the cache folder has no parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.{}",
        target
            .folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let result = match target.kind {
        "python" => match &target.manifest {
            Some(m) => pip(m, &tmp),
            None => Ok(()),
        },
        _ => npm(target, &tmp),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if std::fs::rename(&tmp, &target.folder).is_err() && !target.folder.is_dir() {
        let _ = std::fs::remove_dir_all(&tmp);
        bail!("cannot move the install into {}", target.folder.display());
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// `python3 -m pip install -r MANIFEST -t DIR` with the Python glassgate runs.
fn pip(manifest: &Path, into: &Path) -> Result<()> {
    let python = std::env::var("GLASSGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = manifest.parent().unwrap_or(Path::new("."));
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            "-r",
        ])
        .arg(manifest)
        .arg("-t")
        .arg(into)
        // Relative paths in the requirements (`-e ./lib`, `file:`) are the manifest's.
        .current_dir(dir))
    .with_context(|| format!("{python} -m pip install -r {}", manifest.display()))
}

/// `npm ci` (with a lock) or `npm install` of the production dependencies, on a copy of the
/// manifest, so `node_modules` lands in the cache and not in the source folder. AWS SDK
/// packages the code imports undeclared are added to the copy (`^3`, the major version
/// Lambda's runtimes include), which makes it an `npm install`.
fn npm(target: &DepsTarget, into: &Path) -> Result<()> {
    let mut manifest: serde_json::Value = match &target.manifest {
        Some(m) => {
            let text = std::fs::read(m).with_context(|| format!("cannot read {}", m.display()))?;
            serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", m.display()))?
        }
        None => serde_json::json!({ "name": "glassgate-deps", "private": true }),
    };
    if !target.aws_sdk.is_empty() {
        let deps = manifest
            .as_object_mut()
            .context("package.json is not a JSON object")?
            .entry("dependencies")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(deps) = deps.as_object_mut() {
            for p in &target.aws_sdk {
                deps.insert(p.clone(), "^3".into());
            }
        }
    }
    std::fs::write(into.join("package.json"), manifest.to_string())
        .context("cannot write package.json")?;
    let verb = match &target.lock {
        Some(lock) if target.aws_sdk.is_empty() => {
            std::fs::copy(lock, into.join("package-lock.json"))
                .context("cannot copy package-lock.json")?;
            "ci"
        }
        Some(lock) => {
            // The lock pins what it knows; install adds the SDK packages beside it.
            std::fs::copy(lock, into.join("package-lock.json"))
                .context("cannot copy package-lock.json")?;
            "install"
        }
        None => "install",
    };
    let shown = target
        .manifest
        .as_ref()
        .map(|m| m.display().to_string())
        .unwrap_or_else(|| target.aws_sdk.join(" "));
    run(Command::new("npm")
        .args([
            verb,
            "--omit=dev",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(into))
    .with_context(|| format!("npm {verb} for {shown}"))
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
