//! Sample filters: boolean expressions over a data node's columns.
//!
//! ```text
//! expr    := and ('or' and)*
//! and     := not ('and' not)*
//! not     := 'not' not | '(' expr ')' | compare
//! compare := operand ('==' | '!=' | '<' | '<=' | '>' | '>=') operand
//!          | operand ['not'] 'in' '[' literal (',' literal)* ']'
//! operand := NAME | NUMBER | "STRING"
//! ```
//!
//! A missing number (NaN) satisfies no comparison, so `x != 1` drops rows where `x` is missing.

use crate::error::{tokenize, SpecError, Tok};
use std::fmt;

/// A column the filter reads, as the data node stores it.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    F64(&'a [f64]),
    I64(&'a [i64]),
    Str(&'a [String]),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Column(String, usize),
    Lit(Lit, usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Cmp, Operand),
    In {
        column: Operand,
        set: Vec<Lit>,
        negated: bool,
    },
}

/// A parsed sample filter, with its text (the text is what a model's key records).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    text: String,
    expr: Expr,
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(usize, Tok)>,
    at: usize,
}

impl Parser<'_> {
    fn err(&self, pos: usize, m: impl Into<String>) -> SpecError {
        SpecError::new("sample", self.text, pos, m)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.text.len(), |t| t.0)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.1)
    }
    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == k) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if *x == s) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Expr, SpecError> {
        let mut e = self.and()?;
        while self.keyword("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, SpecError> {
        let mut e = self.not()?;
        while self.keyword("and") {
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> Result<Expr, SpecError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.sym("(") {
            let e = self.or()?;
            if !self.sym(")") {
                return Err(self.err(self.pos(), "expected `)`"));
            }
            return Ok(e);
        }
        self.compare()
    }
    fn operand(&mut self) -> Result<Operand, SpecError> {
        let pos = self.pos();
        let o = match self.peek() {
            Some(Tok::Name(n)) if !matches!(n.as_str(), "and" | "or" | "not" | "in") => {
                Operand::Column(n.clone(), pos)
            }
            Some(Tok::Num(v)) => Operand::Lit(Lit::Num(*v), pos),
            Some(Tok::Str(s)) => Operand::Lit(Lit::Str(s.clone()), pos),
            _ => return Err(self.err(pos, "expected a column name, a number or a quoted string")),
        };
        self.at += 1;
        Ok(o)
    }
    fn compare(&mut self) -> Result<Expr, SpecError> {
        let left = self.operand()?;
        let negated = self.keyword("not");
        if self.keyword("in") {
            if !self.sym("[") {
                return Err(self.err(self.pos(), "expected `[` after `in`"));
            }
            let mut set = Vec::new();
            loop {
                match self.operand()? {
                    Operand::Lit(l, _) => set.push(l),
                    Operand::Column(_, p) => {
                        return Err(self.err(p, "a list after `in` holds numbers or quoted strings"))
                    }
                }
                if self.sym("]") {
                    break;
                }
                if !self.sym(",") {
                    return Err(self.err(self.pos(), "expected `,` or `]`"));
                }
            }
            return Ok(Expr::In {
                column: left,
                set,
                negated,
            });
        }
        if negated {
            return Err(self.err(self.pos(), "expected `in` after `not`"));
        }
        let pos = self.pos();
        let op = match self.peek() {
            Some(Tok::Sym("==")) => Cmp::Eq,
            Some(Tok::Sym("!=")) => Cmp::Ne,
            Some(Tok::Sym("<")) => Cmp::Lt,
            Some(Tok::Sym("<=")) => Cmp::Le,
            Some(Tok::Sym(">")) => Cmp::Gt,
            Some(Tok::Sym(">=")) => Cmp::Ge,
            _ => return Err(self.err(pos, "expected a comparison (==, !=, <, <=, >, >=) or `in`")),
        };
        self.at += 1;
        let right = self.operand()?;
        Ok(Expr::Compare(left, op, right))
    }
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, SpecError> {
        let toks = tokenize("sample", text)?;
        let mut p = Parser { text, toks, at: 0 };
        if p.toks.is_empty() {
            return Err(p.err(0, "empty sample filter"));
        }
        let expr = p.or()?;
        if p.at < p.toks.len() {
            return Err(p.err(p.pos(), "expected `and`, `or` or the end of the filter"));
        }
        Ok(Filter {
            text: text.to_string(),
            expr,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The columns the filter reads, with their positions in the text.
    pub fn columns(&self) -> Vec<(&str, usize)> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<(&'a str, usize)>) {
            let mut op = |o: &'a Operand| {
                if let Operand::Column(n, p) = o {
                    out.push((n.as_str(), *p));
                }
            };
            match e {
                Expr::Or(a, b) | Expr::And(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Not(a) => walk(a, out),
                Expr::Compare(l, _, r) => {
                    op(l);
                    op(r);
                }
                Expr::In { column, .. } => op(column),
            }
        }
        let mut v = Vec::new();
        walk(&self.expr, &mut v);
        v
    }

    /// The rows (of `n`) where the filter holds; `column` finds a column by name.
    pub fn eval<'a>(
        &self,
        n: usize,
        column: &dyn Fn(&str) -> Option<Column<'a>>,
    ) -> Result<Vec<bool>, SpecError> {
        self.eval_expr(&self.expr, n, column)
    }

    fn err(&self, pos: usize, m: impl Into<String>) -> SpecError {
        SpecError::new("sample", &self.text, pos, m)
    }

    fn lookup<'a>(
        &self,
        name: &str,
        pos: usize,
        n: usize,
        column: &dyn Fn(&str) -> Option<Column<'a>>,
    ) -> Result<Column<'a>, SpecError> {
        let c =
            column(name).ok_or_else(|| self.err(pos, format!("no column `{name}` in the data")))?;
        if c.len() != n {
            return Err(self.err(
                pos,
                format!("column `{name}` has {} rows, expected {n}", c.len()),
            ));
        }
        Ok(c)
    }

    fn eval_expr<'a>(
        &self,
        e: &Expr,
        n: usize,
        column: &dyn Fn(&str) -> Option<Column<'a>>,
    ) -> Result<Vec<bool>, SpecError> {
        Ok(match e {
            Expr::Or(a, b) => zip(
                self.eval_expr(a, n, column)?,
                self.eval_expr(b, n, column)?,
                |x, y| x || y,
            ),
            Expr::And(a, b) => zip(
                self.eval_expr(a, n, column)?,
                self.eval_expr(b, n, column)?,
                |x, y| x && y,
            ),
            Expr::Not(a) => self
                .eval_expr(a, n, column)?
                .into_iter()
                .map(|x| !x)
                .collect(),
            Expr::In {
                column: c,
                set,
                negated,
            } => {
                let Operand::Column(name, pos) = c else {
                    return Err(self.err(operand_pos(c), "`in` needs a column on its left"));
                };
                let col = self.lookup(name, *pos, n, column)?;
                let mut out = vec![false; n];
                for lit in set {
                    let hit = self.compare_column(col, name, *pos, Cmp::Eq, lit)?;
                    for (o, h) in out.iter_mut().zip(hit) {
                        *o |= h;
                    }
                }
                if *negated {
                    // A missing number is in no list and outside none: it satisfies neither.
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = !*o && !is_nan_at(col, i);
                    }
                }
                out
            }
            Expr::Compare(l, op, r) => match (l, r) {
                (Operand::Column(name, pos), Operand::Lit(lit, _)) => {
                    let col = self.lookup(name, *pos, n, column)?;
                    self.compare_column(col, name, *pos, *op, lit)?
                }
                (Operand::Lit(lit, _), Operand::Column(name, pos)) => {
                    let col = self.lookup(name, *pos, n, column)?;
                    self.compare_column(col, name, *pos, flip(*op), lit)?
                }
                (Operand::Column(a, pa), Operand::Column(b, pb)) => {
                    let (ca, cb) = (
                        self.lookup(a, *pa, n, column)?,
                        self.lookup(b, *pb, n, column)?,
                    );
                    let (Some(x), Some(y)) = (numbers(ca), numbers(cb)) else {
                        return Err(self.err(
                            *pa,
                            "two columns can be compared only when both are numeric",
                        ));
                    };
                    (0..n)
                        .map(|i| holds(x(i).partial_cmp(&y(i)), *op))
                        .collect()
                }
                (Operand::Lit(_, p), Operand::Lit(_, _)) => {
                    return Err(self.err(*p, "a comparison needs a column on one side"))
                }
            },
        })
    }

    fn compare_column(
        &self,
        col: Column<'_>,
        name: &str,
        pos: usize,
        op: Cmp,
        lit: &Lit,
    ) -> Result<Vec<bool>, SpecError> {
        match (col, lit) {
            (Column::Str(v), Lit::Str(s)) => Ok(v
                .iter()
                .map(|x| holds(Some(x.as_str().cmp(s.as_str())), op))
                .collect()),
            (Column::Str(_), Lit::Num(x)) => Err(self.err(
                pos,
                format!(
                    "`{name}` is a text column; compare it with a quoted string such as \"{x}\""
                ),
            )),
            (_, Lit::Str(s)) => Err(self.err(
                pos,
                format!("`{name}` is a numeric column; compare it with a number, not \"{s}\""),
            )),
            (c, Lit::Num(x)) => {
                let Some(get) = numbers(c) else {
                    unreachable!("text handled above")
                };
                Ok((0..c.len())
                    .map(|i| holds(get(i).partial_cmp(x), op))
                    .collect())
            }
        }
    }
}

fn is_nan_at(c: Column<'_>, i: usize) -> bool {
    matches!(c, Column::F64(v) if v[i].is_nan())
}

fn operand_pos(o: &Operand) -> usize {
    match o {
        Operand::Column(_, p) | Operand::Lit(_, p) => *p,
    }
}

/// A numeric column as a getter of f64 values.
fn numbers<'a>(c: Column<'a>) -> Option<Box<dyn Fn(usize) -> f64 + 'a>> {
    match c {
        Column::F64(v) => Some(Box::new(move |i| v[i])),
        Column::I64(v) => Some(Box::new(move |i| v[i] as f64)),
        Column::Str(_) => None,
    }
}

fn zip(a: Vec<bool>, b: Vec<bool>, f: impl Fn(bool, bool) -> bool) -> Vec<bool> {
    a.into_iter().zip(b).map(|(x, y)| f(x, y)).collect()
}

fn flip(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    }
}

/// Whether an ordering satisfies `op`; an unordered pair (NaN) satisfies nothing.
fn holds(ord: Option<std::cmp::Ordering>, op: Cmp) -> bool {
    use std::cmp::Ordering::*;
    match ord {
        None => false,
        Some(o) => match op {
            Cmp::Eq => o == Equal,
            Cmp::Ne => o != Equal,
            Cmp::Lt => o == Less,
            Cmp::Le => o != Greater,
            Cmp::Gt => o == Greater,
            Cmp::Ge => o != Less,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<f64>, Vec<i64>, Vec<String>) {
        (
            vec![1.0, 2.0, f64::NAN, 4.0],
            vec![0, 1, 1, 0],
            ["11", "12", "11", "37"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
    }

    fn eval(text: &str) -> Result<Vec<bool>, SpecError> {
        let (x, flag, prov) = data();
        let f = Filter::parse(text)?;
        f.eval(4, &|name| match name {
            "x" => Some(Column::F64(&x)),
            "flag" => Some(Column::I64(&flag)),
            "province" => Some(Column::Str(&prov)),
            _ => None,
        })
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(eval("flag == 0").unwrap(), [true, false, false, true]);
        assert_eq!(eval("x >= 2").unwrap(), [false, true, false, true]);
        assert_eq!(eval("2 < x").unwrap(), [false, false, false, true]);
        assert_eq!(
            eval("x != 1").unwrap(),
            [false, true, false, true],
            "NaN satisfies nothing"
        );
        assert_eq!(
            eval("flag == 1 and x > 1").unwrap(),
            [false, true, false, false]
        );
        assert_eq!(
            eval("flag == 1 or x > 3").unwrap(),
            [false, true, true, true]
        );
        assert_eq!(eval("not (flag == 1)").unwrap(), [true, false, false, true]);
        assert_eq!(
            eval("province in [\"11\", '37']").unwrap(),
            [true, false, true, true]
        );
        assert_eq!(
            eval("province not in [\"11\"]").unwrap(),
            [false, true, false, true]
        );
        assert_eq!(
            eval("x not in [1, 4]").unwrap(),
            [false, true, false, false]
        );
        assert_eq!(eval("x < flag").unwrap(), [false, false, false, false]);
        // `and` binds tighter than `or`.
        assert_eq!(
            eval("flag == 0 or flag == 1 and x > 100").unwrap(),
            [true, false, false, true]
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = eval("flag = 1").unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(e.message.starts_with("expected a comparison"), "{e}");
        let e = eval("flag == ").unwrap_err();
        assert_eq!(e.pos, 8);
        let e = eval("provnce == \"11\"").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (0, "no column `provnce` in the data")
        );
        let e = eval("province == 11").unwrap_err();
        assert!(e.message.contains("text column"), "{e}");
        let e = eval("flag == 1 and").unwrap_err();
        assert_eq!(e.pos, 13);
        let e = eval("(flag == 1").unwrap_err();
        assert_eq!(e.message, "expected `)`");
        let e = eval("flag == 1 x").unwrap_err();
        assert_eq!(e.pos, 10);
        assert!(
            e.to_string().contains("\n  flag == 1 x\n            ^"),
            "{e}"
        );
        assert_eq!(
            Filter::parse("x > 1 or flag == 0").unwrap().columns(),
            [("x", 0), ("flag", 9)]
        );
    }
}
