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
/// which fills each gap linearly between the values around it. Other columns are not looked at beyond their
/// field count.
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

    public init(columns: [String], values: [Double], interpolated: Int = 0) {
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

    /// Reads `columns` from CSV `bytes`; messages read after the file's name ("line 4, column 'co2': …").
    /// O(bytes).
    public static func parse(_ bytes: [UInt8], columns wanted: [String], gaps: GapPolicy) throws(CharLSTMError) -> SeriesTable {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        guard let text = String(validating: body, as: UTF8.self) else { throw .invalidData("is not valid UTF-8 text") }
        var reader = CSVReader(text)
        guard let header = reader.nextRecord(), !(header.fields.count == 1 && header.fields[0].isEmpty) else {
            throw .invalidData("is empty: a CSV file with a header row is needed")
        }
        let names = header.fields.map { $0.trimmingSpacesAndTabs() }
        var indices: [Int] = []
        for name in wanted {
            guard let j = names.firstIndex(of: name) else {
                let listed = names.map { "'\($0)'" }.joined(separator: ", ")
                throw .invalidData("has no column '\(name)'; its columns are \(listed)")
            }
            indices.append(j)
        }
        var values: [Double] = [], lines: [Int] = [], gapCount = 0
        while let record = reader.nextRecord() {
            if reader.atEnd && record.fields == [""] { break }  // the newline after the last row
            guard record.fields.count == names.count else {
                throw .invalidData("line \(record.line) has \(record.fields.count) fields, the header \(names.count)")
            }
            for (c, j) in indices.enumerated() {
                let field = record.fields[j].trimmingSpacesAndTabs()
                if let v = Double(field), v.isFinite {
                    values.append(v)
                } else if Self.isMissing(field) {
                    guard gaps == .interpolate else {
                        throw .invalidData("line \(record.line), column '\(wanted[c])' has no value"
                            + (field.isEmpty ? "" : " ('\(field)')") + ": fill it in, or give \(setting: .gaps) to fill gaps linearly")
                    }
                    gapCount += 1
                    values.append(.nan)
                } else {
                    throw .invalidData("line \(record.line), column '\(wanted[c])': '\(field.prefix(40))' is not a number")
                }
            }
            lines.append(record.line)
        }
        guard !lines.isEmpty else { throw .invalidData("has a header but no rows of values") }
        try fillGaps(&values, width: wanted.count, lines: lines, names: wanted)
        return SeriesTable(columns: wanted, values: values, interpolated: gapCount)
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
            guard let last = previous else { throw .invalidData("column '\(names[c])' has no values") }
            if let first = (0..<n).first(where: { !values[$0 * F + c].isNaN }), first > 0 {
                throw .invalidData("line \(lines[0]), column '\(names[c])' has no value and no value before it to interpolate from")
            }
            if last < n - 1 {
                throw .invalidData("line \(lines[n - 1]), column '\(names[c])' has no value and no value after it to interpolate from")
            }
        }
    }
}

/// Splits CSV text into records of fields (RFC 4180: fields in double quotes may hold the separator, line breaks
/// and doubled quotes), counting lines from 1.
struct CSVReader {
    private let scalars: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private let separator: Unicode.Scalar

    /// A record and the line it starts on.
    struct Record {
        let fields: [String]
        let line: Int
    }

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        let firstLine = scalars.prefix { $0 != "\n" && $0 != "\r" }
        separator = firstLine.contains(",") ? "," : firstLine.contains("\t") ? "\t" : firstLine.contains(";") ? ";" : ","
    }

    /// Whether everything has been read.
    var atEnd: Bool { i >= scalars.count }

    /// The next record, or nil at the end of the text.
    mutating func nextRecord() -> Record? {
        guard !atEnd else { return nil }
        let start = line
        var fields: [String] = [], field = String.UnicodeScalarView(), quoted = false
        while i < scalars.count {
            let s = scalars[i]
            i += 1
            if quoted {
                if s == "\"" {
                    if i < scalars.count && scalars[i] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else {
                    if s == "\n" { line += 1 }
                    field.append(s)
                }
            } else if s == "\"" {
                quoted = true
            } else if s == separator {
                fields.append(String(field))
                field = String.UnicodeScalarView()
            } else if s == "\n" || s == "\r" {
                if s == "\r" && i < scalars.count && scalars[i] == "\n" { i += 1 }
                line += 1
                break
            } else {
                field.append(s)
            }
        }
        fields.append(String(field))
        return Record(fields: fields, line: start)
    }
}

extension SeriesTable {
    /// Rows `range` of the table (interpolation count kept). O(rows in range · columns).
    public func rows(_ range: Range<Int>) -> SeriesTable {
        let F = columns.count
        return SeriesTable(columns: columns, values: Array(values[(range.lowerBound * F)..<(range.upperBound * F)]),
                           interpolated: interpolated)
    }
}
