//! One colour per target in every chart; read-only variants a lighter shade of the same hue,
//! the same target on another engine (`bind@vm`) a darker one.

use super::figure::Rgb;

/// A place's target and engine: `bind@vm` is (`bind`, `vm`), `bind` is (`bind`, ``).
fn split(place: &str) -> (&str, &str) {
    place.split_once('@').unwrap_or((place, ""))
}

/// Lighter or darker steps for the engines of a figure, in the order they appear (native
/// and the default engine first, unshaded); negative darkens, positive lifts towards white.
const ENGINE_SHADES: [f64; 5] = [0.0, -0.5, 0.5, -0.25, 0.72];

/// The colour of `place` among a figure's `places`: its target's hue, shaded by its
/// engine's rank among the engines there, so two engines never share a shade.
pub(crate) fn place_color(place: &str, places: &[String]) -> Rgb {
    let (target, engine) = split(place);
    let mut engines: Vec<&str> = vec![""];
    for p in places {
        let e = split(p).1;
        if !engines.contains(&e) {
            engines.push(e);
        }
    }
    let rank = engines.iter().position(|e| *e == engine).unwrap_or(0);
    shaded(
        base_color(target),
        ENGINE_SHADES[rank % ENGINE_SHADES.len()],
    )
}

fn shaded(c: Rgb, shade: f64) -> Rgb {
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
        assert_eq!(place_color("bind", &places), base_color("bind"));
        let distance = |a: Rgb, b: Rgb| {
            (i32::from(a.0) - i32::from(b.0)).abs()
                + (i32::from(a.1) - i32::from(b.1)).abs()
                + (i32::from(a.2) - i32::from(b.2)).abs()
        };
        for pair in [["bind@docker", "bind@podman"], ["bind@local", "bind@vm"]] {
            let places: Vec<String> = ["native", pair[0], pair[1]].map(String::from).to_vec();
            let (a, b) = (place_color(pair[0], &places), place_color(pair[1], &places));
            assert!(distance(a, b) > 90, "{pair:?} look alike: {a:?} {b:?}");
        }
    }
}
