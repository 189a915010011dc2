//! What fsync promised survives a VM engine killed hard (#23): scripts/vm/durability.sh boots
//! the test VM on a kept disk, has a container write, fsync, rename and fsync the folder on a
//! bind mount and a volume, kills qemu with SIGKILL the moment the last fsync returns, boots
//! again and reads both; then the same without fsync, whose losses are reported, not failed.
//!
//! It boots the VM four times on the software CPU (minutes) and kills it: it runs only when
//! MOUNTBENCH_VM_DURABILITY names the share (virtiofs or 9p), as root, with no other test VM
//! on the port (MOUNTBENCH_VM_DURABILITY_PORT, default 23791).

use std::path::Path;
use std::process::Command;

use crate::common::{missing, Ran};

trials!(what_fsync_promised_survives_a_killed_vm);

/// Rows of the script's table: (fs, mode, place, result, bytes, kill_ms).
fn rows(tsv: &str) -> Vec<Vec<String>> {
    tsv.lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn what_fsync_promised_survives_a_killed_vm() -> Ran {
    let Some(fs) = std::env::var("MOUNTBENCH_VM_DURABILITY")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return Err(missing(
            "MOUNTBENCH_REQUIRE_DURABILITY",
            "kills the test VM: set MOUNTBENCH_VM_DURABILITY=virtiofs or 9p",
        ));
    };
    let port =
        std::env::var("MOUNTBENCH_VM_DURABILITY_PORT").unwrap_or_else(|_| "23791".to_string());
    let work = tempfile::Builder::new()
        .prefix("mountbench-durability-")
        .tempdir_in("/var/tmp")
        .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/vm/durability.sh");
    let output = Command::new(&script)
        .args(["--fs", &fs, "--port", &port, "--work"])
        .arg(work.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(output.status.success(), "{stderr}\n{stdout}");
    let table = std::fs::read_to_string(work.path().join("durability.tsv")).unwrap();
    let rows = rows(&table);
    let cells: Vec<(&str, &str)> = rows.iter().map(|r| (&*r[1], &*r[2])).collect();
    assert_eq!(
        cells,
        [
            ("fsync", "bind"),
            ("fsync", "volume"),
            ("no-fsync", "bind"),
            ("no-fsync", "volume")
        ],
        "{table}"
    );
    for r in &rows {
        assert_eq!(r[0], fs, "{r:?}");
        let kill_ms: u64 = r[5].parse().unwrap();
        assert!(kill_ms < 10_000, "{r:?}");
        match r[1].as_str() {
            "fsync" => assert_eq!((r[3].as_str(), r[4].as_str()), ("kept", "65536"), "{r:?}"),
            _ => assert!(
                r[3] == "kept" || r[3].starts_with("lost: ") || r[3].starts_with("torn: "),
                "{r:?}"
            ),
        }
    }
    Ok(())
}
