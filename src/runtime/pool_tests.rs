//! Tests of the worker pool (`pool.rs`).

use super::*;
use std::sync::atomic::AtomicUsize;

#[test]
fn a_scope_runs_every_closure_and_waits_for_them() {
    let mut slots = vec![0usize; 16];
    scope(|s| {
        for (i, slot) in slots.iter_mut().enumerate() {
            s.spawn(move || *slot = i * i);
        }
    });
    assert_eq!(slots, (0..16).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn a_panic_in_a_scope_is_raised_after_all_ended() {
    let done = AtomicUsize::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        scope(|s| {
            s.spawn(|| panic!("boom"));
            for _ in 0..4 {
                s.spawn(|| {
                    std::thread::sleep(Duration::from_millis(20));
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        })
    }));
    assert!(r.is_err());
    assert_eq!(done.load(Ordering::SeqCst), 4);
}

#[test]
fn a_waiter_with_a_library_stack_runs_its_groups_queued_tasks_itself() {
    let t = threads::spawn("mapi-test", || {
        let g = Group::default();
        let me = std::thread::current().id();
        let ran_here = Arc::new(AtomicUsize::new(0));
        for _ in 0..4 {
            let (ran, group) = (ran_here.clone(), g.clone());
            // Queued in the group only: no worker can take them.
            g.queue_unpooled(move || {
                if std::thread::current().id() == me {
                    ran.fetch_add(1, Ordering::SeqCst);
                }
                group.notify();
            });
        }
        let r = ran_here.clone();
        assert_eq!(
            g.wait_until(&|| r.load(Ordering::SeqCst) == 4, None),
            Waited::Done
        );
    })
    .unwrap();
    t.join().unwrap();
}

#[test]
fn a_waiter_runs_its_groups_tasks() {
    let g = Group::default();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..8 {
        let (ran, group) = (ran.clone(), g.clone());
        g.spawn(move || {
            ran.fetch_add(1, Ordering::SeqCst);
            group.notify();
        });
    }
    let r = ran.clone();
    assert_eq!(
        g.wait_until(&|| r.load(Ordering::SeqCst) == 8, None),
        Waited::Done
    );
}
