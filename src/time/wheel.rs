//! A hierarchical timing wheel: O(1) insert and cancel, cheap "what fires next".
//!
//! Time is measured in ticks (1 tick = 1 ms) since the wheel was created. The wheel has
//! [`LEVELS`] = 6 levels of [`SLOTS`] = 64 slots each. A slot on level `L` covers
//! `64^L` consecutive ticks, so a whole level covers `64^(L+1)` ticks: level 0 has one
//! slot per millisecond over 64 ms, level 1 one slot per 64 ms over ~4 s, ..., level 5
//! one slot per ~12.4 days over 64^6 ms ≈ 2.2 years.
//!
//! # Slot math
//!
//! A deadline `when` goes on the level of the highest bit in which it differs from
//! `elapsed` (the last processed tick), divided into 6-bit digits: if `when` and `elapsed`
//! agree on every digit above digit `L`, the entry can only ever be reached by moving
//! through the current level-`L` rotation, so it is stored at level `L`, slot
//! `(when >> 6L) & 63` — the `L`-th base-64 digit of `when`. Because 64 is a power of two
//! the digit is a shift and a mask rather than a division, and because it is exactly 64 one
//! `u64` per level records which slots are occupied. Finding the next non-empty slot on a
//! level is then a rotate (so the search starts just after the current slot) plus
//! `trailing_zeros`, never a scan over slots or ticks; [`Wheel::advance`] jumps straight from
//! one occupied slot to the next however far away `now` is.
//!
//! # Cascading
//!
//! When time reaches the first tick of an occupied slot on level `L >= 1`, the whole slot is
//! taken out and every entry in it is re-inserted relative to the new `elapsed`; entries
//! whose deadline is that very tick fire, the rest land on a strictly lower level because
//! they now share digit `L` with `elapsed`. Each entry therefore moves at most 5 times over
//! its life, keeping `advance` amortised O(1) per entry plus O(1) per occupied slot visited.
//!
//! # Invariants
//!
//! * Every stored entry lies in the slot of its own `when` on its level, and that slot's first
//!   tick is strictly after `elapsed` and less than one full rotation of the level away. That
//!   is what lets the slot index alone (plus `elapsed`) tell us the slot's start tick.
//! * An entry on level `L` fires before the end of the current level-`L+1` slot, while every
//!   entry on a higher level starts at or after it, so the first non-empty level holds the
//!   earliest deadlines.
//! * Never early, never late: `advance(now)` visits every occupied slot whose start is
//!   `<= now` in increasing order, and only fires entries with `when <=` the slot start. As a
//!   slot on level `L` holds ticks `[start, start + 64^L)`, an entry fires exactly at the
//!   first `advance(now)` with `now >= when`, and fired payloads come out in non-decreasing
//!   `when` order. Ties (equal `when`) fire in unspecified order.
//!
//! Entries inserted with `when <= elapsed` cannot go in any slot (their slot has already been
//! passed), so they wait on a separate "overdue" list that the next `advance` drains first.
//!
//! Deadlines more than [`MAX_DELAY`] ticks after `elapsed` are clamped to
//! `elapsed + MAX_DELAY`: beyond that the top-level slot index would wrap onto slots that
//! fire sooner. Such an entry fires at the clamped tick and [`Wheel::deadline`] reports the
//! clamped value, so a caller that needs longer timers re-arms when it fires.

use slab::Slab;

/// Number of levels.
const LEVELS: usize = 6;
/// log2 of the slots per level; 64 slots so one `u64` is a level's occupancy bitmap.
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// The furthest into the future (in ticks past `elapsed()`) a deadline can be;
/// `insert` clamps later deadlines to `elapsed() + MAX_DELAY`.
pub(crate) const MAX_DELAY: u64 = (1 << (SLOT_BITS * LEVELS as u32)) - 1;

/// List id of the entries that were already due when inserted. The other ids,
/// `level * SLOTS + slot`, name the wheel's slots, so one `heads` array serves both.
const OVERDUE: usize = LEVELS * SLOTS;
const LISTS: usize = OVERDUE + 1;

/// "No entry" in the intrusive links; also why the slab may not reach `u32::MAX` entries.
const NIL: u32 = u32::MAX;

/// Handle to an inserted entry.
///
/// The generation makes a key stale once its entry has fired or been removed, even if
/// the slab slot is reused by a later insert.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

struct Entry<T> {
    payload: T,
    when: u64,
    generation: u32,
    prev: u32,
    next: u32,
    /// Which list the entry is linked in, so `remove` can fix the head and bitmap in O(1).
    list: u16,
}

/// A hierarchical timing wheel holding payloads of type `T`. See the module docs.
pub(crate) struct Wheel<T> {
    entries: Slab<Entry<T>>,
    /// First entry of each list (`NIL` when empty); lists are doubly linked through `entries`.
    heads: [u32; LISTS],
    /// Bit `s` of `occupied[l]` is set iff slot `s` of level `l` is non-empty.
    occupied: [u64; LEVELS],
    elapsed: u64,
    /// A single wrapping counter rather than one per slab slot: slab keeps nothing in vacant
    /// slots, and a stale key could only be confused after exactly 2^32 inserts that also
    /// reuse the same index.
    next_generation: u32,
}

/// Level on which a deadline `when > elapsed` is stored: the base-64 digit of the highest
/// bit where they differ. Or-ing in `SLOT_MASK` makes deadlines in the current 64-tick
/// block land on level 0; deadlines in the next top-level rotation differ above the top
/// digit, and since they are within `MAX_DELAY` the top level still orders them correctly.
fn level_for(elapsed: u64, when: u64) -> usize {
    let masked = (elapsed ^ when) | SLOT_MASK;
    let significant = 63 - masked.leading_zeros();
    ((significant / SLOT_BITS) as usize).min(LEVELS - 1)
}

fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (level as u32 * SLOT_BITS)) & SLOT_MASK) as usize
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            entries: Slab::new(),
            heads: [NIL; LISTS],
            occupied: [0; LEVELS],
            elapsed: 0,
            next_generation: 0,
        }
    }

    /// The last tick processed by [`advance`](Self::advance); 0 for a new wheel.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    // Complete API for tests and future callers; the driver does not need it today.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Schedules `payload` to fire at tick `when`.
    ///
    /// `when <= elapsed()` is allowed: the entry fires at the next `advance()`.
    /// `when > elapsed() + MAX_DELAY` is clamped to `elapsed() + MAX_DELAY`.
    ///
    /// # Panics
    ///
    /// If `u32::MAX - 1` entries are already stored.
    pub(crate) fn insert(&mut self, when: u64, payload: T) -> TimerKey {
        let when = when.min(self.elapsed.saturating_add(MAX_DELAY));
        let index = self.entries.vacant_key();
        assert!(index < NIL as usize, "timing wheel is full");
        let index = index as u32;
        let generation = self.next_generation;
        self.next_generation = generation.wrapping_add(1);
        self.entries.insert(Entry {
            payload,
            when,
            generation,
            prev: NIL,
            next: NIL,
            list: 0,
        });
        self.link(index, self.list_for(when));
        TimerKey { index, generation }
    }

    /// Cancels the entry and returns its payload; `None` when the key is stale
    /// (already fired or removed).
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        self.lookup(key)?;
        self.unlink(key.index);
        Some(self.entries.remove(key.index as usize).payload)
    }

    /// The payload of a live entry; `None` when the key is stale.
    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        self.lookup(key)?;
        Some(&mut self.entries[key.index as usize].payload)
    }

    /// The `when` tick of the entry (after clamping), `None` when the key is stale.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn deadline(&self, key: TimerKey) -> Option<u64> {
        self.lookup(key).map(|entry| entry.when)
    }

    /// Earliest tick `t` at which `advance(t)` would do work; `None` when empty.
    ///
    /// * If some entry was inserted with `when <= elapsed()`, this is `elapsed()`.
    /// * If the earliest entries are on level 0 (due within the current 64-tick block),
    ///   this is exactly their `when`.
    /// * Otherwise it is the first tick of the higher-level slot that holds the earliest
    ///   entries, which is `<=` their deadlines: `advance(t)` to it may fire nothing and only
    ///   cascade that slot, after which `next_expiration()` is more precise. At most one such
    ///   step per level (5) precedes the exact value.
    ///
    /// Never later than the true earliest deadline, and never earlier than `elapsed()`.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.heads[OVERDUE] != NIL {
            return Some(self.elapsed);
        }
        self.next_slot().map(|(deadline, _)| deadline)
    }

    /// Advances time to `now`, pushing the payload of every entry with `when <= now`
    /// onto `fired` in non-decreasing `when` order.
    ///
    /// Time never goes backwards: `now < elapsed()` leaves `elapsed()` unchanged and only
    /// fires entries that were inserted with `when <= elapsed()`.
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<T>) {
        let now = now.max(self.elapsed);
        // Overdue deadlines are all <= elapsed < every deadline still in the slots.
        self.fire_overdue(fired);
        while let Some((start, list)) = self.next_slot() {
            if start > now {
                break;
            }
            // Entries not due yet are re-inserted relative to the slot start, which is what
            // moves them to a lower level.
            self.elapsed = start;
            self.process(list, fired);
        }
        self.elapsed = now;
    }

    fn lookup(&self, key: TimerKey) -> Option<&Entry<T>> {
        self.entries
            .get(key.index as usize)
            .filter(|entry| entry.generation == key.generation)
    }

    fn list_for(&self, when: u64) -> usize {
        if when <= self.elapsed {
            return OVERDUE;
        }
        let level = level_for(self.elapsed, when);
        level * SLOTS + slot_for(when, level)
    }

    /// Start tick and list id of the next occupied slot.
    fn next_slot(&self) -> Option<(u64, usize)> {
        // The first non-empty level holds the earliest deadlines (see the module
        // invariants), so there is no need to compare across levels.
        let level = self.occupied.iter().position(|&bits| bits != 0)?;
        let shift = level as u32 * SLOT_BITS;
        let current = (self.elapsed >> shift) & SLOT_MASK;
        // Rotate so bit 0 is the slot after the current one: the current slot's start is
        // already <= elapsed, so if it is occupied its entries belong to the next rotation
        // (possible on the top level only) and it must sort last.
        let rotated = self.occupied[level].rotate_right(((current + 1) & SLOT_MASK) as u32);
        let distance = u64::from(rotated.trailing_zeros()) + 1;
        let current_start = self.elapsed & !((1u64 << shift) - 1);
        let start = current_start + (distance << shift);
        let slot = ((current + distance) & SLOT_MASK) as usize;
        Some((start, level * SLOTS + slot))
    }

    /// Empties slot `list` at `elapsed` == its start: fires what is due, cascades the rest.
    fn process(&mut self, list: usize, fired: &mut Vec<T>) {
        let mut index = std::mem::replace(&mut self.heads[list], NIL);
        self.occupied[list / SLOTS] &= !(1u64 << (list % SLOTS));
        while index != NIL {
            let entry = &self.entries[index as usize];
            let next = entry.next;
            if entry.when <= self.elapsed {
                fired.push(self.entries.remove(index as usize).payload);
            } else {
                let target = self.list_for(entry.when);
                debug_assert!(target < list - list % SLOTS, "cascade must go down a level");
                self.link(index, target);
            }
            index = next;
        }
    }

    fn fire_overdue(&mut self, fired: &mut Vec<T>) {
        let mut index = std::mem::replace(&mut self.heads[OVERDUE], NIL);
        if index == NIL {
            return;
        }
        // Unlike slot lists, the overdue list mixes deadlines, so it must be sorted; it is
        // only non-empty when someone inserted a deadline in the past.
        let mut due = Vec::new();
        while index != NIL {
            let entry = self.entries.remove(index as usize);
            index = entry.next;
            due.push((entry.when, entry.payload));
        }
        due.sort_by_key(|&(when, _)| when);
        fired.extend(due.into_iter().map(|(_, payload)| payload));
    }

    fn link(&mut self, index: u32, list: usize) {
        let head = self.heads[list];
        let entry = &mut self.entries[index as usize];
        entry.prev = NIL;
        entry.next = head;
        entry.list = list as u16;
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        self.heads[list] = index;
        if list != OVERDUE {
            self.occupied[list / SLOTS] |= 1u64 << (list % SLOTS);
        }
    }

    fn unlink(&mut self, index: u32) {
        let entry = &self.entries[index as usize];
        let (prev, next, list) = (entry.prev, entry.next, entry.list as usize);
        if prev == NIL {
            self.heads[list] = next;
            if next == NIL && list != OVERDUE {
                self.occupied[list / SLOTS] &= !(1u64 << (list % SLOTS));
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn fire(wheel: &mut Wheel<u64>, now: u64) -> Vec<u64> {
        let mut fired = Vec::new();
        wheel.advance(now, &mut fired);
        fired
    }

    const EDGES: [u64; 14] = [
        0,
        1,
        2,
        63,
        64,
        65,
        4095,
        4096,
        4097,
        262_143,
        262_144,
        262_145,
        16_777_216,
        1 << 30,
    ];

    #[test]
    fn fires_exactly_at_each_tick_stepping_one_tick_at_a_time() {
        let mut wheel = Wheel::new();
        let limit = 262_200;
        for &when in EDGES.iter().filter(|&&when| when <= limit) {
            wheel.insert(when, when);
        }
        let mut fired = Vec::new();
        for now in 0..=limit {
            wheel.advance(now, &mut fired);
            for payload in fired.drain(..) {
                assert_eq!(payload, now, "fired at the wrong tick");
            }
        }
        assert!(wheel.is_empty());
    }

    #[test]
    fn fires_exactly_at_each_tick_with_jumps() {
        let far = (1u64 << 35) + 12_345;
        let mut wheel = Wheel::new();
        let mut keys = Vec::new();
        for &when in EDGES.iter().chain([far, MAX_DELAY].iter()) {
            keys.push((wheel.insert(when, when), when));
        }
        let clamped = wheel.insert(u64::MAX, u64::MAX);
        assert_eq!(wheel.deadline(clamped), Some(MAX_DELAY));
        for &(key, when) in &keys {
            assert_eq!(wheel.deadline(key), Some(when));
        }
        assert_eq!(wheel.len(), keys.len() + 1);

        let mut expected: Vec<u64> = keys.iter().map(|&(_, when)| when).collect();
        expected.sort_unstable();
        expected.dedup();
        for when in expected {
            if when > 0 {
                assert_eq!(fire(&mut wheel, when - 1), Vec::<u64>::new(), "early at {when}");
            }
            let mut fired = fire(&mut wheel, when);
            if when == MAX_DELAY {
                fired.sort_unstable();
                assert_eq!(fired, vec![MAX_DELAY, u64::MAX]);
            } else {
                assert_eq!(fired, vec![when]);
            }
            assert_eq!(wheel.elapsed(), when);
        }
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn clamps_relative_to_elapsed_across_a_top_level_rotation() {
        let mut wheel = Wheel::new();
        // Just before a top-level rotation boundary, so clamped deadlines wrap around.
        let start = (1u64 << 36) - 5;
        assert!(fire(&mut wheel, start).is_empty());
        let clamped = wheel.insert(u64::MAX, 1);
        let max = wheel.insert(start + MAX_DELAY, 2);
        let near = wheel.insert(start + 10, 3);
        assert_eq!(wheel.deadline(clamped), Some(start + MAX_DELAY));
        assert_eq!(wheel.deadline(max), Some(start + MAX_DELAY));
        assert_eq!(fire(&mut wheel, start + 9), Vec::<u64>::new());
        assert_eq!(fire(&mut wheel, start + 10), vec![3]);
        assert!(wheel.deadline(near).is_none());
        assert_eq!(fire(&mut wheel, start + MAX_DELAY - 1), Vec::<u64>::new());
        let mut fired = fire(&mut wheel, start + MAX_DELAY);
        fired.sort_unstable();
        assert_eq!(fired, vec![1, 2]);
    }

    #[test]
    fn remove_before_fire_returns_payload_and_it_never_fires() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(10, 1);
        let b = wheel.insert(10, 2);
        let c = wheel.insert(5000, 3);
        let d = wheel.insert(10, 4);
        assert_eq!(wheel.remove(b), Some(2));
        assert_eq!(wheel.remove(c), Some(3));
        assert_eq!(wheel.len(), 2);
        assert_eq!(wheel.next_expiration(), Some(10));
        let mut fired = fire(&mut wheel, 10_000);
        fired.sort_unstable();
        assert_eq!(fired, vec![1, 4]);
        assert_eq!(wheel.remove(a), None);
        assert_eq!(wheel.remove(d), None);
        assert!(wheel.is_empty());
    }

    #[test]
    fn stale_keys_are_detected_even_after_slot_reuse() {
        let mut wheel = Wheel::new();
        let removed = wheel.insert(100, 1);
        assert_eq!(wheel.remove(removed), Some(1));
        let reused = wheel.insert(200, 2);
        assert_eq!(
            reused.index, removed.index,
            "test needs the slab slot to be reused"
        );
        assert_eq!(wheel.remove(removed), None);
        assert_eq!(wheel.get_mut(removed), None);
        assert_eq!(wheel.deadline(removed), None);
        assert_eq!(wheel.deadline(reused), Some(200));

        assert_eq!(fire(&mut wheel, 200), vec![2]);
        let after_fire = wheel.insert(300, 3);
        assert_eq!(after_fire.index, reused.index);
        assert_eq!(wheel.remove(reused), None);
        assert_eq!(wheel.get_mut(reused), None);
        assert_eq!(wheel.deadline(reused), None);
        assert_eq!(wheel.len(), 1);

        *wheel.get_mut(after_fire).unwrap() = 30;
        assert_eq!(fire(&mut wheel, 300), vec![30]);
    }

    #[test]
    fn past_deadlines_fire_on_the_next_advance_in_order() {
        let mut wheel = Wheel::new();
        assert!(fire(&mut wheel, 1000).is_empty());
        wheel.insert(1001, 1001);
        wheel.insert(500, 500);
        wheel.insert(1000, 1000);
        let removed = wheel.insert(7, 7);
        wheel.insert(3, 3);
        assert_eq!(wheel.remove(removed), Some(7));
        assert_eq!(wheel.next_expiration(), Some(1000));
        // Time does not go back, but what is already overdue still fires.
        assert_eq!(fire(&mut wheel, 10), vec![3, 500, 1000]);
        assert_eq!(wheel.elapsed(), 1000);
        assert_eq!(wheel.next_expiration(), Some(1001));
        wheel.insert(0, 0);
        assert_eq!(fire(&mut wheel, 1001), vec![0, 1001]);
    }

    #[test]
    fn next_expiration_tracks_inserts_removes_and_advances() {
        let mut wheel = Wheel::new();
        assert_eq!(wheel.next_expiration(), None);
        let k5 = wheel.insert(5, 5);
        assert_eq!(wheel.next_expiration(), Some(5));
        let k100 = wheel.insert(100, 100);
        assert_eq!(wheel.next_expiration(), Some(5));
        assert_eq!(wheel.remove(k5), Some(5));
        // 100 sits on level 1 in the slot covering [64, 128): the estimate is its start.
        assert_eq!(wheel.next_expiration(), Some(64));
        assert!(fire(&mut wheel, 64).is_empty());
        assert_eq!(wheel.next_expiration(), Some(100));
        assert_eq!(wheel.deadline(k100), Some(100));

        wheel.insert(1_000_001, 1);
        assert_eq!(fire(&mut wheel, 100), vec![100]);
        // 1_000_001 is 3·64³ + 52·64² + 9·64 + 1: it starts on level 3 and each cascade
        // tightens the estimate to the start of the slot one level down.
        let mut steps = vec![];
        while let Some(next) = wheel.next_expiration() {
            steps.push(next);
            let fired = fire(&mut wheel, next);
            if !fired.is_empty() {
                assert_eq!(fired, vec![1]);
                break;
            }
        }
        assert_eq!(steps, vec![786_432, 999_424, 1_000_000, 1_000_001]);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn big_jumps_fire_everything_in_order() {
        let mut wheel = Wheel::new();
        let mut whens: Vec<u64> = (0..2000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % MAX_DELAY)
            .collect();
        for &when in &whens {
            wheel.insert(when, when);
        }
        let mid = MAX_DELAY / 2;
        let fired = fire(&mut wheel, mid);
        whens.sort_unstable();
        let split = whens.partition_point(|&when| when <= mid);
        assert_eq!(fired, whens[..split]);
        let fired = fire(&mut wheel, u64::MAX);
        assert_eq!(fired, whens[split..]);
        assert!(wheel.is_empty());
        assert_eq!(wheel.elapsed(), u64::MAX);
        // At the end of time everything is overdue, which must not overflow.
        wheel.insert(u64::MAX, 1);
        assert_eq!(wheel.next_expiration(), Some(u64::MAX));
        assert_eq!(fire(&mut wheel, u64::MAX), vec![1]);
    }

    #[test]
    fn level_and_slot_math() {
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, MAX_DELAY), 5);
        assert_eq!(level_for(MAX_DELAY, 2 * MAX_DELAY), 5);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(slot_for(4096 * 3 + 64 * 2 + 1, 0), 1);
        assert_eq!(slot_for(4096 * 3 + 64 * 2 + 1, 1), 2);
        assert_eq!(slot_for(4096 * 3 + 64 * 2 + 1, 2), 3);
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Deadline relative to `elapsed`, may be negative (in the past).
        Insert(i64),
        /// Index into all keys ever issued, so stale keys get exercised too.
        Remove(usize),
        /// `now` relative to `elapsed`, may be negative (a no-op for time).
        Advance(i64),
        /// Advance to whatever `next_expiration` reports.
        AdvanceToNext,
    }

    fn offset() -> impl Strategy<Value = i64> {
        prop_oneof![
            3 => 0i64..70,
            3 => 0i64..5000,
            2 => 0i64..300_000,
            2 => 0i64..(1 << 37),
            1 => -100i64..0,
            1 => Just(MAX_DELAY as i64),
            1 => Just(i64::MAX),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => offset().prop_map(Op::Insert),
            2 => any::<usize>().prop_map(Op::Remove),
            3 => offset().prop_map(Op::Advance),
            1 => Just(Op::AdvanceToNext),
        ]
    }

    fn start() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            0u64..(1 << 40),
            ((1u64 << 36) - 200)..(1 << 36),
            ((1u64 << 30) - 200)..(1 << 30),
        ]
    }

    fn relative(base: u64, offset: i64) -> u64 {
        base.saturating_add_signed(offset)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn matches_model(start in start(), ops in proptest::collection::vec(op(), 1..120)) {
            let mut wheel = Wheel::new();
            prop_assert!(fire(&mut wheel, start).is_empty());
            // id -> clamped deadline of every live entry; ids are the payloads.
            let mut model: BTreeMap<u64, u64> = BTreeMap::new();
            let mut keys: Vec<(TimerKey, u64)> = Vec::new();
            let mut next_id = 0u64;

            for op in ops {
                let elapsed = wheel.elapsed();
                match op {
                    Op::Insert(offset) => {
                        let when = relative(elapsed, offset);
                        let key = wheel.insert(when, next_id);
                        let expected = when.min(elapsed.saturating_add(MAX_DELAY));
                        prop_assert_eq!(wheel.deadline(key), Some(expected));
                        model.insert(next_id, expected);
                        keys.push((key, next_id));
                        next_id += 1;
                    }
                    Op::Remove(i) => {
                        if keys.is_empty() {
                            continue;
                        }
                        let (key, id) = keys[i % keys.len()];
                        let expected = model.remove(&id).map(|_| id);
                        prop_assert_eq!(wheel.remove(key), expected);
                    }
                    Op::Advance(_) | Op::AdvanceToNext => {
                        let now = match op {
                            Op::Advance(offset) => relative(elapsed, offset),
                            _ => match wheel.next_expiration() {
                                Some(next) => next,
                                None => continue,
                            },
                        };
                        let fired = fire(&mut wheel, now);
                        let now = now.max(elapsed);
                        prop_assert_eq!(wheel.elapsed(), now);
                        let mut previous = 0;
                        for id in &fired {
                            let when = model.remove(id);
                            prop_assert!(when.is_some(), "{} fired twice or after removal", id);
                            let when = when.unwrap();
                            prop_assert!(when <= now, "{} fired early", id);
                            prop_assert!(when >= previous, "fired out of order");
                            previous = when;
                        }
                        let late: Vec<_> = model.iter().filter(|(_, &when)| when <= now).collect();
                        prop_assert!(late.is_empty(), "not fired: {:?}", late);
                    }
                }

                prop_assert_eq!(wheel.len(), model.len());
                prop_assert_eq!(wheel.is_empty(), model.is_empty());
                for &(key, id) in &keys {
                    prop_assert_eq!(wheel.deadline(key), model.get(&id).copied());
                }
                let earliest = model.values().min().copied();
                match (wheel.next_expiration(), earliest) {
                    (None, None) => {}
                    (Some(next), Some(earliest)) => {
                        prop_assert!(next <= earliest.max(wheel.elapsed()));
                        if earliest <= wheel.elapsed() {
                            prop_assert_eq!(next, wheel.elapsed());
                        } else {
                            prop_assert!(next > wheel.elapsed());
                            if earliest - wheel.elapsed() < 64
                                && earliest >> SLOT_BITS == wheel.elapsed() >> SLOT_BITS
                            {
                                prop_assert_eq!(next, earliest, "level 0 must be exact");
                            }
                        }
                    }
                    (next, earliest) => {
                        prop_assert!(false, "next_expiration {:?} vs model {:?}", next, earliest);
                    }
                }
            }
        }
    }
}
