//! Reading a mapping template into its syntax tree, once, when the template is loaded.
//!
//! The grammar is Velocity's (1.7), cut to what API Gateway templates use: text, `##` and
//! `#* *#` comments, `#[[ ]]#` unparsed text, references (`$a`, `$!a`, `${a}`, with `.prop`,
//! `.method(args)` and `[index]`), and the directives `#set`, `#if`/`#elseif`/`#else`/`#end`,
//! `#foreach`, `#break` and `#stop`, also in the braced form (`#{else}`). Expressions take
//! strings (`'plain'`, `"with $references"`), numbers, `true`/`false`/`null`, lists,
//! ranges (`[0..$n]`), maps, `! && || == != < <= > >= + - * / %` and their word forms.
//!
//! A line that holds nothing but one directive or comment is dropped whole, with its
//! newline, as Velocity's "lines" space gobbling does, so that a template indented for
//! reading renders without the blank lines its directives would leave.

use serde_json::Value;

use super::VtlError;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// Text written as it is.
    Text(String),
    /// A reference whose value is written.
    Ref(Reference),
    /// `#set($target = value)`.
    Set { target: Reference, value: Expr },
    /// `#if` with its `#elseif` branches, and `#else`.
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($var in iterable)`.
    Foreach {
        var: String,
        iterable: Expr,
        body: Vec<Node>,
    },
    /// `#break`: leave the innermost `#foreach`.
    Break,
    /// `#stop`: end the rendering here.
    Stop,
}

/// `$root.part.part`, as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reference {
    /// `$!x`: a null renders as nothing (API Gateway renders every null as nothing).
    pub quiet: bool,
    /// The variable's name.
    pub root: String,
    /// What follows the name.
    pub parts: Vec<Part>,
}

/// One step of a reference.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part {
    /// `.name`.
    Prop(String),
    /// `.name(args)`.
    Call(String, Vec<Expr>),
    /// `[index]`.
    Index(Expr),
}

/// An expression of a directive or a method argument.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A literal.
    Value(Value),
    /// A double-quoted string: rendered like a template.
    Interpolated(Vec<Node>),
    /// A reference.
    Ref(Reference),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `[from..to]`, both ends included.
    Range(Box<Expr>, Box<Expr>),
    /// `{"k": v}`.
    Map(Vec<(Expr, Expr)>),
    /// `!x`.
    Not(Box<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Directives glassgate does not evaluate: a template using one is refused with its name.
const UNSUPPORTED: &[&str] = &["macro", "define", "parse", "include", "evaluate"];

/// How deep directives, references and expressions may nest: deeper input is refused, so a
/// hostile template cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Parse a whole template.
pub(super) fn template(src: &str) -> Result<Vec<Node>, VtlError> {
    let mut p = Parser {
        src,
        pos: 0,
        depth: 0,
        gobble: true,
    };
    let (nodes, end) = p.block(None)?;
    debug_assert!(matches!(end, Closer::Eof));
    Ok(nodes)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Whether whole-line directives take their line with them (not inside strings).
    gobble: bool,
}

/// What ended a block.
enum Closer {
    Eof,
    /// `#end`.
    End,
    /// `#else`.
    Else,
    /// `#elseif(cond)`.
    ElseIf(Expr),
}

/// A directive word after `#`, with the byte offset just past it.
enum Word<'a> {
    Name(&'a str, usize),
    None,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn err(&self, at: usize, message: impl Into<String>) -> VtlError {
        let before = &self.src[..at.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        VtlError::Syntax {
            line,
            column,
            message: message.into(),
        }
    }

    fn enter(&mut self) -> Result<(), VtlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos, format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Text and directives up to the end of input or the `#end`/`#else`/`#elseif` that
    /// closes the directive `open` (its name and where it began, for the error).
    fn block(&mut self, open: Option<(&str, usize)>) -> Result<(Vec<Node>, Closer), VtlError> {
        self.enter()?;
        let mut nodes = Vec::new();
        let mut text = String::new();
        let end = loop {
            let Some(c) = self.peek() else {
                if let Some((name, at)) = open {
                    return Err(self.err(at, format!("#{name} has no #end")));
                }
                break Closer::Eof;
            };
            match c {
                '\\' if matches!(self.rest()[1..].chars().next(), Some('$' | '#')) => {
                    // `\$x` and `\#x`: the character itself, never a reference or directive.
                    text.push_str(&self.rest()[1..2]);
                    self.pos += 2;
                }
                '#' => {
                    if let Some(end) = self.hash(&mut nodes, &mut text)? {
                        if open.is_none() {
                            let what = match end {
                                Closer::End => "#end",
                                Closer::Else => "#else",
                                _ => "#elseif",
                            };
                            return Err(
                                self.err(self.pos, format!("{what} without #if or #foreach"))
                            );
                        }
                        break end;
                    }
                }
                '$' => match self.reference(true)? {
                    Some(r) => {
                        flush(&mut nodes, &mut text);
                        nodes.push(Node::Ref(r));
                    }
                    None => {
                        text.push('$');
                        self.pos += 1;
                    }
                },
                _ => {
                    text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        };
        flush(&mut nodes, &mut text);
        self.leave();
        Ok((nodes, end))
    }

    /// At a `#`: a comment, unparsed text, a directive (pushed to `nodes`), or a plain `#`.
    /// Answers the block end it met, if it met one.
    fn hash(
        &mut self,
        nodes: &mut Vec<Node>,
        text: &mut String,
    ) -> Result<Option<Closer>, VtlError> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("##") {
            let len = rest.find('\n').map_or(rest.len(), |n| n + 1);
            self.pos += len;
            self.gobble_before(start, text);
            return Ok(None);
        }
        if let Some(inner) = rest.strip_prefix("#*") {
            let Some(len) = inner.find("*#") else {
                return Err(self.err(start, "#* comment has no closing *#"));
            };
            self.pos += 2 + len + 2;
            self.gobble_line(start, text);
            return Ok(None);
        }
        if let Some(inner) = rest.strip_prefix("#[[") {
            let Some(len) = inner.find("]]#") else {
                return Err(self.err(start, "#[[ has no closing ]]#"));
            };
            text.push_str(&inner[..len]);
            self.pos += 3 + len + 3;
            return Ok(None);
        }
        let (name, after) = match word(rest) {
            Word::Name(n, len) => (n, len),
            Word::None => {
                text.push('#');
                self.pos += 1;
                return Ok(None);
            }
        };
        if UNSUPPORTED.contains(&name) {
            return Err(VtlError::Unsupported(format!("#{name}")));
        }
        match name {
            "end" | "else" | "break" | "stop" => {
                self.pos += after;
                self.gobble_line(start, text);
                match name {
                    "end" => Ok(Some(Closer::End)),
                    "else" => Ok(Some(Closer::Else)),
                    "break" => {
                        flush(nodes, text);
                        nodes.push(Node::Break);
                        Ok(None)
                    }
                    _ => {
                        flush(nodes, text);
                        nodes.push(Node::Stop);
                        Ok(None)
                    }
                }
            }
            "set" | "if" | "elseif" | "foreach" => {
                self.pos += after;
                self.skip_space();
                if self.peek() != Some('(') {
                    return Err(self.err(self.pos, format!("#{name} needs ( after it")));
                }
                self.pos += 1;
                match name {
                    "set" => {
                        self.skip_space();
                        let at = self.pos;
                        let Some(target) = self.reference(false)? else {
                            return Err(self.err(at, "#set needs a $reference to set"));
                        };
                        if target.parts.iter().any(|p| !matches!(p, Part::Prop(_))) {
                            return Err(self.err(at, "#set can set $name or $name.key only"));
                        }
                        self.skip_space();
                        if !self.eat("=") {
                            return Err(self.err(self.pos, "#set needs = after its target"));
                        }
                        let value = self.expr()?;
                        self.close_paren("#set")?;
                        self.gobble_line(start, text);
                        flush(nodes, text);
                        nodes.push(Node::Set { target, value });
                        Ok(None)
                    }
                    "if" => {
                        let cond = self.expr()?;
                        self.close_paren("#if")?;
                        self.gobble_line(start, text);
                        flush(nodes, text);
                        let mut branches = Vec::new();
                        let mut cond = cond;
                        let otherwise = loop {
                            let (body, end) = self.block(Some(("if", start)))?;
                            branches.push((cond, body));
                            match end {
                                Closer::ElseIf(next) => cond = next,
                                Closer::Else => {
                                    let (body, end) = self.block(Some(("if", start)))?;
                                    if !matches!(end, Closer::End) {
                                        return Err(
                                            self.err(self.pos, "#else must be followed by #end")
                                        );
                                    }
                                    break Some(body);
                                }
                                _ => break None,
                            }
                        };
                        nodes.push(Node::If {
                            branches,
                            otherwise,
                        });
                        Ok(None)
                    }
                    "elseif" => {
                        let cond = self.expr()?;
                        self.close_paren("#elseif")?;
                        self.gobble_line(start, text);
                        Ok(Some(Closer::ElseIf(cond)))
                    }
                    _ => {
                        self.skip_space();
                        let at = self.pos;
                        let var = match self.reference(false)? {
                            Some(r) if r.parts.is_empty() => r.root,
                            _ => return Err(self.err(at, "#foreach needs a $name to loop with")),
                        };
                        self.skip_space();
                        if !self.eat_word("in") {
                            return Err(self.err(self.pos, "#foreach needs `in` after its $name"));
                        }
                        let iterable = self.expr()?;
                        self.close_paren("#foreach")?;
                        self.gobble_line(start, text);
                        flush(nodes, text);
                        let (body, end) = self.block(Some(("foreach", start)))?;
                        if !matches!(end, Closer::End) {
                            return Err(self.err(start, "#foreach ends with #end, not #else"));
                        }
                        nodes.push(Node::Foreach {
                            var,
                            iterable,
                            body,
                        });
                        Ok(None)
                    }
                }
            }
            _ => {
                // `#ff0000`, `#1`, `#endif`: not a directive; the `#` is text.
                text.push('#');
                self.pos += 1;
                Ok(None)
            }
        }
    }

    /// Whether the directive that began at `start` (and ends at `self.pos`) is alone on its
    /// line; if it is, its indentation (the end of `text`) and its newline are dropped.
    fn gobble_line(&mut self, start: usize, text: &mut String) {
        if !self.gobble || !alone_before(self.src, start) {
            return;
        }
        let rest = self.rest();
        let tail = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let after = &rest[tail..];
        let newline = if after.starts_with("\r\n") {
            2
        } else if after.starts_with('\n') {
            1
        } else if after.is_empty() {
            0
        } else {
            return;
        };
        self.pos += tail + newline;
        trim_indent(text);
    }

    /// A `##` comment (which took its newline already): drop its indentation when nothing
    /// came before it on the line.
    fn gobble_before(&mut self, start: usize, text: &mut String) {
        if self.gobble && alone_before(self.src, start) {
            trim_indent(text);
        }
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(w)
            && !rest[w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn close_paren(&mut self, what: &str) -> Result<(), VtlError> {
        self.skip_space();
        if self.eat(")") {
            Ok(())
        } else {
            Err(self.err(self.pos, format!("{what}( is not closed with )")))
        }
    }

    /// A reference at `$`, or `None` (nothing consumed) when the `$` starts none (`$5`,
    /// `$ `). In text (`in_text`), a reference ends before anything that cannot continue it.
    fn reference(&mut self, in_text: bool) -> Result<Option<Reference>, VtlError> {
        let start = self.pos;
        if self.peek() != Some('$') {
            return Ok(None);
        }
        let mut at = start + 1;
        let bytes = self.src.as_bytes();
        let quiet = bytes.get(at) == Some(&b'!');
        if quiet {
            at += 1;
        }
        let braced = bytes.get(at) == Some(&b'{');
        if braced {
            at += 1;
        }
        let name_len = ident_len(&self.src[at..]);
        if name_len == 0 {
            return Ok(None);
        }
        let root = self.src[at..at + name_len].to_owned();
        self.pos = at + name_len;
        self.enter()?;
        let mut parts = Vec::new();
        loop {
            let rest = self.rest();
            if let Some(after) = rest.strip_prefix('.') {
                let n = ident_len(after);
                if n == 0 {
                    break;
                }
                let name = after[..n].to_owned();
                self.pos += 1 + n;
                if self.peek() == Some('(') {
                    self.pos += 1;
                    let args = self.args(')')?;
                    parts.push(Part::Call(name, args));
                } else {
                    parts.push(Part::Prop(name));
                }
            } else if rest.starts_with('[') && !(in_text && not_an_index(rest)) {
                self.pos += 1;
                let index = self.expr()?;
                self.skip_space();
                if !self.eat("]") {
                    return Err(self.err(self.pos, "[ of a reference is not closed with ]"));
                }
                parts.push(Part::Index(index));
            } else {
                break;
            }
        }
        self.leave();
        if braced && !self.eat("}") {
            // `${x` is not a reference: the text stays as written.
            self.pos = start;
            return Ok(None);
        }
        Ok(Some(Reference { quiet, root, parts }))
    }

    /// Comma-separated expressions up to `close`.
    fn args(&mut self, close: char) -> Result<Vec<Expr>, VtlError> {
        let mut out = Vec::new();
        self.skip_space();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    return Err(self.err(self.pos, format!("expected , or {close}")));
                }
            }
        }
    }

    fn expr(&mut self) -> Result<Expr, VtlError> {
        self.enter()?;
        let e = self.binary(0);
        self.leave();
        e
    }

    /// Precedence climbing over the binary operators, loosest first.
    fn binary(&mut self, level: usize) -> Result<Expr, VtlError> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("||", BinOp::Or), ("or", BinOp::Or)],
            &[("&&", BinOp::And), ("and", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("eq", BinOp::Eq),
                ("ne", BinOp::Ne),
            ],
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
                ("le", BinOp::Le),
                ("ge", BinOp::Ge),
                ("lt", BinOp::Lt),
                ("gt", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        'next: loop {
            self.skip_space();
            for (sym, op) in LEVELS[level] {
                let is_word = sym.chars().all(|c| c.is_ascii_alphabetic());
                let matched = if is_word {
                    self.eat_word(sym)
                } else {
                    self.eat(sym)
                };
                if matched {
                    self.enter()?;
                    let right = self.binary(level + 1);
                    self.leave();
                    left = Expr::Binary(*op, Box::new(left), Box::new(right?));
                    continue 'next;
                }
            }
            return Ok(left);
        }
    }

    fn unary(&mut self) -> Result<Expr, VtlError> {
        self.skip_space();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if self.eat_word("not") {
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if self.rest().starts_with('-')
            && !self.rest()[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(Expr::Neg(Box::new(e?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, VtlError> {
        self.skip_space();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.err(start, "expected a value, found the end of the template"));
        };
        match c {
            '(' => {
                self.pos += 1;
                let e = self.expr()?;
                self.close_paren("(")?;
                Ok(e)
            }
            '\'' => {
                let s = self.quoted('\'')?;
                Ok(Expr::Value(Value::String(s)))
            }
            '"' => {
                let s = self.quoted('"')?;
                if !s.contains(['$', '#']) {
                    return Ok(Expr::Value(Value::String(s)));
                }
                let mut inner = Parser {
                    src: &s,
                    pos: 0,
                    depth: self.depth,
                    gobble: false,
                };
                let (nodes, _) = inner.block(None).map_err(|e| match e {
                    VtlError::Syntax { message, .. } => {
                        self.err(start, format!("in a \"string\": {message}"))
                    }
                    other => other,
                })?;
                Ok(Expr::Interpolated(nodes))
            }
            '$' => match self.reference(false)? {
                Some(r) => Ok(Expr::Ref(r)),
                None => Err(self.err(start, "expected a $reference")),
            },
            '[' => {
                self.pos += 1;
                self.skip_space();
                if self.eat("]") {
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.expr()?;
                self.skip_space();
                if self.eat("..") {
                    let last = self.expr()?;
                    self.skip_space();
                    if !self.eat("]") {
                        return Err(self.err(self.pos, "a range [a..b] is not closed with ]"));
                    }
                    return Ok(Expr::Range(Box::new(first), Box::new(last)));
                }
                let mut items = vec![first];
                loop {
                    self.skip_space();
                    if self.eat("]") {
                        return Ok(Expr::List(items));
                    }
                    if !self.eat(",") {
                        return Err(self.err(self.pos, "expected , or ] in a list"));
                    }
                    items.push(self.expr()?);
                }
            }
            '{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_space();
                if self.eat("}") {
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let k = self.expr()?;
                    self.skip_space();
                    if !self.eat(":") {
                        return Err(self.err(self.pos, "expected : after a map key"));
                    }
                    let v = self.expr()?;
                    entries.push((k, v));
                    self.skip_space();
                    if self.eat("}") {
                        return Ok(Expr::Map(entries));
                    }
                    if !self.eat(",") {
                        return Err(self.err(self.pos, "expected , or } in a map"));
                    }
                }
            }
            c if c.is_ascii_digit() || c == '-' => self.number(),
            _ => {
                for (w, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat_word(w) {
                        return Ok(Expr::Value(v));
                    }
                }
                Err(self.err(start, format!("unexpected {c:?} where a value belongs")))
            }
        }
    }

    fn number(&mut self) -> Result<Expr, VtlError> {
        let start = self.pos;
        let rest = self.rest();
        let mut len = usize::from(rest.starts_with('-'));
        len += rest[len..].bytes().take_while(u8::is_ascii_digit).count();
        let int_end = len;
        // `1.5` is a number; `0..3` is a range from 0.
        if rest[len..].starts_with('.') && rest[len + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            len += 1 + rest[len + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
        }
        let text = &rest[..len];
        self.pos += len;
        if len == int_end {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Expr::Value(Value::from(n)));
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(|n| Expr::Value(Value::Number(n)))
            .ok_or_else(|| self.err(start, format!("{text:?} is not a number")))
    }

    /// A quoted string's content; a doubled quote (or a backslash before it) is the quote.
    fn quoted(&mut self, q: char) -> Result<String, VtlError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(start, format!("{q}string{q} is not closed")));
            };
            self.pos += c.len_utf8();
            if c == '\\' && self.peek() == Some(q) {
                out.push(q);
                self.pos += 1;
            } else if c == q {
                if self.peek() == Some(q) {
                    out.push(q);
                    self.pos += 1;
                } else {
                    return Ok(out);
                }
            } else {
                out.push(c);
            }
        }
    }
}

/// In text, `$a[` starts an index only when what follows looks like one (`$a[0]`, `$a['k']`,
/// `$a[$i]`); `"$a[note]"` or `$x [` are text.
fn not_an_index(rest: &str) -> bool {
    !rest[1..]
        .starts_with(|c: char| c.is_ascii_digit() || c == '\'' || c == '"' || c == '$' || c == '-')
}

fn flush(nodes: &mut Vec<Node>, text: &mut String) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}

/// Whether only spaces and tabs come between the start of the line and `at`.
fn alone_before(src: &str, at: usize) -> bool {
    src[..at]
        .rsplit('\n')
        .next()
        .is_some_and(|line| line.chars().all(|c| c == ' ' || c == '\t'))
}

fn trim_indent(text: &mut String) {
    let keep = text.trim_end_matches([' ', '\t']).len();
    text.truncate(keep);
}

/// The length of an identifier at the start of `s`: a letter, then letters, digits, `_` and
/// `-`, as in Velocity 1.7 (so `$context.responseOverride.header.X-Reason` is one reference,
/// and a subtraction needs spaces: `$n - 1`).
fn ident_len(s: &str) -> usize {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return 0;
    }
    1 + b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
        .count()
}

/// The directive word after `#` in `s` (`#if`, `#{else}`), with the length it takes.
fn word(s: &str) -> Word<'_> {
    if let Some(inner) = s.strip_prefix("#{") {
        let n = inner.bytes().take_while(u8::is_ascii_alphabetic).count();
        if n > 0 && inner[n..].starts_with('}') {
            return Word::Name(&inner[..n], 2 + n + 1);
        }
        return Word::None;
    }
    let n = s[1..].bytes().take_while(u8::is_ascii_alphabetic).count();
    if n == 0 {
        return Word::None;
    }
    Word::Name(&s[1..1 + n], 1 + n)
}
