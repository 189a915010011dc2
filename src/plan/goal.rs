//! The plan's precision goal: how many measured reps a cell may run at most when rounds are
//! added until its ratio CI is tight (`[run] target_ci`, `max_reps`).

use super::{Overrides, WorkloadFile};
use crate::error::{Error, Result};

/// Most measured reps per cell: the override's, the file's, else 3 × reps with a CI target
/// and `reps` without; never fewer than `reps`.
pub(super) fn max_reps(file: &WorkloadFile, o: &Overrides, reps: u32, target: bool) -> Result<u32> {
    let default = if target { reps.saturating_mul(3) } else { reps };
    let max = o.max_reps.or(file.run.max_reps).unwrap_or(default);
    if max < reps {
        return Err(Error::input(
            "--max-reps",
            format!("{max} is fewer than the {reps} reps every cell runs"),
        ));
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn max_reps_defaults_to_three_times_reps_with_a_target_and_is_never_below_reps() {
        let file = |run: &str| {
            let text = format!("[run]\nreps = 4\n{run}\n[[workload]]\nkind = \"seq-read\"\n");
            WorkloadFile::parse(Path::new("t.toml"), &text).unwrap()
        };
        let none = Overrides::default();
        assert_eq!(max_reps(&file(""), &none, 4, false).unwrap(), 4);
        assert_eq!(max_reps(&file(""), &none, 4, true).unwrap(), 12);
        assert_eq!(max_reps(&file("max_reps = 9"), &none, 4, true).unwrap(), 9);
        let cli = Overrides {
            max_reps: Some(6),
            ..Default::default()
        };
        assert_eq!(max_reps(&file("max_reps = 9"), &cli, 4, true).unwrap(), 6);
        let err = max_reps(&file("max_reps = 3"), &none, 4, true).unwrap_err();
        assert!(err.to_string().contains("fewer than the 4 reps"), "{err}");
    }
}
