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
//! A channel is one `Chan` (in `chan.rs`) shared through an `Arc`. Its parts live on separate
//! cache lines so that a sender and the receiver on two cores touch as few shared lines per
//! message as possible:
//! - the messages, in a lock-free queue (`concurrent-queue`: an array for bounds up to 1,024,
//!   linked blocks above and for the unbounded channel);
//! - the slot accounting, as two monotonic counters: `taken`, which senders advance with a
//!   compare-and-swap before they push (and which carries the `CLOSED` bit), and `released`,
//!   which the receiver advances after it pops. Slots in use are `taken - released`. Senders
//!   keep a copy of `released` on their own line and read the receiver's only when the copy
//!   says full; the receiver never reads the senders' line on its hot path;
//! - the senders waiting for room: a FIFO of tickets behind a small lock, a `queued` flag that
//!   sends every release there, and the count of tickets served, which a woken sender reads to
//!   claim its slot without the lock;
//! - the parked receiver's waker, with a flag a sender reads after each push.
//!
//! Invariants (bounded channel, capacity `bound`):
//! - `taken - released` never exceeds `bound`: it counts the queued messages, the sends in
//!   flight, the live [`Permit`]s and the slots served to waiting senders that have not run.
//! - While senders wait, a sender that arrives after them does not overtake them (it sees
//!   `queued` and queues; one racing the first waiter's arrival may slip ahead, which no
//!   caller can tell from arriving first), and every freed slot goes to the front waiter: a release that sees `queued` takes the
//!   lock and serves tickets in order while there is room. A fence pair makes sure that a
//!   sender that queues either sees the slot freed meanwhile or is seen by its release.
//! - Cancel safety: a waiting sender dropped after being served gives its slot back (to the
//!   next waiter); one dropped while still queued leaves the FIFO.
//! - Closing from the receiving side sets `CLOSED` in `taken`, so no slot is taken afterwards,
//!   and fails every queued sender. Permits taken before the close may still send, and so
//!   does a sender served a slot before the close; the receiver reports the end once every
//!   slot is back (`released == taken`). After the
//!   receiver is dropped, a permit's message is dropped by its sender at once.
//! - A receiver that finds the queue empty registers its waker, then looks again; a sender
//!   pushes, then looks for a registered receiver. A SeqCst fence on each side between the two
//!   steps means at least one of them sees the other: no message is left unseen by a parked
//!   receiver. A sender pays one load when nobody is parked.
//!
//! Wakers are woken, and messages dropped, only after the lock is released. The loom models in
//! `loom-tests/tests/channels.rs` check these races.

mod bounded;
mod chan;
pub mod error;
mod receiver_waker;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
