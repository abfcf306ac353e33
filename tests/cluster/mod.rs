//! Several servers over one database and one object store: what one server writes, another serves.

mod files;
mod jobs;
mod kill;
mod limits;
mod replica;
mod standby;
pub mod weed;

use api::AppState;
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::TestApp;

/// A second server beside `app`: its own state and router over the same database and settings.
pub struct Server {
    pub state: AppState,
    pub router: Router,
}

impl Server {
    pub fn beside(app: &TestApp) -> Self {
        Self::with_config(app, |_| {})
    }

    /// A second server whose settings differ from `app`'s as `adjust` says.
    pub fn with_config(app: &TestApp, adjust: impl FnOnce(&mut api::config::Config)) -> Self {
        let mut config = (*app.state.config).clone();
        adjust(&mut config);
        let state = AppState::new(app.db.clone(), app.state.lookups.clone(), config).unwrap();
        Self { router: api::app(state.clone()), state }
    }

    pub async fn run_jobs(&self) -> usize {
        api::jobs::worker::drain(&self.state.job_runtime(), "second-server").await.expect("jobs")
    }

    pub async fn download(&self, link: &str) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(Request::get(link).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
    }
}

/// Runs `work` to its end on a thread and runtime of its own: setup that blocks (starting a service once
/// per run) is reached from inside a test's runtime, which must not block on another.
pub fn on_own_thread<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(work)
    })
    .join()
    .unwrap()
}
