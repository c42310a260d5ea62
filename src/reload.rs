//! Reloading while serving: edits reach the next request.
//!
//! Owns: watching the template and every function's code folder (notify: inotify on Linux),
//! which paths count as code, the debounce, swapping in a pipeline built from the edited
//! template, and the one log line per reload. Does not own: how a pipeline is built (the
//! caller's `rebuild`, the same code `serve` starts with) or retiring processes
//! ([`crate::lambda::LambdaService::retire`]).
//!
//! - A change in a function's code folder retires that function's processes: in-flight
//!   invocations finish on the code they started with, the next one starts a fresh process.
//! - A change of the template loads it again. If it loads, the new pipeline (routes,
//!   authorizers and their caches, functions and their pools) serves every request from then
//!   on; requests already running finish on the old one, whose processes are stopped once
//!   the last of them is done. The listener is never dropped, so keep-alive connections go
//!   on. If it does not load, the errors are logged and the previous pipeline keeps serving.
//!
//! Code folders are watched recursively, except those that are large and not code one edits
//! by hand (`node_modules`, virtual environments): those are watched one level deep, so an
//! install that adds or replaces a package still counts. Interpreter caches, VCS folders,
//! build output and editor swap files never do.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::model::Model;
use crate::pipeline::Pipeline;
use crate::server::ServerState;

/// Changes closer together than this are one reload (an editor's save is several events, and a
/// save by temporary file and rename may be split by a busy machine's scheduler).
const DEBOUNCE: Duration = Duration::from_millis(150);
/// After a file is created, how long a burst waits for it to be renamed: an editor's save
/// writes a temporary file and renames it over the real one, and on a busy machine the two
/// can be far apart.
const CREATE_DEBOUNCE: Duration = Duration::from_millis(600);
/// A burst of changes that never goes quiet still reloads after this long.
const BURST_MAX: Duration = Duration::from_secs(2);

/// How long a replaced pipeline waits for its last request before its processes stop.
const RETIRE_WAIT: Duration = Duration::from_secs(60);

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

/// Builds the pipeline from the template again.
pub type Rebuild = Box<dyn Fn() -> anyhow::Result<Arc<Pipeline>> + Send + Sync>;

/// A running watcher; dropping it stops watching.
pub struct Reloader {
    task: tokio::task::JoinHandle<()>,
    /// Code folders watched at start.
    pub folders: usize,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What is watched, and for which functions.
struct Watched {
    watcher: notify::RecommendedWatcher,
    template: PathBuf,
    folders: HashMap<PathBuf, Vec<String>>,
    /// Every path given to the watcher (so a reload adds only new ones).
    paths: HashSet<PathBuf>,
}

/// Start watching what `state` serves.
///
/// # Errors
/// The watcher itself cannot be created (no inotify).
pub fn start(state: Arc<ServerState>, rebuild: Rebuild) -> Result<Reloader, notify::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    })?;
    let pipeline = state.pipeline();
    let mut watched = Watched {
        watcher,
        template: canonical(&pipeline.model().template_path),
        folders: HashMap::new(),
        paths: HashSet::new(),
    };
    watched.follow(pipeline.model());
    let folders = watched.folders.len();
    let task = tokio::spawn(run(rx, watched, state, rebuild));
    Ok(Reloader { task, folders })
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_owned())
}

impl Watched {
    /// Watch the template's folder and every function's code folder of `model`.
    fn follow(&mut self, model: &Model) {
        self.template = canonical(&model.template_path);
        self.folders.clear();
        for f in model.functions.values() {
            self.folders
                .entry(canonical(&f.code_dir))
                .or_default()
                .push(f.logical_id.clone());
        }
        let mut errors = Vec::new();
        // Editors save by writing a new file and renaming it over the old one, so the
        // template's folder is watched rather than the file.
        if let Some(dir) = self.template.parent().map(Path::to_owned) {
            self.watch(&dir, RecursiveMode::NonRecursive, &mut errors);
        }
        let dirs: Vec<PathBuf> = self.folders.keys().cloned().collect();
        for dir in dirs {
            self.watch_folder(&dir, &mut errors);
        }
        for (path, e) in errors {
            crate::log_sink::line(format!(
                "glassgate: warning: cannot watch {} for changes ({e}); edits there reach handlers only after --idle-timeout or a restart",
                path.display()
            ));
        }
    }

    fn watch(
        &mut self,
        path: &Path,
        mode: RecursiveMode,
        errors: &mut Vec<(PathBuf, notify::Error)>,
    ) {
        if self.paths.contains(path) {
            return;
        }
        match self.watcher.watch(path, mode) {
            Ok(()) => {
                self.paths.insert(path.to_owned());
            }
            Err(e) => errors.push((path.to_owned(), e)),
        }
    }

    /// Watch `dir` itself and each of its subfolders recursively, shallow folders one level.
    fn watch_folder(&mut self, dir: &Path, errors: &mut Vec<(PathBuf, notify::Error)>) {
        self.watch(dir, RecursiveMode::NonRecursive, errors);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if IGNORED.contains(&name.as_ref()) {
                continue;
            }
            let mode = if SHALLOW.contains(&name.as_ref()) {
                RecursiveMode::NonRecursive
            } else {
                RecursiveMode::Recursive
            };
            self.watch(&entry.path(), mode, errors);
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
    // Editors' and tools' temporary files: `.name.tmp-save`, `name.tmp`, `.#name`, `name~`.
    let temporary = name.starts_with('.') && name.contains(".tmp") || name.ends_with(".tmp");
    !(temporary
        || name.ends_with(".pyc")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913")
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<notify::Event>,
    mut watched: Watched,
    state: Arc<ServerState>,
    rebuild: Rebuild,
) {
    let rebuild: Arc<Rebuild> = Arc::new(rebuild);
    while let Some(first) = rx.recv().await {
        // Reads (a handler importing its code) neither start, extend nor join a burst.
        let is_read = |e: &notify::Event| matches!(e.kind, EventKind::Access(_) | EventKind::Other);
        if is_read(&first) {
            continue;
        }
        // Collect one burst of events: until DEBOUNCE passes without one, or BURST_MAX in all.
        // A burst that created a file waits longer, for the rename that usually follows.
        let cap = tokio::time::Instant::now() + BURST_MAX;
        let mut created = matches!(first.kind, EventKind::Create(_));
        let mut events = vec![first];
        let quiet_for = |created: bool| if created { CREATE_DEBOUNCE } else { DEBOUNCE };
        let mut quiet = (tokio::time::Instant::now() + quiet_for(created)).min(cap);
        while let Ok(Some(e)) = tokio::time::timeout_at(quiet, rx.recv()).await {
            if !is_read(&e) {
                created |= matches!(e.kind, EventKind::Create(_));
                quiet = (tokio::time::Instant::now() + quiet_for(created)).min(cap);
                events.push(e);
            }
        }
        let mut template_changed = false;
        let mut changed: HashMap<&str, PathBuf> = HashMap::new();
        for event in &events {
            if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
                continue;
            }
            for path in &event.paths {
                if canonical(path) == watched.template || *path == watched.template {
                    template_changed = true;
                    continue;
                }
                if !is_code(path) {
                    continue;
                }
                for (dir, functions) in &watched.folders {
                    if path.starts_with(dir) {
                        for f in functions {
                            // Name a file that exists: an editor's or sed's save writes a
                            // temporary file and renames it over the real one.
                            let named = changed.entry(f.as_str()).or_insert_with(|| path.clone());
                            if !named.exists() && path.exists() {
                                named.clone_from(path);
                            }
                        }
                    }
                }
            }
        }
        if template_changed {
            let template = watched.template.display().to_string();
            // Loading reads files and looks up interpreters: off the runtime's threads.
            let build = rebuild.clone();
            let built = tokio::task::spawn_blocking(move || build()).await;
            match built {
                Ok(Ok(pipeline)) => {
                    let model = pipeline.model();
                    let routes: usize = model.apis.iter().map(|a| a.routes.len()).sum();
                    crate::log_sink::line(format!(
                        "glassgate: reload: {template} changed; now serving {} function(s), {} API(s), {routes} route(s)",
                        model.functions.len(),
                        model.apis.len()
                    ));
                    for w in &model.warnings {
                        crate::log_sink::line(format!("glassgate: warning: {w}"));
                    }
                    watched.follow(model);
                    let old = state.replace_pipeline(pipeline);
                    tokio::spawn(retire_pipeline(old));
                    state.recent.notify(crate::recent::EventKind::Reload {
                        template: template.to_string(),
                    });
                }
                Ok(Err(e)) => crate::log_sink::line(format!(
                    "glassgate: reload: {template} refused, the previous version keeps serving: {e:#}"
                )),
                Err(e) => crate::log_sink::line(format!(
                    "glassgate: reload: {template} could not be loaded ({e}), the previous version keeps serving"
                )),
            }
            continue;
        }
        let pipeline = state.pipeline();
        let functions: BTreeSet<&str> = changed.keys().copied().collect();
        for function in functions {
            let retired = pipeline.lambda().retire(function);
            let file = changed[function].display();
            crate::log_sink::line(format!(
                "glassgate: reload: {function}'s code changed ({file}); {retired} process(es) retired, the next invocation starts fresh"
            ));
        }
    }
}

/// Stop a replaced pipeline's processes once the requests still running on it are done.
async fn retire_pipeline(old: Arc<Pipeline>) {
    let deadline = tokio::time::Instant::now() + RETIRE_WAIT;
    while Arc::strong_count(&old) > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    old.lambda().shutdown().await;
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
        assert!(!is_code(Path::new("/p/.app.py.tmp-save")));
        assert!(!is_code(Path::new("/p/app.py.tmp")));
        assert!(is_code(Path::new("/p/tmpl.py")));
        assert!(!is_code(Path::new("/p/.git/index")));
        assert!(!is_code(Path::new("/p/.aws-sam/build/x.py")));
    }
}
