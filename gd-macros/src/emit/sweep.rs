//! The forward and reverse sweeps.
//!
//! Reverse mode keeps every temporary in a hoisted local. A loop overwrites
//! its body's temporaries on each trip, so at the end of each trip it pushes
//! the ones the reverse sweep reads (its *snapshot*) on a typed value stack,
//! and the reverse sweep pops them before replaying that trip backwards
//! (Tapenade's PUSH/POP). Loop trip counts and branch decisions are such
//! values too. Straight-line code and branches outside loops push nothing.

use std::collections::HashSet;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::names::{self, b, d, t};
use crate::ir::*;
use crate::plan::chunk::Code;
use crate::rules;
use crate::plan::recompute::{is_range, is_reversible_range, never_breaks, taint};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward sweep of reverse mode: record what the reverse sweep needs.
    Record,
    /// Forward mode: tangents beside the primal.
    Tangent,
    /// The primal alone: the first pass over a loop that the reverse sweep
    /// recomputes (see `recomputes`).
    Primal,
}

pub struct Sweeps<'a> {
    pub f: &'a Ident,
    /// The scalar type the sweeps compute in: `F`, or `Dual<F>` for the copy
    /// of the reverse sweep that second derivatives run through.
    pub s: TokenStream,
    pub dual: bool,
    /// The dual copy over `Lanes<F>` (`__gd_vjp_lanes`, see `emit::lanes`):
    /// `dual` too, calls go to the callees' lanes copies.
    pub lanes: bool,
    /// `F`'s zero in the scalar type.
    pub zero: TokenStream,
    pub krate: TokenStream,
    pub temps: &'a [TempInfo],
    /// Array parameter names by position.
    pub params: &'a [Ident],
    pub locals: usize,
    /// Temporaries the reverse sweep reads.
    pub needed: HashSet<Temp>,
    /// Loops (by trip-count temp) whose trips the reverse sweep recomputes.
    pub recomputed: HashSet<Temp>,
    /// Saving loops that bind their pattern again in the reverse sweep, for
    /// the recomputed loops inside them.
    pub rebinding: HashSet<Temp>,
    /// Saving loops that take their items again, with the statements of
    /// their bodies they run again (by position; see `plan::retake`).
    pub retaken: std::collections::HashMap<Temp, Vec<usize>>,
    /// Accumulator loops whose trips are reversed in the forward sweep (see `fused`).
    pub fused: HashSet<Temp>,
    /// `#[checkpoint]` loops and their snapshots (see `plan::checkpoint`
    /// and `emit::checkpoint`); also in `recomputed`.
    pub checkpointed: std::collections::HashMap<Temp, crate::plan::checkpoint::Plan>,
    /// The fused loops whose accumulator's adjoint is the seed (see `fused`).
    pub seeded: std::collections::HashMap<Temp, crate::plan::fused::Coef>,
    /// The pullback temporaries this sweep fills (see `call::live_pullbacks`).
    pub pullbacks: HashSet<Temp>,
    /// Temporaries set to a borrow of a by-value parameter that hold a copy
    /// instead (`__gd_split`; see `Lowered::param_borrows`).
    pub copied: HashSet<Temp>,
    /// Matrix copies `(dst, src)` that move their source (see `tensor::plan_moves`).
    pub moves: HashSet<(Temp, Temp)>,
    /// The seeded loops' reads whose gradient goes through a window's
    /// registers (see `plan::window`); in `__gd_vjp_set`, those that assign.
    pub window: crate::plan::window::WindowPlan,
    /// Local arrays whose adjoints are sized at creation, because seeded
    /// loops add into them in the forward sweep (`plan::fused::seeded_local_reads`).
    early: HashSet<usize>,
    /// Local arrays created outside every loop (once per call): their
    /// adjoints are made with `vec!` (see `Sweeps::adjoint_array`).
    once: HashSet<usize>,
    /// Local arrays held, with their adjoints, as slices of room in the
    /// sweep's frame (`plan::room`); not in the dual copies (their elements
    /// are wide) nor in a split (its pullback outlives the frame).
    rooms: HashSet<usize>,
    /// Loads in seeded loops whose trip assigns the local array's adjoint,
    /// the first write to it (`plan::carry::first_writes`).
    first_writes: HashSet<Temp>,
    /// While a fused loop's trip reverse is emitted: where the adjoints of
    /// outside temporaries and parameter arrays go instead (its scratch).
    /// While a loop's first trip is reversed: headers whose adjoint is dead
    /// there (see `reverse_trip`).
    pub dead: std::cell::RefCell<HashSet<Temp>>,
    pub redirect: std::cell::RefCell<(std::collections::HashMap<Temp, Ident>, std::collections::HashMap<usize, Ident>)>,
    /// Loops whose reads of data take row slices (see `plan::rows`).
    pub rows: std::collections::HashMap<Temp, crate::plan::rows::Rows>,
    /// While a loop's copy that reads rows is emitted: its `Set`s' expressions.
    subst: std::cell::RefCell<std::collections::HashMap<Temp, TokenStream>>,
    /// Replayed loops that save and reverse only the trips where their
    /// running `max`/`min` does not win (see `plan::select`).
    pub selects: std::collections::HashMap<Temp, crate::plan::select::Select>,
    /// Loads of local arrays whose adjoints go to registers carried to the
    /// store of an earlier trip (see `plan::carry`).
    pub carry: crate::plan::carry::CarryPlan,
    /// Temporaries whose adjoints are kept scaled by a power of two (see
    /// `plan::pow2`); empty: every factor printed where it arises.
    pub scales: crate::plan::pow2::Scales,
    /// Literal operands and `powi` exponents, for the rules' splits.
    pub consts: crate::plan::pow2::Consts,
    /// `if`s run without a branch, by condition (see `plan::branchless`).
    pub branchless: std::collections::HashMap<Temp, crate::plan::branchless::Branchless>,
    /// Scratch registers numbered so far for branch-free `if`s' reverses.
    pub(super) scratch: std::cell::Cell<usize>,
    /// While the reverse of a loop's trip is emitted right after its
    /// forward or its replay, in the same trip (a fused loop's, a replayed
    /// one's): that loop. Its branch-free `if`s' reverses select on the
    /// masks that forward made (see `plan::float_cmp`).
    pub(super) trip: std::cell::Cell<Option<Temp>>,
    /// Seeded loops run in chunks of trips (see `plan::chunk`); none in the
    /// dual copies.
    pub chunks: std::collections::HashMap<Temp, crate::plan::chunk::Chunk>,
    /// While a chunk's trip is emitted: its loop.
    pub(super) chunking: std::cell::Cell<Option<Temp>>,
}


impl<'a> Sweeps<'a> {
    pub fn new(f: &'a Ident, dual: bool, temps: &'a [TempInfo], params: &'a [Ident], locals: usize, body: &Block) -> Self {
        let mut needed = HashSet::new();
        collect_needed(body, temps, &mut needed);
        // The reverse sweep reads the pullbacks this sweep fills.
        let pullbacks = super::call::live_pullbacks(body, temps, dual, false);
        needed.extend(pullbacks.iter().copied());
        let krate = crate::krate();
        let (s, zero) = if dual {
            (quote!(#krate::__private::Dual<#f>), quote!(#krate::__private::Dual::<#f>::NEG_ZERO))
        } else {
            // Adjoints are reset to -0.0, not 0.0: `-0.0 + x == x` for every x,
            // so the compiler can drop the first `+=` after a reset, which it
            // may not do for `0.0 + x` (that would turn -0.0 into 0.0).
            (quote!(#f), quote!(-0.0))
        };
        let crate::plan::Loops { recomputed, rebinding, retaken, seeded, fused, checkpointed, selects } = crate::plan::Loops::of(body, temps);
        let early = crate::plan::fused::seeded_local_reads(body, &seeded);
        let first_writes = crate::plan::carry::first_writes(body, temps, &seeded, &early);
        let once = crate::plan::room::created_outside_loops(body);
        let rooms = if dual { HashSet::new() } else { crate::plan::room::rooms(body) };
        let redirect = Default::default();
        let moves = super::tensor::plan_moves(body, temps, &needed);
        // Loops whose reverse does not take their trips one by one, last first.
        let excluded = fused.iter().chain(checkpointed.keys()).chain(selects.keys()).copied().collect();
        let carry = crate::plan::carry::CarryPlan::of(body, temps, &excluded);
        let branchless = crate::plan::branchless::plan(body, temps);
        Sweeps { f, s, dual, lanes: false, zero, krate, temps, params, locals, needed, recomputed, rebinding, retaken, fused, checkpointed, seeded, early, once, rooms, first_writes, dead: Default::default(), pullbacks, copied: HashSet::new(), redirect, moves, window: Default::default(), rows: Default::default(), subst: Default::default(), selects, carry, scales: Default::default(), consts: crate::plan::pow2::Consts::of(body), branchless, scratch: Default::default(), trip: Default::default(), chunks: Default::default(), chunking: Default::default() }
    }

    /// The lanes copy: the dual copy over `DualN<F, K>`, `K` tangents per
    /// sweep, generic over `K` (`__GD_K`, see `emit::lanes`).
    ///
    /// The scalar type is written `__gd_S` (which `emit::lanes::name_scalar`
    /// turns into `__gd_S<__GD_K>`, an alias generic over the lane count)
    /// and its zero is a local, `__gd_nz`: spelling out
    /// `::gd::__private::DualN::<f64, __GD_K>` twice per temporary made this
    /// copy twice the size of the plain one, and rustc's front end and
    /// metadata time follow the tokens (README, "Compile cost").
    pub fn into_lanes(&mut self) {
        self.s = quote!(__gd_S);
        self.zero = quote!(__gd_nz);
        self.lanes = true;
        self.rooms.clear();
    }

    /// The dual copy's constant `c` (`Dual::cst(c)` or `Lanes::cst(c)`).
    pub(super) fn dual_cst(&self, c: &TokenStream) -> TokenStream {
        let s = &self.s;
        quote!(<#s>::cst(#c))
    }

    /// This sweep has a `Keep` (`__gd_keep`): calls given the caller's own
    /// matrices split too.
    pub fn with_keep(&mut self, body: &Block) {
        // A superset of those without a `Keep`.
        self.pullbacks = super::call::live_pullbacks(body, self.temps, self.dual, true);
        self.needed.extend(self.pullbacks.iter().copied());
    }

    /// For `__gd_split`, whose reverse sweep runs later in a closure: no
    /// seeded loops (the seed is not known in the forward sweep; they take
    /// the scratch path) and no replayed loops (a replay would rerun user
    /// code, whose bindings the closure cannot take along; they save their
    /// trips instead; so do checkpointed loops).
    pub fn for_split(&mut self, body: &Block) {
        self.seeded.clear();
        self.checkpointed.clear();
        self.early.clear();
        self.first_writes.clear();
        self.recomputed.clear();
        self.rebinding.clear();
        self.retaken.clear();
        self.selects.clear();
        self.fused.clear();
        self.rooms.clear();
        crate::plan::fused::plan_fused(body, self.temps, true, &self.recomputed, &self.seeded, &mut self.fused);
    }

    pub(super) fn operand(&self, o: &Operand) -> TokenStream {
        match o {
            Operand::Temp(x) => {
                let x = t(*x);
                quote!(#x)
            }
            Operand::Const(c) if self.dual => self.dual_cst(c),
            // Typed, so that a method on it (`(2.0 as f64).ln()`) resolves.
            Operand::Const(c) => {
                let f = self.f;
                quote!((#c as #f))
            }
        }
    }

    /// `type __gd_S = ..;`: the scalar type, named in lowered expressions.
    /// The lanes copy's is generic over the lane count (an item in a
    /// function cannot name the function's generic `__GD_K`;
    /// `emit::lanes::name_scalar` writes `__gd_S<__GD_K>` where it is
    /// named), and it has its zero as a local (see `into_lanes`).
    pub fn scalar_alias(&self) -> TokenStream {
        let s = &self.s;
        if self.lanes {
            let (k, f) = (&self.krate, self.f);
            return quote! {
                type __gd_S<const __GD_J: usize> = #k::__private::DualN<#f, __GD_J>;
                let __gd_nz = <__gd_S>::NEG_ZERO;
            };
        }
        quote!(type __gd_S = #s;)
    }

    /// An array's primal values.
    pub(super) fn arr(&self, a: Arr) -> TokenStream {
        match a {
            // The dual copy renames its array parameters (user code sees
            // their primal values under the original names).
            Arr::Param(i) if self.dual => {
                let p = names::dual_param(i);
                quote!(#p)
            }
            Arr::Param(i) => {
                let p = &self.params[i];
                quote!(#p)
            }
            Arr::Local(n) => {
                let v = names::local(n);
                quote!(#v)
            }
        }
    }

    /// A temporary's adjoint (a fused loop's scratch while its trip reverse is emitted).
    pub(super) fn adj(&self, x: Temp) -> Ident {
        self.redirect.borrow().0.get(&x).cloned().unwrap_or_else(|| b(x))
    }

    /// An array's adjoint (`&mut [F]` for a parameter, `Vec<F>` for a local;
    /// a fused loop's scratch while its trip reverse is emitted).
    pub(super) fn arr_adj(&self, a: Arr) -> Ident {
        if let Arr::Param(i) = a {
            if let Some(v) = self.redirect.borrow().1.get(&i) {
                return v.clone();
            }
        }
        match a {
            Arr::Param(i) => names::grad(i),
            Arr::Local(n) => names::local_adj(n),
        }
    }

    pub(super) fn arr_tan(&self, a: Arr) -> Ident {
        match a {
            Arr::Param(i) => names::tangent(i),
            Arr::Local(n) => names::local_tan(n),
        }
    }

    pub(super) fn active(&self, o: &Operand) -> Option<Temp> {
        match o {
            Operand::Temp(x) if self.live(*x) => Some(*x),
            _ => None,
        }
    }

    /// Whether the reverse sweep being emitted takes `x`'s adjoint: active,
    /// and not a header whose adjoint is dead on this trip (see `reverse_trip`).
    pub(super) fn live(&self, x: Temp) -> bool {
        self.temps[x.0].active && !self.dead.borrow().contains(&x)
    }

    /// The reverse of one trip of a saving loop. A matrix carried by the
    /// loop that starts from data (`let mut h = x.clone()`, then
    /// `h = layer(h)`) has a dead adjoint on the first trip: it would only
    /// flow to the data. The last reverse trip is emitted a second time with
    /// that header passive, so no rule makes its adjoint (for an MLP: no
    /// `Wᵀ·z̄` for the input batch). `before`: the statements before the loop.
    fn reverse_trip(&self, l: &Loop, before: &[Stmt]) -> TokenStream {
        let body = self.reverse(&l.body);
        let mut inside = HashSet::new();
        crate::plan::fused::assigned(&l.body, &mut inside);
        let peel: Vec<Temp> = l
            .backedge
            .iter()
            .map(|&(h, _)| h)
            .filter(|h| self.temps[h.0].ty == Ty::Tensor && !inside.contains(h) && starts_from_data(before, *h))
            .collect();
        if peel.is_empty() {
            return body;
        }
        let saved = self.dead.replace(peel.into_iter().collect());
        let first = self.reverse(&l.body);
        self.dead.replace(saved);
        let count = t(l.count);
        quote!(if __gd_trip + 1 == #count { #first } else { #body })
    }

    /// Hoisted declarations of every temporary (and its derivative).
    pub fn decls(&self, mode: Mode) -> TokenStream {
        let (f, z) = (&self.s, &self.zero);
        // The lanes copy's zero is a typed local: its type is the temporaries'.
        let typed = |v: &Ident| if self.lanes { quote!(let mut #v = #z;) } else { quote!(let mut #v: #f = #z;) };
        let mut out = TokenStream::new();
        for (i, info) in self.temps.iter().enumerate() {
            let x = Temp(i);
            let v = t(x);
            out.extend(match info.ty {
                Ty::Float => typed(&v),
                Ty::Usize => quote!(let mut #v: usize = 0;),
                Ty::I32 => quote!(let mut #v: i32 = 0;),
                Ty::Bool => quote!(let mut #v: bool = false;),
                Ty::Inferred | Ty::Tensor => quote!(let mut #v = ::core::option::Option::None;),
                // Assigned (so typed) by the f64 forward sweep only.
                Ty::Pullback if mode != Mode::Record || !self.pullbacks.contains(&x) => continue,
                Ty::Pullback => quote!(let mut #v = ::core::option::Option::None;),
            });
            if info.active {
                let dv = if mode == Mode::Record { b(x) } else { d(x) };
                out.extend(if info.ty == Ty::Tensor {
                    quote!(let mut #dv = ::core::option::Option::None;)
                } else {
                    typed(&dv)
                });
            }
        }
        if mode == Mode::Record {
            out.extend(self.mask_decls(false));
        }
        for n in 0..self.locals {
            let a = names::local(n);
            let da = if mode == Mode::Record { names::local_adj(n) } else { names::local_tan(n) };
            if mode == Mode::Record && self.rooms.contains(&n) {
                let (ra, rda, k) = (room(&a), room(&da), &self.krate);
                out.extend(quote! {
                    let mut #ra = #k::__private::Room::new();
                    let mut #a: &mut [#f] = &mut [];
                    let mut #rda = #k::__private::Room::new();
                    let mut #da: &mut [#f] = &mut [];
                });
                continue;
            }
            out.extend(quote! {
                let mut #a: ::std::vec::Vec<#f> = ::std::vec::Vec::new();
                let mut #da: ::std::vec::Vec<#f> = ::std::vec::Vec::new();
            });
        }
        out
    }

    /// Value stacks for the loops' snapshots. `inline` (a sweep that ends in
    /// the frame it starts in): each over room in the frame, moving to a
    /// pooled vector only when that fills (`__private::Stack`), which gives it
    /// back when dropped. Otherwise (the split sweep's pullback takes its
    /// stacks away) vectors taken from, and in `stacks_end` given back to, a
    /// per-thread pool, so that repeated calls do not allocate.
    pub fn stacks(&self, body: &Block, krate: &TokenStream, inline: bool) -> TokenStream {
        let mut out = self.fused_decls(body);
        for l in loops(body).into_iter().filter(|l| !self.fused.contains(&l.count)) {
            if self.saves_item(l) {
                let s = names::stack(&format!("item{}", l.count.0));
                out.extend(quote!(let mut #s = ::std::vec::Vec::new();));
            }
            if self.checkpoints(l) {
                let s = super::checkpoint::starts(l);
                out.extend(quote!(let mut #s = ::std::vec::Vec::new();));
            }
        }
        for (x, ty) in self.stack_kinds(body) {
            let s = self.stack_of(x);
            out.extend(match ty {
                Ty::Float if self.dual => quote!(let mut #s = ::std::vec::Vec::new();),
                Ty::Inferred | Ty::Tensor | Ty::Pullback => quote!(let mut #s = ::std::vec::Vec::new();),
                _ if inline => {
                    let room = quote::format_ident!("{s}_room");
                    quote! {
                        let mut #room = #krate::__private::Inline::new();
                        let mut #s = #krate::__private::Stack::new(&mut #room);
                    }
                }
                _ => quote!(let mut #s = #krate::__private::take_stack();),
            });
        }
        out
    }

    pub fn stacks_end(&self, body: &Block, krate: &TokenStream, inline: bool) -> TokenStream {
        let mut out = self.fused_end(body);
        for (x, ty) in self.stack_kinds(body).into_iter().filter(|_| !inline) {
            if !matches!(ty, Ty::Inferred | Ty::Tensor | Ty::Pullback) && !(ty == Ty::Float && self.dual) {
                let s = self.stack_of(x);
                out.extend(quote!(#krate::__private::give_stack(#s);));
            }
        }
        out
    }

    /// One representative temporary per stack in use.
    fn stack_kinds(&self, body: &Block) -> Vec<(Temp, Ty)> {
        let mut saved = Vec::new();
        self.all_snapshots(body, &mut saved);
        let mut seen = HashSet::new();
        saved
            .into_iter()
            .filter(|x| seen.insert(self.stack_of(*x).to_string()))
            .map(|x| (x, self.temps[x.0].ty))
            .collect()
    }

    fn all_snapshots(&self, b: &Block, out: &mut Vec<Temp>) {
        for s in b {
            if let Stmt::Loop(l) = s {
                if self.fused.contains(&l.count) || self.checkpoints(l) {
                    // Reversed trip by trip in the forward sweep, or
                    // checkpointed (its own stack): saves nothing here.
                } else if self.recomputes(l) {
                    out.extend(self.trip_inputs(l));
                    if self.selects.contains_key(&l.count) {
                        // The saved trips' positions (`emit::select`), on the usize stack.
                        out.push(l.count);
                    }
                } else {
                    out.extend(self.snapshot(l));
                }
            }
            for c in s.children() {
                self.all_snapshots(c, out);
            }
        }
    }

    pub(super) fn stack_of(&self, x: Temp) -> Ident {
        names::stack(match self.temps[x.0].ty {
            Ty::Float => "f",
            Ty::Usize => "u",
            Ty::I32 => "i",
            Ty::Bool => "b",
            Ty::Inferred | Ty::Tensor | Ty::Pullback => return names::stack(&x.0.to_string()),
        })
    }

    pub fn forward(&self, block: &[Stmt], mode: Mode) -> TokenStream {
        let (f, sc) = (self.f, &self.s);
        let mut out = TokenStream::new();
        for s in block {
            out.extend(match s {
                Stmt::Op { dst, .. } if mode == Mode::Record && self.chunk_acc(*dst).is_some() => self.chunk_acc(*dst).unwrap(),
                Stmt::Op { dst, prim, args } => {
                    let a: Vec<TokenStream> = args.iter().map(|o| self.operand(o)).collect();
                    let v = t(*dst);
                    let p = rules::primal(*prim, &a, sc, rules::Target::Cpu);
                    let mut o = quote!(#v = #p;);
                    if mode == Mode::Tangent {
                        let parts = rules::partials(*prim, &a, &quote!(#v), f);
                        let terms: Vec<TokenStream> = args
                            .iter()
                            .zip(parts)
                            .filter_map(|(arg, p)| {
                                let x = self.active(arg)?;
                                let dx = d(x);
                                let p = p?;
                                Some(quote!(#p * #dx))
                            })
                            .collect();
                        let dv = d(*dst);
                        let z = self.tzero();
                        o.extend(if terms.is_empty() { quote!(#dv = #z;) } else { quote!(#dv = #(#terms)+*;) });
                    }
                    o
                }
                Stmt::Copy { dst, src } if self.temps[dst.0].ty == Ty::Tensor => self.forward_tcopy(*dst, src, mode),
                Stmt::Copy { dst, src } => {
                    let (v, s) = (t(*dst), self.operand(src));
                    let mut o = quote!(#v = #s;);
                    if mode == Mode::Tangent && self.temps[dst.0].active {
                        let dv = d(*dst);
                        o.extend(match self.active(src) {
                            Some(x) => {
                                let dx = d(x);
                                quote!(#dv = #dx;)
                            }
                            None => {
                                let z = self.tzero();
                                quote!(#dv = #z;)
                            }
                        });
                    }
                    o
                }
                Stmt::Load { dst, .. } if mode == Mode::Record && self.chunk_load(*dst).is_some() => self.chunk_load(*dst).unwrap(),
                Stmt::Load { dst, array, index } => {
                    let (v, k, arr) = (t(*dst), t(*index), self.arr(*array));
                    let mut o = quote!(#v = #arr[#k];);
                    if mode == Mode::Tangent {
                        let (dv, ta) = (d(*dst), self.arr_tan(*array));
                        o.extend(quote!(#dv = #ta[#k];));
                    }
                    o
                }
                Stmt::ArrNew { arr, len, init, .. } => {
                    let (a, n, v) = (names::local(*arr), t(*len), self.operand(init));
                    let mut o = if mode != Mode::Tangent && self.rooms.contains(arr) {
                        let ra = room(&a);
                        quote!(#a = #ra.filled(#v, #n);)
                    } else {
                        quote!(#a = ::std::vec![#v; #n];)
                    };
                    if mode == Mode::Tangent {
                        let (da, dv) = (names::local_tan(*arr), self.tangent_of(init));
                        o.extend(quote!(#da = ::std::vec![#dv; #n];));
                    } else if self.early.contains(arr) {
                        // Seeded loops add into it from the forward sweep on.
                        o.extend(self.adjoint_array(*arr, &n));
                    }
                    o
                }
                Stmt::Store { arr, index, src } => {
                    let (a, k, v) = (names::local(*arr), t(*index), self.operand(src));
                    let mut o = quote!(#a[#k] = #v;);
                    if mode == Mode::Tangent {
                        let (da, dv) = (names::local_tan(*arr), self.tangent_of(src));
                        o.extend(quote!(#da[#k] = #dv;));
                    }
                    o
                }
                Stmt::Push { arr, src } => {
                    let (a, v) = (names::local(*arr), self.operand(src));
                    let mut o = quote!(#a.push(#v););
                    if mode == Mode::Tangent {
                        let (da, dv) = (names::local_tan(*arr), self.tangent_of(src));
                        o.extend(quote!(#da.push(#dv);));
                    }
                    o
                }
                // A room's slice as a shared slice (`&&mut [F]` is no
                // `IntoIterator`, as the user's `&Vec<F>` is).
                Stmt::AliasArr { name, arr } if mode != Mode::Tangent && self.rooms.contains(arr) => {
                    let a = names::local(*arr);
                    quote!(let #name: &[_] = &*#a;)
                }
                Stmt::AliasArr { name, arr } => {
                    let a = names::local(*arr);
                    quote!(let #name = &#a;)
                }
                Stmt::Seed { .. } => TokenStream::new(),
                Stmt::TOp { dst, rule, args, span } => self.forward_top(*dst, rule, args, *span, mode),
                Stmt::TMap { dst, deriv, arg, f } => {
                    self.forward_tmap(*dst, *deriv, arg, &super::api::elementwise_closure(f, self.dual), !f.captures, mode)
                }
                // Data copied into a differentiated matrix: in the dual copy,
                // a constant dual matrix.
                Stmt::Set { dst, expr } if self.dual && self.temps[dst.0].active && self.temps[dst.0].ty == Ty::Tensor => {
                    let (v, k) = (t(*dst), &self.krate);
                    quote!(#v = (#expr).map(|__gd_x| #k::__private::tensor::lift(&__gd_x));)
                }
                Stmt::Set { dst, expr } if self.copied.contains(dst) => {
                    let (v, k) = (t(*dst), &self.krate);
                    quote!(#v = (#expr).map(|__gd_x| #k::__private::tensor::own(__gd_x));)
                }
                Stmt::Set { dst, .. } if mode != Mode::Tangent && self.masked(*dst) => self.set_mask(*dst),
                Stmt::Set { dst, .. } if mode == Mode::Record && self.chunk_code(&Code::Set(*dst)).is_some() => self.chunk_code(&Code::Set(*dst)).unwrap(),
                Stmt::Set { dst, expr } => {
                    let v = t(*dst);
                    let e = self.subst.borrow().get(dst).cloned().unwrap_or_else(|| expr.clone());
                    quote!(#v = #e;)
                }
                Stmt::Verbatim(ts) if mode == Mode::Record && self.chunk_code(&Code::Verbatim(ts.to_string())).is_some() => self.chunk_code(&Code::Verbatim(ts.to_string())).unwrap(),
                Stmt::Verbatim(ts) => ts.clone(),
                Stmt::Alias { name, src, by_ref } => {
                    let v = t(*src);
                    // The dual copy shows user code the primal value.
                    let k = &self.krate;
                    let v = if self.temps[src.0].ty == Ty::Tensor && self.dual {
                        quote!(#k::__private::tensor::primal(#v.as_ref().unwrap()))
                    } else if self.dual {
                        quote!(#v.re)
                    } else if self.temps[src.0].ty == Ty::Tensor {
                        quote!(#v.as_ref().unwrap())
                    } else {
                        quote!(#v)
                    };
                    if *by_ref {
                        quote!(let #name = &{ #v };)
                    } else {
                        quote!(let #name = #v;)
                    }
                }
                Stmt::Call { dst, path, args, pullback } => self.forward_call(*dst, path, args, *pullback, mode),
                Stmt::CallArr { arr, path, args, ty } => self.forward_call_outputs(*arr, path, args, ty, mode),
                Stmt::If { cond, then, els } if mode != Mode::Tangent && !self.dual && self.branchless.contains_key(cond) => {
                    self.forward_branchless(*cond, then, els, mode)
                }
                Stmt::If { cond, then, els } => {
                    let (c, a, e) = (t(*cond), self.forward(then, mode), self.forward(els, mode));
                    quote!(if #c { #a } else { #e })
                }
                Stmt::Loop(l) => self.versioned(l, || self.forward_loop(l, mode)),
                Stmt::Scope(b) => {
                    let inner = self.forward(b, mode);
                    quote!({ #inner })
                }
            });
        }
        out
    }

    fn forward_loop(&self, l: &Loop, mode: Mode) -> TokenStream {
        if mode == Mode::Record && self.fused.contains(&l.count) {
            return self.forward_fused(l);
        }
        let recompute = mode == Mode::Record && self.recomputes(l);
        let rebind = mode == Mode::Record && self.rebinding.contains(&l.count);
        let head = match (&l.head, recompute || rebind) {
            (LoopHead::Loop, _) => quote!(loop),
            (LoopHead::For { iter, .. }, true) => quote!(for __gd_item in #iter),
            (LoopHead::For { pat, iter }, false) => quote!(for #pat in #iter),
        };
        // A recomputed body runs as plain primal code the first time.
        let body = self.forward(&l.body, if recompute { Mode::Primal } else { mode });
        let brk = t(l.brk);
        let back: Vec<TokenStream> = l
            .backedge
            .iter()
            .map(|&(h, end)| {
                let (hv, ev) = (t(h), t(end));
                // A matrix is not Copy: the end value moves (nothing reads it
                // but the back edge).
                let clone = (self.temps[h.0].ty == Ty::Tensor).then(|| quote!(.take()));
                if mode == Mode::Tangent {
                    let (hd, ed) = (d(h), d(end));
                    quote!(#hv = #ev #clone; #hd = #ed #clone;)
                } else {
                    quote!(#hv = #ev #clone;)
                }
            })
            .collect();
        match mode {
            Mode::Record if self.checkpoints(l) => self.forward_checkpointed(l, &head, &body, &back),
            Mode::Tangent | Mode::Primal => quote! {
                #head {
                    #body
                    #(#back)*
                    if #brk { break; }
                }
            },
            Mode::Record if recompute && self.selects.contains_key(&l.count) => self.forward_select(l, &body, &back),
            Mode::Record if recompute => {
                let count = t(l.count);
                let pushes = self.trip_inputs(l).into_iter().map(|x| {
                    let (s, v) = (self.stack_of(x), t(x));
                    quote!(#s.push(#v);)
                });
                let (item_push, bind) = self.item_binding(l, true);
                quote! {
                    #count = 0;
                    #head {
                        #count += 1;
                        #(#pushes)*
                        #item_push
                        #bind
                        #body
                        #(#back)*
                        if #brk { break; }
                    }
                }
            }
            Mode::Record => {
                let count = t(l.count);
                let pushes = self.snapshot(l).into_iter().map(|x| {
                    let (s, v) = (self.stack_of(x), t(x));
                    if matches!(self.temps[x.0].ty, Ty::Tensor | Ty::Pullback) {
                        // Nothing reads a matrix of this trip after its
                        // snapshot (end values are never needed, so never in
                        // it; headers are reassigned by the back edge): move it.
                        quote!(#s.push(#v.take());)
                    } else if self.temps[x.0].ty == Ty::Inferred {
                        quote!(#s.push(#v.clone());)
                    } else {
                        quote!(#s.push(#v);)
                    }
                });
                let (item_push, bind) = if rebind { self.item_binding(l, true) } else { Default::default() };
                quote! {
                    #count = 0;
                    #head {
                        #count += 1;
                        #item_push
                        #bind
                        #body
                        #(#pushes)*
                        #(#back)*
                        if #brk { break; }
                    }
                }
            }
        }
    }

    /// A loop that reads rows (see `plan::rows`): its bounds and rows taken
    /// once; when all rows are in bounds, the copy of `emit` that reads
    /// them, else `emit` as written.
    fn versioned(&self, l: &Loop, emit: impl Fn() -> TokenStream) -> TokenStream {
        let Some(r) = self.rows.get(&l.count).filter(|_| !self.checkpoints(l)) else { return emit() };
        let slow = emit();
        let saved = self.subst.borrow().clone();
        self.subst.borrow_mut().extend(r.sets.iter().map(|(k, v)| (*k, v.clone())));
        let fast = emit();
        self.subst.replace(saved);
        let (lo, lo_v, hi) = (&r.lo, crate::plan::rows::lo(l.count), &r.hi);
        let names: Vec<Ident> = (0..r.rows.len()).map(|k| crate::plan::rows::row(l.count, k)).collect();
        // `lo < hi` (tested first), so `base + lo` cannot overflow where
        // `base + hi` does not: one checked add.
        let gets = r.rows.iter().map(|(a, base)| {
            quote! {{
                let __gd_base: usize = #base;
                __gd_base.checked_add(__gd_hi).and_then(|__gd_b| #a.get(__gd_base + #lo_v..__gd_b))
            }}
        });
        let (somes, nones) = (names.iter().map(|n| quote!(::core::option::Option::Some(#n))), names.iter().map(|_| quote!(::core::option::Option::None)));
        quote! {{
            let (#lo_v, __gd_hi): (usize, usize) = (#lo, #hi);
            // An empty range reads nothing (and its base may not be computable).
            match if #lo_v < __gd_hi { (#(#gets,)*) } else { (#(#nones,)*) } {
                (#(#somes,)*) => { #fast }
                _ => { #slow }
            }
        }}
    }

    /// The reverse of a loop's back edge `h = end`: `end`'s adjoint takes `h`'s.
    pub(super) fn backedge_adjoint(&self, h: Temp, end: Temp) -> TokenStream {
        let (bh, be, z, k) = (self.adj(h), self.adj(end), &self.zero, &self.krate);
        if self.temps[h.0].ty == Ty::Tensor {
            quote! {
                if let ::core::option::Option::Some(__gd_x) = #bh.take() {
                    #k::__private::tensor::acc(&mut #be, __gd_x);
                }
            }
        } else {
            quote!(#be += #bh; #bh = #z;)
        }
    }

    /// Whether this loop is checkpointed (see `emit::checkpoint`).
    pub(super) fn checkpoints(&self, l: &Loop) -> bool {
        self.checkpointed.contains_key(&l.count)
    }

    /// Whether the reverse sweep recomputes this loop's trips (see `plan_recompute`).
    pub(super) fn recomputes(&self, l: &Loop) -> bool {
        self.recomputed.contains(&l.count)
    }

    /// What a recomputed loop saves at the start of each trip: the carried
    /// values whose replayed value matters. A carried value that reaches no
    /// value the reverse sweep reads (a running sum: `s = s + ..`) is not
    /// saved; its replay may see a stale value that nothing reads.
    pub(super) fn trip_inputs(&self, l: &Loop) -> Vec<Temp> {
        // An accumulator replayed in forward order needs no trip's inputs.
        if self.accumulating_replay(l) {
            return Vec::new();
        }
        l.backedge.iter().map(|&(h, _)| h).filter(|&h| self.influences_needed(&l.body, h)).collect()
    }

    /// Does `h` flow, within `body`, into a value the reverse sweep reads or
    /// into user code?
    fn influences_needed(&self, body: &Block, h: Temp) -> bool {
        let mut temps: HashSet<Temp> = [h].into_iter().collect();
        let mut names: HashSet<String> = HashSet::new();
        let mut arrays: HashSet<usize> = HashSet::new();
        // Two passes reach values carried around nested loops.
        for _ in 0..2 {
            if taint(body, &mut temps, &mut names, &mut arrays) {
                return true;
            }
        }
        // What the reverse of the body reads: a value needed only after the
        // loop (`p * p` of the final `p`) is read before the loop's reverse
        // runs, while the forward sweep's last value is still there.
        let mut inside = HashSet::new();
        collect_needed(body, self.temps, &mut inside);
        temps.iter().any(|t| inside.contains(t))
    }

    /// For a recomputed `for` loop: saving the item (`push`) or restoring it
    /// (`!push`), and binding the user's pattern to it. A range's item is not
    /// saved: the reverse sweep takes the trip's item again with `nth`, which
    /// is O(1) on ranges.
    fn item_binding(&self, l: &Loop, push: bool) -> (TokenStream, TokenStream) {
        let LoopHead::For { pat, iter } = &l.head else {
            return (TokenStream::new(), TokenStream::new());
        };
        let bind = quote!(let #pat = __gd_item;);
        // Only a replayed loop checked that its range's names stay put.
        if self.runs_backwards(l) {
            // The reverse loop's own item (see `runs_backwards`).
            return (TokenStream::new(), bind);
        }
        if is_range(iter) && self.recomputes(l) {
            let save = if push {
                TokenStream::new()
            } else {
                let count = t(l.count);
                quote!(let __gd_item = ::core::iter::Iterator::nth(&mut (#iter), #count - 1 - __gd_trip).unwrap();)
            };
            return (save, bind);
        }
        let s = names::stack(&format!("item{}", l.count.0));
        let save = if push {
            quote!(#s.push(::core::clone::Clone::clone(&__gd_item));)
        } else {
            quote!(let __gd_item = #s.pop().unwrap();)
        };
        (save, bind)
    }

    /// The reverse sweep of a loop (`before`: the statements ahead of it in
    /// its block).
    fn reverse_loop(&self, l: &Loop, before: &[Stmt]) -> TokenStream {
        let carries = self.carry.of_loop(l.count);
        if carries.is_empty() {
            return self.reverse_trips(l, before);
        }
        // The registers of `plan::carry`, and after the trips what they
        // still hold, into the elements the first trip read.
        let (f, z, count) = (&self.s, &self.zero, t(l.count));
        let mut regs = TokenStream::new();
        let mut flush = TokenStream::new();
        for (id, c) in carries {
            let (g, k0) = (names::local_adj(c.arr), crate::plan::carry::first(id));
            regs.extend(quote!(let mut #k0: usize = 0;));
            for depth in 1..=c.depth {
                let (r, back) = (crate::plan::carry::reg(id, depth), -(depth as i64) * c.delta);
                regs.extend(quote!(let mut #r: #f = #z;));
                flush.extend(quote! {
                    if let ::core::option::Option::Some(__gd_e) = #g.get_mut(#k0.wrapping_add_signed(#back as isize)) {
                        *__gd_e += #r;
                    }
                });
            }
        }
        let trips = self.reverse_trips(l, before);
        quote!({
            #regs
            #trips
            if #count > 0 { #flush }
        })
    }

    fn reverse_trips(&self, l: &Loop, before: &[Stmt]) -> TokenStream {
        match () {
            _ if self.checkpoints(l) => self.reverse_checkpointed(l),
            _ if self.fused.contains(&l.count) => self.reverse_fused(l),
            _ if self.recomputes(l) && self.selects.contains_key(&l.count) => self.reverse_select(l),
            _ if self.accumulating_replay(l) => self.versioned(l, || self.reverse_accumulating_replay(l)),
            _ if self.recomputes(l) => {
                let count = t(l.count);
                let back = l.backedge.iter().rev().map(|&(h, end)| self.backedge_adjoint(h, end));
                let pops = self.trip_inputs(l).into_iter().rev().map(|x| {
                    let (s, v) = (self.stack_of(x), t(x));
                    quote!(#v = #s.pop().unwrap();)
                });
                let (item_pop, bind) = self.item_binding(l, false);
                let replay = self.forward(&l.body, Mode::Record);
                let body = self.reverse_same_trip(l);
                let head = match &l.head {
                    LoopHead::For { iter, .. } if self.runs_backwards(l) => quote!(for __gd_item in ::core::iter::Iterator::rev(#iter)),
                    _ => quote!(for __gd_trip in 0..#count),
                };
                quote! {
                    #head {
                        #(#back)*
                        #(#pops)*
                        #item_pop
                        {
                            #bind
                            #replay
                            #body
                        }
                    }
                }
            }
            _ => {
                let count = t(l.count);
                let back: Vec<TokenStream> = l
                    .backedge
                    .iter()
                    .rev()
                    .map(|&(h, end)| self.backedge_adjoint(h, end))
                    .collect();
                let pops = self.snapshot(l).into_iter().rev().map(|x| {
                    let (s, v) = (self.stack_of(x), t(x));
                    quote!(#v = #s.pop().unwrap();)
                });
                let reloads = every_trip_loads(&l.body).into_iter().filter(|(dst, _, _)| self.needed.contains(dst)).map(|(dst, a, k)| {
                    let (v, k, arr) = (t(dst), t(k), self.arr(a));
                    quote!(#v = #arr[#k];)
                });
                let body = self.reverse_trip(l, before);
                if let (Some(again), LoopHead::For { pat, iter }) = (self.retaken.get(&l.count), &l.head) {
                    // The trip's item again, and what it computes from it,
                    // before the reloads that index with those values.
                    let sets: Vec<TokenStream> = again
                        .iter()
                        .map(|&k| match &l.body[k] {
                            Stmt::Set { dst, expr } => {
                                let v = t(*dst);
                                quote!(#v = #expr;)
                            }
                            // A pure `let` (see `plan::retake`).
                            Stmt::Verbatim(ts) => ts.clone(),
                            _ => unreachable!("retake runs again only sets and lets"),
                        })
                        .collect();
                    return quote! {
                        for (__gd_trip, __gd_item) in ::core::iter::Iterator::enumerate(::core::iter::Iterator::rev(#iter)) {
                            #(#back)*
                            #(#pops)*
                            {
                                let #pat = __gd_item;
                                #(#sets)*
                                #(#reloads)*
                                #body
                            }
                        }
                    };
                }
                let (item_pop, bind) =
                    if self.rebinding.contains(&l.count) { self.item_binding(l, false) } else { Default::default() };
                quote! {
                    for __gd_trip in 0..#count {
                        #(#back)*
                        #(#pops)*
                        #(#reloads)*
                        #item_pop
                        {
                            #bind
                            #body
                        }
                    }
                }
            }
        }
    }

    /// After a loop's reverse: zero what its backward-assigning loads (see
    /// `plan::window`) did not write, before anything else adds.
    fn backward_end(&self, l: &Loop) -> TokenStream {
        let mut out = TokenStream::new();
        if !self.window.assign {
            return out;
        }
        let count = t(l.count);
        let mut reads: Vec<_> = self.window.backward.values().filter(|r| r.count == l.count).collect();
        reads.sort_by_key(|r| r.param);
        for r in reads {
            // `last`: the index the last trip replayed wrote: trip 0's, the
            // lowest when the index rises; an accumulator replayed in forward
            // order ends on the final trip instead, the highest.
            let rises = r.rises != self.accumulating_replay(l);
            let (g, last) = (names::grad(r.param), crate::plan::window::last(r.param));
            let (lo, hi) = if rises { (quote!(#last), quote!(#last + #count)) } else { (quote!(#last + 1 - #count), quote!(#last + 1)) };
            let zero = self.zero_outside(&g, lo, hi);
            out.extend(quote! {
                if #count == 0 {
                    #g.fill(0.0);
                } else #zero
            });
        }
        out
    }

    /// Whether a loop's trips push their items on a stack for the reverse
    /// sweep (see `item_binding`): a saving loop whose item a replay inside
    /// binds again, or a replayed loop whose items cannot be taken again.
    fn saves_item(&self, l: &Loop) -> bool {
        match &l.head {
            _ if self.checkpoints(l) => false,
            LoopHead::For { iter, .. } if self.recomputes(l) => !self.runs_backwards(l) && !is_range(iter),
            LoopHead::For { .. } => self.rebinding.contains(&l.count) && !self.runs_backwards(l),
            LoopHead::Loop => false,
        }
    }

    /// A replayed loop over a range (or a reversed range) that runs all its
    /// trips, or a saving loop that takes its items again (`plan::retake`):
    /// the reverse sweep iterates the range backwards (`.rev()`) for the
    /// items, instead of saving them or counting trips with `nth`.
    fn runs_backwards(&self, l: &Loop) -> bool {
        let replayed = matches!(&l.head, LoopHead::For { iter, .. } if is_reversible_range(iter)) && self.recomputes(l) && never_breaks(l);
        replayed || self.retaken.contains_key(&l.count)
    }

    /// The temporaries a loop saves at the end of each trip. Loads that run
    /// on every trip are not saved: the reverse sweep reads them again.
    fn snapshot(&self, l: &Loop) -> Vec<Temp> {
        let mut assigned = Vec::new();
        direct_assigned(&l.body, &mut assigned);
        assigned.extend(l.backedge.iter().map(|&(h, _)| h));
        let mut reloaded: HashSet<Temp> = every_trip_loads(&l.body).into_iter().map(|(dst, _, _)| dst).collect();
        // Values computed again from a retaken item.
        reloaded.extend(self.retaken.get(&l.count).into_iter().flatten().flat_map(|&k| l.body[k].defs()));
        let mut seen = HashSet::new();
        assigned
            .into_iter()
            .filter(|x| self.needed.contains(x) && !reloaded.contains(x) && seen.insert(*x))
            .collect()
    }

    fn tangent_of(&self, o: &Operand) -> TokenStream {
        match self.active(o) {
            Some(x) => {
                let dx = d(x);
                quote!(#dx)
            }
            None => self.tzero(),
        }
    }

    /// A zero tangent (forward mode runs over duals for the closures of
    /// `map` in the dual copy of the reverse sweep).
    pub(super) fn tzero(&self) -> TokenStream {
        if self.dual {
            self.zero.clone()
        } else {
            quote!(0.0)
        }
    }

    /// Sizes local array `arr`'s adjoint to `n` zeros. Made with `vec!` for
    /// an array created once per call: the compiler then knows its length,
    /// and the loops over it lose their bounds checks (`cumsum_local`: 41.1
    /// -> 36.0 instructions per element). An array created on every trip of
    /// a loop keeps the one buffer (`clear` and `resize`), which spares an
    /// allocation per trip (windows of 8: 126 -> 145 instructions per
    /// element with `vec!`).
    fn adjoint_array(&self, arr: usize, n: &Ident) -> TokenStream {
        let (g, z) = (names::local_adj(arr), &self.zero);
        if self.rooms.contains(&arr) {
            let rg = room(&g);
            quote!(#g = #rg.filled(#z, #n);)
        } else if self.once.contains(&arr) {
            quote!(#g = ::std::vec![#z; #n];)
        } else {
            quote!(#g.clear(); #g.resize(#n, #z);)
        }
    }

    /// A trip's reverse emitted right after its forward (or its replay),
    /// in the same trip.
    pub(super) fn reverse_same_trip(&self, l: &Loop) -> TokenStream {
        let saved = self.trip.replace(Some(l.count));
        let rev = self.reverse(&l.body);
        self.trip.set(saved);
        rev
    }

    pub fn reverse(&self, block: &[Stmt]) -> TokenStream {
        let (f, z) = (self.f, &self.zero);
        let mut out = TokenStream::new();
        // Adjoints of the local arrays this block creates, sized to their
        // length at the end of the block.
        for s in block {
            if let Stmt::ArrNew { arr, len_end, .. } = s {
                if self.early.contains(arr) {
                    continue;
                }
                out.extend(self.adjoint_array(*arr, &t(*len_end)));
            }
        }
        for (i, s) in block.iter().enumerate().rev() {
            if let Stmt::Loop(l) = s {
                // Runs after the loop's reverse (`extend` below goes first).
                out.extend(self.reverse_loop(l, &block[..i]));
                out.extend(self.backward_end(l));
                continue;
            }
            out.extend(match s {
                Stmt::Op { dst, prim, args } => {
                    let a: Vec<TokenStream> = args.iter().map(|o| self.operand(o)).collect();
                    let v = t(*dst);
                    let parts = rules::partials(*prim, &a, &quote!(#v), f);
                    let bd = self.adj(*dst);
                    // One update per operand temporary: `x * x` adds
                    // `(x + x) * ȳ` once, not `x * ȳ` twice (an add less per
                    // square, and one rounding instead of two).
                    let mut by_temp: Vec<(Temp, Vec<TokenStream>)> = Vec::new();
                    for (arg, p) in args.iter().zip(parts) {
                        let (Some(x), Some(p)) = (self.active(arg), p) else { continue };
                        match by_temp.iter_mut().find(|(y, _)| *y == x) {
                            Some((_, ps)) => ps.push(p),
                            None => by_temp.push((x, vec![p])),
                        }
                    }
                    // Each update as `core · (2^e · ā)`: the rule's
                    // power-of-two factor, less what `plan::pow2` carries.
                    let (lits, n) = self.consts.of_op(*prim, args);
                    let ey = self.scales.exp.get(dst).copied().unwrap_or(0);
                    let updates = by_temp.into_iter().map(|(x, ps)| {
                        let bx = self.adj(x);
                        let pos = crate::plan::pow2::positions(args, x);
                        let k = rules::pow2_exp(*prim, &pos, &lits, n);
                        let core = rules::pow2_core(*prim, &a, &quote!(#v), &ps, &pos, &lits, n);
                        let ex = self.scales.exp.get(&x).copied().unwrap_or(0);
                        let (carried, steady) = (ey != 0 || ex != 0, self.scales.steady.contains(dst));
                        let adj = quote!(__gd_adj);
                        let masked = if self.dual { None } else { rules::branch_free(*prim, &a, &pos, &rules::scaled(&adj, ey + k - ex, f), &self.masks()) };
                        let term = masked.unwrap_or_else(|| rules::update(core, &ps, &adj, k, ey + k - ex, carried, steady, f));
                        quote!(#bx += #term;)
                    });
                    quote!({ let __gd_adj = #bd; #bd = #z; #(#updates)* })
                }
                Stmt::Copy { dst, src } if self.temps[dst.0].ty == Ty::Tensor => {
                    if !self.temps[dst.0].active {
                        continue;
                    }
                    self.reverse_tcopy(*dst, src)
                }
                Stmt::TOp { dst, rule, args, span } => self.reverse_top(*dst, rule, args, *span),
                Stmt::TMap { dst, deriv, arg, .. } => self.reverse_tmap(*dst, *deriv, arg),
                Stmt::Copy { dst, src } => {
                    if !self.temps[dst.0].active {
                        continue;
                    }
                    let bd = self.adj(*dst);
                    match self.active(src) {
                        Some(x) => {
                            let bx = self.adj(x);
                            quote!(#bx += #bd; #bd = #z;)
                        }
                        None => quote!(#bd = #z;),
                    }
                }
                Stmt::Load { dst, array, index } => {
                    let (bd, k, g) = (self.adj(*dst), t(*index), self.arr_adj(*array));
                    match self.window.loads.get(dst) {
                        // To the store `depth` trips back (see `plan::carry`).
                        _ if self.carry.loads.contains_key(dst) => {
                            let (id, depth) = self.carry.loads[dst];
                            let r = crate::plan::carry::reg(id, depth);
                            quote!(#r += #bd; #bd = #z;)
                        }
                        // The first write to the element (see `plan::carry`).
                        _ if self.first_writes.contains(dst) => quote!(#g[#k] = #bd; #bd = #z;),
                        // Into the window's register (see `plan::window`).
                        Some(&(id, pos)) if g == names::grad(self.window.windows[id].param) => {
                            let acc = names::window_acc(id, pos);
                            quote!(#acc += #bd; #bd = #z;)
                        }
                        // The first write to this element (see `plan::window`).
                        _ if self.window.backward.get(dst).is_some_and(|r| self.window.assign && g == names::grad(r.param)) => {
                            let last = crate::plan::window::last(self.window.backward[dst].param);
                            quote!(#g[#k] = #bd; #bd = #z; #last = #k;)
                        }
                        _ => quote!(#g[#k] += #bd; #bd = #z;),
                    }
                }
                Stmt::ArrNew { arr, init, .. } => match self.active(init) {
                    Some(x) => {
                        let (bx, g) = (self.adj(x), names::local_adj(*arr));
                        let sc = &self.s;
                        quote!(#bx += #g.iter().copied().sum::<#sc>();)
                    }
                    None => continue,
                },
                Stmt::Store { arr, index, src } => {
                    let (g, k) = (names::local_adj(*arr), t(*index));
                    // What later trips' carried loads read of this element,
                    // and the registers moved down a trip (see `plan::carry`).
                    let (carried, shift) = match self.carry.stores.get(index) {
                        Some(&id) => {
                            let c = &self.carry.carries[id];
                            let regs: Vec<Ident> = (1..=c.depth).map(|depth| crate::plan::carry::reg(id, depth)).collect();
                            let (r1, k0) = (&regs[0], crate::plan::carry::first(id));
                            let (dst, src) = (&regs[..c.depth - 1], &regs[1..]);
                            let last = &regs[c.depth - 1];
                            (quote!(+ #r1), quote!(#(#dst = #src;)* #last = #z; #k0 = #k;))
                        }
                        None => Default::default(),
                    };
                    match self.active(src) {
                        Some(x) => {
                            let bx = self.adj(x);
                            quote!(#bx += #g[#k] #carried; #g[#k] = #z; #shift)
                        }
                        None => quote!(#g[#k] = #z; #shift),
                    }
                }
                Stmt::Push { arr, src } => {
                    let g = names::local_adj(*arr);
                    match self.active(src) {
                        Some(x) => {
                            let bx = self.adj(x);
                            quote!(#bx += #g.pop().unwrap();)
                        }
                        None => quote!(#g.pop();),
                    }
                }
                // Data copied into a differentiated matrix: its adjoint stops here.
                Stmt::Set { dst, .. } if self.temps[dst.0].active => {
                    let bd = self.adj(*dst);
                    quote!(#bd = ::core::option::Option::None;)
                }
                Stmt::Set { .. } | Stmt::Verbatim(_) | Stmt::Alias { .. } | Stmt::AliasArr { .. } => continue,
                Stmt::Seed { arr } => {
                    let g = names::local_adj(*arr);
                    let seed = quote! {
                        ::core::assert_eq!(__gd_seed.len(), #g.len(), "the cotangent has length {} but the output has {}", __gd_seed.len(), #g.len());
                        for (a, s) in #g.iter_mut().zip(__gd_seed.iter()) {
                            *a += *s;
                        }
                    };
                    // A caller's dual copy asks for the value alone (see
                    // `forward_call_outputs`) with an empty cotangent.
                    if self.dual {
                        quote!(if !__gd_seed.is_empty() { #seed })
                    } else {
                        seed
                    }
                }
                Stmt::Call { dst, path, args, pullback } => self.reverse_call(*dst, path, args, *pullback),
                Stmt::CallArr { arr, path, args, .. } => self.reverse_call_outputs(*arr, path, args),
                Stmt::If { cond, then, els } if !self.dual && self.branchless.contains_key(cond) => self.reverse_branchless(*cond, then, els),
                Stmt::If { cond, then, els } => {
                    let (c, a, e) = (t(*cond), self.reverse(then), self.reverse(els));
                    quote!(if #c { #a } else { #e })
                }
                Stmt::Loop(_) => unreachable!("loops are reversed above"),
                Stmt::Scope(b) => {
                    let inner = self.reverse(b);
                    quote!({ #inner })
                }
            });
        }
        out
    }
}

/// Is `x`'s value at the end of `before` data: last set by passive code
/// (`Stmt::Set`) or a constant, through copies?
fn starts_from_data(before: &[Stmt], x: Temp) -> bool {
    for (i, s) in before.iter().enumerate().rev() {
        let mut here = HashSet::new();
        crate::plan::fused::assigned(std::slice::from_ref(s), &mut here);
        if matches!(s, Stmt::Set { dst, .. } if *dst == x) {
            return true;
        }
        if here.contains(&x) {
            return match s {
                Stmt::Copy { dst, src: Operand::Const(_) } => *dst == x,
                Stmt::Copy { dst, src: Operand::Temp(y) } if *dst == x => starts_from_data(&before[..i], *y),
                _ => false,
            };
        }
    }
    false
}

pub(super) use crate::plan::loops;

/// Loads `(dst, array, index)` from parameter arrays (which never change)
/// that run on every trip of a loop body (not inside a branch or a nested loop).
fn every_trip_loads(b: &Block) -> Vec<(Temp, Arr, Temp)> {
    let mut out = Vec::new();
    for s in b {
        match s {
            Stmt::Load { dst, array: array @ Arr::Param(_), index } => out.push((*dst, *array, *index)),
            Stmt::Scope(inner) => out.extend(every_trip_loads(inner)),
            _ => {}
        }
    }
    out
}

/// Temporaries assigned by a block, not looking inside nested loops (those
/// save their own), but counting a nested loop's trip count.
fn direct_assigned(b: &Block, out: &mut Vec<Temp>) {
    for s in b {
        out.extend(s.defs());
        // A nested loop's body belongs to that loop's own snapshot.
        if !matches!(s, Stmt::Loop(_)) {
            s.children().into_iter().for_each(|c| direct_assigned(c, out));
        }
    }
}

pub(super) fn collect_needed(b: &Block, temps: &[TempInfo], out: &mut HashSet<Temp>) {
    for s in b {
        match s {
            Stmt::Op { dst, prim, args } => {
                // Only the partials of active operands are ever taken.
                let active: Vec<bool> = args.iter().map(|a| matches!(a, Operand::Temp(x) if temps[x.0].active)).collect();
                let (uses, uses_y) = rules::needs(*prim, &active);
                for (a, u) in args.iter().zip(uses) {
                    if let (Operand::Temp(x), true) = (a, u) {
                        out.insert(*x);
                    }
                }
                if uses_y {
                    out.insert(*dst);
                }
            }
            Stmt::Load { index, .. } | Stmt::Store { index, .. } => {
                out.insert(*index);
            }
            Stmt::ArrNew { len_end, .. } => {
                out.insert(*len_end);
            }
            Stmt::If { cond, .. } => {
                out.insert(*cond);
            }
            Stmt::Loop(l) => {
                out.insert(l.count);
            }
            // (A call's pullback is needed where the sweep fills it: `new`.)
            Stmt::Call { args, .. } | Stmt::CallArr { args, .. } => {
                for a in args {
                    out.extend(a.temps());
                }
            }
            // Matrix rules read all their arguments and their output.
            Stmt::TOp { dst, args, .. } => {
                out.insert(*dst);
                out.extend(args.iter().flat_map(|a| a.temps()));
            }
            Stmt::TMap { deriv, arg, .. } => {
                out.insert(*deriv);
                out.extend(arg.temps());
            }
            _ => {}
        }
        for c in s.children() {
            collect_needed(c, temps, out);
        }
    }
}

/// The room in the frame that local array (or adjoint) `a` is a slice of
/// (`plan::room`).
fn room(a: &Ident) -> Ident {
    quote::format_ident!("{a}_room")
}
