//! Consistent Overhead Byte Stuffing: frames without zero bytes, so 0x00 delimits them.

/// Encode `data` into `out` (no trailing delimiter); returns the encoded length, or `None` if
/// `out` is too small (it needs `data.len() + data.len() / 254 + 1` bytes).
#[must_use]
pub fn encode(data: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut code_at = 0usize;
    let mut write = 1usize;
    let mut code: u8 = 1;
    *out.get_mut(code_at)? = 0;
    for (i, &byte) in data.iter().enumerate() {
        if byte == 0 {
            *out.get_mut(code_at)? = code;
            code_at = write;
            *out.get_mut(code_at)? = 0;
            write += 1;
            code = 1;
        } else {
            *out.get_mut(write)? = byte;
            write += 1;
            code += 1;
            // A full block splits only when more data follows (canonical COBS).
            if code == 0xFF && i + 1 < data.len() {
                *out.get_mut(code_at)? = code;
                code_at = write;
                *out.get_mut(code_at)? = 0;
                write += 1;
                code = 1;
            }
        }
    }
    *out.get_mut(code_at)? = code;
    Some(write)
}

/// Decode a frame (without its delimiter) in place; returns the decoded length, or `None` when
/// the bytes are not valid COBS (a zero byte, or a code that runs past the end).
#[must_use]
pub fn decode_in_place(buf: &mut [u8]) -> Option<usize> {
    let mut read = 0usize;
    let mut write = 0usize;
    while read < buf.len() {
        let code = *buf.get(read)?;
        if code == 0 {
            return None;
        }
        read += 1;
        for _ in 1..code {
            let byte = *buf.get(read)?;
            if byte == 0 {
                return None;
            }
            *buf.get_mut(write)? = byte;
            write += 1;
            read += 1;
        }
        if code != 0xFF && read < buf.len() {
            *buf.get_mut(write)? = 0;
            write += 1;
        }
    }
    Some(write)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encoding gives `wire`, and decoding it gives `data` back.
    fn check(data: &[u8], wire: &[u8]) {
        let mut out = [0u8; 600];
        let n = encode(data, &mut out).unwrap();
        assert_eq!(&out[..n], wire, "{data:02X?}");
        let mut back = out;
        let m = decode_in_place(&mut back[..n]).unwrap();
        assert_eq!(&back[..m], data);
    }

    #[test]
    fn known_encodings() {
        // The examples of the COBS paper (Cheshire & Baker).
        check(&[], &[0x01]);
        check(&[0x00], &[0x01, 0x01]);
        check(&[0x00, 0x00], &[0x01, 0x01, 0x01]);
        check(&[0x11, 0x22, 0x00, 0x33], &[0x03, 0x11, 0x22, 0x02, 0x33]);
        check(&[0x11, 0x22, 0x33, 0x44], &[0x05, 0x11, 0x22, 0x33, 0x44]);
        check(&[0x11, 0x00, 0x00, 0x00], &[0x02, 0x11, 0x01, 0x01, 0x01]);
        let long: Vec<u8> = (1..=254).collect();
        let mut wire = vec![0xFF];
        wire.extend_from_slice(&long);
        check(&long, &wire);
        let mut longer = long.clone();
        longer.push(0xFF);
        let mut wire = vec![0xFF];
        wire.extend_from_slice(&long);
        wire.extend_from_slice(&[0x02, 0xFF]);
        check(&longer, &wire);
    }

    #[test]
    fn bad_frames_are_refused() {
        assert_eq!(decode_in_place(&mut [0x05, 0x11]), None);
        assert_eq!(decode_in_place(&mut [0x03, 0x00, 0x11]), None);
        assert_eq!(encode(&[1, 2, 3], &mut [0u8; 3]), None);
    }
}
