//! One colour per target in every chart; read-only variants a lighter shade of the same hue.

use plotters::style::RGBColor;

pub fn target_color(target: &str) -> RGBColor {
    let (base, ro) = match target.strip_suffix(":ro") {
        Some(b) => (b, true),
        None => (target, false),
    };
    let c = match base {
        "native" => RGBColor(60, 60, 60),
        "bind" => RGBColor(31, 119, 180),
        "volume" => RGBColor(255, 127, 14),
        "volume-opts" => RGBColor(148, 103, 189),
        "tmpfs" => RGBColor(44, 160, 44),
        "layer" => RGBColor(214, 39, 40),
        _ => RGBColor(140, 86, 75),
    };
    if ro {
        let lift = |v: u8| v + (255 - v) / 2;
        RGBColor(lift(c.0), lift(c.1), lift(c.2))
    } else {
        c
    }
}

/// Order targets the same way everywhere: native first, then as DESIGN lists them.
pub fn target_rank(target: &str) -> usize {
    const ORDER: [&str; 6] = ["native", "bind", "volume", "volume-opts", "tmpfs", "layer"];
    let base = target.trim_end_matches(":ro");
    let i = ORDER.iter().position(|t| *t == base).unwrap_or(ORDER.len());
    i * 2 + usize::from(target.ends_with(":ro"))
}

pub fn sort_targets(targets: &mut [String]) {
    targets.sort_by_key(|t| (target_rank(t), t.clone()));
}
