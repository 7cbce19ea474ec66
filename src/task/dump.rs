//! Task dumps: asyncio's call-graph introspection (`asyncio.print_call_graph`) for a runtime.
//!
//! A dump walks the task registry and copies what each task's metadata says: id, name, spawn
//! location, state, poll count, total poll time, and which task awaits it (recorded when a task
//! polls another's `JoinHandle`, which also covers `TaskGroup::join` and `shield`). Keeping this
//! costs the poll path a few relaxed stores and one read of a cheap clock; taking a dump
//! briefly locks each registry shard in turn.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::time::Duration;

use super::clock;
use super::meta::{Id, TaskKind, TaskMeta, STATE_IDLE, STATE_RUNNING};
use crate::loom::Ordering;
use crate::runtime::scheduler::Shared;

/// What a task is doing when the dump is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting to be woken (for I/O, a timer, another task…).
    Idle,
    /// Woken, waiting in a run queue.
    Scheduled,
    /// Being polled on some thread.
    Running,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
        })
    }
}

/// One task in a [`TaskDump`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id.
    pub id: Id,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// What it is doing.
    pub state: TaskState,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// The task awaiting its result, if any (through its `JoinHandle`, a `TaskGroup` or
    /// `shield`).
    pub awaited_by: Option<Id>,
    /// How many times it was polled.
    pub polls: u64,
    /// Total time spent in its polls.
    pub poll_time: Duration,
    /// Whether it is a `spawn_blocking` job.
    pub blocking: bool,
}

impl TaskInfo {
    fn from_meta(meta: &TaskMeta) -> TaskInfo {
        TaskInfo {
            id: meta.id,
            name: meta.name.as_deref().map(String::from),
            state: match meta.state.load(Ordering::Relaxed) {
                STATE_IDLE => TaskState::Idle,
                STATE_RUNNING => TaskState::Running,
                _ => TaskState::Scheduled,
            },
            spawned_at: meta.spawned_at,
            awaited_by: NonZeroU64::new(meta.awaited_by.load(Ordering::Relaxed)).map(Id::from_raw),
            polls: meta.polls.load(Ordering::Relaxed),
            poll_time: clock::to_duration(meta.poll_ticks.load(Ordering::Relaxed)),
            blocking: meta.kind == TaskKind::Blocking,
        }
    }
}

/// A snapshot of every live task of a runtime, from [`Handle::dump`](crate::Handle::dump).
///
/// `Display` prints it as a tree, each task under the task that awaits it, like asyncio's
/// `print_call_graph`.
///
/// ```
/// corio::run(async {
///     let (tx, rx) = std::sync::mpsc::channel::<()>();
///     let worker = corio::task::Builder::new()
///         .name("worker")
///         .spawn(async move { corio::spawn_blocking(move || rx.recv()).await });
///     let dump = corio::Handle::current().dump();
///     let info = dump.get(worker.id()).unwrap();
///     assert_eq!(info.name.as_deref(), Some("worker"));
///     println!("{dump}");
///     drop(tx);
///     worker.await.unwrap().unwrap().unwrap_err();
/// });
/// ```
#[derive(Debug, Clone)]
pub struct TaskDump {
    tasks: Vec<TaskInfo>,
}

impl TaskDump {
    pub(crate) fn capture(shared: &Shared) -> TaskDump {
        let mut tasks = Vec::new();
        shared
            .registry
            .for_each(|meta| tasks.push(TaskInfo::from_meta(meta)));
        tasks.sort_by_key(|task| task.id);
        TaskDump { tasks }
    }

    /// Every live task, by id.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The task with this id, if it was alive.
    pub fn get(&self, id: Id) -> Option<&TaskInfo> {
        self.tasks
            .binary_search_by_key(&id, |task| task.id)
            .ok()
            .map(|index| &self.tasks[index])
    }

    /// The tasks awaited by `id`.
    pub fn awaited_by(&self, id: Id) -> impl Iterator<Item = &TaskInfo> {
        self.tasks.iter().filter(move |task| task.awaited_by == Some(id))
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live: HashSet<Id> = self.tasks.iter().map(|task| task.id).collect();
        let mut children: BTreeMap<Id, Vec<&TaskInfo>> = BTreeMap::new();
        let mut roots = Vec::new();
        for task in &self.tasks {
            match task
                .awaited_by
                .filter(|parent| live.contains(parent) && *parent != task.id)
            {
                Some(parent) => children.entry(parent).or_default().push(task),
                None => roots.push(task),
            }
        }
        writeln!(
            f,
            "{} live task{}",
            self.tasks.len(),
            if self.tasks.len() == 1 { "" } else { "s" }
        )?;
        let mut printed = HashSet::new();
        for (i, root) in roots.iter().enumerate() {
            write_tree(f, root, &children, "", i + 1 == roots.len(), &mut printed)?;
        }
        Ok(())
    }
}

fn write_tree(
    f: &mut fmt::Formatter<'_>,
    task: &TaskInfo,
    children: &BTreeMap<Id, Vec<&TaskInfo>>,
    prefix: &str,
    last: bool,
    printed: &mut HashSet<Id>,
) -> fmt::Result {
    if !printed.insert(task.id) {
        return Ok(()); // a cycle of awaits cannot happen, but a dump must not loop on one
    }
    let branch = if last { "└── " } else { "├── " };
    write!(f, "{prefix}{branch}task {}", task.id)?;
    if let Some(name) = &task.name {
        write!(f, " {name:?}")?;
    }
    writeln!(
        f,
        " ({}{}) spawned at {}, {} poll{}, {:?} polling",
        if task.blocking { "blocking, " } else { "" },
        task.state,
        task.spawned_at,
        task.polls,
        if task.polls == 1 { "" } else { "s" },
        task.poll_time
    )?;
    let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
    if let Some(kids) = children.get(&task.id) {
        for (i, child) in kids.iter().enumerate() {
            write_tree(f, child, children, &child_prefix, i + 1 == kids.len(), printed)?;
        }
    }
    Ok(())
}
