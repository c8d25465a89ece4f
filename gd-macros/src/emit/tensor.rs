//! Emission of the matrix-level rules (`Stmt::TOp`, `Stmt::TMap`) and of the
//! places inside matrix and struct parameters. See `crate::tensor_rules` and
//! the runtime's `gd::__private::tensor` for the calling conventions.

use std::collections::HashSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::names::{self, b, d, t};
use super::sweep::{Mode, Sweeps};
use crate::ir::*;
use crate::tensor_rules::{Out, TRule};

/// Where a place is read from: the parameter, its gradient, its tangent.
#[derive(Clone, Copy)]
enum Base {
    Primal,
    Adjoint,
    Tangent,
    /// The tangent part of the adjoint (dual copy only).
    AdjointTangent,
}

impl<'a> Sweeps<'a> {
    pub(super) fn is_tensor(&self, x: Temp) -> bool {
        self.temps[x.0].ty == Ty::Tensor
    }

    fn place(&self, p: &Place, base: Base) -> TokenStream {
        let mut out = match base {
            Base::Primal => {
                let n = &self.params[p.param];
                quote!(#n)
            }
            Base::Adjoint => {
                let g = names::grad(p.param);
                quote!((*#g))
            }
            Base::Tangent => {
                let v = names::tangent(p.param);
                quote!((*#v))
            }
            Base::AdjointTangent => {
                let g = names::grad_tan(p.param);
                quote!((*#g))
            }
        };
        for s in &p.path {
            out.extend(match s {
                Seg::Field(m) => quote!(.#m),
                Seg::Index(k) => {
                    let k = t(*k);
                    quote!([#k])
                }
                Seg::Index2(i, j) => {
                    let (i, j) = (t(*i), t(*j));
                    quote!([(#i, #j)])
                }
            });
        }
        out
    }

    /// `&value` of an argument, read through references.
    pub(super) fn tval(&self, a: &TArg) -> TokenStream {
        let k = &self.krate;
        if self.dual {
            // The dual copy: data is a constant, a parameter's place is read
            // with its tangent.
            match a {
                TArg::Temp(x) if self.is_tensor(*x) && !self.temps[x.0].active => {
                    let v = t(*x);
                    return quote!(#k::__private::tensor::val(&#k::__private::tensor::lift(#v.as_ref().unwrap())));
                }
                TArg::Place(p) => {
                    let (pl, tp) = (self.place(p, Base::Primal), self.place(p, Base::Tangent));
                    return quote!(#k::__private::tensor::val(&#k::__private::tensor::pair(&#pl, &#tp)));
                }
                TArg::Const(c) => {
                    let f = self.f;
                    return quote!(&#k::__private::Dual::<#f>::cst(#c));
                }
                _ => {}
            }
        }
        match a {
            TArg::Temp(x) if self.is_tensor(*x) || self.temps[x.0].ty == Ty::Inferred => {
                let v = t(*x);
                quote!(#k::__private::tensor::val(#v.as_ref().unwrap()))
            }
            TArg::Temp(x) => {
                let v = t(*x);
                quote!(&#v)
            }
            TArg::Place(p) => {
                let pl = self.place(p, Base::Primal);
                quote!(#k::__private::tensor::val(&#pl))
            }
            TArg::Const(c) => {
                let f = self.f;
                quote!(&(#c as #f))
            }
            TArg::Index(x) => {
                let v = t(*x);
                quote!(#v)
            }
        }
    }

    /// A matrix or struct argument of a call, as the callee's `&T` parameter
    /// takes it (a struct has no `Val`).
    pub(super) fn call_val(&self, a: &TArg) -> TokenStream {
        match a {
            TArg::Place(p) => {
                let pl = self.place(p, Base::Primal);
                quote!(&#pl)
            }
            TArg::Temp(x) if self.is_tensor(*x) && self.dual && self.temps[x.0].active => {
                let (v, k) = (t(*x), &self.krate);
                quote!(#k::__private::tensor::primal(#v.as_ref().unwrap()))
            }
            TArg::Temp(x) if self.is_tensor(*x) => {
                let v = t(*x);
                quote!(#v.as_ref().unwrap())
            }
            a => self.tval(a),
        }
    }

    /// In the dual copy: the slot `Option<(&mut T, &mut T)>` (adjoint and
    /// its tangent) a matrix or struct argument lends the callee's dual copy.
    pub(super) fn call_slot_dual(&self, a: &TArg) -> TokenStream {
        let k = &self.krate;
        match a {
            TArg::Place(p) => {
                let (g, gt) = (self.place(p, Base::Adjoint), self.place(p, Base::AdjointTangent));
                quote!(::core::option::Option::Some((&mut #g, &mut #gt)))
            }
            TArg::Temp(x) if self.temps[x.0].active => {
                let (v, bx) = (t(*x), b(*x));
                quote!(::core::option::Option::Some(#k::__private::tensor::split(#k::__private::tensor::slot(&mut #bx, #k::__private::tensor::val(#v.as_ref().unwrap())))))
            }
            _ => quote!(::core::option::Option::None),
        }
    }

    /// In the dual copy: the argument's tangent, `Option<&T>`.
    pub(super) fn call_tangent_dual(&self, a: &TArg) -> TokenStream {
        self.dual_tangent(a).unwrap_or_else(|| quote!(::core::option::Option::None))
    }

    /// `call_tangent_dual` where the argument has a tangent.
    pub(super) fn dual_tangent(&self, a: &TArg) -> Option<TokenStream> {
        let k = &self.krate;
        match a {
            TArg::Place(p) => {
                let tp = self.place(p, Base::Tangent);
                Some(quote!(::core::option::Option::Some(&#tp)))
            }
            TArg::Temp(x) if self.temps[x.0].active => {
                let v = t(*x);
                Some(quote!(::core::option::Option::Some(#k::__private::tensor::tangent(#v.as_ref().unwrap()))))
            }
            _ => None,
        }
    }

    /// Its tangent for the callee's forward mode: `Option<&T>`.
    pub(super) fn call_tan(&self, a: &TArg) -> TokenStream {
        match a {
            TArg::Place(p) => {
                let pl = self.place(p, Base::Tangent);
                quote!(::core::option::Option::Some(&#pl))
            }
            a => self.ttan(a),
        }
    }

    pub(super) fn targ_active(&self, a: &TArg) -> bool {
        match a {
            TArg::Temp(x) => self.live(*x),
            TArg::Place(_) => true,
            _ => false,
        }
    }

    /// The tangent of a value argument: `Option<&T>`.
    pub(super) fn ttan(&self, a: &TArg) -> TokenStream {
        let k = &self.krate;
        match a {
            TArg::Temp(x) if self.temps[x.0].active && self.is_tensor(*x) => {
                let dx = d(*x);
                quote!(#dx.as_ref())
            }
            TArg::Temp(x) if self.temps[x.0].active => {
                let dx = d(*x);
                quote!(::core::option::Option::Some(&#dx))
            }
            TArg::Place(p) => {
                let pl = self.place(p, Base::Tangent);
                quote!(::core::option::Option::Some(#k::__private::tensor::val(&#pl)))
            }
            _ => quote!(::core::option::Option::None),
        }
    }

    /// The adjoint slot of a value argument (`Option<&mut T>`). A variable
    /// lent twice in one rule (`x.dot(&x)`, or two places in one parameter)
    /// lends a scratch the second time, added after the rule.
    pub(super) fn tslot(&self, a: &TArg, n: usize, lent: &mut HashSet<String>, pre: &mut TokenStream, post: &mut TokenStream) -> TokenStream {
        let k = &self.krate;
        let none = quote!(::core::option::Option::None);
        if !self.targ_active(a) {
            return none;
        }
        let dup = format_ident!("__gd_tdup{}", n);
        let (key, direct, val, add_back) = match a {
            TArg::Temp(x) if self.is_tensor(*x) => {
                let (v, bx) = (t(*x), b(*x));
                (
                    bx.to_string(),
                    quote!(#k::__private::tensor::slot(&mut #bx, #k::__private::tensor::val(#v.as_ref().unwrap()))),
                    quote!(#k::__private::tensor::val(#v.as_ref().unwrap())),
                    quote!(#k::__private::tensor::acc(&mut #bx, #dup);),
                )
            }
            TArg::Temp(x) => {
                let (v, bx) = (t(*x), b(*x));
                (bx.to_string(), quote!(&mut #bx), quote!(&#v), quote!(#bx += #dup;))
            }
            // The dual copy's adjoint of a place is two places (value and
            // tangent parts): always through a scratch.
            TArg::Place(p) if self.dual => {
                let (g, gt) = (self.place(p, Base::Adjoint), self.place(p, Base::AdjointTangent));
                let val = self.tval(a);
                pre.extend(quote!(let mut #dup = #k::__private::tensor::scratch(#val);));
                post.extend(quote!(#k::__private::tensor::unpair_add(&#dup, &mut #g, &mut #gt);));
                return quote!(::core::option::Option::Some(&mut #dup));
            }
            TArg::Place(p) => {
                let (g, pl) = (self.place(p, Base::Adjoint), self.place(p, Base::Primal));
                (
                    format!("param{}", p.param),
                    quote!(&mut #g),
                    quote!(#k::__private::tensor::val(&#pl)),
                    quote!(#k::__private::tensor::Tensor::add_to(&#dup, &mut #g);),
                )
            }
            _ => return none,
        };
        if lent.insert(key) {
            return quote!(::core::option::Option::Some(#direct));
        }
        pre.extend(quote!(let mut #dup = #k::__private::tensor::scratch(#val);));
        post.extend(add_back);
        quote!(::core::option::Option::Some(&mut #dup))
    }

    /// In the dual copy: an active matrix or struct argument's slot, lent
    /// through a `DualSlot` as the callee takes it (a float field's as a
    /// dual number, added back after the call). A place or temporary whose
    /// adjoint is already lent to this call lends a scratch pair, added
    /// after (`f(p.v[0], p.v[1])`: both borrow `p.v`'s adjoint).
    pub(super) fn tslot_dual(&self, a: &TArg, n: usize, lent: &mut HashSet<String>, pre: &mut TokenStream, post: &mut TokenStream) -> TokenStream {
        let (k, f) = (&self.krate, self.f);
        let (ds, dup) = (format_ident!("__gd_ds{}", n), format_ident!("__gd_tdup{}", n));
        let key = match a {
            TArg::Place(p) => format!("param{}", p.param),
            TArg::Temp(x) => b(*x).to_string(),
            _ => unreachable!("only active arguments lend a slot"),
        };
        let target = self.call_slot_dual(a);
        if lent.insert(key) {
            pre.extend(quote!(let mut #ds = #k::__private::tensor::DualSlot::<_, #f>::new(#target);));
            post.extend(quote!(#ds.settle();));
        } else {
            let like = self.call_val(a);
            pre.extend(quote! {
                let mut #dup = (#k::__private::tensor::scratch(#like), #k::__private::tensor::scratch(#like));
                let mut #ds = #k::__private::tensor::DualSlot::<_, #f>::new(::core::option::Option::Some((&mut #dup.0, &mut #dup.1)));
            });
            post.extend(quote! {
                #ds.settle();
                if let ::core::option::Option::Some((__gd_b, __gd_bt)) = #target {
                    #k::__private::tensor::Tensor::add_to(&#dup.0, __gd_b);
                    #k::__private::tensor::Tensor::add_to(&#dup.1, __gd_bt);
                }
            });
        }
        quote!(#ds.lend())
    }

    /// The rule's runtime function, every token on the user's span (rustc
    /// reports an unmet bound at the path's first token).
    fn rule_fn(&self, rule: &TRule, suffix: &str, span: Span) -> TokenStream {
        let k = respan(self.krate.clone(), span);
        let f = Ident::new(&format!("{}{}", rule.func, suffix), span);
        quote_spanned!(span=> #k::__private::tensor::#f)
    }

    /// The output value as `&T`.
    fn out_ref(&self, dst: Temp) -> TokenStream {
        let v = t(dst);
        if self.is_tensor(dst) {
            quote!(#v.as_ref().unwrap())
        } else {
            quote!(&#v)
        }
    }

    pub(super) fn forward_top(&self, dst: Temp, rule: &TRule, args: &[TArg], span: Span, mode: Mode) -> TokenStream {
        let vals: Vec<TokenStream> = args.iter().map(|a| self.tval(a)).collect();
        let (v, func) = (t(dst), self.rule_fn(rule, "", span));
        let call = quote_spanned!(span=> #func(#(#vals),*));
        let mut o = match rule.out {
            Out::Tensor => quote!(#v = ::core::option::Option::Some(#call);),
            Out::Float => quote!(#v = #call;),
        };
        if mode == Mode::Tangent {
            let tans = args.iter().filter(|a| !matches!(a, TArg::Index(_))).map(|a| self.ttan(a));
            let (dv, tan, z, k) = (d(dst), self.rule_fn(rule, "_tan", span), self.out_ref(dst), &self.krate);
            o.extend(match rule.out {
                Out::Tensor => quote!(#dv = #tan(#(#vals,)* #z, #(#tans),*);),
                Out::Float => quote!(#dv = #k::__private::tensor::or_zero(#tan(#(#vals,)* #z, #(#tans),*));),
            });
        }
        o
    }

    pub(super) fn reverse_top(&self, dst: Temp, rule: &TRule, args: &[TArg], span: Span) -> TokenStream {
        if let Some(fast) = self.reverse_linear(dst, rule, args) {
            return fast;
        }
        let vals: Vec<TokenStream> = args.iter().map(|a| self.tval(a)).collect();
        let (mut lent, mut pre, mut post) = (HashSet::new(), TokenStream::new(), TokenStream::new());
        let slots: Vec<TokenStream> = args
            .iter()
            .enumerate()
            .filter(|(_, a)| !matches!(a, TArg::Index(_)))
            .map(|(n, a)| self.tslot(a, n, &mut lent, &mut pre, &mut post))
            .collect();
        let (bd, rev, z, zero) = (b(dst), self.rule_fn(rule, "_rev", span), self.out_ref(dst), &self.zero);
        let call = quote!({ #pre #rev(#(#vals,)* #z, &__gd_zb, #(#slots),*); #post });
        if self.is_tensor(dst) {
            quote!(if let ::core::option::Option::Some(__gd_zb) = #bd.take() #call)
        } else {
            quote!({ let __gd_zb = #bd; #bd = #zero; #call })
        }
    }

    /// `a + b`, `a - b`, a copy, between matrix temporaries: the output's
    /// adjoint is moved (or copied) into theirs, with no zero matrix made
    /// first and no addition when theirs is still empty.
    fn reverse_linear(&self, dst: Temp, rule: &TRule, args: &[TArg]) -> Option<TokenStream> {
        if rule.func == "mul" {
            return self.reverse_product(dst, args);
        }
        if !self.is_tensor(dst) || !matches!(rule.func, "add" | "sub" | "id") {
            return None;
        }
        if args.iter().any(|a| self.targ_active(a) && !matches!(a, TArg::Temp(x) if self.is_tensor(*x))) {
            return None;
        }
        let active: Vec<(usize, Temp)> = args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| match a {
                TArg::Temp(x) if self.targ_active(a) => Some((i, *x)),
                _ => None,
            })
            .collect();
        let (k, bd) = (&self.krate, b(dst));
        let mut stmts = TokenStream::new();
        for (n, &(i, x)) in active.iter().enumerate() {
            let bx = b(x);
            let zb = if n + 1 == active.len() { quote!(__gd_zb) } else { quote!(::core::clone::Clone::clone(&__gd_zb)) };
            let f = if rule.func == "sub" && i == 1 { quote!(acc_neg) } else { quote!(acc) };
            stmts.extend(quote!(#k::__private::tensor::#f(&mut #bx, #zb);));
        }
        Some(quote!(if let ::core::option::Option::Some(__gd_zb) = #bd.take() { #stmts }))
    }

    /// A product whose active operands are matrix temporaries (two distinct
    /// ones): each operand's contribution is made as a new matrix when its
    /// adjoint is still empty (`mul_rev_a`/`mul_rev_b`), instead of a zero
    /// matrix accumulated into.
    fn reverse_product(&self, dst: Temp, args: &[TArg]) -> Option<TokenStream> {
        let [a, b_] = args else { return None };
        let temp = |x: &TArg| match x {
            TArg::Temp(t) if self.live(*t) && self.is_tensor(*t) => Some(*t),
            _ => None,
        };
        let (ta, tb) = (temp(a), temp(b_));
        if ta.is_none() && tb.is_none() || ta.is_some() && ta == tb {
            return None;
        }
        // Two places of one parameter would lend its gradient twice.
        if let (TArg::Place(p), TArg::Place(q)) = (a, b_) {
            if p.param == q.param {
                return None;
            }
        }
        // A parameter's place (outside the dual copy, where it is a pair of
        // places) takes its part through the plain rule; a float operand
        // sends the whole product to the plain rule.
        let place = |x: &TArg| matches!(x, TArg::Place(_)) && !self.dual;
        if (ta.is_none() && self.targ_active(a) && !place(a)) || (tb.is_none() && self.targ_active(b_) && !place(b_)) {
            return None;
        }
        let (k, bd, va, vb) = (&self.krate, b(dst), self.tval(a), self.tval(b_));
        let none = quote!(::core::option::Option::None);
        let mut stmts = TokenStream::new();
        match (ta, a) {
            (Some(x), _) => {
                let bx = b(x);
                stmts.extend(quote!(#k::__private::tensor::mul_rev_a(#va, #vb, &__gd_zb, &mut #bx);));
            }
            (None, TArg::Place(p)) => {
                let g = self.place(p, Base::Adjoint);
                stmts.extend(quote!(#k::__private::tensor::MulRule::rev(#va, #vb, &__gd_zb, ::core::option::Option::Some(&mut #g), #none);));
            }
            _ => {}
        }
        match (tb, b_) {
            (Some(x), _) => {
                let bx = b(x);
                stmts.extend(quote!(#k::__private::tensor::mul_rev_b(#va, #vb, &__gd_zb, &mut #bx);));
            }
            (None, TArg::Place(p)) => {
                let g = self.place(p, Base::Adjoint);
                stmts.extend(quote!(#k::__private::tensor::MulRule::rev(#va, #vb, &__gd_zb, #none, ::core::option::Option::Some(&mut #g));));
            }
            _ => {}
        }
        let take = if self.is_tensor(dst) {
            quote!(if let ::core::option::Option::Some(__gd_zb) = #bd.take())
        } else {
            return None;
        };
        Some(quote!(#take { #stmts }))
    }

    pub(super) fn forward_tmap(&self, dst: Temp, deriv: Temp, arg: &TArg, f: &TokenStream, threads: bool, mode: Mode) -> TokenStream {
        let (k, a, v, dv) = (&self.krate, self.tval(arg), t(dst), t(deriv));
        // A closure that captures nothing is `Sync`: it may run on several
        // threads (src/__private/tensor/maps.rs).
        let map = if threads { quote!(map_jvp_threaded) } else { quote!(map_jvp) };
        let mut o = quote! {{
            let (__gd_z, __gd_dz) = #k::__private::tensor::#map(#a, #f);
            #v = ::core::option::Option::Some(__gd_z);
            #dv = ::core::option::Option::Some(__gd_dz);
        }};
        if mode == Mode::Tangent {
            let (dd, ta) = (d(dst), self.ttan(arg));
            o.extend(quote!(#dd = #k::__private::tensor::map_tan(#dv.as_ref().unwrap(), #ta);));
        }
        o
    }

    pub(super) fn reverse_tmap(&self, dst: Temp, deriv: Temp, arg: &TArg) -> TokenStream {
        let (k, bd, dv) = (&self.krate, b(dst), t(deriv));
        if let TArg::Temp(x) = arg {
            if !self.live(*x) {
                return quote!(#bd = ::core::option::Option::None;);
            }
            if self.is_tensor(*x) {
                let bx = b(*x);
                return quote! {
                    if let ::core::option::Option::Some(__gd_zb) = #bd.take() {
                        #k::__private::tensor::map_rev_owned(#dv.as_ref().unwrap(), __gd_zb, &mut #bx);
                    }
                };
            }
        }
        let (mut lent, mut pre, mut post) = (HashSet::new(), TokenStream::new(), TokenStream::new());
        let slot = self.tslot(arg, 0, &mut lent, &mut pre, &mut post);
        quote! {
            if let ::core::option::Option::Some(__gd_zb) = #bd.take() {
                #pre
                #k::__private::tensor::map_rev(#dv.as_ref().unwrap(), &__gd_zb, #slot);
                #post
            }
        }
    }

    /// `dst = src` for a matrix temporary: a copy (a passive source, which
    /// may be a reference to a parameter, is copied into an owned value).
    pub(super) fn forward_tcopy(&self, dst: Temp, src: &Operand, mode: Mode) -> TokenStream {
        let (k, v) = (&self.krate, t(dst));
        let Operand::Temp(x) = src else {
            let f = self.f;
            let Operand::Const(c) = src else { unreachable!() };
            return quote!(#v = ::core::option::Option::Some(#c as #f););
        };
        let s = t(*x);
        let active = self.temps[x.0].active;
        let moved = self.moves.contains(&(dst, *x));
        let mut o = if active && moved {
            quote!(#v = #s.take();)
        } else if active {
            quote!(#v = #s.clone();)
        } else if self.dual {
            quote!(#v = #s.as_ref().map(|s| #k::__private::tensor::lift(s));)
        } else {
            quote!(#v = #s.as_ref().map(|s| #k::__private::tensor::own(s));)
        };
        if mode == Mode::Tangent {
            let dv = d(dst);
            o.extend(if active && moved {
                let dx = d(*x);
                quote!(#dv = #dx.take();)
            } else if active {
                let dx = d(*x);
                quote!(#dv = #dx.clone();)
            } else {
                quote!(#dv = ::core::option::Option::None;)
            });
        }
        o
    }

    pub(super) fn reverse_tcopy(&self, dst: Temp, src: &Operand) -> TokenStream {
        let (k, bd) = (&self.krate, b(dst));
        match src {
            Operand::Temp(x) if self.live(*x) => {
                let bx = b(*x);
                quote! {
                    if let ::core::option::Option::Some(__gd_zb) = #bd.take() {
                        #k::__private::tensor::acc(&mut #bx, __gd_zb);
                    }
                }
            }
            _ => quote!(#bd = ::core::option::Option::None;),
        }
    }

    /// Ties each matrix temporary's adjoint (or tangent) type to its value's.
    pub(super) fn tensor_ties(&self, mode: Mode) -> TokenStream {
        let k = &self.krate;
        let mut out = TokenStream::new();
        for (i, info) in self.temps.iter().enumerate() {
            if info.ty == Ty::Tensor && info.active {
                let x = Temp(i);
                let v = t(x);
                let dv = if mode == Mode::Record { b(x) } else { d(x) };
                out.extend(quote!(#k::__private::tensor::same_type(&#v, &#dv);));
            }
        }
        out
    }
}

fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                t = proc_macro2::TokenTree::Group(ng);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// The copies of matrix temporaries that may move their source (`take()`)
/// instead of cloning it: a copy that ends its block (a loop body's end
/// values, a branch's merged values) or fills the header of the loop that
/// follows it, from a temporary that nothing else reads and the reverse
/// sweep does not need. (User code that read the source through its name
/// is done by then: nothing of the block follows.)
pub(super) fn plan_moves(body: &Block, temps: &[TempInfo], needed: &HashSet<Temp>) -> HashSet<(Temp, Temp)> {
    let mut reads = std::collections::HashMap::new();
    crate::plan::fused::count_reads(body, &mut reads);
    let mut out = HashSet::new();
    fn go(b: &Block, ok: &dyn Fn(Temp) -> bool, out: &mut HashSet<(Temp, Temp)>) {
        let trailing = b.iter().rev().take_while(|s| matches!(s, Stmt::Copy { .. })).count();
        let mut here = HashSet::new();
        crate::plan::fused::assigned(b, &mut here);
        for (i, s) in b.iter().enumerate() {
            if let Stmt::Copy { dst, src: Operand::Temp(x) } = s {
                // A value made in this block, copied at its end.
                let ends_block = i >= b.len() - trailing && here.contains(x);
                let heads_next_loop = b[i + 1..]
                    .iter()
                    .find(|s| !matches!(s, Stmt::Copy { .. }))
                    .is_some_and(|s| matches!(s, Stmt::Loop(l) if l.backedge.iter().any(|(h, _)| h == dst)));
                if (ends_block || heads_next_loop) && ok(*x) {
                    out.insert((*dst, *x));
                }
            }
            for c in s.children() {
                go(c, ok, out);
            }
        }
    }
    let ok = |x: Temp| temps[x.0].ty == Ty::Tensor && temps[x.0].active && !needed.contains(&x) && reads.get(&x) == Some(&1);
    go(body, &ok, &mut out);
    out
}
