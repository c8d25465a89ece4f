//! Vanishing gradients: per-layer gradient norms of a chain of sigmoid
//! layers at depth 2 to 8, as in the seeds. With weights of scale about 1,
//! each layer multiplies the backward signal by σ' ≤ 1/4 times the weights,
//! so the first layers get gradients orders of magnitude smaller than the
//! last; with weights of scale 4 the decay is much weaker.

use gd::runtime::init;
use gd::runtime::plot::{plot_curves_svg, Curve};
use rand::Rng;

use crate::common::{gradient_check, out_file, Args, Error, Report};
use crate::models::sigmoid_chain;

/// Units per layer.
pub const WIDTH: usize = 8;

/// Geometric-mean gradient norm of each layer (index 0 = first layer, next
/// to the input) over `draws` random networks with weights
/// `N(0, scale² / WIDTH)` and biases 0, random inputs in [−1, 1] and a
/// random target in [0, 1].
pub fn layer_norms(depth: usize, scale: f64, draws: usize, seed: u64) -> Result<Vec<f64>, Error> {
    let per = WIDTH * WIDTH + WIDTH;
    let mut rng = init::seeded(seed);
    let mut log_sum = vec![0.0; depth];
    for _ in 0..draws {
        let mut p = vec![0.0; per * depth];
        for l in 0..depth {
            init::xavier_normal(&mut p[l * per..l * per + WIDTH * WIDTH], WIDTH, WIDTH, scale, &mut rng)?;
        }
        let x: Vec<f64> = (0..WIDTH).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let target: f64 = rng.gen();
        let g = sigmoid_chain::grad(&p, &x, target, WIDTH, depth);
        for (l, s) in log_sum.iter_mut().enumerate() {
            let n = gd::runtime::norm2(&g[l * per..(l + 1) * per]);
            *s += n.max(1e-300).ln();
        }
    }
    Ok(log_sum.iter().map(|s| (s / draws as f64).exp()).collect())
}

/// Run the example.
pub fn run(args: &Args) -> Result<Report, Error> {
    let mut r = Report::new("8. Vanishing gradients in a deep sigmoid network");
    let depth_max = 8;
    let per = WIDTH * WIDTH + WIDTH;
    let mut rng = init::seeded(5);
    let p0: Vec<f64> = (0..per * 3).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let x0 = [0.3, -0.2, 0.9, -0.5, 0.1, 0.7, -0.8, 0.4];
    gradient_check(&mut r, "the depth-3 sigmoid chain", |p: &[f64], g: &mut [f64]| {
        sigmoid_chain::value_and_grad_set(p, &x0, 0.3, WIDTH, 3, g)
    }, &p0)?;
    let draws = if args.quick { 10 } else { 50 };
    r.line(format!(
        "{WIDTH} sigmoid units per layer, weights N(0, 1/{WIDTH}) (scale 1), loss ½(mean output − target)²; ‖∂L/∂layer‖, geometric mean of {draws} draws:"
    ));
    let mut head = format!("  {:>6}", "depth");
    for l in 1..=depth_max {
        head.push_str(&format!(" {:>8}", format!("layer {l}")));
    }
    head.push_str("   first/last");
    r.line(head);
    let mut curves = Vec::new();
    for depth in 2..=depth_max {
        let norms = layer_norms(depth, 1.0, draws, 100 + depth as u64)?;
        let mut line = format!("  {depth:>6}");
        for n in &norms {
            line.push_str(&format!(" {n:>8.1e}"));
        }
        for _ in depth..depth_max {
            line.push_str(&format!(" {:>8}", ""));
        }
        let ratio = norms[0] / norms[depth - 1];
        line.push_str(&format!("   {ratio:.1e}"));
        r.line(line);
        r.metric(&format!("depth{depth}_first_over_last"), ratio);
        curves.push(Curve::new(&format!("depth {depth}"), norms.iter().enumerate().map(|(l, &n)| (l as f64 + 1.0, n)).collect()));
    }
    let d8 = layer_norms(depth_max, 1.0, draws, 108)?;
    let per_layer = (d8[0] / d8[depth_max - 1]).powf(1.0 / (depth_max - 1) as f64);
    r.line(format!("  each layer back costs a factor ≈ {per_layer:.2} (σ' ≤ 0.25)"));
    r.metric("per_layer_factor", per_layer);
    let big = layer_norms(depth_max, 4.0, draws, 108)?;
    let per_big = (big[0] / big[depth_max - 1]).powf(1.0 / (depth_max - 1) as f64);
    r.line(format!("  weights 4× larger: factor ≈ {per_big:.2} per layer, first/last at depth 8 = {:.1e}", big[0] / big[depth_max - 1]));
    r.metric("per_layer_factor_scale4", per_big);
    curves.push(Curve::new("depth 8, weights ×4", big.iter().enumerate().map(|(l, &n)| (l as f64 + 1.0, n)).collect()));
    if let Some(path) = out_file(args, "08_vanishing_gradients.svg")? {
        plot_curves_svg(&path, "Gradient norm per layer (layer 1 = input side)", "layer", "‖∂L/∂W‖", &curves, true)?;
        r.file(path);
    }
    Ok(r)
}
