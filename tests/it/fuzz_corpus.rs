//! Every fuzz corpus file replayed through its target in ordinary CI (the Envoy model): a
//! crash `cargo fuzz` once found, added to `fuzz/corpus/<target>/` after the fix, stays fixed.
//! The targets' bodies are the library's (`glassgate::fuzz`), so this runs exactly what the
//! fuzzer ran.

use std::path::Path;

fn fuzz_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_target_has_a_fuzzer_binary_and_a_seed_corpus() {
    let mut bins: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| {
            e.expect("entry")
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    bins.sort();
    let mut targets: Vec<String> = glassgate::fuzz::TARGETS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    targets.sort();
    assert_eq!(
        bins, targets,
        "fuzz/fuzz_targets and glassgate::fuzz::TARGETS differ"
    );
    for t in &targets {
        let n = std::fs::read_dir(fuzz_dir().join("corpus").join(t))
            .map(|d| d.count())
            .unwrap_or(0);
        assert!(n > 0, "fuzz/corpus/{t} has no seeds");
    }
}

#[test]
fn every_corpus_file_runs_through_its_target_without_a_panic() {
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, run) in glassgate::fuzz::TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.expect("entry").path();
            let data = std::fs::read(&path).expect("corpus file");
            ran += 1;
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(ran > 0, "no corpus file was found");
    assert!(failed.is_empty(), "these inputs panic: {failed:#?}");
}
