use std::time::{Duration, SystemTime};

use super::*;
use crate::workload::dataset::partial::{lock, partial_dir};
use crate::workload::dataset::{Dataset, DatasetSpec};

fn shards(seed: u64) -> DatasetSpec {
    DatasetSpec::Shards {
        count: 2,
        size: 4096,
        seed,
    }
}

fn small() -> DatasetSpec {
    DatasetSpec::SmallFiles {
        dirs: 2,
        files_per_dir: 3,
        median_size: 1000,
        sigma: 0.5,
        seed: 1,
    }
}

#[test]
fn paths_the_generator_writes_are_recognised() {
    let cases = [
        ("shard-00001.bin", true),
        ("shard-123456.bin", true),
        ("d0001/f0000002.bin", true),
        ("shard-1.bin", false),
        ("../etc/passwd", false),
        ("d0001/../../x", false),
        ("d0001/f0000002.txt", false),
        ("manifest.json", false),
    ];
    for (rel, ours) in cases {
        assert_eq!(is_dataset_file(rel), ours, "{rel}");
    }
}

#[test]
fn lists_ours_and_removes_only_ours() {
    let root = tempfile::tempdir().unwrap();
    let base = datasets_dir(root.path());
    for spec in [shards(1), small()] {
        Dataset::prepare(root.path(), &spec, 1).unwrap();
    }
    let stale = shards(2).id();
    std::fs::create_dir_all(partial_dir(&base, &stale)).unwrap();
    std::fs::write(partial_dir(&base, &stale).join("shard-00000.bin"), b"abc").unwrap();
    // Foreign things: a file, a folder named like an id without a manifest, a folder with
    // someone else's manifest, and a file dropped into one of our datasets.
    std::fs::write(base.join("notes.txt"), b"mine").unwrap();
    let fake_id = base.join("shards-00000000000000ff");
    std::fs::create_dir(&fake_id).unwrap();
    let small_dir = base.join(small().id());
    std::fs::write(small_dir.join("d0000").join("photo.jpg"), b"mine").unwrap();

    let listed = list(root.path()).unwrap();
    let states: Vec<_> = listed.iter().map(|l| (l.id.clone(), l.state)).collect();
    let mut want = vec![
        (shards(1).id(), ListedState::Ready),
        (small().id(), ListedState::Ready),
        (stale.clone(), ListedState::Partial),
    ];
    want.sort();
    assert_eq!(states, want);
    let ready = listed.iter().find(|l| l.id == shards(1).id()).unwrap();
    assert_eq!((ready.files, ready.bytes), (2, 8192));
    assert!(ready.last_use.is_some());

    let done = remove(root.path(), None, SystemTime::now()).unwrap();
    assert_eq!(done.removed.len(), 2, "{done:?}");
    assert_eq!(done.kept.len(), 1, "{done:?}");
    assert!(done.kept[0].1.contains("d0000"), "{done:?}");
    assert!(base.join("notes.txt").exists());
    assert!(fake_id.exists());
    assert!(small_dir.join("d0000").join("photo.jpg").exists());
    assert!(!base.join(shards(1).id()).exists());
    assert!(!partial_dir(&base, &stale).exists());
}

#[test]
fn older_than_and_busy_datasets_are_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let base = datasets_dir(root.path());
    Dataset::prepare(root.path(), &shards(1), 1).unwrap();
    Dataset::prepare(root.path(), &shards(2), 1).unwrap();
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    let cases = [(Some(day), now, 0), (Some(day), now + 2 * day, 1)];
    let held = lock(&base, &shards(2).id()).unwrap();
    for (older_than, at, removed) in cases {
        let done = remove(root.path(), older_than, at).unwrap();
        assert_eq!(done.removed.len(), removed, "{older_than:?}");
    }
    let done = remove(root.path(), None, now).unwrap();
    assert_eq!(done.busy.len(), 1, "a dataset a run holds stays");
    drop(held);
    assert_eq!(remove(root.path(), None, now).unwrap().removed.len(), 1);
    assert!(list(root.path()).unwrap().is_empty());
}
