import Testing
@testable import CharLSTMKernels

@Suite struct GemmTests {
    @Test func naiveMatchesHandComputed() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4)
        naiveSgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: b, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        #expect(c == [19, 22, 43, 50])
    }
}
