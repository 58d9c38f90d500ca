import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct SafeTensorsFuzzTests {
    @Test func mutatedFilesDecodeOrThrowButNeverTrap() {
        let original = sampleSafeTensors().encoded()
        var rng = RandomGenerator(seed: 20_261_124)
        var decoded = 0, rejected = 0, decodedUnchecked = 0
        for _ in 0..<3000 {
            let bytes = ByteDamage.mutate(original, &rng)
            for verify in [true, false] {
                do {
                    let file = try SafeTensors.decode(bytes, verifyChecksum: verify)
                    if verify { decoded += 1 } else { decodedUnchecked += 1 }
                    // Whatever decodes must encode to a file that decodes to the same tensors.
                    #expect(try SafeTensors.decode(file.encoded()).tensors == file.tensors)
                } catch let error as CharLSTMError {
                    #expect(error.kind == .invalidData)
                    #expect(!error.message.isEmpty)
                    if verify { rejected += 1 }
                } catch {
                    Issue.record("unexpected error type: \(error)")
                }
            }
        }
        #expect(rejected > 2500)
        #expect(decodedUnchecked > decoded)
    }
}
