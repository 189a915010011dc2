//! What an agent binary's ELF header says: its CPU architecture and whether it is linked
//! statically (no PT_INTERP) or asks for a dynamic loader. Read from the bytes, never by
//! running the binary: a binary for another architecture cannot run here.

use std::fmt;
use std::path::PathBuf;

/// The CPU architectures a Linux engine runs that mountbench can pack an agent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The Linux/Rust name, also the folder name under `target/agent/`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// From an engine's or Rust's name (`x86_64`, `amd64`, `aarch64`, `arm64`).
    pub(crate) fn parse(name: &str) -> Option<Arch> {
        match name {
            "x86_64" | "amd64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    fn from_machine(e_machine: u16) -> Option<Arch> {
        match e_machine {
            62 => Some(Arch::X86_64),
            183 => Some(Arch::Aarch64),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a binary finds its libraries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linkage {
    /// No dynamic loader (static, or static-pie): the binary alone is the whole agent.
    Static,
    /// Loaded by this interpreter (PT_INTERP), with the shared libraries it names.
    Dynamic { interpreter: PathBuf },
}

/// The facts of an ELF executable that decide where it can be the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfFacts {
    pub(crate) arch: Arch,
    pub(crate) linkage: Linkage,
}

/// Why bytes are not an agent binary mountbench can pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF executable (a Linux binary is needed)")]
    NotElf,
    #[error("a 32-bit or big-endian ELF (a 64-bit little-endian Linux binary is needed)")]
    NotElf64Le,
    #[error("an ELF for CPU {0:#x} (machine number), not x86_64 or aarch64")]
    UnknownMachine(u16),
    #[error("a truncated ELF (its program headers lie past its end)")]
    Truncated,
}

const PT_INTERP: u32 = 3;

/// Reads the architecture and linkage of a 64-bit little-endian ELF.
pub fn read(elf: &[u8]) -> Result<ElfFacts, ElfError> {
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(ElfError::NotElf);
    }
    if elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return Err(ElfError::NotElf64Le);
    }
    let machine = u16_at(elf, 0x12).ok_or(ElfError::Truncated)?;
    let arch = Arch::from_machine(machine).ok_or(ElfError::UnknownMachine(machine))?;
    let linkage = match interpreter(elf)? {
        Some(interpreter) => Linkage::Dynamic { interpreter },
        None => Linkage::Static,
    };
    Ok(ElfFacts { arch, linkage })
}

/// The dynamic loader a 64-bit little-endian ELF asks for (its PT_INTERP), if any.
pub(crate) fn interpreter(elf: &[u8]) -> Result<Option<PathBuf>, ElfError> {
    let t = ElfError::Truncated;
    let phoff = u64_at(elf, 0x20).ok_or(t.clone())? as usize;
    let phentsize = u16_at(elf, 0x36).ok_or(t.clone())? as usize;
    let phnum = u16_at(elf, 0x38).ok_or(t.clone())? as usize;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(elf, ph).ok_or(t.clone())? != PT_INTERP {
            continue;
        }
        let offset = u64_at(elf, ph + 0x08).ok_or(t.clone())? as usize;
        let size = u64_at(elf, ph + 0x20).ok_or(t.clone())? as usize;
        let raw = elf.get(offset..offset.saturating_add(size)).ok_or(t)?;
        let text = raw.split(|b| *b == 0).next().unwrap_or_default();
        return Ok(Some(PathBuf::from(String::from_utf8_lossy(text).as_ref())));
    }
    Ok(None)
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ELF64 LE header with one program header: PT_INTERP naming `interp` when
    /// given, else a PT_LOAD.
    pub(crate) fn fake_elf(machine: u16, interp: Option<&str>) -> Vec<u8> {
        let mut b = vec![0u8; 0x40 + 0x38];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // 64-bit
        b[5] = 1; // little-endian
        b[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        b[0x20..0x28].copy_from_slice(&0x40u64.to_le_bytes()); // e_phoff
        b[0x36..0x38].copy_from_slice(&0x38u16.to_le_bytes()); // e_phentsize
        b[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let ph = 0x40;
        match interp {
            Some(path) => {
                let offset = b.len() as u64;
                b[ph..ph + 4].copy_from_slice(&PT_INTERP.to_le_bytes());
                b[ph + 8..ph + 16].copy_from_slice(&offset.to_le_bytes());
                let size = path.len() as u64 + 1;
                b[ph + 0x20..ph + 0x28].copy_from_slice(&size.to_le_bytes());
                b.extend_from_slice(path.as_bytes());
                b.push(0);
            }
            None => b[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()),
        }
        b
    }

    #[test]
    fn reads_architecture_and_linkage() {
        let dynamic = |p: &str| Linkage::Dynamic {
            interpreter: PathBuf::from(p),
        };
        let cases: Vec<(Vec<u8>, Result<ElfFacts, ElfError>)> = vec![
            (
                fake_elf(62, Some("/lib64/ld-linux-x86-64.so.2")),
                Ok(ElfFacts {
                    arch: Arch::X86_64,
                    linkage: dynamic("/lib64/ld-linux-x86-64.so.2"),
                }),
            ),
            (
                fake_elf(183, None),
                Ok(ElfFacts {
                    arch: Arch::Aarch64,
                    linkage: Linkage::Static,
                }),
            ),
            (
                fake_elf(183, Some("/lib/ld-linux-aarch64.so.1")),
                Ok(ElfFacts {
                    arch: Arch::Aarch64,
                    linkage: dynamic("/lib/ld-linux-aarch64.so.1"),
                }),
            ),
            (fake_elf(40, None), Err(ElfError::UnknownMachine(40))),
            (b"#!/bin/sh\necho hi\n".to_vec(), Err(ElfError::NotElf)),
            (b"\xcf\xfa\xed\xfe Mach-O".to_vec(), Err(ElfError::NotElf)),
            (b"".to_vec(), Err(ElfError::NotElf)),
            (b"\x7fELF\x01\x01".to_vec(), Err(ElfError::NotElf64Le)),
            (
                fake_elf(183, None)[..0x30].to_vec(),
                Err(ElfError::Truncated),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(read(&bytes), want, "{:?}", &bytes[..bytes.len().min(8)]);
        }
    }

    #[test]
    fn reads_our_own_binary() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let facts = read(&exe).unwrap();
        assert_eq!(Some(facts.arch), Arch::parse(std::env::consts::ARCH));
        match facts.linkage {
            Linkage::Dynamic { interpreter } => {
                assert!(
                    interpreter.to_string_lossy().contains("ld-"),
                    "{interpreter:?}"
                )
            }
            Linkage::Static => panic!("test binaries are dynamically linked"),
        }
    }

    #[test]
    fn arch_names() {
        for (name, arch) in [
            ("x86_64", Some(Arch::X86_64)),
            ("amd64", Some(Arch::X86_64)),
            ("aarch64", Some(Arch::Aarch64)),
            ("arm64", Some(Arch::Aarch64)),
            ("riscv64", None),
        ] {
            assert_eq!(Arch::parse(name), arch, "{name}");
        }
    }
}
