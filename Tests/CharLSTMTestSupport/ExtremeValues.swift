/// Texts of numbers at and past every limit a field may have, and not numbers at all: what fuzz tests put into
/// each numeric field of a file (nil: the field left out).
enum ExtremeValues {
    static let texts: [String?] = ["0", "-1", "9007199254740992", "9223372036854775807", "1e19", "1e300", "-1e300",
                                   "nan", "inf", "-inf", "abc", nil]
}
