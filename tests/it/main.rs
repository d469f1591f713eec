//! Integration tests: one binary (one link) for every module, run against the emulators that
//! `scripts/test.sh` starts. A missing emulator fails the test with the command that starts it.

mod support;

mod browser;
mod budget;
mod bulk;
mod cli;
mod core;
mod examples;
mod faults;
mod import;
mod init;
mod interrupt;
mod logs;
mod messages;
mod proxy;
mod readme;
mod security;
mod smoke;
