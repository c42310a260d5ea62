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
/// into: `cache/deps/{python|node}-{hash}`, the hash over the runtime and the manifest (and
/// `package-lock.json`), so an edit of the manifest makes a new folder. `None` when the
/// function declares no dependencies.
pub fn deps_target(cache: &Path, runtime: &str, code_dir: &Path) -> Option<DepsTarget> {
    let (kind, manifest) = if runtime.starts_with("python") {
        ("python", code_dir.join("requirements.txt"))
    } else if runtime.starts_with("nodejs") {
        ("node", code_dir.join("package.json"))
    } else {
        return None;
    };
    let text = std::fs::read(&manifest).ok()?;
    let declares = if kind == "python" {
        String::from_utf8_lossy(&text).lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
    } else {
        serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("dependencies")?.as_object().map(|d| !d.is_empty()))
            .unwrap_or(false)
    };
    if !declares {
        return None;
    }
    let lock = code_dir.join("package-lock.json");
    let mut key = format!("{kind}\0{runtime}\0").into_bytes();
    key.extend_from_slice(&text);
    if kind == "node"
        && let Ok(l) = std::fs::read(&lock)
    {
        key.push(0);
        key.extend_from_slice(&l);
    }
    let folder = cache.join("deps").join(format!("{kind}-{}", hex(&key)));
    Some(DepsTarget {
        kind,
        manifest,
        lock: (kind == "node" && lock.is_file()).then_some(lock),
        folder,
    })
}

/// Where a function's dependencies go, and from what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepsTarget {
    /// `python` (pip) or `node` (npm).
    pub kind: &'static str,
    /// `requirements.txt` or `package.json`.
    pub manifest: PathBuf,
    /// `package-lock.json` beside a `package.json`, when there is one.
    pub lock: Option<PathBuf>,
    /// The cache folder they are installed into (present once installed).
    pub folder: PathBuf,
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
