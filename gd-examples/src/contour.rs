//! Paths over the contour lines of a 2-D function, drawn with plotters'
//! SVG backend. Contours by marching squares on a grid.

use std::path::Path;

use plotters::prelude::*;

use crate::common::Error;

/// A named path of points.
pub struct PathLine {
    /// Legend label.
    pub name: String,
    /// Points in order.
    pub points: Vec<(f64, f64)>,
}

const COLORS: [(u8, u8, u8); 8] =
    [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (23, 190, 207)];

fn perr<E: std::fmt::Debug>(path: &Path) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Io { path: path.to_path_buf(), message: format!("plot: {e:?}") }
}

/// Line segments where `f = level` on an `nx × ny` grid over the box.
fn contour_segments(
    f: &dyn Fn(f64, f64) -> f64,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    (nx, ny): (usize, usize),
    level: f64,
) -> Vec<[(f64, f64); 2]> {
    let xs: Vec<f64> = (0..=nx).map(|i| x0 + (x1 - x0) * i as f64 / nx as f64).collect();
    let ys: Vec<f64> = (0..=ny).map(|j| y0 + (y1 - y0) * j as f64 / ny as f64).collect();
    let v: Vec<Vec<f64>> = ys.iter().map(|&y| xs.iter().map(|&x| f(x, y)).collect()).collect();
    let mut segs = Vec::new();
    let lerp = |a: (f64, f64, f64), b: (f64, f64, f64)| {
        let t = (level - a.2) / (b.2 - a.2);
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    for j in 0..ny {
        for i in 0..nx {
            // Corners counter-clockwise from bottom-left.
            let c = [
                (xs[i], ys[j], v[j][i]),
                (xs[i + 1], ys[j], v[j][i + 1]),
                (xs[i + 1], ys[j + 1], v[j + 1][i + 1]),
                (xs[i], ys[j + 1], v[j + 1][i]),
            ];
            let mut pts = Vec::with_capacity(4);
            for e in 0..4 {
                let (a, b) = (c[e], c[(e + 1) % 4]);
                if (a.2 < level) != (b.2 < level) {
                    pts.push(lerp(a, b));
                }
            }
            if pts.len() == 2 {
                segs.push([pts[0], pts[1]]);
            } else if pts.len() == 4 {
                segs.push([pts[0], pts[1]]);
                segs.push([pts[2], pts[3]]);
            }
        }
    }
    segs
}

/// Draw the contours of `f` at `levels` over the box and the paths on top,
/// marking `target` with a cross.
#[allow(clippy::too_many_arguments)]
pub fn plot_paths_svg(
    path: &Path,
    title: &str,
    f: &dyn Fn(f64, f64) -> f64,
    xr: (f64, f64),
    yr: (f64, f64),
    levels: &[f64],
    paths: &[PathLine],
    target: (f64, f64),
) -> Result<(), Error> {
    let root = SVGBackend::new(path, (900, 650)).into_drawing_area();
    root.fill(&WHITE).map_err(perr(path))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(perr(path))?;
    chart.configure_mesh().x_desc("x").y_desc("y").light_line_style(RGBColor(240, 240, 240)).draw().map_err(perr(path))?;
    let grey = RGBColor(185, 185, 185);
    for &level in levels {
        let segs = contour_segments(f, xr, yr, (160, 120), level);
        chart
            .draw_series(segs.into_iter().map(|s| PathElement::new(vec![s[0], s[1]], grey.stroke_width(1))))
            .map_err(perr(path))?;
    }
    let inside = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && x >= xr.0 && x <= xr.1 && y >= yr.0 && y <= yr.1;
    for (k, p) in paths.iter().enumerate() {
        let (r, g, b) = COLORS[k % COLORS.len()];
        let color = RGBColor(r, g, b);
        // At most ~1500 points per path, always keeping the first and last.
        let step = (p.points.len() / 1500).max(1);
        let mut pts: Vec<(f64, f64)> = p.points.iter().copied().step_by(step).collect();
        if let Some(&last) = p.points.last() {
            pts.push(last);
        }
        let pts: Vec<(f64, f64)> = pts.into_iter().filter(inside).collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(perr(path))?
            .label(p.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .draw_series(std::iter::once(Cross::new(target, 8, BLACK.stroke_width(2))))
        .map_err(perr(path))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(perr(path))?;
    root.present().map_err(perr(path))?;
    Ok(())
}
