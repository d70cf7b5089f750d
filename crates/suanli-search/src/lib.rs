//! suanli-search: the training planner's layout search, in parallel.
//!
//! The core enumerates layouts in independent chunks and reduces evaluations; this crate
//! spreads the chunks over rayon's thread pool and merges the partial results, reporting
//! progress through a callback (the CLI draws it on stderr).

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use suanli_core::train::{Candidates, Objective, Outcome, Prepared, search_chunk};

/// Searches every chunk of `cands` in parallel. `progress(done, total)` is called after each
/// chunk, from any thread.
pub fn search(
    p: &Prepared,
    cands: &Candidates,
    obj: Objective,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Outcome {
    let total = cands.outer.len();
    let done = AtomicUsize::new(0);
    cands
        .outer
        .par_iter()
        .map(|&chunk| {
            let out = search_chunk(p, cands, chunk, obj);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            out
        })
        .reduce(Outcome::default, |a, b| a.merge(obj, b))
}
