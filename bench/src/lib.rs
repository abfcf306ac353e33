//! Benchmark tools kept out of the server: `seed` writes a realistic, deterministic data set, and
//! `workloads` drive a server over HTTP and print throughput, latency and memory.

pub mod seed;
pub mod workloads;
