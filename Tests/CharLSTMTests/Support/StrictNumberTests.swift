import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct StrictNumberTests {
    @Test func integers() {
        #expect(StrictNumber.integer("0") == .value(0))
        #expect(StrictNumber.integer("-12") == .value(-12))
        #expect(StrictNumber.integer("0042") == .value(42))
        #expect(StrictNumber.integer("9223372036854775807") == .value(.max))
        #expect(StrictNumber.integer("-9223372036854775808") == .value(.min))
        #expect(StrictNumber.integer("9223372036854775808") == .overflow)
        #expect(StrictNumber.integer("-99999999999999999999999") == .overflow)
        for text in ["", "-", "+1", "1.0", "1e3", "0x1", " 1", "1 ", "١٢", "1_0", "--1"] {
            #expect(StrictNumber.integer(text) == .malformed, "\(text)")
        }
        #expect(StrictNumber.unsigned("18446744073709551615") == .max)
        #expect(StrictNumber.unsigned("18446744073709551616") == nil)
        #expect(StrictNumber.unsigned("-0") == nil)
    }

    @Test func reals() {
        #expect(StrictNumber.real("1") == 1)
        #expect(StrictNumber.real("-2.5") == -2.5)
        #expect(StrictNumber.real(".5") == 0.5)
        #expect(StrictNumber.real("5.") == 5)
        #expect(StrictNumber.real("2e-3") == 0.002)
        #expect(StrictNumber.real("1E+2") == 100)
        #expect(StrictNumber.real("1e999")?.isFinite != true)
        for text in ["", ".", "-", "+1", "e5", "1e", "1e+", "1.2.3", "nan", "NaN", "inf", "infinity", "0x1p3", "1,5", " 1", "1f", "٣"] {
            #expect(StrictNumber.real(text) == nil, "\(text)")
        }
    }
}
