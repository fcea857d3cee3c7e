//! Cluster bookkeeping and random draws shared by the bootstrap and permutation tests.
//!
//! Clusters are addressed by *position*: position `k` is the k-th smallest raw cluster id
//! in the input. A bootstrap draw is a list of positions drawn with replacement; a
//! permutation is an ordering of all positions. Draws are either generated from a seed
//! (ChaCha8) or injected, so an independent implementation can replay them exactly.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Where the random draws come from.
#[derive(Debug, Clone, Copy)]
pub enum Draws<'a> {
    /// No draws (skip the bootstrap / permutation part).
    None,
    /// `reps` draws from `ChaCha8Rng::seed_from_u64(seed)`.
    Seeded { reps: usize, seed: u64 },
    /// Explicit draws (cluster positions, see the module doc).
    Explicit(&'a [Vec<u32>]),
}

/// Rows of each cluster, clusters ordered by ascending raw id.
#[derive(Debug, Clone)]
pub struct ClusterRows {
    pub ids: Vec<u32>,
    pub rows: Vec<Vec<usize>>,
}

impl ClusterRows {
    pub fn new(cluster: &[u32]) -> Self {
        let mut ids: Vec<u32> = cluster.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut rows = vec![Vec::new(); ids.len()];
        for (i, c) in cluster.iter().enumerate() {
            if let Ok(k) = ids.binary_search(c) {
                rows[k].push(i);
            }
        }
        Self { ids, rows }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// `reps` bootstrap draws of `g` cluster positions with replacement.
pub fn bootstrap_draws(reps: usize, g: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..reps)
        .map(|_| (0..g).map(|_| rng.random_range(0..g as u32)).collect())
        .collect()
}

/// `reps` random permutations of `0..g`.
pub fn permutations(reps: usize, g: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..reps)
        .map(|_| {
            let mut p: Vec<u32> = (0..g as u32).collect();
            p.shuffle(&mut rng);
            p
        })
        .collect()
}

/// Percentile of sorted `v` with linear interpolation between order statistics
/// (numpy's default, Hyndman-Fan type 7): `h = (n-1) q`.
pub fn quantile_sorted(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

pub(crate) fn gather<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| v[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_draws_are_reproducible_and_in_range() {
        let a = bootstrap_draws(5, 7, 42);
        assert_eq!(a, bootstrap_draws(5, 7, 42));
        assert!(a.iter().flatten().all(|&k| k < 7));
        let p = permutations(3, 6, 1);
        for perm in &p {
            let mut s = perm.clone();
            s.sort_unstable();
            assert_eq!(s, vec![0, 1, 2, 3, 4, 5]);
        }
    }

    #[test]
    fn type7_quantile() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
    }
}
