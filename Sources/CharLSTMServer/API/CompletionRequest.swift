import CharLSTM

/// A `POST /v1/completions` body, checked field by field (OpenAI's completions API; `top_k` as an extension).
///
/// Every number is range-checked before use; wrong types, unknown models, prompts with characters the model does
/// not know and options this server cannot honour (`logprobs`, `suffix`, `best_of` > 1, penalties, `logit_bias`)
/// are refused with a 400 naming the field, never silently ignored. Unknown fields are ignored, as clients add
/// their own.
struct CompletionRequest: Equatable, Sendable {
    var prompt: String
    var maxTokens: Int
    var sampler: Sampler
    var stops: [String]
    var seed: UInt64?
    var n: Int
    var stream: Bool
    var echo: Bool
    /// `stream_options.include_usage`: a last chunk with the usage before `[DONE]`.
    var includeUsage: Bool

    /// The limits of the fields.
    struct Limits: Sendable, Equatable {
        /// Most characters one choice may ask for (`max_tokens`).
        var maxTokens = 100_000
        /// Characters generated when `max_tokens` is not given.
        var defaultMaxTokens = 256
        /// Most characters in a prompt.
        var maxPromptCharacters = 16_384
        /// Most choices one request may ask for (`n`); also at most the server's streams.
        var maxChoices = 16
        /// Most stop texts, and characters in each.
        var maxStops = 4, maxStopCharacters = 64
    }

    /// Parses and checks `body` for the model called `model` whose characters are `vocabulary`.
    init(body: [UInt8], model: String, vocabulary: Vocabulary, limits: Limits, maxStreams: Int) throws(APIError) {
        let value: JSONValue
        do {
            value = try body.withUnsafeBytes { try JSONValue.parse($0) }
        } catch {
            throw .invalid(nil, "the body is not valid JSON: \((error as? CharLSTMError)?.message ?? "\(error)")")
        }
        guard case .object(let fields) = value else { throw .invalid(nil, "the body must be a JSON object") }
        func field(_ name: String) -> JSONValue? {
            guard let v = fields[name], v != .null else { return nil }
            return v
        }

        if let m = field("model") {
            guard let name = m.stringValue else { throw .invalid("model", "model must be a string") }
            guard name == model else {
                throw APIError(status: 404, message: "the model '\(name.prefix(100))' does not exist; this server serves '\(model)'",
                               type: "invalid_request_error", param: "model", code: "model_not_found")
            }
        }
        switch field("prompt") {
        case nil: prompt = ""
        case .string(let s)?: prompt = s
        case .array(let items)? where items.count == 1 && items[0].stringValue != nil: prompt = items[0].stringValue!
        default: throw .invalid("prompt", "prompt must be a string (or a list of one string)")
        }
        let promptCount = prompt.unicodeScalars.count
        guard promptCount <= limits.maxPromptCharacters else {
            throw .invalid("prompt", "the prompt has \(promptCount) characters; at most \(limits.maxPromptCharacters) are accepted")
        }
        let missing = vocabulary.missingCharacters(in: prompt.unicodeScalars)
        guard missing.isEmpty else {
            throw .invalid("prompt", Vocabulary.lacking(missing, in: "the prompt"))
        }
        maxTokens = try Self.integer(field("max_tokens"), "max_tokens", 0...limits.maxTokens) ?? limits.defaultMaxTokens
        n = try Self.integer(field("n"), "n", 1...min(limits.maxChoices, maxStreams)) ?? 1
        let temperature = try Self.number(field("temperature"), "temperature", lower: 0, upper: 100, lowerOpen: false) ?? 1
        let topP = try Self.number(field("top_p"), "top_p", lower: 0, upper: 1, lowerOpen: true)
        let topK = try Self.integer(field("top_k"), "top_k", 1...Int(Int32.max))
        do {
            sampler = try Sampler(temperature: Float(temperature), topK: topK, topP: topP.map(Float.init))
        } catch {
            throw .invalid(nil, (error as? CharLSTMError)?.message ?? "\(error)")
        }
        switch field("stop") {
        case nil: stops = []
        case .string(let s)?: stops = [s]
        case .array(let items)?:
            stops = []
            for item in items {
                guard let s = item.stringValue else { throw .invalid("stop", "stop must be a string or a list of strings") }
                stops.append(s)
            }
        default: throw .invalid("stop", "stop must be a string or a list of strings")
        }
        guard stops.count <= limits.maxStops else { throw .invalid("stop", "at most \(limits.maxStops) stop texts are accepted") }
        for s in stops {
            let count = s.unicodeScalars.count
            guard count >= 1 && count <= limits.maxStopCharacters else {
                throw .invalid("stop", "a stop text must have 1 to \(limits.maxStopCharacters) characters")
            }
        }
        switch field("seed") {
        case nil: seed = nil
        case .number(let text)?:
            guard let s = UInt64(text) else {
                throw .invalid("seed", "seed must be a whole number from 0 to \(UInt64.max), got \(text.prefix(40))")
            }
            seed = s
        default: throw .invalid("seed", "seed must be a whole number from 0 to \(UInt64.max)")
        }
        stream = try Self.bool(field("stream"), "stream") ?? false
        echo = try Self.bool(field("echo"), "echo") ?? false
        includeUsage = false
        if let options = field("stream_options") {
            guard case .object(let o) = options else { throw .invalid("stream_options", "stream_options must be an object") }
            includeUsage = try Self.bool(o["include_usage"].flatMap { $0 == .null ? nil : $0 }, "stream_options.include_usage") ?? false
        }
        // What this server cannot do is said, not ignored.
        if field("logprobs") != nil { throw .invalid("logprobs", "logprobs are not supported by this server") }
        if field("suffix") != nil { throw .invalid("suffix", "suffix is not supported by this server") }
        if let b = field("best_of"), b != .number("1") { throw .invalid("best_of", "best_of other than 1 is not supported") }
        for penalty in ["presence_penalty", "frequency_penalty"] {
            if let p = field(penalty), p.doubleValue != 0 { throw .invalid(penalty, "\(penalty) is not supported (only 0)") }
        }
        if let bias = field("logit_bias"), bias != .object([:]) {
            throw .invalid("logit_bias", "logit_bias is not supported by this server")
        }
    }

    private static func integer(_ value: JSONValue?, _ name: String, _ range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let value else { return nil }
        let phrase = "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard case .number(let text) = value else { throw .invalid(name, phrase) }
        // Integral numbers only; any number of digits is compared safely (no overflow).
        guard let n = Int(text) else {
            throw .invalid(name, phrase + ", got \(text.prefix(40))")
        }
        guard range.contains(n) else { throw .invalid(name, phrase + ", got \(n)") }
        return n
    }

    private static func number(_ value: JSONValue?, _ name: String, lower: Double, upper: Double,
                               lowerOpen: Bool) throws(APIError) -> Double? {
        guard let value else { return nil }
        let phrase = "\(name) must be a number in \(lowerOpen ? "(" : "[")\(Self.show(lower)), \(Self.show(upper))]"
        guard let x = value.doubleValue, x.isFinite else { throw .invalid(name, phrase) }
        guard lowerOpen ? x > lower : x >= lower, x <= upper else { throw .invalid(name, phrase + ", got \(Self.show(x))") }
        // Sampling is in 32-bit floats, where a smaller number would silently become 0.
        guard x == 0 || abs(x) >= Double(Float.leastNormalMagnitude) else {
            throw .invalid(name, phrase + " and 0 or at least 1.2e-38 (32-bit floats), got \(Self.show(x))")
        }
        return x
    }

    private static func show(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }

    private static func bool(_ value: JSONValue?, _ name: String) throws(APIError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let b) = value else { throw .invalid(name, "\(name) must be true or false") }
        return b
    }
}
