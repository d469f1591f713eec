//! stackctl: Lambda + API Gateway stacks declared in one stack.toml, diffed against live AWS.
//!
//! The pipeline, one module per stage: [`config`] (file) → [`desired`] (model) and [`live`] (AWS)
//! → [`diff`] → [`plan`] → [`apply`]; [`render`] is the only place that prints.

pub mod apply;
pub mod aws;
pub mod build;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod desired_events;
pub mod diff;
pub mod engine;
pub mod error;
pub mod import;
pub mod init;
pub mod invoke;
pub mod live;
pub mod local;
pub mod logs;
pub mod model;
pub mod model_events;
pub mod names;
pub mod package;
pub mod plan;
pub mod policy;
pub mod render;
pub mod report;
pub mod smoke;
