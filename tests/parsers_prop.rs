//! Property tests over the parsers users feed: workload files and result folders. Whatever
//! the bytes, the answer is a value or one-line input error naming the file — never a panic.

use std::path::Path;

use mountbench::plan::WorkloadFile;
use mountbench::size::ByteSize;
use mountbench::Error;
use proptest::prelude::*;

trials!(
    any_bytes_as_a_workload_file_never_panic,
    workload_files_of_mixed_fields_parse_or_name_what_is_wrong,
    sizes_round_trip_through_their_display,
    damaged_result_files_are_refused_cleanly
);

fn assert_clean_error(e: &Error, file: &str) {
    let text = e.to_string();
    assert!(!text.contains('\n'), "one line: {text:?}");
    assert!(text.contains(file), "names {file}: {text}");
    assert_eq!(e.exit_code(), 2, "{text}");
}

/// A value for a workload field: sometimes right, often wrong in the ways people get it wrong.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..1 << 34).prop_map(|n| n.to_string()),
        (-5i64..0).prop_map(|n| n.to_string()),
        (
            0u32..5000,
            prop::sample::select(vec![
                "B", "KiB", "MiB", "GiB", "kb", "MB", " parsecs", "", "TiB"
            ])
        )
            .prop_map(|(n, u)| format!("\"{n}{u}\"")),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "[a-z \\-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_string()),
        Just("[\"cold\", \"warm\"]".to_string()),
        Just("[\"tepid\"]".to_string()),
        Just("{ a = 1 }".to_string()),
    ]
}

fn field() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "name",
        "shards",
        "shard_size",
        "block_size",
        "threads",
        "phases",
        "direct",
        "dirs",
        "files_per_dir",
        "median_size",
        "sigma",
        "size",
        "chunk_size",
        "fsync",
        "keep",
        "seed",
        "bogus",
    ])
}

fn workload_file() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(vec!["seq-read", "small-files", "checkpoint", "nope"]);
    let fields = prop::collection::btree_map(field(), value(), 0..8);
    let run = prop::collection::btree_map(
        prop::sample::select(vec!["reps", "warmup", "seed", "targets", "colour"]),
        value(),
        0..3,
    );
    (run, prop::collection::vec((kind, fields), 1..4)).prop_map(|(run, workloads)| {
        let mut text = String::from("[run]\n");
        for (k, v) in run {
            text.push_str(&format!("{k} = {v}\n"));
        }
        for (kind, fields) in workloads {
            text.push_str(&format!("[[workload]]\nkind = \"{kind}\"\n"));
            for (k, v) in fields {
                text.push_str(&format!("{k} = {v}\n"));
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    fn any_bytes_as_a_workload_file_never_panic(text in "\\PC{0,400}") {
        if let Err(e) = WorkloadFile::parse(Path::new("fuzz.toml"), &text) {
            assert_clean_error(&e, "fuzz.toml");
        }
    }

    fn workload_files_of_mixed_fields_parse_or_name_what_is_wrong(text in workload_file()) {
        match WorkloadFile::parse(Path::new("gen.toml"), &text) {
            Ok(file) => {
                // Whatever validated is usable: every workload has a size to plan with.
                for w in &file.workloads {
                    prop_assert!(w.params.footprint() > 0, "{text}");
                }
            }
            Err(e) => assert_clean_error(&e, "gen.toml"),
        }
    }

    fn sizes_round_trip_through_their_display(n in 1u64..1024, unit in 0u32..5, odd in 0u64..1024) {
        // Whole units print exactly; other sizes print rounded to one decimal.
        let exact = n << (10 * unit);
        prop_assert_eq!(ByteSize::parse(&ByteSize(exact).to_string()), Ok(ByteSize(exact)));
        let bytes = exact + odd;
        let back = ByteSize::parse(&ByteSize(bytes).to_string()).unwrap().0;
        prop_assert!((back as f64 - bytes as f64).abs() <= bytes as f64 * 0.05, "{} → {}", bytes, back);
    }
}

/// A real result folder, written once by a native run of the tiny workload.
fn result_folder() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let workload = tmp.path().join("w.toml");
        std::fs::write(&workload, TINY_NATIVE).unwrap();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_mountbench"))
            .args([
                "run",
                "--quiet",
                "--reps",
                "1",
                "--warmup",
                "0",
                "--targets",
                "native",
                "-w",
            ])
            .arg(&workload)
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .arg("--out")
            .arg(tmp.path().join("out"))
            .status()
            .unwrap();
        assert!(status.success());
        tmp
    })
    .path()
}

const TINY_NATIVE: &str = r#"
[[workload]]
kind = "small-files"
name = "small"
dirs = 2
files_per_dir = 10
median_size = "4KiB"
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    fn damaged_result_files_are_refused_cleanly(
        which in prop::sample::select(vec!["reps.csv", "histograms.json"]),
        cut in 0.0f64..1.0,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..6),
    ) {
        let src = result_folder().join("out");
        let dir = tempfile::tempdir().unwrap();
        for f in ["reps.csv", "histograms.json", "env.json", "summary.csv"] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        let path = dir.path().join(which);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(((bytes.len() as f64) * cut) as usize + 1);
        let len = bytes.len();
        for (at, b) in flips {
            bytes[((len as f64) * at) as usize % len] = b;
        }
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = mountbench::results::Results::load(dir.path()) {
            let text = e.to_string();
            prop_assert!(!text.contains('\n'), "one line: {:?}", text);
            prop_assert!(text.contains(&dir.path().display().to_string()), "{}", text);
        }
    }
}
