//! The runtime clients glassgate ships for `python3.x` and `nodejs*` functions.
//!
//! They are embedded in the binary, so a single `glassgate` file runs Python and Node
//! handlers with no install step, and written to a private folder per server process at
//! start (a per-process folder, so concurrent servers never race on the same files).

use std::path::PathBuf;

use super::LambdaError;

/// File name of the Python runtime client.
pub(crate) const PYTHON: &str = "bootstrap.py";
/// File name of the Node runtime client.
pub(crate) const NODE: &str = "bootstrap.js";

const PYTHON_SRC: &str = include_str!("bootstrap/python.py");
const NODE_SRC: &str = include_str!("bootstrap/node.js");

/// Write both bootstraps to a fresh folder and return it.
pub(crate) fn write_all() -> Result<PathBuf, LambdaError> {
    let dir = std::env::temp_dir().join(format!(
        "glassgate-runtime-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let err = |source| LambdaError::Bootstrap {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    std::fs::write(dir.join(PYTHON), PYTHON_SRC).map_err(err)?;
    std::fs::write(dir.join(NODE), NODE_SRC).map_err(err)?;
    // A `"type": "module"` package.json in a folder above would make Node load the
    // bootstrap as ESM; this one pins it to CommonJS.
    std::fs::write(dir.join("package.json"), "{\"type\":\"commonjs\"}\n").map_err(err)?;
    Ok(dir)
}
