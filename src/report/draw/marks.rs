//! How a bar looks, by its caveat (faded, hollow, hatched, cross-hatched), and the swatches
//! legends and keys show: drawn in pixels so that a key swatch is its bars' exact likeness.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use crate::report::figure::Caveat;

/// Pixels between hatch lines.
const HATCH_PX: i32 = 6;

/// What a legend entry shows.
#[derive(PartialEq)]
pub(super) enum Swatch {
    Bar(RGBColor, Option<Caveat>),
    Line { color: RGBColor, dashed: bool },
}

impl Swatch {
    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        from: (i32, i32),
        to: (i32, i32),
    ) -> DrawResult<DB> {
        match *self {
            Swatch::Bar(color, caveat) => draw_bar(area, color, caveat, from, to),
            Swatch::Line { color, dashed } => {
                let y = (from.1 + to.1) / 2;
                let style = color.stroke_width(3);
                match dashed {
                    true => {
                        let third = (to.0 - from.0) / 3;
                        area.draw(&PathElement::new(
                            vec![(from.0, y), (from.0 + third, y)],
                            style,
                        ))?;
                        area.draw(&PathElement::new(vec![(to.0 - third, y), (to.0, y)], style))
                    }
                    false => area.draw(&PathElement::new(vec![(from.0, y), (to.0, y)], style)),
                }
            }
        }
    }
}

/// A bar between two pixel corners of `area` in its caveat's style.
pub(super) fn draw_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    color: RGBColor,
    caveat: Option<Caveat>,
    a: (i32, i32),
    b: (i32, i32),
) -> DrawResult<DB> {
    let rect = (a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1));
    let corners = [(rect.0, rect.1), (rect.2, rect.3)];
    let outline = Rectangle::new(corners, color.stroke_width(2));
    match caveat {
        None => area.draw(&Rectangle::new(corners, color.filled())),
        Some(Caveat::Noisy) => {
            area.draw(&Rectangle::new(corners, color.mix(0.4).filled()))?;
            area.draw(&outline)
        }
        Some(Caveat::Unverified) => {
            area.draw(&Rectangle::new(corners, WHITE.filled()))?;
            area.draw(&outline)
        }
        Some(Caveat::Capped) => {
            area.draw(&Rectangle::new(corners, color.filled()))?;
            hatch(area, rect, Slant::Up, BLACK.mix(0.6))
        }
        Some(Caveat::NotEvicted) => {
            area.draw(&Rectangle::new(corners, color.mix(0.3).filled()))?;
            hatch(area, rect, Slant::Up, color.to_rgba())?;
            hatch(area, rect, Slant::Down, color.to_rgba())?;
            area.draw(&outline)
        }
    }
}

#[derive(Clone, Copy)]
enum Slant {
    /// `/`
    Up,
    /// `\`
    Down,
}

/// Parallel lines across `rect` (left, top, right, bottom), clipped to it.
fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rect: (i32, i32, i32, i32),
    slant: Slant,
    color: RGBAColor,
) -> DrawResult<DB> {
    let (x0, y0, x1, y1) = rect;
    let style = color.stroke_width(1);
    // `/` lines are x + y = c, `\` lines y - x = c, pixel y growing downwards.
    let (from, to) = match slant {
        Slant::Up => (x0 + y0, x1 + y1),
        Slant::Down => (y0 - x1, y1 - x0),
    };
    let mut c = from + HATCH_PX / 2;
    while c < to {
        let (xa, xb) = match slant {
            Slant::Up => ((c - y1).max(x0), (c - y0).min(x1)),
            Slant::Down => ((y0 - c).max(x0), (y1 - c).min(x1)),
        };
        if xa < xb {
            let y = |x: i32| match slant {
                Slant::Up => c - x,
                Slant::Down => x + c,
            };
            area.draw(&PathElement::new(vec![(xa, y(xa)), (xb, y(xb))], style))?;
        }
        c += HATCH_PX;
    }
    Ok(())
}
