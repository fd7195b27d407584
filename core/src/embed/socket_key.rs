//! Faces keep their own per-socket state (a handle, a number JS knows the socket by) in
//! tables keyed by [`socket_key`]: no hashing of a socket id's characters per event.
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::server::Socket;

/// A socket's key: the address of its id's text, which the socket owns, so that no other
/// live socket has it while the table's entry keeps this one alive.
pub fn socket_key(socket: &Socket) -> usize {
    socket.id().as_ptr() as usize
}

/// A table keyed by [`socket_key`].
pub type SocketMap<V> = HashMap<usize, V, BuildHasherDefault<AddressHasher>>;

/// Hashes an address (or a small number): spread by a multiplication, whose high bits
/// (the well-mixed ones) are rotated down to where the table takes its bucket index.
#[derive(Default)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b) ^ self.0.rotate_left(8));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}
