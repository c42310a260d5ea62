//! Edits reach the next request: each function's code folder is watched, and a change
//! retires that function's processes (in-flight invocations finish first; the next
//! invocation starts a fresh process that loads the new code).
//!
//! Owns: which folders are watched for which functions, which paths count as code, the
//! debounce, and the one log line per reload. Does not own: retiring processes
//! ([`super::LambdaService::retire`]).
//!
//! Folders are watched recursively, except those that are large and not code one edits by
//! hand (`node_modules`, virtual environments): those are watched one level deep, so an
//! install that adds or replaces a package still counts. Interpreter caches, VCS folders,
//! build output and editor swap files never do.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::LambdaService;
use crate::model::Model;

/// Changes closer together than this are one reload (an editor's save is several events).
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Folders watched one level deep only.
const SHALLOW: &[&str] = &["node_modules", ".venv", "venv"];
/// Path components whose changes are never code changes.
const IGNORED: &[&str] = &[
    "__pycache__",
    ".git",
    ".aws-sam",
    ".pytest_cache",
    ".mypy_cache",
    "target",
];

/// A running watcher; dropping it stops watching.
pub struct CodeWatcher {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CodeWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a folder could not be watched.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for code changes: {source}")]
pub struct WatchError {
    /// The folder.
    pub path: PathBuf,
    /// What inotify said.
    #[source]
    pub source: notify::Error,
}

/// Watch the code folder of every function of `model`. Folders that cannot be watched are
/// returned as errors beside the watcher (the others are still watched).
///
/// # Errors
/// The watcher itself cannot be created (no inotify).
pub fn watch_code(
    model: &Model,
    lambda: Arc<LambdaService>,
) -> Result<(CodeWatcher, Vec<WatchError>), notify::Error> {
    let mut folders: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for f in model.functions.values() {
        let dir = f
            .code_dir
            .canonicalize()
            .unwrap_or_else(|_| f.code_dir.clone());
        folders.entry(dir).or_default().push(f.logical_id.clone());
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    })?;
    let mut errors = Vec::new();
    for dir in folders.keys() {
        watch_folder(&mut watcher, dir, &mut errors);
    }
    let task = tokio::spawn(run(rx, folders, lambda));
    Ok((
        CodeWatcher {
            _watcher: watcher,
            task,
        },
        errors,
    ))
}

/// Watch `dir` itself and each of its subfolders recursively, shallow folders one level.
fn watch_folder(watcher: &mut impl Watcher, dir: &Path, errors: &mut Vec<WatchError>) {
    let mut watch = |path: &Path, mode| {
        if let Err(source) = watcher.watch(path, mode) {
            errors.push(WatchError {
                path: path.to_owned(),
                source,
            });
        }
    };
    watch(dir, RecursiveMode::NonRecursive);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if IGNORED.contains(&name.as_ref()) {
            continue;
        }
        if SHALLOW.contains(&name.as_ref()) {
            watch(&path, RecursiveMode::NonRecursive);
        } else {
            watch(&path, RecursiveMode::Recursive);
        }
    }
}

/// Whether a changed path is code: not under an ignored folder, not a compiled cache or an
/// editor's temporary file.
fn is_code(path: &Path) -> bool {
    if path.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        IGNORED.contains(&c.as_ref())
    }) {
        return false;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    !(name.ends_with(".pyc")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913")
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<notify::Event>,
    folders: HashMap<PathBuf, Vec<String>>,
    lambda: Arc<LambdaService>,
) {
    while let Some(first) = rx.recv().await {
        // Collect one burst of events.
        let mut events = vec![first];
        let deadline = tokio::time::Instant::now() + DEBOUNCE;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            events.push(e);
        }
        let mut changed: HashMap<&str, PathBuf> = HashMap::new();
        for event in &events {
            if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
                continue;
            }
            for path in event.paths.iter().filter(|p| is_code(p)) {
                for (dir, functions) in &folders {
                    if path.starts_with(dir) {
                        for f in functions {
                            changed.entry(f.as_str()).or_insert_with(|| path.clone());
                        }
                    }
                }
            }
        }
        let functions: BTreeSet<&str> = changed.keys().copied().collect();
        for function in functions {
            let retired = lambda.retire(function);
            let file = changed[function].display();
            crate::log_sink::line(format!(
                "glassgate: reload: {function}'s code changed ({file}); {retired} process(es) retired, the next invocation starts fresh"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_code;
    use std::path::Path;

    #[test]
    fn caches_and_swap_files_are_not_code() {
        assert!(is_code(Path::new("/p/app.py")));
        assert!(is_code(Path::new("/p/src/index.mjs")));
        assert!(!is_code(Path::new("/p/__pycache__/app.cpython-311.pyc")));
        assert!(!is_code(Path::new("/p/.app.py.swp")));
        assert!(!is_code(Path::new("/p/app.py~")));
        assert!(!is_code(Path::new("/p/.git/index")));
        assert!(!is_code(Path::new("/p/.aws-sam/build/x.py")));
    }
}
