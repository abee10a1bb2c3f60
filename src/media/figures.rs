//! Pacing figures of a media worker: lateness histograms against the 20 ms grid,
//! the worker thread's CPU time, and realtime scheduling for the pacing clock
//! (issue 3's benchmark figures come from here).

use std::time::Duration;

const LATENESS_BUCKET_US: u64 = 10;
pub(crate) const LATENESS_BUCKETS: usize = 5000;

/// Asks the OS to run the calling thread (a media worker's) with realtime
/// round-robin priority, so the pacing clock wakes on time on a busy machine. Needs
/// CAP_SYS_NICE or a suitable RLIMIT_RTPRIO; returns false when refused. A worker
/// sleeps between ticks, so it does not starve the rest of the machine.
pub fn set_realtime_priority(priority: i32) -> bool {
    // SAFETY: sched_param is plain data; pid 0 means the calling thread.
    unsafe {
        let param = libc::sched_param {
            sched_priority: priority,
        };
        libc::sched_setscheduler(0, libc::SCHED_RR, &param) == 0
    }
}

pub(crate) fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

pub(crate) fn bucket(d: Duration) -> usize {
    ((d.as_micros() as u64 / LATENESS_BUCKET_US) as usize).min(LATENESS_BUCKETS - 1)
}

pub(crate) fn percentile(h: &[u64], p: f64) -> u64 {
    let total: u64 = h.iter().sum();
    if total == 0 {
        return 0;
    }
    let want = ((total as f64) * p).ceil() as u64;
    let mut seen = 0;
    for (i, &c) in h.iter().enumerate() {
        seen += c;
        if seen >= want {
            return (i as u64 + 1) * LATENESS_BUCKET_US;
        }
    }
    LATENESS_BUCKETS as u64 * LATENESS_BUCKET_US
}

pub(crate) fn two_mut<T>(v: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    assert_ne!(i, j);
    if i < j {
        let (a, b) = v.split_at_mut(j);
        (&mut a[i], &mut b[0])
    } else {
        let (a, b) = v.split_at_mut(i);
        (&mut b[0], &mut a[j])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_from_the_histogram() {
        let mut h = vec![0u64; LATENESS_BUCKETS];
        h[0] = 98;
        h[10] = 1;
        h[100] = 1;
        assert_eq!(percentile(&h, 0.5), 10);
        assert_eq!(percentile(&h, 0.99), 110);
        assert_eq!(percentile(&h, 1.0), 1010);
        assert_eq!(percentile(&[0; 4], 0.99), 0);
        assert_eq!(bucket(Duration::from_secs(10)), LATENESS_BUCKETS - 1);
    }
}
