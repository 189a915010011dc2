//! What a probe saw on one side, and the verdict against what native saw on the same host.
//!
//! A probe's `facts` are the comparable part: words that hold on every healthy run of the
//! same filesystem ("two files", "hole found"). Figures that vary from run to run (offsets,
//! allocated bytes, a latency) go in `detail`, shown as evidence but never compared.

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};

/// One probe's answer on one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The probe ran to its end; `facts` say what it found.
    Saw { facts: String, detail: String },
    /// A step the probe cannot go on without failed with `errno`.
    Failed { step: String, errno: String },
    /// The place cannot hold the probe, and why.
    Skipped { note: String },
}

impl Outcome {
    pub fn saw(facts: impl Into<String>, detail: impl Into<String>) -> Outcome {
        Outcome::Saw {
            facts: facts.into(),
            detail: detail.into(),
        }
    }

    pub fn failed(step: &str, e: &io::Error) -> Outcome {
        Outcome::Failed {
            step: step.to_string(),
            errno: errno_name(e),
        }
    }

    /// What this side saw, in one line.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Saw { facts, detail } if detail.is_empty() => facts.clone(),
            Outcome::Saw { facts, detail } => format!("{facts} ({detail})"),
            Outcome::Failed { step, errno } => format!("{step}: {errno}"),
            Outcome::Skipped { note } => note.clone(),
        }
    }
}

/// How a place's answer compares with native's on the same host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    AsNative,
    Differs,
    Fails,
    Skipped,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::AsNative,
        Verdict::Differs,
        Verdict::Fails,
        Verdict::Skipped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::AsNative => "as-native",
            Verdict::Differs => "differs",
            Verdict::Fails => "fails",
            Verdict::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The verdict on `here` against `native` (None: no native answer in the run), and its
/// evidence in a reader's words.
pub fn judge(native: Option<&Outcome>, here: &Outcome) -> (Verdict, String) {
    let Some(native) = native else {
        return (
            Verdict::Skipped,
            format!("no native answer to judge by; here: {}", here.describe()),
        );
    };
    match (native, here) {
        (_, Outcome::Skipped { note }) => (Verdict::Skipped, note.clone()),
        (Outcome::Saw { facts: a, .. }, Outcome::Saw { facts: b, .. }) if a == b => {
            (Verdict::AsNative, here.describe())
        }
        (Outcome::Failed { .. }, Outcome::Failed { .. }) if native == here => {
            (Verdict::AsNative, here.describe())
        }
        (Outcome::Saw { .. }, Outcome::Failed { .. }) => (
            Verdict::Fails,
            format!("{} (native: {})", here.describe(), native.describe()),
        ),
        _ => (
            Verdict::Differs,
            format!("{} (native: {})", here.describe(), native.describe()),
        ),
    }
}

/// `EOPNOTSUPP (95)`: the errno's C name where it is one a probe meets, and its number.
pub fn errno_name(e: &io::Error) -> String {
    let Some(n) = e.raw_os_error() else {
        return e.to_string();
    };
    let names = [
        (libc::EPERM, "EPERM"),
        (libc::ENOENT, "ENOENT"),
        (libc::EIO, "EIO"),
        (libc::EAGAIN, "EAGAIN"),
        (libc::ENXIO, "ENXIO"),
        (libc::EACCES, "EACCES"),
        (libc::EBUSY, "EBUSY"),
        (libc::EEXIST, "EEXIST"),
        (libc::EXDEV, "EXDEV"),
        (libc::ENODEV, "ENODEV"),
        (libc::EINVAL, "EINVAL"),
        (libc::EFBIG, "EFBIG"),
        (libc::ENOSPC, "ENOSPC"),
        (libc::EROFS, "EROFS"),
        (libc::EMLINK, "EMLINK"),
        (libc::ENAMETOOLONG, "ENAMETOOLONG"),
        (libc::ENOSYS, "ENOSYS"),
        (libc::ENOTEMPTY, "ENOTEMPTY"),
        (libc::ELOOP, "ELOOP"),
        (libc::ENODATA, "ENODATA"),
        (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        (libc::ENOTSUP, "ENOTSUP"),
        (libc::ESTALE, "ESTALE"),
        (libc::E2BIG, "E2BIG"),
        (libc::ERANGE, "ERANGE"),
    ];
    match names.iter().find(|(code, _)| *code == n) {
        Some((_, name)) => format!("{name} ({n})"),
        None => format!("errno {n}"),
    }
}
