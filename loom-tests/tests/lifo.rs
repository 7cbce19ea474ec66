//! The LIFO slot (`src/runtime/scheduler/lifo.rs`): the owner's `replace`/`take` racing a
//! thief's `take` (the steal of a stuck worker's LIFO task).
//!
//! The slot is filled with [`ModelTask`]s rather than `Runnable`s: each carries a payload in a
//! loom `UnsafeCell`, written before the task is put in the slot and read by whoever takes it,
//! so loom checks that the slot's swaps publish the task's contents (a missing `Release` is a
//! causality violation), and each counts its drops, so a lost or duplicated task shows.
#![cfg(loom)]

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;

use corio::__loom::{LifoSlot, SlotTask};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// A task of the model: an id, a payload written by its creator, and a shared drop counter per
/// id.
struct ModelTask(Box<Inner>);

struct Inner {
    id: usize,
    payload: UnsafeCell<usize>,
    drops: StdArc<[AtomicUsize; 2]>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::SeqCst);
    }
}

impl ModelTask {
    fn new(id: usize, drops: &StdArc<[AtomicUsize; 2]>) -> ModelTask {
        let inner = Box::new(Inner {
            id,
            payload: UnsafeCell::new(0),
            drops: drops.clone(),
        });
        // SAFETY: the task is not shared yet.
        inner.payload.with_mut(|payload| unsafe { *payload = 100 + id });
        ModelTask(inner)
    }

    /// Runs the task: reads the payload its creator wrote; returns its id.
    fn run(self) -> usize {
        // SAFETY: whoever holds the task owns it; loom checks that the creator's write is
        // visible (happens-before) through the slot's hand-off.
        let payload = self.0.payload.with(|payload| unsafe { *payload });
        assert_eq!(payload, 100 + self.0.id, "a task's contents were not published");
        self.0.id
    }
}

impl SlotTask for ModelTask {
    fn into_raw(self) -> NonNull<()> {
        NonNull::from(Box::leak(self.0)).cast()
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> ModelTask {
        // SAFETY: `ptr` came from `into_raw` (a leaked `Box<Inner>`), converted back once.
        ModelTask(unsafe { Box::from_raw(ptr.cast::<Inner>().as_ptr()) })
    }
}

fn drop_counts(drops: &[AtomicUsize; 2]) -> [usize; 2] {
    [0, 1].map(|id| drops[id].load(Ordering::SeqCst))
}

/// The owner puts task 0, then task 1 (displacing task 0 unless it was stolen), then takes from
/// the slot, while a thief takes once. Every task is run exactly once (by the owner, as the
/// displaced or taken task, or by the thief) or left in the slot, whose drop frees it: at the
/// end each was dropped exactly once and none was run twice.
#[test]
fn owner_replace_and_take_racing_a_thief_hand_each_task_out_once() {
    loom::model(|| {
        let drops = StdArc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let slot = Arc::new(LifoSlot::<ModelTask>::new());
        let thief = {
            let slot = slot.clone();
            thread::spawn(move || slot.take().map(ModelTask::run))
        };
        let mut ran = Vec::new();
        assert!(
            slot.replace(ModelTask::new(0, &drops)).is_none(),
            "the slot starts empty"
        );
        // A displaced task goes to the owner's queue; here it simply runs.
        ran.extend(slot.replace(ModelTask::new(1, &drops)).map(ModelTask::run));
        ran.extend(slot.take().map(ModelTask::run));
        ran.extend(thief.join().unwrap());

        ran.sort_unstable();
        let before = ran.len();
        ran.dedup();
        assert_eq!(before, ran.len(), "a task was handed out twice: {ran:?}");
        let left = usize::from(slot.is_occupied());
        assert_eq!(
            ran.len() + left,
            2,
            "a task was lost: ran {ran:?}, {left} left in the slot"
        );
        drop(slot);
        assert_eq!(drop_counts(&drops), [1, 1], "every task is dropped exactly once");
    });
}

/// Two thieves race the owner's `replace`, which displaces a task put earlier: each of the two
/// tasks is taken by exactly one of the three, or freed by the slot's drop.
#[test]
fn two_thieves_racing_a_replace_take_each_task_once() {
    loom::model(|| {
        let drops = StdArc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let slot = Arc::new(LifoSlot::<ModelTask>::new());
        assert!(slot.replace(ModelTask::new(0, &drops)).is_none());
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let slot = slot.clone();
                thread::spawn(move || slot.take().map(ModelTask::run))
            })
            .collect();
        let mut ran: Vec<usize> = slot
            .replace(ModelTask::new(1, &drops))
            .map(ModelTask::run)
            .into_iter()
            .collect();
        for thief in thieves {
            ran.extend(thief.join().unwrap());
        }
        ran.sort_unstable();
        let before = ran.len();
        ran.dedup();
        assert_eq!(before, ran.len(), "a task was handed out twice: {ran:?}");
        let left = usize::from(slot.is_occupied());
        assert_eq!(
            ran.len() + left,
            2,
            "a task was lost: ran {ran:?}, {left} left in the slot"
        );
        drop(slot);
        assert_eq!(drop_counts(&drops), [1, 1], "every task is dropped exactly once");
    });
}
