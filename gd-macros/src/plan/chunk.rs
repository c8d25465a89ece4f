//! Seeded accumulator loops run in chunks of `K` trips, so that the
//! compiler vectorizes them.
//!
//! A seeded loop (see `fused`) reverses each trip right after it, so its
//! trips are independent but for the running sum `s = s + term`: an
//! in-order chain of float adds, which stops the loop vectorizer (it may
//! not reorder the sum), so the rest of each trip (the term, its reverse,
//! the gradient writes) stays scalar too. Written by hand, the gradient of
//! `rosen_chain` in chunks of 8 trips whose terms go to a local array,
//! added to the sum in order after the chunk, runs at the primal's speed
//! (1.52x before); each value and each gradient element bit-identical,
//! since every operation is the one the loop does, in the same order.
//!
//! Two more things are needed for the compiler to vectorize the chunk
//! (measured: without either, 1.63x): the chunk's reads of array
//! parameters at `arr[i + c]` go through fixed-size views
//! (`&[F; N]`, taken once per chunk with `get`), and so do the gradient
//! writes of the loop's windows (`plan::window`), so that no access in the
//! chunk is bounds-checked on its own.
//!
//! A loop qualifies when it is seeded, runs over a range `a..b` or `a..=b`
//! of a simple name with no `break`, `return` or nested loop in its body,
//! its running sum changes in one place, `s = s + term` (or `term + s`,
//! `s - term`) at the top level of the body, read by no user code (which
//! would see the sum before the chunk), and some array parameter is read
//! at indices `slope · i + c` (`slope ≥ 1`, one per array; its loads all
//! such, on every trip; data code's `y[i]` in a `Set` or a `let` too),
//! through no integer cast (the loop variable then is a `usize`: the
//! lowering's `to_usize` and slices' indices take nothing else). Other
//! reads keep their checked form. A sweep chunks it when each of its
//! windows' arrays has a view and every active load has a window
//! (`emit::chunk`: otherwise the gradient writes stay checked and the chunk
//! does not vectorize). The emitted loop runs chunks while `K` trips are
//! left and every view is in bounds, then the loop as written over the
//! trips left: the same trips in the same order, panicking where the
//! user's code does.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::ToTokens;
use syn::visit_mut::VisitMut;

use super::branchless::Branchless;
use super::fused::Coef;
use super::retake::bound_or_changed;
use super::window::{affine, affine_accesses, range_step, Affine};
use crate::ir::*;

/// Trips per chunk, by float type; none for a body with a branch.
/// Instructions per element of the zoo's `value_and_grad_set` at n = 1000
/// (cachegrind; x86-64 baseline, SSE2), for K = 4, 8, 16: `rosen_chain`
/// f64 18.6, 16.3, 13.8; f32 16.1, 15.8, 9.4; `laplace3` 25.0, 21.9, 19.8
/// (unchunked: 28.0, 28.0, 33.0). The sum's in-order adds bound the time
/// either way; 16 f32s fill four SSE registers, 8 f64s four.
///
/// An `if` the sweeps run branch-free (`branchless`, by its condition) is
/// no branch: in a chunk its masks, and the masked rules (`abs`, `max`,
/// `min`), are integer bits that vectorize (`__private::lanes`), and where
/// a term may be a select its chunk's terms pass through memory
/// (`Chunk::selects`), so that the terms' selects vectorize as the
/// gradient's do. `huber_f32` set / hand 1.60-1.68 -> 0.81-0.84 in time at
/// n >= 1000; `huber` (f64) 29.0 -> 16.9 instructions per element (hand
/// 21.0); in f64 at n = 10^4, chunked against the loop as written: a
/// three-piece `else if` chain with `sqrt` 18.2 against 38.0, with a
/// scalar parameter 21.0 against 36.0, `max`/`min`/`abs` 44.3 against 84.0
/// (no loop with a branch on a mask left in the machine code).
///
/// Without the terms in memory, LLVM vectorized an `f64` chunk's compares
/// but left each term's select scalar, on a lane of the vector mask, which
/// x86 lowers to a branch (`testb $1, mask; jne`): random data mispredicts
/// it, and `huber` ran at 3.97x the hand code at n = 10^5 (1.10 at
/// n = 1000, whose 1000 elements the predictor learns over repeated
/// calls). An `if` on a `bool` that is no float comparison (the trip
/// index's `i % 3 == 0`) still branched in a chunk, on a lane of a compare
/// beside it in `f64`, on a scalar `ucomiss` in `f32` (machine code of
/// `tests/ad_chunked.rs`'s `banded`); its mask behind an `asm!` barrier
/// (as `select.rs` does) kept the branch out but left every chunk scalar,
/// since the sweeps select on the compares' `bool`s too (the `else if`
/// chain 49 against 38 instructions unchunked). So a loop with such an
/// `if` runs as written, on the SSE masks.
/// Any other `if` is a branch, and a chunk of it only paid the chunk's
/// bookkeeping (the zoo's branchy shapes timed slower chunked while their
/// masks were SSE intrinsics: `huber` at n = 10 2.43 against 1.57), so such
/// loops run as written.
fn trips(float: &Ident, body: &Block, branchless: &HashMap<Temp, Branchless>) -> Option<usize> {
    if ifs(body, &|c| !branchless.get(&c).is_some_and(|b| b.cmp.is_some())) {
        None
    } else if float == "f32" {
        Some(16)
    } else {
        Some(8)
    }
}

/// Whether a block has an `if` whose condition `keep` takes.
fn ifs(b: &[Stmt], keep: &dyn Fn(Temp) -> bool) -> bool {
    b.iter().any(|s| matches!(s, Stmt::If { cond, .. } if keep(*cond)) || s.children().into_iter().any(|c| ifs(c, keep)))
}

/// How the running sum takes the term (the chain operand's position).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Form {
    /// `s + term`
    Left,
    /// `term + s`
    Right,
    /// `s - term`
    Sub,
}

/// The reads of one array parameter in one trip: `slope · i + lo + j` for
/// `j < width`.
#[derive(Clone, Debug)]
pub struct View {
    pub param: usize,
    pub slope: usize,
    pub lo: i64,
    pub width: usize,
    /// The lowest offset of the array's loads: where a window's position 0
    /// lies (data code may read lower).
    pub load_lo: Option<i64>,
}

impl View {
    /// The view's length for a chunk of `k` trips: their reads.
    pub fn len(&self, k: usize) -> usize {
        self.slope * (k - 1) + self.width
    }
}

/// A chunked loop.
#[derive(Clone)]
pub struct Chunk {
    /// Trips per chunk.
    pub k: usize,
    pub var: Ident,
    /// The range's bounds, as written.
    pub lo: TokenStream,
    pub hi: TokenStream,
    /// `a..=b`: `hi` is the last trip's item.
    pub inclusive: bool,
    /// The body has `if`s (branch-free ones, see `trips`): a term may be
    /// chosen by a select, and the terms go through memory
    /// (`__private::lanes::stored`).
    pub selects: bool,
    /// The running sum's header (its value before the trip), its one
    /// operation in the body (`acc = prim(h, term)` in `form`'s order), and
    /// that operation's term.
    pub head: Temp,
    pub acc: Temp,
    pub prim: crate::rules::Prim,
    pub term: Operand,
    pub form: Form,
    pub views: Vec<View>,
    /// The loads that read through a view: the view and the position
    /// trip 0 reads (trip `k` reads `slope · k` further).
    pub loads: HashMap<Temp, (usize, usize)>,
    /// The data code that reads through views, rewritten.
    pub code: HashMap<Code, TokenStream>,
}

/// Data code in a loop's body: a passive `Set`, or a verbatim statement
/// (by its text: the loop's variable is bound once, so the same text
/// reads the same elements wherever it stands).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Code {
    Set(Temp),
    Verbatim(String),
}

impl Chunk {
    /// The view of parameter `p`.
    pub fn view_of(&self, p: usize) -> Option<usize> {
        self.views.iter().position(|v| v.param == p)
    }
}

/// The chunked loops (by trip count). `arrays`: the positions of the
/// function's array parameters (slices, `Vec`s, arrays: `get` takes a range).
/// `float`: the function's float type. `branchless`: the `if`s the sweeps
/// run branch-free, by condition.
pub fn plan(body: &Block, temps: &[TempInfo], seeded: &HashMap<Temp, Coef>, arrays: &[(usize, Ident)], float: &Ident, branchless: &HashMap<Temp, Branchless>) -> HashMap<Temp, Chunk> {
    let rebound = bound_or_changed(body);
    let arrays: Vec<(usize, Ident)> = arrays.iter().filter(|(_, n)| !rebound.contains(&n.to_string())).cloned().collect();
    let mut out = HashMap::new();
    for l in super::loops(body) {
        if seeded.contains_key(&l.count) {
            if let Some(mut c) = trips(float, &l.body, branchless).and_then(|k| of_loop(l, temps, &arrays, k)) {
                c.selects = ifs(&l.body, &|_| true);
                out.insert(l.count, c);
            }
        }
    }
    out
}

fn of_loop(l: &Loop, temps: &[TempInfo], arrays: &[(usize, Ident)], k: usize) -> Option<Chunk> {
    let LoopHead::For { pat, iter } = &l.head else { return None };
    let var = syn::parse2::<Ident>(pat.clone()).ok()?;
    let range = syn::parse2::<syn::Expr>(iter.clone()).ok()?;
    let syn::Expr::Range(r) = crate::syntax::strip(&range).clone() else { return None };
    let (Some(lo), Some(hi)) = (r.start, r.end) else { return None };
    let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
    if range_step(&range) != Some(1) || !super::loops(&l.body).is_empty() || !super::recompute::never_breaks(l) || int_cast(&l.body) {
        return None;
    }
    let (acc, prim, term, form) = accumulation(l, temps)?;
    // Each array's reads, `(slope, offset)`: its loads (all of them, when
    // each is affine) and the reads in data code (`y[i]` in a passive
    // `Set` or a `let`; only where the body binds the loop's variable
    // nowhere again).
    let mut reads: HashMap<usize, Vec<(i64, i64)>> = HashMap::new();
    let mut load_at: HashMap<Temp, (usize, i64)> = HashMap::new();
    for (p, _) in arrays {
        if let Some(acc) = affine_accesses(Arr::Param(*p), l, temps) {
            for a in acc {
                let Some(dst) = a.dst else { continue };
                reads.entry(*p).or_default().push(a.at);
                load_at.insert(dst, (*p, a.at.1));
            }
        }
    }
    let names: HashMap<String, usize> = arrays.iter().map(|(p, n)| (n.to_string(), *p)).collect();
    let data = if bound_or_changed(&l.body).contains(&var.to_string()) { Vec::new() } else { data_code(&l.body) };
    let mut finder = DataReads { var: var.to_string(), names: &names, found: Vec::new(), rewrite: None, hits: 0 };
    for (_, e) in &data {
        finder.visit_stmt_mut(&mut e.clone());
    }
    for (p, at) in finder.found {
        reads.entry(p).or_default().push(at);
    }
    // One view per array read at one slope ≥ 1.
    let mut views = Vec::new();
    let mut ps: Vec<usize> = reads.keys().copied().collect();
    ps.sort();
    for p in ps {
        let rs = &reads[&p];
        let slope = rs[0].0;
        if slope < 1 || rs.iter().any(|(s, _)| *s != slope) {
            continue;
        }
        let lo = rs.iter().map(|(_, o)| *o).min()?;
        let hi = rs.iter().map(|(_, o)| *o).max()?;
        let load_lo = load_at.values().filter(|(q, _)| *q == p).map(|(_, o)| *o).min();
        views.push(View { param: p, slope: slope as usize, lo, width: (hi - lo + 1) as usize, load_lo });
    }
    if views.is_empty() {
        return None;
    }
    let at = |p: usize, off: i64| views.iter().position(|v| v.param == p).map(|id| (id, (off - views[id].lo) as usize));
    let loads = load_at.into_iter().filter_map(|(dst, (p, off))| Some((dst, at(p, off)?))).collect();
    let mut rewrite = DataReads { var: var.to_string(), names: &names, found: Vec::new(), rewrite: Some((l.count, &views)), hits: 0 };
    let mut code = HashMap::new();
    for (at, mut e) in data {
        rewrite.hits = 0;
        rewrite.visit_stmt_mut(&mut e);
        if rewrite.hits > 0 {
            code.insert(at, e.to_token_stream());
        }
    }
    Some(Chunk { k, var, lo: lo.to_token_stream(), hi: hi.to_token_stream(), inclusive, selects: false, head: l.backedge[0].0, acc, prim, term, form, views, loads, code })
}

/// Data code in a block (nested blocks included), parsed: its passive
/// `Set`s and its verbatim statements (`let b = &y[i];`).
fn data_code(b: &[Stmt]) -> Vec<(Code, syn::Stmt)> {
    let mut out = Vec::new();
    for s in b {
        match s {
            Stmt::Set { dst, expr } => {
                if let Ok(e) = syn::parse2::<syn::Expr>(expr.clone()) {
                    out.push((Code::Set(*dst), syn::Stmt::Expr(e, None)));
                }
            }
            Stmt::Verbatim(ts) => {
                if let Ok(st) = syn::parse2::<syn::Stmt>(ts.clone()) {
                    out.push((Code::Verbatim(ts.to_string()), st));
                }
            }
            _ => {}
        }
        s.children().into_iter().for_each(|c| out.extend(data_code(c)));
    }
    out
}

/// Reads `a[index]` of array parameters in data code with `index` affine
/// in the loop variable (alone, with a slope ≥ 1): found, or with
/// `rewrite`, replaced by a read of the chunk's view.
struct DataReads<'a> {
    var: String,
    names: &'a HashMap<String, usize>,
    found: Vec<(usize, (i64, i64))>,
    rewrite: Option<(Temp, &'a [View])>,
    hits: usize,
}

impl VisitMut for DataReads<'_> {
    // A closure's parameters may shadow the loop's variable.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if let syn::Expr::Index(ix) = e {
            let p = match &*ix.expr {
                syn::Expr::Path(path) => path.path.get_ident().and_then(|i| self.names.get(&i.to_string())).copied(),
                _ => None,
            };
            let env: HashMap<String, Option<Affine>> = [(self.var.clone(), Some((1, 0)))].into_iter().collect();
            if let (Some(p), Some(at)) = (p, affine(&ix.index, &env).filter(|a| a.0 >= 1)) {
                match self.rewrite {
                    None => self.found.push((p, at)),
                    Some((count, views)) => {
                        if let Some(id) = views.iter().position(|v| v.param == p && v.slope as i64 == at.0) {
                            let (w, slope, pos) = (view(count, id), views[id].slope, (at.1 - views[id].lo) as usize);
                            *e = syn::parse_quote!(#w[#slope * __gd_k + #pos]);
                            self.hits += 1;
                        }
                    }
                }
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}

/// `__gd_cv{loop}_{k}`: a chunk's view of its reads of one array.
pub fn view(count: Temp, k: usize) -> Ident {
    Ident::new(&format!("__gd_cv{}_{}", count.0, k), Span::call_site())
}

/// The running sum's one operation `acc = h ± term`, at the top level of
/// the body, when no user code reads the sum (through the aliases that
/// bind it) and every other write of it is a copy.
fn accumulation(l: &Loop, temps: &[TempInfo]) -> Option<(Temp, crate::rules::Prim, Operand, Form)> {
    let [(h, _)] = l.backedge[..] else { return None };
    let mut chain: HashSet<Temp> = [h].into_iter().collect();
    let mut ops = Vec::new();
    let mut aliases = HashSet::new();
    let on = |o: &Operand, chain: &HashSet<Temp>| matches!(o, Operand::Temp(x) if chain.contains(x));
    let is_h = |o: &Operand| matches!(o, Operand::Temp(x) if *x == h);
    for s in &l.body {
        match s {
            Stmt::Op { dst, prim, args } if args.iter().any(|a| on(a, &chain)) => {
                let form = match (prim.0.name, &args[..]) {
                    ("add", [a, t]) if is_h(a) && !on(t, &chain) => (Form::Left, t),
                    ("add", [t, a]) if is_h(a) && !on(t, &chain) => (Form::Right, t),
                    ("sub", [a, t]) if is_h(a) && !on(t, &chain) => (Form::Sub, t),
                    _ => return None,
                };
                ops.push((*dst, *prim, form.1.clone(), form.0));
                chain.insert(*dst);
            }
            Stmt::Copy { dst, src } if on(src, &chain) => {
                chain.insert(*dst);
            }
            Stmt::Alias { name, src, .. } if chain.contains(src) => {
                aliases.insert(name.to_string());
            }
            _ => {}
        }
    }
    // Anything else touching the chain (in a branch, say) or reading the
    // aliases leaves the loop as it is.
    let [(acc, prim, ref term, form)] = ops[..] else { return None };
    let mut named = HashSet::new();
    super::user_code::block_idents(&l.body, &mut named);
    if named.iter().any(|n| aliases.contains(n)) || temps[acc.0].ty != Ty::Float {
        return None;
    }
    let mut reads = HashMap::new();
    super::fused::count_reads(&l.body, &mut reads);
    // `h` read by the operation alone, the others by the copies above
    // (the back edge's read is not the body's).
    let copies = l.body.iter().filter(|s| matches!(s, Stmt::Copy { src: Operand::Temp(x), .. } if chain.contains(x))).count();
    let chain_reads: usize = chain.iter().map(|x| reads.get(x).copied().unwrap_or(0)).sum();
    (chain_reads == 1 + copies).then(|| (acc, prim, term.clone(), form))
}

/// Whether user code casts to a 64-bit integer type (`i as usize`), which
/// the affine forms of `plan::window` follow: the loop variable could then
/// be of another integer type than `usize`.
fn int_cast(b: &[Stmt]) -> bool {
    fn casts(ts: &TokenStream) -> bool {
        let toks: Vec<proc_macro2::TokenTree> = ts.clone().into_iter().collect();
        toks.windows(2).any(|w| matches!(w, [proc_macro2::TokenTree::Ident(a), proc_macro2::TokenTree::Ident(t)] if a == "as" && ["usize", "isize", "u64", "i64"].iter().any(|n| t == n)))
            || toks.iter().any(|t| matches!(t, proc_macro2::TokenTree::Group(g) if casts(&g.stream())))
    }
    b.iter().any(|s| match s {
        Stmt::Verbatim(ts) | Stmt::Set { expr: ts, .. } => casts(ts),
        _ => s.children().into_iter().any(|c| int_cast(c)),
    })
}
