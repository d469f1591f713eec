//! Integration tests: one binary (one link) for every module, run against the emulators that
//! `scripts/test.sh` starts. A missing emulator fails the test with the command that starts it.

mod support;

mod browser;
mod budget;
mod cli;
mod core;
mod deps;
mod envs;
mod examples;
mod faults;
mod import;
mod init;
mod interrupt;
mod logs;
mod platform;
mod proxy;
mod security;
mod smoke;
