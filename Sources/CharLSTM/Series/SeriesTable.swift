#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Numeric columns read from a CSV file with a header row: the series a series model trains on, forecasts or
/// is evaluated on.
///
/// The file is comma-separated (or, when its header has no comma, tab- or semicolon-separated), UTF-8, with
/// RFC 4180 quoting; a byte-order mark and CRLF line ends are accepted. Lines are counted from 1, the header
/// being line 1. Every value of a column read must be a finite number: a missing value (an empty field, `NA`,
/// `N/A`, `NaN` or `null`) is an error naming its line and column unless ``GapPolicy/interpolate`` is asked for,
/// which fills each gap linearly between the values around it. A value larger in magnitude than ``valueLimit``
/// (10^100) is refused, naming its line, so that statistics and forecasts stay finite. A quote that is never closed
/// is an error naming its line. Other columns are not looked at beyond their field count. The file is held once, as
/// bytes; the values once, as numbers.
public struct SeriesTable: Equatable, Sendable {
    /// The names of the columns read, in the order asked for.
    public let columns: [String]
    /// The values, row-major [count, columns.count].
    public let values: [Double]
    /// How many gaps were filled by interpolation.
    public let interpolated: Int

    /// Rows (time steps).
    public var count: Int { values.count / max(columns.count, 1) }

    /// What to do with a missing value.
    public enum GapPolicy: Equatable, Sendable {
        /// A missing value is an error naming its line and column.
        case refuse
        /// A gap between two values is filled on the straight line between them; a gap before the first or after
        /// the last value of a column remains an error.
        case interpolate
    }

    /// A table of `columns` holding `values` row-major (a whole number of rows), `interpolated` of them gap fills.
    /// Throws `.usage` for no columns or a count of values that is not a whole number of rows.
    public init(columns: [String], values: [Double], interpolated: Int = 0) throws(CharLSTMError) {
        guard !columns.isEmpty, values.count % columns.count == 0, interpolated >= 0 else {
            throw .usage("a series table needs at least one column and a whole number of rows: \(values.count) values "
                + "in \(columns.count) columns")
        }
        self.init(rows: columns, values: values, interpolated: interpolated)
    }

    /// A table whose shape its caller guarantees (read from a file, or rows of another table).
    init(rows columns: [String], values: [Double], interpolated: Int = 0) {
        precondition(!columns.isEmpty && values.count % columns.count == 0)
        self.columns = columns
        self.values = values
        self.interpolated = interpolated
    }

    /// The values of column `j` in time order. O(count).
    public func column(_ j: Int) -> [Double] {
        let F = columns.count
        return (0..<count).map { values[$0 * F + j] }
    }

    /// Reads `columns` of the CSV file at `path` (a regular file or a pipe). Throws `.noInput` for a file that
    /// cannot be read and `.invalidData` for a malformed file, a missing column (listing those present) or a
    /// bad value (naming its line and column); every message names the file.
    public static func load(path: String, columns: [String], gaps: GapPolicy = .refuse) throws -> SeriesTable {
        try load(bytes: try read(path: path), path: path, columns: columns, gaps: gaps)
    }

    /// The bytes of the file at `path` (a regular file or a pipe), read once.
    static func read(path: String) throws(CharLSTMError) -> [UInt8] {
        try InputFile(path: path, accepting: .regularFilesAndPipes).readAll(memoryLimit: Corpus.memoryLimit)
    }

    /// ``load(path:columns:gaps:)`` of the file's `bytes`, already read.
    static func load(bytes: [UInt8], path: String, columns: [String], gaps: GapPolicy) throws(CharLSTMError) -> SeriesTable {
        do {
            return try parse(bytes, columns: columns, gaps: gaps)
        } catch {
            throw error.prefixed("'\(path)' ")
        }
    }

    /// The largest magnitude a value may have: 10^100. Their mean, standard deviation and differences then stay
    /// finite (``SeriesScaling``), and so do forecasts mapped back into the series' units; a checkpoint of a
    /// series model is always loadable. Larger values are refused, naming their line, before anything trains.
    static let valueLimit = 1e100

    /// Reads `columns` from CSV `bytes`; messages read after the file's name ("line 4, column 'co2': …").
    /// The bytes are parsed in place: only the header's names and the fields of the columns read become
    /// strings. O(bytes).
    static func parse(_ bytes: [UInt8], columns wanted: [String], gaps: GapPolicy) throws(CharLSTMError) -> SeriesTable {
        var result: Result<SeriesTable, CharLSTMError> = .failure(.invalidData(""))
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(CharLSTMError) in try parse(raw, columns: wanted, gaps: gaps) }
        }
        return try result.get()
    }

    private static func parse(_ raw: UnsafeRawBufferPointer, columns wanted: [String],
                              gaps: GapPolicy) throws(CharLSTMError) -> SeriesTable {
        let bom = raw.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let body = UnsafeRawBufferPointer(rebasing: raw[bom...])
        guard JSONValue.isValidUTF8(body) else { throw .invalidData("is not valid UTF-8 text") }
        var reader = CSVReader(body)
        guard try reader.nextRecord(), !(reader.fieldCount == 1 && reader.field(0).isEmpty) else {
            throw .invalidData("is empty: a CSV file with a header row is needed")
        }
        let names = (0..<reader.fieldCount).map { reader.field($0).trimmingSpacesAndTabs() }
        // Names as messages show them: quoted, on one line.
        let shown = wanted.map { ValueRange.quoted($0, quote: "'") }
        var indices: [Int] = []
        for name in wanted {
            guard let j = names.firstIndex(of: name) else {
                let listed = names.map { ValueRange.quoted($0, quote: "'") }.joined(separator: ", ")
                throw .invalidData("has no column \(ValueRange.quoted(name, quote: "'")); its columns are \(listed)")
            }
            indices.append(j)
        }
        var values: [Double] = [], lines: [Int] = [], gapCount = 0
        while try reader.nextRecord() {
            if reader.atEnd && reader.fieldCount == 1 && reader.fieldIsEmpty(0) { break }  // the newline after the last row
            guard reader.fieldCount == names.count else {
                throw .invalidData("line \(reader.line) has \(reader.fieldCount) fields, the header \(names.count)")
            }
            for (c, j) in indices.enumerated() {
                let field = reader.field(j).trimmingSpacesAndTabs()
                if let v = Double(field), v.isFinite {
                    guard abs(v) <= valueLimit else {
                        throw .invalidData("line \(reader.line), column \(shown[c]): \(field.prefix(40)) is larger in magnitude "
                            + "than 1e100, the most a series value may be: rescale the column (e.g. into other units)")
                    }
                    values.append(v)
                } else if Self.isMissing(field) {
                    guard gaps == .interpolate else {
                        throw .invalidData("line \(reader.line), column \(shown[c]) has no value"
                            + (field.isEmpty ? "" : " (\(ValueRange.quoted(field, quote: "'")))") + ": fill it in, or give \(setting: .gaps) to fill gaps linearly")
                    }
                    gapCount += 1
                    values.append(.nan)
                } else {
                    throw .invalidData("line \(reader.line), column \(shown[c]): \(ValueRange.quoted(field, quote: "'")) is not a number")
                }
            }
            lines.append(reader.line)
        }
        guard !lines.isEmpty else { throw .invalidData("has a header but no rows of values") }
        try fillGaps(&values, width: wanted.count, lines: lines, names: shown)
        return SeriesTable(rows: wanted, values: values, interpolated: gapCount)
    }

    /// Whether a field stands for a missing value.
    static func isMissing(_ field: String) -> Bool {
        ["", "na", "n/a", "nan", "null"].contains(field.lowercased())
    }

    /// Fills every NaN of each column on the straight line between its neighbours; throws naming the line of a
    /// gap at either end, which has no neighbour on one side. O(values).
    private static func fillGaps(_ values: inout [Double], width F: Int, lines: [Int], names: [String]) throws(CharLSTMError) {
        let n = lines.count
        for c in 0..<F {
            var previous: Int? = nil  // the last row with a value
            for r in 0..<n where !values[r * F + c].isNaN {
                if let p = previous, r - p > 1 {
                    let a = values[p * F + c], b = values[r * F + c]
                    for k in (p + 1)..<r { values[k * F + c] = a + (b - a) * Double(k - p) / Double(r - p) }
                }
                previous = r
            }
            guard let last = previous else { throw .invalidData("column \(names[c]) has no values") }
            if let first = (0..<n).first(where: { !values[$0 * F + c].isNaN }), first > 0 {
                throw .invalidData("line \(lines[0]), column \(names[c]) has no value and no value before it to interpolate from")
            }
            if last < n - 1 {
                throw .invalidData("line \(lines[n - 1]), column \(names[c]) has no value and no value after it to interpolate from")
            }
        }
    }
}

/// Splits CSV bytes into records of fields in place (RFC 4180: fields in double quotes may hold the separator,
/// line breaks and doubled quotes), counting lines from 1. A record's fields are byte ranges, decoded only when
/// asked for. The bytes must be valid UTF-8 and stay valid while the reader is used.
struct CSVReader {
    private let bytes: UnsafeRawBufferPointer
    private var i = 0
    private var lineCount = 1
    private let separator: UInt8
    /// The current record's fields, as byte ranges of `bytes` (quotes included).
    private var fields: [Range<Int>] = []
    /// The line the current record starts on.
    private(set) var line = 1

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        separator = [UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: ";")].first(where: firstLine.contains) ?? UInt8(ascii: ",")
    }

    /// Whether everything has been read.
    var atEnd: Bool { i >= bytes.count }

    /// Fields in the current record.
    var fieldCount: Int { fields.count }

    /// Whether field `k` of the current record is empty (no bytes at all).
    func fieldIsEmpty(_ k: Int) -> Bool { fields[k].isEmpty }

    /// Field `k` of the current record, its quotes removed and doubled quotes made single.
    func field(_ k: Int) -> String {
        let range = fields[k]
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard raw.contains(UInt8(ascii: "\"")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var quoted = false, j = 0
        while j < raw.count {
            let b = raw[j]
            j += 1
            if b == UInt8(ascii: "\"") {
                if quoted && j < raw.count && raw[j] == UInt8(ascii: "\"") {
                    out.append(b)
                    j += 1
                } else {
                    quoted.toggle()
                }
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Moves to the next record; false at the end of the text. Throws `.invalidData` naming the line of a quote
    /// that is never closed, rather than reading the rest of the file as one field. O(record).
    mutating func nextRecord() throws(CharLSTMError) -> Bool {
        guard !atEnd else { return false }
        line = lineCount
        fields.removeAll(keepingCapacity: true)
        var start = i, quoted = false, quoteLine = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i < bytes.count && bytes[i] == UInt8(ascii: "\"") { i += 1 } else { quoted = false }
                } else if b == UInt8(ascii: "\n") {
                    lineCount += 1
                }
            } else if b == UInt8(ascii: "\"") {
                quoted = true
                quoteLine = lineCount
            } else if b == separator {
                fields.append(start..<(i - 1))
                start = i
            } else if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                fields.append(start..<(i - 1))
                if b == UInt8(ascii: "\r") && i < bytes.count && bytes[i] == UInt8(ascii: "\n") { i += 1 }
                lineCount += 1
                return true
            }
        }
        if quoted {
            throw .invalidData("line \(quoteLine) opens a quoted field that is never closed: add the closing \" "
                + "(a quote inside a quoted field is written twice, \"\")")
        }
        fields.append(start..<i)
        return true
    }
}

extension SeriesTable {
    /// Rows `range` of the table (interpolation count kept). O(rows in range · columns).
    public func rows(_ range: Range<Int>) -> SeriesTable {
        let F = columns.count
        return SeriesTable(rows: columns, values: Array(values[(range.lowerBound * F)..<(range.upperBound * F)]),
                           interpolated: interpolated)
    }
}
