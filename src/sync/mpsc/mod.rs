//! Multi-producer, single-consumer channels: [`channel`] (bounded, senders wait for room) and
//! [`unbounded_channel`] (sending never waits).
//!
//! Both receivers are [`Stream`](futures_core::Stream)s. The channel closes for the receiver
//! once every sender is dropped (the receiver drains what is queued, then gets `None`), and
//! for the senders once the receiver is dropped or [closed](Receiver::close) (a send then fails
//! and hands its message back). Messages from one sender arrive in the order it sent them.
//!
//! # Algorithm
//!
//! A channel is one `Chan` (in `chan.rs`) shared through an `Arc`: a `VecDeque` of messages, the
//! slot accounting, a FIFO [waiter list](crate::sync) of senders waiting for room, the parked
//! receiver's waker and the close flags, all behind one lock. Every operation takes that lock
//! once, for a few instructions, and allocates nothing beyond the queue's own growth: a send
//! pushes and takes the receiver's waker if it is parked; a receive pops and, when senders
//! wait, hands the freed slot to the first of them. The count of live senders is an atomic,
//! so cloning and dropping a sender take the lock only for the last one.
//!
//! Invariants (bounded channel, capacity `bound`):
//! - Slots in use are `queue.len() + reserved` and never exceed `bound`. `reserved` counts the
//!   slots held outside the queue: by live [`Permit`]s and by waiting senders that were handed a
//!   slot but have not run yet.
//! - While a sender waits, the channel is full: every freed slot goes straight to the first
//!   waiter (it is *notified* holding one reserved slot), and a new sender does not overtake the
//!   waiters. This is what makes waiting senders FIFO.
//! - Cancel safety: a waiting sender dropped after being handed a slot releases it, and the
//!   release hands it to the next waiter; a sender dropped while still queued unlinks itself.
//! - Closing from the receiving side notifies every waiting sender (each then holds one reserved
//!   slot, given back when it runs and fails), so no sender waits on a closed channel. Permits
//!   taken before the close may still send; the receiver reports the end only once the queue is
//!   empty and no permit is left.
//!
//! Wakers are woken, and messages dropped, only after the lock is released.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
