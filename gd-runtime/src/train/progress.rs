//! Progress bar for long runs: indicatif on stderr, hidden when stderr is not
//! a terminal (tests, CI, pipes) or when disabled.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) fn bar(total: u64, enabled: bool) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} epoch {pos}/{len} {msg} [{elapsed} < {eta}]") {
        bar.set_style(style);
    }
    bar
}

pub(crate) fn update(bar: &ProgressBar, epoch: usize, loss: f64) {
    if bar.is_hidden() {
        return;
    }
    bar.set_position(epoch as u64 + 1);
    bar.set_message(format!("loss {loss:.4e}"));
}
