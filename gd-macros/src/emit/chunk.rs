//! Seeded loops run in chunks of `K` trips (see `plan::chunk`).
//!
//! ```text
//! let (mut cur, end): (usize, usize) = (a, b);
//! while end > cur && end - cur >= K {
//!     let (Some(v0), .., Some(gv0), ..) = (views of the chunk's reads and gradient writes) else { break };
//!     let mut terms = [0; K];
//!     for k in 0..K { let i = cur + k; trip i, its reads from the views, `terms[k] = term` for the sum, its window's writes to the gradient views }
//!     lanes::stored(&mut terms);  (where a term may be a select)
//!     for k in 0..K { s = s + terms[k]; }
//!     cur += K;
//! }
//! for i in cur..end { trip i as written }
//! ```

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::sweep::Sweeps;
use crate::ir::*;
use crate::names::t;
use crate::plan::chunk::{view, Chunk, Code, Form};

/// `__gd_cg{loop}_{k}`: a chunk's view of the gradient one window writes.
fn grad_view(count: Temp, k: usize) -> Ident {
    Ident::new(&format!("__gd_cg{}_{}", count.0, k), Span::call_site())
}

fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

impl<'a> Sweeps<'a> {
    /// The chunk plan of the loop whose chunk trip is being emitted.
    pub(super) fn chunk_trip(&self) -> Option<&Chunk> {
        self.chunking.get().and_then(|c| self.chunks.get(&c))
    }

    /// A load in a chunk's trip: from the view (see `plan::chunk`).
    pub(super) fn chunk_load(&self, dst: Temp) -> Option<TokenStream> {
        let c = self.chunk_trip()?;
        let &(id, pos) = c.loads.get(&dst)?;
        let (v, w, slope, pos) = (t(dst), view(self.chunking.get()?, id), lit(c.views[id].slope), lit(pos));
        Some(quote!(#v = #w[#slope * __gd_k + #pos];))
    }

    /// Data code in a chunk's trip that reads through views (a passive
    /// `Set`, a verbatim statement), rewritten.
    pub(super) fn chunk_code(&self, at: &Code) -> Option<TokenStream> {
        let e = self.chunk_trip()?.code.get(at)?;
        Some(match at {
            Code::Set(dst) => {
                let v = t(*dst);
                quote!(#v = #e;)
            }
            Code::Verbatim(_) => e.clone(),
        })
    }

    /// The running sum's operation in a chunk's trip: the term kept for
    /// the sum after the chunk; the sum passes unchanged.
    pub(super) fn chunk_acc(&self, dst: Temp) -> Option<TokenStream> {
        let c = self.chunk_trip().filter(|c| c.acc == dst)?;
        let (v, h, term) = (t(dst), t(c.head), self.operand(&c.term));
        Some(quote!(__gd_terms[__gd_k] = #term; #v = #h;))
    }

    /// A window's gradient write `g[base + j]` in a chunk's trip: to the
    /// gradient view (trip `k` writes `stride · k + j`).
    pub(super) fn chunk_grad(&self, param: usize, stride: usize, j: usize) -> Option<TokenStream> {
        let c = self.chunk_trip()?;
        let g = grad_view(self.chunking.get()?, c.view_of(param)?);
        let (stride, j) = (lit(stride), lit(j));
        Some(quote!(#g[#stride * __gd_k + #j]))
    }

    /// Whether loop `l` runs in chunks in this sweep: planned, and each of
    /// its windows over an array it views (a window's reads are the view's).
    /// Not otherwise: a chunk whose gradient writes are not all through
    /// views (an active read outside any window, as in a nested loop,
    /// which has none) does not vectorize, and runs slower than the loop
    /// as written (`quad_form`: 18% more instructions).
    pub(super) fn chunked(&self, l: &Loop) -> bool {
        let Some(c) = self.chunks.get(&l.count) else { return false };
        let windowed = self.window.of_loop(l.count).iter().all(|(_, w)| c.view_of(w.param).is_some_and(|v| c.views[v].slope == w.stride && c.views[v].load_lo.is_some()));
        windowed && active_loads(&l.body, self.temps).iter().all(|x| self.window.loads.contains_key(x))
    }

    /// The chunked loop: `trip` prints one trip, as written or, while
    /// `chunking` is set, a chunk's trip (with `__gd_k` and the loop
    /// variable bound); `brk` ends the plain loop's trips.
    pub(super) fn chunk_loop(&self, l: &Loop, trip: &dyn Fn() -> TokenStream, brk: &Ident) -> TokenStream {
        let c = &self.chunks[&l.count];
        let (s, z, k) = (&self.s, &self.zero, lit(c.k));
        let saved = self.chunking.replace(Some(l.count));
        let chunk_trip = trip();
        self.chunking.set(saved);
        let plain = trip();
        // Trip 0's index `slope · cur + lo`, if it is one.
        let start = |slope: usize, lo: i64| {
            let (slope, off) = (lit(slope), lit(lo.unsigned_abs() as usize));
            let shift = if lo >= 0 { quote!(checked_add(#off)) } else { quote!(checked_sub(#off)) };
            quote!(__gd_cur.checked_mul(#slope).and_then(|__gd_a| __gd_a.#shift))
        };
        let (mut names, mut gets) = (Vec::new(), Vec::new());
        for (id, v) in c.views.iter().enumerate() {
            let (arr, n, at) = (self.arr(Arr::Param(v.param)), lit(v.len(c.k)), start(v.slope, v.lo));
            names.push(view(l.count, id));
            gets.push(quote!(#at.and_then(|__gd_a| #arr.get(__gd_a..)).and_then(|__gd_s| __gd_s.first_chunk::<#n>())));
        }
        for (_, w) in self.window.of_loop(l.count) {
            // The window's position 0: its lowest load (see `chunked`).
            let id = c.view_of(w.param).unwrap();
            let lo = c.views[id].load_lo.unwrap();
            let (g, n, at) = (self.arr_adj(Arr::Param(w.param)), lit(w.stride * c.k), start(w.stride, lo));
            names.push(grad_view(l.count, id));
            gets.push(quote!(#at.and_then(|__gd_a| #g.get_mut(__gd_a..)).and_then(|__gd_s| __gd_s.first_chunk_mut::<#n>())));
        }
        // The trips' masks, made again in each trip: integer bits there.
        let lane_masks = self.mask_decls(true);
        // Through memory where a term may be a select (`lanes::stored`).
        let stored = if c.selects {
            let kr = &self.krate;
            quote!(#kr::__private::lanes::stored(&mut __gd_terms);)
        } else {
            TokenStream::new()
        };
        let hv = t(c.head);
        let sum = {
            let (h, term) = (quote!(#hv), quote!(__gd_terms[__gd_k]));
            let args = match c.form {
                Form::Left | Form::Sub => [h, term],
                Form::Right => [term, h],
            };
            crate::rules::primal(c.prim, &args, s, crate::rules::Target::Cpu)
        };
        let var = &c.var;
        let (lo, hi) = (&c.lo, &c.hi);
        // Trips left: `end - cur`, or with `a..=b` one more (`end` may be
        // `usize::MAX`; a chunk never passes the arrays' lengths).
        let (more, rest) = if c.inclusive {
            let k1 = lit(c.k - 1);
            (quote!(__gd_end >= __gd_cur && __gd_end - __gd_cur >= #k1), quote!(__gd_cur..=__gd_end))
        } else {
            (quote!(__gd_end > __gd_cur && __gd_end - __gd_cur >= #k), quote!(__gd_cur..__gd_end))
        };
        quote! {{
            let (mut __gd_cur, __gd_end): (usize, usize) = (#lo, #hi);
            while #more {
                let (#(::core::option::Option::Some(#names),)*) = (#(#gets,)*) else { break };
                let mut __gd_terms: [#s; #k] = [#z; #k];
                for __gd_k in 0..#k {
                    let #var = __gd_cur + __gd_k;
                    #lane_masks
                    #chunk_trip
                }
                #stored
                // The terms in trip order: the sum the loop as written makes.
                for __gd_k in 0..#k {
                    #hv = #sum;
                }
                __gd_cur += #k;
            }
            for #var in #rest {
                #plain
                if #brk { break; }
            }
        }}
    }
}

/// The loads of array parameters into active temporaries (whose reverse
/// writes a gradient), nested blocks included.
fn active_loads(b: &[Stmt], temps: &[TempInfo]) -> Vec<Temp> {
    let mut out = Vec::new();
    for s in b {
        if let Stmt::Load { dst, array: Arr::Param(_), .. } = s {
            if temps[dst.0].active {
                out.push(*dst);
            }
        }
        s.children().into_iter().for_each(|c| out.extend(active_loads(c, temps)));
    }
    out
}
