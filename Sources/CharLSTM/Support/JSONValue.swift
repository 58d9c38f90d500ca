/// A JSON value, parsed strictly (RFC 8259) and written with sorted keys.
///
/// Safetensors headers and the checkpoint metadata values `config`, `training` and `vocabulary` are JSON.
/// Numbers keep their exact text, so integers of any size are read without rounding and rejected cleanly when
/// they do not fit; objects reject duplicate keys; nesting deeper than ``maximumDepth`` is rejected instead of
/// exhausting the stack.
package enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as written, e.g. `"-12"`, `"0.002"`, `"1e-3"`; always valid JSON number syntax.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest nesting of arrays and objects the parser accepts.
    package static let maximumDepth = 64

    /// An integer number value; `nil` for non-numbers, fractions, exponents and values outside `Int`.
    package var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// A number value as a `Double`; `nil` for non-numbers.
    package var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A number value for an integer.
    package static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A number value for a finite double, in Swift's shortest round-tripping form; `null` for NaN and infinities.
    package static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number(String(value))
    }

    /// Compact JSON text, object keys in ascending Unicode scalar order.
    package var encoded: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text): out += text
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted(by: JSONValue.scalarOrder).enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// Ascending Unicode scalar order, which equals UTF-8 byte order and Python's `sorted` on `str`.
    package static func scalarOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t` or `\u00XX`,
    /// everything else as itself (UTF-8).
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Parses JSON text; the whole input must be one value, optionally surrounded by whitespace.
    /// Throws `CharLSTMError(.invalidData, ...)` naming the problem and its byte offset.
    package static func parse(_ text: String) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    /// Parses UTF-8 JSON bytes; see ``parse(_:)-swift.type.method``. Invalid UTF-8 is rejected.
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var value = JSONValue.null
        try parseWhole(bytes) { parser in value = try parser.parseValue(depth: 0) }
        return value
    }

    /// Parses UTF-8 bytes holding one JSON value and, when it is an object, calls `member` with each key and
    /// value in text order instead of building the object, so memory stays that of the largest member (a
    /// safetensors header of a million entries is read entry by entry). Keys must be distinct. Returns false
    /// when the text is valid JSON but not an object. Errors as ``parse(_:)-swift.type.method``, and whatever
    /// `member` throws, which ends the parse.
    package static func parseObjectMembers(_ bytes: UnsafeRawBufferPointer,
                                          _ member: (String, JSONValue) throws -> Void) throws -> Bool {
        var isObject = false
        try parseWhole(bytes) { parser in
            isObject = parser.current == UInt8(ascii: "{")
            if isObject {
                try parser.parseMembers(depth: 1, member)
            } else {
                _ = try parser.parseValue(depth: 0)
            }
        }
        return isObject
    }

    /// Checks that `bytes` are UTF-8, then runs `parseValue` on them and checks that only whitespace follows.
    private static func parseWhole(_ bytes: UnsafeRawBufferPointer,
                                   _ parseValue: (inout JSONParser) throws -> Void) throws {
        guard isValidUTF8(bytes) else { throw CharLSTMError.invalidData("JSON is not valid UTF-8") }
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        try parseValue(&parser)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
    }

    /// Whether `bytes` are well-formed UTF-8, checked in pieces of about 64 KiB that end before an ASCII
    /// byte (so no sequence is split), so that a large text is never copied whole.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while start < bytes.count {
            var end = min(start + 65_536, bytes.count)
            while end < bytes.count && bytes[end] >= 0x80 { end += 1 }
            guard String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) != nil else {
                return false
            }
            start = end
        }
        return true
    }
}

/// A recursive-descent parser over validated UTF-8 bytes.
private struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func failure(_ what: String) -> CharLSTMError {
        .invalidData("malformed JSON at byte \(position): \(what)")
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let b = current, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
    }

    mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw failure("unexpected end") }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] {
            throw failure("invalid literal")
        }
        position += count
        return value
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard let b = current else { throw failure("unexpected end, expected a value") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected byte 0x\(String(b, radix: 16)), expected a value")
        }
    }

    /// Parses `open [element ("," element)*] close` at the current opening bracket, after checking the depth;
    /// `element` parses one object member or array item.
    mutating func parseContainer(depth: Int, closing: UInt8, _ element: (inout JSONParser) throws -> Void) throws {
        guard depth <= JSONValue.maximumDepth else { throw failure("nested deeper than \(JSONValue.maximumDepth)") }
        position += 1
        skipWhitespace()
        if current == closing {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            guard current == closing else { throw failure("expected ',' or '\(Unicode.Scalar(closing))'") }
            position += 1
            return
        }
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        try parseMembers(depth: depth) { key, value in members[key] = value }
        return .object(members)
    }

    /// Parses an object at the current `{`, handing each member to `body` in text order; keys must be distinct.
    mutating func parseMembers(depth: Int, _ body: (String, JSONValue) throws -> Void) throws {
        var keys = Set<String>()
        try parseContainer(depth: depth, closing: UInt8(ascii: "}")) { parser in
            guard parser.current == UInt8(ascii: "\"") else { throw parser.failure("expected a string key") }
            let keyStart = parser.position
            let key = try parser.parseString()
            parser.skipWhitespace()
            guard parser.current == UInt8(ascii: ":") else { throw parser.failure("expected ':'") }
            parser.position += 1
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: depth)
            guard keys.insert(key).inserted else {
                parser.position = keyStart
                throw parser.failure("duplicate key \"\(key)\"")
            }
            try body(key, value)
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        var items: [JSONValue] = []
        try parseContainer(depth: depth, closing: UInt8(ascii: "]")) { parser in
            items.append(try parser.parseValue(depth: depth))
        }
        return .array(items)
    }

    mutating func parseDigits() -> Int {
        let start = position
        while let b = current, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { position += 1 }
        return position - start
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else if parseDigits() == 0 {
            throw failure("expected a digit")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard parseDigits() > 0 else { throw failure("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard parseDigits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    mutating func parseHex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("unexpected end in \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Parses a string literal; the bytes are already known to be valid UTF-8.
    mutating func parseString() throws -> String {
        position += 1
        var out = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ end: Int, into out: inout String.UnicodeScalarView) {
            if end > runStart {
                out.append(contentsOf: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]),
                                              as: UTF8.self).unicodeScalars)
            }
        }
        while true {
            guard let b = current else { throw failure("unterminated string") }
            if b == UInt8(ascii: "\"") {
                flushRun(position, into: &out)
                position += 1
                return String(out)
            }
            if b < 0x20 { throw failure("control character 0x\(String(b, radix: 16)) in a string") }
            if b != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            flushRun(position, into: &out)
            position += 1
            guard let e = current else { throw failure("unterminated escape") }
            position += 1
            switch e {
            case UInt8(ascii: "\""): out.append("\"")
            case UInt8(ascii: "\\"): out.append("\\")
            case UInt8(ascii: "/"): out.append("/")
            case UInt8(ascii: "b"): out.append("\u{08}")
            case UInt8(ascii: "f"): out.append("\u{0C}")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "u"):
                var value = try parseHex4()
                if (0xD800..<0xDC00).contains(value) {
                    guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else { throw failure("unpaired surrogate") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(value) else { throw failure("unpaired surrogate") }
                out.append(scalar)
            default: throw failure("invalid escape '\\\(Unicode.Scalar(e))'")
            }
            runStart = position
        }
    }
}
