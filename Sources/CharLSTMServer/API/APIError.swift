import CharLSTM

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with its HTTP status.
struct APIError: Error, Equatable, Sendable {
    let status: Int
    let message: String
    let type: String
    let param: String?
    let code: String?
    /// Extra header fields (`Allow` for 405, `Retry-After` for 503, `WWW-Authenticate` for 401).
    var headers: [(String, String)] = []

    static func == (a: APIError, b: APIError) -> Bool {
        a.status == b.status && a.message == b.message && a.type == b.type && a.param == b.param && a.code == b.code
    }

    /// 400: a field with a bad value (named in `param`).
    static func invalid(_ param: String?, _ message: String) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: nil)
    }

    static func http(_ failure: HTTPFailure) -> APIError {
        let code = failure.status == 413 ? "request_too_large" : nil
        return APIError(status: failure.status, message: failure.message, type: "invalid_request_error", param: nil, code: code)
    }

    static let unauthorized = APIError(
        status: 401, message: "a valid API key is needed: send it as 'Authorization: Bearer KEY'",
        type: "invalid_request_error", param: nil, code: "invalid_api_key", headers: [("WWW-Authenticate", "Bearer")])

    static func notFound(_ path: String) -> APIError {
        APIError(status: 404, message: "no such endpoint: \(path)", type: "invalid_request_error", param: nil, code: "not_found")
    }

    static func methodNotAllowed(_ method: String, allowed: [String]) -> APIError {
        APIError(status: 405, message: "\(method) is not allowed here; use \(allowed.joined(separator: " or "))",
                 type: "invalid_request_error", param: nil, code: "method_not_allowed",
                 headers: [("Allow", allowed.joined(separator: ", "))])
    }

    static func busy(_ message: String) -> APIError {
        APIError(status: 503, message: message, type: "server_error", param: nil, code: "server_busy",
                 headers: [("Retry-After", "1")])
    }

    /// The JSON body.
    var json: JSONValue {
        .object(["error": .object([
            "message": .string(message), "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null, "code": code.map(JSONValue.string) ?? .null,
        ])])
    }
}
