//! The committed include/sio.h must be exactly what the pinned cbindgen generates.
#[test]
fn header_is_current() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/sio.h")).expect("build.rs wrote the header");
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../include/sio.h");
    if std::env::var_os("SIO_BLESS").is_some() {
        std::fs::write(committed_path, &generated).expect("write include/sio.h");
        return;
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/sio.h is out of date: run `SIO_BLESS=1 cargo test -p sio-ffi --test header` and commit it"
    );
}
