//! Checks of a workload's fields: every failure names the file, the workload and the field.

use crate::error::{Error, Result};
use crate::size::ByteSize;

/// Where a workload's checks report, and the common fields its kind's checks may need.
pub(crate) struct Check<'a> {
    pub file: &'a str,
    /// 0-based position of the `[[workload]]` table in the file.
    pub index: usize,
    pub name: &'a str,
    pub threads: u32,
}

impl Check<'_> {
    /// `file: workload "name" (#n) field field`.
    pub(crate) fn place(&self, field: &str) -> String {
        format!(
            "{}: workload \"{}\" (#{}) field {field}",
            self.file,
            self.name,
            self.index + 1
        )
    }

    pub(crate) fn error(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::input(self.place(field), reason)
    }

    pub(crate) fn positive(&self, field: &str, value: u64) -> Result<()> {
        if value == 0 {
            Err(self.error(field, "must be greater than 0"))
        } else {
            Ok(())
        }
    }

    /// Kinds that run one stream refuse more threads, saying why.
    pub(crate) fn one_thread(&self, why: &str) -> Result<()> {
        if self.threads == 1 {
            Ok(())
        } else {
            Err(self.error("threads", format!("{why}; threads must be 1")))
        }
    }

    /// A read or write buffer: more than 0 bytes, at most 1GiB.
    pub(crate) fn buffer(&self, field: &str, size: ByteSize) -> Result<()> {
        self.positive(field, size.0)?;
        if size.0 > 1 << 30 {
            return Err(self.error(field, "must be at most 1GiB"));
        }
        Ok(())
    }
}
