//! What the bench binaries share.

// Every bench binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The fastest of `runs` runs of `f`, and the last run's value.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let value = f();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

/// A generated person's name: first and last names from several languages, by index.
pub fn person(i: usize) -> (&'static str, &'static str) {
    const FIRST: [&str; 8] = [
        "Jörg", "Anna", "Mehmet", "Priya", "Lukas", "Sophie", "Jan", "Ewa",
    ];
    const LAST: [&str; 8] = [
        "Müller",
        "Schmidt",
        "Yılmaz",
        "Natarajan",
        "Weber",
        "Schäfer",
        "Nowak",
        "Becker",
    ];
    (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()])
}
