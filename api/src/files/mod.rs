//! Stored files (uploaded imports, reports, templates, exports) and the signed links that download them
//! (served by `http::files`).
//! Files live under one local folder; a key names the organization first, and a link is an HMAC over the
//! key and its expiry, so it needs no other credential, cannot be altered to reach another
//! organization's file, and stops working when it expires.

use std::{path::PathBuf, sync::Arc};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

#[derive(Clone)]
pub struct FileStore {
    root: PathBuf,
    secret: Arc<Vec<u8>>,
    link_ttl_secs: i64,
}

impl FileStore {
    pub fn local(root: impl Into<PathBuf>, signing_secret: &[u8], link_ttl_secs: i64) -> Self {
        // Domain-separated from the token key: a link signature is never a valid token signature.
        let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret).expect("HMAC takes any key length");
        mac.update(b"file-links");
        Self { root: root.into(), secret: Arc::new(mac.finalize().into_bytes().to_vec()), link_ttl_secs }
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

    /// The path of a key; refuses anything that is not a key we made.
    pub fn path(&self, key: &str) -> ApiResult<PathBuf> {
        let ok = !key.is_empty()
            && key.split('/').count() == 3
            && key.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
            && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !ok {
            return Err(ApiError::not_found("File"));
        }
        Ok(self.root.join(key))
    }

    /// Writes the bytes under `key`, atomically (a reader never sees half a file).
    pub async fn put(&self, key: &str, bytes: &[u8]) -> ApiResult<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(ApiError::internal)?;
        }
        let tmp = path.with_extension("partial");
        tokio::fs::write(&tmp, bytes).await.map_err(ApiError::internal)?;
        tokio::fs::rename(&tmp, &path).await.map_err(ApiError::internal)
    }

    /// Where a file being written in pieces goes until `publish` moves it under its key, so a half
    /// written file is never downloadable.
    pub fn staging_path(&self, key: &str) -> ApiResult<PathBuf> {
        Ok(self.path(key)?.with_extension("partial"))
    }

    pub async fn publish(&self, key: &str) -> ApiResult<()> {
        tokio::fs::rename(self.staging_path(key)?, self.path(key)?).await.map_err(ApiError::internal)
    }

    /// Removes a file and any staged copy of it; a missing file is not an error.
    pub async fn remove(&self, key: &str) {
        for path in [self.staging_path(key), self.path(key)].into_iter().flatten() {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    pub async fn get(&self, key: &str) -> ApiResult<Vec<u8>> {
        tokio::fs::read(self.path(key)?).await.map_err(|_| ApiError::not_found("File"))
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
