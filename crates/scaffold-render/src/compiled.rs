//! Templates parsed when scaffold is built, not on every run.
//!
//! Parsing a template with Tera's pest grammar costs about 500 instructions
//! per character of template (every character of text is tried against the
//! six ways a tag can start), so parsing what a `new` of 24 services needs was
//! a third of the run. The build script (`build.rs`) parses every embedded
//! template with the same Tera, and writes each one's syntax tree in the
//! compact form below; the engine reads the tree back, which costs a few
//! instructions per node. A template that does not parse fails the build.
//!
//! The form is private to one build of scaffold (the build script and the
//! binary are built from the same source and the same Tera), so it carries no
//! version. Tera exposes its syntax tree (`tera::ast`) without promising to
//! keep it stable: a change to it in a Tera update is a compile error here
//! (every struct is written out field by field, every enum matched without a
//! wildcard), never a silent difference; and a test reads every template back
//! and compares it with what Tera's parser makes of its source.
//!
//! This file is compiled twice: into the library (which reads) and into the
//! build script (which writes), so it depends on nothing but `tera`.

use std::collections::HashMap;
use std::hash::BuildHasher;

use tera::ast::{
    Block, Expr, ExprVal, FilterSection, Forloop, FunctionCall, If, In, LogicExpr, LogicOperator,
    MacroCall, MacroDefinition, MathExpr, MathOperator, Node, Set, StringConcat, Test, WS,
};

/// A value in the compact form: written by [`Form::put`], read by [`Form::get`].
pub(crate) trait Form: Sized {
    /// Appends `self` to `out`.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads one value from the front of `input`.
    fn get(input: &mut Input<'_>) -> Self;
}

/// The bytes still to read.
pub(crate) struct Input<'a>(pub(crate) &'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .expect("compiled templates are written by this build's build script");
        self.0 = rest;
        head
    }

    fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }

    /// A length or count.
    pub(crate) fn len(&mut self) -> usize {
        usize::get(self)
    }

    /// A string written by [`put_str`], borrowed.
    pub(crate) fn str(&mut self) -> &'a str {
        let len = self.len();
        std::str::from_utf8(self.take(len)).expect("template text is UTF-8")
    }
}

/// Writes `text` as a length and its bytes.
pub(crate) fn put_str(text: &str, out: &mut Vec<u8>) {
    text.len().put(out);
    out.extend_from_slice(text.as_bytes());
}

/// The tag of an enum variant that has no other case to tell it from.
fn bad(kind: &str, tag: u8) -> ! {
    panic!("compiled templates: unknown {kind} tag {tag}")
}

impl Form for usize {
    /// LEB128: seven bits a byte, most lengths fit in one.
    fn put(&self, out: &mut Vec<u8>) {
        let mut n = *self;
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    fn get(input: &mut Input<'_>) -> Self {
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let byte = input.byte();
            n |= usize::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return n;
            }
            shift += 7;
        }
    }
}

impl Form for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(input: &mut Input<'_>) -> Self {
        input.byte() != 0
    }
}

impl Form for i64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(input: &mut Input<'_>) -> Self {
        i64::from_le_bytes(input.take(8).try_into().expect("eight bytes"))
    }
}

impl Form for f64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_le_bytes());
    }
    fn get(input: &mut Input<'_>) -> Self {
        f64::from_bits(u64::from_le_bytes(
            input.take(8).try_into().expect("eight bytes"),
        ))
    }
}

impl Form for String {
    fn put(&self, out: &mut Vec<u8>) {
        put_str(self, out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        input.str().to_owned()
    }
}

impl<T: Form> Form for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for item in self {
            item.put(out);
        }
    }
    fn get(input: &mut Input<'_>) -> Self {
        let len = input.len();
        (0..len).map(|_| T::get(input)).collect()
    }
}

impl<T: Form> Form for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.is_some().put(out);
        if let Some(value) = self {
            value.put(out);
        }
    }
    fn get(input: &mut Input<'_>) -> Self {
        bool::get(input).then(|| T::get(input))
    }
}

impl<T: Form> Form for Box<T> {
    fn put(&self, out: &mut Vec<u8>) {
        (**self).put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Box::new(T::get(input))
    }
}

impl<T: Form, S: BuildHasher + Default> Form for HashMap<String, T, S> {
    fn put(&self, out: &mut Vec<u8>) {
        // In name order, so a build writes the same bytes every time.
        let mut entries: Vec<_> = self.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.len().put(out);
        for (key, value) in entries {
            key.put(out);
            value.put(out);
        }
    }
    fn get(input: &mut Input<'_>) -> Self {
        let len = input.len();
        (0..len)
            .map(|_| (String::get(input), T::get(input)))
            .collect()
    }
}

impl<A: Form, B: Form> Form for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        (A::get(input), B::get(input))
    }
}

impl<A: Form, B: Form, C: Form> Form for (A, B, C) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        (A::get(input), B::get(input), C::get(input))
    }
}

impl Form for WS {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.left) | u8::from(self.right) << 1);
    }
    fn get(input: &mut Input<'_>) -> Self {
        let bits = input.byte();
        WS {
            left: bits & 1 != 0,
            right: bits & 2 != 0,
        }
    }
}

impl Form for MathOperator {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(match self {
            MathOperator::Add => 0,
            MathOperator::Sub => 1,
            MathOperator::Mul => 2,
            MathOperator::Div => 3,
            MathOperator::Modulo => 4,
        });
    }
    fn get(input: &mut Input<'_>) -> Self {
        match input.byte() {
            0 => MathOperator::Add,
            1 => MathOperator::Sub,
            2 => MathOperator::Mul,
            3 => MathOperator::Div,
            4 => MathOperator::Modulo,
            tag => bad("math operator", tag),
        }
    }
}

impl Form for LogicOperator {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(match self {
            LogicOperator::Gt => 0,
            LogicOperator::Gte => 1,
            LogicOperator::Lt => 2,
            LogicOperator::Lte => 3,
            LogicOperator::Eq => 4,
            LogicOperator::NotEq => 5,
            LogicOperator::And => 6,
            LogicOperator::Or => 7,
        });
    }
    fn get(input: &mut Input<'_>) -> Self {
        match input.byte() {
            0 => LogicOperator::Gt,
            1 => LogicOperator::Gte,
            2 => LogicOperator::Lt,
            3 => LogicOperator::Lte,
            4 => LogicOperator::Eq,
            5 => LogicOperator::NotEq,
            6 => LogicOperator::And,
            7 => LogicOperator::Or,
            tag => bad("logic operator", tag),
        }
    }
}

impl Form for FunctionCall {
    fn put(&self, out: &mut Vec<u8>) {
        let FunctionCall { name, args } = self;
        name.put(out);
        args.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        FunctionCall {
            name: Form::get(input),
            args: Form::get(input),
        }
    }
}

impl Form for MathExpr {
    fn put(&self, out: &mut Vec<u8>) {
        let MathExpr { lhs, rhs, operator } = self;
        lhs.put(out);
        rhs.put(out);
        operator.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        MathExpr {
            lhs: Form::get(input),
            rhs: Form::get(input),
            operator: Form::get(input),
        }
    }
}

impl Form for LogicExpr {
    fn put(&self, out: &mut Vec<u8>) {
        let LogicExpr { lhs, rhs, operator } = self;
        lhs.put(out);
        rhs.put(out);
        operator.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        LogicExpr {
            lhs: Form::get(input),
            rhs: Form::get(input),
            operator: Form::get(input),
        }
    }
}

impl Form for StringConcat {
    fn put(&self, out: &mut Vec<u8>) {
        let StringConcat { values } = self;
        values.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        StringConcat {
            values: Form::get(input),
        }
    }
}

impl Form for In {
    fn put(&self, out: &mut Vec<u8>) {
        let In { lhs, rhs, negated } = self;
        lhs.put(out);
        rhs.put(out);
        negated.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        In {
            lhs: Form::get(input),
            rhs: Form::get(input),
            negated: Form::get(input),
        }
    }
}

impl Form for ExprVal {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            ExprVal::String(value) => {
                out.push(0);
                value.put(out);
            }
            ExprVal::Int(value) => {
                out.push(1);
                value.put(out);
            }
            ExprVal::Float(value) => {
                out.push(2);
                value.put(out);
            }
            ExprVal::Bool(value) => {
                out.push(3);
                value.put(out);
            }
            ExprVal::Ident(value) => {
                out.push(4);
                value.put(out);
            }
            ExprVal::Math(value) => {
                out.push(5);
                value.put(out);
            }
            ExprVal::Logic(value) => {
                out.push(6);
                value.put(out);
            }
            ExprVal::Test(value) => {
                out.push(7);
                value.put(out);
            }
            ExprVal::MacroCall(value) => {
                out.push(8);
                value.put(out);
            }
            ExprVal::FunctionCall(value) => {
                out.push(9);
                value.put(out);
            }
            ExprVal::Array(value) => {
                out.push(10);
                value.put(out);
            }
            ExprVal::StringConcat(value) => {
                out.push(11);
                value.put(out);
            }
            ExprVal::In(value) => {
                out.push(12);
                value.put(out);
            }
        }
    }
    fn get(input: &mut Input<'_>) -> Self {
        match input.byte() {
            0 => ExprVal::String(Form::get(input)),
            1 => ExprVal::Int(Form::get(input)),
            2 => ExprVal::Float(Form::get(input)),
            3 => ExprVal::Bool(Form::get(input)),
            4 => ExprVal::Ident(Form::get(input)),
            5 => ExprVal::Math(Form::get(input)),
            6 => ExprVal::Logic(Form::get(input)),
            7 => ExprVal::Test(Form::get(input)),
            8 => ExprVal::MacroCall(Form::get(input)),
            9 => ExprVal::FunctionCall(Form::get(input)),
            10 => ExprVal::Array(Form::get(input)),
            11 => ExprVal::StringConcat(Form::get(input)),
            12 => ExprVal::In(Form::get(input)),
            tag => bad("expression", tag),
        }
    }
}

impl Form for Expr {
    fn put(&self, out: &mut Vec<u8>) {
        let Expr {
            val,
            negated,
            filters,
        } = self;
        val.put(out);
        negated.put(out);
        filters.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Expr {
            val: Form::get(input),
            negated: Form::get(input),
            filters: Form::get(input),
        }
    }
}

impl Form for Test {
    fn put(&self, out: &mut Vec<u8>) {
        let Test {
            ident,
            negated,
            name,
            args,
        } = self;
        ident.put(out);
        negated.put(out);
        name.put(out);
        args.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Test {
            ident: Form::get(input),
            negated: Form::get(input),
            name: Form::get(input),
            args: Form::get(input),
        }
    }
}

impl Form for FilterSection {
    fn put(&self, out: &mut Vec<u8>) {
        let FilterSection { filter, body } = self;
        filter.put(out);
        body.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        FilterSection {
            filter: Form::get(input),
            body: Form::get(input),
        }
    }
}

impl Form for Set {
    fn put(&self, out: &mut Vec<u8>) {
        let Set { key, value, global } = self;
        key.put(out);
        value.put(out);
        global.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Set {
            key: Form::get(input),
            value: Form::get(input),
            global: Form::get(input),
        }
    }
}

impl Form for MacroCall {
    fn put(&self, out: &mut Vec<u8>) {
        let MacroCall {
            namespace,
            name,
            args,
        } = self;
        namespace.put(out);
        name.put(out);
        args.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        MacroCall {
            namespace: Form::get(input),
            name: Form::get(input),
            args: Form::get(input),
        }
    }
}

impl Form for MacroDefinition {
    fn put(&self, out: &mut Vec<u8>) {
        let MacroDefinition { name, args, body } = self;
        name.put(out);
        args.put(out);
        body.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        MacroDefinition {
            name: Form::get(input),
            args: Form::get(input),
            body: Form::get(input),
        }
    }
}

impl Form for Block {
    fn put(&self, out: &mut Vec<u8>) {
        let Block { name, body } = self;
        name.put(out);
        body.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Block {
            name: Form::get(input),
            body: Form::get(input),
        }
    }
}

impl Form for Forloop {
    fn put(&self, out: &mut Vec<u8>) {
        let Forloop {
            key,
            value,
            container,
            body,
            empty_body,
        } = self;
        key.put(out);
        value.put(out);
        container.put(out);
        body.put(out);
        empty_body.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        Forloop {
            key: Form::get(input),
            value: Form::get(input),
            container: Form::get(input),
            body: Form::get(input),
            empty_body: Form::get(input),
        }
    }
}

impl Form for If {
    fn put(&self, out: &mut Vec<u8>) {
        let If {
            conditions,
            otherwise,
        } = self;
        conditions.put(out);
        otherwise.put(out);
    }
    fn get(input: &mut Input<'_>) -> Self {
        If {
            conditions: Form::get(input),
            otherwise: Form::get(input),
        }
    }
}

impl Form for Node {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Node::Super => out.push(0),
            Node::Text(text) => {
                out.push(1);
                text.put(out);
            }
            Node::VariableBlock(ws, expr) => {
                out.push(2);
                ws.put(out);
                expr.put(out);
            }
            Node::MacroDefinition(start, definition, end) => {
                out.push(3);
                start.put(out);
                definition.put(out);
                end.put(out);
            }
            Node::Extends(ws, name) => {
                out.push(4);
                ws.put(out);
                name.put(out);
            }
            Node::Include(ws, names, ignore_missing) => {
                out.push(5);
                ws.put(out);
                names.put(out);
                ignore_missing.put(out);
            }
            Node::ImportMacro(ws, file, namespace) => {
                out.push(6);
                ws.put(out);
                file.put(out);
                namespace.put(out);
            }
            Node::Set(ws, set) => {
                out.push(7);
                ws.put(out);
                set.put(out);
            }
            Node::Raw(start, text, end) => {
                out.push(8);
                start.put(out);
                text.put(out);
                end.put(out);
            }
            Node::FilterSection(start, section, end) => {
                out.push(9);
                start.put(out);
                section.put(out);
                end.put(out);
            }
            Node::Block(start, block, end) => {
                out.push(10);
                start.put(out);
                block.put(out);
                end.put(out);
            }
            Node::Forloop(start, forloop, end) => {
                out.push(11);
                start.put(out);
                forloop.put(out);
                end.put(out);
            }
            Node::If(condition, end) => {
                out.push(12);
                condition.put(out);
                end.put(out);
            }
            Node::Break(ws) => {
                out.push(13);
                ws.put(out);
            }
            Node::Continue(ws) => {
                out.push(14);
                ws.put(out);
            }
            Node::Comment(ws, text) => {
                out.push(15);
                ws.put(out);
                text.put(out);
            }
        }
    }
    fn get(input: &mut Input<'_>) -> Self {
        match input.byte() {
            0 => Node::Super,
            1 => Node::Text(Form::get(input)),
            2 => Node::VariableBlock(Form::get(input), Form::get(input)),
            3 => Node::MacroDefinition(Form::get(input), Form::get(input), Form::get(input)),
            4 => Node::Extends(Form::get(input), Form::get(input)),
            5 => Node::Include(Form::get(input), Form::get(input), Form::get(input)),
            6 => Node::ImportMacro(Form::get(input), Form::get(input), Form::get(input)),
            7 => Node::Set(Form::get(input), Form::get(input)),
            8 => Node::Raw(Form::get(input), Form::get(input), Form::get(input)),
            9 => Node::FilterSection(Form::get(input), Form::get(input), Form::get(input)),
            10 => Node::Block(Form::get(input), Form::get(input), Form::get(input)),
            11 => Node::Forloop(Form::get(input), Form::get(input), Form::get(input)),
            12 => Node::If(Form::get(input), Form::get(input)),
            13 => Node::Break(Form::get(input)),
            14 => Node::Continue(Form::get(input)),
            15 => Node::Comment(Form::get(input), Form::get(input)),
            tag => bad("node", tag),
        }
    }
}

/// Every template as its id (its path below `scaffolds/`) and its parsed tree, in one archive:
/// a count, then per template its id and its tree's bytes, each after its length.
pub(crate) fn archive<'a>(
    templates: impl ExactSizeIterator<Item = (&'a str, &'a [Node])>,
) -> Vec<u8> {
    let mut out = Vec::new();
    templates.len().put(&mut out);
    let mut tree = Vec::new();
    for (id, ast) in templates {
        put_str(id, &mut out);
        tree.clear();
        ast.len().put(&mut tree);
        for node in ast {
            node.put(&mut tree);
        }
        tree.len().put(&mut out);
        out.extend_from_slice(&tree);
    }
    out
}

/// The archive's templates by id, each with its tree's bytes (read on demand by [`template`]).
pub(crate) fn index(archive: &[u8]) -> HashMap<&str, &[u8]> {
    let mut input = Input(archive);
    let count = input.len();
    (0..count)
        .map(|_| {
            let id = input.str();
            let len = input.len();
            (id, input.take(len))
        })
        .collect()
}

/// The template `id` from its tree's bytes, as [`tera::Template::new`] makes it from its source:
/// the tree, its blocks (nested ones too), its macros, the macro files it imports and the template
/// it extends. The inheritance chains are filled in by `Tera::build_inheritance_chains`.
pub(crate) fn template(id: &str, tree: &[u8]) -> tera::Template {
    fn blocks(ast: &[Node], out: &mut HashMap<String, Block>) {
        for node in ast {
            if let Node::Block(_, block, _) = node {
                out.insert(block.name.clone(), block.clone());
                blocks(&block.body, out);
            }
        }
    }
    let ast: Vec<Node> = Form::get(&mut Input(tree));
    let mut found = HashMap::new();
    blocks(&ast, &mut found);
    let mut macros = HashMap::new();
    let mut imported_macro_files = Vec::new();
    let mut parent = None;
    for node in &ast {
        match node {
            Node::Extends(_, name) => parent = Some(name.clone()),
            Node::MacroDefinition(_, definition, _) => {
                macros.insert(definition.name.clone(), definition.clone());
            }
            Node::ImportMacro(_, file, namespace) => {
                imported_macro_files.push((file.clone(), namespace.clone()));
            }
            _ => {}
        }
    }
    tera::Template {
        name: id.to_owned(),
        path: None,
        ast,
        from_extend: false,
        macros,
        imported_macro_files,
        parent,
        blocks: found,
        parents: Vec::new(),
        blocks_definitions: HashMap::new(),
    }
}

/// An error with its causes, on one line (Tera's errors nest the template's name and the
/// parser's message).
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
