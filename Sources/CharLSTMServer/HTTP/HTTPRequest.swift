/// One HTTP/1.x request as read from a connection: its head and its whole body.
struct HTTPRequest: Sendable, Equatable {
    /// `GET`, `POST`, …, as sent (methods are case-sensitive).
    let method: String
    /// The request target's path (`/v1/completions`), without the query.
    let path: String
    /// What follows `?` in the target, if anything.
    let query: String?
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    let minorVersion: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only
    /// with `Connection: keep-alive`.
    var keepAlive: Bool {
        let tokens = headers.tokens("connection")
        return minorVersion >= 1 ? !tokens.contains("close") : tokens.contains("keep-alive")
    }
}

/// Header fields in the order received; names compare case-insensitively (RFC 9110 §5.1).
struct HTTPHeaders: Sendable, Equatable {
    /// Names lowercased, values with the surrounding whitespace removed.
    private(set) var fields: [(name: String, value: String)] = []

    static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.elementsEqual(b.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    mutating func append(name: String, value: String) { fields.append((name.lowercased(), value)) }

    /// The values of every field called `name`.
    func values(_ name: String) -> [String] {
        let name = name.lowercased()
        return fields.filter { $0.name == name }.map(\.value)
    }

    /// The one value of `name` (the fields joined with ", " when repeated, as RFC 9110 §5.3 allows), or nil.
    subscript(name: String) -> String? {
        let all = values(name)
        return all.isEmpty ? nil : all.joined(separator: ", ")
    }

    /// The comma-separated tokens of `name`, lowercased (`Connection: keep-alive, Upgrade`).
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
    }
}

/// An HTTP failure to answer with a status and close the connection: malformed or too large requests.
struct HTTPFailure: Error, Equatable, Sendable {
    let status: Int
    let message: String
    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
