//! Generates the C header from the extern functions. The header is committed as
//! include/sio.h; the `header_is_current` test fails when it differs from this output
//! (`SIO_BLESS=1 cargo test -p sio-ffi` rewrites it).
//!
//! Also gives libsio.so its SONAME, `libsio.so.<major>` (ELF targets), and makes that name
//! resolve in the build tree: programs linked against target/<profile>/libsio.so record
//! `libsio.so.<major>` as NEEDED, so a `libsio.so.<major>` -> `libsio.so` symlink is
//! placed next to it (the one file this script writes outside OUT_DIR).
use std::path::Path;

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"));
    let (major, minor, patch) =
        (var("CARGO_PKG_VERSION_MAJOR"), var("CARGO_PKG_VERSION_MINOR"), var("CARGO_PKG_VERSION_PATCH"));

    let mut config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml")).expect("valid cbindgen.toml");
    config.after_includes = Some(format!(
        "\n/* The version of sio this header belongs to; sio_version() / sio_version_number() give\n   \
         the running library's. */\n\
         #define SIO_VERSION_MAJOR {major}\n\
         #define SIO_VERSION_MINOR {minor}\n\
         #define SIO_VERSION_PATCH {patch}\n\
         #define SIO_VERSION_STRING \"{}\"\n\
         #define SIO_VERSION_NUMBER (SIO_VERSION_MAJOR * 10000 + SIO_VERSION_MINOR * 100 + SIO_VERSION_PATCH)",
        var("CARGO_PKG_VERSION")
    ));
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("header generation")
        .write_to_file(out_dir.join("sio.h"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let vendor = std::env::var("CARGO_CFG_TARGET_VENDOR").unwrap_or_default();
    if family.split(',').any(|f| f == "unix") && vendor != "apple" {
        let soname = format!("libsio.so.{major}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        link_soname(&out_dir, &soname);
    }
}

/// `<target>/<profile>/libsio.so.<major>` -> `libsio.so`, from OUT_DIR
/// (`<target>/<profile>/build/sio-ffi-<hash>/out`). Best effort: a failure only means
/// that programs linked against the build tree need LD_LIBRARY_PATH or the symlink.
fn link_soname(out_dir: &Path, soname: &str) {
    let Some(profile_dir) = out_dir.ancestors().nth(3) else { return };
    let link = profile_dir.join(soname);
    #[cfg(unix)]
    {
        if std::fs::read_link(&link).is_ok_and(|target| target == Path::new("libsio.so")) {
            return;
        }
        let _ = std::fs::remove_file(&link);
        if let Err(e) = std::os::unix::fs::symlink("libsio.so", &link) {
            println!("cargo:warning=cannot create {}: {e}", link.display());
        }
    }
    #[cfg(not(unix))]
    let _ = link;
}
