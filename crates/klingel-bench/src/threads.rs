//! CPU time of this process's threads, from `/proc`: what a round cost the push writer.
//!
//! The writer stores pushes one group at a time on its own thread, so its CPU time per push is
//! the serial cost that bounds the many-connection rounds. Unlike a round's rate it hardly
//! moves with what else the machine is doing, so it shows small changes that the rate hides.

use std::time::Duration;

/// The name the core gives its push writer thread.
pub const WRITER: &str = "klingel-writer";

/// Time on a CPU of this process's threads named `name` so far, or `None` if there is no such
/// thread or `/proc` does not tell (`schedstat`'s first field, in nanoseconds).
pub fn cpu_time(name: &str) -> Option<Duration> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue; // the thread ended
        };
        if comm.trim_end() != name {
            continue;
        }
        let ns = std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|stat| stat.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(ns) = ns {
            *total.get_or_insert(0) += ns;
        }
    }
    total.map(Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_named_thread_has_cpu_time_and_an_unknown_name_has_none() {
        let (done, wait_done) = std::sync::mpsc::channel::<()>();
        let (go_on, wait_measured) = std::sync::mpsc::channel::<()>();
        let busy = std::thread::Builder::new()
            .name("bench-spin".to_owned())
            .spawn(move || {
                // Spin until the thread itself has had 50 ms of CPU, however loaded the machine.
                while cpu_time("bench-spin").unwrap_or_default() < Duration::from_millis(50) {
                    std::hint::black_box(0);
                }
                done.send(()).expect("send");
                // Still listed when it is measured.
                let _ = wait_measured.recv();
            })
            .expect("spawn");
        wait_done.recv().expect("the spinner finished");
        let spent = cpu_time("bench-spin").expect("the thread is listed");
        assert!(spent >= Duration::from_millis(30), "spent {spent:?}");
        assert!(cpu_time("no-such-thread").is_none());
        go_on.send(()).expect("send");
        busy.join().expect("join");
    }
}
