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
    /// Where names are: see [`Modules`].
    modules: Modules,
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
///
/// A glob import (`use other::*;`) in the calling module could bring a
/// `#[differentiable] fn g` of another file, which the file's plain `fn g`
/// of another module does not shadow; so with a glob there, the call is
/// taken as plain only when `g` is written in the calling module itself (a
/// module's own items shadow its globs) or, for `use super::*;` alone, in
/// the parent module.
pub fn plain_fn(ident: &syn::Ident) -> bool {
    let name = ident.to_string();
    scan_of(ident).is_some_and(|(scan, line)| {
        scan.plain.contains(&name) && !scan.differentiable.contains(&name) && !scan.imported.contains(&name) && scan.modules.resolves_to_file_fn(&name, line)
    })
}

fn scan(src: &str) -> Scan {
    let (differentiable, plain, imported) = fn_kinds(src);
    Scan { impl_fns: impl_fns(src), differentiable, plain, imported, modules: modules(src) }
}

/// The inline modules of a file (`mod m { .. }`), by path from the file's
/// root (`[]`), with what they hold.
#[derive(Default)]
struct Modules {
    /// `(first line, last line, path)` of each inline module.
    spans: Vec<(usize, usize, Vec<String>)>,
    /// The modules that write a `fn` of each name (directly or in a
    /// function body of theirs).
    fns: HashMap<String, HashSet<Vec<String>>>,
    /// The glob imports of each module: `true` for `super::*`.
    globs: HashMap<Vec<String>, Vec<bool>>,
}

impl Modules {
    /// The module that line `line` is in.
    fn at(&self, line: usize) -> Vec<String> {
        let inner = self.spans.iter().filter(|(a, b, _)| (*a..=*b).contains(&line));
        inner.max_by_key(|(_, _, p)| p.len()).map(|(_, _, p)| p.clone()).unwrap_or_default()
    }

    /// Whether a call of `name` at `line` can only reach a `fn` of this
    /// file: see [`plain_fn`].
    fn resolves_to_file_fn(&self, name: &str, line: usize) -> bool {
        let here = self.at(line);
        let written_in = |m: &[String]| self.fns.get(name).is_some_and(|ms| ms.iter().any(|p| p == m));
        match self.globs.get(&here) {
            None => true,
            Some(globs) => written_in(&here) || (globs.iter().all(|s| *s) && !here.is_empty() && written_in(&here[..here.len() - 1])),
        }
    }
}

/// The file's inline modules and where its `fn`s and glob imports are.
fn modules(src: &str) -> Modules {
    let mut out = Modules::default();
    // One entry per open `{`: the module it opened, with its first line.
    let mut braces: Vec<Option<(String, usize)>> = Vec::new();
    let path = |braces: &[Option<(String, usize)>]| braces.iter().flatten().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    // The two previous identifiers, the last line seen, and the idents of
    // the `use` item being read (None outside one).
    let (mut prev, mut prev2): (Option<&str>, Option<&str>) = (None, None);
    let (mut line, mut in_use): (usize, Option<Vec<&str>>) = (1, None);
    let mut glob = false;
    for tok in Lexer::new(src) {
        match tok {
            Tok::Ident(l, name) => {
                line = l;
                if let Some(u) = in_use.as_mut() {
                    u.push(name);
                } else if name == "use" {
                    (in_use, glob) = (Some(Vec::new()), false);
                }
                if prev == Some("fn") {
                    out.fns.entry(name.to_string()).or_default().insert(path(&braces));
                }
                (prev2, prev) = (prev, Some(name));
                continue;
            }
            Tok::Punct('*') if in_use.is_some() => glob = true,
            Tok::Punct(';') => {
                if let Some(u) = in_use.take() {
                    if glob {
                        out.globs.entry(path(&braces)).or_default().push(u == ["super"]);
                    }
                }
            }
            Tok::Punct('{') if in_use.is_none() => {
                let m = (prev2 == Some("mod")).then(|| (prev.unwrap_or_default().to_string(), line));
                braces.push(m);
            }
            Tok::Punct('}') if in_use.is_none() => {
                let p = path(&braces);
                if let Some(Some((_, first))) = braces.pop() {
                    out.spans.push((first, line, p));
                }
            }
            _ => {}
        }
        (prev2, prev) = (None, None);
    }
    out
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
    fn a_glob_import_hides_which_fn_a_call_reaches() {
        let src = r##"
fn g(v: f64) -> f64 { v }
mod helpers {
    pub fn h(v: f64) -> f64 { v }
}
mod calls_via_glob {
    use crate::elsewhere::*;
    fn f(x: f64) -> f64 { g(x) + h(x) }
}
mod tests {
    use super::*;
    fn t(x: f64) -> f64 { g(x) + h(x) }
    mod deeper { use super::*; fn k() {} }
}
mod own {
    use crate::elsewhere::*;
    fn h(v: f64) -> f64 { v }
    fn f(x: f64) -> f64 { h(x) }
}
fn top(x: f64) -> f64 { g(x) }
"##;
        let m = modules(src);
        // No glob at the root: its plain g is what `g` means.
        assert!(m.resolves_to_file_fn("g", 21));
        // A glob of another module may bring another g or h.
        assert!(!m.resolves_to_file_fn("g", 8) && !m.resolves_to_file_fn("h", 8));
        // `use super::*` alone: the parent's g, but not helpers' h.
        assert!(m.resolves_to_file_fn("g", 12) && !m.resolves_to_file_fn("h", 12));
        assert_eq!(m.at(13), ["tests", "deeper"]);
        // A module's own fn shadows its globs.
        assert!(m.resolves_to_file_fn("h", 19));
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
