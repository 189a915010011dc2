//! The integration tests, one binary (ripgrep's layout): a module an area, helpers in
//! `common`. `cargo test --test tests AREA` runs one area. A test that needs an engine or a
//! privilege this machine lacks is reported as ignored, with the reason; with
//! `MOUNTBENCH_REQUIRE_<ENGINE>=1` a missing engine fails it instead.

use std::process::ExitCode;

/// `trials!(a, b)`: the module's `trials()`, its tests named `module::a`, `module::b`. A test
/// function left out of the list is dead code, which clippy's `-D warnings` refuses.
macro_rules! trials {
    ($($test:ident),+ $(,)?) => {
        pub fn trials() -> Vec<libtest_mimic::Trial> {
            vec![$(crate::common::harness::test(module_path!(), stringify!($test), $test)),+]
        }
    };
}

mod common;

mod architecture;
mod arm64_engine;
mod bad_input;
mod boundary;
mod calibration;
mod charts;
mod disk;
mod docker;
mod durability;
mod engines;
mod faults;
mod image_targets;
mod ml_workloads;
mod native_run;
mod parsers_prop;
mod podman;
mod report;
mod scripts;
mod semantics;
mod swarm;
mod vm_engine;

fn main() -> ExitCode {
    let areas = [
        architecture::trials(),
        arm64_engine::trials(),
        bad_input::trials(),
        boundary::trials(),
        calibration::trials(),
        charts::trials(),
        disk::trials(),
        docker::trials(),
        durability::trials(),
        engines::trials(),
        faults::trials(),
        image_targets::trials(),
        ml_workloads::trials(),
        native_run::trials(),
        parsers_prop::trials(),
        podman::trials(),
        report::trials(),
        scripts::trials(),
        semantics::trials(),
        swarm::trials(),
        vm_engine::trials(),
    ];
    common::harness::run(areas.into_iter().flatten().collect())
}
