//! Deterministic zips of function sources: sorted entries, fixed timestamps and modes, so equal
//! sources give equal bytes and `CodeSha256` tells whether code changed without uploading it.

use anyhow::{Context, Result, bail};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Lambda's limit for a zip uploaded directly with CreateFunction / UpdateFunctionCode.
pub const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;

/// A packaged function: the zip and its `CodeSha256`.
pub struct Package {
    pub zip: Vec<u8>,
    pub sha256: String,
    /// The sum of the files' sizes: what the package unzips to, in bytes.
    pub unzipped: u64,
}

/// Zips every file below `dir` (following symlinks), in byte order of their relative paths.
pub fn package(dir: &Path) -> Result<Package> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    if files.is_empty() {
        bail!("source directory {} has no files", dir.display());
    }
    files.sort();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let mut unzipped = 0;
    for (name, path) in &files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        unzipped += bytes.len() as u64;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(DateTime::default())
            .unix_permissions(if is_executable(path) { 0o755 } else { 0o644 });
        zip.start_file(name.as_str(), options)?;
        zip.write_all(&bytes)?;
    }
    let zip = zip.finish()?.into_inner();
    if zip.len() > MAX_ZIP_BYTES {
        bail!(
            "the zip of {} is {} MB, over Lambda's 50 MB limit for a direct upload",
            dir.display(),
            zip.len() / (1024 * 1024)
        );
    }
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&zip));
    Ok(Package {
        zip,
        sha256,
        unzipped,
    })
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let meta =
            std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).expect("walked below root");
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, path));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempdir::Dir {
        let d = tempdir::Dir::new();
        for (name, body) in files {
            let p = d.path.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        d
    }

    /// A scratch directory removed on drop (std only, to keep dev-dependencies small).
    mod tempdir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "stackctl-pkg-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn same_content_same_hash_whatever_mtime_or_creation_order() {
        let a = tree(&[("index.js", "x"), ("lib/util.js", "y")]);
        let b = tree(&[("lib/util.js", "y"), ("index.js", "x")]);
        let file = a.path.join("index.js");
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
        )
        .unwrap();
        assert_eq!(
            package(&a.path).unwrap().sha256,
            package(&b.path).unwrap().sha256
        );
    }

    #[test]
    fn content_change_changes_hash_and_entries_are_sorted() {
        let a = tree(&[("b.py", "1"), ("a.py", "1")]);
        let before = package(&a.path).unwrap();
        std::fs::write(a.path.join("a.py"), "2").unwrap();
        let after = package(&a.path).unwrap();
        assert_ne!(before.sha256, after.sha256);
        let archive = zip::ZipArchive::new(Cursor::new(after.zip)).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert_eq!(names, ["a.py", "b.py"]);
    }
}
