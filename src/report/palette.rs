//! One colour per target in every chart; read-only variants a lighter shade of the same hue,
//! the same target on another engine (`bind@vm`) a darker one.

use super::figure::Rgb;
use crate::cell::{Place, TargetKind, TargetSpec};

/// Lighter or darker steps for the engines of a figure, in the order they appear (native
/// and the default engine first, unshaded); negative darkens, positive lifts towards white.
const ENGINE_SHADES: [f64; 5] = [0.0, -0.5, 0.5, -0.25, 0.72];

/// The colour of `place` among a figure's `places`: its target's hue, shaded by its
/// engine's rank among the engines there, so two engines never share a shade.
pub(crate) fn place_color(place: &Place, places: &[Place]) -> Rgb {
    fn shown(p: &Place) -> Option<&str> {
        (!p.engine.is_implicit()).then_some(p.engine.as_str())
    }
    let mut engines: Vec<Option<&str>> = vec![None];
    for p in places {
        if !engines.contains(&shown(p)) {
            engines.push(shown(p));
        }
    }
    let rank = engines.iter().position(|e| *e == shown(place)).unwrap_or(0);
    shaded(
        target_color(place.target),
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

/// Every target kind's own hue.
fn kind_color(kind: TargetKind) -> Rgb {
    match kind {
        TargetKind::Native => Rgb(60, 60, 60),
        TargetKind::Bind => Rgb(31, 119, 180),
        TargetKind::Volume => Rgb(255, 127, 14),
        TargetKind::VolumeOpts => Rgb(148, 103, 189),
        TargetKind::Tmpfs => Rgb(44, 160, 44),
        TargetKind::Layer => Rgb(214, 39, 40),
        TargetKind::Image => Rgb(140, 86, 75),
        TargetKind::VolumeFromImage => Rgb(23, 190, 207),
    }
}

/// A target's colour: its kind's hue, lighter when read-only.
fn target_color(target: TargetSpec) -> Rgb {
    let c = kind_color(target.kind);
    if target.ro {
        let lift = |v: u8| v + (255 - v) / 2;
        Rgb(lift(c.0), lift(c.1), lift(c.2))
    } else {
        c
    }
}

/// Order targets the same way everywhere: native first, then as DESIGN lists them, each
/// read-only variant after its kind.
pub(crate) fn target_rank(target: TargetSpec) -> usize {
    let i = TargetKind::ALL
        .iter()
        .position(|k| *k == target.kind)
        .unwrap_or(TargetKind::ALL.len());
    i * 2 + usize::from(target.ro)
}

/// Native first, then engine by engine (the default one first), each's targets in order.
pub(crate) fn sort_places(places: &mut [Place]) {
    places.sort_by_cached_key(|p| {
        let engine = match p.engine.is_implicit() {
            true => String::new(),
            false => p.engine.to_string(),
        };
        let rank = target_rank(p.target);
        (rank > 0, engine, rank, p.to_string())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(names: &[&str]) -> Vec<Place> {
        names
            .iter()
            .map(|n| {
                let (target, engine) = n.split_once('@').unwrap_or((n, ""));
                let engine = match (engine, *n == "native") {
                    ("", false) => "default",
                    (e, _) => e,
                };
                Place::new(engine, target.parse().unwrap())
            })
            .collect()
    }

    fn names(places: &[Place]) -> Vec<String> {
        places.iter().map(Place::to_string).collect()
    }

    #[test]
    fn engines_group_their_targets_and_shade_them() {
        let mut sorted = places(&[
            "tmpfs@vm",
            "bind@vm",
            "native",
            "volume@local",
            "bind@local",
        ]);
        sort_places(&mut sorted);
        assert_eq!(
            names(&sorted),
            [
                "native",
                "bind@local",
                "volume@local",
                "bind@vm",
                "tmpfs@vm"
            ]
        );
        let bind = &places(&["bind"])[0];
        assert_eq!(place_color(bind, &sorted), target_color(bind.target));
        let distance = |a: Rgb, b: Rgb| {
            (i32::from(a.0) - i32::from(b.0)).abs()
                + (i32::from(a.1) - i32::from(b.1)).abs()
                + (i32::from(a.2) - i32::from(b.2)).abs()
        };
        for pair in [["bind@docker", "bind@podman"], ["bind@local", "bind@vm"]] {
            let three = places(&["native", pair[0], pair[1]]);
            let (a, b) = (
                place_color(&three[1], &three),
                place_color(&three[2], &three),
            );
            assert!(distance(a, b) > 90, "{pair:?} look alike: {a:?} {b:?}");
        }
    }

    #[test]
    fn every_target_has_a_colour_and_a_rank_of_its_own() {
        let all: Vec<TargetSpec> = TargetSpec::all().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(target_color(*a), target_color(*b), "{a} and {b}");
                assert_ne!(target_rank(*a), target_rank(*b), "{a} and {b}");
            }
        }
        let mut sorted: Vec<Place> = all.iter().map(|t| Place::new("default", *t)).collect();
        sorted.reverse();
        sort_places(&mut sorted);
        let want: Vec<String> = all.iter().map(TargetSpec::to_string).collect();
        assert_eq!(names(&sorted), want, "DESIGN's order, native first");
    }
}
