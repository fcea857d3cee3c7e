//! The rest of a model: estimator and options, VCE, year range; and the model value itself.

use crate::error::{tokenize, SpecError, Tok};
use crate::filter::Filter;
use crate::formula::Formula;
use std::fmt;

/// The variance estimator of an OLS or 2SLS fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vcov {
    /// `iid`: homoskedastic.
    Iid,
    /// `hetero` (or `HC1`): White's estimator with the n/(n-k) factor.
    Hetero,
    /// `cluster:V` or two-way `cluster:V1+V2` (one or two names).
    Cluster(Vec<String>),
}

impl Vcov {
    pub fn parse(text: &str) -> Result<Vcov, SpecError> {
        let t = text.trim();
        let lead = text.len() - text.trim_start().len();
        match t {
            "iid" => return Ok(Vcov::Iid),
            "hetero" | "HC1" | "hc1" => return Ok(Vcov::Hetero),
            _ => {}
        }
        let Some(rest) = t.strip_prefix("cluster:") else {
            return Err(SpecError::new(
                "vcov",
                text,
                lead,
                "expected `iid`, `hetero`, `cluster:VAR` or `cluster:VAR1+VAR2`",
            ));
        };
        let start = lead + "cluster:".len();
        let mut names = Vec::new();
        let mut offset = start;
        for part in rest.split('+') {
            let name = part.trim();
            let pos = offset + (part.len() - part.trim_start().len());
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            {
                return Err(SpecError::new(
                    "vcov",
                    text,
                    pos,
                    "expected a variable name to cluster by",
                ));
            }
            names.push(name.to_string());
            offset += part.len() + 1;
        }
        if names.len() > 2 {
            let pos = start + rest.match_indices('+').nth(1).map_or(0, |m| m.0);
            return Err(SpecError::new(
                "vcov",
                text,
                pos,
                "at most two-way clustering",
            ));
        }
        if names.len() == 2 && names[0] == names[1] {
            return Err(SpecError::new(
                "vcov",
                text,
                start,
                "the two cluster variables are the same",
            ));
        }
        Ok(Vcov::Cluster(names))
    }
}

impl fmt::Display for Vcov {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vcov::Iid => f.write_str("iid"),
            Vcov::Hetero => f.write_str("hetero"),
            Vcov::Cluster(v) => write!(f, "cluster:{}", v.join("+")),
        }
    }
}

/// Stata `panels()` of `xtgls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FglsPanels {
    Iid,
    Hetero,
}

/// Stata `corr()` of `xtgls` and `xtpcse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlsCorr {
    Independent,
    Ar1,
    Psar1,
}

/// The estimator with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// OLS with absorbed fixed effects (reghdfe / pyfixest `feols`).
    Ols,
    /// 2SLS with absorbed fixed effects (ivreghdfe / pyfixest IV).
    Iv2sls,
    /// Stata `xtgls`; fixed effects enter as dummies.
    Fgls {
        panels: FglsPanels,
        corr: GlsCorr,
        force: bool,
    },
    /// Stata `xtpcse`; fixed effects enter as dummies. `psd` (not Stata's, needs `pairwise`):
    /// a pairwise Sigma that is not positive semidefinite is projected onto the PSD cone instead
    /// of the estimate being refused.
    Pcse {
        corr: GlsCorr,
        pairwise: bool,
        psd: bool,
    },
}

impl Estimator {
    /// `ols`, `iv_2sls`, `fgls(panels=hetero, corr=ar1, force)`, `pcse(corr=ar1, pairwise, psd)`.
    pub fn parse(text: &str) -> Result<Estimator, SpecError> {
        let err = |pos: usize, m: String| SpecError::new("estimator", text, pos, m);
        let toks = tokenize("estimator", text)?;
        let Some((pos, Tok::Name(name))) = toks.first() else {
            return Err(err(
                0,
                "expected an estimator: ols, iv_2sls, fgls or pcse".into(),
            ));
        };
        let mut est = match name.as_str() {
            "ols" => Estimator::Ols,
            "iv_2sls" | "iv" => Estimator::Iv2sls,
            "fgls" => Estimator::Fgls {
                panels: FglsPanels::Iid,
                corr: GlsCorr::Independent,
                force: false,
            },
            "pcse" => Estimator::Pcse {
                corr: GlsCorr::Independent,
                pairwise: false,
                psd: false,
            },
            other => {
                return Err(err(
                    *pos,
                    format!("unknown estimator `{other}`; expected ols, iv_2sls, fgls or pcse"),
                ))
            }
        };
        let mut i = 1;
        if i == toks.len() {
            return Ok(est);
        }
        // Where `psd` was given: it is checked against `pairwise` once every option is read.
        let mut psd_at: Option<usize> = None;
        if toks[i].1 != Tok::Sym("(") {
            return Err(err(
                toks[i].0,
                "expected `(` and options, or the end".into(),
            ));
        }
        i += 1;
        while i < toks.len() && toks[i].1 != Tok::Sym(")") {
            let (opos, Tok::Name(opt)) = &toks[i] else {
                return Err(err(toks[i].0, "expected an option name".into()));
            };
            i += 1;
            let mut value: Option<(usize, String)> = None;
            // `name=value`, `name:value` and Stata's `name(value)` are all accepted.
            if i < toks.len() && matches!(toks[i].1, Tok::Sym("=") | Tok::Sym(":") | Tok::Sym("("))
            {
                let close = toks[i].1 == Tok::Sym("(");
                i += 1;
                match toks.get(i) {
                    Some((p, Tok::Name(v))) => value = Some((*p, v.clone())),
                    _ => {
                        return Err(err(
                            toks.get(i).map_or(text.len(), |t| t.0),
                            format!("expected a value for `{opt}`"),
                        ))
                    }
                }
                i += 1;
                if close {
                    if toks.get(i).map(|t| &t.1) != Some(&Tok::Sym(")")) {
                        return Err(err(
                            toks.get(i).map_or(text.len(), |t| t.0),
                            "expected `)`".into(),
                        ));
                    }
                    i += 1;
                }
            }
            if opt == "psd" {
                psd_at = Some(*opos);
            }
            est = est
                .with_option(opt, value.as_ref().map(|v| v.1.as_str()))
                .map_err(|m| {
                    let pos = match (&value, m.1) {
                        (Some((vp, _)), true) => *vp,
                        _ => *opos,
                    };
                    err(pos, m.0)
                })?;
            if i < toks.len() && toks[i].1 == Tok::Sym(",") {
                i += 1;
            }
        }
        if i >= toks.len() {
            return Err(err(text.len(), "expected `)` to close the options".into()));
        }
        if i + 1 < toks.len() {
            return Err(err(
                toks[i + 1].0,
                "unexpected text after the options".into(),
            ));
        }
        if let (
            Estimator::Pcse {
                pairwise: false,
                psd: true,
                ..
            },
            Some(pos),
        ) = (est, psd_at)
        {
            return Err(err(
                pos,
                "option `psd` applies to the pairwise Sigma only: write pcse(pairwise, psd) \
                 (a casewise Sigma is positive semidefinite by construction)"
                    .into(),
            ));
        }
        Ok(est)
    }

    /// Apply one option; the error says whether the value (true) or the name (false) is wrong.
    fn with_option(self, opt: &str, value: Option<&str>) -> Result<Estimator, (String, bool)> {
        let corr = |v: Option<&str>| match v {
            Some("independent") => Ok(GlsCorr::Independent),
            Some("ar1") => Ok(GlsCorr::Ar1),
            Some("psar1") => Ok(GlsCorr::Psar1),
            Some(other) => Err((
                format!("corr must be independent, ar1 or psar1, not `{other}`"),
                true,
            )),
            None => Err((
                "corr needs a value: corr:independent, corr:ar1 or corr:psar1".into(),
                false,
            )),
        };
        let flag = |v: Option<&str>| match v {
            None => Ok(()),
            Some(x) => Err((format!("`{opt}` takes no value (found `{x}`)"), true)),
        };
        match (self, opt) {
            (Estimator::Fgls { corr: c, force, .. }, "panels") => {
                let panels = match value {
                    Some("iid") => FglsPanels::Iid,
                    Some("hetero") | Some("heteroskedastic") => FglsPanels::Hetero,
                    Some(other) => {
                        return Err((format!("panels must be iid or hetero, not `{other}`"), true))
                    }
                    None => {
                        return Err((
                            "panels needs a value: panels:iid or panels:hetero".into(),
                            false,
                        ))
                    }
                };
                Ok(Estimator::Fgls {
                    panels,
                    corr: c,
                    force,
                })
            }
            (Estimator::Fgls { panels, force, .. }, "corr") => Ok(Estimator::Fgls {
                panels,
                corr: corr(value)?,
                force,
            }),
            (Estimator::Fgls { panels, corr, .. }, "force") => {
                flag(value)?;
                Ok(Estimator::Fgls {
                    panels,
                    corr,
                    force: true,
                })
            }
            (Estimator::Pcse { pairwise, psd, .. }, "corr") => Ok(Estimator::Pcse {
                corr: corr(value)?,
                pairwise,
                psd,
            }),
            (Estimator::Pcse { corr, psd, .. }, "pairwise") => {
                flag(value)?;
                Ok(Estimator::Pcse {
                    corr,
                    pairwise: true,
                    psd,
                })
            }
            (Estimator::Pcse { corr, pairwise, .. }, "psd") => {
                flag(value)?;
                Ok(Estimator::Pcse {
                    corr,
                    pairwise,
                    psd: true,
                })
            }
            (e, opt) => {
                let known = match e {
                    Estimator::Ols | Estimator::Iv2sls => "it takes no options",
                    Estimator::Fgls { .. } => "it takes panels, corr and force",
                    Estimator::Pcse { .. } => "it takes corr, pairwise and psd",
                };
                Err((
                    format!("option `{opt}` does not apply to {}: {known}", e.name()),
                    false,
                ))
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Estimator::Ols => "ols",
            Estimator::Iv2sls => "iv_2sls",
            Estimator::Fgls { .. } => "fgls",
            Estimator::Pcse { .. } => "pcse",
        }
    }
}

fn corr_name(c: GlsCorr) -> &'static str {
    match c {
        GlsCorr::Independent => "independent",
        GlsCorr::Ar1 => "ar1",
        GlsCorr::Psar1 => "psar1",
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Estimator::Ols | Estimator::Iv2sls => f.write_str(self.name()),
            Estimator::Fgls {
                panels,
                corr,
                force,
            } => {
                let p = match panels {
                    FglsPanels::Iid => "iid",
                    FglsPanels::Hetero => "hetero",
                };
                write!(
                    f,
                    "fgls(panels:{p}, corr:{}{})",
                    corr_name(corr),
                    if force { ", force" } else { "" }
                )
            }
            Estimator::Pcse {
                corr,
                pairwise,
                psd,
            } => {
                write!(
                    f,
                    "pcse(corr:{}{}{})",
                    corr_name(corr),
                    if pairwise { ", pairwise" } else { "" },
                    if psd { ", psd" } else { "" }
                )
            }
        }
    }
}

/// Inclusive years: `2008..2019`, `2008..`, `..2015`, or one year `2010`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl YearRange {
    pub fn parse(text: &str) -> Result<YearRange, SpecError> {
        let err = |pos: usize, m: &str| SpecError::new("years", text, pos, m);
        let year = |s: &str, pos: usize| -> Result<Option<i64>, SpecError> {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>().map(Some).map_err(|_| {
                err(
                    pos + (s.len() - s.trim_start().len()),
                    "expected a year such as 2008",
                )
            })
        };
        let r = match text.find("..") {
            Some(i) => YearRange {
                from: year(&text[..i], 0)?,
                to: year(&text[i + 2..], i + 2)?,
            },
            None => {
                let y = year(text, 0)?;
                if y.is_none() {
                    return Err(err(0, "expected a year or a range such as 2008..2019"));
                }
                YearRange { from: y, to: y }
            }
        };
        if let (Some(a), Some(b)) = (r.from, r.to) {
            if a > b {
                return Err(err(0, "the first year is after the last"));
            }
        }
        Ok(r)
    }

    pub fn contains(&self, year: i64) -> bool {
        self.from.is_none_or(|a| year >= a) && self.to.is_none_or(|b| year <= b)
    }
}

impl fmt::Display for YearRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (a, b) => write!(
                f,
                "{}..{}",
                a.map(|v| v.to_string()).unwrap_or_default(),
                b.map(|v| v.to_string()).unwrap_or_default()
            ),
        }
    }
}

/// One model: everything its estimate depends on besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub formula: Formula,
    pub estimator: Estimator,
    /// `None` for FGLS and PCSE (their variance comes from the GLS model).
    pub vcov: Option<Vcov>,
    pub sample: Option<Filter>,
    pub years: Option<YearRange>,
}

impl ModelSpec {
    /// Check that the parts fit together: the estimator (default: `iv_2sls` when the formula has an
    /// IV part, else `ols`) suits the formula, and a VCE is given exactly when it applies.
    pub fn new(
        formula: Formula,
        estimator: Option<&str>,
        vcov: Option<&str>,
        sample: Option<&str>,
        years: Option<&str>,
    ) -> Result<ModelSpec, SpecError> {
        let est = match estimator {
            Some(t) => Estimator::parse(t)?,
            None if formula.is_iv() => Estimator::Iv2sls,
            None => Estimator::Ols,
        };
        let etext = estimator.unwrap_or("");
        match est {
            Estimator::Iv2sls if !formula.is_iv() => {
                return Err(SpecError::new("estimator", etext, 0, format!(
                    "iv_2sls needs an IV part `| endogenous ~ instruments` in the formula `{formula}`"
                )))
            }
            Estimator::Ols | Estimator::Fgls { .. } | Estimator::Pcse { .. } if formula.is_iv() => {
                return Err(SpecError::new("estimator", etext, 0, format!(
                    "{} cannot fit the IV formula `{formula}`; use iv_2sls", est.name()
                )))
            }
            _ => {}
        }
        let gls = matches!(est, Estimator::Fgls { .. } | Estimator::Pcse { .. });
        let vcov = match (vcov, gls) {
            (Some(v), true) => {
                return Err(SpecError::new(
                    "vcov",
                    v,
                    0,
                    format!(
                        "a vcov does not apply to {}: its variance comes from the estimator",
                        est.name()
                    ),
                ))
            }
            (Some(v), false) => Some(Vcov::parse(v)?),
            (None, true) => None,
            (None, false) => Some(Vcov::Iid),
        };
        Ok(ModelSpec {
            formula,
            estimator: est,
            vcov,
            sample: sample.map(Filter::parse).transpose()?,
            years: years.map(YearRange::parse).transpose()?,
        })
    }

    /// Every column name the model reads besides the year: variables, fixed effects, clusters,
    /// and the filter's columns.
    pub fn columns(&self) -> Vec<&str> {
        let mut v = self.formula.variables();
        v.extend(self.formula.fe_columns());
        if let Some(Vcov::Cluster(c)) = &self.vcov {
            v.extend(c.iter().map(String::as_str));
        }
        if let Some(f) = &self.sample {
            v.extend(f.columns().into_iter().map(|c| c.0));
        }
        v
    }
}

/// Up to `k` names of `candidates` closest to `name` (edit distance, case-insensitive), for
/// "did you mean" messages.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    k: usize,
) -> Vec<&'a str> {
    let target: Vec<char> = name.to_lowercase().chars().collect();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| {
            let cand: Vec<char> = c.to_lowercase().chars().collect();
            (edit_distance(&target, &cand), c)
        })
        .collect();
    scored.sort();
    let limit = (target.len() / 2).max(2);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(k)
        .map(|(_, c)| c)
        .collect()
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcov_strings() {
        assert_eq!(Vcov::parse("iid").unwrap(), Vcov::Iid);
        assert_eq!(Vcov::parse("HC1").unwrap(), Vcov::Hetero);
        assert_eq!(
            Vcov::parse("cluster:city").unwrap(),
            Vcov::Cluster(vec!["city".into()])
        );
        let two = Vcov::parse("cluster: city + year").unwrap();
        assert_eq!(two.to_string(), "cluster:city+year");
        let e = Vcov::parse("cluster:a+b+c").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (11, "at most two-way clustering")
        );
        let e = Vcov::parse("robust").unwrap_err();
        assert!(e.message.contains("expected `iid`"));
        let e = Vcov::parse("cluster:city+").unwrap_err();
        assert_eq!(e.pos, 13);
    }

    #[test]
    fn estimators_and_options() {
        assert_eq!(Estimator::parse("ols").unwrap(), Estimator::Ols);
        let f = Estimator::parse("fgls(panels=hetero, corr=ar1)").unwrap();
        assert_eq!(
            f,
            Estimator::Fgls {
                panels: FglsPanels::Hetero,
                corr: GlsCorr::Ar1,
                force: false
            }
        );
        assert_eq!(f.to_string(), "fgls(panels:hetero, corr:ar1)");
        assert_eq!(Estimator::parse(&f.to_string()).unwrap(), f);
        let p = Estimator::parse("pcse(pairwise)").unwrap();
        assert_eq!(
            p,
            Estimator::Pcse {
                corr: GlsCorr::Independent,
                pairwise: true,
                psd: false
            }
        );
        assert_eq!(
            Estimator::parse("pcse(corr(ar1))").unwrap(),
            Estimator::Pcse {
                corr: GlsCorr::Ar1,
                pairwise: false,
                psd: false
            }
        );
        // `psd` in either order with `pairwise`; it round-trips through Display.
        for text in ["pcse(pairwise, psd)", "pcse(psd, corr:ar1, pairwise)"] {
            let p = Estimator::parse(text).unwrap();
            assert!(
                matches!(
                    p,
                    Estimator::Pcse {
                        pairwise: true,
                        psd: true,
                        ..
                    }
                ),
                "{text}: {p:?}"
            );
            assert_eq!(Estimator::parse(&p.to_string()).unwrap(), p);
        }
        assert_eq!(
            Estimator::parse("pcse(pairwise, psd)").unwrap().to_string(),
            "pcse(corr:independent, pairwise, psd)"
        );
        // Without `pairwise` the Sigma is casewise, PSD by construction: `psd` does not apply.
        let e = Estimator::parse("pcse(corr:ar1, psd)").unwrap_err();
        assert_eq!(e.pos, 15, "{e}");
        assert!(e.message.contains("pcse(pairwise, psd)"), "{e}");
        let e = Estimator::parse("pcse(pairwise, psd=yes)").unwrap_err();
        assert!(e.message.contains("takes no value"), "{e}");
        let e = Estimator::parse("fgls(psd)").unwrap_err();
        assert!(e.message.contains("does not apply to fgls"), "{e}");
        let e = Estimator::parse("ols(pairwise)").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (
                4,
                "option `pairwise` does not apply to ols: it takes no options"
            )
        );
        let e = Estimator::parse("fgls(pairwise)").unwrap_err();
        assert!(e.message.contains("does not apply to fgls"), "{e}");
        let e = Estimator::parse("fgls(corr:ar2)").unwrap_err();
        assert_eq!(e.pos, 10);
        let e = Estimator::parse("xtreg").unwrap_err();
        assert!(e.message.contains("unknown estimator `xtreg`"));
    }

    #[test]
    fn model_parts_must_fit_together() {
        let ols = Formula::parse("Y ~ X | f").unwrap();
        let iv = Formula::parse("Y ~ X | f | E ~ Z").unwrap();
        assert_eq!(
            ModelSpec::new(iv.clone(), None, None, None, None)
                .unwrap()
                .estimator,
            Estimator::Iv2sls
        );
        assert!(ModelSpec::new(ols.clone(), Some("iv_2sls"), None, None, None).is_err());
        assert!(ModelSpec::new(iv, Some("pcse"), None, None, None).is_err());
        let e =
            ModelSpec::new(ols.clone(), Some("pcse"), Some("cluster:f"), None, None).unwrap_err();
        assert!(e.message.contains("does not apply to pcse"), "{e}");
        let m = ModelSpec::new(
            ols.clone(),
            Some("fgls(panels:hetero, force)"),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            m.estimator,
            Estimator::Fgls {
                panels: FglsPanels::Hetero,
                corr: GlsCorr::Independent,
                force: true
            }
        );
        let m =
            ModelSpec::new(ols, None, Some("cluster:g"), Some("h == 1"), Some("2008..")).unwrap();
        assert_eq!(m.columns(), ["Y", "X", "f", "g", "h"]);
    }

    #[test]
    fn year_ranges() {
        let r = YearRange::parse("2008..2015").unwrap();
        assert!(r.contains(2008) && r.contains(2015) && !r.contains(2016) && !r.contains(2007));
        assert!(YearRange::parse("..2010").unwrap().contains(1990));
        assert_eq!(YearRange::parse("2012").unwrap().to_string(), "2012");
        assert_eq!(
            YearRange::parse("2015..2008").unwrap_err().message,
            "the first year is after the last"
        );
        assert_eq!(YearRange::parse("2008..20x5").unwrap_err().pos, 6);
    }

    #[test]
    fn closest_names() {
        let cols = ["ROBOT", "ROBOT_R", "CARBON", "GDP", "city_code"];
        assert_eq!(closest("ROBTO", cols, 3), ["ROBOT"]);
        assert_eq!(closest("ROBOT_", cols, 3), ["ROBOT", "ROBOT_R"]);
        assert_eq!(closest("carbon", cols, 3), ["CARBON"]);
        assert!(closest("zzzzzzzz", cols, 3).is_empty());
    }
}
