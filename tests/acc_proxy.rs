//! Self-test of the fault-injection harness ([`support::proxy`]): mitmproxy in front of
//! ministack, driven by the real AWS SDK. A throttle rule reaches an SDK client (retries off) as
//! `ThrottlingException`, a 5xx rule as that status, a held-back answer arrives late but whole
//! (and does not hold back other calls), a hung call never answers until the rules are cleared,
//! one-in-K rules fire on every K-th call, and the counters count all of it.
//!
//! The fault tests (`tests/acc_faults.rs`) trust these behaviours; this file makes sure a
//! broken harness fails here, by name, instead of there in a confusing way.
//!
//! Gated like every acceptance test: `TF_ACC=1` and `--include-ignored` (see `make testacc`).

mod support;

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_ecr::error::ProvideErrorMetadata;
use support::aws::{aws_config, aws_error};
use support::proxy::{Fault, FaultProxy, Times, target};
use support::{Emulator, EmulatorKind, require_acc};

/// An ECR client through `endpoint` that does not retry, so every injected fault surfaces.
fn ecr_without_retries(endpoint: &str) -> aws_sdk_ecr::Client {
    let config = aws_sdk_ecr::config::Builder::from(&aws_config(endpoint))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_ecr::Client::from_conf(config)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Throttling and 5xx answers reach the SDK with the codes and statuses AWS uses, only for the
/// operation and the number of calls asked for; the counters count requests and faults.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn throttle_and_server_error_rules_reach_the_sdk_and_are_counted() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let proxy = FaultProxy::start(&emu);
    let ecr = ecr_without_retries(&proxy.endpoint());
    let rt = runtime();
    let describe = target::ecr("DescribeRepositories");
    let create = target::ecr("CreateRepository");

    proxy.throttle(&describe, 2);
    for attempt in 1..=2 {
        let err = rt
            .block_on(ecr.describe_repositories().send())
            .expect_err("a throttled call fails");
        assert_eq!(
            err.code(),
            Some("ThrottlingException"),
            "attempt {attempt}: {}",
            aws_error(&err)
        );
        assert_eq!(err.message(), Some("Rate exceeded"));
        let raw = err.raw_response().expect("an HTTP answer");
        assert_eq!(raw.status().as_u16(), 400);
        assert_eq!(
            raw.headers().get("x-amzn-ErrorType"),
            Some("ThrottlingException")
        );
    }
    // The rule was for two calls only; another operation was never affected.
    rt.block_on(ecr.describe_repositories().send())
        .unwrap_or_else(|e| panic!("the third call passes: {}", aws_error(&e)));

    proxy.server_error(&create, 503, 1);
    let err = rt
        .block_on(
            ecr.create_repository()
                .repository_name("harness-503")
                .send(),
        )
        .expect_err("a 503 fails");
    assert_eq!(
        err.code(),
        Some("ServiceUnavailable"),
        "{}",
        aws_error(&err)
    );
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    proxy.server_error(&create, 500, Times::Always);
    for _ in 0..2 {
        let err = rt
            .block_on(
                ecr.create_repository()
                    .repository_name("harness-500")
                    .send(),
            )
            .expect_err("a 500 fails");
        assert_eq!(err.code(), Some("InternalFailure"), "{}", aws_error(&err));
    }
    proxy.clear();
    rt.block_on(ecr.create_repository().repository_name("harness-ok").send())
        .unwrap_or_else(|e| panic!("after clear the call passes: {}", aws_error(&e)));

    let counts = proxy.counts();
    assert_eq!(counts.seen(&describe), 3, "{counts:#?}");
    assert_eq!(counts.faults(&describe), 2, "{counts:#?}");
    assert_eq!(counts.seen(&create), 4, "{counts:#?}");
    assert_eq!(counts.faults(&create), 3, "{counts:#?}");
    assert!(counts.rules.is_empty(), "{counts:#?}");
    // The faulted creates never reached the emulator, the last one did.
    let direct = support::ecr_client(&emu.endpoint());
    let names: Vec<String> = rt
        .block_on(direct.describe_repositories().send())
        .expect("DescribeRepositories straight to ministack")
        .repositories()
        .iter()
        .filter_map(|r| r.repository_name().map(str::to_string))
        .collect();
    assert_eq!(names, ["harness-ok"]);

    proxy.reset();
    assert_eq!(proxy.counts().total_seen(), 0);
}

/// A held-back answer arrives after the delay and whole (the emulator did the work at once),
/// while other calls pass meanwhile; a hung call gets no answer until the rules are cleared,
/// and the emulator never sees it.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn held_and_hung_calls_are_delayed_without_blocking_others() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let proxy = FaultProxy::start(&emu);
    let ecr = ecr_without_retries(&proxy.endpoint());
    let direct = support::ecr_client(&emu.endpoint());
    let rt = runtime();
    let create = target::ecr("CreateRepository");
    let delete = target::ecr("DeleteRepository");
    let hold = Duration::from_secs(3);

    proxy.hold_response(&create, hold);
    let started = Instant::now();
    let held = rt.spawn({
        let ecr = ecr.clone();
        async move {
            ecr.create_repository()
                .repository_name("harness-held")
                .send()
                .await
        }
    });
    let counts = proxy.wait_until("the held CreateRepository", Duration::from_secs(10), |c| {
        c.holding(&create) == 1
    });
    assert!(started.elapsed() < hold, "{counts:#?}");
    // The emulator already created it; the client has no answer yet.
    let exists = rt
        .block_on(
            direct
                .describe_repositories()
                .repository_names("harness-held")
                .send(),
        )
        .is_ok();
    assert!(exists, "the held request reached the emulator");
    assert!(!held.is_finished(), "the answer is held back");
    // Meanwhile another call through the proxy passes at once.
    let quick = Instant::now();
    rt.block_on(ecr.describe_repositories().send())
        .unwrap_or_else(|e| panic!("DescribeRepositories during the hold: {}", aws_error(&e)));
    assert!(
        quick.elapsed() < Duration::from_secs(2),
        "{:?}",
        quick.elapsed()
    );
    let answer = rt
        .block_on(held)
        .expect("join")
        .unwrap_or_else(|e| panic!("the held CreateRepository: {}", aws_error(&e)));
    let waited = started.elapsed();
    assert!(
        waited >= hold,
        "answered after {waited:?}, before the hold of {hold:?}"
    );
    assert!(waited < hold + Duration::from_secs(5), "{waited:?}");
    assert_eq!(
        answer.repository().and_then(|r| r.repository_name()),
        Some("harness-held")
    );
    assert_eq!(proxy.counts().holding(&create), 0);

    proxy.hang(&delete);
    let hung = rt.spawn({
        let ecr = ecr.clone();
        async move {
            ecr.delete_repository()
                .repository_name("harness-held")
                .send()
                .await
        }
    });
    proxy.wait_until("the hung DeleteRepository", Duration::from_secs(10), |c| {
        c.hanging(&delete) == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!hung.is_finished(), "a hung call gets no answer");
    proxy.clear();
    let outcome = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), hung)
            .await
            .expect("clear releases the hung call")
            .expect("join")
    });
    let err = outcome.expect_err("a released hung call has no answer");
    assert!(
        err.raw_response().is_none(),
        "no HTTP answer: {}",
        aws_error(&err)
    );
    // It never reached the emulator: the repository is still there.
    rt.block_on(
        direct
            .describe_repositories()
            .repository_names("harness-held")
            .send(),
    )
    .unwrap_or_else(|e| panic!("the repository is still there: {}", aws_error(&e)));
    let counts = proxy.counts();
    assert_eq!(counts.faults(&delete), 1, "{counts:#?}");
    assert_eq!(counts.hanging(&delete), 0, "{counts:#?}");
}

/// A one-in-K rule on any operation fires on exactly every K-th call.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn one_in_k_rule_fires_on_every_kth_call() {
    require_acc();
    let emu = Emulator::start(EmulatorKind::Ministack);
    let proxy = FaultProxy::start(&emu);
    let ecr = ecr_without_retries(&proxy.endpoint());
    let rt = runtime();
    proxy.one_in(target::ANY, 4, Fault::Throttle);
    let outcomes: Vec<bool> = (0..12)
        .map(|_| rt.block_on(ecr.describe_repositories().send()).is_err())
        .collect();
    let expected: Vec<bool> = (1..=12).map(|n| n % 4 == 0).collect();
    assert_eq!(outcomes, expected, "which of 12 calls failed");
    let counts = proxy.counts();
    assert_eq!(counts.total_faults(), 3, "{counts:#?}");
    assert_eq!(counts.total_seen(), 12, "{counts:#?}");
}
