//! WebSocket frame headers (RFC 6455 §5.2): parse the header in front of a payload, write
//! one in front of a new payload (the deflate layer, and the server's own framing).

pub(crate) const OP_CONTINUATION: u8 = 0;
pub(crate) const OP_TEXT: u8 = 1;
pub(crate) const OP_BINARY: u8 = 2;

const FIN: u8 = 0x80;
pub(crate) const RSV1: u8 = 0x40;
/// RSV2: no extension we negotiate defines it, so a frame written with it makes
/// tungstenite fail the connection (our way to hand it a broken compressed message).
pub(crate) const RSV2: u8 = 0x20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) fin: bool,
    pub(crate) rsv1: bool,
    /// RSV2 and RSV3 (no extension defines them).
    pub(crate) reserved: u8,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    pub(crate) len: u64,
    /// Bytes the header took.
    pub(crate) size: usize,
}

impl Header {
    /// The header at the start of `buf`, or `None` when `buf` does not hold all of it yet.
    pub(crate) fn parse(buf: &[u8]) -> Option<Header> {
        let (&b0, &b1) = (buf.first()?, buf.get(1)?);
        let (len, mut at) = match b1 & 0x7f {
            126 => (u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)), 4),
            127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
            n => (u64::from(n), 2),
        };
        let mask = if b1 & 0x80 != 0 {
            let key: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
            at += 4;
            Some(key)
        } else {
            None
        };
        Some(Header {
            fin: b0 & FIN != 0,
            rsv1: b0 & RSV1 != 0,
            reserved: b0 & 0x30,
            opcode: b0 & 0x0f,
            mask,
            len,
            size: at,
        })
    }

    pub(crate) fn is_data(&self) -> bool {
        matches!(self.opcode, OP_TEXT | OP_BINARY)
    }
}

/// Appends a header: `first_byte` holds FIN, RSV and the opcode.
pub(crate) fn write_header(out: &mut Vec<u8>, first_byte: u8, len: u64, mask: Option<[u8; 4]>) {
    out.push(first_byte);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= u64::from(u16::MAX) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

pub(crate) fn first_byte(fin: bool, rsv1: bool, opcode: u8) -> u8 {
    (if fin { FIN } else { 0 }) | (if rsv1 { RSV1 } else { 0 }) | opcode
}

/// XORs `data` with `key`, `data` starting at byte `offset` of the payload.
pub(crate) fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = [key[offset % 4], key[(offset + 1) % 4], key[(offset + 2) % 4], key[(offset + 3) % 4]];
    // Eight bytes at a time: the key repeats every four.
    let wide = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes((&*c).try_into().expect("8 bytes")) ^ wide;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

/// A client's frame of `payload` (masked with `key`), as a peer writes it: tests of the
/// server's reading side build their input with it.
#[cfg(test)]
pub(crate) fn client_frame(first: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    write_header(&mut out, first, payload.len() as u64, Some(key));
    let mut body = payload.to_vec();
    apply_mask(&mut body, key, 0);
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        for len in [0u64, 125, 126, 65535, 65536, 1 << 33] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let mut out = Vec::new();
                write_header(&mut out, first_byte(true, true, OP_BINARY), len, mask);
                let h = Header::parse(&out).expect("a whole header");
                assert_eq!(
                    (h.fin, h.rsv1, h.opcode, h.mask, h.len, h.size),
                    (true, true, OP_BINARY, mask, len, out.len())
                );
                assert_eq!(Header::parse(&out[..out.len() - 1]), None);
            }
        }
    }

    #[test]
    fn masks_at_any_offset() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..37).collect();
        for offset in 0..8 {
            let mut fast = data.clone();
            apply_mask(&mut fast, key, offset);
            let slow: Vec<u8> = data.iter().enumerate().map(|(i, b)| b ^ key[(offset + i) % 4]).collect();
            assert_eq!(fast, slow, "offset {offset}");
        }
    }
}
