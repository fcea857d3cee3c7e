//! The store: content-addressed blobs, the action cache (key -> outputs), the per-node record of
//! the last build (for `why`), and the source stat cache. `LocalStore` keeps them under one folder.
//!
//! Crash safety: every file is written to `tmp/` and renamed into place, so a reader sees either the
//! old file or the whole new one (a killed process never leaves half a file). An action entry is
//! written only after all its blobs. Durability against a power loss is per wave, not per file
//! ([`Store::sync`], one `syncfs` after each wave): a run of thousands of small tasks (a
//! multiverse's specifications) would otherwise spend most of its time in fsync. What a power loss
//! can leave behind reads as damage and is recomputed: blobs are verified against their hash on every
//! read (a corrupted blob reads as missing), an action entry is used only when every blob it names
//! is intact, and an unreadable entry or record is treated as absent.

use crate::hash::ContentHash;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Errors of the store, each naming the path involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O error at {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("store entry {path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a finished task produced, and how long it took.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActionEntry {
    pub key: ContentHash,
    pub manifest: Manifest,
    pub outputs: BTreeMap<String, ContentHash>,
    pub duration_ms: f64,
    pub finished_unix: u64,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The last build of one node: for each task (partition key, or "" for a whole node) the key and
/// manifest it was built from. `why` compares the current manifest with this one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NodeRecord {
    pub tasks: BTreeMap<String, ContentHash>,
}

/// Stat cache entry of a source file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatEntry {
    pub size: u64,
    pub mtime_ns: i128,
    pub inode: u64,
    pub hash: ContentHash,
}

/// The store interface the engine uses; a shared remote store can implement it later.
pub trait Store: Send + Sync {
    /// Store bytes; returns their hash. Idempotent.
    fn put_blob(&self, bytes: &[u8]) -> Result<ContentHash, StoreError>;
    /// Read a blob; `None` when absent or corrupted (its bytes no longer hash to its name).
    fn get_blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError>;
    /// [`Store::get_blob`] without a copy when the store already holds the bytes (a multiverse's
    /// thousands of tasks read the same panel).
    fn get_blob_shared(&self, hash: &ContentHash) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        Ok(self.get_blob(hash)?.map(Arc::new))
    }
    /// Whether a blob is present and intact.
    fn has_valid_blob(&self, hash: &ContentHash) -> Result<bool, StoreError>;
    fn get_action(&self, key: &ContentHash) -> Result<Option<ActionEntry>, StoreError>;
    fn put_action(&self, entry: &ActionEntry) -> Result<(), StoreError>;
    fn get_record(&self, node: &str) -> Result<Option<NodeRecord>, StoreError>;
    fn put_record(&self, node: &str, record: &NodeRecord) -> Result<(), StoreError>;
    fn get_stat_cache(&self) -> Result<BTreeMap<String, StatEntry>, StoreError>;
    fn put_stat_cache(&self, cache: &BTreeMap<String, StatEntry>) -> Result<(), StoreError>;
    /// Make the writes so far durable (the engine calls it after each wave). Default: nothing.
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The store on the local file system.
pub struct LocalStore {
    root: PathBuf,
    tmp_counter: AtomicU64,
    /// Large blobs already read and verified by this process, with the file's (size, mtime,
    /// inode) when they were: a multiverse's thousands of tasks read the same panel, and hashing
    /// it for each read would cost more than their fits. A changed file is read and hashed again.
    verified: Mutex<VerifiedBlobs>,
}

/// Blob hash -> the file's stamp when it was verified, and its bytes; `held` is their total size.
#[derive(Default)]
struct VerifiedBlobs {
    blobs: BTreeMap<ContentHash, (FileStamp, Arc<Vec<u8>>)>,
    held: usize,
}

impl VerifiedBlobs {
    fn insert(&mut self, hash: ContentHash, stamp: FileStamp, bytes: Arc<Vec<u8>>) {
        if self.held + bytes.len() > VERIFIED_BUDGET {
            self.blobs.clear();
            self.held = 0;
        }
        self.held += bytes.len();
        if let Some((_, old)) = self.blobs.insert(hash, (stamp, bytes)) {
            self.held -= old.len();
        }
    }
}

/// What identifies a file's version without reading it (the sources' stat cache uses the same).
#[derive(Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

impl FileStamp {
    fn of(meta: &fs::Metadata) -> FileStamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let ino = 0;
        FileStamp {
            len: meta.len(),
            mtime_ns,
            ino,
        }
    }
}

/// Blobs at least this large are kept after verification, up to `VERIFIED_BUDGET` bytes in all.
const VERIFIED_MIN: usize = 64 * 1024;
const VERIFIED_BUDGET: usize = 256 * 1024 * 1024;

impl LocalStore {
    /// Open (creating the folders if needed) a store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        for sub in ["blobs", "actions", "records", "tmp"] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        Ok(LocalStore {
            root,
            tmp_counter: AtomicU64::new(0),
            verified: Mutex::new(VerifiedBlobs::default()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, h: &ContentHash) -> PathBuf {
        let hex = h.to_hex();
        self.root.join("blobs").join(&hex[..2]).join(&hex[2..])
    }

    fn action_path(&self, h: &ContentHash) -> PathBuf {
        let hex = h.to_hex();
        self.root
            .join("actions")
            .join(&hex[..2])
            .join(format!("{}.json", &hex[2..]))
    }

    fn record_path(&self, node: &str) -> PathBuf {
        // Declared node names are identifiers ([A-Za-z0-9_-]); generated ones (a multiverse's
        // `NAME[label,...]`, variants `NODE~node.param=value`) never contain `/` or NUL (the
        // loader replaces them), so every name is one file name.
        self.root.join("records").join(format!("{node}.json"))
    }

    /// Write `bytes` to `dest` atomically: temp file in `tmp/`, then rename (durable at the next
    /// [`LocalStore::sync_all`]). The destination's folder is created only when the rename finds
    /// it missing (a multiverse writes thousands of entries into existing shards).
    pub fn write_atomic(&self, dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp =
            self.root
                .join("tmp")
                .join(format!("{}-{}-{n}", std::process::id(), unique_suffix()));
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io_err(&tmp))?;
            f.write_all(bytes).map_err(io_err(&tmp))?;
        }
        let renamed = match fs::rename(&tmp, dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound && tmp.exists() => match dest.parent() {
                Some(parent) => fs::create_dir_all(parent).and_then(|()| fs::rename(&tmp, dest)),
                None => Err(e),
            },
            other => other,
        };
        renamed.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::Io {
                path: dest.to_path_buf(),
                source: e,
            }
        })?;
        Ok(())
    }

    /// Make every write so far durable: one `syncfs` of the store's filesystem (elsewhere than
    /// Linux, `sync`).
    pub fn sync_all(&self) -> Result<(), StoreError> {
        let dir = File::open(&self.root).map_err(io_err(&self.root))?;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: syncfs takes an open file descriptor, which `dir` owns for this call.
            let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
            if rc != 0 {
                return Err(StoreError::Io {
                    path: self.root.clone(),
                    source: io::Error::last_os_error(),
                });
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            drop(dir);
            // SAFETY: sync has no arguments and cannot fail.
            unsafe { libc::sync() };
        }
        Ok(())
    }

    fn read_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &Path,
    ) -> Result<Option<T>, StoreError> {
        match fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(v) => Ok(Some(v)),
                // A damaged entry is treated as absent: the task runs again and rewrites it.
                Err(e) => {
                    tracing::warn!("ignoring damaged store entry {}: {e}", path.display());
                    Ok(None)
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        self.write_atomic(path, &bytes)
    }

    /// Every blob hash in the store (sorted).
    pub fn list_blobs(&self) -> Result<Vec<ContentHash>, StoreError> {
        let mut out = Vec::new();
        let dir = self.root.join("blobs");
        for shard in read_dir_sorted(&dir)? {
            let prefix = file_name(&shard);
            for f in read_dir_sorted(&shard)? {
                if let Some(h) = ContentHash::from_hex(&format!("{prefix}{}", file_name(&f))) {
                    out.push(h);
                }
            }
        }
        Ok(out)
    }

    /// Every action entry file (path and parsed entry, `None` when damaged), sorted by key.
    pub fn list_actions(&self) -> Result<Vec<(PathBuf, Option<ActionEntry>)>, StoreError> {
        let mut out = Vec::new();
        for shard in read_dir_sorted(&self.root.join("actions"))? {
            for f in read_dir_sorted(&shard)? {
                let entry = self.read_json(&f)?;
                out.push((f, entry));
            }
        }
        Ok(out)
    }

    /// Every node record (sorted by node name).
    pub fn list_records(&self) -> Result<Vec<(String, NodeRecord)>, StoreError> {
        let mut out = Vec::new();
        for f in read_dir_sorted(&self.root.join("records"))? {
            let name = file_name(&f);
            if let Some(node) = name.strip_suffix(".json") {
                if let Some(rec) = self.read_json(&f)? {
                    out.push((node.to_string(), rec));
                }
            }
        }
        Ok(out)
    }

    /// Leftover temp files (from killed processes).
    pub fn list_tmp(&self) -> Result<Vec<PathBuf>, StoreError> {
        read_dir_sorted(&self.root.join("tmp"))
    }

    pub fn blob_file(&self, h: &ContentHash) -> PathBuf {
        self.blob_path(h)
    }

    pub fn remove_blob(&self, h: &ContentHash) -> Result<(), StoreError> {
        let p = self.blob_path(h);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Io { path: p, source: e }),
        }
    }
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => {
            return Err(StoreError::Io {
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    for entry in rd {
        let entry = entry.map_err(io_err(dir))?;
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

impl Store for LocalStore {
    fn sync(&self) -> Result<(), StoreError> {
        self.sync_all()
    }
    fn put_blob(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let h = ContentHash::of(bytes);
        // Skip the write only when the existing file is intact; a corrupted one is replaced.
        if !self.has_valid_blob(&h)? {
            self.write_atomic(&self.blob_path(&h), bytes)?;
        }
        Ok(h)
    }

    fn get_blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .get_blob_shared(hash)?
            .map(|b| Arc::try_unwrap(b).unwrap_or_else(|b| b.as_ref().clone())))
    }

    fn get_blob_shared(&self, hash: &ContentHash) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        let p = self.blob_path(hash);
        let stamp = match fs::metadata(&p) {
            Ok(m) => FileStamp::of(&m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path: p, source: e }),
        };
        // An empty file is intact exactly when its name is the empty content's hash: no need
        // to open it (a multiverse's specifications write thousands of empty outputs).
        if stamp.len == 0 {
            return Ok((*hash == ContentHash::of(&[])).then(|| Arc::new(Vec::new())));
        }
        if let Ok(memo) = self.verified.lock() {
            if let Some((s, bytes)) = memo.blobs.get(hash) {
                if *s == stamp {
                    return Ok(Some(Arc::clone(bytes)));
                }
            }
        }
        match fs::read(&p) {
            Ok(bytes) if ContentHash::of(&bytes) == *hash => {
                let bytes = Arc::new(bytes);
                if bytes.len() >= VERIFIED_MIN {
                    if let Ok(mut memo) = self.verified.lock() {
                        memo.insert(*hash, stamp, Arc::clone(&bytes));
                    }
                }
                Ok(Some(bytes))
            }
            Ok(_) => {
                tracing::warn!("blob {} is corrupted; it will be recomputed", hash.short());
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io { path: p, source: e }),
        }
    }

    fn has_valid_blob(&self, hash: &ContentHash) -> Result<bool, StoreError> {
        Ok(self.get_blob_shared(hash)?.is_some())
    }

    fn get_action(&self, key: &ContentHash) -> Result<Option<ActionEntry>, StoreError> {
        let entry: Option<ActionEntry> = self.read_json(&self.action_path(key))?;
        // An entry whose recorded key disagrees with its manifest is damaged: ignore it.
        Ok(entry.filter(|e| e.key == *key && e.manifest.key() == *key))
    }

    fn put_action(&self, entry: &ActionEntry) -> Result<(), StoreError> {
        self.write_json(&self.action_path(&entry.key), entry)
    }

    fn get_record(&self, node: &str) -> Result<Option<NodeRecord>, StoreError> {
        self.read_json(&self.record_path(node))
    }

    fn put_record(&self, node: &str, record: &NodeRecord) -> Result<(), StoreError> {
        self.write_json(&self.record_path(node), record)
    }

    fn get_stat_cache(&self) -> Result<BTreeMap<String, StatEntry>, StoreError> {
        Ok(self
            .read_json(&self.root.join("stat-cache.json"))?
            .unwrap_or_default())
    }

    fn put_stat_cache(&self, cache: &BTreeMap<String, StatEntry>) -> Result<(), StoreError> {
        self.write_json(&self.root.join("stat-cache.json"), cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_and_corruption_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let h = store.put_blob(b"hello").unwrap();
        assert_eq!(store.get_blob(&h).unwrap().as_deref(), Some(&b"hello"[..]));
        // Flip a byte: the blob now reads as missing, and put_blob repairs it.
        fs::write(store.blob_file(&h), b"hellp").unwrap();
        assert_eq!(store.get_blob(&h).unwrap(), None);
        store.put_blob(b"hello").unwrap();
        assert_eq!(store.get_blob(&h).unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.list_blobs().unwrap(), vec![h]);
        assert!(store.list_tmp().unwrap().is_empty());
    }

    #[test]
    fn empty_blobs_and_truncation_to_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let empty = store.put_blob(b"").unwrap();
        assert_eq!(store.get_blob(&empty).unwrap().as_deref(), Some(&b""[..]));
        // A non-empty blob truncated to nothing reads as missing (the empty-file shortcut checks
        // the name), and a large one served from the verified copies is handed out shared.
        let big = vec![7u8; VERIFIED_MIN + 1];
        let h = store.put_blob(&big).unwrap();
        let a = store.get_blob_shared(&h).unwrap().unwrap();
        let b = store.get_blob_shared(&h).unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        fs::write(store.blob_file(&h), b"").unwrap();
        assert_eq!(store.get_blob(&h).unwrap(), None);
        // The missing shard folder is created on first write.
        fs::remove_dir_all(dir.path().join("blobs")).unwrap();
        let h = store.put_blob(b"again").unwrap();
        assert_eq!(store.get_blob(&h).unwrap().as_deref(), Some(&b"again"[..]));
        assert!(store.list_tmp().unwrap().is_empty());
    }

    #[test]
    fn damaged_action_entry_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let manifest = Manifest {
            op: "x".into(),
            code: String::new(),
            schema_version: 1,
            partition: None,
            params: Default::default(),
            inputs: vec![],
        };
        let key = manifest.key();
        let entry = ActionEntry {
            key,
            manifest,
            outputs: BTreeMap::new(),
            duration_ms: 1.0,
            finished_unix: 0,
            warnings: vec![],
        };
        store.put_action(&entry).unwrap();
        assert!(store.get_action(&key).unwrap().is_some());
        let path = store.action_path(&key);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert!(store.get_action(&key).unwrap().is_none());
    }
}
