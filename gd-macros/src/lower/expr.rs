//! Expressions.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{spanned::Spanned, BinOp, Expr, Result, UnOp};

use super::env::BKind;
use super::{is_pure, strip, Lowerer, Val};
use crate::ir::*;
use crate::rules::{self, Prim};

/// A literal number (optionally negated): used inline as a constant operand.
pub fn is_literal(ts: &TokenStream) -> bool {
    match syn::parse2::<Expr>(ts.clone()) {
        Ok(Expr::Lit(l)) => matches!(l.lit, syn::Lit::Float(_) | syn::Lit::Int(_)),
        Ok(Expr::Unary(u)) if matches!(u.op, UnOp::Neg(_)) => is_literal(&u.expr.to_token_stream()),
        Ok(Expr::Paren(p)) => is_literal(&p.expr.to_token_stream()),
        _ => false,
    }
}


/// Cast targets that drop the derivative honestly: integers are piecewise
/// constant in the value cast.
const INTEGERS: &[&str] = &["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize"];

fn binop(op: &BinOp) -> Option<&'static str> {
    Some(match op {
        BinOp::Add(_) => "add",
        BinOp::Sub(_) => "sub",
        BinOp::Mul(_) => "mul",
        BinOp::Div(_) => "div",
        BinOp::Rem(_) => "rem",
        _ => return None,
    })
}

impl<'a> Lowerer<'a> {
    /// Does the expression read a differentiated value?
    pub(super) fn mentions_active(&self, e: &impl ToTokens) -> bool {
        super::mentions(&e.to_token_stream(), &mut |i| self.env.is_active_name(i))
    }

    pub(super) fn lower_expr(&mut self, e: &Expr) -> Result<Val> {
        // Differentiated values read only under `stop_gradient(..)` are
        // constants: `square(gd::stop_gradient(k))` calls a plain `square`.
        if !super::mentions_unstopped(&e.to_token_stream(), &mut |i| self.env.is_active_name(i)) {
            return Ok(Val::Passive(quote!(#e)));
        }
        match e {
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Path(p) => {
                // `k::x` names an item, not the local `x`.
                let Some(b) = p.path.get_ident().and_then(|id| self.env.lookup(&id.to_string())).cloned() else {
                    return Ok(Val::Passive(quote!(#e)));
                };
                Ok(match b.kind {
                    BKind::Active { temp, .. } => Val::Active(temp),
                    BKind::Array(i) => Val::Array(i, quote!(#e)),
                    BKind::Passive => Val::Passive(quote!(#e)),
                    BKind::Place(i) => Val::Place(self.places[i].clone()),
                    BKind::View(i) => Val::View(i),
                })
            }
            Expr::Reference(r) => match self.lower_expr(&r.expr)? {
                Val::Array(i, _) => Ok(Val::Array(i, quote!(#e))),
                v => Ok(v),
            },
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.lower_expr(&u.expr)?;
                    if let Val::Passive(_) = a {
                        return Ok(Val::Passive(quote!(#e)));
                    }
                    if self.is_tensor(&a) {
                        return self.tensor_op(&crate::tensor_rules::NEG, vec![(a, &u.expr)]);
                    }
                    let a = self.operand(a, &u.expr)?;
                    Ok(self.op(rules::lookup("neg").unwrap(), vec![a]))
                }
                UnOp::Deref(_) => match self.lower_expr(&u.expr)? {
                    Val::Passive(_) => Ok(Val::Passive(quote!(#e))),
                    v => Ok(v),
                },
                _ => Ok(Val::Passive(quote!(#e))),
            },
            Expr::Binary(b) => match binop(&b.op) {
                Some(name) => {
                    let l = self.lower_expr(&b.left)?;
                    let r = self.lower_expr(&b.right)?;
                    if let (Val::Passive(_), Val::Passive(_)) = (&l, &r) {
                        return Ok(Val::Passive(quote!(#e)));
                    }
                    let data_matrix = |s: &Self, v: &Val, e: &Expr| matches!(v, Val::Passive(_)) && s.looks_tensor(e);
                    if self.is_tensor(&l) || self.is_tensor(&r) || data_matrix(self, &l, &b.left) || data_matrix(self, &r, &b.right) {
                        let Some(rule) = crate::tensor_rules::binop(name) else {
                            return self.err(e, format!("#[differentiable]: `{}` is not supported on matrices", b.op.to_token_stream()));
                        };
                        return self.tensor_op(rule, vec![(l, &b.left), (r, &b.right)]);
                    }
                    let l = self.operand(l, &b.left)?;
                    let r = self.operand(r, &b.right)?;
                    Ok(self.op(rules::lookup(name).unwrap(), vec![l, r]))
                }
                None if matches!(
                    b.op,
                    BinOp::AddAssign(_) | BinOp::SubAssign(_) | BinOp::MulAssign(_) | BinOp::DivAssign(_) | BinOp::RemAssign(_)
                ) =>
                {
                    self.err(e, "#[differentiable]: compound assignment is a statement here, not a value")
                }
                // Comparisons and logic: passive, read through aliases.
                None => Ok(Val::Passive(quote!(#e))),
            },
            Expr::Cast(c) => {
                let target = c.ty.to_token_stream().to_string();
                if target == self.f.to_string().as_str() {
                    match self.lower_expr(&c.expr)? {
                        Val::Passive(_) => Ok(Val::Passive(quote!(#e))),
                        v => Ok(v),
                    }
                } else if target == "f32" || target == "f64" {
                    self.err(
                        e,
                        format!("#[differentiable]: casting a differentiated value to `{target}` mixes float types; this function works in `{}`", self.f),
                    )
                } else if INTEGERS.contains(&target.as_str()) {
                    // To an integer: piecewise constant, derivative zero.
                    Ok(Val::Passive(quote!(#e)))
                } else {
                    // A pointer (`&x as *const f64`) would read the value
                    // back past the macro, without its derivative.
                    self.err(e, format!("#[differentiable]: a differentiated value can be cast to `{}` or to an integer type only, not to `{target}`", self.f))
                }
            }
            Expr::MethodCall(m) => self.lower_method(m, e),
            Expr::Call(c) => self.lower_call(c, e),
            Expr::Index(ix) => {
                let base = self.lower_expr(&ix.expr)?;
                if self.is_tensor(&base) {
                    return self.tensor_index(base, ix);
                }
                match base {
                    Val::Array(i, _) => {
                        if let Expr::Range(r) = strip(&ix.index) {
                            return self.err(r, "#[differentiable]: a sub-slice of a differentiated array can be bound by reference (`let ys = &xs[1..];`), passed to a #[differentiable] call (`f(&xs[1..])`) or iterated (`xs[1..].iter()`), not used otherwise yet; index elements");
                        }
                        let idx = &ix.index;
                        let k = self.capture(Ty::Usize, quote!(#idx));
                        Ok(Val::Active(self.load(i, k)))
                    }
                    Val::View(v) => {
                        if let Expr::Range(r) = strip(&ix.index) {
                            return self.err(r, "#[differentiable]: sub-slices of windows are not supported; index elements");
                        }
                        let (idx, k) = (&ix.index, crate::krate());
                        let super::View { array, start, len, .. } = self.views[v].clone();
                        // `view_index` returns its index or panics, the same
                        // on the same path: `p[0]` read twice is one load
                        // (and `p[0] * p[0]` one operand squared).
                        let pure = [&start, &idx.to_token_stream(), &len].into_iter().all(is_pure);
                        let at = self.capture_as(Ty::Usize, quote!(#start + #k::__private::view_index(#idx, #len)), pure);
                        Ok(Val::Active(self.load(array, at)))
                    }
                    Val::Passive(_) => Ok(Val::Passive(quote!(#e))),
                    Val::Active(t) if self.float_calls.contains(&t) => self.err(&ix.expr, OUTPUTS_HINT),
                    _ => self.err(&ix.expr, "#[differentiable]: this value is a number, not an array"),
                }
            }
            Expr::If(i) => self.lower_if(i, true),
            Expr::Match(m) => self.lower_match(m, true),
            Expr::Block(b) if b.label.is_none() => self.lower_block_value(&b.block, true),
            Expr::Unsafe(u) => self.err(u, "#[differentiable] does not support `unsafe` blocks"),
            Expr::Lit(_) | Expr::Range(_) => Ok(Val::Passive(quote!(#e))),
            Expr::Field(f) => match self.lower_expr(&f.base)? {
                Val::Passive(_) => Ok(Val::Passive(quote!(#e))),
                Val::Place(mut p) => {
                    p.path.push(Seg::Field(f.member.clone()));
                    Ok(Val::Place(p))
                }
                Val::Active(t) if self.float_calls.contains(&t) => self.err(e, OUTPUTS_HINT),
                _ => self.err(e, "#[differentiable]: field access on a differentiated value is not supported"),
            },
            Expr::Tuple(_) => self.err(e, "#[differentiable]: tuples of differentiated values are supported only in `let (a, b) = (x, y);`"),
            Expr::Closure(_) => self.err(e, "#[differentiable]: a closure that reads differentiated values is supported as an argument of `map`/`fold` in an iterator chain that ends in `sum`, `product` or `fold`, or bound by `let` and only called (`let f = |v: f64| ..; f(x)`), not used as a value"),
            Expr::Macro(m) => self.err(m, format!("#[differentiable]: the macro `{}!` cannot take differentiated values here; macros are emitted unchanged and are not differentiated", m.mac.path.to_token_stream())),
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => self.err(e, "#[differentiable]: `return`/`break`/`continue` is supported in statement position only"),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => self.err(e, "#[differentiable]: a loop used as a value is not supported; assign to a variable inside the loop"),
            Expr::Assign(_) => self.err(e, "#[differentiable]: assignment is a statement here, not a value"),
            Expr::Array(_) | Expr::Repeat(_) => self.err(e, "#[differentiable]: local arrays of differentiated values are not supported yet"),
            Expr::Struct(_) => self.err(e, "#[differentiable]: structs of differentiated values are not supported yet"),
            Expr::Try(_) => self.err(e, "#[differentiable] does not support the `?` operator"),
            Expr::Await(_) | Expr::Async(_) => self.err(e, "#[differentiable] does not support async code"),
            Expr::Let(_) => self.err(e, "#[differentiable] does not support `let` in conditions"),
            _ => self.err(e, "#[differentiable]: unsupported expression"),
        }
    }

    /// A primitive applied to lowered operands; passive when they all are, or
    /// when the primitive is piecewise constant.
    fn prim(&mut self, p: Prim, args: Vec<(Val, &Expr)>, whole: &Expr) -> Result<Val> {
        if args.iter().all(|(v, _)| matches!(v, Val::Passive(_))) {
            return Ok(Val::Passive(quote!(#whole)));
        }
        if p.0.zero_derivative {
            // Piecewise constant: computed on primal values (`re` reads the
            // primal part in the dual copy of the sweep), derivative zero.
            let k = crate::krate();
            let mut a = Vec::new();
            for (v, e) in args {
                let ts = match self.operand(v, e)? {
                    Operand::Temp(t) => {
                        let id = crate::names::t(t);
                        quote!(#id)
                    }
                    Operand::Const(c) => c,
                };
                a.push(quote!(#k::__private::re(#ts)));
            }
            let f = &self.f;
            return Ok(Val::Passive(rules::primal(p, &a, &quote!(#f), rules::Target::Cpu)));
        }
        let mut ops = Vec::new();
        for (i, (v, e)) in args.into_iter().enumerate() {
            if p.0.int_args.contains(&i) {
                match v {
                    Val::Passive(ts) => {
                        let t = self.capture(Ty::I32, ts);
                        ops.push(Operand::Temp(t));
                    }
                    _ => return self.err(e, "#[differentiable]: this integer argument cannot depend on differentiated values"),
                }
            } else {
                ops.push(self.operand(v, e)?);
            }
        }
        Ok(self.op(p, ops))
    }

    fn lower_method(&mut self, m: &syn::ExprMethodCall, whole: &Expr) -> Result<Val> {
        let name = m.method.to_string();
        if let Some(v) = self.lower_extreme_by(m)? {
            return Ok(v);
        }
        if let Some(v) = self.lower_reduce(m)? {
            return Ok(v);
        }
        if let Some(c) = self.own_method_call(m)? {
            return self.lower_call(&c, &Expr::Call(c.clone()));
        }
        if let Some(v) = self.tensor_method(m, whole)? {
            return Ok(v);
        }
        if let Some(p) = rules::lookup(&name).filter(|p| p.0.arity == m.args.len() + 1) {
            let mut args = vec![(self.lower_expr(&m.receiver)?, &*m.receiver)];
            for a in &m.args {
                args.push((self.lower_expr(a)?, a));
            }
            return self.prim(p, args, whole);
        }
        match name.as_str() {
            // `f(..).sum()`: a call to a differentiable function returns a
            // float here, so this must be a matrix-valued one.
            "sum" | "product" if self.is_differentiable_call(&m.receiver) => {
                return self.err(&m.method, call_result_hint(&name));
            }
            "sum" | "product" | "fold" => return self.lower_fold(m),
            "len" | "is_empty" => return Ok(Val::Passive(quote!(#whole))),
            // Searches and counts over differentiated values (`xs.iter()
            // .position(|&v| v > t)`, `any`, `all`, `count`): an index, a
            // count or a truth value, which carries no derivative. Kept as
            // written, as a condition is, once checked to change nothing.
            "position" | "rposition" | "any" | "all" | "count" => {
                self.no_writes(&whole.to_token_stream(), &format!("`{name}`"))?;
                return Ok(Val::Passive(quote!(#whole)));
            }
            // A float is Copy: cloning it is the identity.
            "clone" | "to_owned" if m.args.is_empty() => {
                if let v @ Val::Active(_) = self.lower_expr(&m.receiver)? {
                    return Ok(v);
                }
            }
            _ => {}
        }
        // A receiver that cannot be lowered is the cause to report
        // (`format!("{x}").parse()`: the macro, not `parse`).
        let receiver = self.lower_expr(&m.receiver)?;
        if let Val::Passive(_) = receiver {
            if !m.args.iter().any(|a| self.mentions_active(a)) {
                return Ok(Val::Passive(quote!(#whole)));
            }
        }
        // A matrix method on what a call returned: the macro took the callee
        // for float-valued (it cannot see its signature).
        if let Val::Active(t) = receiver {
            if self.float_calls.contains(&t) && super::tensor::matrix_method(&name, m.args.len()) {
                return self.err(&m.method, call_result_hint(&name));
            }
        }
        self.err(
            &m.method,
            format!(
                "#[differentiable]: unsupported method `{name}` on a differentiated value. Supported float methods: {}; iterator chains ending in sum/product/fold; len",
                rules::method_names()
            ),
        )
    }

    /// Does the passive expression name no local binding of the function
    /// (only parameters, constants, literals)? Its value then borrows
    /// nothing the caller changes.
    pub(super) fn names_only_params(&self, ts: &TokenStream) -> bool {
        ts.clone().into_iter().all(|t| match t {
            proc_macro2::TokenTree::Ident(id) => {
                let name = id.to_string();
                self.env.lookup(&name).is_none() || self.is_param(&name)
            }
            proc_macro2::TokenTree::Group(g) => self.names_only_params(&g.stream()),
            _ => true,
        })
    }

    /// Is the name bound to one of the function's parameters (not a local
    /// that shadows it, nor a loop's item)? Parameters are bound first (uids
    /// 1..=n), with key 0.
    pub(super) fn is_param(&self, name: &str) -> bool {
        self.env.lookup(name).is_some_and(|b| b.key == 0 && b.uid <= self.sig.params.len())
    }

    /// A direct call of a function that is not a float function
    /// (`f64::sin`), an iterator constructor or `stop_gradient`, with a
    /// differentiated argument: a call of a `#[differentiable]` function.
    fn is_differentiable_call(&self, e: &Expr) -> bool {
        let Expr::Call(c) = strip(e) else { return false };
        let Expr::Path(fp) = strip(&c.func) else { return false };
        let segs: Vec<String> = fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let other = matches!(segs.first().map(String::as_str), Some("f64" | "f32" | "std" | "core" | "iter"))
            || matches!(segs.last().map(String::as_str), Some("stop_gradient" | "zip" | "repeat" | "once" | "from_fn" | "successors"));
        !other && c.args.iter().any(|a| self.mentions_active(a))
    }

    /// Functions that return their argument unchanged, so its derivative
    /// passes through: `std::hint::black_box` (also imported), and
    /// `convert::identity`.
    fn is_identity(segs: &[String]) -> bool {
        match segs {
            [.., hint, name] if name == "black_box" => hint == "hint",
            [name] => name == "black_box",
            [.., convert, name] if name == "identity" => convert == "convert",
            _ => false,
        }
    }

    /// `self.g(x)` in an `impl`: `Self::g(self, x)`, a call of another
    /// differentiable method (float methods do not apply: `Self` is not a
    /// float). `None` for any other method call.
    pub(super) fn own_method_call(&self, m: &syn::ExprMethodCall) -> Result<Option<syn::ExprCall>> {
        if !(self.sig.in_impl && matches!(strip(&m.receiver), Expr::Path(p) if p.path.is_ident("self"))) {
            return Ok(None);
        }
        if let Some(t) = &m.turbofish {
            return self.err(t, "#[differentiable]: calls with generic arguments are not supported");
        }
        let (method, args) = (&m.method, m.args.iter());
        Ok(Some(syn::parse_quote_spanned!(method.span()=> Self::#method(self, #(#args),*))))
    }

    fn lower_call(&mut self, c: &syn::ExprCall, whole: &Expr) -> Result<Val> {
        let tensor_out = std::mem::take(&mut self.tensor_call);
        let Expr::Path(fp) = strip(&c.func) else {
            return self.err(&c.func, "#[differentiable]: only calls of named functions are supported");
        };
        let segs: Vec<String> = fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
        // `f64::sin(x)` and friends: the rule table.
        if segs.len() == 2 && (segs[0] == "f64" || segs[0] == "f32") {
            // `f64::from(x)` in an f64 function: the identity.
            if segs[1] == "from" && c.args.len() == 1 {
                if self.f != segs[0] {
                    return self.err(c, format!("#[differentiable]: converting a differentiated value to `{}` mixes float types; this function works in `{}`", segs[0], self.f));
                }
                return self.lower_expr(&c.args[0]);
            }
            if let Some(p) = rules::lookup(&segs[1]).filter(|p| p.0.arity == c.args.len()) {
                if self.f != segs[0] {
                    return self.err(&c.func, format!("#[differentiable]: this function works in `{}`, not `{}`", self.f, segs[0]));
                }
                let mut args = Vec::new();
                for a in &c.args {
                    args.push((self.lower_expr(a)?, a));
                }
                return self.prim(p, args, whole);
            }
            return self.err(&c.func, format!("#[differentiable]: unsupported function `{}`", segs.join("::")));
        }
        if segs.last().is_some_and(|s| s == "stop_gradient") {
            return Ok(Val::Passive(quote!(#whole)));
        }
        if c.args.len() == 1 && Self::is_identity(&segs) {
            return self.lower_expr(&c.args[0]);
        }
        let Callee { path, args, stable, recursive } = self.lower_callee(c)?;
        // A matrix-valued callee, or one given a differentiated matrix or
        // struct, runs once: its split returns its reverse sweep as a
        // closure, which borrows the arguments until the caller's reverse
        // sweep runs it. Parameters, places in them and values stay put; the
        // caller's own matrices and arrays, which it may change first, are
        // copied into its `Keep` (see `emit::call`); data naming the
        // caller's locals cannot be, and a call of the function itself
        // would make a closure that contains itself: those calls run the
        // callee again in the reverse sweep.
        let split = (tensor_out || args.iter().any(|a| matches!(a, CallArg::Tensor(_)))) && stable && !recursive;
        let dst = self.temp(if tensor_out { Ty::Tensor } else { Ty::Float }, true);
        if !tensor_out {
            self.float_calls.insert(dst);
        }
        let pullback = split.then(|| self.temp(Ty::Pullback, false));
        self.emit(Stmt::Call { dst, path, args, pullback });
        Ok(Val::Active(dst))
    }

    /// A call to a vector-valued `#[differentiable]` function whose outputs
    /// the caller binds (`let (a, b) = polar(r, t);`, `let v: Vec<f64> =
    /// f(..);`): a new local array holding them, flattened. `ty` is the
    /// output's type as the caller states it. Such a call never splits
    /// (vector-valued functions have no `__gd_split`): its reverse runs the
    /// callee's `__gd_vjp` again.
    pub(super) fn lower_call_outputs(&mut self, c: &syn::ExprCall, ty: TokenStream) -> Result<usize> {
        let Callee { path, args, .. } = self.lower_callee(c)?;
        let arr = self.new_array(super::array::ArrayInit::empty(), &Expr::Call(c.clone()))?;
        self.emit(Stmt::CallArr { arr, path, args, ty });
        Ok(arr)
    }

    /// The callee and arguments of a call to another `#[differentiable]`
    /// function, refusing functions that cannot be one.
    fn lower_callee(&mut self, c: &syn::ExprCall) -> Result<Callee> {
        let Expr::Path(fp) = strip(&c.func) else {
            return self.err(&c.func, "#[differentiable]: only calls of named functions are supported");
        };
        let segs: Vec<String> = fp.path.segments.iter().map(|s| s.ident.to_string()).collect();
        // Not a #[differentiable] function: its derivative code does not
        // exist, and rustc's error would point into the expansion.
        let library = matches!(segs[0].as_str(), "std" | "core" | "alloc");
        // `Self::g(..)` in an `impl`: another differentiable associated
        // function or method, whose internal functions sit beside it.
        let own = self.sig.in_impl && segs.len() == 2 && segs[0] == "Self";
        let typed = !own && segs.iter().any(|s| s.starts_with(char::is_uppercase));
        // `Type::g(..)`: perhaps a differentiable associated function, but
        // the macro cannot tell it from a constructor; `Self::g` it can.
        let assoc = !library && typed && segs.len() == 2 && segs[1].starts_with(|c: char| c.is_lowercase() || c == '_');
        if assoc && c.args.iter().any(|a| self.mentions_active(a)) {
            let (ty, g) = (&segs[0], &segs[1]);
            return self.err(
                &c.func,
                format!("#[differentiable]: `{ty}::{g}` is not known to be a #[differentiable] function (library functions, constructors and associated functions called by their type's name are not differentiated), so a differentiated value cannot be passed to it. A #[differentiable] associated function or method is called as `Self::{g}(..)` or `self.{g}(..)` from a method of the same `impl`; from elsewhere, make `{g}` a free #[differentiable] function"),
            );
        }
        if (library || typed) && c.args.iter().any(|a| self.mentions_active(a)) {
            return self.err(
                &c.func,
                format!("#[differentiable]: `{}` is not a #[differentiable] function (library functions, constructors and associated functions are not differentiated), so a differentiated value cannot be passed to it", segs.join("::")),
            );
        }
        // A local closure or function value given a differentiated value:
        // its body is not visible to the macro.
        if let Some(id) = fp.path.get_ident().filter(|id| self.env.lookup(&id.to_string()).is_some()) {
            return self.err(
                &c.func,
                format!("#[differentiable]: `{id}` is a local value, not a function marked #[differentiable]. A local closure (`let {id} = |v: f64| ..;`) is differentiated in place at its calls, but not when a name it reads (or `{id}` itself) is bound again before the call, nor when it is `move`, could `return` or destructures its parameters: make `{id}` a #[differentiable] fn, or write its body in place"),
            );
        }
        // A `fn` written inside this body: the generated functions, outside
        // the body, cannot reach it (nor its derivative code, if it had any).
        if let Some(id) = fp.path.get_ident().filter(|id| self.nested_fns.contains(&id.to_string())) {
            if c.args.iter().any(|a| self.mentions_active(a)) {
                return self.err(
                    &c.func,
                    format!("#[differentiable]: `{id}` is a function written inside this one, so a differentiated value cannot be passed to it: the derivative code, generated outside this body, cannot call it. Move `{id}` out of the body and mark it #[differentiable], or write its body in place (a local closure `let {id} = |v: {f}| ..;` is differentiated at its calls)", f = self.f),
                );
            }
        }
        // A plain `fn` of this file: it has no derivative code to call, and
        // rustc would say "cannot find module" inside the expansion.
        if let Some(id) = fp.path.get_ident().filter(|id| crate::impl_scope::plain_fn(id)) {
            if c.args.iter().any(|a| self.mentions_active(a)) {
                let k = crate::krate().to_string().replace(' ', "");
                let k = k.trim_start_matches("::");
                return self.err(
                    &c.func,
                    format!("#[differentiable]: `{id}` is not #[differentiable], so a differentiated value cannot be passed to it: add #[differentiable] to `fn {id}`, or wrap the argument in `{k}::stop_gradient(..)` if it should not be differentiated"),
                );
            }
        }
        if fp.path.segments.iter().any(|s| !s.arguments.is_none()) {
            return self.err(&c.func, "#[differentiable]: calls with generic arguments are not supported");
        }
        // Another #[differentiable] function: reuse its derivative code.
        let mut args = Vec::new();
        // Whether every argument outlives the caller's whole reverse sweep
        // unchanged, or can be copied to (see `split` below).
        let mut stable = true;
        for a in &c.args {
            if let Some(arg) = self.sub_slice(a)? {
                args.push(arg);
                continue;
            }
            let arg = match self.lower_expr(a)? {
                Val::Active(t) if self.temps[t.0].ty == Ty::Tensor => CallArg::Tensor(TArg::Temp(t)),
                Val::Active(t) => CallArg::Scalar(t),
                Val::Array(i, _) => CallArg::Array(i, quote!(#a), None),
                // A sub-slice bound by name passes as the range it names.
                Val::View(v) => match self.views[v].bounds.clone() {
                    Some((lo, hi)) => {
                        let (lo, hi) = (self.capture(Ty::Usize, lo), self.capture(Ty::Usize, hi));
                        CallArg::Array(self.views[v].array, quote!(#a), Some(SubRange { lo, hi: Some(hi) }))
                    }
                    None => return self.err(a, super::VIEW_USES),
                },
                Val::Passive(ts) if matches!(syn::parse2::<syn::Lit>(ts.clone()), Ok(syn::Lit::Int(_) | syn::Lit::Bool(_) | syn::Lit::Str(_) | syn::Lit::Char(_))) => {
                    CallArg::Literal(ts)
                }
                Val::Passive(ts) => {
                    // `&ones` (a local's data): a split call copies it into
                    // the caller's `Keep`; other data naming locals cannot be.
                    let params_only = self.names_only_params(&ts);
                    let local_ref = !params_only
                        && matches!(syn::parse2::<Expr>(ts.clone()), Ok(Expr::Reference(r)) if r.mutability.is_none());
                    stable &= local_ref || params_only;
                    let x = self.capture(Ty::Inferred, ts);
                    self.temps[x.0].local_ref = local_ref;
                    CallArg::Passive(x)
                }
                v @ Val::Place(_) => CallArg::Tensor(self.targ(v, a)?),
            };
            args.push(arg);
        }
        let recursive = fp.path.is_ident(&self.sig.name) || (own && self.sig.name == segs[1]);
        let mut path = fp.path.clone();
        if let Some(first) = path.segments.first_mut() {
            first.ident.set_span(c.func.span());
        }
        Ok(Callee { path, args, stable, recursive })
    }
}

/// A lowered call to another `#[differentiable]` function.
struct Callee {
    path: syn::Path,
    args: Vec<CallArg>,
    /// Every argument outlives the caller's whole reverse sweep unchanged,
    /// or can be copied to (see `lower_call`'s split).
    stable: bool,
    /// A call of the function itself.
    recursive: bool,
}

impl Lowerer<'_> {
    /// `&xs[a..b]` (or `a..`, `..b`, `a..=b`, `..`) of a differentiated
    /// array: the array, the tokens naming it, the first index and the end
    /// (exclusive; `None` to the array's end), as expressions of data. `None`
    /// when `e` is not such a slice.
    fn slice_range<'e>(&mut self, e: &'e Expr) -> Result<Option<(Arr, &'e Expr, TokenStream, Option<TokenStream>)>> {
        let Expr::Reference(rf) = strip(e) else { return Ok(None) };
        let Expr::Index(ix) = strip(&rf.expr) else { return Ok(None) };
        let Expr::Range(r) = strip(&ix.index) else { return Ok(None) };
        if rf.mutability.is_some() || !self.mentions_active(&ix.expr) {
            return Ok(None);
        }
        let Val::Array(arr, _) = self.lower_expr(&ix.expr)? else { return Ok(None) };
        for bound in r.start.iter().chain(&r.end) {
            // An array's length is data (`&xs[..xs.len() - 1]`).
            if self.reads_active_values(bound) {
                return self.err(bound, "#[differentiable]: a sub-slice's bounds cannot depend on differentiated values");
            }
        }
        let lo = r.start.as_ref().map_or_else(|| quote!(0usize), |a| quote!(#a));
        let hi = match (&r.end, &r.limits) {
            (Some(b), syn::RangeLimits::HalfOpen(_)) => Some(quote!(#b)),
            (Some(b), syn::RangeLimits::Closed(_)) => Some(quote!((#b) + 1)),
            (None, _) => None,
        };
        Ok(Some((arr, &ix.expr, lo, hi)))
    }

    /// `let ys = &xs[a..b];` (see `slice_range`): `ys` becomes a view of
    /// the array, read through it (`ys[j]` is `xs[a + j]`), measured and
    /// iterated like a window, and passed to calls as the range it names.
    /// The bounds are evaluated once, into locals of the forward sweep, and
    /// the user's slice is made from them (so that it panics where the
    /// user's would); false when `e` is not such a slice.
    pub(super) fn bind_sub_slice(&mut self, name: &syn::Ident, key: usize, e: &Expr) -> Result<bool> {
        let Some((array, src, lo_e, hi_e)) = self.slice_range(e)? else { return Ok(false) };
        let hi_e = hi_e.unwrap_or_else(|| quote!(#src.len()));
        let uid = self.next_uid();
        let (lo, hi) = (quote::format_ident!("__gd_lo{}", uid), quote::format_ident!("__gd_hi{}", uid));
        self.emit(Stmt::Verbatim(quote! {
            let #lo: usize = #lo_e;
            let #hi: usize = #hi_e;
            let #name = &#src[#lo..#hi];
        }));
        self.views.push(super::View {
            array,
            src: quote!(#src),
            start: quote!(#lo),
            len: quote!((#hi - #lo)),
            bounds: Some((quote!(#lo), quote!(#hi))),
        });
        self.bind(name, key, BKind::View(self.views.len() - 1), false);
        Ok(true)
    }

    /// A slice of a differentiated array (see `slice_range`) as a call's
    /// argument: the array with its range, whose bounds are captured like
    /// an index (the reverse sweep adds the callee's gradient into the same
    /// range).
    fn sub_slice(&mut self, a: &Expr) -> Result<Option<CallArg>> {
        let Some((arr, _, lo, hi)) = self.slice_range(a)? else { return Ok(None) };
        let lo = self.capture(Ty::Usize, lo);
        let hi = hi.map(|h| self.capture(Ty::Usize, h));
        Ok(Some(CallArg::Array(arr, quote!(#a), Some(SubRange { lo, hi }))))
    }
}

/// The error for a matrix method on a call's result, which the macro took
/// for a float (it cannot see the callee's signature).
/// A tuple field or an index of what a call returned, or an iterator over
/// it: the macro took the callee for float-valued.
pub(super) const OUTPUTS_HINT: &str = "#[differentiable]: a call to another differentiable function is taken to return a float, unless its outputs are bound by `let`: write `let (a, b) = f(..);` for a tuple, `let v: [f64; 3] = f(..);` or `let v: Vec<f64> = f(..);` for an array or a Vec (the type says that the call returns one), then read `a`, `b`, `v[i]`";

fn call_result_hint(method: &str) -> String {
    format!(
        "#[differentiable]: `{method}` on the result of a call: a call to another differentiable function is taken to return a float. If it returns an nalgebra matrix or vector, bind it with its type first: `let h: DMatrix<f64> = f(..);`"
    )
}
