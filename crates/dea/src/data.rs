//! Input data, validation and the zero-data rule.

use crate::DeaError;

/// One period's DEA data, unit-major: `inputs[j][i]` is input `i` of unit `j`.
///
/// Every unit has the same number of inputs (`m >= 1`), desirable outputs (`s1`) and undesirable
/// outputs (`s2`), with `s1 + s2 >= 1`. Values must be finite and non-negative; the evaluated
/// unit's values must be strictly positive (the SBM divides by them), which
/// [`replace_zeros`] guarantees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeaData {
    /// Inputs `x`, `n x m`.
    pub inputs: Vec<Vec<f64>>,
    /// Desirable outputs `y`, `n x s1`.
    pub good: Vec<Vec<f64>>,
    /// Undesirable outputs `b`, `n x s2` (rows may be empty when `s2 = 0`).
    pub bad: Vec<Vec<f64>>,
}

/// Which block a variable belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VariableKind {
    /// An input `x_i`.
    Input,
    /// A desirable output `y_r`.
    Good,
    /// An undesirable output `b_k`.
    Bad,
}

/// A variable: its block and index within the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variable {
    /// Block.
    pub kind: VariableKind,
    /// Index within the block.
    pub index: usize,
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.kind {
            VariableKind::Input => "input",
            VariableKind::Good => "good output",
            VariableKind::Bad => "bad output",
        };
        write!(f, "{name} {}", self.index)
    }
}

/// Numbers of inputs, desirable and undesirable outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Inputs.
    pub m: usize,
    /// Desirable outputs.
    pub s1: usize,
    /// Undesirable outputs.
    pub s2: usize,
}

impl Dims {
    /// Total variables per unit.
    pub fn width(&self) -> usize {
        self.m + self.s1 + self.s2
    }

    /// The variable at flat position `p` (inputs, then good, then bad).
    pub fn variable(&self, p: usize) -> Variable {
        if p < self.m {
            Variable {
                kind: VariableKind::Input,
                index: p,
            }
        } else if p < self.m + self.s1 {
            Variable {
                kind: VariableKind::Good,
                index: p - self.m,
            }
        } else {
            Variable {
                kind: VariableKind::Bad,
                index: p - self.m - self.s1,
            }
        }
    }
}

impl DeaData {
    /// Number of units.
    pub fn units(&self) -> usize {
        self.inputs.len()
    }

    /// Checks shapes and values (finite, non-negative) and returns the dimensions.
    ///
    /// An empty data set (no units) is valid and has all dimensions 0.
    pub fn validate(&self) -> Result<Dims, DeaError> {
        let n = self.inputs.len();
        if self.good.len() != n || self.bad.len() != n {
            return Err(DeaError::Shape(format!(
                "inputs have {n} units, good outputs {}, bad outputs {}",
                self.good.len(),
                self.bad.len()
            )));
        }
        let dims = Dims {
            m: self.inputs.first().map_or(0, Vec::len),
            s1: self.good.first().map_or(0, Vec::len),
            s2: self.bad.first().map_or(0, Vec::len),
        };
        if n > 0 && dims.m == 0 {
            return Err(DeaError::Shape("at least one input is required".into()));
        }
        if n > 0 && dims.s1 + dims.s2 == 0 {
            return Err(DeaError::Shape("at least one output is required".into()));
        }
        for j in 0..n {
            let (x, y, b) = (&self.inputs[j], &self.good[j], &self.bad[j]);
            if x.len() != dims.m || y.len() != dims.s1 || b.len() != dims.s2 {
                return Err(DeaError::Shape(format!(
                    "unit {j} has ({}, {}, {}) variables, expected ({}, {}, {})",
                    x.len(),
                    y.len(),
                    b.len(),
                    dims.m,
                    dims.s1,
                    dims.s2
                )));
            }
            for (p, &v) in x.iter().chain(y).chain(b).enumerate() {
                if !v.is_finite() {
                    return Err(DeaError::NonFinite {
                        unit: j,
                        variable: dims.variable(p),
                    });
                }
                if v < 0.0 {
                    return Err(DeaError::Negative {
                        unit: j,
                        variable: dims.variable(p),
                        value: v,
                    });
                }
            }
        }
        Ok(dims)
    }

    /// The same data without undesirable outputs (for the radial models of [`crate::radial`],
    /// which take desirable outputs only).
    pub fn without_bad(&self) -> DeaData {
        DeaData {
            inputs: self.inputs.clone(),
            good: self.good.clone(),
            bad: vec![Vec::new(); self.bad.len()],
        }
    }

    /// Unit `j`'s values in flat order (inputs, good, bad).
    pub(crate) fn flat_unit(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        self.inputs[j]
            .iter()
            .chain(&self.good[j])
            .chain(&self.bad[j])
            .copied()
    }
}

/// Replacements made by [`replace_zeros`], per variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroReplacement {
    /// Per variable (flat order: inputs, good, bad): the value zeros were replaced by, or `None`
    /// when the variable had no zero (or no positive value at all, see `all_zero`).
    pub replaced_by: Vec<Option<f64>>,
    /// Per variable: how many cells were replaced (over all periods).
    pub count: Vec<usize>,
    /// Variables that are zero everywhere (left unchanged; such a variable cannot enter the SBM
    /// and the scoring functions report it as an error).
    pub all_zero: Vec<Variable>,
    /// Dimensions, to name the variables.
    pub dims: Dims,
}

impl ZeroReplacement {
    /// Total number of replaced cells.
    pub fn total(&self) -> usize {
        self.count.iter().sum()
    }

    /// The variable at flat position `p`.
    pub fn variable(&self, p: usize) -> Variable {
        self.dims.variable(p)
    }
}

/// The zero-data rule (deaR convention): every zero of a variable is replaced by
/// `min(positive values of that variable) / 100`, the minimum taken over all units of all the
/// given periods pooled (so a panel uses one replacement value per variable and the frontiers of
/// different years stay comparable). Negative or non-finite values are errors.
///
/// Returns the replaced data and the replacements per variable.
pub fn replace_zeros(periods: &[DeaData]) -> Result<(Vec<DeaData>, ZeroReplacement), DeaError> {
    let dims = common_dims(periods)?;
    let w = dims.width();
    let mut min_positive = vec![f64::INFINITY; w];
    for d in periods {
        for j in 0..d.units() {
            for (p, v) in d.flat_unit(j).enumerate() {
                if v > 0.0 && v < min_positive[p] {
                    min_positive[p] = v;
                }
            }
        }
    }
    let mut count = vec![0usize; w];
    let mut out = periods.to_vec();
    for d in &mut out {
        for j in 0..d.units() {
            let blocks: [&mut Vec<f64>; 3] = [&mut d.inputs[j], &mut d.good[j], &mut d.bad[j]];
            let mut p = 0;
            for block in blocks {
                for v in block.iter_mut() {
                    if *v == 0.0 && min_positive[p].is_finite() {
                        *v = min_positive[p] / 100.0;
                        count[p] += 1;
                    }
                    p += 1;
                }
            }
        }
    }
    let replaced_by = (0..w)
        .map(|p| (count[p] > 0).then(|| min_positive[p] / 100.0))
        .collect();
    let any_units = periods.iter().any(|d| d.units() > 0);
    let all_zero = (0..w)
        .filter(|&p| any_units && !min_positive[p].is_finite())
        .map(|p| dims.variable(p))
        .collect();
    Ok((
        out,
        ZeroReplacement {
            replaced_by,
            count,
            all_zero,
            dims,
        },
    ))
}

/// Validates every period and checks they share dimensions.
pub(crate) fn common_dims(periods: &[DeaData]) -> Result<Dims, DeaError> {
    let mut dims: Option<Dims> = None;
    for (t, d) in periods.iter().enumerate() {
        let this = d.validate()?;
        if d.units() == 0 {
            continue;
        }
        match dims {
            None => dims = Some(this),
            Some(prev) if prev != this => {
                return Err(DeaError::Shape(format!(
                    "period {t} has dimensions {this:?}, period 0 has {prev:?}"
                )))
            }
            Some(_) => {}
        }
    }
    Ok(dims.unwrap_or(Dims { m: 0, s1: 0, s2: 0 }))
}
