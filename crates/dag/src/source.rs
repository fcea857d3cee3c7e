//! Source files hashed by content, with a (size, mtime, inode) stat cache so that unchanged files
//! are not read again.

use crate::hash::ContentHash;
use crate::store::StatEntry;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// (size, mtime in ns, inode) of a file.
pub fn stat_of(path: &Path) -> io::Result<(u64, i128, u64)> {
    let meta = std::fs::metadata(path)?;
    let mtime_ns = match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        },
        Err(_) => 0,
    };
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        meta.ino()
    };
    #[cfg(not(unix))]
    let inode = 0u64;
    Ok((meta.len(), mtime_ns, inode))
}

/// Hash a file's content, streaming (multi-threaded by blake3 for large files).
pub fn hash_file(path: &Path) -> io::Result<ContentHash> {
    let meta = std::fs::metadata(path)?;
    let mut hasher = blake3::Hasher::new();
    if meta.len() > (64 << 20) {
        // Memory-map-free streaming in large chunks keeps memory flat for multi-GB sources.
        let mut f = File::open(path)?;
        let mut buf = vec![0u8; 16 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    } else {
        let bytes = std::fs::read(path)?;
        hasher.update(&bytes);
    }
    Ok(ContentHash(*hasher.finalize().as_bytes()))
}

/// Hash `path`, using `cache` when its stat is unchanged. Returns the hash and whether the file was read.
pub fn hash_with_cache(
    path: &Path,
    cache: &mut BTreeMap<String, StatEntry>,
) -> io::Result<(ContentHash, bool)> {
    let key = path.to_string_lossy().into_owned();
    let (size, mtime_ns, inode) = stat_of(path)?;
    if let Some(e) = cache.get(&key) {
        if e.size == size && e.mtime_ns == mtime_ns && e.inode == inode {
            return Ok((e.hash, false));
        }
    }
    let hash = hash_file(path)?;
    // Re-stat: if the file changed while we read it, do not cache a stat that may not match.
    if stat_of(path)? == (size, mtime_ns, inode) {
        cache.insert(
            key,
            StatEntry {
                size,
                mtime_ns,
                inode,
                hash,
            },
        );
    }
    Ok((hash, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cache_skips_unchanged_and_sees_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "x,y\n1,2\n").unwrap();
        let mut cache = BTreeMap::new();
        let (h1, read1) = hash_with_cache(&p, &mut cache).unwrap();
        assert!(read1);
        let (h2, read2) = hash_with_cache(&p, &mut cache).unwrap();
        assert!(!read2);
        assert_eq!(h1, h2);
        std::fs::write(&p, "x,y\n1,3\n").unwrap();
        // Same size; mtime may be equal at coarse resolution, so force a different mtime.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let (h3, read3) = hash_with_cache(&p, &mut cache).unwrap();
        assert!(read3);
        assert_ne!(h1, h3);
        assert_eq!(h3, ContentHash::of(b"x,y\n1,3\n"));
    }
}
