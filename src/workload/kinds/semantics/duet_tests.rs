//! The two-sided probes played for real on this machine's filesystem: two agents' sides in
//! threads over pipes, as two host processes would (native, the reference).

use std::io::{BufRead, BufReader, PipeReader, PipeWriter, Write};
use std::path::Path;
use std::time::Duration;

use super::acts::{Act, Reply};
use super::sides;
use super::*;
use crate::workload::party::Line;

/// mountbench's end of one side's pipes, the side serving in a thread.
struct PipeLine {
    to: PipeWriter,
    from: BufReader<PipeReader>,
    side: Option<std::thread::JoinHandle<Result<()>>>,
}

impl PipeLine {
    fn serve(base: &Path) -> PipeLine {
        let (orders, to) = std::io::pipe().unwrap();
        let (from, replies) = std::io::pipe().unwrap();
        let base = base.to_path_buf();
        let side = std::thread::spawn(move || {
            let mut input = BufReader::new(orders);
            let mut output = replies;
            sides::serve(&base, &mut input, &mut output)
        });
        PipeLine {
            to,
            from: BufReader::new(from),
            side: Some(side),
        }
    }

    fn ended(mut self) -> Result<()> {
        self.side.take().unwrap().join().unwrap()
    }
}

impl Line for PipeLine {
    fn send_line(&mut self, line: &str) -> Result<()> {
        writeln!(self.to, "{line}").map_err(|e| crate::error::Error::Agent(e.to_string()))
    }

    fn recv_line(&mut self, _within: Duration) -> Result<String> {
        let mut line = String::new();
        self.from.read_line(&mut line).unwrap();
        Ok(line.trim_end().to_string())
    }
}

fn two_sided() -> Vec<Probe> {
    Probe::ALL.into_iter().filter(|p| p.two_sided()).collect()
}

#[test]
fn two_host_processes_agree_on_every_two_sided_probe() {
    let root = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    let base = root.path().join("rep");
    std::fs::create_dir(&base).unwrap();
    let mut here = PipeLine::serve(&base);
    let mut there = PipeLine::serve(&base);
    let seen = two_sided::conduct(&Probe::ALL, &mut here, Ok(&mut there)).unwrap();
    here.ended().unwrap();
    there.ended().unwrap();
    let probes: Vec<Probe> = seen.iter().map(|o| o.probe).collect();
    assert_eq!(probes, two_sided());
    let facts = |p: Probe| {
        let o = seen.iter().find(|o| o.probe == p).unwrap();
        match &o.outcome {
            Outcome::Saw { facts, .. } => facts.clone(),
            other => panic!("{p:?}: {other:?}"),
        }
    };
    let exclusive = "exclusive: the other side was refused, then got it once released";
    assert_eq!(facts(Probe::Flock), exclusive);
    // POSIX record locks belong to a process: two sides in threads of one share them (two
    // processes, as in a run, exclude each other; tests/semantics.rs shows it).
    assert_eq!(
        facts(Probe::Fcntl),
        "not exclusive: both sides held the lock at once"
    );
    assert_eq!(
        facts(Probe::MmapShared),
        "a write through the map seen by the other side"
    );
    assert_eq!(
        facts(Probe::Phantom),
        "gone to lstat and readdir at the first look"
    );
    assert_eq!(
        facts(Probe::UnlinkHeld),
        "after the unlink the open file still reads the old content; nothing left in the folder"
    );
    assert_eq!(
        facts(Probe::RenameHeld),
        "after the rename the open file still reads the old content; a new open reads the \
         new; nothing left in the folder"
    );
    assert_eq!(
        facts(Probe::Owner),
        "the other side sees the writer's owner; chmod 0640 seen"
    );
    let chown = seen.iter().find(|o| o.probe == Probe::Chown).unwrap();
    match rustix::process::geteuid().is_root() {
        true => assert_eq!(facts(Probe::Chown), "the chown holds, seen across"),
        false => assert!(matches!(chown.outcome, Outcome::Skipped { .. })),
    }
    // Every probe's folder is gone, and the rep's with them.
    assert!(!base.exists());
}

#[test]
fn without_a_second_side_the_two_sided_probes_are_skipped_with_the_reason() {
    let root = tempfile::tempdir().unwrap();
    let mut here = PipeLine::serve(root.path());
    let why = "tmpfs storage belongs to one container".to_string();
    let seen = two_sided::conduct(&[Probe::Case, Probe::Flock], &mut here, Err(why)).unwrap();
    here.ended().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].outcome,
        Outcome::Skipped {
            note: "no second side: tmpfs storage belongs to one container".into()
        }
    );
}

#[test]
fn a_side_refuses_with_the_errno_and_breaks_on_nonsense() {
    let root = tempfile::tempdir().unwrap();
    let mut side = PipeLine::serve(root.path());
    let mut ask = |act: &Act| {
        side.send_line(&serde_json::to_string(act).unwrap())
            .unwrap();
        serde_json::from_str::<Reply>(&side.recv_line(Duration::ZERO).unwrap()).unwrap()
    };
    let unlink = Act::Unlink {
        name: "nothing".into(),
    };
    assert!(
        matches!(ask(&unlink), Reply::Refused { ref errno, .. } if errno.starts_with("ENOENT")),
    );
    let read = Act::ReadHeld {
        name: "never-held".into(),
    };
    assert_eq!(
        ask(&read),
        Reply::Broke {
            message: "never-held is not held".into()
        }
    );
    assert!(side.ended().is_err());
}
