//! The memory that upload parts may hold while they arrive: a part is read whole before it is
//! stored, so without a bound a burst of parallel parts holds as much memory as it likes. Every
//! part first holds its exact length against a global budget (`upload_buffer_bytes`) and its
//! user's (`upload_buffer_per_user_bytes`), without waiting: if either is spent, the part is
//! refused at once with [`DomainError::Busy`] (503, `Retry-After`) before a byte of it is read,
//! and the client sends it again a moment later. One user cannot take the whole budget.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::DomainError;

/// Seconds a refused part is told to wait.
const RETRY_AFTER: u64 = 1;

/// The budgets.
pub(crate) struct PartBuffers {
    global: Arc<Semaphore>,
    per_user: Mutex<HashMap<i64, u64>>,
    per_user_max: u64,
}

/// Bytes held for one part; given back when dropped.
pub(crate) struct Held {
    buffers: Arc<PartBuffers>,
    user: i64,
    bytes: u64,
    _global: OwnedSemaphorePermit,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut per_user = self
            .buffers
            .per_user
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(held) = per_user.get_mut(&self.user) {
            *held = held.saturating_sub(self.bytes);
            if *held == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}

impl PartBuffers {
    pub(crate) fn new(global: u64, per_user: u64) -> Self {
        PartBuffers {
            global: Arc::new(Semaphore::new(
                usize::try_from(global)
                    .unwrap_or(Semaphore::MAX_PERMITS)
                    .min(Semaphore::MAX_PERMITS),
            )),
            per_user: Mutex::new(HashMap::new()),
            per_user_max: per_user,
        }
    }

    /// Holds `bytes` for a part of `user`'s, or says to come back later.
    pub(crate) fn hold(self: &Arc<Self>, user: i64, bytes: u64) -> Result<Held, DomainError> {
        let busy = || DomainError::Busy {
            retry_after: RETRY_AFTER,
        };
        let permits = u32::try_from(bytes).map_err(|_| busy())?;
        {
            let mut per_user = self.per_user.lock().unwrap_or_else(|e| e.into_inner());
            let held = per_user.entry(user).or_insert(0);
            if held.saturating_add(bytes) > self.per_user_max {
                if *held == 0 {
                    per_user.remove(&user);
                }
                return Err(busy());
            }
            *held += bytes;
        }
        match self.global.clone().try_acquire_many_owned(permits) {
            Ok(permit) => Ok(Held {
                buffers: self.clone(),
                user,
                bytes,
                _global: permit,
            }),
            Err(_) => {
                // Give the user's share back (a Held never existed).
                let mut per_user = self.per_user.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(held) = per_user.get_mut(&user) {
                    *held = held.saturating_sub(bytes);
                    if *held == 0 {
                        per_user.remove(&user);
                    }
                }
                Err(busy())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_fit_the_global_and_the_users_budget_or_are_refused_without_waiting() {
        let buffers = Arc::new(PartBuffers::new(100, 60));
        let a1 = buffers.hold(1, 40).unwrap();
        assert!(
            matches!(buffers.hold(1, 30), Err(DomainError::Busy { .. })),
            "over alice's 60"
        );
        let b1 = buffers.hold(2, 50).unwrap();
        assert!(
            matches!(buffers.hold(3, 20), Err(DomainError::Busy { .. })),
            "over 100 in all"
        );
        drop(a1);
        let c1 = buffers.hold(3, 20).unwrap();
        let a2 = buffers.hold(1, 30).unwrap();
        drop((b1, c1, a2));
        assert!(buffers.per_user.lock().unwrap().is_empty());
        assert!(buffers.hold(4, 60).is_ok());
    }
}
