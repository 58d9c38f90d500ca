#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers as text the way C's `printf` writes them in the "C" locale (a '.' decimal point, no grouping), without
/// Foundation's `String(format:)`, which on Linux links the whole of Foundation and its ICU data (about 6 MiB of
/// resident memory in every `charlstm` process). Each initialiser is one `vsnprintf` call: the text is
/// byte-identical to the `printf` conversion it names, `nan`, `inf` and `-0.00` included.
extension String {
    /// `value` with exactly `fractionDigits` digits after the point, rounded as `printf("%.Nf")` rounds (the
    /// exact binary value, ties to even): `String(2.345, fractionDigits: 1)` is "2.3", `String(-0.004,
    /// fractionDigits: 2)` is "-0.00". With `alwaysSigned`, positive values and +0 get a '+' (`%+.Nf`).
    /// O(digits of the result).
    package init(_ value: Double, fractionDigits: Int, alwaysSigned: Bool = false) {
        precondition(fractionDigits >= 0, "fractionDigits must not be negative")
        self = printfConversion(alwaysSigned ? "%+.*f" : "%.*f", Int32(clamping: fractionDigits), value)
    }

    /// `value` with at most `significantDigits` significant digits, as `printf("%.Ng")` writes it: trailing zeros
    /// and a trailing point dropped, exponent notation (`1e-05`, `1.5e+07`) when the decimal exponent is below −4
    /// or at least `significantDigits`. `String(0.5, significantDigits: 6)` is "0.5", `String(1234567,
    /// significantDigits: 6)` is "1.23457e+06". C's `%g` is `significantDigits: 6`. O(1).
    package init(_ value: Double, significantDigits: Int) {
        precondition(significantDigits >= 0, "significantDigits must not be negative")
        self = printfConversion("%.*g", Int32(clamping: significantDigits), value)
    }
}

/// One `printf` conversion of `value` with a `*` precision, e.g. `"%.*f"`. Most results fit the first 64-byte
/// buffer; a longer one (`%f` of 1e308 has 309 digits) is written again into a buffer of its exact size.
private func printfConversion(_ format: String, _ precision: Int32, _ value: Double) -> String {
    func write(_ buffer: inout [CChar]) -> Int {
        let count = buffer.count
        return format.withCString { spec in
            withVaList([precision, value]) { arguments in Int(vsnprintf(&buffer, count, spec, arguments)) }
        }
    }
    var buffer = [CChar](repeating: 0, count: 64)
    let length = write(&buffer)
    precondition(length >= 0, "vsnprintf failed on \(format)")
    if length >= buffer.count {
        buffer = [CChar](repeating: 0, count: length + 1)
        _ = write(&buffer)
    }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
