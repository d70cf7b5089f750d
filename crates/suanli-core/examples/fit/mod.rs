//! The grid search both calibration fits share (`fit_training`, `fit_inference`).

use std::fmt::Debug;

/// One axis of the grid: its values and the constant they set.
pub(crate) type Axis<C> = (&'static [f64], fn(&mut C, f64));

/// Median and worst absolute error of a validation set's rows, as `suanli validate` reports them.
pub(crate) fn median_and_worst(set: &str, rows: &[suanli_core::validation::Row]) -> (f64, f64) {
    suanli_core::validation::summarise(set, rows)
        .map_or((f64::INFINITY, f64::INFINITY), |s| (s.median_abs_error, s.worst_abs_error))
}

/// Every combination of the axes' values applied to the default calibration; prints each one
/// that improves median (floored at 5 %, below which it stops mattering) + worst error.
pub(crate) fn run<C: Copy + Default + Debug>(axes: &[Axis<C>], score: impl Fn(&C) -> (f64, f64)) {
    let (med, worst) = score(&C::default());
    println!("current defaults -> median {med:.3} worst {worst:.3}");
    let mut grid = vec![C::default()];
    for &(values, set) in axes {
        grid = grid
            .iter()
            .flat_map(|base| {
                values.iter().map(move |&v| {
                    let mut c = *base;
                    set(&mut c, v);
                    c
                })
            })
            .collect();
    }
    let mut best = f64::MAX;
    for cal in grid {
        let (med, worst) = score(&cal);
        let s = med.max(0.05) + worst;
        if s < best {
            best = s;
            println!("{cal:?} -> median {med:.3} worst {worst:.3}");
        }
    }
}
