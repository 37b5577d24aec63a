//! The one shutdown broadcast every component listens to.

use tokio::sync::watch;

/// Sends the broadcast once; every [`Shutdown`] made from it wakes.
pub(super) struct ShutdownTrigger(watch::Sender<bool>);

/// A component's end of the broadcast.
#[derive(Clone)]
pub(super) struct Shutdown(watch::Receiver<bool>);

impl ShutdownTrigger {
    pub(super) fn new() -> (ShutdownTrigger, Shutdown) {
        let (sender, receiver) = watch::channel(false);
        (ShutdownTrigger(sender), Shutdown(receiver))
    }

    pub(super) fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Whether the shutdown has been broadcast, without waiting.
    pub(super) fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once the shutdown has been broadcast (at once if it was).
    pub(super) async fn requested(&mut self) {
        // An error means the trigger is gone, which is a shutdown too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
