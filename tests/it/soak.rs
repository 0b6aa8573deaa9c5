//! Exactness at volume and after a crash: a smaller `cargo xtask bench soak` whose server is
//! killed (SIGKILL, the whole process group) in the middle of the load and started again on
//! the same state.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cairn_e2e::{App, DEMO_SECRET_KEY};
use xtask::soak::{self, Plan};

#[test]
fn a_crash_mid_load_loses_nothing_and_counts_nothing_twice() {
    let mut app = App::start("soak-crash").unwrap();
    let plan = Plan {
        users: 200,
        events: 8_000,
        batch: 200,
        connections: 3,
        replay_every: 10,
        members: 60,
        accounts: 6,
        hot_users: 2,
        hot_writers: 6,
        hot_events: 200,
    };
    let (stop, progress) = (AtomicBool::new(false), AtomicUsize::new(0));
    let base = app.base().to_owned();
    let outcome = std::thread::scope(|scope| {
        let load = scope.spawn(|| soak::run(&base, DEMO_SECRET_KEY, &plan, &stop, &progress));
        // The signal: a third of the events answered. Then the crash, with requests in flight.
        let deadline = Instant::now() + Duration::from_secs(180);
        while progress.load(Ordering::Relaxed) < 3_000 {
            assert!(Instant::now() < deadline, "the load made no progress");
            assert!(!load.is_finished(), "the load ended before the crash");
            std::thread::sleep(Duration::from_millis(20));
        }
        // No new request starts; those in flight die with the server.
        stop.store(true, Ordering::Relaxed);
        app.crash();
        load.join().unwrap().unwrap()
    });
    eprintln!(
        "before the crash: {} of {} events answered, {} requests failed",
        outcome.answered(),
        outcome.unique(),
        outcome.errors
    );
    assert!(
        outcome.answered() < outcome.unique(),
        "the crash came mid-load"
    );
    app.restart().unwrap();
    // Every event answered before the crash is counted, none twice; what was in flight is
    // re-sent with its key; team totals and the ledger complete once the outboxes drain.
    let verified = soak::verify(
        app.base(),
        DEMO_SECRET_KEY,
        &outcome,
        Duration::from_secs(90),
    )
    .unwrap();
    eprintln!("{verified:?}");
    assert_eq!(verified.users, plan.users + plan.hot_users);
    assert_eq!(verified.accounts, plan.accounts + 1);
    assert!(
        verified.ledger_rows > verified.users,
        "every user has awards in the ledger"
    );
}
