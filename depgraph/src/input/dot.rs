//! Graphviz DOT: a parser for the whole language (`strict`, `graph` and
//! `digraph`, node, edge and attribute statements, `a -> b -> c`, subgraphs
//! and clusters as edge ends, ports, quoted, HTML and numeral IDs, `+`
//! concatenation, `//`, `/* */` and `#` comments, optional semicolons), and
//! the module graph of a DOT file plus a times file.
//!
//! A node's module name is its `label` when it has one, else its ID. By
//! default `a -> b` means "a depends on b" (Bazel `query --output=graph`,
//! Gradle task graph exports, `cargo depgraph`); in the output of
//! `ninja -t graph` (`digraph ninja {` with `rankdir="LR"`) edges go from
//! inputs to outputs, so `a -> b` means "b depends on a". [`DotEdges`] forces
//! either.

use std::borrow::Cow;
use std::collections::HashMap;

use super::native::TimesTable;
use super::{DotEdges, InputError, Source};
use crate::graph::{Dep, GraphBuilder, ModuleGraph};

/// How deeply subgraphs may nest before the file is rejected (instead of
/// exhausting the stack).
const MAX_DEPTH: usize = 200;

/// A parsed DOT file.
#[derive(Debug, Default)]
pub(crate) struct DotGraph {
    pub name: Option<String>,
    pub directed: bool,
    pub strict: bool,
    /// Attributes of the root graph (`rankdir=LR`, `graph [..]`).
    pub graph_attrs: Vec<(String, String)>,
    pub nodes: Vec<DotNode>,
    pub edges: Vec<DotEdge>,
    /// Attributes of the edge statements, referenced by [`DotEdge::attrs`].
    pub edge_attrs: Vec<Vec<(String, String)>>,
}

#[derive(Debug)]
pub(crate) struct DotNode {
    pub id: String,
    pub label: Option<String>,
    pub shape: Option<String>,
    /// Line of the node's first appearance.
    pub line: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct DotEdge {
    pub from: u32,
    pub to: u32,
    /// Index into [`DotGraph::edge_attrs`], `u32::MAX` when none.
    pub attrs: u32,
}

impl DotGraph {
    pub(crate) fn graph_attr(&self, key: &str) -> Option<&str> {
        self.graph_attrs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn edge_attr(&self, e: &DotEdge, key: &str) -> Option<&str> {
        self.edge_attrs
            .get(e.attrs as usize)?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is the output of `ninja -t graph`.
    pub(crate) fn is_ninja(&self) -> bool {
        self.directed
            && self.name.as_deref() == Some("ninja")
            && self
                .graph_attr("rankdir")
                .is_some_and(|r| r.eq_ignore_ascii_case("LR"))
    }

    /// A node's module name: its label (with `\N` standing for the ID), else
    /// its ID.
    pub(crate) fn node_name<'a>(&'a self, n: &'a DotNode) -> Cow<'a, str> {
        match n.label.as_deref() {
            Some(l) if l.contains("\\N") => Cow::Owned(l.replace("\\N", &n.id)),
            Some(l) => Cow::Borrowed(l),
            None => Cow::Borrowed(&n.id),
        }
    }
}

/// Whether the first token of a file (after comments) is `strict`, `graph`
/// or `digraph`.
pub(crate) fn starts_like_dot(s: &[u8]) -> bool {
    let mut lx = Lexer::new(s.get(..s.len().min(4096)).unwrap_or_default());
    let Ok((Tok::Id(id, IdKind::Plain), _)) = lx.next() else {
        return false;
    };
    ["strict", "graph", "digraph"]
        .iter()
        .any(|k| id.eq_ignore_ascii_case(k))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKind {
    Plain,
    Quoted,
    Html,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Id(Cow<'a, str>, IdKind),
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    Eq,
    Semi,
    Comma,
    Colon,
    Arrow,
    Line,
    Eof,
}

impl Tok<'_> {
    fn describe(&self) -> String {
        match self {
            Tok::Id(s, _) => {
                let mut s: String = s.chars().take(40).collect();
                if s.chars().count() == 40 {
                    s.push('…');
                }
                format!("`{s}`")
            }
            Tok::LBrace => "`{`".into(),
            Tok::RBrace => "`}`".into(),
            Tok::LBrack => "`[`".into(),
            Tok::RBrack => "`]`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Arrow => "`->`".into(),
            Tok::Line => "`--`".into(),
            Tok::Eof => "the end of the file".into(),
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Tok::Id(s, IdKind::Plain) if s.eq_ignore_ascii_case(kw))
    }
}

type PResult<T> = Result<T, (usize, String)>;

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
    /// Only whitespace since the start of the line (for `#` lines).
    line_start: bool,
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_id_char(b: u8) -> bool {
    is_id_start(b) || b.is_ascii_digit()
}

impl<'a> Lexer<'a> {
    fn new(s: &'a [u8]) -> Self {
        let s = s.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(s);
        Lexer {
            s,
            pos: 0,
            line: 1,
            line_start: true,
        }
    }

    fn peek_byte(&self, ahead: usize) -> Option<u8> {
        self.s.get(self.pos + ahead).copied()
    }

    fn slice(&self, from: usize, to: usize) -> Cow<'a, str> {
        String::from_utf8_lossy(self.s.get(from..to).unwrap_or_default())
    }

    fn skip_trivia(&mut self) -> PResult<()> {
        while let Some(b) = self.peek_byte(0) {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.line_start = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'#' if self.line_start => {
                    while self.peek_byte(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek_byte(1) == Some(b'/') => {
                    while self.peek_byte(0).is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek_byte(1) == Some(b'*') => {
                    let start_line = self.line;
                    self.pos += 2;
                    loop {
                        match self.peek_byte(0) {
                            None => {
                                return Err((
                                    start_line,
                                    "unterminated comment `/*`; expected `*/`".into(),
                                ));
                            }
                            Some(b'*') if self.peek_byte(1) == Some(b'/') => {
                                self.pos += 2;
                                break;
                            }
                            Some(b'\n') => {
                                self.line += 1;
                                self.pos += 1;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.line_start = false;
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// The next token and the line it starts on.
    fn next(&mut self) -> PResult<(Tok<'a>, usize)> {
        self.skip_trivia()?;
        self.line_start = false;
        let line = self.line;
        let Some(b) = self.peek_byte(0) else {
            return Ok((Tok::Eof, line));
        };
        let single = |t| Ok((t, line));
        match b {
            b'{' | b'}' | b'[' | b']' | b'=' | b';' | b',' | b':' => {
                self.pos += 1;
                single(match b {
                    b'{' => Tok::LBrace,
                    b'}' => Tok::RBrace,
                    b'[' => Tok::LBrack,
                    b']' => Tok::RBrack,
                    b'=' => Tok::Eq,
                    b';' => Tok::Semi,
                    b',' => Tok::Comma,
                    _ => Tok::Colon,
                })
            }
            b'-' if self.peek_byte(1) == Some(b'>') => {
                self.pos += 2;
                single(Tok::Arrow)
            }
            b'-' if self.peek_byte(1) == Some(b'-') => {
                self.pos += 2;
                single(Tok::Line)
            }
            b'-' | b'.' | b'0'..=b'9' => {
                let start = self.pos;
                self.pos += 1;
                while self
                    .peek_byte(0)
                    .is_some_and(|b| b.is_ascii_digit() || b == b'.' || is_id_char(b))
                {
                    self.pos += 1;
                }
                if b == b'-' && self.pos == start + 1 {
                    return Err((
                        line,
                        "syntax error: unexpected `-`; expected `->`, `--` or a number".into(),
                    ));
                }
                single(Tok::Id(self.slice(start, self.pos), IdKind::Plain))
            }
            b'"' => {
                let mut s = self.quoted()?;
                // "a" + "b" concatenation.
                loop {
                    let save = (self.pos, self.line, self.line_start);
                    self.skip_trivia()?;
                    if self.peek_byte(0) == Some(b'+') {
                        self.pos += 1;
                        self.skip_trivia()?;
                        if self.peek_byte(0) != Some(b'"') {
                            return Err((
                                self.line,
                                "syntax error: `+` must be followed by a quoted string".into(),
                            ));
                        }
                        let more = self.quoted()?;
                        s.to_mut().push_str(&more);
                    } else {
                        (self.pos, self.line, self.line_start) = save;
                        break;
                    }
                }
                single(Tok::Id(s, IdKind::Quoted))
            }
            b'<' => {
                let start = self.pos + 1;
                let mut depth = 0usize;
                loop {
                    match self.peek_byte(0) {
                        None => {
                            return Err((
                                line,
                                "unterminated HTML string `<`; expected `>`".into(),
                            ));
                        }
                        Some(b'<') => depth += 1,
                        Some(b'>') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some(b'\n') => self.line += 1,
                        Some(_) => {}
                    }
                    self.pos += 1;
                }
                let id = self.slice(start, self.pos);
                self.pos += 1;
                single(Tok::Id(id, IdKind::Html))
            }
            b if is_id_start(b) => {
                let start = self.pos;
                while self.peek_byte(0).is_some_and(is_id_char) {
                    self.pos += 1;
                }
                single(Tok::Id(self.slice(start, self.pos), IdKind::Plain))
            }
            b => Err((
                line,
                format!(
                    "syntax error: unexpected character `{}`; expected an ID, a quoted string, `{{`, `}}`, `[`, `]`, `=`, `;`, `->` or `--`",
                    (b as char).escape_default()
                ),
            )),
        }
    }

    /// A quoted string starting at `pos`; `\"` is a quote and a backslash
    /// before a line break continues the line. Other escapes (`\n`, `\l`,
    /// `\N`...) are kept for the label's interpreter.
    fn quoted(&mut self) -> PResult<Cow<'a, str>> {
        let start_line = self.line;
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let Some(b) = self.peek_byte(0) else {
                return Err((
                    start_line,
                    "unterminated quoted string; expected `\"`".into(),
                ));
            };
            match b {
                b'"' => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok(match owned {
                        None => self.slice(start, end),
                        Some(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
                    });
                }
                b'\\' => {
                    let next = self.peek_byte(1);
                    let buf = owned.get_or_insert_with(|| {
                        self.s.get(start..self.pos).unwrap_or_default().to_vec()
                    });
                    match next {
                        Some(b'"') => {
                            buf.push(b'"');
                            self.pos += 2;
                        }
                        Some(b'\n') => {
                            self.line += 1;
                            self.pos += 2;
                        }
                        Some(b'\r') if self.peek_byte(2) == Some(b'\n') => {
                            self.line += 1;
                            self.pos += 3;
                        }
                        Some(c) => {
                            buf.push(b'\\');
                            buf.push(c);
                            if c == b'\n' {
                                self.line += 1;
                            }
                            self.pos += 2;
                        }
                        None => {
                            buf.push(b'\\');
                            self.pos += 1;
                        }
                    }
                }
                b => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    if let Some(buf) = owned.as_mut() {
                        buf.push(b);
                    }
                    self.pos += 1;
                }
            }
        }
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    peeked: Option<(Tok<'a>, usize)>,
    g: DotGraph,
    ids: HashMap<String, u32>,
}

/// One end of an edge: a node or the nodes of a subgraph.
enum End {
    Node(u32),
    Group(Vec<u32>),
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> PResult<(Tok<'a>, usize)> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next(),
        }
    }

    fn peek(&mut self) -> PResult<&Tok<'a>> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lx.next()?);
        }
        match &self.peeked {
            Some((t, _)) => Ok(t),
            None => Err((self.lx.line, "internal parser state".into())),
        }
    }

    fn node(&mut self, id: Cow<'_, str>, line: usize) -> u32 {
        if let Some(&i) = self.ids.get(id.as_ref()) {
            return i;
        }
        let i = self.g.nodes.len() as u32;
        self.ids.insert(id.clone().into_owned(), i);
        self.g.nodes.push(DotNode {
            id: id.into_owned(),
            label: None,
            shape: None,
            line,
        });
        i
    }

    fn expect_id(&mut self, what: &str) -> PResult<(Cow<'a, str>, usize)> {
        match self.next()? {
            (Tok::Id(s, _), line) => Ok((s, line)),
            (t, line) => Err((
                line,
                format!("syntax error: unexpected {}; expected {what}", t.describe()),
            )),
        }
    }

    fn graph(mut self) -> PResult<DotGraph> {
        let (mut t, mut line) = self.next()?;
        if t.is_keyword("strict") {
            self.g.strict = true;
            (t, line) = self.next()?;
        }
        if t.is_keyword("digraph") {
            self.g.directed = true;
        } else if !t.is_keyword("graph") {
            return Err((
                line,
                format!(
                    "syntax error: unexpected {}; expected `digraph` or `graph`",
                    t.describe()
                ),
            ));
        }
        (t, line) = self.next()?;
        if let Tok::Id(name, _) = t {
            self.g.name = Some(name.into_owned());
            (t, line) = self.next()?;
        }
        if t != Tok::LBrace {
            return Err((
                line,
                format!("syntax error: unexpected {}; expected `{{`", t.describe()),
            ));
        }
        self.stmt_list(0, None)?;
        match self.next()? {
            (Tok::Eof, _) => Ok(self.g),
            (t, line) => Err((
                line,
                format!(
                    "syntax error: unexpected {} after the end of the graph; expected the end of the file (one graph per file)",
                    t.describe()
                ),
            )),
        }
    }

    /// Statements up to and including the closing `}`. Nodes mentioned are
    /// added to `members` (for subgraphs used as edge ends).
    fn stmt_list(&mut self, depth: usize, mut members: Option<&mut Vec<u32>>) -> PResult<()> {
        if depth > MAX_DEPTH {
            return Err((
                self.lx.line,
                format!("subgraphs nested more than {MAX_DEPTH} deep; expected a flatter graph"),
            ));
        }
        loop {
            let (t, line) = self.next()?;
            match t {
                Tok::RBrace => return Ok(()),
                Tok::Semi => {}
                Tok::Eof => return Err((line, "unexpected end of file; expected `}`".into())),
                ref k if k.is_keyword("graph") || k.is_keyword("node") || k.is_keyword("edge") => {
                    let is_graph = k.is_keyword("graph");
                    if self.peek()? != &Tok::LBrack {
                        let (t, line) = self.next()?;
                        return Err((
                            line,
                            format!(
                                "syntax error: unexpected {}; expected `[` after `{}`",
                                t.describe(),
                                k.describe().trim_matches('`')
                            ),
                        ));
                    }
                    let attrs = self.attr_list()?;
                    if is_graph && depth == 0 {
                        self.g.graph_attrs.extend(attrs);
                    }
                }
                Tok::LBrace => {
                    let sub = self.subgraph_body(depth)?;
                    self.after_end(End::Group(sub), depth, &mut members)?;
                }
                ref k if k.is_keyword("subgraph") => {
                    let sub = self.subgraph_after_keyword(depth)?;
                    self.after_end(End::Group(sub), depth, &mut members)?;
                }
                Tok::Id(id, _) => {
                    if self.peek()? == &Tok::Eq {
                        self.next()?;
                        let (value, _) = self.expect_id("an attribute value")?;
                        if depth == 0 {
                            self.g
                                .graph_attrs
                                .push((id.into_owned(), value.into_owned()));
                        }
                        continue;
                    }
                    let n = self.node(id, line);
                    self.port()?;
                    if matches!(self.peek()?, Tok::Arrow | Tok::Line) {
                        self.after_end(End::Node(n), depth, &mut members)?;
                    } else {
                        if let Some(m) = members.as_deref_mut() {
                            m.push(n);
                        }
                        if self.peek()? == &Tok::LBrack {
                            let attrs = self.attr_list()?;
                            let node = self.g.nodes.get_mut(n as usize);
                            if let Some(node) = node {
                                for (k, v) in attrs {
                                    match k.as_str() {
                                        "label" => node.label = Some(v),
                                        "shape" => node.shape = Some(v),
                                        _ => {}
                                    }
                                }
                            }
                        }
                    }
                }
                t => {
                    return Err((
                        line,
                        format!(
                            "syntax error: unexpected {}; expected a statement (node, edge, attribute or subgraph) or `}}`",
                            t.describe()
                        ),
                    ));
                }
            }
        }
    }

    /// `subgraph [ID] { ... }` after the keyword.
    fn subgraph_after_keyword(&mut self, depth: usize) -> PResult<Vec<u32>> {
        if let Tok::Id(..) = self.peek()? {
            self.next()?;
        }
        match self.next()? {
            (Tok::LBrace, _) => self.subgraph_body(depth),
            (t, line) => Err((
                line,
                format!(
                    "syntax error: unexpected {}; expected `{{` after `subgraph`",
                    t.describe()
                ),
            )),
        }
    }

    fn subgraph_body(&mut self, depth: usize) -> PResult<Vec<u32>> {
        let mut sub = Vec::new();
        self.stmt_list(depth + 1, Some(&mut sub))?;
        Ok(sub)
    }

    /// An optional port `:id[:compass]` after a node ID.
    fn port(&mut self) -> PResult<()> {
        for _ in 0..2 {
            if self.peek()? != &Tok::Colon {
                break;
            }
            self.next()?;
            self.expect_id("a port name")?;
        }
        Ok(())
    }

    /// After the first end of a possible edge statement: `-> end ...
    /// [attrs]`, or nothing (a lone subgraph).
    fn after_end(
        &mut self,
        first: End,
        depth: usize,
        members: &mut Option<&mut Vec<u32>>,
    ) -> PResult<()> {
        let mut ends = vec![first];
        while matches!(self.peek()?, Tok::Arrow | Tok::Line) {
            self.next()?;
            let (t, tl) = self.next()?;
            let end = match t {
                ref k if k.is_keyword("subgraph") => {
                    End::Group(self.subgraph_after_keyword(depth)?)
                }
                Tok::Id(id, _) => {
                    let n = self.node(id, tl);
                    self.port()?;
                    End::Node(n)
                }
                Tok::LBrace => End::Group(self.subgraph_body(depth)?),
                t => {
                    return Err((
                        tl,
                        format!(
                            "syntax error: unexpected {}; expected a node ID or a subgraph after the edge operator",
                            t.describe()
                        ),
                    ));
                }
            };
            ends.push(end);
        }
        let attrs = if self.peek()? == &Tok::LBrack {
            let a = self.attr_list()?;
            self.g.edge_attrs.push(a);
            (self.g.edge_attrs.len() - 1) as u32
        } else {
            u32::MAX
        };
        let nodes = |e: &End| -> Vec<u32> {
            match e {
                End::Node(n) => vec![*n],
                End::Group(v) => v.clone(),
            }
        };
        for pair in ends.windows(2) {
            let [a, b] = pair else { continue };
            let (from, to) = (nodes(a), nodes(b));
            for &f in &from {
                for &t in &to {
                    self.g.edges.push(DotEdge {
                        from: f,
                        to: t,
                        attrs,
                    });
                }
            }
        }
        if let Some(m) = members.as_deref_mut() {
            for e in &ends {
                match e {
                    End::Node(n) => m.push(*n),
                    End::Group(v) => m.extend_from_slice(v),
                }
            }
        }
        Ok(())
    }

    /// `[a=b, c=d; e] [f=g]`.
    fn attr_list(&mut self) -> PResult<Vec<(String, String)>> {
        let mut attrs = Vec::new();
        while self.peek()? == &Tok::LBrack {
            self.next()?;
            loop {
                let (t, line) = self.next()?;
                match t {
                    Tok::RBrack => break,
                    Tok::Comma | Tok::Semi => {}
                    Tok::Id(key, _) => {
                        if self.peek()? == &Tok::Eq {
                            self.next()?;
                            let (value, _) = self.expect_id("an attribute value")?;
                            attrs.push((key.into_owned(), value.into_owned()));
                        } else {
                            attrs.push((key.into_owned(), "true".into()));
                        }
                    }
                    t => {
                        return Err((
                            line,
                            format!(
                                "syntax error: unexpected {}; expected an attribute name or `]`",
                                t.describe()
                            ),
                        ));
                    }
                }
            }
        }
        Ok(attrs)
    }
}

/// Parses a DOT file.
pub(crate) fn parse(src: &Source<'_>) -> Result<DotGraph, InputError> {
    let p = Parser {
        lx: Lexer::new(src.bytes),
        peeked: None,
        g: DotGraph::default(),
        ids: HashMap::new(),
    };
    p.graph()
        .map_err(|(line, msg)| src.error_at(Some(line), None, msg))
}

/// The module graph of a DOT file with the durations of a times file.
pub(crate) fn build_with_times(
    g: &DotGraph,
    dot_src: &Source<'_>,
    times: &TimesTable,
    times_src: &Source<'_>,
    direction: Option<DotEdges>,
    notes: &mut Vec<String>,
) -> Result<ModuleGraph, InputError> {
    let direction = direction.unwrap_or(if g.is_ninja() {
        notes.push(format!(
            "{}: read as `ninja -t graph` output: an edge `a -> b` means b depends on a",
            dot_src.name()
        ));
        DotEdges::BuildOrder
    } else {
        DotEdges::DependsOn
    });
    if !g.directed {
        notes.push(format!(
            "{}: an undirected graph; each edge `a -- b` is read as {}",
            dot_src.name(),
            match direction {
                DotEdges::DependsOn => "a depends on b",
                DotEdges::BuildOrder => "b depends on a",
            }
        ));
    }

    // Modules: distinct node names, in order of first appearance.
    let mut module_of_node: Vec<u32> = Vec::with_capacity(g.nodes.len());
    let mut names: Vec<(Cow<'_, str>, usize)> = Vec::new(); // (name, line)
    let mut by_name: HashMap<Cow<'_, str>, u32> = HashMap::with_capacity(g.nodes.len());
    let mut merged = 0usize;
    for n in &g.nodes {
        let name = g.node_name(n);
        let m = match by_name.get(&name) {
            Some(&m) => {
                merged += 1;
                m
            }
            None => {
                let m = names.len() as u32;
                by_name.insert(name.clone(), m);
                names.push((name, n.line));
                m
            }
        };
        module_of_node.push(m);
    }
    if merged > 0 {
        notes.push(format!(
            "{}: {merged} nodes have the label of another node and were merged with it",
            dot_src.name()
        ));
    }

    // Every DOT module needs a time.
    let missing: Vec<&(Cow<'_, str>, usize)> = names
        .iter()
        .filter(|(n, _)| !times.by_name.contains_key(n.as_ref()))
        .collect();
    if let Some((first, line)) = missing.first() {
        let more = match missing.len() {
            1 => String::new(),
            n => format!(" ({} of the {} DOT nodes have no duration)", n, names.len()),
        };
        return Err(dot_src.error_at(
            Some(*line),
            None,
            format!(
                "module `{first}` has no duration in {}{more}; expected a line for every node of the DOT graph",
                times_src.name()
            ),
        ));
    }

    let mut deps: Vec<Vec<Dep>> = vec![Vec::new(); names.len()];
    for e in &g.edges {
        let (Some(&a), Some(&b)) = (
            module_of_node.get(e.from as usize),
            module_of_node.get(e.to as usize),
        ) else {
            continue;
        };
        let (dependent, dependency) = match direction {
            DotEdges::DependsOn => (a, b),
            DotEdges::BuildOrder => (b, a),
        };
        if let (Some(list), Some((name, _))) = (
            deps.get_mut(dependent as usize),
            names.get(dependency as usize),
        ) {
            list.push(Dep::full(name.as_ref()));
        }
    }

    let mut b = GraphBuilder::with_capacity(times.entries.len());
    for ((name, _), d) in names.iter().zip(deps) {
        if let Some(t) = times
            .by_name
            .get(name.as_ref())
            .and_then(|&i| times.entries.get(i))
        {
            b.add(t.module.clone(), d);
        }
    }
    let mut extra: Vec<&str> = Vec::new();
    for t in &times.entries {
        if !by_name.contains_key(t.module.name.as_str()) {
            extra.push(&t.module.name);
            b.add(t.module.clone(), Vec::new());
        }
    }
    if let Some(first) = extra.first() {
        let line = times
            .by_name
            .get(*first)
            .and_then(|&i| times.entries.get(i))
            .and_then(|t| t.line)
            .map_or(String::new(), |l| format!(":{l}"));
        notes.push(format!(
            "{}{line}: module `{first}` has no edges in {} (not a node of the DOT graph){}",
            times_src.name(),
            dot_src.name(),
            match extra.len() {
                1 => String::new(),
                n => format!("; {} modules of the times file are in the same case", n),
            }
        ));
    }
    b.build().map_err(|source| InputError::Graph {
        paths: vec![dot_src.path.to_path_buf(), times_src.path.to_path_buf()],
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::DepKind;
    use crate::input::test_util::{edges, names, src};
    use crate::input::times;

    fn parse_str(text: &str) -> Result<DotGraph, String> {
        parse(&src("graph.dot", text)).map_err(|e| e.to_string())
    }

    /// Edges as `(from label-or-id, to label-or-id)`.
    fn dot_edges(g: &DotGraph) -> Vec<(String, String)> {
        g.edges
            .iter()
            .map(|e| {
                let n = |i: u32| g.node_name(&g.nodes[i as usize]).into_owned();
                (n(e.from), n(e.to))
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn full_syntax() {
        let g = parse_str(
            r#"/* header */ strict digraph "deps" {
  # preprocessor line
  rankdir=LR; graph [fontsize=10]
  node [shape=box]
  // a comment
  a -> b -> c [color=red]
  "q\"uo" + "ted" [label="Q"]
  subgraph cluster_x { label="x"; d; e }
  a -> { f g } ; 1.5 -> -2
  h:p1:n -> i:sw
  <<b>html</b>> -> a
  "multi\
line" -> a
}"#,
        )
        .unwrap();
        assert!(g.strict && g.directed);
        assert_eq!(g.name.as_deref(), Some("deps"));
        assert_eq!(g.graph_attr("rankdir"), Some("LR"));
        assert_eq!(g.graph_attr("fontsize"), Some("10"));
        assert_eq!(
            dot_edges(&g),
            pairs(&[
                ("a", "b"),
                ("b", "c"),
                ("a", "f"),
                ("a", "g"),
                ("1.5", "-2"),
                ("h", "i"),
                ("<b>html</b>", "a"),
                ("multiline", "a"),
            ])
        );
        let q = g.nodes.iter().find(|n| n.id == "q\"uoted").unwrap();
        assert_eq!(q.label.as_deref(), Some("Q"));
        assert_eq!(g.edge_attr(&g.edges[0], "color"), Some("red"));
        assert_eq!(g.nodes.iter().find(|n| n.id == "d").unwrap().line, 8);
    }

    #[test]
    fn subgraph_as_edge_source_and_undirected() {
        let g =
            parse_str("graph { subgraph s { a b } -- c; {d} -- {e f}; x -- y -- subgraph { z } }")
                .unwrap();
        assert!(!g.directed);
        assert_eq!(
            dot_edges(&g),
            pairs(&[
                ("a", "c"),
                ("b", "c"),
                ("d", "e"),
                ("d", "f"),
                ("x", "y"),
                ("y", "z")
            ])
        );
    }

    #[test]
    fn syntax_errors_have_lines() {
        let cases = [
            (
                "digraph {\n a -> \n}",
                "graph.dot:3: syntax error: unexpected `}`; expected a node ID or a subgraph after the edge operator",
            ),
            (
                "digraph {\n a [label=]\n}",
                "graph.dot:2: syntax error: unexpected `]`; expected an attribute value",
            ),
            (
                "digraph {\n a -> b\n",
                "graph.dot:3: unexpected end of file; expected `}`",
            ),
            (
                "digraph {\n\n a $ b }",
                "graph.dot:3: syntax error: unexpected character `$`",
            ),
            (
                "digraph {\n a [label=\"x]\n}",
                "graph.dot:2: unterminated quoted string; expected `\"`",
            ),
            (
                "digraph {}\ndigraph {}",
                "graph.dot:2: syntax error: unexpected `digraph` after the end of the graph",
            ),
            (
                "\n\nnode { }",
                "graph.dot:3: syntax error: unexpected `node`; expected `digraph` or `graph`",
            ),
            ("digraph {\n /* x\n", "graph.dot:2: unterminated comment"),
            (
                "digraph { node a }",
                "graph.dot:1: syntax error: unexpected `a`; expected `[` after `node`",
            ),
            (
                "digraph { a -> b [x=1 = 2] }",
                "graph.dot:1: syntax error: unexpected `=`; expected an attribute name or `]`",
            ),
        ];
        for (text, want) in cases {
            let e = parse_str(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: got {e:?}, want {want:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("digraph {{ {} }}", "{".repeat(100_000));
        let e = parse_str(&text).unwrap_err();
        assert!(e.contains("nested more than"), "{e}");
    }

    fn load(
        dot: &str,
        times_csv: &str,
        dir: Option<DotEdges>,
    ) -> Result<(ModuleGraph, Vec<String>), String> {
        let ds = src("graph.dot", dot);
        let ts = src("times.csv", times_csv);
        let g = parse(&ds).map_err(|e| e.to_string())?;
        let t = times::parse(&ts).map_err(|e| e.to_string())?;
        let mut notes = Vec::new();
        build_with_times(&g, &ds, &t, &ts, dir, &mut notes)
            .map(|g| (g, notes))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn labels_name_modules_and_edges_mean_depends_on() {
        let (g, notes) = load(
            "digraph { n1 [label=\"app\"]; n2 [label=\"core\"]; n1 -> n2; n1 -> util }",
            "app,5\ncore,10\nutil,1\nextra,2\n",
            None,
        )
        .unwrap();
        assert_eq!(names(&g), ["app", "core", "util", "extra"]);
        assert_eq!(
            edges(&g),
            [
                ("app".into(), "core".into(), DepKind::Full),
                ("app".into(), "util".into(), DepKind::Full)
            ]
        );
        assert_eq!(g.duration(g.find("core").unwrap()), 10.0);
        assert_eq!(
            notes,
            ["times.csv:4: module `extra` has no edges in graph.dot (not a node of the DOT graph)"]
        );
    }

    #[test]
    fn build_order_direction_and_ninja_detection() {
        let (g, _) = load(
            "digraph { a -> b }",
            "a,1\nb,1\n",
            Some(DotEdges::BuildOrder),
        )
        .unwrap();
        assert_eq!(edges(&g), [("b".into(), "a".into(), DepKind::Full)]);
        let (g, notes) = load(
            "digraph ninja {\nrankdir=\"LR\"\nnode [fontsize=10, shape=box, height=0.25]\n\"0x1\" [label=\"a.o\"]\n\"0x2\" [label=\"a.c\"]\n\"0x2\" -> \"0x1\" [label=\" cc\"]\n}",
            "a.o,1\na.c,0\n",
            None,
        )
        .unwrap();
        assert_eq!(edges(&g), [("a.o".into(), "a.c".into(), DepKind::Full)]);
        assert!(notes[0].contains("ninja"), "{notes:?}");
        let (g, _) = load(
            "digraph ninja { rankdir=LR; a -> b }",
            "a,1\nb,1\n",
            Some(DotEdges::DependsOn),
        )
        .unwrap();
        assert_eq!(edges(&g), [("a".into(), "b".into(), DepKind::Full)]);
    }

    #[test]
    fn missing_times_and_cycles() {
        let e = load("digraph {\n a -> b\n b -> c\n}", "a,1\n", None).unwrap_err();
        assert_eq!(
            e,
            "graph.dot:2: module `b` has no duration in times.csv (2 of the 3 DOT nodes have no duration); expected a line for every node of the DOT graph"
        );
        let e = load("digraph { a -> b -> a }", "a,1\nb,1\n", None).unwrap_err();
        assert!(
            e.starts_with("graph.dot, times.csv: dependency cycle: "),
            "{e}"
        );
    }
}
