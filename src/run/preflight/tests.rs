//! The host side of the preflight on real filesystems: nothing is created, whatever it says.

use std::path::Path;

use super::*;
use crate::plan::{Overrides, WorkloadFile};
use crate::workload::dataset::DatasetSpec;

fn plan(text: &str) -> Plan {
    let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
    Plan::new(file, &Overrides::default()).unwrap()
}

fn seq(shard_size: &str, shards: u64) -> String {
    format!(
        "[[workload]]\nkind = \"seq-read\"\nname = \"big\"\nshards = {shards}\nshard_size = \"{shard_size}\"\n"
    )
}

#[test]
fn the_data_dir_must_hold_what_the_plan_writes_there() {
    let tmp = tempfile::tempdir().unwrap();
    let free = FsSpace::of(tmp.path()).unwrap().free;
    let almost = format!("{}", (free - (100 << 20)) / 4096 * 4096);
    // (plan, keep free, accepted, wanted in the message)
    let cases = [
        (
            seq("1EiB", 1000),
            KeepFree::Default,
            false,
            "needs more than 16EiB",
        ),
        (seq("1EiB", 1), KeepFree::Bytes(0), false, "needs 1.0EiB"),
        (seq(&almost, 1), KeepFree::Default, false, "keeps"),
        (seq(&almost, 1), KeepFree::Bytes(0), true, ""),
        (seq("1MiB", 2), KeepFree::Default, true, ""),
    ];
    for (text, keep, accepted, want) in cases {
        let data = tmp.path().join("data");
        let checked = check_host(&plan(&text), &data, keep);
        assert_eq!(checked.is_ok(), accepted, "{text}: {checked:?}");
        if let Err(e) = checked {
            let text = e.to_string();
            assert_eq!(e.exit_code(), 2);
            assert!(text.contains("workload \"big\" on native"), "{text}");
            assert!(
                text.contains(want) && text.contains(&data.display().to_string()),
                "{text}"
            );
        }
        assert!(!data.exists(), "nothing created");
    }
}

#[test]
fn a_dataset_already_there_needs_no_space_and_tmpfs_and_memory_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::open(&tmp.path().join("data")).unwrap();
    let small = plan(&seq("1MiB", 2));
    let spec = DatasetSpec::of(&small.cells[0].workload).unwrap();
    Dataset::prepare(&data.host_root(), &spec, 1).unwrap();
    let needs = Needs::of(&small);
    let present = |ds: &_| Dataset::is_present(&data.host_root(), ds);
    assert_eq!(needs.total(Storage::HostRoot, &present).bytes, 0);
    assert_eq!(needs.total(Storage::HostRoot, &|_| false).bytes, 2 << 20);

    let tmpfs = |size: &str, memory: &str, shard: &str| {
        format!("[run]\ntargets = [\"tmpfs\"]\n[targets.tmpfs]\nsize = \"{size}\"\n[targets.container]\nmemory = \"{memory}\"\n{}", seq(shard, 4))
    };
    // The tmpfs's pages are what is written (4 × the shard) plus a margin, not its size.
    let cases = [
        (tmpfs("8MiB", "1GiB", "1MiB"), None),
        (
            tmpfs("2MiB", "1GiB", "1MiB"),
            Some("[targets.tmpfs] size 2MiB"),
        ),
        (tmpfs("900MiB", "1GiB", "1MiB"), None),
        (
            tmpfs("900MiB", "1GiB", "200MiB"),
            Some("container memory limit"),
        ),
    ];
    for (text, refused) in cases {
        let checked = check_host(&plan(&text), &tmp.path().join("other"), KeepFree::Default);
        match (checked, refused) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => {
                let text = e.to_string();
                assert!(
                    text.contains(want) && text.contains("cannot hold"),
                    "{text}"
                );
            }
            (got, want) => panic!("{text}: {got:?}, wanted {want:?}"),
        }
    }
}
