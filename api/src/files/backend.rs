//! Which object store holds the files: a local folder (the default, one server) or an S3-compatible
//! bucket (AWS S3, MinIO, SeaweedFS, ...) that every server of a cluster shares.

use std::{path::PathBuf, sync::Arc, time::Duration};

use object_store::{ClientOptions, ObjectStore, RetryConfig, aws::AmazonS3Builder, local::LocalFileSystem};

use crate::config::Config;

#[derive(Clone, Debug)]
pub enum StorageSettings {
    Local { root: PathBuf },
    S3 { bucket: String, endpoint: Option<String>, region: String, access_key_id: String, secret_access_key: String },
}

impl StorageSettings {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let Some(bucket) = config.files_s3_bucket.clone().filter(|b| !b.is_empty()) else {
            return Ok(Self::Local { root: PathBuf::from(&config.files_dir) });
        };
        let (Some(access_key_id), Some(secret_access_key)) =
            (config.files_s3_access_key_id.clone(), config.files_s3_secret_access_key.clone())
        else {
            anyhow::bail!(
                "FILES_S3_BUCKET is set: FILES_S3_ACCESS_KEY_ID and FILES_S3_SECRET_ACCESS_KEY are needed too"
            );
        };
        Ok(Self::S3 {
            bucket,
            endpoint: config.files_s3_endpoint.clone().filter(|e| !e.is_empty()),
            region: config.files_s3_region.clone(),
            access_key_id,
            secret_access_key,
        })
    }

    pub fn open(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        Ok(match self {
            Self::Local { root } => {
                std::fs::create_dir_all(root)?;
                Arc::new(LocalFileSystem::new_with_prefix(root)?)
            }
            Self::S3 { bucket, endpoint, region, access_key_id, secret_access_key } => {
                // The TLS provider reqwest is built without (see the workspace manifest).
                let _ = rustls::crypto::ring::default_provider().install_default();
                // A store that is down fails a request within seconds instead of holding a job or an
                // upload for minutes of retries.
                let retry =
                    RetryConfig { max_retries: 2, retry_timeout: Duration::from_secs(10), ..Default::default() };
                let client = ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(3))
                    .with_timeout(Duration::from_secs(60));
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_retry(retry)
                    .with_client_options(client);
                if let Some(endpoint) = endpoint {
                    // Self-hosted stores answer at one address with the bucket in the path.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                Arc::new(builder.build()?)
            }
        })
    }
}
