//! What the window's tests share.

#![allow(dead_code, clippy::panic)] // Each test file uses its own part; a timeout is the report.

use std::time::Duration;

use egui_kittest::Harness;
use ui::Workbench;

/// Step the UI until `done` says so (the worker runs in real time).
pub fn until(h: &mut Harness<'static, Workbench>, what: &str, done: impl Fn(&Workbench) -> bool) {
    for _ in 0..1500 {
        h.step();
        if done(h.state()) {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}
