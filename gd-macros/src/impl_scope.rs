//! Whether an attributed function is an item of an `impl` block.
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

thread_local! {
    static FILES: RefCell<HashMap<PathBuf, ImplFns>> = RefCell::new(HashMap::new());
}

/// Whether the function named by `ident` is written directly inside an
/// `impl` block of its source file. `false` when that cannot be told (no
/// compiler to ask: a unit test; a span into no file).
pub fn inside_impl(ident: &syn::Ident) -> bool {
    if !proc_macro::is_available() {
        return false;
    }
    let span = ident.span().unwrap();
    let Some(path) = span.local_file() else { return false };
    let line = span.line();
    FILES.with(|files| {
        let mut files = files.borrow_mut();
        let fns = files.entry(path.clone()).or_insert_with(|| std::fs::read_to_string(&path).map(|s| impl_fns(&s)).unwrap_or_default());
        fns.contains(&(line, ident.to_string()))
    })
}

/// What the scan of one file finds: see [`ImplFns`].
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
}
