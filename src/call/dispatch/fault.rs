//! Fault injection for tests, compiled into debug builds only: the
//! environment variable `SWITCHBOARD_FAULT_DISPATCH_PANIC`, a comma-separated
//! list of extensions, makes the dispatch task panic whenever the
//! registration of one of them changes. Release builds have no such hook.

/// The variable naming the extensions whose registration panics dispatch.
pub const PANIC_ON_REGISTRATION: &str = "SWITCHBOARD_FAULT_DISPATCH_PANIC";

/// Panics if `aor` (`sip:user@domain`) is one of the listed extensions.
pub fn on_registration(aor: &str) {
    let Ok(list) = std::env::var(PANIC_ON_REGISTRATION) else {
        return;
    };
    let user = aor
        .split_once(':')
        .map_or(aor, |(_, rest)| rest)
        .split('@')
        .next()
        .unwrap_or("");
    if list.split(',').any(|u| !u.is_empty() && u.trim() == user) {
        panic!("fault injected: dispatch panics on the registration of {user}");
    }
}
