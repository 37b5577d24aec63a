//! systemd notifications (READY, STATUS, WATCHDOG, …) sent from a thread
//! of their own: `sendto` on the notify socket blocks when its queue is
//! full, and the scheduler loop must never wait for systemd.

use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// What to tell systemd.
pub enum Note {
    Ready(String),
    Watchdog(String),
    /// A new STATUS without a watchdog ping: the daemon is not healthy.
    Status(String),
    Reloading,
    Stopping(String),
}

#[derive(Clone)]
pub struct Notifier {
    queue: Option<SyncSender<Note>>,
}

impl Notifier {
    /// A notifier that does nothing when not run by systemd.
    pub fn start() -> Notifier {
        if std::env::var_os("NOTIFY_SOCKET").is_none() {
            return Notifier { queue: None };
        }
        let (queue, notes) = sync_channel::<Note>(16);
        let spawned = std::thread::Builder::new()
            .name("newsdesk-notify".into())
            .spawn(move || {
                use sd_notify::NotifyState as S;
                for note in notes {
                    let sent = match &note {
                        Note::Ready(status) => sd_notify::notify(&[S::Ready, S::Status(status)]),
                        Note::Watchdog(status) => {
                            sd_notify::notify(&[S::Watchdog, S::Status(status)])
                        }
                        Note::Status(status) => sd_notify::notify(&[S::Status(status)]),
                        Note::Reloading => sd_notify::notify(&[S::Reloading]),
                        Note::Stopping(status) => {
                            sd_notify::notify(&[S::Stopping, S::Status(status)])
                        }
                    };
                    if let Err(err) = sent {
                        tracing::debug!(%err, "systemd notification not sent");
                    }
                }
            });
        match spawned {
            Ok(_) => Notifier { queue: Some(queue) },
            Err(err) => {
                tracing::warn!(%err, "cannot start the systemd notification thread");
                Notifier { queue: None }
            }
        }
    }

    /// Queues `note`; drops it when systemd has not kept up (a stale
    /// watchdog ping is worth nothing anyway).
    pub fn send(&self, note: Note) {
        if let Some(queue) = &self.queue
            && let Err(TrySendError::Full(_)) = queue.try_send(note)
        {
            tracing::warn!("systemd is not reading notifications; one was dropped");
        }
    }

    /// Waits until queued notes are handed to systemd (used before exit).
    pub fn finish(self) {
        // Dropping the sender ends the thread's loop once the queue is
        // empty; a short wait lets the last STOPPING=1 go out.
        drop(self.queue);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
