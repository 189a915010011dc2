//! Durations as people read them: the unit that keeps the figure between 1 and 1000.

/// `us` microseconds in ns, µs, ms or s with two or three significant digits ("850 ns",
/// "17 µs", "2.9 ms", "1.25 s").
pub(crate) fn duration_us(us: f64) -> String {
    if !us.is_finite() || us < 0.0 {
        return "-".into();
    }
    if us <= 0.001 {
        // Latencies are recorded at 1 ns at least: a look under way as the change ended
        // already found it.
        return "at once".into();
    }
    scaled(us)
}

fn scaled(us: f64) -> String {
    let (value, unit) = match us {
        u if u < 0.9995 => (u * 1000.0, "ns"),
        u if u < 999.5 => (u, "µs"),
        u if u < 999_500.0 => (u / 1000.0, "ms"),
        u => (u / 1e6, "s"),
    };
    let digits = match value {
        v if v >= 99.5 || unit == "ns" => 0,
        v if v >= 9.95 => 1,
        _ => 2,
    };
    format!("{value:.digits$} {unit}")
}

/// An axis tick: as `duration_us`, trailing zeros dropped ("1 ms", "2.5 ms").
pub(crate) fn duration_tick(us: f64) -> String {
    if !us.is_finite() || us < 0.0 {
        return "-".into();
    }
    let text = scaled(us);
    match text.split_once(' ') {
        Some((value, unit)) if value.contains('.') => {
            let value = value.trim_end_matches('0').trim_end_matches('.');
            format!("{value} {unit}")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_their_unit() {
        let cases = [
            (0.001, "at once"),
            (0.002, "2 ns"),
            (0.85, "850 ns"),
            (1.0, "1.00 µs"),
            (17.439, "17.4 µs"),
            (194.303, "194 µs"),
            (999.0, "999 µs"),
            (999.7, "1.00 ms"),
            (2863.103, "2.86 ms"),
            (35_000.0, "35.0 ms"),
            (1_250_000.0, "1.25 s"),
            (f64::NAN, "-"),
        ];
        for (us, want) in cases {
            assert_eq!(duration_us(us), want, "{us}");
        }
        let ticks = [
            (0.001, "1 ns"),
            (1000.0, "1 ms"),
            (2500.0, "2.5 ms"),
            (100.0, "100 µs"),
            (0.01, "10 ns"),
        ];
        for (us, want) in ticks {
            assert_eq!(duration_tick(us), want, "{us}");
        }
    }
}
