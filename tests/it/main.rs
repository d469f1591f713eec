//! Integration tests: one binary (one link) for every module, run against the emulators that
//! `scripts/test.sh` starts. A missing emulator fails the test with the command that starts it.

mod support;

mod browser;
mod budget;
mod bulk;
mod cli;
mod coexist;
mod core;
mod deps;
mod envs;
mod events;
mod examples;
mod faults;
mod implicit;
mod import;
mod init;
mod interrupt;
mod limits;
mod logs;
mod messages;
mod ownership;
mod platform;
mod proxy;
mod readme;
mod runtimes;
mod security;
mod smoke;
mod streams;
