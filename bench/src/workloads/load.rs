//! Sends requests from `concurrency` workers until a deadline and sorts the answers: successes,
//! deliberate refusals (429 rate limit, 503 load shedding) and errors (anything else, including a 200
//! whose GraphQL answer carries `errors`).

use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{body::Body, http::Request};
use http_body_util::BodyExt;

use super::{Report, client::HttpClient};

#[derive(Default)]
pub struct Outcome {
    pub latencies: Vec<Duration>,
    pub rate_limited: usize,
    pub shed: usize,
    pub errors: usize,
    /// The first error's status and body, to say what went wrong.
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn report(self, name: impl Into<String>) -> Report {
        if let Some(error) = &self.first_error {
            eprintln!("first error: {}", &error[..error.len().min(400)]);
        }
        Report {
            name: name.into(),
            requests: self.latencies.len(),
            errors: self.errors,
            elapsed: self.elapsed,
            latencies: self.latencies,
        }
    }
}

/// How one request ended.
pub enum Verdict {
    Done,
    RateLimited,
    Shed,
    Failed(String),
}

/// Runs `build(i, worker)` requests (i counts across workers) for `duration`.
pub async fn drive<F>(http: &HttpClient, concurrency: usize, duration: Duration, build: F) -> Outcome
where
    F: Fn(usize, usize) -> Request<Body> + Send + Sync + 'static,
{
    let http = http.clone();
    steps(concurrency, duration, move |i, worker| {
        let (http, request) = (http.clone(), build(i, worker));
        async move {
            let (status, body) = match http.request(request).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    (status, res.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default())
                }
                Err(err) => (0, err.to_string().into_bytes().into()),
            };
            let graphql_error = body.starts_with(b"{\"errors\"") || body.windows(10).any(|w| w == b"\"errors\":[");
            match (status, graphql_error) {
                (429, _) => Verdict::RateLimited,
                (503, _) => Verdict::Shed,
                (200, false) => Verdict::Done,
                _ => Verdict::Failed(format!("{status} {}", String::from_utf8_lossy(&body))),
            }
        }
    })
    .await
}

/// Runs `step(i, worker)` from `concurrency` workers for `duration` (i counts across workers), timing each.
pub async fn steps<S, F>(concurrency: usize, duration: Duration, step: S) -> Outcome
where
    S: Fn(usize, usize) -> F + Send + Sync + 'static,
    F: Future<Output = Verdict> + Send,
{
    let step = Arc::new(step);
    let counter = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(Mutex::new(Outcome::default()));
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (step, counter, total) = (step.clone(), counter.clone(), total.clone());
            tokio::spawn(async move {
                let mut mine = Outcome::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let verdict = step(counter.fetch_add(1, Ordering::Relaxed), worker).await;
                    mine.latencies.push(t.elapsed());
                    match verdict {
                        Verdict::Done => {}
                        Verdict::RateLimited => mine.rate_limited += 1,
                        Verdict::Shed => mine.shed += 1,
                        Verdict::Failed(error) => {
                            mine.errors += 1;
                            mine.first_error.get_or_insert(error);
                        }
                    }
                }
                let mut total = total.lock().unwrap_or_else(|e| e.into_inner());
                total.latencies.extend(mine.latencies);
                total.rate_limited += mine.rate_limited;
                total.shed += mine.shed;
                total.errors += mine.errors;
                if total.first_error.is_none() {
                    total.first_error = mine.first_error;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let mut outcome = std::mem::take(&mut *total.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.elapsed = started.elapsed();
    outcome
}
