//! Small dense linear algebra on k x k symmetric matrices (k = number of regressors,
//! tens at most), stored row-major in `Vec<f64>`. The tall n x k work (cross products,
//! scores) is done column by column on slices, which is where the time goes.

// Dense k x k kernels read more clearly with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::EstimateError;

/// `C'C`, symmetric, computing each pair once.
pub fn gram<C: AsRef<[f64]>>(c: &[C]) -> Vec<f64> {
    gram_weighted(c, None)
}

/// `C' diag(w) C` (or `C'C` without weights). Rows are processed in blocks so that all
/// column pairs of a block are formed while it is in cache (one pass over memory
/// instead of k²/2); the summation order is fixed, so results are deterministic.
pub fn gram_weighted<C: AsRef<[f64]>>(c: &[C], w: Option<&[f64]>) -> Vec<f64> {
    const BLOCK: usize = 2048;
    let p = c.len();
    let mut out = vec![0.0; p * p];
    let n = c.first().map_or(0, |col| col.as_ref().len());
    let mut weighted = vec![0.0; BLOCK.min(n.max(1))];
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        for i in 0..p {
            let ci = &c[i].as_ref()[start..end];
            let wi: &[f64] = match w {
                Some(w) => {
                    let buf = &mut weighted[..end - start];
                    for ((b, x), wv) in buf.iter_mut().zip(ci).zip(&w[start..end]) {
                        *b = x * wv;
                    }
                    buf
                }
                None => ci,
            };
            for j in 0..=i {
                out[i * p + j] += dot(wi, &c[j].as_ref()[start..end]);
            }
        }
        start = end;
    }
    for i in 0..p {
        for j in 0..i {
            out[j * p + i] = out[i * p + j];
        }
    }
    out
}

/// `C'v`.
pub fn cross_vec<C: AsRef<[f64]>>(c: &[C], v: &[f64]) -> Vec<f64> {
    c.iter().map(|col| dot(col.as_ref(), v)).collect()
}

/// Dot product with eight independent accumulators over exact chunks (no bounds checks,
/// so it vectorises); the order is fixed, so it is deterministic.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Sequential (column-order) Cholesky used as a rank-revealing collinearity check:
/// column j is kept when its squared residual norm after projection on the kept
/// earlier columns exceeds `tol * scale[j]`, otherwise it is marked collinear. Earlier
/// columns win, as in Stata's `_rmcoll`. Returns the kept indices.
pub fn detect_collinear(a: &[f64], k: usize, scale: &[f64], tol: f64) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    // rows[r] holds the Cholesky row of kept column r against the kept list (length r + 1).
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for j in 0..k {
        let mut l = Vec::with_capacity(kept.len() + 1);
        for (r, &i) in kept.iter().enumerate() {
            // `dot` (independent accumulators) keeps this O(k³) loop vectorised for the
            // thousands of dummy columns of Table 6 at county scale.
            let v = (a[j * k + i] - dot(&l[..r], &rows[r][..r])) / rows[r][r];
            l.push(v);
        }
        let d = a[j * k + j] - dot(&l, &l);
        if scale[j] > 0.0 && d > tol * scale[j] && d > 0.0 {
            l.push(d.sqrt());
            rows.push(l);
            kept.push(j);
        }
    }
    kept
}

/// Cholesky factor of a symmetric positive definite matrix after symmetric diagonal
/// scaling (`A = D S D`, `S = L L'`), which keeps regressors of very different units
/// from hurting accuracy.
#[derive(Debug, Clone)]
pub struct SpdFactor {
    k: usize,
    scale: Vec<f64>,
    lower: Vec<f64>,
}

impl SpdFactor {
    pub fn new(a: &[f64], k: usize) -> Result<Self, EstimateError> {
        let mut scale = vec![0.0; k];
        for i in 0..k {
            let d = a[i * k + i];
            if !(d > 0.0 && d.is_finite()) {
                return Err(EstimateError::SingularDesign(format!(
                    "diagonal element {i} of a cross-product matrix is {d}"
                )));
            }
            scale[i] = d.sqrt();
        }
        let mut lower = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..=i {
                let mut v = a[i * k + j] / (scale[i] * scale[j]);
                for s in 0..j {
                    v -= lower[i * k + s] * lower[j * k + s];
                }
                if i == j {
                    if v <= 1e-14 {
                        return Err(EstimateError::SingularDesign(format!(
                            "cross-product matrix not positive definite (pivot {i} = {v:e})"
                        )));
                    }
                    lower[i * k + i] = v.sqrt();
                } else {
                    lower[i * k + j] = v / lower[j * k + j];
                }
            }
        }
        Ok(Self { k, scale, lower })
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let k = self.k;
        let mut x: Vec<f64> = (0..k).map(|i| b[i] / self.scale[i]).collect();
        for i in 0..k {
            let mut v = x[i];
            for s in 0..i {
                v -= self.lower[i * k + s] * x[s];
            }
            x[i] = v / self.lower[i * k + i];
        }
        for i in (0..k).rev() {
            let mut v = x[i];
            for s in i + 1..k {
                v -= self.lower[s * k + i] * x[s];
            }
            x[i] = v / self.lower[i * k + i];
        }
        for i in 0..k {
            x[i] /= self.scale[i];
        }
        x
    }

    /// `A^{-1}`, row-major, exactly symmetric.
    pub fn inverse(&self) -> Vec<f64> {
        let k = self.k;
        let mut inv = vec![0.0; k * k];
        for j in 0..k {
            let mut e = vec![0.0; k];
            e[j] = 1.0;
            let col = self.solve(&e);
            for i in 0..k {
                inv[i * k + j] = col[i];
            }
        }
        for i in 0..k {
            for j in 0..i {
                let v = 0.5 * (inv[i * k + j] + inv[j * k + i]);
                inv[i * k + j] = v;
                inv[j * k + i] = v;
            }
        }
        inv
    }
}

/// `A B` for row-major `A` (m x n) and `B` (n x p).
pub fn matmul(a: &[f64], b: &[f64], m: usize, n: usize, p: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * p];
    for i in 0..m {
        for s in 0..n {
            let v = a[i * n + s];
            if v == 0.0 {
                continue;
            }
            for j in 0..p {
                out[i * p + j] += v * b[s * p + j];
            }
        }
    }
    out
}

/// Sandwich `B M B` for symmetric k x k `B` (bread) and `M` (meat), symmetrised.
pub fn sandwich(bread: &[f64], meat: &[f64], k: usize) -> Vec<f64> {
    let bm = matmul(bread, meat, k, k, k);
    let mut v = matmul(&bm, bread, k, k, k);
    for i in 0..k {
        for j in 0..i {
            let s = 0.5 * (v[i * k + j] + v[j * k + i]);
            v[i * k + j] = s;
            v[j * k + i] = s;
        }
    }
    v
}

/// Principal submatrix of a row-major k x k matrix on `idx`.
pub fn submatrix(a: &[f64], k: usize, idx: &[usize]) -> Vec<f64> {
    let m = idx.len();
    let mut out = vec![0.0; m * m];
    for (r, &i) in idx.iter().enumerate() {
        for (c, &j) in idx.iter().enumerate() {
            out[r * m + c] = a[i * k + j];
        }
    }
    out
}

/// Wald statistic `b' V^{-1} b` for the sub-vector `idx` of `b` and `V` (k x k).
pub fn wald(b: &[f64], v: &[f64], k: usize, idx: &[usize]) -> Result<f64, EstimateError> {
    let sub_v = submatrix(v, k, idx);
    let sub_b: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
    let f = SpdFactor::new(&sub_v, idx.len())?;
    let x = f.solve(&sub_b);
    Ok(dot(&sub_b, &x))
}

/// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations, ascending.
pub fn symmetric_eigenvalues(a: &[f64], k: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    for _sweep in 0..100 {
        let mut off = 0.0;
        for i in 0..k {
            for j in 0..i {
                off += m[i * k + j] * m[i * k + j];
            }
        }
        let diag: f64 = (0..k).map(|i| m[i * k + i] * m[i * k + i]).sum();
        if off <= 1e-30 * diag.max(1e-300) {
            break;
        }
        for p in 0..k {
            for q in p + 1..k {
                let apq = m[p * k + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * k + q] - m[p * k + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for r in 0..k {
                    let arp = m[r * k + p];
                    let arq = m[r * k + q];
                    m[r * k + p] = c * arp - s * arq;
                    m[r * k + q] = s * arp + c * arq;
                }
                for r in 0..k {
                    let apr = m[p * k + r];
                    let aqr = m[q * k + r];
                    m[p * k + r] = c * apr - s * aqr;
                    m[q * k + r] = s * apr + c * aqr;
                }
            }
        }
    }
    let mut ev: Vec<f64> = (0..k).map(|i| m[i * k + i]).collect();
    ev.sort_by(|x, y| x.total_cmp(y));
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spd_solve_and_inverse() {
        let a = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let f = SpdFactor::new(&a, 3).unwrap();
        let x = f.solve(&[1.0, 2.0, 3.0]);
        let back = matmul(&a, &x, 3, 3, 1);
        for (b, e) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert!((b - e).abs() < 1e-13);
        }
        let inv = f.inverse();
        let id = matmul(&a, &inv, 3, 3, 3);
        for i in 0..3 {
            for j in 0..3 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((id[i * 3 + j] - e).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn jacobi_eigenvalues_of_known_matrix() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let ev = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((ev[0] - 1.0).abs() < 1e-14 && (ev[1] - 3.0).abs() < 1e-14);
    }

    #[test]
    fn collinear_column_is_dropped() {
        let c = vec![
            vec![1.0, 2.0, 3.0, 4.0],
            vec![1.0, -1.0, 1.0, -1.0],
            vec![2.0, 4.0, 6.0, 8.0],
        ];
        let a = gram(&c);
        let scale: Vec<f64> = (0..3).map(|i| a[i * 3 + i]).collect();
        assert_eq!(detect_collinear(&a, 3, &scale, 1e-9), vec![0, 1]);
    }
}
