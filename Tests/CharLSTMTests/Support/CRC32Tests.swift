import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct CRC32Tests {
    /// Known values, computed with Python's `zlib.crc32`.
    @Test func matchesZlibVectors() {
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("a".utf8)) == 0xE8B7_BE43)
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum((0..<256).map { UInt8($0) }) == 0x2905_8C73)
        #expect(CRC32.checksum((0..<1000).map { UInt8(($0 * 7 + 3) % 256) }) == 0x17BC_2A46)
    }

    @Test func slicedMatchesNaiveTwinOnEveryLength() {
        var rng = RandomGenerator(seed: 3)
        let bytes = (0..<100).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for length in 0...bytes.count {
            let prefix = Array(bytes[..<length])
            #expect(CRC32.checksum(prefix) == CRC32.naiveChecksum(prefix), "length \(length)")
        }
    }

    @Test func continuesAcrossPieces() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32.checksum(Array(bytes[4...]), continuing: CRC32.checksum(Array(bytes[..<4]))) == 0xCBF4_3926)
    }

    @Test func labelIsEightLowercaseHexDigits() {
        #expect(CRC32.label(0xCBF4_3926) == "crc32:cbf43926")
        #expect(CRC32.label(0x1F) == "crc32:0000001f")
    }
}
