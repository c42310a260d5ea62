//! A function's code as a folder its runtime can start in, whatever the template points at:
//! a folder as it is; a `.zip` (a built artifact) unpacked once into glassgate's cache; a single
//! file copied alone into a cache folder (the deployment package Lambda would see); inline
//! code (`InlineCode`, `Code.ZipFile`) written where Lambda writes it, `index.py` or
//! `index.js`.
//!
//! Cache folders are named by a hash of what they hold, filled in a temporary folder and
//! renamed into place, so a second load reuses them and two loads never see half a folder.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder glassgate keeps unpacked code in: `$GLASSGATE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/glassgate`, else `~/.cache/glassgate`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GLASSGATE_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("glassgate");
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache").join("glassgate"))
        .unwrap_or_else(|| std::env::temp_dir().join("glassgate-cache"))
}

/// The folder holding `zip`'s contents.
///
/// # Errors
/// The archive cannot be read, or the cache cannot be written; as text for the template error.
pub fn unpacked_zip(cache: &Path, zip: &Path) -> Result<PathBuf, String> {
    let bytes = std::fs::read(zip).map_err(|e| format!("cannot read {}: {e}", zip.display()))?;
    cached(cache, "zip", &bytes, |dir| {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes))
            .map_err(|e| format!("{} is not a readable zip archive: {e}", zip.display()))?;
        // `extract` refuses entries that would land outside `dir` (`../`, absolute paths) and
        // keeps the archive's Unix permissions (a `bootstrap` stays executable).
        archive
            .extract(dir)
            .map_err(|e| format!("cannot unpack {}: {e}", zip.display()))
    })
}

/// A folder holding `file` alone, under its own name.
///
/// # Errors
/// The file cannot be read, or the cache cannot be written.
pub fn single_file(cache: &Path, file: &Path) -> Result<PathBuf, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} has no file name", file.display()))?
        .to_owned();
    let mut key = name.to_string_lossy().into_owned().into_bytes();
    key.push(0);
    key.extend_from_slice(&bytes);
    cached(cache, "file", &key, |dir| {
        let target = dir.join(&name);
        std::fs::write(&target, &bytes).map_err(|e| e.to_string())?;
        // Keep it executable if it was (a single `bootstrap`).
        let mode = std::fs::metadata(file).map(|m| m.permissions());
        if let Ok(mode) = mode {
            let _ = std::fs::set_permissions(&target, mode);
        }
        Ok(())
    })
}

/// A folder holding inline code as Lambda names it: `index.py` for Python, `index.js` for
/// Node (so the handler is `index.handler`); `None` for another runtime.
///
/// # Errors
/// The cache cannot be written.
pub fn inline(cache: &Path, code: &str, runtime: &str) -> Result<Option<PathBuf>, String> {
    let file = if runtime.starts_with("python") {
        "index.py"
    } else if runtime.starts_with("nodejs") {
        "index.js"
    } else {
        return Ok(None);
    };
    let key = format!("{file}\0{code}");
    cached(cache, "inline", key.as_bytes(), |dir| {
        std::fs::write(dir.join(file), code).map_err(|e| e.to_string())
    })
    .map(Some)
}

/// What installs a function's dependencies, and the folder `glassgate build` installs them
/// into: `cache/deps/{python|node}-{hash}`, the hash over the runtime, the manifest (and
/// `package-lock.json`) and the AWS SDK packages the code imports undeclared, so an edit of
/// any makes a new folder. `None` when the function needs nothing installed.
pub fn deps_target(cache: &Path, runtime: &str, code_dir: &Path) -> Option<DepsTarget> {
    let (kind, manifest) = if runtime.starts_with("python") {
        ("python", code_dir.join("requirements.txt"))
    } else if runtime.starts_with("nodejs") {
        ("node", code_dir.join("package.json"))
    } else {
        return None;
    };
    let text = std::fs::read(&manifest).ok();
    let (declares, aws_sdk) = match (kind, &text) {
        ("python", Some(text)) => (
            String::from_utf8_lossy(text).lines().any(|l| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#')
            }),
            Vec::new(),
        ),
        ("python", None) => return None,
        _ => {
            let declared = text
                .as_deref()
                .and_then(|t| serde_json::from_slice::<serde_json::Value>(t).ok())
                .and_then(|v| v.get("dependencies")?.as_object().cloned())
                .unwrap_or_default();
            let sdk: Vec<String> = undeclared_aws_sdk(code_dir)
                .into_iter()
                .filter(|p| !declared.contains_key(p))
                .collect();
            (!declared.is_empty(), sdk)
        }
    };
    if !declares && aws_sdk.is_empty() {
        return None;
    }
    let lock = code_dir.join("package-lock.json");
    let mut key = format!("{kind}\0{runtime}\0").into_bytes();
    key.extend_from_slice(text.as_deref().unwrap_or_default());
    if kind == "node"
        && let Ok(l) = std::fs::read(&lock)
    {
        key.push(0);
        key.extend_from_slice(&l);
    }
    for p in &aws_sdk {
        key.push(0);
        key.extend_from_slice(p.as_bytes());
    }
    let folder = cache.join("deps").join(format!("{kind}-{}", hex(&key)));
    Some(DepsTarget {
        kind,
        manifest: declares.then_some(manifest),
        lock: (kind == "node" && declares && lock.is_file()).then_some(lock),
        aws_sdk,
        folder,
    })
}

/// Where a function's dependencies go, and from what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepsTarget {
    /// `python` (pip) or `node` (npm).
    pub kind: &'static str,
    /// `requirements.txt` or `package.json`, when it declares dependencies.
    pub manifest: Option<PathBuf>,
    /// `package-lock.json` beside a `package.json`, when there is one.
    pub lock: Option<PathBuf>,
    /// AWS SDK v3 packages (`@aws-sdk/...`) the Node code imports without declaring them:
    /// Lambda's Node.js runtimes include the SDK, a local Node does not.
    pub aws_sdk: Vec<String>,
    /// The cache folder they are installed into (present once installed).
    pub folder: PathBuf,
}

/// Most files and bytes `undeclared_aws_sdk` reads: a handler folder is small, and a folder
/// that is not (a whole repository as `CodeUri`) must not slow every start.
const SCAN_FILES: usize = 400;
const SCAN_BYTES: u64 = 4 << 20;

/// The `@aws-sdk/*` packages named in quotes in a Node function's sources (`import ... from
/// '@aws-sdk/client-s3'`, `require("@aws-sdk/lib-dynamodb")`), outside `node_modules`, and
/// not already installed in the folder's own `node_modules`; sorted.
pub fn undeclared_aws_sdk(code_dir: &Path) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    let (mut files, mut bytes) = (0usize, 0u64);
    let mut stack = vec![code_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(ty) = entry.file_type() else { continue };
            if ty.is_dir() {
                if name != "node_modules" && !name.starts_with('.') {
                    stack.push(entry.path());
                }
                continue;
            }
            let source = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"]
                .iter()
                .any(|e| name.ends_with(e));
            if !source || files >= SCAN_FILES || bytes >= SCAN_BYTES {
                continue;
            }
            let Ok(text) = std::fs::read(entry.path()) else {
                continue;
            };
            files += 1;
            bytes += text.len() as u64;
            for at in memchr::memmem::find_iter(&text, b"@aws-sdk/") {
                if !at
                    .checked_sub(1)
                    .is_some_and(|q| matches!(text[q], b'\'' | b'"' | b'`'))
                {
                    continue;
                }
                let rest = &text[at + "@aws-sdk/".len()..];
                let len = rest
                    .iter()
                    .take_while(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'-' | b'.' | b'_')
                    })
                    .count();
                if len > 0 {
                    let package = format!("@aws-sdk/{}", String::from_utf8_lossy(&rest[..len]));
                    if !code_dir.join("node_modules").join(&package).is_dir() {
                        found.insert(package);
                    }
                }
            }
        }
    }
    found.into_iter().collect()
}

fn hex(key: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key);
    digest.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `cache/code/{kind}-{hash of key}`, filled by `fill` the first time.
fn cached(
    cache: &Path,
    kind: &str,
    key: &[u8],
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let hex = hex(key);
    let root = cache.join("code");
    let dir = root.join(format!("{kind}-{hex}"));
    if dir.is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&root)
        .map_err(|e| format!("cannot create the cache folder {}: {e}", root.display()))?;
    let tmp = root.join(format!(".{kind}-{hex}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another load filled it first: use theirs.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => Err(format!("cannot fill {}: {e}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn aws_sdk_imports_are_found_in_quoted_specifiers_outside_node_modules() {
        let code = tempfile::tempdir().unwrap();
        let dir = code.path();
        std::fs::write(
            dir.join("app.mjs"),
            "import { S3Client } from '@aws-sdk/client-s3';\nconst d = await import(\"@aws-sdk/lib-dynamodb\");\n// see @aws-sdk/docs for more\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/util.cjs"), "require(`@aws-sdk/client-s3`)").unwrap();
        std::fs::create_dir_all(dir.join("node_modules/x")).unwrap();
        std::fs::write(
            dir.join("node_modules/x/i.js"),
            "require('@aws-sdk/client-sqs')",
        )
        .unwrap();
        assert_eq!(
            undeclared_aws_sdk(dir),
            ["@aws-sdk/client-s3", "@aws-sdk/lib-dynamodb"]
        );
        // Installed in the folder's own node_modules: nothing to provide.
        std::fs::create_dir_all(dir.join("node_modules/@aws-sdk/client-s3")).unwrap();
        assert_eq!(undeclared_aws_sdk(dir), ["@aws-sdk/lib-dynamodb"]);
        // A declared one is the project's own; the target installs the rest.
        std::fs::write(
            dir.join("package.json"),
            r#"{"dependencies": {"@aws-sdk/lib-dynamodb": "^3.500.0"}}"#,
        )
        .unwrap();
        let cache = tempfile::tempdir().unwrap();
        let t = deps_target(cache.path(), "nodejs20.x", dir).unwrap();
        assert!(t.aws_sdk.is_empty(), "{t:?}");
        assert!(t.manifest.is_some());
    }

    #[test]
    fn a_zip_is_unpacked_once_and_a_single_file_kept_alone() {
        let cache = tempfile::tempdir().unwrap();
        let cache = cache.path();
        let src = tempfile::tempdir().unwrap();
        let zip_path = src.path().join("app.zip");
        {
            let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
            let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
            w.start_file("bootstrap", opts).unwrap();
            w.write_all(b"#!/bin/sh\n").unwrap();
            w.start_file("lib/app.py", opts).unwrap();
            w.write_all(b"x = 1\n").unwrap();
            w.finish().unwrap();
        }
        let dir = unpacked_zip(cache, &zip_path).unwrap();
        assert!(dir.join("lib/app.py").is_file());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("bootstrap"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "bootstrap stays executable");
        assert_eq!(unpacked_zip(cache, &zip_path).unwrap(), dir);

        let file = src.path().join("handler.py");
        std::fs::write(&file, "def handler(e, c): pass\n").unwrap();
        let dir = single_file(cache, &file).unwrap();
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["handler.py"]);

        let bad = src.path().join("bad.zip");
        std::fs::write(&bad, "not a zip").unwrap();
        assert!(
            unpacked_zip(cache, &bad)
                .unwrap_err()
                .contains("is not a readable zip archive")
        );

        let dir = inline(cache, "def handler(e, c):\n    return 1\n", "python3.12")
            .unwrap()
            .unwrap();
        assert!(dir.join("index.py").is_file());
        assert_eq!(inline(cache, "x", "java21").unwrap(), None);
    }
}
