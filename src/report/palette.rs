//! One colour per target in every chart; read-only variants a lighter shade of the same hue.

use super::figure::Rgb;

pub(crate) fn target_color(target: &str) -> Rgb {
    let (base, ro) = match target.strip_suffix(":ro") {
        Some(b) => (b, true),
        None => (target, false),
    };
    let c = match base {
        "native" => Rgb(60, 60, 60),
        "bind" => Rgb(31, 119, 180),
        "volume" => Rgb(255, 127, 14),
        "volume-opts" => Rgb(148, 103, 189),
        "tmpfs" => Rgb(44, 160, 44),
        "layer" => Rgb(214, 39, 40),
        _ => Rgb(140, 86, 75),
    };
    if ro {
        let lift = |v: u8| v + (255 - v) / 2;
        Rgb(lift(c.0), lift(c.1), lift(c.2))
    } else {
        c
    }
}

/// Order targets the same way everywhere: native first, then as DESIGN lists them.
pub(crate) fn target_rank(target: &str) -> usize {
    const ORDER: [&str; 6] = ["native", "bind", "volume", "volume-opts", "tmpfs", "layer"];
    let base = target.trim_end_matches(":ro");
    let i = ORDER.iter().position(|t| *t == base).unwrap_or(ORDER.len());
    i * 2 + usize::from(target.ends_with(":ro"))
}

pub(crate) fn sort_targets(targets: &mut [String]) {
    targets.sort_by_key(|t| (target_rank(t), t.clone()));
}
