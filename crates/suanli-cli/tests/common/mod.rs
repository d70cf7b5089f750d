//! Helpers shared by the integration tests.

/// Debian's Chromium (or another build of it), or `None` outside CI when none is installed.
/// Under CI (`CI` set) a missing browser fails: `.ci/run` installs it.
pub(crate) fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium (.ci/run); it is missing");
        eprintln!("skipped: chromium is not installed (CI installs it)");
    }
    found
}
