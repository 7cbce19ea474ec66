//! The waiter list every corio synchronization primitive is built on.
//!
//! A `WaitList` is a FIFO of parked tasks, stored in a slab and linked by slab keys, so that a
//! waiter can be unlinked in O(1) when its future is dropped. It holds no lock of its own: each
//! primitive keeps it inside the `Mutex` that also guards its state (permits, items, flags), so
//! "check the state, then enqueue" is one critical section and no wake-up can fall between.
//!
//! A waiter goes through three states:
//! - *queued*: linked in the FIFO, with the waker of its task;
//! - *notified*: taken off the FIFO by the primitive, which handed it what it waited for
//!   (permits, a turn, an item, a broadcast) — it stays in the slab so that its future can see
//!   the hand-off at its next poll;
//! - *released*: its future consumed the notification (or was dropped), the slot is free.
//!
//! Cancel safety lives in the futures that use the list: a future dropped while *notified*
//! gives back what it was handed (the primitive's `Drop` hands it to the next waiter), so a
//! cancelled waiter never loses a permit, an item or a wake-up.
//!
//! Wakers are never woken under the primitive's lock: `notify_*` returns them, and the caller
//! wakes them after unlocking (a wake may run the schedule function, which must not wait on a
//! lock we hold).

use std::task::Waker;

use slab::Slab;

/// A waiter's key in its list.
pub(crate) type WaiterKey = usize;

#[derive(Debug)]
struct Node {
    waker: Option<Waker>,
    /// What the waiter asks for (permits), for primitives that need it; 0 otherwise.
    request: usize,
    notified: bool,
    prev: Option<WaiterKey>,
    next: Option<WaiterKey>,
}

#[derive(Debug, Default)]
pub(crate) struct WaitList {
    nodes: Slab<Node>,
    head: Option<WaiterKey>,
    tail: Option<WaiterKey>,
    /// Waiters in the FIFO (notified ones are not counted).
    queued: usize,
}

impl WaitList {
    pub(crate) fn new() -> WaitList {
        WaitList::default()
    }

    /// Appends a waiter asking for `request`, parked with `waker`.
    pub(crate) fn push_back(&mut self, request: usize, waker: Waker) -> WaiterKey {
        let key = self.nodes.insert(Node {
            waker: Some(waker),
            request,
            notified: false,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            Some(tail) => self.nodes[tail].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.queued += 1;
        key
    }

    /// Whether nobody waits in the FIFO.
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Number of waiters in the FIFO.
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// What the first waiter asks for.
    pub(crate) fn front_request(&self) -> Option<usize> {
        self.head.map(|key| self.nodes[key].request)
    }

    /// Takes the first waiter off the FIFO as *notified*; returns its waker to wake after the
    /// lock is released.
    pub(crate) fn notify_front(&mut self) -> Option<Waker> {
        let key = self.head?;
        self.unlink(key);
        let node = &mut self.nodes[key];
        node.notified = true;
        node.waker.take()
    }

    /// Notifies every queued waiter; their wakers are appended to `wakers`.
    pub(crate) fn notify_all(&mut self, wakers: &mut Vec<Waker>) {
        while let Some(waker) = self.notify_front() {
            wakers.push(waker);
        }
    }

    /// Whether the waiter was notified.
    pub(crate) fn is_notified(&self, key: WaiterKey) -> bool {
        self.nodes[key].notified
    }

    /// Replaces the waiter's waker if it would not wake the same task; returns the old one so
    /// that the caller drops it after unlocking.
    pub(crate) fn update_waker(&mut self, key: WaiterKey, waker: &Waker) -> Option<Waker> {
        let slot = &mut self.nodes[key].waker;
        match slot {
            Some(current) if current.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        }
    }

    /// Frees the waiter's slot, unlinking it if still queued. Returns whether it had been
    /// notified (so that the caller can pass the notification on), and its waker.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> (bool, Option<Waker>) {
        if !self.nodes[key].notified {
            self.unlink(key);
        }
        let node = self.nodes.remove(key);
        // Teeth: the broken variant drops the notification of a cancelled waiter.
        (node.notified && !crate::loom::fault!(WaiterHandoff), node.waker)
    }

    fn unlink(&mut self, key: WaiterKey) {
        let (prev, next) = {
            let node = &self.nodes[key];
            (node.prev, node.next)
        };
        match prev {
            Some(prev) => self.nodes[prev].next = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.nodes[next].prev = prev,
            None => self.tail = prev,
        }
        let node = &mut self.nodes[key];
        node.prev = None;
        node.next = None;
        self.queued -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_in_order(list: &mut WaitList) -> Vec<usize> {
        let mut order = Vec::new();
        while let Some(request) = list.front_request() {
            order.push(request);
            list.notify_front();
        }
        order
    }

    #[test]
    fn fifo_order_and_unlinking_from_anywhere() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5).map(|i| list.push_back(i, Waker::noop().clone())).collect();
        assert_eq!(list.len(), 5);
        // Remove the middle, the head and the tail.
        assert!(!list.remove(keys[2]).0);
        assert!(!list.remove(keys[0]).0);
        assert!(!list.remove(keys[4]).0);
        assert_eq!(list.len(), 2);
        let more = list.push_back(7, Waker::noop().clone());
        assert_eq!(keys_in_order(&mut list), vec![1, 3, 7]);
        assert!(list.is_empty());
        assert!(list.is_notified(more));
        assert!(list.remove(more).0);
    }

    #[test]
    fn notified_waiters_leave_the_fifo_but_keep_their_slot() {
        let mut list = WaitList::new();
        let a = list.push_back(0, Waker::noop().clone());
        let b = list.push_back(0, Waker::noop().clone());
        assert!(list.notify_front().is_some());
        assert!(list.is_notified(a));
        assert!(!list.is_notified(b));
        assert_eq!(list.len(), 1);
        let mut wakers = Vec::new();
        list.notify_all(&mut wakers);
        assert_eq!(wakers.len(), 1);
        assert!(list.is_empty());
        assert!(list.remove(a).0);
        assert!(list.remove(b).0);
    }
}
