//! A function's dependencies as a project declares them (`requirements.txt`, `package.json`)
//! and `sam build` installs them: whether they look installed next to the code, and what to
//! say when a handler fails to import one.
//!
//! On AWS the deployment package holds the dependencies `sam build` installed; locally the code
//! folder is used as it is, so a fresh clone usually lacks them. Lambda's Node.js runtimes also
//! ship the AWS SDK v3 (`@aws-sdk/*`), which a local Node does not have.

use std::path::Path;

use crate::model::Function;

/// Why a function's declared dependencies look missing from its folder, if they do.
pub fn uninstalled(f: &Function) -> Option<String> {
    if f.deps.is_some() {
        return None;
    }
    let dir = &f.code_dir;
    if f.runtime.starts_with("nodejs") {
        let sdk = &f.sdk_imports;
        if !sdk.is_empty() {
            return Some(format!(
                "function {} imports {}, part of the AWS SDK v3 that Lambda's Node.js runtimes include and a local Node does not: `glassgate build` installs it into glassgate's cache (the code folder is not touched)",
                f.logical_id,
                sdk.join(", ")
            ));
        }
        let manifest = std::fs::read_to_string(dir.join("package.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&manifest).ok()?;
        let count = json["dependencies"].as_object().map_or(0, |d| d.len());
        if count > 0 && !has_node_modules(dir) {
            return Some(format!(
                "function {} declares {count} dependencies in {} and there is no node_modules: imports will fail until `glassgate build` installs them (or `npm install` runs in {}, as sam build does for AWS), or serve the sam build output",
                f.logical_id,
                dir.join("package.json").display(),
                dir.display()
            ));
        }
    }
    if f.runtime.starts_with("python") {
        let manifest = std::fs::read_to_string(dir.join("requirements.txt")).ok()?;
        let count = manifest
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
            .count();
        if count > 0 && !has_installed_python_packages(dir) {
            return Some(format!(
                "function {} lists {count} requirements in {} that are not installed in its folder: they import only if the Python glassgate runs has them: `glassgate build` installs them (or pip install -r requirements.txt -t {}, as sam build does), or serve the sam build output",
                f.logical_id,
                dir.join("requirements.txt").display(),
                dir.display()
            ));
        }
    }
    None
}

/// What to do about an init failure whose message names a module that could not be imported;
/// `None` for other failures.
pub fn missing_module_hint(f: &Function, message: &str) -> Option<String> {
    let module = quoted_after(message, "No module named ")
        .or_else(|| quoted_after(message, "Cannot find module "))
        .or_else(|| quoted_after(message, "Cannot find package "))?;
    let dir = &f.code_dir;
    if module.starts_with("@aws-sdk/") {
        let package = module.split('/').take(2).collect::<Vec<_>>().join("/");
        return Some(format!(
            "{package} is part of the AWS SDK v3 that Lambda's Node.js runtimes include; locally it must be installed: run `glassgate build` (it installs the SDK packages the code imports into glassgate's cache), or npm install {package} in {} (a devDependency keeps it out of the deployment)",
            dir.display()
        ));
    }
    if f.runtime.starts_with("python") {
        let top = module.split('.').next().unwrap_or(&module).to_owned();
        return Some(if dir.join("requirements.txt").is_file() {
            format!(
                "{top} is not installed: {} lists the function's dependencies, which sam build installs for AWS; run `glassgate build` (or pip install -r requirements.txt -t {}), or serve the sam build output (.aws-sam/build)",
                dir.join("requirements.txt").display(),
                dir.display()
            )
        } else {
            format!(
                "{top} is not installed for the Python glassgate runs, and {} has no requirements.txt; install it, or check the Handler's module path",
                dir.display()
            )
        });
    }
    if f.runtime.starts_with("nodejs") && !module.starts_with('.') && !module.starts_with('/') {
        return Some(if dir.join("package.json").is_file() {
            format!(
                "{module} is not installed: run `glassgate build` (or npm install in {}, as sam build does for AWS), or serve the sam build output (.aws-sam/build)",
                dir.display()
            )
        } else {
            format!(
                "{module} is not installed and {} has no package.json; install it there with npm",
                dir.display()
            )
        });
    }
    None
}

/// The text between quotes right after `marker` (`No module named 'x'`).
fn quoted_after(message: &str, marker: &str) -> Option<String> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let inner = &rest[1..];
    Some(inner[..inner.find(quote)?].to_owned())
}

/// Node resolves packages from `node_modules` in the folder or any parent.
fn has_node_modules(dir: &Path) -> bool {
    dir.ancestors().any(|d| d.join("node_modules").is_dir())
}

/// `pip install -t DIR` leaves `*.dist-info` folders beside the packages.
fn has_installed_python_packages(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".dist-info"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(runtime: &str, dir: &Path) -> Function {
        Function {
            logical_id: "Fn".into(),
            function_name: "Fn".into(),
            runtime: runtime.into(),
            handler: Some("app.handler".into()),
            code_dir: dir.to_path_buf(),
            timeout: std::time::Duration::from_secs(3),
            memory_mb: 128,
            environment: indexmap::IndexMap::new(),
            layers: Vec::new(),
            deps: None,
            sdk_imports: Vec::new(),
            unsupported: None,
        }
    }

    #[test]
    fn import_failures_name_the_manifest_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "requests==2.32\n").unwrap();
        let py = function("python3.12", dir.path());
        let hint = missing_module_hint(
            &py,
            "Unable to import module 'app': No module named 'requests'",
        )
        .unwrap();
        assert!(hint.starts_with("requests is not installed:"), "{hint}");
        assert!(hint.contains("pip install -r requirements.txt"), "{hint}");
        let node = function("nodejs20.x", dir.path());
        let hint = missing_module_hint(
            &node,
            "Error: Cannot find package '@aws-sdk/client-dynamodb' imported from /x/app.mjs",
        )
        .unwrap();
        assert!(
            hint.starts_with("@aws-sdk/client-dynamodb is part of the AWS SDK v3"),
            "{hint}"
        );
        assert_eq!(
            missing_module_hint(&py, "SyntaxError: invalid syntax"),
            None
        );
        assert_eq!(
            missing_module_hint(&node, "Cannot find module './lib'"),
            None
        );
    }

    #[test]
    fn declared_dependencies_without_an_install_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"dependencies": {"uuid": "^9"}}"#,
        )
        .unwrap();
        let node = function("nodejs20.x", dir.path());
        assert!(uninstalled(&node).is_some_and(|w| w.contains("no node_modules")));
        std::fs::create_dir(dir.path().join("node_modules")).unwrap();
        assert_eq!(uninstalled(&node), None);
        std::fs::write(dir.path().join("requirements.txt"), "# none\n\n").unwrap();
        assert_eq!(uninstalled(&function("python3.12", dir.path())), None);
    }
}
