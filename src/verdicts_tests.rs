use std::io;

use super::*;

fn meta(host: &str) -> RunMeta {
    RunMeta {
        run_id: "r1".into(),
        host: host.into(),
        os: "Linux".into(),
        engine_labels: [("default".to_string(), "native Linux 20.10".to_string())].into(),
    }
}

fn row(host: &str, engine: &str, target: &str, probe: Probe, outcome: Outcome) -> ProbeRow {
    let meta = meta(host);
    let at = RowPlace {
        meta: &meta,
        engine,
        workload: "semantics",
        target,
        rep: 0,
    };
    ProbeRow::of(
        &at,
        &Observation {
            probe,
            outcome,
            micros: 12.5,
        },
    )
}

fn rows() -> Vec<ProbeRow> {
    let enotsup = io::Error::from_raw_os_error(libc::EOPNOTSUPP);
    vec![
        row("a", "", "native", Probe::Case, Outcome::saw("2 files", "")),
        row(
            "a",
            "default",
            "bind",
            Probe::Case,
            Outcome::saw("1 file", ""),
        ),
        row("a", "", "native", Probe::Xattr, Outcome::saw("ok", "")),
        row(
            "a",
            "default",
            "tmpfs",
            Probe::Xattr,
            Outcome::failed("setxattr", &enotsup),
        ),
        row(
            "b",
            "default",
            "bind",
            Probe::Case,
            Outcome::saw("2 files", ""),
        ),
    ]
}

#[test]
fn each_row_is_judged_against_native_on_its_own_host() {
    let judged = judged(&rows());
    let verdicts: Vec<(String, Option<Verdict>)> = judged
        .iter()
        .map(|r| {
            (
                format!("{}/{}/{}", r.host, r.place(), r.probe.name()),
                r.verdict,
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("a/native/case".into(), Some(Verdict::AsNative)),
            ("a/bind/case".into(), Some(Verdict::Differs)),
            ("a/native/xattr".into(), Some(Verdict::AsNative)),
            ("a/tmpfs/xattr".into(), Some(Verdict::Fails)),
            ("b/bind/case".into(), Some(Verdict::Skipped)),
        ]
    );
    assert_eq!(judged[1].evidence, "1 file (native: 2 files)");
    assert!(judged[3].evidence.starts_with("setxattr: EOPNOTSUPP"));
    assert!(judged[4].evidence.starts_with("no native answer"));
    assert_eq!(judged[1].engine_label, "native Linux 20.10");
}

#[test]
fn semantics_csv_reads_back_as_written_judged() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = to_csv(&rows()).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with(
        "schema,run_id,host,os,engine,engine_label,workload,target,rep,probe,verdict,evidence,"
    ));
    std::fs::write(dir.path().join(FILE), bytes).unwrap();
    let back = load(dir.path()).unwrap();
    assert_eq!(back, judged(&rows()));
    assert_eq!(judged(&back), back, "judging again changes nothing");
    for r in &back {
        assert_eq!(
            r.outcome(),
            rows()
                .iter()
                .find(|o| o.place() == r.place() && o.host == r.host && o.probe == r.probe)
                .unwrap()
                .outcome()
        );
    }
}

#[test]
fn a_folder_without_semantics_has_no_rows_and_a_bad_row_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load(dir.path()).unwrap().is_empty());
    let mut text = String::from_utf8(to_csv(&rows()).unwrap()).unwrap();
    text.push_str("2,r1,a,Linux,,none,semantics,native,0,flock,,,saw,,,,,1\n");
    std::fs::write(dir.path().join(FILE), text).unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("semantics.csv:7: not a semantics.csv row"),
        "{err}"
    );
}
