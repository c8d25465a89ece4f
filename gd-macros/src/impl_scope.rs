//! Whether an attributed function is an item of an `impl` block, and
//! whether a function it calls is a plain `fn` of the same file.
//!
//! An attribute macro sees only its own item, not the `impl` around it, yet
//! the API it emits depends on where it is: a free function gets a module
//! (`f::grad`), which rustc refuses inside an `impl` ("module is not
//! supported in `trait`s or `impl`s"); an associated function gets
//! associated functions beside it (`Type::f_grad`). A receiver or a `Self`
//! in the function says "impl" (see `sig`); a function with neither, say
//! `fn energy(x: f64, k: f64) -> f64` inside `impl Spring`, is found here
//! from the source: the file its name's span points into is scanned once
//! per compilation for the `fn` items directly inside `impl` blocks.
//!
//! The same scan notes which `fn` items carry `#[differentiable]`: a call
//! `g(x)` with a differentiated argument needs `g`'s derivative code, and
//! when `g` is a plain `fn` of the file rustc's error ("cannot find module
//! `g`") points into generated code; `plain_fn` lets the lowering say so at
//! the call instead.
//!
//! The scan is a small lexer (comments, strings, chars and lifetimes
//! skipped; braces tracked, each tagged with whether its statement began
//! with `impl`), not a parse: it needs no spans from syn, which inside a
//! proc macro has no line information for text it parses itself. A name
//! whose span points elsewhere (a `macro_rules!` expansion) is not found,
//! and the function is treated as free, as before; `#[differentiable]` on
//! the `impl` or `in_impl` still says it outright.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The `(line, name)` of every `fn name` directly inside an `impl` block.
type ImplFns = HashSet<(usize, String)>;

/// What the scan of one file finds.
#[derive(Default)]
struct Scan {
    impl_fns: ImplFns,
    /// Names of `fn` items anywhere in the file with `#[differentiable]`.
    differentiable: HashSet<String>,
    /// Names of `fn` items anywhere in the file without it.
    plain: HashSet<String>,
    /// Every name that appears in a `use` item: a call of one of them may
    /// reach a function of another file.
    imported: HashSet<String>,
}

thread_local! {
    static FILES: RefCell<HashMap<PathBuf, std::rc::Rc<Scan>>> = RefCell::new(HashMap::new());
}

/// The scan of the file `ident`'s span points into, and its line there.
fn scan_of(ident: &syn::Ident) -> Option<(std::rc::Rc<Scan>, usize)> {
    if !proc_macro::is_available() {
        return None;
    }
    let span = ident.span().unwrap();
    let path = span.local_file()?;
    let line = span.line();
    let scan = FILES.with(|files| {
        let mut files = files.borrow_mut();
        files.entry(path.clone()).or_insert_with(|| std::rc::Rc::new(std::fs::read_to_string(&path).map(|s| scan(&s)).unwrap_or_default())).clone()
    });
    Some((scan, line))
}

/// Whether the function named by `ident` is written directly inside an
/// `impl` block of its source file. `false` when that cannot be told (no
/// compiler to ask: a unit test; a span into no file).
pub fn inside_impl(ident: &syn::Ident) -> bool {
    scan_of(ident).is_some_and(|(scan, line)| scan.impl_fns.contains(&(line, ident.to_string())))
}

/// Whether a call `g(..)` by the name `ident` can only be of a plain `fn`
/// of the calling file: the file defines `fn g` without `#[differentiable]`,
/// defines no `#[differentiable] fn g`, and imports no `g`. `false` when that
/// cannot be told.
pub fn plain_fn(ident: &syn::Ident) -> bool {
    let name = ident.to_string();
    scan_of(ident).is_some_and(|(scan, _)| scan.plain.contains(&name) && !scan.differentiable.contains(&name) && !scan.imported.contains(&name))
}

fn scan(src: &str) -> Scan {
    let (differentiable, plain, imported) = fn_kinds(src);
    Scan { impl_fns: impl_fns(src), differentiable, plain, imported }
}

/// The `#[differentiable]` and plain `fn` items of a file, and the names its
/// `use` items mention (see [`Scan`]).
fn fn_kinds(src: &str) -> (HashSet<String>, HashSet<String>, HashSet<String>) {
    let (mut differentiable, mut plain, mut imported) = (HashSet::new(), HashSet::new(), HashSet::new());
    // Inside `#[..]` (its bracket depth), inside a `use` item, whether the
    // attributes seen since the last item boundary name `differentiable`,
    // and whether the previous token was `#` or `fn`.
    let (mut attr_depth, mut in_use, mut marked) = (0usize, false, false);
    let (mut after_hash, mut after_fn) = (false, false);
    for tok in Lexer::new(src) {
        match tok {
            Tok::Ident(_, name) => {
                if attr_depth > 0 {
                    marked |= name == "differentiable";
                } else if in_use {
                    imported.insert(name.to_string());
                } else if after_fn {
                    if marked { &mut differentiable } else { &mut plain }.insert(name.to_string());
                    marked = false;
                } else if name == "use" {
                    in_use = true;
                }
                after_fn = attr_depth == 0 && name == "fn";
                after_hash = false;
            }
            Tok::Punct(c) => {
                match c {
                    '[' if after_hash || attr_depth > 0 => attr_depth += 1,
                    ']' if attr_depth > 0 => attr_depth -= 1,
                    ';' if attr_depth == 0 => (in_use, marked) = (false, false),
                    // `use a::{b, c};` goes on to its `;`.
                    '{' | '}' if attr_depth == 0 && !in_use => marked = false,
                    _ => {}
                }
                after_hash = c == '#' || (after_hash && c == '!');
                after_fn = false;
            }
        }
    }
    (differentiable, plain, imported)
}

/// The `fn` items directly inside `impl` blocks: see [`ImplFns`].
fn impl_fns(src: &str) -> ImplFns {
    let mut found = ImplFns::new();
    // One entry per open `{`: whether it opened an `impl` block.
    let mut braces: Vec<bool> = Vec::new();
    // The current statement's first keyword (skipping `unsafe`, `default`
    // and attributes) and whether the previous token was `fn`.
    let mut first: Option<String> = None;
    let mut after_fn = false;
    // Open `(` and `[` inside the current statement: their contents
    // (attributes, parameters) never start a statement.
    let mut groups = 0usize;
    for tok in Lexer::new(src) {
        match tok {
            Tok::Ident(line, name) => {
                if after_fn && braces.last() == Some(&true) && groups == 0 {
                    found.insert((line, name.to_string()));
                }
                after_fn = name == "fn";
                if first.is_none() && groups == 0 && !matches!(name, "unsafe" | "default") {
                    first = Some(name.to_string());
                }
            }
            Tok::Punct(c) => {
                after_fn = false;
                match c {
                    '(' | '[' => groups += 1,
                    ')' | ']' => groups = groups.saturating_sub(1),
                    '{' => {
                        braces.push(first.as_deref() == Some("impl"));
                        (first, groups) = (None, 0);
                    }
                    '}' => {
                        braces.pop();
                        (first, groups) = (None, 0);
                    }
                    ';' if groups == 0 => first = None,
                    _ => {}
                }
            }
        }
    }
    found
}

enum Tok<'s> {
    /// An identifier or keyword, with its 1-based line.
    Ident(usize, &'s str),
    /// Any other significant character (literals and comments are skipped).
    Punct(char),
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    line: usize,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str) -> Self {
        Lexer { src, pos: 0, line: 1 }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(k)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.src[self.pos..].chars().next()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek(0).is_some_and(&f) {
            self.bump();
        }
    }

    /// After the opening `"`: up to and including the closing one.
    fn string(&mut self) {
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    self.bump();
                }
                '"' => return,
                _ => {}
            }
        }
    }

    /// After `r`: `#`s, `"`, the text, `"` and as many `#`s.
    fn raw_string(&mut self) {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // the opening quote
        while let Some(c) = self.bump() {
            if c == '"' && (0..hashes).all(|k| self.peek(k) == Some('#')) {
                (0..hashes).for_each(|_| {
                    self.bump();
                });
                return;
            }
        }
    }

    /// After `/*`: nested block comments.
    fn block_comment(&mut self) {
        let mut depth = 1;
        while depth > 0 {
            match self.bump() {
                None => return,
                Some('/') if self.peek(0) == Some('*') => {
                    self.bump();
                    depth += 1;
                }
                Some('*') if self.peek(0) == Some('/') => {
                    self.bump();
                    depth -= 1;
                }
                _ => {}
            }
        }
    }

    /// After `'`: a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a
    /// lifetime / label (`'a`, `'outer`).
    fn quote(&mut self) {
        match (self.peek(0), self.peek(1)) {
            (Some('\\'), _) => {
                self.bump();
                self.bump();
                self.eat_while(|c| c != '\'' && c != '\n');
                self.bump();
            }
            (Some(_), Some('\'')) => {
                self.bump();
                self.bump();
            }
            _ => self.eat_while(is_ident_char),
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'s> Iterator for Lexer<'s> {
    type Item = Tok<'s>;

    fn next(&mut self) -> Option<Tok<'s>> {
        loop {
            let c = self.peek(0)?;
            match c {
                '/' if self.peek(1) == Some('/') => self.eat_while(|c| c != '\n'),
                '/' if self.peek(1) == Some('*') => {
                    self.bump();
                    self.bump();
                    self.block_comment();
                }
                '"' => {
                    self.bump();
                    self.string();
                }
                '\'' => {
                    self.bump();
                    self.quote();
                }
                c if c.is_whitespace() => {
                    self.bump();
                }
                c if is_ident_char(c) => {
                    // Literal prefixes: r"..", r#".."#, b"..", br"..", c"..",
                    // b'x'; a raw identifier r#name is a name.
                    let (start, line) = (self.pos, self.line);
                    self.eat_while(is_ident_char);
                    let word = &self.src[start..self.pos];
                    match (word, self.peek(0), self.peek(1)) {
                        ("r" | "br" | "cr", Some('"'), _) | ("r" | "br" | "cr", Some('#'), Some('"' | '#')) => self.raw_string(),
                        ("b" | "c", Some('"'), _) => {
                            self.bump();
                            self.string();
                        }
                        ("b", Some('\''), _) => {
                            self.bump();
                            self.quote();
                        }
                        ("r", Some('#'), _) => {
                            self.bump();
                            let start = self.pos;
                            self.eat_while(is_ident_char);
                            return Some(Tok::Ident(line, &self.src[start..self.pos]));
                        }
                        _ if c.is_ascii_digit() => {}
                        _ => return Some(Tok::Ident(line, word)),
                    }
                }
                _ => {
                    self.bump();
                    return Some(Tok::Punct(c));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<(usize, String)> {
        let mut v: Vec<_> = impl_fns(src).into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn finds_the_fns_of_impl_blocks_only() {
        let src = r##"
fn free(x: f64) -> f64 { x }
impl<T: Into<f64>> Spring<T> where T: Copy {
    #[differentiable]
    fn energy(x: f64, k: f64) -> f64 {
        fn inner(y: f64) -> f64 { y }
        let s = S { a: '{', b: "}", c: r#"{"#, d: b'}' };
        'outer: for i in 0..2 { let _: &'static str = "\"{"; }
        /* { /* nested } */ */
        inner(x) * k // }
    }
    pub(crate) fn second(&self) -> f64 { 0.0 }
}
unsafe impl Send for Spring<f64> { fn third() {} }
trait T { fn provided() {} }
mod m { impl X { fn fourth() {} } fn fifth() {} }
fn takes(f: impl Fn()) { fn sixth() {} }
"##;
        let want = [(5, "energy"), (12, "second"), (14, "third"), (16, "fourth")];
        assert_eq!(names(src), want.map(|(l, n)| (l, n.to_string())).to_vec());
    }

    #[test]
    fn sorts_fns_into_differentiable_plain_and_imported() {
        let src = r##"
use crate::other::{imported, more as renamed};
#[differentiable(wrt(x))]
/// docs
#[inline]
pub(crate) fn marked(x: f64, f: fn(f64) -> f64) -> f64 { x }
#[gd::differentiable]
fn marked_too() {}
#[test]
fn plain() {
    #[differentiable]
    fn nested_marked() {}
    fn nested_plain() { let s = "#[differentiable] fn fake() {}"; }
}
#[differentiable]
struct S;
fn after_struct() {}
#![allow(dead_code)]
extern "C" { fn c_fn(x: f64) -> f64; }
"##;
        let (d, p, i) = fn_kinds(src);
        let sorted = |s: HashSet<String>| {
            let mut v: Vec<_> = s.into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(sorted(d), ["marked", "marked_too", "nested_marked"]);
        assert_eq!(sorted(p), ["after_struct", "c_fn", "nested_plain", "plain"]);
        assert_eq!(sorted(i), ["as", "crate", "imported", "more", "other", "renamed"]);
    }
}
