/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of Python's `zlib.crc32` and of zip.
///
/// Math: the message bits, least significant bit of each byte first, are a polynomial M(x) over GF(2); with the
/// register preset to all ones and the result inverted, crc = ~((~0 · x^(8n) + M(x) · x^32) mod P(x)).
/// The bytewise table is T0[b] = (b · x^32) mod P (reflected). Slicing-by-8 adds the tables
/// Tk[b] = (T(k-1)[b] >> 8) ^ T0[T(k-1)[b] & 0xFF], the contribution of byte b followed by k zero bytes, so eight
/// bytes fold into the register with eight independent lookups:
///     c = T7[b0 ^ c0] ^ T6[b1 ^ c1] ^ T5[b2 ^ c2] ^ T4[b3 ^ c3] ^ T3[b4] ^ T2[b5] ^ T1[b6] ^ T0[b7]
/// where c0...c3 are the register's bytes, low first.
package enum CRC32 {
    /// The eight 256-entry slicing tables, T0 first, flattened.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC-32 of `bytes`; pass a previous result as `crc` to continue a checksum over several pieces.
    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            let n = bytes.count
            var i = 0
            while n - i >= 8 {
                let lo = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// The CRC-32 of `bytes`.
    package static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// Naive twin of ``checksum(_:continuing:)``, one bit at a time with no tables: the test oracle.
    static func naiveChecksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    /// `"crc32:"` followed by the checksum as 8 lowercase hexadecimal digits, the form stored in checkpoints.
    package static func label(_ crc: UInt32) -> String {
        let hex = String(crc, radix: 16)
        return "crc32:" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
