//! A small evaluator for the subset of CEL the rendered Google Cloud conditions use, so
//! tests can compute what a rendered workload identity provider admits instead of
//! matching strings.
//!
//! Supported: string and list literals, attributes `<root>.<name>` such as
//! `assertion.sub` or `resource.name` (a missing attribute is an error value),
//! `has(<root>.<name>)`, `+` on strings, `==`, `in`, `&&`, `||`, parentheses, and the
//! string methods `startsWith` and `endsWith`. `&&` and `||` follow CEL's commutative
//! error semantics: `false && error` is false and `true || error` is true; anything
//! else involving an error is an error, and an error admits nothing.

use std::collections::BTreeMap;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bool(bool),
    Str(String),
    List(Vec<Value>),
    Error(String),
}

/// A parsed expression.
#[derive(Debug, Clone)]
enum Expr {
    Str(String),
    List(Vec<Expr>),
    Claim(String),
    Has(String),
    Eq(Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Method(Box<Expr>, String, Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
}

/// Tokens of the subset.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Ident(String),
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    EqEq,
    Plus,
    AndAnd,
    OrOr,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '\'' | '"' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    if chars[i] == '\\' {
                        return Err(format!("escape sequences are not in the subset: {text}"));
                    }
                    value.push(chars[i]);
                    i += 1;
                }
                if i == chars.len() {
                    return Err(format!("unterminated string in {text}"));
                }
                i += 1;
                tokens.push(Token::Str(value));
            }
            '.' => {
                tokens.push(Token::Dot);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
            }
            '[' => {
                tokens.push(Token::LBracket);
                i += 1;
            }
            ']' => {
                tokens.push(Token::RBracket);
                i += 1;
            }
            '+' => {
                tokens.push(Token::Plus);
                i += 1;
            }
            '=' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::EqEq);
                i += 2;
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                tokens.push(Token::AndAnd);
                i += 2;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                tokens.push(Token::OrOr);
                i += 2;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("`{other}` is not in the subset: {text}")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self.tokens.get(self.at).cloned().ok_or("unexpected end")?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, token: &Token) -> Result<(), String> {
        let got = self.next()?;
        if &got == token {
            Ok(())
        } else {
            Err(format!("expected {token:?}, found {got:?}"))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::OrOr) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.relation()?;
        while self.peek() == Some(&Token::AndAnd) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.relation()?));
        }
        Ok(left)
    }

    fn relation(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        match self.peek() {
            Some(Token::EqEq) => {
                self.at += 1;
                Ok(Expr::Eq(Box::new(left), Box::new(self.sum()?)))
            }
            Some(Token::Ident(word)) if word == "in" => {
                self.at += 1;
                Ok(Expr::In(Box::new(left), Box::new(self.sum()?)))
            }
            _ => Ok(left),
        }
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.postfix()?;
        while self.peek() == Some(&Token::Plus) {
            self.at += 1;
            left = Expr::Concat(Box::new(left), Box::new(self.postfix()?));
        }
        Ok(left)
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut expr = self.primary()?;
        while self.peek() == Some(&Token::Dot) {
            self.at += 1;
            let Token::Ident(method) = self.next()? else {
                return Err("expected a method name".to_owned());
            };
            self.expect(&Token::LParen)?;
            let argument = self.or()?;
            self.expect(&Token::RParen)?;
            expr = Expr::Method(Box::new(expr), method, Box::new(argument));
        }
        Ok(expr)
    }

    /// `.<name>` after an attribute's root.
    fn claim(&mut self) -> Result<String, String> {
        self.expect(&Token::Dot)?;
        match self.next()? {
            Token::Ident(claim) => Ok(claim),
            other => Err(format!("expected a claim, found {other:?}")),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next()? {
            Token::Str(value) => Ok(Expr::Str(value)),
            Token::LParen => {
                let expr = self.or()?;
                self.expect(&Token::RParen)?;
                Ok(expr)
            }
            Token::LBracket => {
                let mut items = Vec::new();
                if self.peek() != Some(&Token::RBracket) {
                    loop {
                        items.push(self.or()?);
                        if self.peek() == Some(&Token::Comma) {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(&Token::RBracket)?;
                Ok(Expr::List(items))
            }
            Token::Ident(word) if word == "has" => {
                self.expect(&Token::LParen)?;
                let Token::Ident(root) = self.next()? else {
                    return Err("has() needs an attribute".to_owned());
                };
                let name = self.claim()?;
                self.expect(&Token::RParen)?;
                Ok(Expr::Has(format!("{root}.{name}")))
            }
            Token::Ident(root) => {
                // `root.name`; a method called on it is handled by `postfix`.
                let name = self.claim()?;
                Ok(Expr::Claim(format!("{root}.{name}")))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// Parses `text`, or says what in it is outside the subset.
fn parse(text: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    let expr = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(format!("trailing tokens in {text}"));
    }
    Ok(expr)
}

fn eval(expr: &Expr, claims: &BTreeMap<String, String>) -> Value {
    match expr {
        Expr::Str(value) => Value::Str(value.clone()),
        Expr::List(items) => Value::List(items.iter().map(|i| eval(i, claims)).collect()),
        Expr::Claim(claim) => claims.get(claim).map_or_else(
            || Value::Error(format!("no claim {claim}")),
            |v| Value::Str(v.clone()),
        ),
        Expr::Has(claim) => Value::Bool(claims.contains_key(claim)),
        Expr::Eq(a, b) => match (eval(a, claims), eval(b, claims)) {
            (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
            (a, b) => Value::Bool(a == b),
        },
        Expr::In(a, b) => match (eval(a, claims), eval(b, claims)) {
            (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
            (item, Value::List(items)) => Value::Bool(items.contains(&item)),
            _ => Value::Error("`in` needs a list".to_owned()),
        },
        Expr::And(a, b) => match (eval(a, claims), eval(b, claims)) {
            (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
            (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
            (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
            _ => Value::Error("`&&` needs booleans".to_owned()),
        },
        Expr::Or(a, b) => match (eval(a, claims), eval(b, claims)) {
            (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
            (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
            (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
            _ => Value::Error("`||` needs booleans".to_owned()),
        },
        Expr::Concat(a, b) => match (eval(a, claims), eval(b, claims)) {
            (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
            (Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
            _ => Value::Error("`+` needs strings".to_owned()),
        },
        Expr::Method(target, method, argument) => {
            match (eval(target, claims), eval(argument, claims)) {
                (Value::Error(e), _) | (_, Value::Error(e)) => Value::Error(e),
                (Value::Str(s), Value::Str(a)) => match method.as_str() {
                    "startsWith" => Value::Bool(s.starts_with(&a)),
                    "endsWith" => Value::Bool(s.ends_with(&a)),
                    other => Value::Error(format!("method {other} is not in the subset")),
                },
                _ => Value::Error(format!("{method} needs strings")),
            }
        }
    }
}

/// Whether `condition` holds for the attributes `claims` (keyed `assertion.sub`,
/// `resource.name`, ...); an error holds for nothing.
///
/// Panics when the condition is outside the subset, which is a test failure worth seeing.
pub(crate) fn admits(condition: &str, claims: &BTreeMap<String, String>) -> bool {
    let expr = parse(condition).unwrap_or_else(|err| panic!("{err}"));
    eval(&expr, claims) == Value::Bool(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn check(condition: &str, pairs: &[(&str, &str)], expect: bool) {
        assert_eq!(admits(condition, &claims(pairs)), expect, "{condition}");
    }

    #[test]
    fn equality_and_lists() {
        check("assertion.a == 'x'", &[("assertion.a", "x")], true);
        check("assertion.a == 'x'", &[("assertion.a", "y")], false);
        check("assertion.a in ['x', 'y']", &[("assertion.a", "y")], true);
        check("assertion.a in ['x', 'y']", &[("assertion.a", "z")], false);
    }

    #[test]
    fn missing_claims_are_errors_unless_absorbed() {
        check("assertion.a == 'x'", &[], false);
        check(
            "assertion.a == 'x' || assertion.b == 'y'",
            &[("assertion.b", "y")],
            true,
        );
        check(
            "assertion.a == 'x' && assertion.b == 'z'",
            &[("assertion.b", "y")],
            false,
        );
        check("has(assertion.a) && assertion.a == 'x'", &[], false);
        check(
            "has(assertion.a) && assertion.a == 'x'",
            &[("assertion.a", "x")],
            true,
        );
    }

    #[test]
    fn concatenation_ties_claims_together() {
        let condition = "assertion.sub == 'repo:' + assertion.ref";
        check(
            condition,
            &[("assertion.sub", "repo:main"), ("assertion.ref", "main")],
            true,
        );
        check(
            condition,
            &[("assertion.sub", "repo:main"), ("assertion.ref", "dev")],
            false,
        );
    }

    #[test]
    fn string_methods_and_grouping() {
        check(
            "(assertion.w.startsWith('a/') && assertion.w.endsWith('@main')) || assertion.w == 'z'",
            &[("assertion.w", "a/b@main")],
            true,
        );
        check(
            "resource.w.startsWith('a/')",
            &[("resource.w", "b/a/")],
            false,
        );
    }
}
