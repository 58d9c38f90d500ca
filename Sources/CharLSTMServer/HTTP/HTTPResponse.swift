#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 response head and body as bytes.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    init(status: Int, contentType: String? = nil, body: [UInt8] = [], headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
        if let contentType { self.headers.append(("Content-Type", contentType)) }
    }

    /// The head (status line and fields, with `Content-Length` unless the body is streamed) and the body,
    /// `keepAlive` deciding the `Connection` field; a HEAD request gets the head alone.
    func bytes(keepAlive: Bool, streamed: Bool = false, headOnly: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Date: \(Self.httpDate())\r\nServer: charlstm\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !streamed { head += "Content-Length: \(body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        return Array(head.utf8) + (headOnly || streamed ? [] : body)
    }

    /// One piece of a chunked body (RFC 9112 §7.1); empty `data` gives the last chunk.
    static func chunk(_ data: [UInt8]) -> [UInt8] {
        if data.isEmpty { return Array("0\r\n\r\n".utf8) }
        return Array((String(data.count, radix: 16) + "\r\n").utf8) + data + [0x0D, 0x0A]
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }

    /// `Sun, 06 Dec 2026 19:30:05 GMT` (RFC 9110 §5.6.7).
    static func httpDate() -> String {
        var now = time(nil), parts = tm()
        gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
