//! Stored files (uploaded imports, reports, templates, exports) and the signed links that download them
//! (served by `http::files`).
//! Files live in one object store: a local folder by default, or an S3-compatible bucket shared by every
//! server (`backend`). A key names the organization first, and a link is an HMAC over the key and its
//! expiry, so it needs no other credential, cannot be altered to reach another organization's file, and
//! stops working when it expires. Downloads stream through the API rather than redirecting to the bucket,
//! so a link looks and behaves the same on both backends and a removed file stops serving at once.

mod backend;

use std::{path::PathBuf, sync::Arc};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use hmac::{Hmac, Mac};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart, path::Path as StorePath};
use sha2::Sha256;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

pub use backend::StorageSettings;

use crate::error::{ApiError, ApiResult};

/// The size of each part of a multipart upload (S3 asks at least 5 MiB of every part but the last).
const PART: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    /// A local folder for files being written in pieces before they are published.
    staging: PathBuf,
    secret: Arc<Vec<u8>>,
    link_ttl_secs: i64,
}

impl FileStore {
    pub fn new(
        settings: &StorageSettings,
        staging: PathBuf,
        signing_secret: &[u8],
        link_ttl_secs: i64,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&staging)?;
        // Domain-separated from the token key: a link signature is never a valid token signature.
        let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret).expect("HMAC takes any key length");
        mac.update(b"file-links");
        let secret = Arc::new(mac.finalize().into_bytes().to_vec());
        Ok(Self { store: settings.open()?, staging, secret, link_ttl_secs })
    }

    /// A new key: `<organization>/<kind>/<random>.<ext>`.
    pub fn new_key(organization_id: Uuid, kind: &str, ext: &str) -> String {
        format!("{organization_id}/{kind}/{}.{ext}", Uuid::new_v4().simple())
    }

    /// A new key whose download is named `<name>.<ext>`: `<organization>/<kind>/<random>--<name>.<ext>`.
    /// `name` is reduced to lower-case ASCII letters, digits and dashes.
    pub fn named_key(organization_id: Uuid, kind: &str, name: &str, ext: &str) -> String {
        format!("{organization_id}/{kind}/{}--{}.{ext}", Uuid::new_v4().simple(), slug(name, 80))
    }

    /// The name a download of `key` is saved under: what `named_key` was given, else the key's last part.
    pub fn download_name(key: &str) -> &str {
        let last = key.rsplit('/').next().unwrap_or("file");
        last.split_once("--").map_or(last, |(_, name)| name)
    }

    /// The store's name for a key; refuses anything that is not a key we made.
    fn location(key: &str) -> ApiResult<StorePath> {
        let ok = !key.is_empty()
            && key.split('/').count() == 3
            && key.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
            && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !ok {
            return Err(ApiError::not_found("File"));
        }
        StorePath::parse(key).map_err(|_| ApiError::not_found("File"))
    }

    /// Writes the bytes under `key` at once: a reader never sees half a file.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> ApiResult<()> {
        let location = Self::location(key)?;
        if bytes.len() <= PART {
            self.store.put(&location, PutPayload::from(bytes)).await.map_err(unavailable)?;
            return Ok(());
        }
        let mut upload =
            WriteMultipart::new_with_chunk_size(self.store.put_multipart(&location).await.map_err(unavailable)?, PART);
        upload.put(Bytes::from(bytes));
        finish(upload).await
    }

    /// Where a file being written in pieces goes until `publish` sends it under its key, so a half
    /// written file is never downloadable.
    pub fn staging_path(&self, key: &str) -> ApiResult<PathBuf> {
        Self::location(key)?;
        Ok(self.staging.join(key.replace('/', "_")).with_extension("partial"))
    }

    /// Sends the staged file under its key in parts (never whole in memory), then removes the staged copy.
    /// A failed upload is aborted: nothing half written is published.
    pub async fn publish(&self, key: &str) -> ApiResult<()> {
        let staged = self.staging_path(key)?;
        let mut file = tokio::fs::File::open(&staged).await.map_err(ApiError::internal)?;
        let upload = self.store.put_multipart(&Self::location(key)?).await.map_err(unavailable)?;
        let mut upload = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buf = vec![0u8; 1024 * 1024];
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = upload.abort().await;
                    return Err(ApiError::internal(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = upload.wait_for_capacity(2).await {
                let _ = upload.abort().await;
                return Err(unavailable(e));
            }
            upload.write(&buf[..n]);
        }
        finish(upload).await?;
        let _ = tokio::fs::remove_file(&staged).await;
        Ok(())
    }

    /// Removes a file and any staged copy of it; a missing file is not an error, a store that cannot
    /// delete is (`UNAVAILABLE`), so a sweep can try again later.
    pub async fn remove(&self, key: &str) -> ApiResult<()> {
        if let Ok(staged) = self.staging_path(key) {
            let _ = tokio::fs::remove_file(staged).await;
        }
        match self.store.delete(&Self::location(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn get(&self, key: &str) -> ApiResult<Vec<u8>> {
        let found = self.store.get(&Self::location(key)?).await.map_err(missing_or_unavailable)?;
        Ok(found.bytes().await.map_err(unavailable)?.to_vec())
    }

    /// The file's bytes as they arrive from the store, for a download.
    pub async fn stream(&self, key: &str) -> ApiResult<impl Stream<Item = std::io::Result<Bytes>> + use<>> {
        let found = self.store.get(&Self::location(key)?).await.map_err(missing_or_unavailable)?;
        Ok(found.into_stream().map_err(std::io::Error::other).boxed())
    }

    /// A relative download link valid for the configured time.
    pub fn signed_url(&self, key: &str) -> String {
        let expires = chrono::Utc::now().timestamp() + self.link_ttl_secs;
        format!("/files/{key}?expires={expires}&signature={}", self.sign(key, expires))
    }

    fn sign(&self, key: &str, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(format!("{key}\n{expires}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, key: &str, expires: i64, signature: &str) -> bool {
        if expires < chrono::Utc::now().timestamp() {
            return false;
        }
        let Ok(given) = hex::decode(signature) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(format!("{key}\n{expires}").as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

async fn finish(upload: WriteMultipart) -> ApiResult<()> {
    upload.finish().await.map_err(unavailable)?;
    Ok(())
}

/// The store failed (down, refusing, out of space): the client may try again later.
fn unavailable(err: object_store::Error) -> ApiError {
    tracing::error!(error = %err, "file storage failed");
    ApiError::Unavailable("File storage is unavailable; try again later".into())
}

fn missing_or_unavailable(err: object_store::Error) -> ApiError {
    match err {
        object_store::Error::NotFound { .. } => ApiError::not_found("File"),
        other => unavailable(other),
    }
}

/// `text` as lower-case ASCII words joined by dashes, at most `max` characters ("Inmobiliaria Solé" ->
/// "inmobiliaria-sole"); never empty.
pub fn slug(text: &str, max: usize) -> String {
    let folded = deunicode::deunicode(text).to_lowercase();
    let words: Vec<&str> = folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut out = String::new();
    for word in words {
        if out.is_empty() {
            out.extend(word.chars().take(max)); // One long word is cut rather than lost.
        } else if out.len() + word.len() < max {
            out.push('-');
            out.push_str(word);
        } else {
            break;
        }
    }
    if out.is_empty() { "file".into() } else { out }
}
