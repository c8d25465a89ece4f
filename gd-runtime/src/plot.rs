//! Loss curves to CSV and SVG (plotters' SVG backend, no system fonts
//! needed), several named curves per chart.

use std::path::Path;

use plotters::prelude::*;

use crate::error::GdError;

/// A named curve of `(x, y)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend label.
    pub name: String,
    /// Points; non-finite ones are skipped when plotting.
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// A curve from points.
    pub fn new(name: &str, points: Vec<(f64, f64)>) -> Self {
        Curve { name: name.to_string(), points }
    }
    /// A curve from y values at x = 0, 1, 2, …
    pub fn from_values(name: &str, ys: &[f64]) -> Self {
        Curve::new(name, ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect())
    }
}

pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), GdError> {
    std::fs::write(path, text).map_err(|e| GdError::Io { path: path.display().to_string(), message: e.to_string() })
}

/// CSV text in long format: `curve,x,y`, one row per point.
pub fn curves_csv(curves: &[Curve]) -> String {
    let mut s = String::from("curve,x,y\n");
    for c in curves {
        let name = c.name.replace(['"', ','], "_");
        for &(x, y) in &c.points {
            s.push_str(&format!("{name},{x:e},{y:e}\n"));
        }
    }
    s
}

/// Write [`curves_csv`] to `path`.
pub fn write_curves_csv(path: impl AsRef<Path>, curves: &[Curve]) -> Result<(), GdError> {
    write_text(path.as_ref(), &curves_csv(curves))
}

/// Write [`plot_curves_svg_string`] to `path`.
pub fn plot_curves_svg(
    path: impl AsRef<Path>,
    title: &str,
    x_label: &str,
    y_label: &str,
    curves: &[Curve],
    log_y: bool,
) -> Result<(), GdError> {
    let svg = plot_curves_svg_string(title, x_label, y_label, curves, log_y)?;
    write_text(path.as_ref(), &svg)
}

/// Tableau 10: distinguishable on white, unlike a raw palette's yellows.
const COLORS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// Short tick labels: integers without ".0", scientific notation for very
/// large or small values.
fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 1e5 || v.abs() < 1e-3 {
        let s = format!("{v:.2e}");
        // 1.00e-5 -> 1e-5, 2.50e3 -> 2.5e3
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{}", m.trim_end_matches('0').trim_end_matches('.'), e),
            None => s,
        }
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Round to 3 significant digits (log-axis labels between decades).
fn sig3(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let e = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(2 - e);
    (v * scale).round() / scale
}

fn perr<E: std::fmt::Debug>(e: E) -> GdError {
    GdError::Plot(format!("{e:?}"))
}

/// An 800×500 SVG line chart of several named curves with a legend.
/// `log_y` uses a log-scale y axis when every finite y is positive (else
/// linear). Non-finite points are skipped.
pub fn plot_curves_svg_string(
    title: &str,
    x_label: &str,
    y_label: &str,
    curves: &[Curve],
    log_y: bool,
) -> Result<String, GdError> {
    let finite = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
    let all: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter().copied()).filter(finite).collect();
    let log_y = log_y && !all.is_empty() && all.iter().all(|&(_, y)| y > 0.0);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in &all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if all.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, if log_y { 0.1 } else { 0.0 }, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        if log_y {
            (y0, y1) = (y0 / 2.0, y1 * 2.0);
        } else {
            (y0, y1) = (y0 - 0.5, y1 + 0.5);
        }
    }
    if !(x1 - x0).is_finite() || !(y1 - y0).is_finite() {
        return Err(GdError::Plot(format!("data range too wide to plot: x in [{x0:e}, {x1:e}], y in [{y0:e}, {y1:e}]")));
    }
    // Log scale: plot log10(y) on a linear axis and label ticks with 10^v
    // (plotters' own log axis drops labels over wide ranges).
    let ty = |y: f64| if log_y { y.log10() } else { y };
    let (y0, y1) = (ty(y0), ty(y1));
    let pad = (y1 - y0) * 0.02;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let y_tick = |v: &f64| if log_y { tick(&sig3(10f64.powf(*v))) } else { tick(v) };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(perr)?;
        let y_desc = if log_y { format!("{y_label} (log scale)") } else { y_label.to_string() };
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_desc)
            .x_label_formatter(&tick)
            .y_label_formatter(&y_tick)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(perr)?;
        for (i, c) in curves.iter().enumerate() {
            let (r, g, b) = COLORS[i % COLORS.len()];
            let color = RGBColor(r, g, b);
            let pts: Vec<(f64, f64)> = c.points.iter().copied().filter(finite).map(|(x, y)| (x, ty(y))).collect();
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(perr)?
                .label(c.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        if !curves.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(perr)?;
        }
        root.present().map_err(perr)?;
    }
    Ok(out)
}
