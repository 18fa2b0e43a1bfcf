//! Build steps cargo cannot infer:
//! - rebuild when a migration changes: `embed_migrations!` reads `migrations/` at compile time,
//!   and cargo does not otherwise know to look there;
//! - the static assets (`static/`): each one gzipped once here, at the best level, so serving
//!   it compressed costs nothing per request, and all of them named by one hash of their
//!   contents (`assets::VERSION`), so their URLs change whenever any byte does and browsers
//!   may keep them for good (`src/assets.rs` says why the HTML is never compressed).
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=static");
    if let Err(e) = assets() {
        println!("cargo:warning=static assets: {e}");
        std::process::exit(1);
    }
}

/// Every file under `dir`, as paths relative to `root` with `/` separators, sorted.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(rel.join("/"));
        }
    }
    out.sort();
    Ok(())
}

fn content_type(path: &str) -> Option<&'static str> {
    match path.rsplit_once('.')?.1 {
        "css" => Some("text/css; charset=utf-8"),
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        _ => None,
    }
}

fn assets() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("static");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut names = vec![];
    files(&root, &root, &mut names)?;
    let mut hash = Sha256::new();
    let mut table = String::new();
    for name in &names {
        let Some(ty) = content_type(name) else {
            return Err(format!("static/{name}: only .css and .js are served").into());
        };
        let plain = std::fs::read(root.join(name))?;
        hash.update((name.len() as u64).to_be_bytes());
        hash.update(name.as_bytes());
        hash.update((plain.len() as u64).to_be_bytes());
        hash.update(&plain);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&plain)?;
        let gz = gz.finish()?;
        let gz_path = out.join(format!("{}.gz", name.replace('/', "__")));
        std::fs::write(&gz_path, &gz)?;
        writeln!(
            table,
            "    Asset {{ path: {name:?}, content_type: {ty:?}, plain: include_bytes!({:?}), gzip: include_bytes!({:?}) }},",
            root.join(name).display().to_string(),
            gz_path.display().to_string(),
        )?;
    }
    let digest = hash.finalize();
    let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let code = format!(
        "/// A hash of every asset's name and bytes: the path segment that versions their URLs.\n\
         pub const VERSION: &str = {version:?};\n\n\
         /// Every file under `static/`, sorted by path.\n\
         pub static ASSETS: &[Asset] = &[\n{table}];\n"
    );
    std::fs::write(out.join("assets.rs"), code)?;
    Ok(())
}
