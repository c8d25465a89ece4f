//! Lowering: syn → IR. The only pass that sees syn.
//!
//! Activity is decided here: a binding is active when a value that depends on
//! a differentiated parameter is stored in it. A `let` first lowered as passive
//! that later receives an active value restarts the lowering with that binding
//! marked active (bindings are keyed by the address of their syntax node, which
//! does not change between attempts).
//!
//! Early exits (`return`, `break`, `continue`) are lowered by moving the rest of
//! the enclosing block into the branch that does not exit (continuation
//! frames), so that the IR has only structured `If` and `Loop`.

mod env;
mod expr;
mod extreme;
mod reduce;
mod array;
mod iter;
mod inline;
mod order;
mod stmt;
mod sugar;
mod tensor;

use std::collections::HashSet;

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{Error, Result};

use crate::ir::*;
pub(crate) use crate::syntax::{first_write, is_pure, macro_mentions, mentions, mentions_unstopped, strip};
use crate::sig::{Class, Sig};
use env::{BKind, Binding, Env};

pub fn lower_fn(sig: &Sig, block: &syn::Block) -> Result<Lowered> {
    // Rewritten once: bindings are keyed by the syntax tree's addresses,
    // which must stay the same across the restarts below.
    let block = &sugar::rewrite(block);
    let mut active_keys = HashSet::new();
    let mut tensor_keys = HashSet::new();
    // Each restart marks one more binding active, so this is bounded by the
    // number of bindings; the cap only guards against a bug here.
    for _ in 0..512 {
        let mut lw = Lowerer::new(sig, &active_keys, &tensor_keys);
        let res = lw.lower_body(block);
        if let Some(k) = lw.restart {
            let tensor = lw.restart_tensor;
            drop(lw);
            active_keys.insert(k);
            if tensor {
                tensor_keys.insert(k);
            }
            continue;
        }
        res?;
        let mut body = lw.out.pop().unwrap();
        order::highest_offset_first(&mut body);
        return Ok(Lowered {
            body,
            temps: lw.temps,
            ret: lw.ret,
            param_temps: lw.param_temps,
            locals: lw.locals,
            ret_arr: lw.ret_arr,
            param_borrows: lw.param_borrows,
            split_safe: lw.split_safe,
        });
    }
    Err(Error::new(sig.name.span(), "#[differentiable]: activity analysis did not converge (a bug in gd)"))
}

/// Values of expressions during lowering.
#[derive(Clone)]
pub enum Val {
    Active(Temp),
    /// A passive expression, emitted verbatim (it reads active values through aliases).
    Passive(TokenStream),
    /// A differentiated array, with the tokens that name it.
    Array(Arr, TokenStream),
    /// A place in a differentiated matrix or struct parameter.
    Place(Place),
    /// A window or chunk of a differentiated array (index into `views`).
    View(usize),
}

/// What a window or chunk of a differentiated array can do.
pub(super) const VIEW_USES: &str = "#[differentiable]: a window or chunk of a differentiated array can be indexed (`w[j]`), measured (`w.len()`) or iterated (`w.iter()`), not used as a value; index the array instead";

/// A run of a differentiated array's elements seen as a slice: `w[j]` is
/// `array[start + j]` (checked against `len`, as slicing would).
#[derive(Clone)]
pub struct View {
    pub array: Arr,
    /// The user's tokens naming the array (valid in every generated copy).
    pub src: TokenStream,
    /// The first element's position, and the run's length: `usize`
    /// expressions of the enclosing loop's counter.
    pub start: TokenStream,
    pub len: TokenStream,
    /// For a sub-slice bound by name (`let ys = &xs[1..];`): the locals
    /// holding its bounds in the array, so that it can be passed to a
    /// `#[differentiable]` call like `&xs[1..]` itself. Windows and chunks
    /// have none.
    pub bounds: Option<(TokenStream, TokenStream)>,
}

/// What remains to lower after the current statement, outermost last.
#[derive(Clone, Copy)]
pub enum Frame<'s> {
    Stmts(&'s [syn::Stmt]),
    /// An expression statement (the `else if` of a diverging `if`, a match arm).
    Expr(&'s syn::Expr),
    PopScope,
    /// End of a loop body: record the loop-carried values.
    LoopEnd,
    /// End of the function body: its tail expression is the result.
    FnEnd(Option<&'s syn::Expr>),
}

struct LoopCtx {
    brk: Temp,
    /// A labelled loop: its label and the flags that a `break 'label` /
    /// `continue 'label` from a loop inside it sets (see `stmt::exit_to`).
    label: Option<(String, Temp, Temp)>,
    /// `(binding uid, end-of-body temp)` for the loop-carried bindings.
    carried: Vec<(usize, Temp)>,
    /// `(binding uid, header temp)`, in the same order.
    heads: Vec<(usize, Temp)>,
    /// The carried bindings some path through the body changes.
    changed: HashSet<usize>,
}

pub struct Lowerer<'a> {
    sig: &'a Sig,
    f: Ident,
    active_keys: &'a HashSet<usize>,
    /// The active bindings among those that hold matrices.
    tensor_keys: &'a HashSet<usize>,
    /// Set when a passive binding must become active; the lowering restarts.
    restart: Option<usize>,
    /// The binding to restart holds a matrix.
    restart_tensor: bool,
    /// Places bound to names (`BKind::Place`).
    places: Vec<Place>,
    /// Windows and chunks bound to names (`BKind::View`).
    views: Vec<View>,
    /// Passive bindings that hold matrices (by uid).
    passive_tensors: HashSet<usize>,
    /// See `Lowered::param_borrows`.
    param_borrows: HashSet<Temp>,
    /// See `Lowered::split_safe`.
    split_safe: bool,

    /// Set by a `let` annotated with an nalgebra type whose value is a call:
    /// the callee returns a matrix (taken by that call, see `lower_call`).
    tensor_call: bool,
    /// Results of calls taken as floats, for the hint when one is used as a
    /// matrix.
    float_calls: HashSet<Temp>,
    temps: Vec<TempInfo>,
    env: Env,
    /// Blocks under construction; statements go into the last one.
    out: Vec<Block>,
    loops: Vec<LoopCtx>,
    ret: Temp,
    /// Set when a `return` inside a loop has run.
    returned: Temp,
    /// The label of the loop being lowered next (taken by `lower_loop`).
    next_label: Option<String>,
    /// The loop lowered next may `return` or leave a labelled loop around
    /// it (taken by `lower_loop`): see `exit_flags`.
    next_exits: bool,
    /// `#[checkpoint]` read from the loop about to be lowered (like `next_label`).
    next_checkpoint: Option<crate::ir::Checkpoint>,
    param_temps: Vec<Option<Temp>>,
    uid: usize,
    /// Values already computed on the current path, one map per open block:
    /// repeated loads `xs[i]` and repeated index expressions reuse them.
    /// Cleared whenever verbatim user code runs (it may change data variables).
    cse: Vec<std::collections::HashMap<String, Temp>>,
    /// Number of local arrays.
    locals: usize,
    /// Local arrays created in each open block, with their end-length temp.
    created: Vec<Vec<(usize, Temp)>>,
    ret_arr: Option<usize>,
    /// Names of the `fn` items written inside the body: their derivative
    /// code, if any, is out of reach of the generated functions.
    nested_fns: HashSet<String>,
}

impl<'a> Lowerer<'a> {
    fn new(sig: &'a Sig, active_keys: &'a HashSet<usize>, tensor_keys: &'a HashSet<usize>) -> Self {
        let mut lw = Lowerer {
            sig,
            f: sig.float.clone(),
            active_keys,
            tensor_keys,
            restart: None,
            restart_tensor: false,
            places: Vec::new(),
            views: Vec::new(),
            passive_tensors: HashSet::new(),
            tensor_call: false,
            param_borrows: HashSet::new(),
            split_safe: true,
            float_calls: HashSet::new(),
            temps: Vec::new(),
            env: Env::default(),
            out: vec![Vec::new()],
            loops: Vec::new(),
            ret: Temp(0),
            returned: Temp(0),
            next_label: None,
            next_exits: false,
            next_checkpoint: None,
            param_temps: Vec::new(),
            uid: 0,
            cse: vec![Default::default()],
            locals: 0,
            created: vec![Vec::new()],
            ret_arr: None,
            nested_fns: HashSet::new(),
        };
        let out = if matches!(sig.out, crate::sig::Output::Tensor) { Ty::Tensor } else { Ty::Float };
        lw.ret = lw.temp(out, true);
        // The emitters find the result as the first temporary (`plan_seeded`).
        debug_assert_eq!(lw.ret, Temp(0));
        lw.returned = lw.temp(Ty::Bool, false);
        lw
    }

    fn temp(&mut self, ty: Ty, active: bool) -> Temp {
        self.temps.push(TempInfo { ty, active, local_ref: false });
        Temp(self.temps.len() - 1)
    }

    fn emit(&mut self, s: Stmt) {
        match &s {
            Stmt::Verbatim(_) => self.cse_clear(),
            // Writes to a local array make its earlier loads stale.
            Stmt::Store { arr, .. } | Stmt::Push { arr, .. } | Stmt::CallArr { arr, .. } => {
                let prefix = format!("load {:?} ", Arr::Local(*arr));
                for m in &mut self.cse {
                    m.retain(|k, _| !k.starts_with(&prefix));
                }
            }
            // A new alias changes what that name reads.
            Stmt::Alias { name, .. } => {
                let n = name.to_string();
                for m in &mut self.cse {
                    m.retain(|k, _| !k.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == n));
                }
            }
            _ => {}
        }
        self.out.last_mut().unwrap().push(s);
    }

    /// Lowers into a fresh block and returns it.
    fn block(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<Block> {
        self.out.push(Vec::new());
        self.cse.push(Default::default());
        self.created.push(Vec::new());
        let r = f(self);
        self.close_arrays();
        self.cse.pop();
        let b = self.out.pop().unwrap();
        r.map(|_| b)
    }

    fn cse_clear(&mut self) {
        self.cse.iter_mut().for_each(|m| m.clear());
    }

    /// A value computed earlier on this path (in this block or one enclosing it).
    fn cse_get(&self, key: &str) -> Option<Temp> {
        self.cse.iter().rev().find_map(|m| m.get(key).copied())
    }

    /// Re-emits `let v = &__gd_aN;` for every local array in scope, after code
    /// that may have written to them (an older alias would hold a borrow).
    fn realias_arrays(&mut self) {
        for (name, arr) in self.env.local_arrays() {
            self.emit(Stmt::AliasArr { name, arr });
        }
    }

    /// Records the final length of the arrays created in the closing block.
    fn close_arrays(&mut self) {
        for (arr, len_end) in self.created.pop().unwrap_or_default() {
            let a = crate::names::local(arr);
            self.emit(Stmt::Set { dst: len_end, expr: quote!(#a.len()) });
        }
    }

    /// `dst = xs[k]`, reusing an earlier load of the same element.
    fn load(&mut self, array: Arr, index: Temp) -> Temp {
        let key = format!("load {array:?} {}", index.0);
        if let Some(t) = self.cse_get(&key) {
            return t;
        }
        let dst = self.temp(Ty::Float, true);
        self.emit(Stmt::Load { dst, array, index });
        self.cse.last_mut().unwrap().insert(key, dst);
        dst
    }

    fn next_uid(&mut self) -> usize {
        self.uid += 1;
        self.uid
    }

    fn err<T>(&self, node: impl quote::ToTokens, msg: impl std::fmt::Display) -> Result<T> {
        Err(Error::new_spanned(node, msg))
    }

    fn lower_body(&mut self, block: &syn::Block) -> Result<()> {
        self.nested_fns = nested_fn_names(block);
        self.env.push();
        self.emit(Stmt::Set { dst: self.returned, expr: quote!(false) });
        for (i, p) in self.sig.params.iter().enumerate() {
            let kind = match (&p.class, p.wrt) {
                (Class::Scalar, true) => {
                    let t = self.temp(Ty::Float, true);
                    self.param_temps.push(Some(t));
                    BKind::Active { temp: t, by_ref: false }
                }
                (Class::Array { .. }, true) => {
                    self.param_temps.push(None);
                    BKind::Array(Arr::Param(i))
                }
                (Class::Tensor { .. }, true) => {
                    self.param_temps.push(None);
                    self.places.push(Place { param: i, path: Vec::new() });
                    BKind::Place(self.places.len() - 1)
                }
                _ => {
                    self.param_temps.push(None);
                    BKind::Passive
                }
            };
            let uid = self.next_uid();
            if matches!(p.class, Class::Tensor { .. }) && !p.wrt {
                self.passive_tensors.insert(uid);
            }
            self.env.bind(Binding { uid, name: p.name.clone(), key: 0, kind, mutable: true });
        }
        let stmts = &block.stmts;
        let (body, tail) = match stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => (&stmts[..stmts.len() - 1], Some(e)),
            _ => (&stmts[..], None),
        };
        let r = self.run(&[Frame::Stmts(body), Frame::FnEnd(tail)]);
        self.close_arrays();
        r
    }

    /// Lowers the frames in order, until one of them diverges (which then
    /// consumes the frames after it).
    fn run(&mut self, frames: &[Frame<'_>]) -> Result<()> {
        for (i, fr) in frames.iter().enumerate() {
            match *fr {
                Frame::Stmts(stmts) => {
                    for (j, s) in stmts.iter().enumerate() {
                        if stmt::diverges(s) {
                            let mut rest = vec![Frame::Stmts(&stmts[j + 1..])];
                            rest.extend_from_slice(&frames[i + 1..]);
                            return self.lower_diverging(s, &rest);
                        }
                        self.lower_stmt(s)?;
                    }
                }
                Frame::Expr(e) => {
                    if stmt::expr_diverges(e) {
                        return self.lower_diverging_expr(e, &frames[i + 1..]);
                    }
                    self.lower_expr_stmt(e)?;
                }
                Frame::PopScope => self.pop_scope()?,
                Frame::LoopEnd => self.loop_end(),
                Frame::FnEnd(tail) => self.fn_end(tail)?,
            }
        }
        Ok(())
    }

    fn fn_end(&mut self, tail: Option<&syn::Expr>) -> Result<()> {
        let Some(e) = tail else {
            return self.err(&self.sig.name, "#[differentiable]: the function body must end with its result value (or `return` it)");
        };
        if matches!(self.sig.out, crate::sig::Output::Tensor) {
            if stmt::expr_diverges(e) {
                return self.lower_diverging_tail(e);
            }
            let v = self.lower_expr(e)?;
            let t = self.tensor_temp(v, e)?;
            self.emit(Stmt::Copy { dst: self.ret, src: Operand::Temp(t) });
            return Ok(());
        }
        if !matches!(self.sig.out, crate::sig::Output::Scalar) {
            return self.vector_end(e);
        }
        if stmt::expr_diverges(e) {
            return self.lower_diverging_tail(e);
        }
        let v = self.lower_expr(e)?;
        let op = self.operand(v, e)?;
        self.emit(Stmt::Copy { dst: self.ret, src: op });
        Ok(())
    }

    /// The flags that carry an exit out of loops: `return`'s, and those of
    /// the labelled loops open now.
    fn exit_flags(&self) -> Vec<Temp> {
        let labels = self.loops.iter().filter_map(|l| l.label.as_ref()).flat_map(|&(_, b, c)| [b, c]);
        std::iter::once(self.returned).chain(labels).collect()
    }

    /// Records the loop-carried values at the end of a loop body path.
    fn loop_end(&mut self) {
        let ctx = self.loops.last().unwrap();
        let copies: Vec<(usize, Temp, Temp, Temp)> = ctx
            .carried
            .iter()
            .zip(&ctx.heads)
            .map(|(&(uid, end), &(_, h))| (uid, end, h, self.env.active_temp(uid).expect("carried binding is active")))
            .collect();
        for (uid, end, h, cur) in copies {
            if cur != h {
                self.loops.last_mut().unwrap().changed.insert(uid);
            }
            self.emit(Stmt::Copy { dst: end, src: Operand::Temp(cur) });
        }
    }

    /// Leaves a scope. An outer binding of the same name as one declared in
    /// the scope is visible again: re-alias it when active; a passive one
    /// cannot be restored inside a continuation, so that is an error.
    fn pop_scope(&mut self) -> Result<()> {
        let popped = self.env.pop();
        for b in popped.iter().rev() {
            if let Some(outer) = self.env.lookup(&b.name.to_string()).cloned() {
                match outer.kind {
                    BKind::Active { temp, by_ref } => self.alias(&outer.name, temp, by_ref),
                    BKind::Passive if outer.uid != b.uid => {
                        return self.err(
                            &b.name,
                            format!(
                                "#[differentiable]: `{}` shadows an outer variable inside a block that also exits early (return/break/continue); rename it",
                                b.name
                            ),
                        )
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn alias(&mut self, name: &Ident, src: Temp, by_ref: bool) {
        if !name.to_string().starts_with("__gd") {
            self.emit(Stmt::Alias { name: name.clone(), src, by_ref });
        }
    }

    /// Points an active binding at a new temporary and re-aliases its name.
    fn set_active(&mut self, uid: usize, t: Temp) {
        let b = self.env.set_temp(uid, t);
        if let Some(b) = b {
            if self.env.lookup(&b.name.to_string()).map(|v| v.uid) == Some(uid) {
                let by_ref = matches!(b.kind, BKind::Active { by_ref: true, .. });
                self.alias(&b.name, t, by_ref);
            }
        }
    }

    /// Declares a new binding.
    fn bind(&mut self, name: &Ident, key: usize, kind: BKind, mutable: bool) -> usize {
        let uid = self.next_uid();
        self.env.bind(Binding { uid, name: name.clone(), key, kind, mutable });
        if let BKind::Active { temp, by_ref } = kind {
            self.alias(name, temp, by_ref);
        }
        uid
    }

    /// A float operand for a value, materializing passive expressions.
    fn operand(&mut self, v: Val, at: impl quote::ToTokens) -> Result<Operand> {
        if self.is_tensor(&v) {
            let span = at.to_token_stream().into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span());
            return self.tensor_to_float(v, span);
        }
        match v {
            Val::Active(t) => Ok(Operand::Temp(t)),
            Val::Passive(ts) => {
                if expr::is_literal(&ts) {
                    return Ok(Operand::Const(ts));
                }
                let t = self.temp(Ty::Float, false);
                let k = crate::krate();
                // `__gd_S` is the generated function's scalar type (F or Dual<F>).
                self.emit(Stmt::Set { dst: t, expr: quote!(#k::__private::to_float::<__gd_S, _>(#ts)) });
                Ok(Operand::Temp(t))
            }
            Val::Array(..) => self.err(at, "#[differentiable]: an array is used where a number is expected"),
            Val::View(_) => self.err(at, VIEW_USES),
            Val::Place(_) => unreachable!(),
        }
    }

    /// A passive value captured in a typed temporary (for indices and conditions).
    fn capture(&mut self, ty: Ty, ts: TokenStream) -> Temp {
        // Index expressions made of names, literals and operators are pure:
        // the same text on the same path has the same value.
        let pure = is_pure(&ts);
        self.capture_as(ty, ts, pure)
    }

    /// [`Self::capture`] where the caller says whether `ts` is pure (an
    /// index built from pure parts and the macro's own pure helpers).
    fn capture_as(&mut self, ty: Ty, ts: TokenStream, pure: bool) -> Temp {
        let key = (ty == Ty::Usize && pure).then(|| format!("usize {ts}"));
        if let Some(t) = key.as_ref().and_then(|k| self.cse_get(k)) {
            return t;
        }
        let t = self.temp(ty, false);
        if let Some(k) = key {
            self.cse.last_mut().unwrap().insert(k, t);
        }
        let k = crate::krate();
        let expr = match ty {
            Ty::Usize => quote!(#k::__private::to_usize(#ts)),
            Ty::Inferred => {
                self.split_safe &= self.names_only_params(&ts);
                quote!(::core::option::Option::Some(#ts))
            }
            _ => ts,
        };
        self.emit(Stmt::Set { dst: t, expr });
        t
    }

    fn op(&mut self, prim: crate::rules::Prim, args: Vec<Operand>) -> Val {
        let dst = self.temp(Ty::Float, true);
        self.emit(Stmt::Op { dst, prim, args });
        Val::Active(dst)
    }

    /// Lowers a loop. `body` lowers the body contents and must reach
    /// `loop_end` on every path (the `LoopEnd` frame does).
    fn lower_loop(&mut self, head: LoopHead, body: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        // A loop body sees data variables as they are at each trip, not as
        // they were before the loop.
        self.cse_clear();
        let carried_uids = self.env.carried();
        let mut heads = Vec::new();
        let mut carried = Vec::new();
        let mut before = Vec::new();
        for &uid in &carried_uids {
            let cur = self.env.active_temp(uid).unwrap();
            before.push(cur);
            let ty = self.temps[cur.0].ty;
            let h = self.temp(ty, true);
            self.emit(Stmt::Copy { dst: h, src: Operand::Temp(cur) });
            self.env.set_temp(uid, h);
            let end = self.temp(ty, true);
            heads.push((uid, h));
            carried.push((uid, end));
        }
        let count = self.temp(Ty::Usize, false);
        let brk = self.temp(Ty::Bool, false);
        let label = self.next_label.take().map(|l| {
            let flags = (self.temp(Ty::Bool, false), self.temp(Ty::Bool, false));
            for f in [flags.0, flags.1] {
                self.emit(Stmt::Set { dst: f, expr: quote!(false) });
            }
            (l, flags.0, flags.1)
        });
        let exits = std::mem::take(&mut self.next_exits);
        let checkpoint = self.next_checkpoint.take();
        let saved = self.env.clone();
        self.loops.push(LoopCtx { brk, label, carried: carried.clone(), heads: heads.clone(), changed: HashSet::new() });
        let block = self.block(|s| {
            s.emit(Stmt::Set { dst: brk, expr: quote!(false) });
            if exits {
                // The exit flags are false at the start of every trip; set
                // so here too, because the reverse sweep replays a trip's
                // body, inner loops included, after later trips' replays
                // left them set (a `return` from a nested loop had the
                // gradient of the trips before it wrong).
                for f in s.exit_flags() {
                    s.emit(Stmt::Set { dst: f, expr: quote!(false) });
                }
            }
            for &(uid, h) in &heads {
                s.set_active(uid, h);
            }
            s.realias_arrays();
            s.env.push();
            body(s)
        });
        let changed = self.loops.pop().unwrap().changed;
        let mut block = block?;
        self.env = saved;
        // A binding no path changes is not carried: the body reads its value
        // from before the loop, and its header and end temporaries go (no
        // per-trip copy, no save on the value stack).
        let mut dead = HashSet::new();
        for ((&(uid, h), &(_, end)), &cur) in heads.iter().zip(&carried).zip(&before) {
            if !changed.contains(&uid) {
                rename_reads(&mut block, h, cur);
                dead.extend([h, end]);
            }
        }
        drop_copies_to(&mut block, &dead);
        drop_copies_to(self.out.last_mut().unwrap(), &dead);
        for x in &dead {
            // Never assigned now: a plain flag needs no type from rustc.
            self.temps[x.0] = TempInfo { ty: Ty::Bool, active: false, local_ref: false };
        }
        let backedge = heads
            .iter()
            .zip(&carried)
            .filter(|(_, (_, end))| !dead.contains(end))
            .map(|(&(_, h), &(_, end))| (h, end))
            .collect();
        self.emit(Stmt::Loop(Box::new(Loop { head, count, brk, body: block, backedge, checkpoint })));
        self.realias_arrays();
        for (&(uid, h), &cur) in heads.iter().zip(&before) {
            // An unchanged binding keeps its temporary from before the loop,
            // so that an enclosing loop sees it unchanged too.
            self.set_active(uid, if changed.contains(&uid) { h } else { cur });
        }
        Ok(())
    }
}

/// Removes the copies into the given temporaries (the headers and end values
/// of loop bindings that turned out not to be carried), nested blocks included.
fn drop_copies_to(b: &mut Block, dead: &HashSet<Temp>) {
    b.retain(|s| !matches!(s, Stmt::Copy { dst, .. } if dead.contains(dst)));
    for s in b.iter_mut() {
        match s {
            Stmt::If { then, els, .. } => {
                drop_copies_to(then, dead);
                drop_copies_to(els, dead);
            }
            Stmt::Loop(l) => drop_copies_to(&mut l.body, dead),
            Stmt::Scope(inner) => drop_copies_to(inner, dead),
            _ => {}
        }
    }
}

/// The names of the `fn` items anywhere inside `block`.
fn nested_fn_names(block: &syn::Block) -> HashSet<String> {
    struct Find(HashSet<String>);
    impl<'a> syn::visit::Visit<'a> for Find {
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            self.0.insert(f.sig.ident.to_string());
            syn::visit::visit_item_fn(self, f);
        }
    }
    let mut f = Find(HashSet::new());
    syn::visit::Visit::visit_block(&mut f, block);
    f.0
}
