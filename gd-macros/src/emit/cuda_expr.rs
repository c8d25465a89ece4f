//! Rust expressions and statements printed as C++ for the device: the
//! passive code the IR keeps as tokens (`Stmt::Verbatim`, `Stmt::Set`, loop
//! heads) and the rule table's primals and partials (`crate::rules`), so
//! that the CUDA printer (`emit::cuda`) shares the one table of derivatives.
//!
//! The subset is what `#[differentiable(cuda)]` admits (`crate::cuda_check`);
//! anything else is an error on the user's span. Float methods become the
//! prelude's overloaded helpers (`x.exp()` → `gd_exp(x)`), slices and local
//! arrays are the prelude's structs (so `xs[i]` and `xs.len()` print as
//! written), and every user binding gets a fresh C name (Rust shadows, C++
//! does not redeclare).

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{BinOp, Error, Expr, Lit, Pat, Result, UnOp};

/// The float methods printed as `gd_<name>(receiver, args..)` (the prelude
/// defines each): the rule table's and a few passive ones.
pub fn is_device_method(name: &str) -> bool {
    crate::rules::lookup(name).is_some()
        || matches!(
            name,
            "to_radians" | "to_degrees" | "is_nan" | "is_finite" | "is_infinite" | "is_sign_negative" | "is_sign_positive" | "copysign"
        )
}

/// User names in scope, each with its C name.
#[derive(Default)]
pub struct Names {
    scopes: Vec<HashMap<String, String>>,
    fresh: usize,
}

impl Names {
    pub fn push(&mut self) {
        self.scopes.push(HashMap::new());
    }
    pub fn pop(&mut self) {
        self.scopes.pop();
    }
    /// Binds `rust` to a fresh C name and returns it.
    pub fn bind(&mut self, rust: &str) -> String {
        self.fresh += 1;
        let c = format!("v_{rust}_{}", self.fresh);
        self.bind_as(rust, c.clone());
        c
    }
    pub fn bind_as(&mut self, rust: &str, c: String) {
        if self.scopes.is_empty() {
            self.push();
        }
        self.scopes.last_mut().unwrap().insert(rust.to_string(), c);
    }
    fn get(&self, rust: &str) -> Option<&String> {
        self.scopes.iter().rev().find_map(|s| s.get(rust))
    }
    pub fn fresh(&mut self, what: &str) -> String {
        self.fresh += 1;
        format!("gd_{what}{}", self.fresh)
    }
}

/// The translator: the C float type (`float` or `double`) and the names;
/// `calls` collects the functions called in passive code (their primals
/// are called: `cond(h(x)) > 0.0`), whose sources the caller's includes.
pub struct Tr<'n> {
    pub float: &'static str,
    pub names: &'n mut Names,
    pub calls: &'n mut Vec<syn::Path>,
}

fn unsupported<T>(node: impl ToTokens, what: &str) -> Result<T> {
    Err(Error::new_spanned(node, format!("#[differentiable(cuda)]: {what} cannot run on the device")))
}

/// The C type of a Rust type of the device subset.
pub fn c_type(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    let id = p.path.get_ident()?.to_string();
    Some(
        match id.as_str() {
            "f32" => "float",
            "f64" => "double",
            "usize" | "u64" => "gd_usize",
            "isize" | "i64" => "long long",
            "i32" => "int",
            "u32" => "unsigned",
            "bool" => "bool",
            _ => return None,
        }
        .to_string(),
    )
}

impl Tr<'_> {
    pub fn expr_ts(&mut self, ts: &TokenStream) -> Result<String> {
        let e: Expr = syn::parse2(ts.clone())?;
        self.expr(&e)
    }

    pub fn expr(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::Lit(l) => self.lit(&l.lit)?,
            Expr::Path(p) => self.path(p)?,
            Expr::Paren(p) => format!("({})", self.expr(&p.expr)?),
            Expr::Group(g) => format!("({})", self.expr(&g.expr)?),
            Expr::Unary(u) => {
                let x = self.expr(&u.expr)?;
                match u.op {
                    UnOp::Neg(_) => format!("(-{x})"),
                    UnOp::Not(_) => format!("gd_not({x})"),
                    UnOp::Deref(_) => x,
                    _ => return unsupported(u, "this operator"),
                }
            }
            Expr::Binary(b) => {
                let (l, r) = (self.expr(&b.left)?, self.expr(&b.right)?);
                match b.op {
                    BinOp::Rem(_) => format!("gd_rem({l}, {r})"),
                    BinOp::RemAssign(_) => format!("{l} = gd_rem({l}, {r})"),
                    op => format!("({l} {} {r})", op.to_token_stream()),
                }
            }
            Expr::Assign(a) => format!("{} = {}", self.expr(&a.left)?, self.expr(&a.right)?),
            Expr::Cast(c) => {
                let Some(t) = c_type(&c.ty) else { return unsupported(&c.ty, "a cast to this type") };
                format!("(({t})({}))", self.expr(&c.expr)?)
            }
            Expr::MethodCall(m) => self.method(m)?,
            Expr::Call(c) => self.call(c)?,
            Expr::Index(ix) => self.index(&ix.expr, &ix.index)?,
            Expr::Reference(r) => self.expr(&r.expr)?,
            Expr::If(i) => {
                let Some((_, els)) = &i.else_branch else { return unsupported(i, "an `if` without `else` used as a value") };
                let c = self.expr(&i.cond)?;
                let a = self.block_value(&i.then_branch)?;
                let b = self.expr(els)?;
                format!("({c} ? {a} : {b})")
            }
            Expr::Block(b) if b.label.is_none() => self.block_value(&b.block)?,
            _ => return unsupported(e, "this expression"),
        })
    }

    /// A block that is a single expression (`{ x * 0.0 }`).
    fn block_value(&mut self, b: &syn::Block) -> Result<String> {
        match b.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => self.expr(e),
            _ => unsupported(b, "a block with statements used as a value"),
        }
    }

    fn lit(&self, l: &Lit) -> Result<String> {
        Ok(match l {
            Lit::Int(i) => {
                let digits = i.base10_digits();
                match i.suffix() {
                    "" | "i32" => digits.to_string(),
                    "usize" | "u64" => format!("((gd_usize){digits})"),
                    "u32" => format!("{digits}u"),
                    "i64" | "isize" => format!("{digits}ll"),
                    "f32" => format!("{digits}.0f"),
                    "f64" => format!("{digits}.0"),
                    _ => return unsupported(i, "this literal"),
                }
            }
            Lit::Float(f) => {
                let mut d = f.base10_digits().to_string();
                if !d.contains(['.', 'e', 'E']) {
                    d.push_str(".0");
                }
                let single = match f.suffix() {
                    "f32" => true,
                    "f64" => false,
                    _ => self.float == "float",
                };
                if single {
                    d.push('f');
                }
                d
            }
            Lit::Bool(b) => b.value.to_string(),
            _ => return unsupported(l, "this literal"),
        })
    }

    fn path(&self, p: &syn::ExprPath) -> Result<String> {
        if let Some(id) = p.path.get_ident() {
            let s = id.to_string();
            if let Some(c) = self.names.get(&s) {
                return Ok(c.clone());
            }
            if s.starts_with("__gd_") {
                return Ok(s);
            }
            return Err(Error::new_spanned(id, format!("#[differentiable(cuda)]: `{s}` is not visible on the device (only the function's parameters and its local bindings are; pass a constant as a parameter or write it as a literal)")));
        }
        // `f32::consts::PI`, `::core::f64::consts::LN_2`, `f32::MAX`, ..
        let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let (ty, name) = match segs.as_slice() {
            [.., t, c, n] if c == "consts" => (t.as_str(), n.as_str()),
            [.., t, n] => (t.as_str(), n.as_str()),
            _ => return unsupported(p, "this path"),
        };
        let v: f64 = match (ty, name) {
            (_, "PI") => std::f64::consts::PI,
            (_, "TAU") => std::f64::consts::TAU,
            (_, "E") => std::f64::consts::E,
            (_, "LN_2") => std::f64::consts::LN_2,
            (_, "LN_10") => std::f64::consts::LN_10,
            (_, "SQRT_2") => std::f64::consts::SQRT_2,
            (_, "FRAC_PI_2") => std::f64::consts::FRAC_PI_2,
            (_, "FRAC_1_SQRT_2") => std::f64::consts::FRAC_1_SQRT_2,
            ("f32", "MAX") => return Ok("3.40282347e+38f".into()),
            ("f32", "MIN") => return Ok("(-3.40282347e+38f)".into()),
            ("f32", "EPSILON") => return Ok("1.1920929e-7f".into()),
            ("f32", "INFINITY") => return Ok("(1.0f / 0.0f)".into()),
            ("f32", "NEG_INFINITY") => return Ok("(-1.0f / 0.0f)".into()),
            ("f32", "NAN") => return Ok("(0.0f / 0.0f)".into()),
            ("f64", "MAX") => return Ok("1.7976931348623157e+308".into()),
            ("f64", "MIN") => return Ok("(-1.7976931348623157e+308)".into()),
            ("f64", "EPSILON") => return Ok("2.220446049250313e-16".into()),
            ("f64", "INFINITY") => return Ok("(1.0 / 0.0)".into()),
            ("f64", "NEG_INFINITY") => return Ok("(-1.0 / 0.0)".into()),
            ("f64", "NAN") => return Ok("(0.0 / 0.0)".into()),
            ("usize", "MAX") => return Ok("(~(gd_usize)0)".into()),
            _ => return unsupported(p, "this constant"),
        };
        let suffix = if ty == "f32" { "f" } else { "" };
        Ok(format!("{v:e}{suffix}"))
    }

    fn method(&mut self, m: &syn::ExprMethodCall) -> Result<String> {
        let name = m.method.to_string();
        let recv = self.expr(&m.receiver)?;
        let args = m.args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>>>()?;
        if name == "len" && args.is_empty() {
            return Ok(format!("{recv}.len()"));
        }
        // The lowering's reads of a kept passive value (`__gd_t5.unwrap()`;
        // users' code has none: `crate::cuda_check`).
        if matches!(name.as_str(), "unwrap" | "clone") && args.is_empty() {
            return Ok(recv);
        }
        if !is_device_method(&name) {
            return Err(Error::new_spanned(&m.method, format!("#[differentiable(cuda)]: the method `{name}` cannot run on the device (float methods, `len` and, in `for` heads, `iter`/`rev`/`step_by`/`enumerate` can)")));
        }
        Ok(format!("gd_{name}({})", std::iter::once(recv).chain(args).collect::<Vec<_>>().join(", ")))
    }

    fn call(&mut self, c: &syn::ExprCall) -> Result<String> {
        let args = c.args.iter().map(|a| self.expr(a)).collect::<Result<Vec<_>>>()?;
        let Expr::Path(p) = &*c.func else { return unsupported(c, "this call") };
        let last = p.path.segments.last().unwrap().ident.to_string();
        // `<f32>::sin(x)` (the rule table's primals) or `f32::max(a, b)`.
        let float_path = p.qself.is_some() || (p.path.segments.len() == 2 && matches!(p.path.segments[0].ident.to_string().as_str(), "f32" | "f64"));
        Ok(match last.as_str() {
            _ if float_path && is_device_method(&last) => format!("gd_{last}({})", args.join(", ")),
            // The lowering's conversions.
            "to_float" => format!("(({})({}))", self.float, args.join(", ")),
            "to_usize" => format!("((gd_usize)({}))", args.join(", ")),
            "Some" => format!("gd_val<{}>({})", self.float, args.join(", ")),
            "min" | "max" if p.path.segments.iter().any(|s| s.ident == "cmp") => format!("gd_{last}({})", args.join(", ")),
            // Another `cuda` function's primal (a missing `cuda` on it fails
            // to find its `cuda_source`, see `emit::cuda`).
            _ if p.qself.is_none() && !float_path => {
                if !self.calls.iter().any(|q| q == &p.path) {
                    self.calls.push(p.path.clone());
                }
                format!("gd_{last}({})", args.join(", "))
            }
            _ => return unsupported(c, "this call"),
        })
    }

    /// `xs[i]`, and the sub-slices `xs[a..b]`, `xs[a..]`, `xs[..b]`.
    fn index(&mut self, base: &Expr, index: &Expr) -> Result<String> {
        let b = self.expr(base)?;
        match index {
            Expr::Range(r) => {
                let lo = r.start.as_ref().map(|e| self.expr(e)).transpose()?.unwrap_or_else(|| "0".into());
                match &r.end {
                    None => Ok(format!("{b}.from({lo})")),
                    Some(hi) => {
                        let mut hi = self.expr(hi)?;
                        if matches!(r.limits, syn::RangeLimits::Closed(_)) {
                            hi = format!("({hi} + 1)");
                        }
                        Ok(format!("{b}.sub({lo}, {hi})"))
                    }
                }
            }
            _ => Ok(format!("{b}[{}]", self.expr(index)?)),
        }
    }

    /// Passive statements (`Stmt::Verbatim`), in the current C block.
    pub fn stmts_ts(&mut self, ts: &TokenStream) -> Result<String> {
        let stmts = syn::parse::Parser::parse2(syn::Block::parse_within, ts.clone())?;
        let mut out = String::new();
        for s in &stmts {
            out.push_str(&self.stmt(s)?);
        }
        Ok(out)
    }

    fn stmt(&mut self, s: &syn::Stmt) -> Result<String> {
        Ok(match s {
            syn::Stmt::Local(l) => {
                let (pat, ty) = match &l.pat {
                    Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
                    p => (p, None),
                };
                let Pat::Ident(pi) = pat else { return unsupported(pat, "this pattern") };
                let init = match &l.init {
                    Some(init) if init.diverge.is_some() => return unsupported(l, "`let .. else`"),
                    Some(init) => Some(self.init(&init.expr)?),
                    None => None,
                };
                let cty = match ty {
                    Some(t) => match c_type(t) {
                        Some(c) => c,
                        None if init.is_some() => "auto".into(),
                        None => return unsupported(t, "a binding of this type"),
                    },
                    None if init.is_some() => "auto".into(),
                    None => return unsupported(l, "a binding without a type or a value"),
                };
                let c = self.names.bind(&pi.ident.to_string());
                match init {
                    Some(v) => format!("{cty} {c} = {v};\n"),
                    None => format!("{cty} {c};\n"),
                }
            }
            syn::Stmt::Item(syn::Item::Const(k)) => {
                let cty = c_type(&k.ty).ok_or_else(|| Error::new_spanned(&k.ty, "#[differentiable(cuda)]: a constant of this type cannot run on the device"))?;
                let v = self.expr(&k.expr)?;
                let c = self.names.bind(&k.ident.to_string());
                format!("const {cty} {c} = {v};\n")
            }
            syn::Stmt::Expr(e, _) => self.expr_stmt(e)?,
            _ => return unsupported(s, "this statement"),
        })
    }

    /// A `let`'s value: an expression, or an array `[x; N]` (N a literal).
    fn init(&mut self, e: &Expr) -> Result<String> {
        if let Expr::Repeat(r) = e {
            let n = literal_usize(&r.len).ok_or_else(|| Error::new_spanned(&r.len, "#[differentiable(cuda)]: the length of an array on the device must be an integer literal"))?;
            return Ok(format!("gd_fill<{n}>({})", self.expr(&r.expr)?));
        }
        self.expr(e)
    }

    fn expr_stmt(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::If(i) => {
                let c = self.expr(&i.cond)?;
                let a = self.block(&i.then_branch)?;
                let b = match &i.else_branch {
                    Some((_, els)) => format!(" else {{\n{}}}", self.expr_stmt(els)?),
                    None => String::new(),
                };
                format!("if ({c}) {{\n{a}}}{b}\n")
            }
            Expr::Block(b) => format!("{{\n{}}}\n", self.block(&b.block)?),
            Expr::ForLoop(f) => {
                self.names.push();
                let (head, bind) = self.for_head(&f.pat, &f.expr)?;
                let body = self.block(&f.body)?;
                self.names.pop();
                format!("{head} {{\n{bind}{body}}}\n")
            }
            Expr::While(w) => format!("while ({}) {{\n{}}}\n", self.expr(&w.cond)?, self.block(&w.body)?),
            Expr::Loop(l) => format!("for (;;) {{\n{}}}\n", self.block(&l.body)?),
            Expr::Break(b) if b.label.is_none() && b.expr.is_none() => "break;\n".into(),
            Expr::Continue(c) if c.label.is_none() => "continue;\n".into(),
            _ => format!("{};\n", self.expr(e)?),
        })
    }

    fn block(&mut self, b: &syn::Block) -> Result<String> {
        self.names.push();
        let mut out = String::new();
        for s in &b.stmts {
            out.push_str(&self.stmt(s)?);
        }
        self.names.pop();
        Ok(out)
    }

    /// A `for` head over a range (`a..b`, `a..=b`, `(a..b).rev()`,
    /// `(a..b).step_by(k)`) or a slice (`xs`, `xs.iter()`, with
    /// `.enumerate()`): the C `for (..)` and the statements that bind the
    /// pattern at the top of the body. The pattern's names are bound in
    /// the current scope (the caller opens one).
    pub fn for_head(&mut self, pat: &Pat, iter: &Expr) -> Result<(String, String)> {
        let i = self.names.fresh("i");
        let (mut it, mut rev, mut step, mut enumerate) = (strip(iter), false, None, false);
        loop {
            match it {
                Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => rev = true,
                Expr::MethodCall(m) if m.method == "step_by" && m.args.len() == 1 => step = Some(self.expr(&m.args[0])?),
                Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => enumerate = true,
                Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {}
                _ => break,
            }
            let Expr::MethodCall(m) = it else { unreachable!() };
            it = strip(&m.receiver);
        }
        if let Expr::Range(r) = it {
            if enumerate || (rev && step.is_some()) {
                return unsupported(iter, "this iterator");
            }
            let (Some(lo), Some(hi)) = (&r.start, &r.end) else { return unsupported(r, "an open range in a `for` head") };
            let (lo, mut hi) = (self.expr(lo)?, self.expr(hi)?);
            if matches!(r.limits, syn::RangeLimits::Closed(_)) {
                hi = format!("({hi} + 1)");
            }
            let ty = format!("decltype({lo} + {hi})");
            let head = match (rev, step) {
                (true, _) => format!("for ({ty} {i} = {hi}; {i}-- > {lo};)"),
                (false, Some(k)) => format!("for ({ty} {i} = {lo}; {i} < {hi}; {i} += {k})"),
                (false, None) => format!("for ({ty} {i} = {lo}; {i} < {hi}; ++{i})"),
            };
            let bind = self.bind_pat(pat, &i)?;
            return Ok((head, bind));
        }
        // A slice: an index loop, the element bound at the top of the body.
        if step.is_some() {
            return unsupported(iter, "`step_by` over a slice");
        }
        let xs = self.expr(it)?;
        let head = if rev {
            format!("for (gd_usize {i} = {xs}.len(); {i}-- > 0;)")
        } else {
            format!("for (gd_usize {i} = 0; {i} < {xs}.len(); ++{i})")
        };
        let item = format!("{xs}[{i}]");
        let bind = if enumerate {
            let Pat::Tuple(t) = strip_pat(pat) else { return unsupported(pat, "this pattern (destructure `(i, x)`)") };
            let [pk, px] = [&t.elems[0], &t.elems[1]];
            let mut b = self.bind_pat(pk, &i)?;
            b.push_str(&self.bind_pat(px, &item)?);
            b
        } else {
            self.bind_pat(pat, &item)?
        };
        Ok((head, bind))
    }

    fn bind_pat(&mut self, pat: &Pat, value: &str) -> Result<String> {
        match strip_pat(pat) {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let c = self.names.bind(&pi.ident.to_string());
                Ok(format!("auto {c} = {value};\n"))
            }
            Pat::Wild(_) => Ok(String::new()),
            p => unsupported(p, "this pattern"),
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Group(g) => strip(&g.expr),
        Expr::Reference(r) => strip(&r.expr),
        e => e,
    }
}

fn strip_pat(p: &Pat) -> &Pat {
    match p {
        Pat::Reference(r) => strip_pat(&r.pat),
        Pat::Paren(p) => strip_pat(&p.pat),
        Pat::Type(t) => strip_pat(&t.pat),
        p => p,
    }
}

/// An integer literal's value (`8`, `8usize`).
pub fn literal_usize(e: &Expr) -> Option<usize> {
    match strip(e) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok(),
        _ => None,
    }
}

/// The span of the first token, for errors on generated tokens.
pub fn span_of(ts: &TokenStream) -> proc_macro2::Span {
    ts.clone().into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span())
}

