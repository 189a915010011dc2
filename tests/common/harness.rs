//! The test harness (libtest-mimic): a test returns `()` or [`Ran`]; a [`Skip`] is reported
//! as ignored with its reason, never as passed.

use std::process::ExitCode;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use libtest_mimic::{Arguments, Completion, Trial};

/// Why a test could not run on this machine.
#[derive(Debug)]
pub struct Skip(pub String);

/// What a test that may not run here returns.
pub type Ran = Result<(), Skip>;

/// A missing engine or privilege: a skip, or a failure when `require` (a
/// `MOUNTBENCH_REQUIRE_*` variable) is 1, as CI sets it.
pub fn missing(require: &str, why: impl Into<String>) -> Skip {
    let why = why.into();
    if std::env::var(require).as_deref() == Ok("1") {
        panic!("{require}=1 but {why}");
    }
    Skip(why)
}

/// What a test function returns: nothing (it ran) or a [`Ran`].
pub trait Outcome {
    fn ran(self) -> Ran;
}

impl Outcome for () {
    fn ran(self) -> Ran {
        Ok(())
    }
}

impl Outcome for Ran {
    fn ran(self) -> Ran {
        self
    }
}

/// The test `name` of `module` (its area), named `area::name`.
pub fn test<R: Outcome + 'static>(module: &'static str, name: &str, test: fn() -> R) -> Trial {
    let area = module.rsplit("::").next().unwrap_or(module);
    Trial::ignorable_test(format!("{area}::{name}"), move || {
        let _turn = AREAS.enter(area);
        match test().ran() {
            Ok(()) => Ok(Completion::Completed),
            Err(Skip(why)) => Ok(Completion::ignored_with(why)),
        }
    })
}

/// Runs the tests as `cargo test` asked (filters, --list, --test-threads).
pub fn run(trials: Vec<Trial>) -> ExitCode {
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}

/// The areas were test binaries run one after another; they still never overlap (some clean
/// the engine's labelled objects or fill a disk), while tests of one area run in parallel.
static AREAS: Areas = Areas {
    now: Mutex::new(("", 0)),
    changed: Condvar::new(),
};

struct Areas {
    /// The area running and how many of its tests are.
    now: Mutex<(&'static str, usize)>,
    changed: Condvar,
}

struct Turn(&'static Areas);

impl Areas {
    fn lock(&self) -> MutexGuard<'_, (&'static str, usize)> {
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&'static self, area: &'static str) -> Turn {
        let mut now = self.lock();
        while now.1 > 0 && now.0 != area {
            now = self
                .changed
                .wait(now)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *now = (area, now.1 + 1);
        Turn(self)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut now = self.0.lock();
        now.1 -= 1;
        if now.1 == 0 {
            self.0.changed.notify_all();
        }
    }
}
