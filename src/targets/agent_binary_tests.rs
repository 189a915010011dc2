use super::*;
use crate::targets::elf::tests::fake_elf;

const X86: u16 = 62;
const ARM: u16 = 183;

fn binary(path: &str, arch: Arch, origin: Origin) -> AgentBinary {
    AgentBinary {
        path: PathBuf::from(path),
        arch,
        linkage: Linkage::Static,
        origin,
    }
}

fn engine(linux: bool, arch: Option<Arch>, runs_host_binaries: bool) -> EngineKind {
    EngineKind {
        linux,
        arch,
        runs_host_binaries,
    }
}

fn binaries(given: Vec<AgentBinary>, cross_built: Vec<AgentBinary>) -> AgentBinaries {
    AgentBinaries {
        host: PathBuf::from("/host/mountbench"),
        given,
        cross_built,
        cross_dir: Some(PathBuf::from("/repo/target/agent")),
    }
}

#[test]
fn judges_what_can_be_an_agent() {
    let x86 = Some(Arch::X86_64);
    let p = Path::new("/a/mountbench");
    let ok = |arch, linkage| {
        Ok::<_, String>(AgentBinary {
            path: p.to_path_buf(),
            arch,
            linkage,
            origin: Origin::Flag,
        })
    };
    let loader = |s: &str| Linkage::Dynamic {
        interpreter: PathBuf::from(s),
    };
    let cases: Vec<(Vec<u8>, Result<AgentBinary, String>)> = vec![
        (fake_elf(ARM, None), ok(Arch::Aarch64, Linkage::Static)),
        (fake_elf(X86, None), ok(Arch::X86_64, Linkage::Static)),
        // Of the host's architecture, a dynamic binary is fine: it can name its libraries.
        (fake_elf(X86, Some("/lib64/ld.so")), ok(Arch::X86_64, loader("/lib64/ld.so"))),
        (
            fake_elf(ARM, Some("/lib/ld-linux-aarch64.so.1")),
            Err("/a/mountbench is a dynamically linked aarch64 binary: for an engine that is not this host's architecture the agent must be static (a foreign binary cannot run here to name its libraries); build one with scripts/agent/cross.sh aarch64".into()),
        ),
        (
            b"#!/bin/sh\n".to_vec(),
            Err("/a/mountbench: not an ELF executable (a Linux binary is needed)".into()),
        ),
        (
            fake_elf(40, None),
            Err("/a/mountbench: an ELF for CPU 0x28 (machine number), not x86_64 or aarch64".into()),
        ),
    ];
    for (bytes, want) in cases {
        let got = judge(p, Origin::Flag, &bytes, x86).map_err(|e| e.to_string());
        assert_eq!(got, want);
    }
}

#[test]
fn chooses_a_binary_per_engine() {
    let arm_given = binary("/given/arm", Arch::Aarch64, Origin::Flag);
    let x86_given = binary("/given/x86", Arch::X86_64, Origin::Env);
    let arm_cross = binary(
        "/repo/target/agent/aarch64/mountbench",
        Arch::Aarch64,
        Origin::CrossBuilt,
    );
    let pack = |p: &str| AgentChoice::Pack(PathBuf::from(p));
    let linux_x86_here = engine(true, Some(Arch::X86_64), true);
    let linux_arm = engine(true, Some(Arch::Aarch64), false);
    let linux_x86_other_host = engine(true, Some(Arch::X86_64), false);
    let windows = engine(false, Some(Arch::X86_64), false);
    let cases = [
        // (given, cross-built, engine, choice)
        (vec![], vec![], linux_x86_here, pack("/host/mountbench")),
        (vec![arm_given.clone()], vec![], linux_x86_here, pack("/host/mountbench")),
        (vec![x86_given.clone()], vec![], linux_x86_here, pack("/given/x86")),
        (vec![arm_given.clone()], vec![arm_cross.clone()], linux_arm, pack("/given/arm")),
        (vec![x86_given.clone()], vec![arm_cross.clone()], linux_arm, pack("/repo/target/agent/aarch64/mountbench")),
        (vec![], vec![arm_cross.clone()], linux_x86_other_host, AgentChoice::Build {
            why: "no static Linux x86_64 agent binary: give one with --agent-binary PATH (or MOUNTBENCH_AGENT_BINARY=PATH), or build one with `scripts/agent/cross.sh x86_64` (it writes /repo/target/agent/x86_64/mountbench)".into(),
        }),
        (vec![x86_given.clone()], vec![], windows, AgentChoice::Build {
            why: "this engine is not a Linux engine of x86_64 or aarch64".into(),
        }),
        (vec![], vec![], engine(true, None, false), AgentChoice::Build {
            why: "this engine is not a Linux engine of x86_64 or aarch64".into(),
        }),
    ];
    for (i, (given, cross, kind, want)) in cases.into_iter().enumerate() {
        assert_eq!(binaries(given, cross).choose(kind), want, "case {i}");
    }
}

#[test]
fn a_given_binary_must_fit_an_engine() {
    let arm = binary("/given/arm", Arch::Aarch64, Origin::Flag);
    let x86_cross = binary(
        "/t/agent/x86_64/mountbench",
        Arch::X86_64,
        Origin::CrossBuilt,
    );
    let here = ("here".to_string(), engine(true, Some(Arch::X86_64), true));
    let mac = ("mac".to_string(), engine(true, Some(Arch::Aarch64), false));
    let win = ("win".to_string(), engine(false, Some(Arch::Aarch64), false));
    let check = |given: Vec<AgentBinary>, engines: Vec<(String, EngineKind)>| {
        binaries(given, vec![x86_cross.clone()])
            .check_engines(&engines)
            .map_err(|e| Error::from(e).to_string())
    };
    assert!(check(vec![arm.clone()], vec![here.clone(), mac]).is_ok());
    assert!(
        check(vec![arm.clone()], vec![]).is_ok(),
        "native only: no engine to fit"
    );
    assert!(
        check(vec![], vec![here.clone()]).is_ok(),
        "cross-built ones are only offered"
    );
    assert_eq!(
        check(vec![arm], vec![here, win]),
        Err("--agent-binary: /given/arm is aarch64, but no engine of this run is (here: linux/x86_64, win: not Linux)".to_string())
    );
}

#[test]
fn loads_given_and_cross_built_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, bytes: &[u8]| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let arm = write("given/arm", &fake_elf(ARM, None));
    write("agent/aarch64/mountbench", &fake_elf(ARM, None));
    let host = PathBuf::from("/host/mountbench");
    let cross = Some(dir.path().join("agent"));
    let env = std::env::join_paths([&arm]).unwrap();

    let loaded = AgentBinaries::load(host.clone(), &[], Some(&env), cross.clone()).unwrap();
    assert_eq!(loaded.given.len(), 1);
    assert_eq!(loaded.given[0].origin, Origin::Env);
    assert_eq!(loaded.cross_built.len(), 1);
    assert_eq!(loaded.cross_built[0].arch, Arch::Aarch64);

    let missing = dir.path().join("nope");
    let err =
        AgentBinaries::load(host.clone(), std::slice::from_ref(&missing), None, None).unwrap_err();
    let line = Error::from(err).to_string();
    assert!(
        line.starts_with(&format!(
            "--agent-binary: {}: cannot read it",
            missing.display()
        )),
        "{line}"
    );

    write("agent/x86_64/mountbench", &fake_elf(ARM, None));
    let err = AgentBinaries::load(host, &[], None, cross).unwrap_err();
    assert!(
        matches!(
            err,
            AgentBinaryError::WrongFolder {
                folder: Arch::X86_64,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn cross_dir_is_beside_the_profile_folder() {
    assert_eq!(
        AgentBinaries::cross_dir_of(Path::new("/w/target/release/mountbench")),
        Some(PathBuf::from("/w/target/agent"))
    );
}
