//! One colour per target in every chart; read-only variants a lighter shade of the same hue,
//! the same target on another engine (`bind@vm`) a darker one.

use super::figure::Rgb;

/// A place's target and engine: `bind@vm` is (`bind`, `vm`), `bind` is (`bind`, ``).
fn split(place: &str) -> (&str, &str) {
    place.split_once('@').unwrap_or((place, ""))
}

/// How a named engine's bars differ from the default engine's: darker or lighter by a
/// step picked per engine name, the same in every chart (negative darkens, positive lifts
/// towards white).
fn engine_shade(engine: &str) -> f64 {
    const SHADES: [f64; 4] = [-0.5, 0.5, -0.25, 0.72];
    if engine.is_empty() {
        return 0.0;
    }
    SHADES[(xxhash_rust::xxh3::xxh3_64(engine.as_bytes()) % SHADES.len() as u64) as usize]
}

pub(crate) fn target_color(place: &str) -> Rgb {
    let (target, engine) = split(place);
    let c = base_color(target);
    let shade = engine_shade(engine);
    let step = |v: u8| {
        let v = f64::from(v);
        let moved = if shade < 0.0 {
            v * (1.0 + shade)
        } else {
            v + (255.0 - v) * shade
        };
        moved.round().clamp(0.0, 255.0) as u8
    };
    Rgb(step(c.0), step(c.1), step(c.2))
}

fn base_color(target: &str) -> Rgb {
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

/// Native first, then engine by engine (the default one first), each's targets in order.
pub(crate) fn sort_targets(places: &mut [String]) {
    places.sort_by_key(|p| {
        let (target, engine) = split(p);
        (
            target_rank(target) > 0,
            engine.to_string(),
            target_rank(target),
            p.clone(),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_group_their_targets_and_shade_them() {
        let mut places: Vec<String> = [
            "tmpfs@vm",
            "bind@vm",
            "native",
            "volume@local",
            "bind@local",
        ]
        .map(String::from)
        .to_vec();
        sort_targets(&mut places);
        assert_eq!(
            places,
            [
                "native",
                "bind@local",
                "volume@local",
                "bind@vm",
                "tmpfs@vm"
            ]
        );
        assert_eq!(target_color("bind"), base_color("bind"));
        assert_ne!(target_color("bind@vm"), target_color("bind"));
        let distance = |a: Rgb, b: Rgb| {
            (i32::from(a.0) - i32::from(b.0)).abs()
                + (i32::from(a.1) - i32::from(b.1)).abs()
                + (i32::from(a.2) - i32::from(b.2)).abs()
        };
        for (a, b) in [("local", "vm"), ("local", "podman"), ("vm", "podman")] {
            let (ca, cb) = (
                target_color(&format!("bind@{a}")),
                target_color(&format!("bind@{b}")),
            );
            assert!(
                distance(ca, cb) > 90,
                "{a} and {b} look alike: {ca:?} {cb:?}"
            );
        }
    }
}
