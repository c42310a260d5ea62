//! The web console's files, served under `/console/` on the admin port: built into the
//! binary from `console/` at the crate root, or read from a folder given with
//! `serve --console-dir` (an edit-and-reload loop; the same headers either way).
//!
//! Every answer carries a strict Content-Security-Policy (scripts, styles and requests only
//! from this origin, no framing), an `ETag` of its bytes, and `Cache-Control: no-cache`, so
//! that a browser revalidates and an edited file shows on reload.

use std::hash::BuildHasher;
use std::path::Path;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};

use super::{AdminBody, error, full};

/// The policy of every console file: nothing from anywhere but this origin, no inline
/// script or style attribute, no framing (clickjacking), no form posts elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

macro_rules! assets {
    ($($path:literal),+ $(,)?) => {
        /// The built-in files, by path under `console/`.
        pub const ASSETS: &[(&str, &[u8])] = &[
            $(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $path)))),+
        ];
    };
}

assets![
    "index.html",
    "style.css",
    "boot.js",
    "app.js",
    "api.js",
    "ui.js",
    "views/requests.js",
    "views/detail.js",
    "views/waterfall.js",
    "views/authorizers.js",
    "views/routes.js",
    "views/status.js",
];

/// The type of a file by its extension.
pub fn mime(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// A path a request may name: relative, no `..`, no hidden files, no backslashes.
fn safe(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.'))
}

/// `GET /console/PATH`.
pub(super) fn asset<B>(dir: Option<&Path>, path: &str, req: &Request<B>) -> Response<AdminBody> {
    let path = if path.is_empty() { "index.html" } else { path };
    if !safe(path) {
        return error(StatusCode::NOT_FOUND, format!("no console file {path}"));
    }
    let bytes = match dir {
        Some(dir) => match std::fs::read(dir.join(path)) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("no console file {path} in {} ({e})", dir.display()),
                );
            }
        },
        None => match ASSETS.iter().find(|(p, _)| *p == path) {
            Some((_, b)) => Bytes::from_static(b),
            None => return error(StatusCode::NOT_FOUND, format!("no console file {path}")),
        },
    };
    let etag = format!(
        "\"{}-{:016x}\"",
        env!("CARGO_PKG_VERSION"),
        foldhash::quality::FixedState::with_seed(0).hash_one(&bytes[..])
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut r = if fresh {
        let mut r = Response::new(full(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(full(bytes))
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(path)));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("console folder") {
            let e = e.expect("entry");
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            if e.file_type().expect("type").is_dir() {
                files(&e.path(), &format!("{rel}/"), out);
            } else {
                out.push(rel);
            }
        }
    }

    fn on_disk() -> Vec<String> {
        let mut out = Vec::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("console"),
            "",
            &mut out,
        );
        out.sort();
        out
    }

    #[test]
    fn every_file_of_the_console_folder_is_built_in_and_nothing_else() {
        let mut built: Vec<String> = ASSETS.iter().map(|(p, _)| (*p).to_owned()).collect();
        built.sort();
        assert_eq!(built, on_disk(), "add new console files to ASSETS");
    }

    #[test]
    fn every_file_has_a_known_type() {
        for (p, _) in ASSETS {
            assert_ne!(mime(p), "application/octet-stream", "{p}");
        }
    }

    #[test]
    fn the_console_asks_nothing_of_any_other_origin() {
        for (p, bytes) in ASSETS {
            let text = String::from_utf8_lossy(bytes);
            for scheme in ["http://", "https://", "//cdn", "fonts.g"] {
                assert!(!text.contains(scheme), "{p} contains {scheme:?}");
            }
            // No inline script or style attribute: the CSP would block it, so it would be a
            // silent breakage.
            if p.ends_with(".html") {
                assert!(!text.contains(" style="), "{p} has an inline style");
                assert!(!text.contains(" onclick="), "{p} has an inline handler");
                assert!(
                    !text.contains("<script>"),
                    "{p} has an inline script (use <script type=\"module\" src=...>)"
                );
            }
        }
    }

    #[test]
    fn index_html_references_only_built_in_files() {
        let (_, index) = ASSETS
            .iter()
            .find(|(p, _)| *p == "index.html")
            .expect("index.html");
        let text = String::from_utf8_lossy(index);
        let mut refs = 0;
        for attr in ["src=\"", "href=\""] {
            for piece in text.split(attr).skip(1) {
                let target = piece.split('"').next().unwrap_or("");
                if target.starts_with('#') {
                    continue;
                }
                let target = target.trim_start_matches("./");
                refs += 1;
                assert!(
                    ASSETS.iter().any(|(p, _)| *p == target),
                    "index.html references {target}, which is not built in"
                );
            }
        }
        assert!(refs >= 2, "index.html loads its script and style sheet");
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        assert!(safe("app.js"));
        assert!(safe("views/detail.js"));
        for bad in [
            "../Cargo.toml",
            "views/../../x",
            ".git/config",
            "a\\b",
            "a//b",
            "",
        ] {
            assert!(!safe(bad), "{bad}");
        }
    }
}
