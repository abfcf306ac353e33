//! What the allocator holds, and giving back what a burst of load left behind.
//!
//! The server runs on jemalloc (see the workspace manifest). Freed memory goes back to the OS on a decay
//! timer, but only from pages no live object shares, and each thread keeps a cache of freed objects for
//! reuse. After a burst the server therefore sits above its starting memory until it is idle long enough;
//! `spawn_idle_trim` returns the unused pages as soon as a quiet spell begins.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Requests started since the server began; the idle trim watches it.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

pub fn request_started() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// jemalloc's figures in bytes: what the program holds (`allocated`), the pages those objects sit on
/// (`active`), and what is resident including the allocator's own bookkeeping (`resident`, `metadata`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub allocated: usize,
    pub active: usize,
    pub resident: usize,
    pub metadata: usize,
}

impl Stats {
    /// Current figures; all zero when the process does not run on jemalloc's statistics.
    pub fn read() -> Self {
        use tikv_jemalloc_ctl::{epoch, stats};
        // The statistics are a snapshot taken when the epoch advances.
        if epoch::advance().is_err() {
            return Self::default();
        }
        Self {
            allocated: stats::allocated::read().unwrap_or(0),
            active: stats::active::read().unwrap_or(0),
            resident: stats::resident::read().unwrap_or(0),
            metadata: stats::metadata::read().unwrap_or(0),
        }
    }
}

/// Returns every arena's unused pages to the OS now rather than when their decay timer ends, and empties
/// the calling thread's cache of freed objects.
pub fn release() {
    flush_thread_cache();
    // MALLCTL_ARENAS_ALL is 4096.
    void_control(b"arena.4096.purge\0");
}

fn flush_thread_cache() {
    void_control(b"thread.tcache.flush\0");
}

/// Runs a jemalloc control that takes no value. tikv-jemalloc-ctl's `raw::write` always passes one, which
/// jemalloc refuses for these, hence the direct call.
fn void_control(name: &[u8]) {
    debug_assert_eq!(name.last(), Some(&0));
    // SAFETY: `name` is NUL-terminated and names a control without value; null old/new pointers with zero
    // lengths are exactly what jemalloc expects for it. An unknown name only returns an error code.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr().cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

/// Every `every` without a new request, returns unused memory to the OS, logging the figures whenever that
/// gave back at least a megabyte (the pool closing idle connections frees their caches a while after the
/// load ends, so one trim at the start of a quiet spell is not enough).
pub fn spawn_idle_trim(every: Duration) {
    let start = Stats::read();
    tracing::info!(
        allocated_mb = mb(start.allocated),
        active_mb = mb(start.active),
        metadata_mb = mb(start.metadata),
        resident_mb = mb(start.resident),
        "memory at start"
    );
    tokio::spawn(async move {
        let mut seen = REQUESTS.load(Ordering::Relaxed);
        loop {
            tokio::time::sleep(every).await;
            let now = REQUESTS.load(Ordering::Relaxed);
            if now == seen {
                let before = Stats::read();
                release();
                let after = Stats::read();
                if before.resident.saturating_sub(after.resident) >= 1 << 20 {
                    tracing::info!(
                        allocated_mb = mb(after.allocated),
                        active_mb = mb(after.active),
                        metadata_mb = mb(after.metadata),
                        resident_before_mb = mb(before.resident),
                        resident_mb = mb(after.resident),
                        "idle: unused memory returned"
                    );
                }
            }
            seen = now;
        }
    });
}

thread_local! {
    /// This thread's running total of bytes allocated (looked up once: parking is frequent under load).
    static ALLOCATED: Option<tikv_jemalloc_ctl::thread::ThreadLocal<u64>> =
        tikv_jemalloc_ctl::thread::allocatedp::read().ok();
    static ALLOCATED_AT_FLUSH: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The multi-threaded runtime the server (and the benchmark's in-process server) runs on, with its workers
/// returning cached memory before they sleep.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().on_thread_park(on_thread_park).build()
}

/// For the runtime's `on_thread_park`: a worker about to sleep empties its cache of freed objects once it
/// has allocated a megabyte since it last did. An idle worker does not allocate, so the cache it filled
/// under load would otherwise stay with it (jemalloc trims a thread's cache only as that thread allocates).
pub fn on_thread_park() {
    let Some(total) = ALLOCATED.with(|a| a.as_ref().map(|p| p.get())) else { return };
    let last = ALLOCATED_AT_FLUSH.with(std::cell::Cell::get);
    if total.saturating_sub(last) >= 1 << 20 {
        flush_thread_cache();
        ALLOCATED_AT_FLUSH.with(|c| c.set(total));
    }
}

fn mb(bytes: usize) -> f64 {
    (bytes as f64 / 1_048_576.0 * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_returns_freed_pages_at_once() {
        // The test binary allocates through jemalloc too: it replaces `malloc` for the whole process.
        let block = vec![1u8; 64 << 20];
        let held = Stats::read();
        assert!(held.allocated >= 64 << 20, "jemalloc statistics are readable: {held:?}");
        drop(block);
        release();
        let after = Stats::read();
        assert!(
            after.resident + (32 << 20) <= held.resident,
            "resident memory falls without waiting for the decay timer: {held:?} -> {after:?}"
        );
    }
}
