//! The pinger: one task ticks every connection here once per ping interval, through its close
//! switch ([`Control::tick`]), and the connection's writer pings its client (or drops it,
//! silent for the idle timeout). A connection thus holds no timer of its own: an `Interval`
//! with its boxed `Sleep` took about 180 bytes of every idle connection.
//!
//! The interval is cut into [`SLICES`]: each slice of it ticks the connections whose id falls
//! in it, so their pings are spread over the interval rather than all sent at once, and each
//! connection is ticked once per interval. The slice's close switches are collected under the
//! hub's lock and ticked after it, a chunk at a time.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::Hub;
use crate::outbox::Control;

/// Slices of the ping interval: a connection is ticked in slice `id % SLICES`.
pub(super) const SLICES: u64 = 16;
/// Connections ticked before the pinger lets other tasks run (below the capacity of tokio's
/// local run queue, as the flusher's chunks).
const CHUNK: usize = 128;

impl Hub {
    /// Ticks every connection here once per `interval`, spread over it, until `shutdown`.
    /// The owner of the hub spawns it once.
    pub async fn run_pinger(self, interval: Duration, shutdown: CancellationToken) {
        let slice =
            (interval / u32::try_from(SLICES).unwrap_or(u32::MAX)).max(Duration::from_millis(1));
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + slice, slice);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut turn: u64 = 0;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let due = self.controls_in_slice(turn % SLICES);
            for chunk in due.chunks(CHUNK) {
                for control in chunk {
                    control.tick();
                }
                tokio::task::yield_now().await;
            }
            turn = turn.wrapping_add(1);
        }
    }

    /// The close switches of the connections ticked in `slice`.
    fn controls_in_slice(&self, slice: u64) -> Vec<Arc<Control>> {
        self.state()
            .conns
            .iter()
            .filter(|(id, _)| **id % SLICES == slice)
            .map(|(_, conn)| conn.outbox.control().clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Waker};

    use shared::UserName;

    use super::*;
    use crate::hub::HubConfig;
    use crate::metrics::Metrics;
    use crate::outbox::{Inbox, Limits};
    use crate::store::SessionId;

    /// Connects a user; returns the connection's close switch and queue.
    fn connect(hub: &Hub, name: &str) -> (Arc<Control>, Inbox) {
        let control = Arc::new(Control::default());
        let limits = Limits {
            frames: 16,
            bytes: 1 << 20,
        };
        let (outbox, inbox) = hub.queue(limits, control.clone());
        let name = UserName::parse(name).unwrap();
        hub.connect(name, SessionId("s".into()), outbox, (Vec::new(), true));
        (control, inbox)
    }

    /// Whether `control` was ticked since this was last asked.
    fn ticked(control: &Control) -> bool {
        control
            .poll_tick(&mut Context::from_waker(Waker::noop()))
            .is_ready()
    }

    #[tokio::test(start_paused = true)]
    async fn every_connection_is_ticked_once_per_interval_spread_over_it() {
        let hub = Hub::new(
            HubConfig::for_tests(),
            Arc::new(Metrics::default()),
            Vec::new(),
            0,
            None,
        );
        let connected: Vec<_> = (0..40)
            .map(|i| connect(&hub, &format!("user{i}")))
            .collect();
        let interval = Duration::from_secs(16);
        let shutdown = CancellationToken::new();
        let pinger = tokio::spawn(hub.clone().run_pinger(interval, shutdown.clone()));
        let mut counts = vec![0u32; connected.len()];
        let mut per_slice = Vec::new();
        for _ in 0..(2 * SLICES) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            // Let the pinger finish its turn.
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            let mut this_slice = 0;
            for (count, (control, _)) in counts.iter_mut().zip(&connected) {
                if ticked(control) {
                    *count += 1;
                    this_slice += 1;
                }
            }
            per_slice.push(this_slice);
        }
        // Two intervals: each connection ticked twice, no more, no fewer.
        assert!(counts.iter().all(|&c| c == 2), "{counts:?}");
        // Spread: each slice ticked a few of them (40 over 16 slices).
        assert!(
            per_slice.iter().all(|&n| (2..=3).contains(&n)),
            "{per_slice:?}"
        );
        assert!(connected.iter().all(|(control, _)| !control.is_closed()));
        shutdown.cancel();
        pinger.await.unwrap();
    }
}
