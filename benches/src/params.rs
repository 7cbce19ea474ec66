//! Workload parameters: the full run uses exactly the numbers `shared/BENCHMARKS.md` fixes, so
//! that results stay comparable over time; `--quick` shrinks the slow ones to keep a smoke run
//! under 60 s on a 2-core machine (its numbers are labelled and not comparable).

use std::time::Duration;

/// The parameters of every workload.
#[derive(Clone, Debug)]
pub struct Params {
    /// Whether these are the `--quick` parameters.
    pub quick: bool,
    /// Worker threads of each runtime.
    pub workers: usize,
    /// spawn_many_local, spawn_many_remote: tasks spawned.
    pub spawns: usize,
    /// ping_pong: pairs of tasks.
    pub ping_pongs: usize,
    /// yield_many: tasks, and `yield_now` calls by each.
    pub yield_tasks: usize,
    /// See `yield_tasks`.
    pub yields_per_task: usize,
    /// chained_spawn: length of the chain.
    pub chain: usize,
    /// mpsc: producers, messages by each, channel capacity.
    pub producers: usize,
    /// See `producers`.
    pub messages_per_producer: usize,
    /// See `producers`.
    pub channel_capacity: usize,
    /// mutex: tasks, and lock/increment/unlock rounds by each.
    pub mutex_tasks: usize,
    /// See `mutex_tasks`.
    pub increments_per_task: usize,
    /// timers: concurrent sleeps, of 1 to `timer_max_ms` ms each.
    pub timers: usize,
    /// See `timers`.
    pub timer_max_ms: u64,
    /// tcp_echo: connections, round trips on each, bytes per message.
    pub echo_connections: usize,
    /// See `echo_connections`.
    pub echo_round_trips: usize,
    /// See `echo_connections`.
    pub echo_message_len: usize,
    /// tcp_echo_latency_under_hog: round trips, and the pause between two.
    pub hog_round_trips: usize,
    /// See `hog_round_trips`.
    pub hog_gap: Duration,
    /// The hog blocks its worker for `hog_block` out of every `hog_period`.
    pub hog_block: Duration,
    /// See `hog_block`.
    pub hog_period: Duration,
    /// spawn_blocking: no-op jobs.
    pub blocking_jobs: usize,
    /// http_hello: `wrk -t1 -c<wrk_connections> -d<wrk_seconds>s`.
    pub wrk_connections: usize,
    /// See `wrk_connections`.
    pub wrk_seconds: u32,
}

impl Params {
    /// The full run: the protocol's numbers.
    pub fn full(workers: usize) -> Params {
        Params {
            quick: false,
            workers,
            spawns: 10_000,
            ping_pongs: 1_000,
            yield_tasks: 200,
            yields_per_task: 1_000,
            chain: 1_000,
            producers: 10,
            messages_per_producer: 10_000,
            channel_capacity: 1_024,
            mutex_tasks: 10,
            increments_per_task: 10_000,
            timers: 100_000,
            timer_max_ms: 100,
            echo_connections: 100,
            echo_round_trips: 1_000,
            echo_message_len: 64,
            hog_round_trips: 300,
            hog_gap: Duration::from_millis(1),
            hog_block: Duration::from_millis(50),
            hog_period: Duration::from_millis(60),
            blocking_jobs: 10_000,
            wrk_connections: 50,
            wrk_seconds: 5,
        }
    }

    /// The smoke run: the slow workloads shrunk (the shapes stay those of the protocol).
    pub fn quick(workers: usize) -> Params {
        Params {
            quick: true,
            timers: 10_000,
            timer_max_ms: 20,
            echo_connections: 50,
            echo_round_trips: 100,
            hog_round_trips: 60,
            blocking_jobs: 2_000,
            wrk_seconds: 1,
            ..Params::full(workers)
        }
    }

    /// A one-line description of what differs from the full run (empty for the full run).
    pub fn quick_label(&self) -> &'static str {
        if self.quick {
            "QUICK run: 3 samples by default and smaller timers (10,000 of 1-20 ms), tcp_echo \
             (50 x 100), latency (60 round trips), spawn_blocking (2,000) and wrk (1 s): a smoke \
             test, not comparable with full runs"
        } else {
            ""
        }
    }
}
