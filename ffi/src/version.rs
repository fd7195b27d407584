//! Versions: the library's own (`sio_version`), and the layouts of the caller-allocated
//! option structs, which grow at their end from one version to the next.
//!
//! An option struct starts with `size_t struct_size`: the size of the struct as the
//! program's `sio.h` declares it. The library reads (and `*_options_init` writes) only the
//! first `struct_size` bytes, and takes its own defaults for the fields beyond, so a program
//! built against an older header keeps working with a newer library.
//!
//! Rules for the structs (checked by the tests of each struct):
//! - a field is only ever appended, never inserted, removed, resized or reordered;
//! - every published layout ends at its last field (no trailing padding: add an explicit
//!   reserved field if needed), so that no later field can lie in an older program's
//!   padding; its size is appended to the struct's list of layouts.
use std::ffi::{c_char, CStr};

use crate::error::{sio_status, Error};

const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(v) => v,
    Err(_) => panic!("the crate version contains a NUL"),
};

const fn number(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

const MAJOR: u32 = number(env!("CARGO_PKG_VERSION_MAJOR"));
const MINOR: u32 = number(env!("CARGO_PKG_VERSION_MINOR"));
const PATCH: u32 = number(env!("CARGO_PKG_VERSION_PATCH"));

/// The version of the running library, "MAJOR.MINOR.PATCH" (static, never NULL). The
/// header it was built with says SIO_VERSION_STRING; a program compares the two to find
/// out which library it runs with.
#[no_mangle]
pub extern "C" fn sio_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The version of the running library as MAJOR * 10000 + MINOR * 100 + PATCH, to compare
/// with SIO_VERSION_NUMBER, the version of the sio.h a program was compiled with (a
/// library at least as new as the header runs the program: option structs grow, see
/// `sio_server_options`).
#[no_mangle]
pub extern "C" fn sio_version_number() -> u32 {
    MAJOR * 10_000 + MINOR * 100 + PATCH
}

/// How many bytes of a caller's struct `name` of `struct_size` bytes this library uses:
/// the largest of its `layouts` (the sizes of the struct's published layouts, oldest
/// first, the last one `size_of::<T>()`) that fits. Below the oldest layout or above this
/// library's: SIO_ERR_INVALID_ARGUMENT.
pub(crate) fn prefix_len<T>(name: &str, struct_size: usize, layouts: &[usize]) -> Result<usize, Error> {
    let oldest = layouts[0];
    let newest = std::mem::size_of::<T>();
    if struct_size < oldest {
        return Err(Error::new(
            sio_status::SIO_ERR_INVALID_ARGUMENT,
            format!(
                "{name}.struct_size is {struct_size}, smaller than the oldest layout ({oldest} bytes): fill the \
                 struct with {name}_default first"
            ),
        ));
    }
    if struct_size > newest {
        return Err(Error::new(
            sio_status::SIO_ERR_INVALID_ARGUMENT,
            format!(
                "{name}.struct_size is {struct_size}, larger than this library's layout ({newest} bytes): the \
                 program was built against a newer sio.h than libsio {}",
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    Ok(layouts.iter().copied().filter(|&size| size <= struct_size).max().unwrap_or(oldest))
}

/// The caller's struct at `caller` (whose first field is `struct_size`) as this library's
/// `T`: the caller's first bytes (see [`prefix_len`]) over `defaults`.
pub(crate) unsafe fn read_prefix<T: Copy>(
    name: &str,
    caller: *const T,
    defaults: T,
    layouts: &[usize],
) -> Result<T, Error> {
    let struct_size = caller.cast::<usize>().read();
    let n = prefix_len::<T>(name, struct_size, layouts)?;
    let mut out = defaults;
    std::ptr::copy_nonoverlapping(caller.cast::<u8>(), (&mut out as *mut T).cast::<u8>(), n);
    Ok(out)
}

/// Writes `defaults` into the caller's struct of `struct_size` bytes at `out`: the fields
/// it holds (see [`prefix_len`]), and `struct_size`. Nothing is written on error.
pub(crate) unsafe fn write_prefix<T: Copy>(
    name: &str,
    out: *mut T,
    struct_size: usize,
    defaults: T,
    layouts: &[usize],
) -> Result<(), Error> {
    let n = prefix_len::<T>(name, struct_size, layouts)?;
    std::ptr::copy_nonoverlapping((&defaults as *const T).cast::<u8>(), out.cast::<u8>(), n);
    out.cast::<usize>().write(struct_size);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{sio_client_options, CLIENT_LAYOUTS, DEFAULT_CLIENT_OPTIONS};
    use crate::server::{sio_server_options, DEFAULT_OPTIONS, SERVER_LAYOUTS};
    use std::mem::size_of;

    #[test]
    fn the_version_is_the_crate_version() {
        let v = unsafe { CStr::from_ptr(sio_version()) }.to_str().unwrap();
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        assert_eq!(v, format!("{MAJOR}.{MINOR}.{PATCH}"));
        assert_eq!(sio_version_number(), MAJOR * 10_000 + MINOR * 100 + PATCH);
    }

    /// The last layout of each struct is the struct, which ends at its last field: no
    /// padding of an older program's struct can hold a field added later.
    #[test]
    fn the_newest_layout_is_the_struct_and_ends_at_its_last_field() {
        assert_eq!(SERVER_LAYOUTS.last(), Some(&size_of::<sio_server_options>()));
        assert_eq!(
            std::mem::offset_of!(sio_server_options, per_message_deflate_threshold) + size_of::<usize>(),
            size_of::<sio_server_options>(),
            "a field was added to sio_server_options: append its layout to SERVER_LAYOUTS and name the new \
             last field here"
        );
        assert_eq!(CLIENT_LAYOUTS.last(), Some(&size_of::<sio_client_options>()));
        assert_eq!(
            std::mem::offset_of!(sio_client_options, per_message_deflate_threshold) + size_of::<usize>(),
            size_of::<sio_client_options>(),
            "a field was added to sio_client_options: append its layout to CLIENT_LAYOUTS and name the new \
             last field here"
        );
        for layouts in [SERVER_LAYOUTS, CLIENT_LAYOUTS] {
            assert!(layouts.windows(2).all(|w| w[0] < w[1]), "layouts grow: {layouts:?}");
        }
        use crate::admin::{sio_admin_options, ADMIN_LAYOUTS, DEFAULT_ADMIN_OPTIONS};
        assert_eq!(ADMIN_LAYOUTS.last(), Some(&size_of::<sio_admin_options>()));
        assert_eq!(
            std::mem::offset_of!(sio_admin_options, server_id) + size_of::<*const c_char>(),
            size_of::<sio_admin_options>(),
            "a field was added to sio_admin_options: append its layout to ADMIN_LAYOUTS and name the new last \
             field here"
        );
        assert_eq!(std::mem::offset_of!(sio_admin_options, struct_size), 0);
        assert_eq!(DEFAULT_ADMIN_OPTIONS.struct_size, size_of::<sio_admin_options>());
        assert_eq!(std::mem::offset_of!(sio_server_options, struct_size), 0);
        assert_eq!(std::mem::offset_of!(sio_client_options, struct_size), 0);
        assert_eq!(DEFAULT_OPTIONS.struct_size, size_of::<sio_server_options>());
        assert_eq!(DEFAULT_CLIENT_OPTIONS.struct_size, size_of::<sio_client_options>());
    }

    /// A library one version newer: today's struct plus two fields. A program built
    /// against today's header (struct_size = today's size, a struct of exactly that size)
    /// keeps its own values and gets the newer library's defaults for the added fields;
    /// the newer library writes only today's bytes into it.
    #[repr(C)]
    #[derive(Debug, Clone, Copy)]
    struct Grown {
        today: sio_server_options,
        added_u32: u32,
        added_flag: bool,
        added_u64: u64,
    }

    const GROWN_DEFAULTS: Grown = Grown { today: DEFAULT_OPTIONS, added_u32: 7, added_flag: true, added_u64: 99 };
    const GROWN_LAYOUTS: &[usize] = &[SERVER_LAYOUTS[0], size_of::<Grown>()];

    #[test]
    fn a_newer_library_reads_an_older_program_s_struct_with_defaults_beyond_it() {
        // The older program: its own struct, exactly its size (Miri or a sanitizer would
        // see any access beyond it).
        let mut old = Box::new(DEFAULT_OPTIONS);
        old.ping_interval_ms = 1234;
        old.max_attachments = 3;
        let caller = (&*old as *const sio_server_options).cast::<Grown>();
        let seen = unsafe { read_prefix("grown", caller, GROWN_DEFAULTS, GROWN_LAYOUTS) }.unwrap();
        assert_eq!((seen.today.ping_interval_ms, seen.today.max_attachments), (1234, 3));
        assert_eq!((seen.added_u32, seen.added_flag, seen.added_u64), (7, true, 99));

        // *_options_init from the older program: only its bytes are written.
        let mut fresh = Box::new(sio_server_options { ping_interval_ms: 1, ..DEFAULT_OPTIONS });
        fresh.struct_size = 0;
        let out = (&mut *fresh as *mut sio_server_options).cast::<Grown>();
        unsafe { write_prefix("grown", out, size_of::<sio_server_options>(), GROWN_DEFAULTS, GROWN_LAYOUTS) }.unwrap();
        assert_eq!(fresh.struct_size, size_of::<sio_server_options>());
        assert_eq!(fresh.ping_interval_ms, DEFAULT_OPTIONS.ping_interval_ms);

        // A struct of the newer program is read whole.
        let newer = Grown { added_u64: 5, ..GROWN_DEFAULTS };
        let newer = Grown { today: sio_server_options { struct_size: size_of::<Grown>(), ..newer.today }, ..newer };
        let seen = unsafe { read_prefix("grown", &newer, GROWN_DEFAULTS, GROWN_LAYOUTS) }.unwrap();
        assert_eq!(seen.added_u64, 5);

        // Sizes between two layouts (an older struct's trailing padding, or garbage) use
        // the older layout only.
        assert_eq!(prefix_len::<Grown>("grown", GROWN_LAYOUTS[0] + 4, GROWN_LAYOUTS).unwrap(), GROWN_LAYOUTS[0]);
    }

    #[test]
    fn sizes_outside_the_known_layouts_are_refused() {
        let small = prefix_len::<sio_server_options>("sio_server_options", 8, SERVER_LAYOUTS).unwrap_err();
        assert_eq!(small.status, sio_status::SIO_ERR_INVALID_ARGUMENT);
        assert!(small.detail.starts_with("sio_server_options.struct_size is 8, smaller than the oldest layout"));
        let n = size_of::<sio_server_options>() + 8;
        let large = prefix_len::<sio_server_options>("sio_server_options", n, SERVER_LAYOUTS).unwrap_err();
        assert!(large.detail.contains("newer sio.h"), "{}", large.detail);
        let mut out = DEFAULT_OPTIONS;
        out.struct_size = 1;
        let st = unsafe { write_prefix("sio_server_options", &mut out, 0, DEFAULT_OPTIONS, SERVER_LAYOUTS) };
        assert!(st.is_err());
        assert_eq!(out.struct_size, 1, "nothing written on error");
    }
}
