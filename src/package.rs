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
    /// Every entry's name (`/`-separated, relative) and unzipped size in bytes, in zip order.
    pub files: Vec<(String, u64)>,
}

/// `CodeSha256` of a zip, as Lambda reports it: base64 of its SHA-256.
pub fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

/// A function's package as the plan hands it to apply: the zip the plan built, written to `path`
/// (`.stackctl/packages/<function>.zip` next to the stack file), and its `CodeSha256`. Apply
/// uploads exactly these bytes: it neither rebuilds the package nor reads the stack file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageRef {
    pub path: PathBuf,
    /// base64(sha256(zip)).
    pub sha256: String,
}

impl PackageRef {
    /// Refers to the zip `package` will be written to at `path`, by absolute path, so a saved
    /// plan names the same file from any working directory. Nothing is written (see
    /// [`PackageRef::save`]). Errors: `path` cannot be made absolute.
    pub fn new(path: PathBuf, package: &Package) -> Result<PackageRef> {
        let path = std::path::absolute(&path)
            .with_context(|| format!("cannot resolve {}", path.display()))?;
        Ok(PackageRef {
            path,
            sha256: package.sha256.clone(),
        })
    }

    /// Writes `zip` to [`PackageRef::path`] (creating its directory; through a temporary file
    /// renamed into place, so a reader never sees half a zip). Errors: the directory or file
    /// cannot be written.
    pub fn save(&self, zip: &[u8]) -> Result<()> {
        let path = &self.path;
        let dir = path.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        tmp.write_all(zip)
            .with_context(|| format!("cannot write {}", path.display()))?;
        tmp.persist(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    /// [`PackageRef::new`] then [`PackageRef::save`]: `package`'s zip written to `path`.
    pub fn write(path: PathBuf, package: &Package) -> Result<PackageRef> {
        let r = PackageRef::new(path, package)?;
        r.save(&package.zip)?;
        Ok(r)
    }

    /// The zip's bytes, checked against the hash the plan saw. Errors, with the hint to plan
    /// again: the file is gone or unreadable, or holds other bytes (a later plan of the same
    /// stack, with other code, rewrote it).
    pub fn read(&self) -> Result<Vec<u8>> {
        let zip = match std::fs::read(&self.path) {
            Ok(zip) => zip,
            Err(e) => crate::bail_hint!(
                "cannot read the package {} the plan built: {e}", self.path.display();
                hint = "run `stackctl plan` again"
            ),
        };
        self.verify(zip)
    }

    /// `zip` if it is the package the plan saw (its sha256); else an error saying to plan again.
    pub fn verify(&self, zip: Vec<u8>) -> Result<Vec<u8>> {
        let found = code_sha256(&zip);
        if found != self.sha256 {
            crate::bail_hint!(
                "the package {} changed since the plan was made (sha256 {} → {found})",
                self.path.display(),
                self.sha256;
                hint = "run `stackctl plan` again"
            );
        }
        Ok(zip)
    }
}

/// One directory tree to put in a zip. `skip` decides, from an entry's relative path
/// (`/`-separated), whether to leave it out (with everything below it).
pub struct Tree<'a> {
    pub dir: &'a Path,
    pub skip: &'a dyn Fn(&str) -> bool,
}

/// Zips every file below `dir` (following symlinks), in byte order of their relative paths.
pub fn package(dir: &Path) -> Result<Package> {
    let pkg = package_trees(&[Tree {
        dir,
        skip: &|_| false,
    }])?;
    if pkg.zip.len() > MAX_ZIP_BYTES {
        bail!(
            "the zip of {} is {} MB, over Lambda's 50 MB limit for a direct upload",
            dir.display(),
            pkg.zip.len() / (1024 * 1024)
        );
    }
    Ok(pkg)
}

/// Zips several trees as one: a file of a later tree replaces a file of an earlier one at the same
/// relative path (a function's own files go on top of its installed dependencies). Entries are
/// sorted by relative path with fixed timestamps and modes, so equal inputs give equal bytes.
/// Errors: an unreadable file, a symlink loop, or no files at all. The size is the caller's to
/// check (against [`MAX_ZIP_BYTES`]).
pub fn package_trees(trees: &[Tree<'_>]) -> Result<Package> {
    let mut files = std::collections::BTreeMap::new();
    for tree in trees {
        collect(tree, &mut files)?;
    }
    let Some(last) = trees.last() else {
        bail!("nothing to package");
    };
    if files.is_empty() {
        bail!("source directory {} has no files", last.dir.display());
    }
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let mut unzipped = 0;
    let mut sizes = Vec::with_capacity(files.len());
    for (name, path) in &files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        unzipped += bytes.len() as u64;
        sizes.push((name.clone(), bytes.len() as u64));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(DateTime::default())
            .unix_permissions(if is_executable(path) { 0o755 } else { 0o644 });
        zip.start_file(name.as_str(), options)?;
        zip.write_all(&bytes)?;
    }
    let zip = zip.finish()?.into_inner();
    let sha256 = code_sha256(&zip);
    Ok(Package {
        zip,
        sha256,
        unzipped,
        files: sizes,
    })
}

/// The files of one tree by relative name. walkdir follows symlinks and reports a loop as an
/// error instead of recursing forever.
fn collect(tree: &Tree<'_>, out: &mut std::collections::BTreeMap<String, PathBuf>) -> Result<()> {
    let walk = walkdir::WalkDir::new(tree.dir)
        .follow_links(true)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !(tree.skip)(&relative(tree.dir, e.path())));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read {}", tree.dir.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        out.insert(relative(tree.dir, entry.path()), entry.into_path());
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("walked below root");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
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

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        d
    }

    #[test]
    fn same_content_same_hash_whatever_mtime_or_creation_order() {
        let a = tree(&[("index.js", "x"), ("lib/util.js", "y")]);
        let b = tree(&[("lib/util.js", "y"), ("index.js", "x")]);
        let file = a.path().join("index.js");
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000),
        )
        .unwrap();
        assert_eq!(
            package(a.path()).unwrap().sha256,
            package(b.path()).unwrap().sha256
        );
    }

    #[test]
    fn content_change_changes_hash_and_entries_are_sorted() {
        let a = tree(&[("b.py", "1"), ("a.py", "1")]);
        let before = package(a.path()).unwrap();
        std::fs::write(a.path().join("a.py"), "2").unwrap();
        let after = package(a.path()).unwrap();
        assert_ne!(before.sha256, after.sha256);
        let archive = zip::ZipArchive::new(Cursor::new(after.zip)).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert_eq!(names, ["a.py", "b.py"]);
    }
}

#[cfg(test)]
mod tree_tests {
    use super::*;

    #[test]
    fn later_trees_replace_earlier_files_and_skips_apply() {
        let deps = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        for (root, name, body) in [
            (deps.path(), "lib/a.py", "dep"),
            (deps.path(), "app.py", "old"),
            (deps.path(), "bin/tool", "#!/x"),
            (src.path(), "app.py", "new"),
        ] {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let pkg = package_trees(&[
            Tree {
                dir: deps.path(),
                skip: &|rel| rel == "bin",
            },
            Tree {
                dir: src.path(),
                skip: &|_| false,
            },
        ])
        .unwrap();
        let names: Vec<&str> = pkg.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["app.py", "lib/a.py"]);
        let mut archive = zip::ZipArchive::new(Cursor::new(pkg.zip)).unwrap();
        let mut app = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("app.py").unwrap(), &mut app).unwrap();
        assert_eq!(app, "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_an_error_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("index.js"), "x").unwrap();
        std::os::unix::fs::symlink(d.path(), d.path().join("loop")).unwrap();
        assert!(package(d.path()).is_err());
    }

    #[test]
    fn a_package_rewritten_since_the_plan_is_refused() {
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("index.py"), "1").unwrap();
        let out = tempfile::tempdir().unwrap();
        let path = out.path().join("packages/s-f.zip");
        let planned = PackageRef::write(path.clone(), &package(src.path()).unwrap()).unwrap();
        assert_eq!(planned.read().unwrap(), std::fs::read(&path).unwrap());
        std::fs::write(src.path().join("index.py"), "2").unwrap();
        PackageRef::write(path, &package(src.path()).unwrap()).unwrap();
        let e = planned.read().unwrap_err();
        assert!(
            e.to_string().contains("changed since the plan was made"),
            "{e}"
        );
        assert_eq!(
            e.downcast_ref::<crate::error::Hinted>().unwrap().hint,
            "run `stackctl plan` again"
        );
    }
}
