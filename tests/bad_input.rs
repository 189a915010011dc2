//! Bad input: one clear line naming file, field and reason; exit code 2; nothing created.

use crate::common;
use common::{Ran, Skip};

use std::path::Path;

use common::{expect_input_error, mountbench, report_cli, run_cli, write_workload, TINY};

trials!(
    drop_caches_without_root_is_refused,
    bad_inputs_fail_with_one_clear_line_and_exit_2,
    symlinked_or_foreign_data_dirs_are_refused,
    report_refuses_a_folder_that_is_not_a_result_folder,
    resume_refuses_what_it_cannot_finish
);

struct Case {
    name: &'static str,
    /// Workload file text (None: no file is written).
    toml: Option<String>,
    args: &'static [&'static str],
    /// Substrings the one error line must contain.
    expect: &'static [&'static str],
}

fn edit(from: &str, to: &str) -> Option<String> {
    assert!(TINY.contains(from), "{from}");
    Some(TINY.replacen(from, to, 1))
}

fn cases() -> Vec<Case> {
    vec![
        Case { name: "toml syntax", toml: edit("shards = 2", "shards = = 2"), args: &[], expect: &["w.toml:", "shards"] },
        Case { name: "unknown field", toml: edit("shards = 2", "shardz = 2"), args: &[], expect: &["w.toml", "unknown field `shardz`"] },
        Case { name: "wrong unit", toml: edit("shard_size = \"2MiB\"", "shard_size = \"12 parsecs\""), args: &[], expect: &["w.toml:", "shard_size", "12 parsecs"] },
        Case { name: "unitless float size", toml: edit("shard_size = \"2MiB\"", "shard_size = 1.5"), args: &[], expect: &["shard_size", "no unit"] },
        Case { name: "zero size", toml: edit("shard_size = \"2MiB\"", "shard_size = \"0\""), args: &[], expect: &["workload \"seq\"", "shard_size", "greater than 0"] },
        Case { name: "negative size", toml: edit("size = \"3MiB\"", "size = \"-3MiB\""), args: &[], expect: &["size", "negative"] },
        Case { name: "negative count", toml: edit("shards = 2", "shards = -2"), args: &[], expect: &["w.toml:", "shards"] },
        Case { name: "zero threads", toml: edit("threads = 2", "threads = 0"), args: &[], expect: &["threads", "greater than 0"] },
        Case { name: "zero breakdown_every", toml: edit("name = \"small\"", "name = \"small\"\nbreakdown_every = 0"), args: &[], expect: &["workload \"small\"", "breakdown_every", "greater than 0"] },
        Case { name: "loops on a checkpoint", toml: edit("name = \"ckpt\"", "name = \"ckpt\"\nloops = 2"), args: &[], expect: &["workload \"ckpt\"", "loops", "applies to seq-read"] },
        Case { name: "unknown kind", toml: edit("kind = \"seq-read\"", "kind = \"seq-reed\""), args: &[], expect: &["kind", "seq-reed"] },
        Case { name: "field of another kind", toml: edit("shards = 2", "shards = 2\nfiles_per_dir = 3"), args: &[], expect: &["files_per_dir", "applies to small-files"] },
        Case { name: "unknown phase", toml: edit("phases = [\"cold\", \"warm\"]", "phases = [\"tepid\"]"), args: &[], expect: &["w.toml:", "tepid"] },
        Case { name: "chunk larger than size", toml: edit("chunk_size = \"1MiB\"", "chunk_size = \"8MiB\""), args: &[], expect: &["chunk_size", "larger than size"] },
        Case { name: "direct with odd block", toml: edit("block_size = \"256KiB\"", "block_size = \"1000\"\ndirect = true"), args: &[], expect: &["direct", "4KiB"] },
        Case { name: "dataset larger than tmpfs", toml: edit("size = \"64MiB\"", "size = \"1MiB\""), args: &["--targets", "native,tmpfs"], expect: &["[targets.tmpfs] size", "cannot hold"] },
        Case { name: "invalid driver_opts", toml: Some(format!("{TINY}\n[targets.volume-opts]\ndriver_opts = {{ type = \"tmpfs\", device = \"tmpfs\", size = \"1g\" }}\n")), args: &[], expect: &["driver_opts", "unknown option \"size\""] },
        Case { name: "unknown seccomp mode", toml: edit("memory = \"512MiB\"", "memory = \"512MiB\"\nseccomp = \"off\""), args: &[], expect: &["w.toml:", "seccomp", "unconfined"] },
        Case { name: "unknown target", toml: Some(TINY.to_string()), args: &["--targets", "native,nfs"], expect: &["unknown target \"nfs\"", "layer, image, volume-from-image"] },
        Case { name: "tmpfs cannot be ro", toml: Some(TINY.to_string()), args: &["--targets", "tmpfs:ro"], expect: &["tmpfs:ro", "read-only"] },
        Case { name: "image cannot be ro", toml: Some(TINY.to_string()), args: &["--targets", "native,image:ro"], expect: &["image:ro", "read-only", "only bind, volume, volume-opts can"] },
        Case { name: "volume-from-image cannot be ro", toml: Some(TINY.to_string()), args: &["--targets", "volume-from-image:ro"], expect: &["volume-from-image:ro", "read-only"] },
        Case { name: "burst out of range", toml: Some(format!("{TINY}\n[[workload]]\nname = \"w\"\nkind = \"watch\"\nburst = 5000\n")), args: &[], expect: &["workload \"w\"", "burst", "must be 1 to 1000"] },
        Case { name: "zero reps", toml: Some(TINY.to_string()), args: &["--reps", "0"], expect: &["--reps", "at least 1"] },
        Case { name: "unknown workload name", toml: Some(TINY.to_string()), args: &["--only", "nope"], expect: &["no workload named \"nope\""] },
        Case { name: "missing workload file", toml: None, args: &[], expect: &["w.toml", "cannot read workload file"] },
        Case { name: "duplicate names", toml: edit("name = \"small\"", "name = \"seq\""), args: &[], expect: &["\"seq\" is used twice"] },
        Case { name: "unwritable out", toml: Some(TINY.to_string()), args: &["--out", "/dev/null/results"], expect: &["--out /dev/null/results", "not a folder"] },
        Case { name: "full-fsync without fsync", toml: edit("name = \"ckpt\"", "name = \"ckpt\"\nfsync = false\nsync = \"full-fsync\""), args: &[], expect: &["workload \"ckpt\"", "sync", "needs fsync = true"] },
        Case { name: "unknown sync", toml: edit("name = \"ckpt\"", "name = \"ckpt\"\nsync = \"barrier\""), args: &[], expect: &["w.toml:", "barrier"] },
    ]
    .into_iter()
    .chain(not_on_a_mac())
    .collect()
}

/// The Mac-only option, refused on any other host.
fn not_on_a_mac() -> Option<Case> {
    (std::env::consts::OS != "macos").then(|| Case {
        name: "full-fsync off a Mac",
        toml: edit("name = \"ckpt\"", "name = \"ckpt\"\nsync = \"full-fsync\""),
        args: &[],
        expect: &[
            "workload \"ckpt\"",
            "field sync",
            "F_FULLFSYNC",
            "leave sync at \"fsync\"",
        ],
    })
}

/// `--drop-caches` needs root (Linux's drop_caches, macOS's purge): without it one line, exit
/// 2, nothing created. As root the command runs as nobody (setpriv), its files readable.
fn drop_caches_without_root_is_refused() -> Ran {
    let tmp = tempfile::tempdir().unwrap();
    let root = rustix::process::geteuid().is_root();
    if root && !Path::new("/usr/bin/setpriv").exists() {
        return Err(Skip("root, and no setpriv to drop to nobody".into()));
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let (out, data) = (tmp.path().join("out"), tmp.path().join("data"));
    let exe = assert_cmd::cargo::cargo_bin("mountbench");
    let mut cmd = if root {
        let mut c = std::process::Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe);
        c
    } else {
        std::process::Command::new(&exe)
    };
    cmd.arg("run")
        .arg("-w")
        .arg(&workload)
        .arg("--data-dir")
        .arg(&data);
    cmd.arg("--out")
        .arg(&out)
        .args(["--targets", "native", "--drop-caches", "--quiet"]);
    let output = cmd.env("HOME", tmp.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("--drop-caches") && lines[0].contains("needs root"),
        "{stderr}"
    );
    assert!(!out.exists() && !data.exists(), "nothing is created");
    Ok(())
}

fn bad_inputs_fail_with_one_clear_line_and_exit_2() {
    let mut tried = 0;
    for case in cases() {
        let tmp = tempfile::tempdir().unwrap();
        let workload = match &case.toml {
            Some(text) => write_workload(tmp.path(), text),
            None => tmp.path().join("w.toml"),
        };
        let out = tmp.path().join("out");
        let data = tmp.path().join("data");
        let mut cmd = mountbench();
        cmd.arg("run")
            .arg("-w")
            .arg(&workload)
            .arg("--data-dir")
            .arg(&data)
            .arg("--quiet");
        if !case.args.contains(&"--out") {
            cmd.arg("--out").arg(&out);
        }
        cmd.args(case.args);
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: exit code; stderr: {stderr}",
            case.name
        );
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "{}: one line expected, got: {stderr}",
            case.name
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        for want in case.expect {
            assert!(
                lines[0].contains(want),
                "{}: {want:?} not in {:?}",
                case.name,
                lines[0]
            );
        }
        assert!(!out.exists(), "{}: --out was created", case.name);
        assert!(!data.exists(), "{}: the data dir was created", case.name);
        tried += 1;
    }
    assert!(tried >= 20);
}

fn run_with_data_dir(tmp: &Path, data: &Path) -> std::process::Output {
    let workload = write_workload(tmp, TINY);
    run_cli(
        &workload,
        data,
        &tmp.join("out"),
        &["--quiet", "--targets", "native"],
    )
}

fn symlinked_or_foreign_data_dirs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = run_with_data_dir(tmp.path(), &link);
    expect_input_error(&out, &["symbolic link"]);
    assert_eq!(
        std::fs::read_dir(&real).unwrap().count(),
        0,
        "nothing written through the link"
    );

    std::fs::write(real.join("thesis.tex"), "mine").unwrap();
    let out = run_with_data_dir(tmp.path(), &real);
    expect_input_error(&out, &["did not create"]);
    assert_eq!(
        std::fs::read_to_string(real.join("thesis.tex")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("out").exists());
}

fn report_refuses_a_folder_that_is_not_a_result_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = report_cli(&[tmp.path()], &tmp.path().join("r"));
    expect_input_error(&out, &["not a mountbench result folder"]);
    assert!(!tmp.path().join("r").exists());
}

fn resume_refuses_what_it_cannot_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let resume = |args: &[&str]| mountbench().arg("run").args(args).output().unwrap();
    let dir = tmp.path().display().to_string();
    expect_input_error(
        &resume(&["--resume", &dir]),
        &[&dir, "not a mountbench result folder"],
    );
    expect_input_error(
        &resume(&["--resume", &dir, "--targets", "native"]),
        &["--resume", "--targets", "cannot be used with"],
    );
    std::fs::write(tmp.path().join("env.json"), "{\"schema\": 1}").unwrap();
    expect_input_error(
        &resume(&["--resume", &dir]),
        &["env.json", "not a mountbench env.json"],
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "nothing created"
    );
}
