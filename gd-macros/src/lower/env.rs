//! Lexical environment of the lowering: which bindings are in scope, and for
//! an active binding, which temporary holds its current value (SSA renaming).

use proc_macro2::Ident;

use crate::ir::{Arr, Temp};

#[derive(Clone, Copy, Debug)]
pub enum BKind {
    /// A float binding whose value depends on the differentiated inputs.
    /// `by_ref`: user code sees it as `&F` (an element from `.iter()`).
    Active { temp: Temp, by_ref: bool },
    /// Emitted verbatim; never differentiated.
    Passive,
    /// A differentiated array: a parameter, or a local array.
    Array(Arr),
    /// A place in a differentiated matrix or struct parameter (index into
    /// the lowerer's place table).
    Place(usize),
    /// A window or chunk of a differentiated array (`w` in
    /// `xs.windows(2).map(|w| ..)`; index into the lowerer's view table).
    View(usize),
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub uid: usize,
    pub name: Ident,
    /// Address of the binding's syntax node (0 for parameters): stable across restarts.
    pub key: usize,
    pub kind: BKind,
    pub mutable: bool,
}

#[derive(Clone, Default)]
pub struct Env {
    scopes: Vec<Vec<Binding>>,
}

impl Env {
    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    pub fn pop(&mut self) -> Vec<Binding> {
        self.scopes.pop().unwrap_or_default()
    }

    pub fn bind(&mut self, b: Binding) {
        self.scopes.last_mut().expect("a scope").push(b);
    }

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|b| b.name == name)
    }

    fn by_uid_mut(&mut self, uid: usize) -> Option<&mut Binding> {
        self.scopes.iter_mut().flat_map(|s| s.iter_mut()).find(|b| b.uid == uid)
    }

    pub fn active_temp(&self, uid: usize) -> Option<Temp> {
        self.scopes.iter().flat_map(|s| s.iter()).find(|b| b.uid == uid).and_then(|b| match b.kind {
            BKind::Active { temp, .. } => Some(temp),
            _ => None,
        })
    }

    /// Points an active binding at a new temporary; returns the binding.
    pub fn set_temp(&mut self, uid: usize, t: Temp) -> Option<Binding> {
        let b = self.by_uid_mut(uid)?;
        if let BKind::Active { temp, .. } = &mut b.kind {
            *temp = t;
        }
        Some(b.clone())
    }

    /// The bindings a loop may update: every active mutable binding in scope.
    pub fn carried(&self) -> Vec<usize> {
        self.scopes
            .iter()
            .flat_map(|s| s.iter())
            .filter(|b| b.mutable && matches!(b.kind, BKind::Active { .. }))
            .map(|b| b.uid)
            .collect()
    }

    /// Active bindings (uid, temp) in scope, for merging after a branch.
    pub fn active_temps(&self) -> Vec<(usize, Temp)> {
        self.scopes
            .iter()
            .flat_map(|s| s.iter())
            .filter_map(|b| match b.kind {
                BKind::Active { temp, .. } => Some((b.uid, temp)),
                _ => None,
            })
            .collect()
    }

    /// Local arrays visible by name: `(name, array)`.
    pub fn local_arrays(&self) -> Vec<(Ident, usize)> {
        let mut out: Vec<(Ident, usize)> = Vec::new();
        for b in self.scopes.iter().flat_map(|s| s.iter()) {
            if let BKind::Array(Arr::Local(n)) = b.kind {
                if self.lookup(&b.name.to_string()).map(|v| v.uid) == Some(b.uid) {
                    out.push((b.name.clone(), n));
                }
            }
        }
        out
    }

    /// Is this name bound to something differentiated here?
    pub fn is_active_name(&self, name: &Ident) -> bool {
        matches!(self.lookup(&name.to_string()).map(|b| b.kind), Some(BKind::Active { .. } | BKind::Array(_) | BKind::Place(_) | BKind::View(_)))
    }
}
