//! The rule table: every primitive's primal and its local partial derivatives,
//! written once. Forward mode uses them as `dy = Σ ∂y/∂xᵢ · dxᵢ`, reverse mode
//! as `x̄ᵢ += ∂y/∂xᵢ · ȳ`. A new primitive is one row in `RULES` and one arm in
//! `partials`.
//!
//! Conventions at points where the derivative does not exist (documented in
//! the README): abs'(0) = 0; max/min at a tie give each argument half, and
//! all to the other argument when one is NaN (the one Rust returns); clamp
//! passes the gradient to x for lo ≤ x ≤ hi (inclusive, as torch.clamp) or x
//! NaN, else to the bound that is hit; ∂/∂b powf(0, b) = 0; hypot'(0, 0) = 0.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// A primitive operation, named by its Rust operator or method name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Prim(pub &'static Rule);

#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    /// Number of operands, the receiver included.
    pub arity: usize,
    /// Operand positions that are integers (no derivative flows into them).
    pub int_args: &'static [usize],
    /// The result is piecewise constant: its derivative is zero everywhere.
    pub zero_derivative: bool,
    pub kind: Kind,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// A binary or unary operator: `a + b`, `-a`.
    Operator(&'static str),
    /// A float method, emitted as `<F>::name(args..)`.
    Method,
}

const fn op(name: &'static str, arity: usize, sym: &'static str) -> Rule {
    Rule { name, arity, int_args: &[], zero_derivative: false, kind: Kind::Operator(sym) }
}
const fn m(name: &'static str, arity: usize) -> Rule {
    Rule { name, arity, int_args: &[], zero_derivative: false, kind: Kind::Method }
}
const fn flat(name: &'static str) -> Rule {
    Rule { name, arity: 1, int_args: &[], zero_derivative: true, kind: Kind::Method }
}

pub static RULES: &[Rule] = &[
    op("add", 2, "+"),
    op("sub", 2, "-"),
    op("mul", 2, "*"),
    op("div", 2, "/"),
    op("rem", 2, "%"),
    op("neg", 1, "-"),
    m("sin", 1),
    m("cos", 1),
    m("tan", 1),
    m("asin", 1),
    m("acos", 1),
    m("atan", 1),
    m("atan2", 2),
    m("sinh", 1),
    m("cosh", 1),
    m("tanh", 1),
    m("asinh", 1),
    m("acosh", 1),
    m("atanh", 1),
    m("exp", 1),
    m("exp2", 1),
    m("exp_m1", 1),
    m("ln", 1),
    m("ln_1p", 1),
    m("log", 2),
    m("log10", 1),
    m("log2", 1),
    m("sqrt", 1),
    m("cbrt", 1),
    Rule { name: "powi", arity: 2, int_args: &[1], zero_derivative: false, kind: Kind::Method },
    m("powf", 2),
    m("abs", 1),
    m("max", 2),
    m("min", 2),
    m("hypot", 2),
    m("recip", 1),
    m("mul_add", 3),
    m("clamp", 3),
    m("fract", 1),
    flat("signum"),
    flat("floor"),
    flat("ceil"),
    flat("round"),
    flat("round_ties_even"),
    flat("trunc"),
];

pub fn lookup(name: &str) -> Option<Prim> {
    RULES.iter().find(|r| r.name == name).map(Prim)
}

/// Names of the supported float methods, for error messages.
pub fn method_names() -> String {
    RULES
        .iter()
        .filter(|r| r.kind == Kind::Method)
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the primal is printed: Rust on the CPU, whose `tanh` is the
/// crate's own kernel, or CUDA C (`emit::cuda`), which keeps the device's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Cpu,
    Cuda,
}

/// The primal expression. On the CPU, `tanh` is `__private::Tanh`'s
/// (`<S as Tanh>::gd_tanh(x)`, implemented for every scalar the sweeps run
/// over): in f32 the crate's correctly rounded kernel, which vectorises,
/// not glibc's scalar `tanhf`; in f64 `f64::tanh` (README, "Supported
/// language").
pub fn primal(p: Prim, a: &[TokenStream], f: &TokenStream, target: Target) -> TokenStream {
    let name = Ident::new(p.0.name, Span::call_site());
    if p.0.name == "tanh" && target == Target::Cpu {
        let k = crate::krate();
        return quote!(<#f as #k::__private::Tanh>::gd_tanh(#(#a),*));
    }
    match (&p.0.kind, a) {
        (Kind::Operator(sym), [x]) => {
            let sym: TokenStream = sym.parse().unwrap();
            quote!(#sym #x)
        }
        (Kind::Operator(sym), [x, y]) => {
            let sym: TokenStream = sym.parse().unwrap();
            quote!(#x #sym #y)
        }
        _ => quote!(<#f>::#name(#(#a),*)),
    }
}

/// A partial derivative split as `2^k · core` (see `pow2_exp` and `update`).
pub enum Core {
    /// `2^k` alone: `2.0 * x`'s partial in `x`.
    One,
    /// `2^k · core`.
    Times(TokenStream),
    /// `2^k / core`: printed as a division of the adjoint, `ā / core`.
    Over(TokenStream),
}

/// `log2 c` for a literal `c` that is a positive power of two (`0.5`, `2.0`,
/// `4`), whose products are exact; `None` for any other value.
pub fn log2_exact(c: f64) -> Option<i32> {
    if !(c > 0.0 && c.is_finite()) {
        return None;
    }
    let k = c.log2().round() as i32;
    ((-64..=64).contains(&k) && 2f64.powi(k) == c).then_some(k)
}

/// The value of a literal operand as the user wrote it (`2.0`, `0.5f64`, `2`).
pub fn literal_value(ts: &TokenStream) -> Option<f64> {
    let s = ts.to_string().replace(' ', "");
    let s = s.trim_start_matches('(').trim_end_matches(')');
    let s = s.strip_suffix("f64").or_else(|| s.strip_suffix("f32")).unwrap_or(s);
    let s = s.strip_suffix('_').unwrap_or(s).replace('_', "");
    s.parse::<f64>().ok()
}

/// The power of two `k` that the rule's own constant contributes to the
/// partial of the operand at positions `pos` (several when the operand
/// repeats: `x * x`), known when the macro runs: `sqrt`'s `0.5 / y` is
/// `2⁻¹ · (1 / y)`, `x.powi(2)`'s `2 x` and `x * x`'s `x + x` are `2¹ · x`,
/// `c * x` and `x / c` for a literal power of two `c` are `c` and `1 / c`.
/// `lits`: each operand's value when it is a literal; `n`: `powi`'s exponent
/// when it is one. `plan::pow2` carries these factors along chains of
/// adjoints and emit prints what is left of them (see `update`).
pub fn pow2_exp(p: Prim, pos: &[usize], lits: &[Option<f64>], n: Option<i64>) -> i32 {
    match (p.0.name, pos) {
        ("sqrt", [0]) => -1,
        ("powi", [0]) if n == Some(2) => 1,
        ("mul", [0, 1]) => 1,
        ("mul", [i]) => lits[1 - i].and_then(log2_exact).unwrap_or(0),
        ("div", [0]) => lits[1].and_then(log2_exact).map_or(0, |k| -k),
        _ => 0,
    }
}

/// The core of the split `2^k · core` whose `k` is `pow2_exp`'s; `ps` the
/// rule's partials of the operand (`partials`), which it falls back to.
pub fn pow2_core(p: Prim, a: &[TokenStream], y: &TokenStream, ps: &[TokenStream], pos: &[usize], lits: &[Option<f64>], n: Option<i64>) -> Core {
    if pow2_exp(p, pos, lits, n) == 0 {
        return Core::Times(quote!((#(#ps)+*)));
    }
    match (p.0.name, pos) {
        ("sqrt", [0]) => Core::Over(y.clone()),
        ("powi", [0]) | ("mul", [0, 1]) => Core::Times(a[0].clone()),
        _ => Core::One,
    }
}

/// The adjoint update of one operand. Where `plan::pow2` carries a scale
/// at the result or at the operand (`carried`), `core · (2^e · adj)`: `e` is
/// what is left of the power-of-two factors at this operand (the rule's
/// `k`, plus the scale the result's adjoint is kept at, minus the one the
/// operand's is), applied to the adjoint first, so that where `adj` is the
/// same on every trip (a seeded loop's `s̄`) it leaves the loop. Elsewhere
/// the partial as the rules print it, `(Σ ps) · adj`, except a doubling:
/// `x.powi(2)`'s `2x · adj` is `x · (adj + adj)` (the doubling of a seeded
/// loop's `s̄` leaves the loop: variance), and so is `x * x`'s where `adj`
/// is the same on every trip (`steady`: the term of a loop's sum,
/// normalise's `Σ v · v`); elsewhere `x * x`'s stays `(x + x) · adj`, which
/// measured better where `adj` varies per trip (rosen_chain, 28.0 against
/// 30.0 instructions per element).
///
/// What changes in the last bits against `(Σ ps) · adj`: multiplying by
/// `2^e` (doubling included) is exact barring overflow and underflow
/// (results below 2⁻¹⁰²² lose bits, above the largest float become
/// infinite, where the unscaled product would not, or would at another
/// step), so for every rule but `sqrt` the value is the same bit for bit.
/// A carried `sqrt` update is printed `(2^e · adj) / y` instead of
/// `(0.5 / y) · adj`: one rounding (of the quotient) instead of two (of
/// `0.5 / y`, then of the product), so that gradient may differ in the last
/// bit, on the side of the exact value. Along `√(d² + c)` this turns
/// `(0.5 / r) · ā` then `d · (2 p̄)` into `ā / r` then `d · p̄`.
#[allow(clippy::too_many_arguments)]
pub fn update(core: Core, ps: &[TokenStream], adj: &TokenStream, k: i32, e: i32, carried: bool, steady: bool, f: &Ident) -> TokenStream {
    if !carried {
        return match core {
            Core::Times(x) if k == 1 && (ps.len() == 1 || steady) => quote!((#x * (#adj + #adj))),
            _ => quote!(((#(#ps)+*) * #adj)),
        };
    }
    let scaled = scaled(adj, e, f);
    match core {
        Core::One => scaled,
        Core::Times(c) => quote!((#c * #scaled)),
        Core::Over(c) => quote!((#scaled / #c)),
    }
}

/// `2^e · adj`, as `update` prints it where a scale is carried.
pub fn scaled(adj: &TokenStream, e: i32, f: &Ident) -> TokenStream {
    match e {
        0 => adj.clone(),
        1 => quote!((#adj + #adj)),
        _ => {
            let c: TokenStream = format!("{:?}", 2f64.powi(e)).parse().unwrap();
            quote!(((#c as #f) * #adj))
        }
    }
}

/// In the sweeps over `F` (not the dual copies, whose partials compare
/// the primal parts): the update `partial · adj` of the operand at `pos`
/// for the rules whose partial is a chain of `if`s (`abs`, `max`, `min`),
/// as one call that makes it without a branch, bit for bit the same
/// (`__private::abs_adj`, ..; `masks`: that module, or in a chunk's trip
/// `__private::lanes`). `adj` is scaled as `update` would (these rules'
/// own power-of-two factor is 0). `None`: print the partial.
pub fn branch_free(p: Prim, a: &[TokenStream], pos: &[usize], adj: &TokenStream, masks: &TokenStream) -> Option<TokenStream> {
    let f = match (p.0.name, pos) {
        ("abs", [0]) => {
            let x = &a[0];
            return Some(quote!(#masks::abs_adj(#x, #adj)));
        }
        ("max", [0]) => quote!(max_adj0),
        ("max", [1]) => quote!(max_adj1),
        ("min", [0]) => quote!(min_adj0),
        ("min", [1]) => quote!(min_adj1),
        _ => return None,
    };
    let (x, b) = (&a[0], &a[1]);
    Some(quote!(#masks::#f(#x, #b, #adj)))
}

/// The local partial derivatives ∂y/∂aᵢ, one per operand (`None` for integer
/// operands). `y` names the result, which some rules reuse.
pub fn partials(p: Prim, a: &[TokenStream], y: &TokenStream, f: &Ident) -> Vec<Option<TokenStream>> {
    let one = quote!((1.0 as #f));
    let x = &a[0];
    let d: Vec<TokenStream> = match p.0.name {
        "add" => vec![one.clone(), one],
        "sub" => vec![one, quote!((-1.0 as #f))],
        "mul" => {
            let b = &a[1];
            vec![quote!(#b), quote!(#x)]
        }
        "div" => {
            // `-y · (1 / b)`, not `-y / b`: both partials then share one
            // reciprocal, which leaves a loop when `b` is fixed across trips
            // (`w[i] * x[i] / norm`): one division per trip (the primal's)
            // instead of three.
            let b = &a[1];
            vec![quote!((1.0 / #b)), quote!((-#y * (1.0 / #b)))]
        }
        "rem" => {
            let b = &a[1];
            vec![one, quote!((-(#x / #b).trunc()))]
        }
        "neg" => vec![quote!((-1.0 as #f))],
        "sin" => vec![quote!(#x.cos())],
        "cos" => vec![quote!((-#x.sin()))],
        "tan" => vec![quote!((1.0 + #y * #y))],
        "asin" => vec![quote!((1.0 / (1.0 - #x * #x).sqrt()))],
        "acos" => vec![quote!((-1.0 / (1.0 - #x * #x).sqrt()))],
        "atan" => vec![quote!((1.0 / (1.0 + #x * #x)))],
        "atan2" => {
            let b = &a[1];
            vec![quote!((#b / (#x * #x + #b * #b))), quote!((-#x / (#x * #x + #b * #b)))]
        }
        "sinh" => vec![quote!(#x.cosh())],
        "cosh" => vec![quote!(#x.sinh())],
        "tanh" => vec![quote!((1.0 - #y * #y))],
        "asinh" => vec![quote!((1.0 / (#x * #x + 1.0).sqrt()))],
        "acosh" => vec![quote!((1.0 / (#x * #x - 1.0).sqrt()))],
        "atanh" => vec![quote!((1.0 / (1.0 - #x * #x)))],
        "exp" => vec![quote!(#y)],
        "exp2" => vec![quote!((#y * ::core::#f::consts::LN_2))],
        "exp_m1" => vec![quote!((#y + 1.0))],
        "ln" => vec![quote!((1.0 / #x))],
        "ln_1p" => vec![quote!((1.0 / (1.0 + #x)))],
        "log" => {
            let b = &a[1];
            vec![
                quote!((1.0 / (#x * #b.ln()))),
                quote!((-#x.ln() / (#b * #b.ln() * #b.ln()))),
            ]
        }
        "log10" => vec![quote!((1.0 / (#x * ::core::#f::consts::LN_10)))],
        "log2" => vec![quote!((1.0 / (#x * ::core::#f::consts::LN_2)))],
        "sqrt" => vec![quote!((0.5 / #y))],
        "cbrt" => vec![quote!((1.0 / (3.0 * #y * #y)))],
        "powi" => {
            let n = &a[1];
            // n = 0 is the constant 1 (also at x = 0, where 0·x⁻¹ would be NaN).
            return vec![Some(quote!((if #n == 0 { #x * 0.0 } else { (#n as #f) * #x.powi(#n - 1) }))), None];
        }
        "powf" => {
            let b = &a[1];
            vec![
                quote!((if #b == 0.0 { #x * 0.0 } else { #b * #x.powf(#b - 1.0) })),
                // `#x * 0.0`, not `0.0`: both branches have the scalar type (F or Dual<F>).
                quote!((if #x == 0.0 { #x * 0.0 } else { #y * #x.ln() })),
            ]
        }
        "abs" => vec![quote!((if #x > 0.0 { 1.0 } else if #x < 0.0 { -1.0 } else { 0.0 }))],
        "max" | "min" => {
            // Rust's max/min return the other operand when one is NaN: the
            // derivative goes to the operand returned, so a NaN operand is
            // neither a winner nor a tie (`x.max(NAN)` is `x`, derivative 1).
            // Written with orderings only, which compare the primal part of a
            // dual (its `==` also compares tangents): after `>` and `<` fail,
            // `x >= b` means a tie and `x >= x` that `x` is not NaN.
            let b = &a[1];
            let (gt, lt) = if p.0.name == "max" { (quote!(>), quote!(<)) } else { (quote!(<), quote!(>)) };
            vec![
                quote!((if #x #gt #b { 1.0 } else if #x #lt #b { 0.0 } else if #x >= #b { 0.5 } else if #x >= #x { 1.0 } else { 0.0 })),
                quote!((if #x #gt #b { 0.0 } else if #x #lt #b { 1.0 } else if #x >= #b { 0.5 } else if #x >= #x { 0.0 } else { 1.0 })),
            ]
        }
        "hypot" => {
            let b = &a[1];
            vec![
                quote!((if #y == 0.0 { #y * 0.0 } else { #x / #y })),
                quote!((if #y == 0.0 { #y * 0.0 } else { #b / #y })),
            ]
        }
        "recip" => vec![quote!((-#y * #y))],
        "mul_add" => {
            let b = &a[1];
            vec![quote!(#b), quote!(#x), one]
        }
        "clamp" => {
            let (lo, hi) = (&a[1], &a[2]);
            vec![
                // A NaN `x` is returned as it is: its derivative passes to `x`.
                quote!((if #x < #lo || #x > #hi { 0.0 } else { 1.0 })),
                quote!((if #x < #lo { 1.0 } else { 0.0 })),
                quote!((if #x > #hi { 1.0 } else { 0.0 })),
            ]
        }
        "fract" => vec![one],
        // Piecewise-constant functions: derivative zero (never reached: the
        // lowering turns them into passive values).
        _ => vec![quote!((0.0 as #f)); p.0.arity],
    };
    d.into_iter().map(Some).collect()
}

/// Which operands (by position) and whether the result are read by the
/// partials: the values the reverse sweep must keep. Derived from `partials`
/// itself, so that the table stays the single source of truth.
pub fn needs(p: Prim, active: &[bool]) -> (Vec<bool>, bool) {
    let f = Ident::new("f64", Span::call_site());
    let names: Vec<Ident> = (0..p.0.arity).map(|i| Ident::new(&format!("__gd_sentinel_{i}"), Span::call_site())).collect();
    let args: Vec<TokenStream> = names.iter().map(|n| quote!(#n)).collect();
    let y = Ident::new("__gd_sentinel_y", Span::call_site());
    let text: String = partials(p, &args, &quote!(#y), &f)
        .into_iter()
        .zip(active)
        .filter_map(|(part, a)| if *a { part } else { None })
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let uses = |n: &Ident| text.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| n == w);
    (names.iter().map(uses).collect(), uses(&y))
}
