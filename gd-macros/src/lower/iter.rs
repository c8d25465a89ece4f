//! Iterator chains over arrays: `for x in xs.iter()`, `xs.iter().map(..).sum()`,
//! `.zip`, `.enumerate`, `.fold`, `.product`. A chain over a differentiated
//! array becomes an index loop with loads; a chain over a passive iterator
//! (a range, data) whose closures read differentiated values becomes a `for`
//! loop over that iterator. `xs.windows(k)`, `xs.chunks(k)` and
//! `xs.chunks_exact(k)` yield views (`super::View`): `w[j]` is a load of
//! `xs[start + j]`, checked against the view's length.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{Expr, Pat, Result};

use super::env::BKind;
use super::{strip, Frame, Lowerer, Val};
use crate::ir::*;
use crate::sig::Class;

pub enum Src {
    Active(Arr),
    Passive(TokenStream),
}

pub enum Item {
    Elem { src: Src, by_ref: bool },
    Index,
    Pair(Box<Item>, Box<Item>),
    /// The adapted iterator's item at another position (`skip`, `rev`,
    /// `step_by`, a slice's start).
    At(Box<Item>, Pos),
    /// A run of `size` elements of a differentiated array at each position
    /// (`windows`, `chunks`, `chunks_exact`) of the slice `array[base..]`
    /// of length `slice_len`; `src` names the array.
    Run { array: Arr, src: TokenStream, base: TokenStream, slice_len: TokenStream, size: TokenStream, kind: RunKind },
}

#[derive(Clone, Copy, PartialEq)]
pub enum RunKind {
    /// Overlapping, one step apart.
    Windows,
    /// Side by side; the last may be shorter.
    Chunks,
    /// Side by side, all `size` long (the rest is left out).
    ChunksExact,
}

/// Where position `k` of an adapter is in the iterator it adapts.
pub enum Pos {
    /// `k + s` (`skip(s)`, a slice `xs[s..]`).
    Offset(TokenStream),
    /// `len - 1 - k` (`rev()`, over `len` items).
    Rev(TokenStream),
    /// `k * st` (`step_by(st)`).
    Step(TokenStream),
}

impl Pos {
    fn apply(&self, k: &TokenStream) -> TokenStream {
        match self {
            Pos::Offset(s) => quote!((#k + (#s))),
            Pos::Rev(len) => quote!((#len - 1 - #k)),
            Pos::Step(st) => quote!((#k * (#st))),
        }
    }
}

pub struct ActiveIter {
    pub len: TokenStream,
    pub item: Item,
}

/// One element of an iteration, lowered.
pub enum ItemVal {
    Active(Temp, bool),
    Passive(TokenStream, bool),
    Index(TokenStream),
    Pair(Box<ItemVal>, Box<ItemVal>),
    /// A window or chunk (index into the lowerer's views).
    View(usize),
}


impl<'a> Lowerer<'a> {
    /// The differentiated array a path names, if any.
    fn array_param(&self, e: &Expr) -> Option<Arr> {
        if let Expr::Path(p) = strip(e) {
            let id = p.path.get_ident()?;
            if let Some(b) = self.env.lookup(&id.to_string()) {
                if let BKind::Array(i) = b.kind {
                    return Some(i);
                }
            }
        }
        None
    }

    /// A differentiated array or a range of one (`xs`, `xs[a..b]`, `xs[1..]`):
    /// the array, the length of what it names, and the item, at the
    /// slice's start.
    fn array_slice(&self, e: &Expr, by_ref: bool) -> Option<(TokenStream, Item)> {
        if let Some(v) = self.view_name(e) {
            // A window: the array from the window's start, for its length.
            let super::View { array, start, len, .. } = &self.views[v];
            let elem = Item::Elem { src: Src::Active(*array), by_ref };
            return Some((len.clone(), Item::At(Box::new(elem), Pos::Offset(start.clone()))));
        }
        if let Some(i) = self.array_param(e) {
            let by_ref = by_ref || !self.by_value(i);
            return Some((quote!(#e.len()), Item::Elem { src: Src::Active(i), by_ref }));
        }
        let Expr::Index(ix) = strip(e) else { return None };
        let Expr::Range(r) = strip(&ix.index) else { return None };
        let i = self.array_param(&ix.expr)?;
        // The slice's own length: it panics where the slice would.
        let elem = Item::Elem { src: Src::Active(i), by_ref: true };
        let item = match &r.start {
            Some(a) => Item::At(Box::new(elem), Pos::Offset(quote!(#a))),
            None => elem,
        };
        Some((quote!(#e.len()), item))
    }

    /// The window or chunk a path names, if any.
    fn view_name(&self, e: &Expr) -> Option<usize> {
        let Expr::Path(p) = strip(e) else { return None };
        match self.env.lookup(&p.path.get_ident()?.to_string())?.kind {
            BKind::View(v) => Some(v),
            _ => None,
        }
    }

    /// Does iterating the array itself (`for x in xs`) yield values?
    fn by_value(&self, a: Arr) -> bool {
        match a {
            Arr::Param(i) => matches!(self.sig.params[i].class, Class::Array { by_value: true, .. }),
            Arr::Local(_) => true,
        }
    }

    /// Parses an iterator expression; `(len, item, reads a differentiated array)`.
    fn iter_parts(&self, e: &Expr) -> Option<(TokenStream, Item, bool)> {
        let e = strip(e);
        match e {
            Expr::Path(_) => {
                if let Some((len, item)) = self.view_name(e).and_then(|_| self.array_slice(e, true)) {
                    return Some((len, item, true));
                }
                if let Some(i) = self.array_param(e) {
                    return Some((quote!(#e.len()), Item::Elem { src: Src::Active(i), by_ref: !self.by_value(i) }, true));
                }
                Some((quote!(#e.len()), Item::Elem { src: Src::Passive(quote!(#e)), by_ref: true }, false))
            }
            Expr::Reference(r) => {
                let inner = strip(&r.expr);
                if let Some((len, item)) = self.array_slice(inner, true) {
                    return Some((len, item, true));
                }
                if let Expr::Path(_) = inner {
                    return Some((quote!(#inner.len()), Item::Elem { src: Src::Passive(quote!(#inner)), by_ref: true }, false));
                }
                None
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match (name.as_str(), m.args.len()) {
                    ("iter" | "into_iter" | "iter_mut", 0) => {
                        let recv = strip(&m.receiver);
                        let by_ref = name != "into_iter";
                        if let Some((len, item)) = self.array_slice(recv, by_ref) {
                            return Some((len, item, true));
                        }
                        if let Expr::Path(_) = recv {
                            return Some((quote!(#recv.len()), Item::Elem { src: Src::Passive(quote!(#recv)), by_ref: true }, false));
                        }
                        None
                    }
                    ("copied" | "cloned", 0) => {
                        let (len, item, act) = self.iter_parts(&m.receiver)?;
                        fn copied(item: Item) -> Option<Item> {
                            match item {
                                Item::Elem { src, .. } => Some(Item::Elem { src, by_ref: false }),
                                Item::At(inner, pos) => Some(Item::At(Box::new(copied(*inner)?), pos)),
                                _ => None,
                            }
                        }
                        Some((len, copied(item)?, act))
                    }
                    // Views of a differentiated array, or of a range of one
                    // (`xs[1..].windows(2)`); the size is evaluated where
                    // each view is used, so it must be a plain expression
                    // (a name, a literal).
                    ("windows" | "chunks" | "chunks_exact", 1) if super::is_pure(&m.args.to_token_stream()) => {
                        let recv = strip(&m.receiver);
                        let (array, src, base) = match self.array_param(recv) {
                            Some(a) => (a, quote!(#recv), quote!(0usize)),
                            None => {
                                let Expr::Index(ix) = recv else { return None };
                                let Expr::Range(r) = strip(&ix.index) else { return None };
                                let (a, arr) = (self.array_param(&ix.expr)?, &ix.expr);
                                let base = r.start.as_ref().map_or_else(|| quote!(0usize), |s| quote!((#s)));
                                (a, quote!(#arr), base)
                            }
                        };
                        let (size, k, slice_len) = (&m.args[0], crate::krate(), quote!(#recv.len()));
                        let (count, kind) = match name.as_str() {
                            "windows" => (quote!(#k::__private::windows_count(#slice_len, #size)), RunKind::Windows),
                            "chunks" => (quote!(#k::__private::chunks_count(#slice_len, #size, false)), RunKind::Chunks),
                            _ => (quote!(#k::__private::chunks_count(#slice_len, #size, true)), RunKind::ChunksExact),
                        };
                        Some((count, Item::Run { array, src, base, slice_len, size: quote!((#size)), kind }, true))
                    }
                    ("enumerate", 0) => {
                        let (len, item, act) = self.iter_parts(&m.receiver)?;
                        Some((len, Item::Pair(Box::new(Item::Index), Box::new(item)), act))
                    }
                    ("zip", 1) => {
                        let (l1, a, x1) = self.iter_parts(&m.receiver)?;
                        let (l2, b, x2) = self.iter_parts(&m.args[0])?;
                        Some((quote!(::core::cmp::min(#l1, #l2)), Item::Pair(Box::new(a), Box::new(b)), x1 || x2))
                    }
                    // Adapters that choose positions: the loop runs over the
                    // new positions and maps each to the old one.
                    ("skip" | "take" | "step_by" | "rev", _) => {
                        let (len, item, act) = self.iter_parts(&m.receiver)?;
                        let arg = m.args.first().map(|a| quote!(#a));
                        let (len, pos) = match (name.as_str(), arg) {
                            ("skip", Some(s)) => (quote!(#len.saturating_sub(#s)), Some(Pos::Offset(s))),
                            ("take", Some(t)) => (quote!(::core::cmp::min(#len, #t)), None),
                            // step_by(0) panics, as the division by it does.
                            ("step_by", Some(st)) => (quote!((#len + (#st) - 1) / (#st)), Some(Pos::Step(st))),
                            ("rev", None) => (len.clone(), Some(Pos::Rev(len))),
                            _ => return None,
                        };
                        let item = match pos {
                            Some(p) => Item::At(Box::new(item), p),
                            None => item,
                        };
                        Some((len, item, act))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `f(..).iter()`: an iterator over what a call returned.
    fn iterates_call(&self, e: &Expr) -> bool {
        match super::strip(e) {
            Expr::MethodCall(m) => self.iterates_call(&m.receiver),
            Expr::Call(c) => !matches!(super::strip(&c.func), Expr::Path(p) if p.path.segments.first().is_some_and(|s| s.ident == "f64" || s.ident == "f32")),
            Expr::Reference(r) => self.iterates_call(&r.expr),
            _ => false,
        }
    }

    /// An iterator that reads a differentiated array, if this is one.
    pub(super) fn active_iter(&self, e: &Expr) -> Result<Option<ActiveIter>> {
        match self.iter_parts(e) {
            Some((len, item, true)) => Ok(Some(ActiveIter { len, item })),
            _ => {
                if self.reads_active_values(e) && self.iterates_call(e) {
                    return self.err(e, super::expr::OUTPUTS_HINT);
                }
                if self.reads_active_values(e) {
                    return self.err(
                        e,
                        "#[differentiable]: unsupported iterator over a differentiated array; use `xs.iter()`, `&xs`, `xs[a..b].iter()`, `xs.windows(k)`, `xs.chunks(k)`, `xs.chunks_exact(k)`, `.copied()`, `.enumerate()`, `.zip(..)`, `.skip(n)`, `.take(n)`, `.step_by(n)`, `.rev()`, or a loop over indices",
                    );
                }
                Ok(None)
            }
        }
    }

    /// Does the expression read differentiated values, other than through
    /// `xs.len()` / `xs.is_empty()`? An iterator that does not is passive.
    pub(super) fn reads_active_values(&self, e: &Expr) -> bool {
        struct V<'l, 'a> {
            lw: &'l Lowerer<'a>,
            found: bool,
        }
        impl<'ast> syn::visit::Visit<'ast> for V<'_, '_> {
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                // Shape queries (`xs.len()`, `m.nrows()`, `p.layers.len()`) read no values.
                let shape = crate::tensor_rules::SHAPE_METHODS.contains(&m.method.to_string().as_str());
                if shape && super::tensor::is_place_path(&m.receiver) {
                    return;
                }
                syn::visit::visit_expr_method_call(self, m);
            }
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                if let Some(id) = p.path.get_ident() {
                    self.found |= self.lw.env.is_active_name(id);
                }
            }
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                self.found |= super::macro_mentions(m, &mut |i| self.lw.env.is_active_name(i));
            }
        }
        let mut v = V { lw: self, found: false };
        syn::visit::Visit::visit_expr(&mut v, e);
        v.found
    }

    pub(super) fn index_head(&mut self, it: &ActiveIter) -> (LoopHead, Ident) {
        let k = Ident::new(&format!("__gd_k{}", self.next_uid()), Span::call_site());
        let len = &it.len;
        (LoopHead::For { pat: quote!(#k), iter: quote!(0..#len) }, k)
    }

    /// The iterator's item at the trip whose index variable `index_head`
    /// named `k`.
    pub(super) fn item_at(&mut self, it: &ActiveIter, k: &Ident) -> ItemVal {
        let kt = self.capture(Ty::Usize, quote!(#k));
        self.item_val(&it.item, kt, &quote!(#k))
    }

    /// The item at position `k` (whose `usize` temporary is `kt`).
    pub(super) fn item_val(&mut self, item: &Item, kt: Temp, k: &TokenStream) -> ItemVal {
        match item {
            Item::Elem { src: Src::Active(i), by_ref } => {
                ItemVal::Active(self.load(*i, kt), *by_ref)
            }
            Item::Elem { src: Src::Passive(ts), by_ref } => ItemVal::Passive(quote!(#ts[#k]), *by_ref),
            Item::Index => ItemVal::Index(k.clone()),
            Item::Pair(a, b) => ItemVal::Pair(Box::new(self.item_val(a, kt, k)), Box::new(self.item_val(b, kt, k))),
            Item::At(inner, pos) => {
                let k = pos.apply(k);
                let kt = self.capture(Ty::Usize, k.clone());
                self.item_val(inner, kt, &k)
            }
            Item::Run { array, src, base, slice_len, size, kind } => {
                // The view's start in the slice, then in the array.
                let at = match kind {
                    RunKind::Windows => k.clone(),
                    RunKind::Chunks | RunKind::ChunksExact => quote!((#k * #size)),
                };
                let start = quote!((#base + #at));
                let len = match kind {
                    RunKind::Chunks => quote!(::core::cmp::min(#size, #slice_len - #at)),
                    RunKind::Windows | RunKind::ChunksExact => size.clone(),
                };
                self.views.push(super::View { array: *array, src: src.clone(), start, len, bounds: None });
                ItemVal::View(self.views.len() - 1)
            }
        }
    }

    /// Binds a closure or `for` pattern to an element.
    pub(super) fn bind_pat(&mut self, pat: &Pat, v: ItemVal) -> Result<()> {
        match (pat, v) {
            (Pat::Type(t), v) => self.bind_pat(&t.pat, v),
            (Pat::Paren(p), v) => self.bind_pat(&p.pat, v),
            (Pat::Wild(_), _) => Ok(()),
            (Pat::Ident(pi), v) if pi.subpat.is_none() => {
                let key = &pi.ident as *const _ as usize;
                let name = &pi.ident;
                match v {
                    ItemVal::Active(t, by_ref) => {
                        self.bind(name, key, BKind::Active { temp: t, by_ref }, pi.mutability.is_some());
                    }
                    ItemVal::Passive(ts, by_ref) => {
                        let r = by_ref.then(|| quote!(&));
                        self.emit(Stmt::Verbatim(quote!(let #name = #r #ts;)));
                        self.bind(name, key, BKind::Passive, false);
                    }
                    ItemVal::Index(k) => {
                        self.emit(Stmt::Verbatim(quote!(let #name = #k;)));
                        self.bind(name, key, BKind::Passive, false);
                    }
                    ItemVal::View(v) => {
                        // The slice itself, for what user code does with it
                        // (`w.len()`); elements are read through the view.
                        // Taken with `get` (`__private::slice_view`), which
                        // cannot panic: the run is in bounds by construction,
                        // and a binding that nothing reads then costs nothing
                        // (indexing kept a bounds check per trip that LLVM
                        // could not drop).
                        let super::View { src, start, len, .. } = &self.views[v];
                        let k = crate::krate();
                        let s = quote!(#k::__private::slice_view(#src, #start, #len));
                        self.emit(Stmt::Verbatim(quote!(let #name: &[_] = #s;)));
                        self.bind(name, key, BKind::View(v), false);
                    }
                    ItemVal::Pair(..) => return self.err(pat, "#[differentiable]: destructure this pair: `(a, b)`"),
                }
                Ok(())
            }
            (Pat::Reference(r), ItemVal::Active(t, true)) => self.bind_pat(&r.pat, ItemVal::Active(t, false)),
            (Pat::Reference(r), ItemVal::Passive(ts, true)) => self.bind_pat(&r.pat, ItemVal::Passive(ts, false)),
            (Pat::Tuple(tp), ItemVal::Pair(a, b)) if tp.elems.len() == 2 => {
                self.bind_pat(&tp.elems[0], *a)?;
                self.bind_pat(&tp.elems[1], *b)
            }
            (p, _) => self.err(p, "#[differentiable]: this pattern does not fit the iterator's items"),
        }
    }

    /// `.sum()`, `.product()`, `.fold(init, |acc, x| ..)` over an iterator chain
    /// with optional `.map(..)` steps.
    pub(super) fn lower_fold(&mut self, m: &syn::ExprMethodCall) -> Result<Val> {
        let name = m.method.to_string();
        let fold_closure = match (name.as_str(), m.args.len()) {
            ("sum" | "product", 0) => None,
            ("fold", 2) => match strip(&m.args[1]) {
                Expr::Closure(c) if c.inputs.len() == 2 => Some(c),
                _ => return self.err(&m.args[1], "#[differentiable]: `fold` needs a closure `|acc, x| ..`"),
            },
            _ => return self.err(&m.method, "#[differentiable]: unsupported use of this method"),
        };
        // The `.map(..)` and `.filter(..)` steps, in order from the source.
        let mut steps = Vec::new();
        let mut src = &*m.receiver;
        while let Expr::MethodCall(mc) = strip(src) {
            let filter = match mc.method.to_string().as_str() {
                "map" => false,
                "filter" => true,
                _ => break,
            };
            match (mc.args.len(), mc.args.first().map(strip)) {
                (1, Some(Expr::Closure(c))) if c.inputs.len() == 1 => steps.push(if filter { Step::Filter(c) } else { Step::Map(c) }),
                _ => return self.err(mc, format!("#[differentiable]: `{}` needs a closure with one parameter", mc.method)),
            }
            src = &mc.receiver;
        }
        steps.reverse();
        let init = match &fold_closure {
            Some(_) => {
                let v = self.lower_expr(&m.args[0])?;
                self.operand(v, &m.args[0])?
            }
            None if name == "sum" => Operand::Const(quote!(0.0)),
            None => Operand::Const(quote!(1.0)),
        };
        let acc0 = self.temp(Ty::Float, true);
        self.emit(Stmt::Copy { dst: acc0, src: init });
        self.env.push();
        let acc_name = Ident::new(&format!("__gd_acc{}", self.next_uid()), Span::call_site());
        let acc = self.bind(&acc_name, 0, BKind::Active { temp: acc0, by_ref: false }, true);

        let it = self.active_iter(src)?;
        let head;
        let elem = match &it {
            Some(it) => {
                let (h, k) = self.index_head(it);
                head = h;
                Elem::Active(it, k)
            }
            None => {
                // A passive source (a range, data): each step binds its
                // pattern to the element with a `let`, as Rust would.
                if steps.is_empty() && fold_closure.is_none() {
                    return self.err(src, "#[differentiable]: nothing differentiated to sum over");
                }
                let e = Ident::new(&format!("__gd_e{}", self.next_uid()), Span::call_site());
                head = LoopHead::For { pat: quote!(#e), iter: quote!(#src) };
                Elem::Passive(e)
            }
        };
        let end = FoldEnd { closure: fold_closure, product: name == "product", acc, src };
        let res = self.lower_loop(head, &mut |s| {
            s.fold_steps(&steps, Cur::Elem, &elem, &end)?;
            s.run(&[Frame::LoopEnd])
        });
        let result = self.env.active_temp(acc);
        self.env.pop();
        res?;
        Ok(Val::Active(result.unwrap()))
    }
}

/// A step of a reduced iterator chain.
enum Step<'e> {
    Map(&'e syn::ExprClosure),
    /// Keeps the elements its closure accepts: the rest of the chain, the
    /// accumulator's update included, runs in a branch on it.
    Filter(&'e syn::ExprClosure),
}

/// The element of one trip of a reduction: an index into a differentiated
/// array's iterator (loaded where a step binds it), or a passive element
/// bound to a name by the loop head.
enum Elem<'i> {
    Active(&'i ActiveIter, Ident),
    Passive(Ident),
}

/// What flows between steps: the trip's element, not yet bound, or the
/// value of the last `map`.
#[derive(Clone)]
enum Cur {
    Elem,
    Val(Val),
}

/// The end of a reduction: `sum`, `product` or a `fold` closure, into the
/// accumulator binding `acc`.
struct FoldEnd<'e> {
    closure: Option<&'e syn::ExprClosure>,
    product: bool,
    acc: usize,
    src: &'e Expr,
}

impl<'a> Lowerer<'a> {
    /// The steps of one trip, then the accumulator's update.
    fn fold_steps(&mut self, steps: &[Step<'_>], cur: Cur, elem: &Elem<'_>, end: &FoldEnd<'_>) -> Result<()> {
        match steps.split_first() {
            None => self.fold_update(cur, elem, end),
            Some((Step::Map(c), rest)) => {
                self.bind_step(&c.inputs[0], cur, elem, &c.body)?;
                let v = self.lower_expr(&c.body)?;
                self.fold_steps(rest, Cur::Val(v), elem, end)
            }
            Some((Step::Filter(c), rest)) => {
                // The closure takes `&item`: its pattern without that `&`
                // binds the item itself (`|&&v|` over `xs.iter()` binds `v`).
                // A tuple pattern over a pair binds by match ergonomics. A
                // plain name would be `&&f64` in the condition, which is
                // kept as written, while the element is bound as a value.
                let pat = match &c.inputs[0] {
                    Pat::Reference(r) => &*r.pat,
                    p @ Pat::Tuple(_) => p,
                    p => {
                        return self.err(
                            p,
                            "#[differentiable]: write the `filter` closure's parameter as a reference pattern, `|&&v| ..` over `xs.iter()` or `|&v| ..` over values (`.copied()`, after a `map`): the condition is kept as written and sees the element by that name",
                        )
                    }
                };
                self.env.push();
                let bound = self.bind_step(pat, cur.clone(), elem, &c.body);
                let keep = bound.and_then(|_| self.cond(&c.body));
                self.env.pop();
                let keep = keep?;
                let mut cur = Some(cur);
                self.branches(
                    keep,
                    false,
                    &mut |s| s.fold_steps(rest, cur.take().expect("one branch"), elem, end).map(|_| Val::Passive(quote!(()))),
                    &mut |_| Ok(Val::Passive(quote!(()))),
                )?;
                Ok(())
            }
        }
    }

    /// Binds a step's closure pattern to what flows into it.
    fn bind_step(&mut self, pat: &Pat, cur: Cur, elem: &Elem<'_>, at: &Expr) -> Result<()> {
        match (cur, elem) {
            (Cur::Elem, Elem::Active(it, k)) => {
                let iv = self.item_at(it, k);
                self.bind_pat(pat, iv)
            }
            (Cur::Elem, Elem::Passive(e)) => {
                self.emit(Stmt::Verbatim(quote!(let #pat = #e;)));
                for n in super::stmt::pat_idents(pat) {
                    self.bind(n, 0, BKind::Passive, false);
                }
                Ok(())
            }
            (Cur::Val(v), _) => match pat {
                Pat::Type(t) => self.bind_step(&t.pat, Cur::Val(v), elem, at),
                Pat::Ident(pi) => {
                    let key = &pi.ident as *const _ as usize;
                    self.bind_value_pub(&pi.ident, key, v, at)
                }
                p => self.err(p, "#[differentiable]: use a plain name for the parameter of a step after a `map`"),
            },
        }
    }

    /// `acc ← acc + v`, `acc · v`, or the fold closure's value.
    fn fold_update(&mut self, cur: Cur, elem: &Elem<'_>, end: &FoldEnd<'_>) -> Result<()> {
        let acc_t = self.env.active_temp(end.acc).unwrap();
        let new = match end.closure {
            Some(c) => {
                match cur {
                    Cur::Elem => self.bind_step(&c.inputs[1], Cur::Elem, elem, &c.body)?,
                    Cur::Val(v) => match &c.inputs[1] {
                        Pat::Ident(pi) => {
                            let key = &pi.ident as *const _ as usize;
                            self.bind_value_pub(&pi.ident, key, v, &c.body)?;
                        }
                        p => return self.err(p, "#[differentiable]: use a plain name here"),
                    },
                }
                match &c.inputs[0] {
                    Pat::Ident(pi) => {
                        self.bind(&pi.ident, 0, BKind::Active { temp: acc_t, by_ref: false }, false);
                    }
                    p => return self.err(p, "#[differentiable]: use a plain name for the accumulator"),
                }
                let v = self.lower_expr(&c.body)?;
                self.operand(v, &c.body)?
            }
            None => {
                let v = match (cur, elem) {
                    (Cur::Val(v), _) => v,
                    (Cur::Elem, Elem::Active(it, k)) => {
                        match self.item_at(it, k) {
                            ItemVal::Active(t, _) => Val::Active(t),
                            ItemVal::Passive(ts, _) => Val::Passive(ts),
                            _ => return self.err(end.src, "#[differentiable]: cannot sum pairs; add `.map(|(a, b)| ..)`"),
                        }
                    }
                    (Cur::Elem, Elem::Passive(e)) => Val::Passive(quote!(#e)),
                };
                let r = self.operand(v, end.src)?;
                let prim = crate::rules::lookup(if end.product { "mul" } else { "add" }).unwrap();
                match self.op(prim, vec![Operand::Temp(acc_t), r]) {
                    Val::Active(t) => Operand::Temp(t),
                    _ => unreachable!(),
                }
            }
        };
        let t = match new {
            Operand::Temp(t) if self.temps[t.0].active => t,
            other => {
                let t = self.temp(Ty::Float, true);
                self.emit(Stmt::Copy { dst: t, src: other });
                t
            }
        };
        self.set_active(end.acc, t);
        Ok(())
    }
}
