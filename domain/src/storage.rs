//! Where encrypted file content lives: a local directory or an S3 bucket, through
//! `object_store`.
//!
//! A file's content is stored as its upload parts, each a separate object
//! `<blob id>/<part number>`, and read back by streaming those parts in order. Nothing is
//! composed or copied at completion, so memory stays bounded (one part per request being
//! uploaded, a few buffers per download) and the scheme is the same on a disk and on S3.
//! Blob ids are 128 random bits chosen by the server; no object name ever comes from a user.

use std::{
    collections::{HashMap, HashSet},
    ops::Range,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use futures_util::{stream::BoxStream, StreamExt, TryStreamExt};
use object_store::{
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path, GetOptions, GetRange, ObjectStore,
    ObjectStoreExt, PutPayload,
};

use crate::settings::StorageConfig;

/// The blob store. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The directory when `store` is a local one (read in [`LOCAL_READ`] ranges, see
    /// [`Storage::read`]; its staging files are cleaned up, see [`Storage::remove_stale_staging`]).
    local_root: Option<PathBuf>,
    /// Blobs this process is writing a part of right now, with how many writes each.
    writing: Arc<Mutex<HashMap<String, usize>>>,
}

/// Marks a blob as being written while it lives.
struct Writing<'a> {
    writing: &'a Mutex<HashMap<String, usize>>,
    blob: String,
}

impl<'a> Writing<'a> {
    fn start(writing: &'a Mutex<HashMap<String, usize>>, blob: &str) -> Self {
        *writing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(blob.to_string())
            .or_insert(0) += 1;
        Writing {
            writing,
            blob: blob.to_string(),
        }
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let mut writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = writing.get_mut(&self.blob) {
            *n -= 1;
            if *n == 0 {
                writing.remove(&self.blob);
            }
        }
    }
}

/// Bytes per read from a local directory. object_store's local `into_stream()` reads 8 KiB per
/// blocking task, which cost the server ~6 CPU-seconds per GB served; 1 MiB ranges read with one
/// call each cost a fraction of that (docs/PERFORMANCE.md) and keep 2 MiB per download in memory.
const LOCAL_READ: u64 = 1 << 20;
/// Local range reads running ahead of the response.
const LOCAL_READS_AHEAD: usize = 2;

/// Names the store only: the S3 client's own `Debug` would print its credentials.
impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({})", self.store)
    }
}

/// A storage failure; the detail (which may hold paths) is for the log only.
pub type StorageError = object_store::Error;

/// A new random blob id: 32 lower-case hex characters.
pub fn new_blob_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Whether `s` is an id this server could have made (32 lower-case hex characters).
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn part_path(blob: &str, part: u64) -> Path {
    debug_assert!(is_hex_id(blob));
    Path::from(format!("{blob}/{part}"))
}

/// How a stored ciphertext of `total` bytes is cut into parts of `part_size` bytes (the
/// last part holds the remainder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLayout {
    pub total: u64,
    pub part_size: u64,
}

impl PartLayout {
    /// Number of parts (at least 1).
    pub fn count(&self) -> u64 {
        self.total.div_ceil(self.part_size).max(1)
    }

    /// The exact length of part `n`, or `None` if there is no such part.
    pub fn len_of(&self, n: u64) -> Option<u64> {
        let count = self.count();
        if n >= count {
            return None;
        }
        Some(if n + 1 < count {
            self.part_size
        } else {
            self.total - n * self.part_size
        })
    }

    /// The parts and in-part byte ranges that make up `range` of the whole.
    fn segments(&self, range: Range<u64>) -> Vec<(u64, Range<u64>)> {
        let mut out = Vec::new();
        let mut pos = range.start;
        while pos < range.end {
            let n = pos / self.part_size;
            let start = pos - n * self.part_size;
            let end = (range.end - n * self.part_size).min(self.part_size);
            out.push((n, start..end));
            pos = n * self.part_size + end;
        }
        out
    }
}

impl Storage {
    /// Opens the configured store. Local directories are created; S3 buckets must exist.
    pub fn open(config: &StorageConfig) -> Result<Storage, String> {
        let local_root = match config {
            StorageConfig::Local { root } => Some(root.clone()),
            StorageConfig::S3(_) => None,
        };
        let store: Arc<dyn ObjectStore> = match config {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    format!("cannot create the blob directory {}: {e}", root.display())
                })?;
                Arc::new(
                    LocalFileSystem::new_with_prefix(root)
                        .map_err(|e| format!("cannot use the blob directory: {e}"))?
                        .with_automatic_cleanup(true),
                )
            }
            StorageConfig::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret.expose());
                }
                Arc::new(
                    builder
                        .build()
                        .map_err(|e| format!("cannot use the S3 bucket: {e}"))?,
                )
            }
        };
        Ok(Storage {
            store,
            local_root,
            writing: Arc::default(),
        })
    }

    /// Stores (or replaces) part `n` of a blob. Replacing is atomic on both backends: a
    /// reader sees the old or the new part, never a mix. (In a local directory the part is
    /// written to a staging file `<n>#<k>` and renamed; a crash in between leaves the staging
    /// file, which [`Storage::remove_stale_staging`] finds.)
    pub async fn put_part(
        &self,
        blob: &str,
        n: u64,
        payload: PutPayload,
    ) -> Result<(), StorageError> {
        let _writing = Writing::start(&self.writing, blob);
        self.store.put(&part_path(blob, n), payload).await.map(drop)
    }

    /// Streams `range` of a blob laid out as `layout`, part after part: from S3 as each part's
    /// response body, from a local directory in [`LOCAL_READ`] ranges with
    /// [`LOCAL_READS_AHEAD`] reads running ahead.
    pub fn read(
        &self,
        blob: &str,
        layout: PartLayout,
        range: Range<u64>,
    ) -> BoxStream<'static, Result<Bytes, StorageError>> {
        let store = self.store.clone();
        let blob = blob.to_string();
        let segments = layout.segments(range);
        if self.local_root.is_some() {
            let reads: Vec<(u64, Range<u64>)> = segments
                .into_iter()
                .flat_map(|(n, bytes)| {
                    let mut pieces = Vec::new();
                    let mut start = bytes.start;
                    while start < bytes.end {
                        let end = (start + LOCAL_READ).min(bytes.end);
                        pieces.push((n, start..end));
                        start = end;
                    }
                    pieces
                })
                .collect();
            return futures_util::stream::iter(reads)
                .map(move |(n, bytes)| {
                    let store = store.clone();
                    let path = part_path(&blob, n);
                    // One blocking task and one positioned read per range.
                    async move {
                        let mut read = store.get_ranges(&path, &[bytes]).await?;
                        Ok(read.pop().unwrap_or_default())
                    }
                })
                .buffered(LOCAL_READS_AHEAD)
                .boxed();
        }
        futures_util::stream::iter(segments)
            .then(move |(n, bytes)| {
                let store = store.clone();
                let path = part_path(&blob, n);
                async move {
                    let options = GetOptions {
                        range: Some(GetRange::Bounded(bytes)),
                        ..Default::default()
                    };
                    Ok::<_, StorageError>(store.get_opts(&path, options).await?.into_stream())
                }
            })
            .try_flatten()
            .boxed()
    }

    /// Deletes every part of a blob (missing parts are fine), and in a local directory the
    /// blob's folder with any staging file in it.
    pub async fn delete_blob(&self, blob: &str) -> Result<(), StorageError> {
        if let Some(root) = &self.local_root {
            if !is_hex_id(blob) {
                return Ok(());
            }
            return match tokio::fs::remove_dir_all(root.join(blob)).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(object_store::Error::Generic {
                    store: "local",
                    source: Box::new(e),
                }),
            };
        }
        let prefix = Path::from(blob);
        let locations = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .boxed();
        self.store
            .delete_stream(locations)
            .try_for_each(|_| async { Ok(()) })
            .await
            .or_else(|e| match e {
                object_store::Error::NotFound { .. } => Ok(()),
                e => Err(e),
            })
    }

    /// Whether the store answers: one listing of an empty prefix (a single request on S3).
    pub async fn check(&self) -> Result<(), StorageError> {
        self.store
            .list_with_delimiter(Some(&Path::from("healthz")))
            .await
            .map(drop)
    }

    /// In a local directory: removes the staging files (`<n>#<k>`, a part being written) that
    /// no write of this process holds and that are older than `grace` (left by a crash or a
    /// kill), and blob folders left empty. Returns how many files it removed. S3 has no staging
    /// files (an unfinished PUT leaves nothing).
    pub async fn remove_stale_staging(&self, grace: Duration) -> Result<u64, std::io::Error> {
        let Some(root) = self.local_root.clone() else {
            return Ok(0);
        };
        let writing: HashSet<String> = self
            .writing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        tokio::task::spawn_blocking(move || remove_stale_staging(&root, &writing, grace))
            .await
            .map_err(std::io::Error::other)?
    }

    /// The ids of all blobs that have at least one stored part.
    pub async fn blob_ids(&self) -> Result<HashSet<String>, StorageError> {
        let listing = self.store.list_with_delimiter(None).await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.parts().next().map(|s| s.as_ref().to_string()))
            .filter(|s| is_hex_id(s))
            .collect())
    }
}

fn remove_stale_staging(
    root: &std::path::Path,
    writing: &HashSet<String>,
    grace: Duration,
) -> Result<u64, std::io::Error> {
    let mut removed = 0;
    let now = std::time::SystemTime::now();
    for folder in std::fs::read_dir(root)? {
        let folder = folder?;
        let name = folder.file_name().to_string_lossy().into_owned();
        if !is_hex_id(&name) || writing.contains(&name) || !folder.file_type()?.is_dir() {
            continue;
        }
        let mut left = 0;
        for file in std::fs::read_dir(folder.path())? {
            let file = file?;
            let staging = file.file_name().to_string_lossy().contains('#');
            let age = file
                .metadata()?
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if staging && age >= grace {
                std::fs::remove_file(file.path())?;
                removed += 1;
            } else {
                left += 1;
            }
        }
        if left == 0 {
            // Empty now: nothing of a blob is left (a concurrent first write recreates it).
            let _ = std::fs::remove_dir(folder.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_is_full_but_the_last() {
        let l = PartLayout {
            total: 250,
            part_size: 100,
        };
        assert_eq!(l.count(), 3);
        assert_eq!(
            (0..4).map(|n| l.len_of(n)).collect::<Vec<_>>(),
            [Some(100), Some(100), Some(50), None]
        );
        let exact = PartLayout {
            total: 200,
            part_size: 100,
        };
        assert_eq!((exact.count(), exact.len_of(1)), (2, Some(100)));
    }

    #[test]
    fn ranges_map_onto_parts() {
        let l = PartLayout {
            total: 250,
            part_size: 100,
        };
        assert_eq!(l.segments(0..250), [(0, 0..100), (1, 0..100), (2, 0..50)]);
        assert_eq!(l.segments(150..151), [(1, 50..51)]);
        assert_eq!(l.segments(99..201), [(0, 99..100), (1, 0..100), (2, 0..1)]);
        assert_eq!(l.segments(200..250), [(2, 0..50)]);
    }

    #[test]
    fn debug_output_never_shows_s3_credentials() {
        let config = StorageConfig::S3(crate::settings::S3Config {
            bucket: "bucket".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(crate::settings::Redacted::new("hunter2-secret".into())),
            allow_http: true,
        });
        let shown = format!("{:?}", Storage::open(&config).unwrap());
        assert!(
            !shown.contains("hunter2") && !shown.contains("AKIDEXAMPLE"),
            "{shown}"
        );
    }

    #[test]
    fn only_server_made_ids_pass() {
        assert!(is_hex_id(&new_blob_id()));
        assert!(!is_hex_id("../../etc/passwd"));
        assert!(!is_hex_id(&"A".repeat(32)));
        assert!(!is_hex_id(&"a".repeat(31)));
    }
}
