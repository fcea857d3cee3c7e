//! fixest formulas: `dep ~ regressors | fixed effects | endogenous ~ instruments`, with pyfixest's
//! multiple-estimation operators and named variable sets.
//!
//! Grammar (whitespace is free):
//!
//! ```text
//! formula   := deps '~' rhs ['|' fe] ['|' iv]
//! deps      := NAME ('+' NAME)*                 several: one model per dependent variable
//! rhs       := '1' | '0' | terms                 '1'/'0': no regressors
//! fe        := terms                             absorbed fixed effects, or '0' for none;
//!                                                a fixed effect may be an interaction `a^b` (fixest:
//!                                                one level per combination, e.g. `province^year`)
//! iv        := NAME ('+' NAME)* '~' NAME ('+' NAME)*
//! terms     := term ('+' term)*
//! term      := NAME | MULTI '(' group (',' group)* ')'
//! MULTI     := sw | sw0 | csw | csw0             at most one per part
//! group     := NAME ('+' NAME)*
//! ```
//!
//! A NAME that is a declared set stands for its members, in order. Expansion order and naming
//! follow pyfixest (`Formula`'s `Display` is pyfixest's model name, e.g. `Y ~ X1 + X2 | f1 + f2`).

use crate::error::{tokenize, SpecError, Tok};
use std::collections::BTreeMap;
use std::fmt;

/// Named variable sets (`controls = ["GDP", ...]`), declared once in the pipeline file.
pub type Sets = BTreeMap<String, Vec<String>>;

/// One model's formula, with sets and multiple estimation expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    pub dep: String,
    /// Exogenous regressors, in formula order (a constant is implied unless fixed effects absorb it).
    pub regressors: Vec<String>,
    /// Absorbed fixed effects, in formula order.
    pub fe: Vec<String>,
    pub endogenous: Vec<String>,
    pub instruments: Vec<String>,
}

/// A formula expanded from a declaration, with the sets it used (for indicator rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub formula: Formula,
    pub sets_used: Vec<String>,
}

impl Formula {
    /// Parse one model's formula (no multiple estimation, no sets).
    pub fn parse(text: &str) -> Result<Formula, SpecError> {
        let mut v = expand_formula(text, &Sets::new())?;
        if v.len() != 1 {
            return Err(SpecError::new(
                "formula",
                text,
                0,
                format!("expands to {} models where one was expected", v.len()),
            ));
        }
        Ok(v.remove(0).formula)
    }

    /// The numeric variables the model reads: dependent, regressors, endogenous, instruments.
    pub fn variables(&self) -> Vec<&str> {
        std::iter::once(self.dep.as_str())
            .chain(self.regressors.iter().map(String::as_str))
            .chain(self.endogenous.iter().map(String::as_str))
            .chain(self.instruments.iter().map(String::as_str))
            .collect()
    }

    /// The columns of the fixed effects: each of an interaction's parts (`province^year` reads
    /// `province` and `year`), each once, in order.
    pub fn fe_columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for part in self.fe.iter().flat_map(|f| f.split('^')) {
            if !out.contains(&part) {
                out.push(part);
            }
        }
        out
    }

    pub fn is_iv(&self) -> bool {
        !self.endogenous.is_empty()
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rhs = if self.regressors.is_empty() {
            "1".to_string()
        } else {
            self.regressors.join(" + ")
        };
        write!(f, "{} ~ {rhs}", self.dep)?;
        if !self.fe.is_empty() {
            write!(f, " | {}", self.fe.join(" + "))?;
        }
        if self.is_iv() {
            write!(
                f,
                " | {} ~ {}",
                self.endogenous.join(" + "),
                self.instruments.join(" + ")
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Multi {
    Sw,
    Sw0,
    Csw,
    Csw0,
}

/// A name as written, possibly a set, with where it is.
#[derive(Debug, Clone)]
struct Name {
    text: String,
    pos: usize,
}

#[derive(Debug, Clone)]
enum Term {
    Name(Name),
    Multi { kind: Multi, groups: Vec<Vec<Name>> },
}

/// One alternative of a part: its variables and the sets they came from.
#[derive(Debug, Clone, Default)]
struct Alt {
    vars: Vec<String>,
    sets: Vec<String>,
}

struct Parser<'a> {
    text: &'a str,
    toks: &'a [(usize, Tok)],
    at: usize,
    /// In the fixed-effects part, `a^b` is one name (fixest's interacted fixed effect).
    interactions: bool,
}

impl Parser<'_> {
    fn err(&self, pos: usize, message: impl Into<String>) -> SpecError {
        SpecError::new("formula", self.text, pos, message)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.text.len(), |t| t.0)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.1)
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }
    fn expect_sym(&mut self, s: &str, context: &str) -> Result<(), SpecError> {
        if self.is_sym(s) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.err(self.pos(), format!("expected `{s}` {context}")))
        }
    }
    fn name(&mut self, context: &str) -> Result<Name, SpecError> {
        let pos = self.pos();
        match self.peek() {
            Some(Tok::Name(n)) => {
                let mut text = n.clone();
                self.at += 1;
                while self.is_sym("^") {
                    if !self.interactions {
                        return Err(self.err(
                            self.pos(),
                            "`^` interacts fixed effects and may appear only in the fixed-effects part",
                        ));
                    }
                    self.at += 1;
                    let next = self.name("after `^`")?;
                    text = format!("{text}^{}", next.text);
                }
                Ok(Name { text, pos })
            }
            Some(Tok::Sym(s)) => Err(self.err(
                pos,
                format!("expected a variable name {context}, found `{s}`"),
            )),
            Some(_) => Err(self.err(pos, format!("expected a variable name {context}"))),
            None => Err(self.err(
                pos,
                format!("expected a variable name {context}, found the end"),
            )),
        }
    }
    /// `NAME ('+' NAME)*`
    fn names(&mut self, context: &str) -> Result<Vec<Name>, SpecError> {
        let mut v = vec![self.name(context)?];
        while self.is_sym("+") {
            self.at += 1;
            v.push(self.name("after `+`")?);
        }
        Ok(v)
    }
    /// `'1' | '0'` when the part is empty of variables.
    fn constant_only(&mut self) -> bool {
        if let Some(Tok::Num(v)) = self.peek() {
            if *v == 0.0 || *v == 1.0 {
                self.at += 1;
                return true;
            }
        }
        false
    }
    fn terms(&mut self, context: &str) -> Result<Vec<Term>, SpecError> {
        let mut v = vec![self.term(context)?];
        let mut multi_at: Option<usize> = None;
        while self.is_sym("+") {
            self.at += 1;
            v.push(self.term("after `+`")?);
        }
        for (i, t) in v.iter().enumerate() {
            if let Term::Multi { .. } = t {
                if multi_at.is_some() {
                    let pos = self
                        .toks
                        .iter()
                        .filter(|(_, t)| matches!(t, Tok::Name(n) if multi_kind(n).is_some()))
                        .nth(1)
                        .map_or(0, |t| t.0);
                    return Err(self.err(
                        pos,
                        "only one of sw/sw0/csw/csw0 per part of a formula (pyfixest's rule)",
                    ));
                }
                multi_at = Some(i);
            }
        }
        Ok(v)
    }
    fn term(&mut self, context: &str) -> Result<Term, SpecError> {
        let name = self.name(context)?;
        if !self.is_sym("(") {
            return Ok(Term::Name(name));
        }
        let Some(kind) = multi_kind(&name.text) else {
            return Err(self.err(
                name.pos,
                format!(
                    "`{}()` is not supported; a formula may use sw, sw0, csw and csw0",
                    name.text
                ),
            ));
        };
        self.at += 1;
        let mut groups = vec![self.names(&format!("inside `{}(`", name.text))?];
        while self.is_sym(",") {
            self.at += 1;
            groups.push(self.names("after `,`")?);
        }
        self.expect_sym(")", &format!("to close `{}(`", name.text))?;
        Ok(Term::Multi { kind, groups })
    }
    fn at_end_of_part(&self) -> bool {
        self.peek().is_none() || self.is_sym("|")
    }
}

fn multi_kind(name: &str) -> Option<Multi> {
    match name {
        "sw" => Some(Multi::Sw),
        "sw0" => Some(Multi::Sw0),
        "csw" => Some(Multi::Csw),
        "csw0" => Some(Multi::Csw0),
        _ => None,
    }
}

/// Expand names through the sets, recording which sets were used.
fn resolve(names: &[Name], sets: &Sets, alt: &mut Alt) {
    for n in names {
        match sets.get(&n.text) {
            Some(members) => {
                alt.vars.extend(members.iter().cloned());
                if !alt.sets.contains(&n.text) {
                    alt.sets.push(n.text.clone());
                }
            }
            None => alt.vars.push(n.text.clone()),
        }
    }
}

/// Every alternative of a part, in pyfixest's order.
fn alternatives(terms: &[Term], sets: &Sets) -> Vec<Alt> {
    let mut alts = vec![Alt::default()];
    for t in terms {
        match t {
            Term::Name(n) => {
                for a in &mut alts {
                    resolve(std::slice::from_ref(n), sets, a);
                }
            }
            Term::Multi { kind, groups } => {
                let mut choices: Vec<Vec<&Vec<Name>>> = Vec::new();
                if matches!(kind, Multi::Sw0 | Multi::Csw0) {
                    choices.push(Vec::new());
                }
                for (i, g) in groups.iter().enumerate() {
                    match kind {
                        Multi::Sw | Multi::Sw0 => choices.push(vec![g]),
                        Multi::Csw | Multi::Csw0 => choices.push(groups[..=i].iter().collect()),
                    }
                }
                let mut next = Vec::new();
                for a in &alts {
                    for c in &choices {
                        let mut b = a.clone();
                        for g in c {
                            resolve(g, sets, &mut b);
                        }
                        next.push(b);
                    }
                }
                alts = next;
            }
        }
    }
    alts
}

/// Parse `text` and expand sets and multiple estimation into one formula per model, in pyfixest's
/// order: fixed-effect alternatives outermost, then dependent variables, then regressor alternatives.
pub fn expand_formula(text: &str, sets: &Sets) -> Result<Vec<Expanded>, SpecError> {
    let toks = tokenize("formula", text)?;
    let mut p = Parser {
        text,
        toks: &toks,
        at: 0,
        interactions: false,
    };
    if toks.is_empty() {
        return Err(p.err(0, "empty formula; expected `dep ~ regressors`"));
    }
    let deps = p.names("as the dependent variable")?;
    p.expect_sym("~", "after the dependent variable")?;
    let rhs = if p.constant_only() {
        Vec::new()
    } else {
        p.terms("as a regressor")?
    };
    if !p.at_end_of_part() {
        return Err(p.err(p.pos(), "expected `+`, `|` or the end of the formula"));
    }
    let mut fe: Vec<Term> = Vec::new();
    let mut iv: Option<(Vec<Name>, Vec<Name>)> = None;
    let mut parts = 0;
    while p.is_sym("|") {
        p.at += 1;
        parts += 1;
        // A part with `~` is the IV part; otherwise it is the fixed effects.
        let has_tilde = p.toks[p.at..]
            .iter()
            .take_while(|t| t.1 != Tok::Sym("|"))
            .any(|t| t.1 == Tok::Sym("~"));
        if has_tilde {
            let endog = p.names("as an endogenous variable")?;
            p.expect_sym("~", "between the endogenous variables and the instruments")?;
            let inst = p.names("as an instrument")?;
            iv = Some((endog, inst));
            if !p.at_end_of_part() {
                return Err(p.err(p.pos(), "expected `+` or the end of the formula"));
            }
            if p.is_sym("|") {
                return Err(p.err(
                    p.pos(),
                    "the IV part `endog ~ instruments` must be the last part",
                ));
            }
        } else {
            if parts > 1 {
                return Err(p.err(p.pos(), "a formula has at most one fixed-effects part"));
            }
            if !p.constant_only() {
                p.interactions = true;
                fe = p.terms("as a fixed effect")?;
                p.interactions = false;
            }
            if !p.at_end_of_part() {
                return Err(p.err(p.pos(), "expected `+`, `|` or the end of the formula"));
            }
        }
    }
    let mut dep_alt = Alt::default();
    resolve(&deps, sets, &mut dep_alt);
    let (endog, inst) = match &iv {
        Some((e, i)) => {
            let (mut ea, mut ia) = (Alt::default(), Alt::default());
            resolve(e, sets, &mut ea);
            resolve(i, sets, &mut ia);
            (ea, ia)
        }
        None => (Alt::default(), Alt::default()),
    };
    let mut out = Vec::new();
    for fe_alt in alternatives(&fe, sets) {
        for dep in &dep_alt.vars {
            for rhs_alt in alternatives(&rhs, sets) {
                let formula = Formula {
                    dep: dep.clone(),
                    regressors: rhs_alt.vars.clone(),
                    fe: fe_alt.vars.clone(),
                    endogenous: endog.vars.clone(),
                    instruments: inst.vars.clone(),
                };
                check_distinct(text, &formula)?;
                let mut sets_used = dep_alt.sets.clone();
                for s in rhs_alt
                    .sets
                    .iter()
                    .chain(&fe_alt.sets)
                    .chain(&endog.sets)
                    .chain(&inst.sets)
                {
                    if !sets_used.contains(s) {
                        sets_used.push(s.clone());
                    }
                }
                out.push(Expanded { formula, sets_used });
            }
        }
    }
    Ok(out)
}

/// A variable may appear once per model (a set and its member named twice is a mistake).
fn check_distinct(text: &str, f: &Formula) -> Result<(), SpecError> {
    let mut seen: Vec<&str> = Vec::new();
    for v in f.variables() {
        if seen.contains(&v) {
            let pos = find_word(text, v).unwrap_or(0);
            return Err(SpecError::new(
                "formula",
                text,
                pos,
                format!("`{v}` appears more than once in model `{f}`"),
            ));
        }
        seen.push(v);
    }
    let mut fe_seen: Vec<&str> = Vec::new();
    for v in &f.fe {
        if fe_seen.contains(&v.as_str()) {
            let pos = find_word(text, v).unwrap_or(0);
            return Err(SpecError::new(
                "formula",
                text,
                pos,
                format!("fixed effect `{v}` appears twice"),
            ));
        }
        fe_seen.push(v);
    }
    Ok(())
}

/// Byte offset of `word` as a whole name in `text`.
pub(crate) fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interacted_fixed_effects() {
        let f = Formula::parse("Y ~ X | city + province^year").unwrap();
        assert_eq!(f.fe, ["city", "province^year"]);
        assert_eq!(f.fe_columns(), ["city", "province", "year"]);
        assert_eq!(f.to_string(), "Y ~ X | city + province^year");
        let e = Formula::parse("Y ~ X^Z | city").unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(e.message.contains("only in the fixed-effects part"), "{e}");
        let e = Formula::parse("Y ~ X | a^").unwrap_err();
        assert!(e.message.contains("after `^`"), "{e}");
    }

    fn names(text: &str, sets: &Sets) -> Vec<String> {
        expand_formula(text, sets)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|e| e.formula.to_string().replace(' ', ""))
            .collect()
    }

    fn controls() -> Sets {
        let mut s = Sets::new();
        s.insert("controls".into(), vec!["GDP".into(), "PS".into()]);
        s
    }

    #[test]
    fn parts_are_read_in_place() {
        let f = Formula::parse("CARBON ~ ROBOT + GDP | city + year | ROBOT2 ~ YFE").unwrap();
        assert_eq!(f.dep, "CARBON");
        assert_eq!(f.regressors, ["ROBOT", "GDP"]);
        assert_eq!(f.fe, ["city", "year"]);
        assert_eq!(f.endogenous, ["ROBOT2"]);
        assert_eq!(f.instruments, ["YFE"]);
        assert_eq!(
            f.to_string(),
            "CARBON ~ ROBOT + GDP | city + year | ROBOT2 ~ YFE"
        );
        // IV without fixed effects, and a model with only a constant.
        let g = Formula::parse("Y ~ X | E ~ Z").unwrap();
        assert!(g.fe.is_empty() && g.is_iv());
        let h = Formula::parse("Y ~ 1 | f").unwrap();
        assert!(h.regressors.is_empty());
        assert_eq!(h.to_string(), "Y ~ 1 | f");
    }

    #[test]
    fn multiple_estimation_expands_in_pyfixest_order() {
        let s = Sets::new();
        assert_eq!(names("Y ~ sw(A, B)", &s), ["Y~A", "Y~B"]);
        assert_eq!(names("Y ~ X + sw0(A, B)", &s), ["Y~X", "Y~X+A", "Y~X+B"]);
        assert_eq!(names("Y ~ csw(A, B)", &s), ["Y~A", "Y~A+B"]);
        assert_eq!(names("Y ~ X + csw0(A, B)", &s), ["Y~X", "Y~X+A", "Y~X+A+B"]);
        assert_eq!(
            names("Y + Z ~ X | csw0(f, g)", &s),
            ["Y~X", "Z~X", "Y~X|f", "Z~X|f", "Y~X|f+g", "Z~X|f+g"],
        );
        assert_eq!(
            names("Y ~ sw(A, B) | sw(f, g)", &s),
            ["Y~A|f", "Y~B|f", "Y~A|g", "Y~B|g"]
        );
    }

    #[test]
    fn sets_expand_to_their_members_and_are_recorded() {
        let s = controls();
        let v = expand_formula("Y ~ X + sw0(controls) | f", &s).unwrap();
        assert_eq!(v[0].formula.to_string(), "Y ~ X | f");
        assert!(v[0].sets_used.is_empty());
        assert_eq!(v[1].formula.to_string(), "Y ~ X + GDP + PS | f");
        assert_eq!(v[1].sets_used, ["controls"]);
        // A group inside csw: several variables per step.
        assert_eq!(names("Y ~ csw(A + B, C)", &s), ["Y~A+B", "Y~A+B+C"]);
    }

    fn err(text: &str) -> SpecError {
        expand_formula(text, &controls()).expect_err(text)
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = err("CARBON ~ ROBOT +");
        assert_eq!(e.pos, 16);
        assert!(e.message.contains("expected a variable name"), "{e}");
        let shown = e.to_string();
        assert!(
            shown.ends_with("  CARBON ~ ROBOT +\n                  ^"),
            "{shown}"
        );
        let e = err("CARBON ROBOT");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (7, "expected `~` after the dependent variable")
        );
        let e = err("Y ~ i(X, f)");
        assert_eq!(e.pos, 4);
        assert!(e.message.contains("`i()` is not supported"));
        let e = err("Y ~ sw(A, B) + csw(C)");
        assert_eq!(e.pos, 15);
        let e = err("Y ~ X + controls + GDP");
        assert!(e.message.contains("`GDP` appears more than once"), "{e}");
        let e = err("Y ~ X | E ~ Z | f");
        assert!(e.message.contains("must be the last part"), "{e}");
        let e = err("Y ~ X | f | g");
        assert!(e.message.contains("at most one fixed-effects part"), "{e}");
        let e = err("Y ~ sw(A, B");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (11, "expected `)` to close `sw(`")
        );
        let e = err("Y ~ X # Z");
        assert_eq!((e.pos, e.message.as_str()), (6, "unexpected character `#`"));
        assert!(err("").message.contains("empty formula"));
    }

    #[test]
    fn caret_lines_up_under_non_ascii_text() {
        let e = err("碳 ~ X +");
        assert!(e.to_string().ends_with("  碳 ~ X +\n         ^"), "{e}");
    }
}
