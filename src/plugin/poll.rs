//! One poller for every wait, in the shape of terraform-plugin-sdk's `StateChangeConf`: a
//! refresh function reports the object's state; the wait ends when the state is a target,
//! goes on while it is pending, and fails on any other state, on a final refresh error, at the
//! deadline, or when Terraform asks the provider to stop. A classification hook decides which
//! refresh errors are transient (polled through) and which are final.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::resource::CallContext;

/// How long one refresh may take even when the wait's deadline is nearer: a wait of `0s`
/// still gets one answer.
pub const MIN_REFRESH_TIME: Duration = Duration::from_secs(30);

/// Where a deadline too far to represent is put instead: about 30 years ahead, as tokio does
/// for its own far-future timers.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `timeout` from now, or `FAR_FUTURE` from now when that would overflow: a
/// huge timeout means "no practical limit", never a panic.
pub fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

/// Whether a refresh error ends the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Poll again after the usual delay (throttling, a read right after a write).
    Transient,
    /// Stop waiting and report the error.
    Final,
}

/// Every refresh error is final: the classification for waits that retry nothing.
pub fn all_final<E>(_error: &E) -> ErrorKind {
    ErrorKind::Final
}

/// Why a wait ended without reaching a target state.
#[derive(Debug)]
pub enum WaitError<S, E> {
    /// The deadline passed; the last state seen and the last transient error, if any.
    Timeout {
        /// The wait's time limit.
        timeout: Duration,
        /// The last state the refresh reported.
        last_state: Option<S>,
        /// The last transient error, if the last refresh failed.
        last_error: Option<E>,
    },
    /// Terraform sent StopProvider.
    Stopped,
    /// The refresh failed with a final error.
    Failed(E),
    /// The refresh reported a state that is neither pending nor a target.
    Unexpected(S),
}

/// How a wait polls: its time limit and the delays between refreshes (doubling from
/// `first_delay` up to `max_delay`).
#[derive(Debug, Clone, Copy)]
pub struct Poller {
    /// The time limit of the whole wait.
    pub timeout: Duration,
    /// The delay before the second refresh.
    pub first_delay: Duration,
    /// The longest delay between refreshes.
    pub max_delay: Duration,
}

impl Poller {
    /// A wait of at most `timeout`, polling after 500 ms, then doubling up to 10 s.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }

    /// The same wait with other delays.
    pub fn delays(mut self, first: Duration, max: Duration) -> Self {
        self.first_delay = first;
        self.max_delay = max;
        self
    }

    /// Polls `refresh` until it reports one of `target` (returned), while it reports one of
    /// `pending`. Each refresh is bounded by the deadline too (or [`MIN_REFRESH_TIME`], when
    /// that is later), so a hung call cannot hold the wait forever.
    pub async fn until<S, E, F, Fut>(
        &self,
        ctx: &CallContext,
        pending: &[S],
        target: &[S],
        mut refresh: F,
        classify: impl Fn(&E) -> ErrorKind,
    ) -> Result<S, WaitError<S, E>>
    where
        S: PartialEq + Debug,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<S, E>>,
    {
        let deadline = deadline_after(self.timeout);
        let mut delay = self.first_delay;
        let mut last_state = None;
        let mut last_error = None;
        loop {
            // A refresh may outlive a very short deadline, so that every wait gets an answer,
            // but never by more than MIN_REFRESH_TIME.
            let bound = deadline.max(deadline_after(MIN_REFRESH_TIME));
            let refreshed = tokio::select! {
                biased;
                () = ctx.cancelled() => return Err(WaitError::Stopped),
                result = tokio::time::timeout_at(bound, refresh()) => result,
            };
            match refreshed {
                Err(_elapsed) => {
                    return Err(WaitError::Timeout {
                        timeout: self.timeout,
                        last_state,
                        last_error,
                    });
                }
                Ok(Ok(state)) if target.contains(&state) => return Ok(state),
                Ok(Ok(state)) if pending.contains(&state) => {
                    crate::log_debug!(?state, "still waiting");
                    last_state = Some(state);
                    last_error = None;
                }
                Ok(Ok(state)) => return Err(WaitError::Unexpected(state)),
                Ok(Err(error)) => match classify(&error) {
                    ErrorKind::Final => return Err(WaitError::Failed(error)),
                    ErrorKind::Transient => last_error = Some(error),
                },
            }
            if deadline.saturating_duration_since(Instant::now()) < delay {
                return Err(WaitError::Timeout {
                    timeout: self.timeout,
                    last_state,
                    last_error,
                });
            }
            tokio::select! {
                () = ctx.cancelled() => return Err(WaitError::Stopped),
                () = tokio::time::sleep(delay) => {}
            }
            delay = delay.saturating_mul(2).min(self.max_delay);
        }
    }

    /// Polls `find` until it finds the object (returned), while it reports none: for reads
    /// right after a create, which eventually consistent APIs may answer with "not found" for
    /// a while. Errors are classified as in [`Poller::until`]; at the deadline the wait ends
    /// with [`WaitError::Timeout`] (the last state `false`: not found).
    pub async fn until_found<T, E, F, Fut>(
        &self,
        ctx: &CallContext,
        find: F,
        classify: impl Fn(&E) -> ErrorKind,
    ) -> Result<T, WaitError<bool, E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, E>>,
    {
        match self
            .until_answer(ctx, find, Option::is_some, classify)
            .await?
        {
            Some(object) => Ok(object),
            None => Err(WaitError::Unexpected(false)),
        }
    }

    /// Polls `refresh` until it answers a value that `settled` accepts (returned); answers it
    /// does not accept are polled again, errors are classified as in [`Poller::until`]. With
    /// `settled` always true, this retries transient errors until the first answer.
    pub async fn until_answer<T, E, F, Fut>(
        &self,
        ctx: &CallContext,
        mut refresh: F,
        settled: impl Fn(&T) -> bool,
        classify: impl Fn(&E) -> ErrorKind,
    ) -> Result<T, WaitError<bool, E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let answer = std::sync::Mutex::new(None);
        let settled = &settled;
        let state = || {
            let asked = refresh();
            let answer = &answer;
            async move {
                let value = asked.await?;
                let is_settled = settled(&value);
                if let Ok(mut slot) = answer.lock() {
                    *slot = Some(value);
                }
                Ok(is_settled)
            }
        };
        self.until(ctx, &[false], &[true], state, classify).await?;
        match answer.into_inner() {
            Ok(Some(value)) => Ok(value),
            _ => Err(WaitError::Unexpected(false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio_util::sync::CancellationToken;

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum State {
        Pending,
        Done,
        Broken,
    }

    type Refreshed = Result<State, &'static str>;

    /// Waits for `Done` through `Pending`, polling every few milliseconds for at most
    /// `timeout_ms`, with `ctx`.
    async fn wait_with<F, Fut>(
        ctx: &CallContext,
        timeout_ms: u64,
        refresh: F,
        classify: fn(&&'static str) -> ErrorKind,
    ) -> Result<State, WaitError<State, &'static str>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Refreshed>,
    {
        Poller::new(Duration::from_millis(timeout_ms))
            .delays(Duration::from_millis(1), Duration::from_millis(4))
            .until(ctx, &[State::Pending], &[State::Done], refresh, classify)
            .await
    }

    /// A refresh that reports `states` in turn (the last one forever), and its call count.
    fn script(
        states: Vec<Refreshed>,
    ) -> (
        Arc<AtomicUsize>,
        impl FnMut() -> std::future::Ready<Refreshed>,
    ) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let refresh = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(states[n.min(states.len() - 1)].clone())
        };
        (calls, refresh)
    }

    /// Runs `states` through a wait of 1 s; the result and the number of refreshes.
    async fn run(
        states: Vec<Refreshed>,
        classify: fn(&&'static str) -> ErrorKind,
    ) -> (Result<State, WaitError<State, &'static str>>, usize) {
        let (calls, refresh) = script(states);
        let result = wait_with(&CallContext::default(), 1000, refresh, classify).await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn waits_through_pending_states_until_a_target() {
        let states = vec![Ok(State::Pending), Ok(State::Pending), Ok(State::Done)];
        let (result, calls) = run(states, all_final).await;
        assert_eq!(result.ok(), Some(State::Done));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn an_unexpected_state_or_a_final_error_ends_the_wait() {
        let (result, _) = run(vec![Ok(State::Pending), Ok(State::Broken)], all_final).await;
        assert!(matches!(result, Err(WaitError::Unexpected(State::Broken))));
        let (result, calls) = run(vec![Err("denied"), Ok(State::Done)], all_final).await;
        assert!(matches!(result, Err(WaitError::Failed("denied"))));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn until_answer_returns_the_first_settled_answer_through_transient_errors() {
        let poller = Poller::new(Duration::from_secs(1))
            .delays(Duration::from_millis(1), Duration::from_millis(4));
        let ctx = CallContext::default();
        let states = vec![Err("throttled"), Ok(State::Pending), Ok(State::Broken)];
        let (calls, refresh) = script(states.clone());
        let first = poller
            .until_answer(&ctx, refresh, |_| true, |_| ErrorKind::Transient)
            .await;
        assert_eq!(first.ok(), Some(State::Pending), "any answer settles");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let (calls, refresh) = script(states);
        let broken = poller
            .until_answer(
                &ctx,
                refresh,
                |s| *s == State::Broken,
                |_| ErrorKind::Transient,
            )
            .await;
        assert_eq!(
            broken.ok(),
            Some(State::Broken),
            "unsettled answers are polled again"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let found = poller
            .until_found(
                &ctx,
                || std::future::ready(Ok::<_, &str>(Some(7))),
                all_final,
            )
            .await;
        assert_eq!(found.ok(), Some(7));
    }

    #[tokio::test]
    async fn transient_errors_are_polled_through() {
        let states = vec![Err("throttled"), Err("throttled"), Ok(State::Done)];
        let (result, calls) = run(states, |_| ErrorKind::Transient).await;
        assert_eq!(result.ok(), Some(State::Done));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn the_deadline_ends_a_wait_that_stays_pending() {
        let (_, refresh) = script(vec![Ok(State::Pending)]);
        let result = wait_with(&CallContext::default(), 20, refresh, all_final).await;
        assert!(matches!(
            result,
            Err(WaitError::Timeout {
                last_state: Some(State::Pending),
                ..
            })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_refresh_is_cut_off_but_a_slow_one_still_answers() {
        let ctx = CallContext::default();
        let started = tokio::time::Instant::now();
        let hung = || std::future::pending::<Refreshed>();
        let result = wait_with(&ctx, 50, hung, all_final).await;
        assert!(matches!(result, Err(WaitError::Timeout { .. })));
        let waited = started.elapsed();
        assert!(waited >= MIN_REFRESH_TIME && waited < MIN_REFRESH_TIME + Duration::from_secs(1));

        // A wait of zero still gets the answer of a refresh that takes a few seconds.
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Ok(State::Done)
        };
        let result = wait_with(&ctx, 0, slow, all_final).await;
        assert_eq!(result.ok(), Some(State::Done));
    }

    #[test]
    fn an_absurd_timeout_is_a_far_deadline_not_a_panic() {
        let now = Instant::now();
        let deadline = deadline_after(Duration::MAX);
        assert!(deadline >= now + Duration::from_secs(86_400 * 365));
        let soon = deadline_after(Duration::from_secs(5));
        assert!(soon >= now + Duration::from_secs(5) && soon < deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_with_absurd_timeouts_and_delays_do_not_overflow() {
        let ctx = CallContext::default();
        // The issue's `timeouts { create = "9999999999999999999s" }`, and more.
        for timeout in [
            Duration::from_secs(9_999_999_999_999_999_999),
            Duration::MAX,
        ] {
            let states = vec![Ok(State::Pending), Ok(State::Pending), Ok(State::Done)];
            let (calls, refresh) = script(states);
            let result = Poller::new(timeout)
                .delays(Duration::from_millis(1), Duration::MAX)
                .until(&ctx, &[State::Pending], &[State::Done], refresh, all_final)
                .await;
            assert_eq!(result.ok(), Some(State::Done));
            assert_eq!(calls.load(Ordering::SeqCst), 3);
        }
        // A delay too long to add to an instant: the wait ends at its deadline instead.
        let (_, refresh) = script(vec![Ok(State::Pending)]);
        let result = Poller::new(Duration::from_secs(60))
            .delays(Duration::MAX / 2 + Duration::from_secs(1), Duration::MAX)
            .until(&ctx, &[State::Pending], &[State::Done], refresh, all_final)
            .await;
        assert!(matches!(result, Err(WaitError::Timeout { .. })));
    }

    #[tokio::test]
    async fn stop_provider_cancels_the_wait() {
        let token = CancellationToken::new();
        let ctx = CallContext::new(token.clone());
        let (_, refresh) = script(vec![Ok(State::Pending)]);
        token.cancel();
        let result = wait_with(&ctx, 60_000, refresh, all_final).await;
        assert!(matches!(result, Err(WaitError::Stopped)));
    }
}
