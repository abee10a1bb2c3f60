//! The pacing clock of a media worker (ARCHITECTURE.md: one clock per worker, no
//! timer per caller). On Linux it is a `timerfd` armed with an absolute
//! CLOCK_MONOTONIC deadline, watched by the worker's tokio reactor like any socket:
//! it wakes within microseconds of the deadline, where tokio's own timer rounds to
//! whole milliseconds and would add up to a millisecond of jitter to every leg's
//! 20 ms grid. Elsewhere it falls back to `tokio::time::sleep_until`.

use std::io;
use std::time::Instant;

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    pub struct PacingClock {
        fd: AsyncFd<OwnedFd>,
    }

    fn monotonic_now() -> libc::timespec {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a valid out-pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts
    }

    impl PacingClock {
        /// Must be called inside the worker's runtime.
        pub fn new() -> io::Result<Self> {
            // SAFETY: plain syscall; the result is checked before use.
            let raw = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if raw < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: raw is a fresh descriptor that nothing else owns.
            let owned = unsafe { OwnedFd::from_raw_fd(raw) };
            // SAFETY: the OwnedFd keeps the descriptor open for the AsyncFd's life.
            let fd = unsafe { AsyncFd::register_with_interest(owned, Interest::READABLE) }
                .map_err(|e| io::Error::other(e.to_string()))?;
            Ok(PacingClock { fd })
        }

        /// Fires once at `deadline` (immediately if it has passed).
        // time_t and c_long are 32 bits on some Linux targets: the casts are needed there.
        #[allow(clippy::unnecessary_cast)]
        pub fn arm(&self, deadline: Instant) -> io::Result<()> {
            // std's Instant is CLOCK_MONOTONIC on Linux, but opaque: translate via now.
            let (now_i, now_ts) = (Instant::now(), monotonic_now());
            let ahead = deadline.saturating_duration_since(now_i);
            let mut nsec = now_ts.tv_nsec as i64 + ahead.subsec_nanos() as i64;
            let mut sec = now_ts.tv_sec as i64 + ahead.as_secs() as i64 + nsec / 1_000_000_000;
            nsec %= 1_000_000_000;
            if ahead.is_zero() {
                // An absolute time in the past would fire at once anyway; keep it valid.
                sec = now_ts.tv_sec as i64;
                nsec = now_ts.tv_nsec as i64 + 1;
            }
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: libc::timespec {
                    tv_sec: sec as libc::time_t,
                    tv_nsec: nsec as libc::c_long,
                },
            };
            // SAFETY: valid descriptor and itimerspec.
            let r = unsafe {
                libc::timerfd_settime(
                    self.fd.get_ref().as_raw_fd(),
                    libc::TFD_TIMER_ABSTIME,
                    &spec,
                    std::ptr::null_mut(),
                )
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        /// Waits for the armed deadline.
        pub async fn wait(&self) -> io::Result<()> {
            loop {
                let mut guard = self.fd.readable().await?;
                let mut expirations = 0u64;
                // SAFETY: reads 8 bytes into a u64 from our own timerfd.
                let r = unsafe {
                    libc::read(
                        guard.get_inner().as_raw_fd(),
                        (&mut expirations as *mut u64).cast(),
                        8,
                    )
                };
                if r == 8 {
                    return Ok(());
                }
                guard.clear_ready();
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;
    use std::sync::Mutex;

    pub struct PacingClock {
        deadline: Mutex<Instant>,
    }

    impl PacingClock {
        pub fn new() -> io::Result<Self> {
            Ok(PacingClock {
                deadline: Mutex::new(Instant::now()),
            })
        }
        pub fn arm(&self, deadline: Instant) -> io::Result<()> {
            *self.deadline.lock().expect("clock lock") = deadline;
            Ok(())
        }
        pub async fn wait(&self) -> io::Result<()> {
            let d = *self.deadline.lock().expect("clock lock");
            tokio::time::sleep_until(d.into()).await;
            Ok(())
        }
    }
}

pub use imp::PacingClock;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_at_the_deadline_not_before() {
        let clock = PacingClock::new().unwrap();
        for ms in [5u64, 1, 12] {
            let deadline = Instant::now() + Duration::from_millis(ms);
            clock.arm(deadline).unwrap();
            clock.wait().await.unwrap();
            let woke = Instant::now();
            assert!(woke >= deadline, "woke {:?} early", deadline - woke);
        }
        // A deadline already past fires at once.
        clock
            .arm(Instant::now() - Duration::from_millis(3))
            .unwrap();
        tokio::time::timeout(Duration::from_millis(500), clock.wait())
            .await
            .unwrap()
            .unwrap();
    }
}
