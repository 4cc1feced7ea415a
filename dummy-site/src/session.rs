//! Sessions (login, cart) kept in memory, bounded: the oldest is evicted past the cap.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Most sessions kept at once.
pub const MAX_SESSIONS: usize = 100_000;
/// Most distinct lines in a cart.
pub const MAX_CART_LINES: usize = 50;

/// One visitor's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Session {
    /// Who logged in.
    pub user: String,
    /// `(item id, quantity)` lines.
    pub cart: Vec<(u32, u32)>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Session>,
    order: VecDeque<String>,
}

/// The session store.
#[derive(Debug)]
pub struct Sessions {
    inner: Mutex<Inner>,
    counter: AtomicU64,
    seed: u64,
}

/// splitmix64: a well-mixed token from a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Sessions {
    /// An empty store whose tokens derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            counter: AtomicU64::new(0),
            seed,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts a session for `user` and returns its token.
    pub fn create(&self, user: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let token = format!(
            "{:016x}{:016x}",
            mix(self.seed ^ n),
            mix(n.wrapping_add(self.seed))
        );
        let mut inner = self.lock();
        if inner.map.len() >= MAX_SESSIONS {
            if let Some(old) = inner.order.pop_front() {
                inner.map.remove(&old);
            }
        }
        inner.map.insert(
            token.clone(),
            Session {
                user: user.to_string(),
                cart: Vec::new(),
            },
        );
        inner.order.push_back(token.clone());
        token
    }

    /// A copy of the session.
    pub fn get(&self, token: &str) -> Option<Session> {
        self.lock().map.get(token).cloned()
    }

    /// Changes the session in place; `None` if it does not exist.
    pub fn update<R>(&self, token: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        self.lock().map.get_mut(token).map(f)
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }
}

impl Session {
    /// Adds `qty` of `item`; false when the cart already has its maximum of lines.
    pub fn add(&mut self, item: u32, qty: u32) -> bool {
        if let Some(line) = self.cart.iter_mut().find(|(i, _)| *i == item) {
            line.1 = line.1.saturating_add(qty).min(999);
            return true;
        }
        if self.cart.len() >= MAX_CART_LINES {
            return false;
        }
        self.cart.push((item, qty));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_carts_merge() {
        let s = Sessions::new(1);
        let a = s.create("ann");
        let b = s.create("bob");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        s.update(&a, |x| {
            assert!(x.add(3, 1));
            assert!(x.add(3, 2));
        });
        assert_eq!(s.get(&a).unwrap().cart, vec![(3, 3)]);
        assert!(s.get("nope").is_none());
        let mut full = Session::default();
        for i in 0..MAX_CART_LINES as u32 {
            assert!(full.add(i, 1));
        }
        assert!(!full.add(999, 1));
    }
}
