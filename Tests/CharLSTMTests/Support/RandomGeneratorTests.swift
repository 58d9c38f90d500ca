import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct RandomGeneratorTests {
    @Test func sameSeedSameSequence() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        #expect(xs != (0..<8).map { _ in c.next() })
    }

    @Test func stateRoundTripsThroughText() {
        var a = RandomGenerator(seed: 7)
        _ = a.next()
        var b = RandomGenerator(stateString: a.stateString)!
        #expect(a == b)
        #expect(a.next() == b.next())
        #expect(RandomGenerator(stateString: "0,0,0,0") == nil)
        #expect(RandomGenerator(stateString: "zz") == nil)
    }

    @Test func unitFloatsStayInRange() {
        var g = RandomGenerator(seed: 1)
        var sum = 0.0
        for _ in 0..<10_000 {
            let u = g.nextUnitFloat()
            #expect(u >= 0 && u < 1)
            sum += Double(u)
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }
}
