//! Fault injection for the acceptance tests, compiled in only with the cargo feature
//! `test-hooks` (`make test` enables it; `make release` and `make install` do not). Without the
//! feature every hook is an empty function.

/// Panics right after a create reached AWS when `TODO_TEST_PANIC_AFTER_CREATE` names the
/// resource type, so a test can check that the created object still reaches the state.
#[cfg(feature = "test-hooks")]
pub fn panic_after_create(type_name: &str) {
    if std::env::var("TODO_TEST_PANIC_AFTER_CREATE").as_deref() == Ok(type_name) {
        panic!("test hook: panic after creating a {type_name}");
    }
}

/// Without the `test-hooks` feature: nothing.
#[cfg(not(feature = "test-hooks"))]
#[inline]
pub fn panic_after_create(_type_name: &str) {}
