import Testing
import CharLSTM
@testable import CharLSTMServer

/// The completions body, field by field: defaults, every range, wrong types, unsupported options, and the stop
/// text held back from streamed pieces.
@Suite struct CompletionRequestTests {
    static let vocabulary = Vocabulary(of: "abcdefghij ROMEO:\n".unicodeScalars)

    static func parse(_ json: String) throws(APIError) -> CompletionRequest {
        try CompletionRequest(body: Array(json.utf8), model: "m", vocabulary: vocabulary, limits: .init(), maxStreams: 8)
    }

    @Test func defaultsAndEveryField() throws {
        let d = try Self.parse("{}")
        #expect(d.prompt == "" && d.maxTokens == 256 && d.n == 1 && !d.stream && d.seed == nil && d.stops.isEmpty)
        #expect(d.sampler == (try Sampler(temperature: 1)))
        let r = try Self.parse("""
            {"model":"m","prompt":"ROMEO:","max_tokens":10,"temperature":0,"top_p":0.5,"top_k":3,"stop":["\\n\\n","a"],
             "seed":18446744073709551615,"n":2,"stream":true,"echo":false,"stream_options":{"include_usage":true},
             "user":"someone","presence_penalty":0,"best_of":1,"logprobs":null}
            """)
        #expect(r.prompt == "ROMEO:" && r.maxTokens == 10 && r.n == 2 && r.stream && r.includeUsage)
        let sampler = try Sampler(temperature: 0, topK: 3, topP: 0.5)
        #expect(r.seed == UInt64.max && r.stops == ["\n\n", "a"] && r.sampler == sampler)
        #expect(try Self.parse(#"{"prompt":["abc"],"stop":"j"}"#).stops == ["j"])
    }

    @Test func badFieldsAreNamedWithTheirRange() {
        let table: [(String, Int, String?, String)] = [
            ("[1]", 400, nil, "the body must be a JSON object"),
            ("{\"prompt\":", 400, nil, "the body is not valid JSON"),
            ("{\"prompt\":\"a\",\"prompt\":\"b\"}", 400, nil, "duplicate key"),
            ("{\"model\":\"gpt-4\"}", 404, "model", "the model 'gpt-4' does not exist; this server serves 'm'"),
            ("{\"model\":3}", 400, "model", "model must be a string"),
            ("{\"prompt\":3}", 400, "prompt", "prompt must be a string"),
            ("{\"prompt\":[\"a\",\"b\"]}", 400, "prompt", "prompt must be a string"),
            ("{\"prompt\":\"ROMEO: ß\"}", 400, "prompt", "the prompt has a character that is not in the model's vocabulary: 'ß' (U+00DF)"),
            ("{\"max_tokens\":-1}", 400, "max_tokens", "max_tokens must be a whole number from 0 to 100000, got -1"),
            ("{\"max_tokens\":100001}", 400, "max_tokens", "got 100001"),
            ("{\"max_tokens\":99999999999999999999999}", 400, "max_tokens", "got 99999999999999999999999"),
            ("{\"max_tokens\":1.5}", 400, "max_tokens", "whole number"),
            ("{\"max_tokens\":\"10\"}", 400, "max_tokens", "whole number"),
            ("{\"n\":0}", 400, "n", "n must be a whole number from 1 to 8"),
            ("{\"n\":9}", 400, "n", "from 1 to 8, got 9"),
            ("{\"temperature\":-0.1}", 400, "temperature", "temperature must be a number in [0, 100], got -0.1"),
            ("{\"temperature\":1e999}", 400, "temperature", "temperature must be a number in [0, 100]"),
            ("{\"temperature\":true}", 400, "temperature", "temperature must be a number"),
            ("{\"top_p\":0}", 400, "top_p", "top_p must be a number in (0, 1], got 0"),
            ("{\"top_p\":1.01}", 400, "top_p", "got 1.01"),
            ("{\"top_p\":1e-300}", 400, "top_p", "0 or at least 1.2e-38 (32-bit floats), got 1e-300"),
            ("{\"temperature\":1e-300}", 400, "temperature", "0 or at least 1.2e-38 (32-bit floats), got 1e-300"),
            ("{\"top_k\":0}", 400, "top_k", "top_k must be a whole number from 1"),
            ("{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "stop", "at most 4 stop texts"),
            ("{\"stop\":\"\"}", 400, "stop", "a stop text must have 1 to 64 characters"),
            ("{\"stop\":[1]}", 400, "stop", "stop must be a string or a list of strings"),
            ("{\"seed\":-1}", 400, "seed", "seed must be a whole number from 0 to 18446744073709551615, got -1"),
            ("{\"seed\":18446744073709551616}", 400, "seed", "got 18446744073709551616"),
            ("{\"seed\":\"7\"}", 400, "seed", "seed must be a whole number"),
            ("{\"stream\":1}", 400, "stream", "stream must be true or false"),
            ("{\"logprobs\":1}", 400, "logprobs", "not supported"),
            ("{\"suffix\":\"x\"}", 400, "suffix", "not supported"),
            ("{\"best_of\":2}", 400, "best_of", "not supported"),
            ("{\"frequency_penalty\":0.5}", 400, "frequency_penalty", "not supported"),
            ("{\"logit_bias\":{\"1\":2}}", 400, "logit_bias", "not supported"),
            ("{\"stream_options\":3}", 400, "stream_options", "must be an object"),
        ]
        for (json, status, param, message) in table {
            do {
                _ = try Self.parse(json)
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.status == status && error.param == param && error.message.contains(message), "\(json): \(error)")
            }
        }
        let promptLimit = String(repeating: "a", count: 16_385)
        #expect(throws: APIError.invalid("prompt", "the prompt has 16385 characters; at most 16384 are accepted")) {
            try Self.parse("{\"prompt\":\"\(promptLimit)\"}")
        }
        // Invalid UTF-8 is a bad body, not a crash.
        #expect(throws: APIError.self) {
            try CompletionRequest(body: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], model: "m", vocabulary: Self.vocabulary,
                                  limits: .init(), maxStreams: 8)
        }
    }

    /// Streamed pieces never show a stop text: what might start one is held until it does or does not.
    @Test func theStopTextIsHeldBackAndRemoved() {
        var text = ChoiceText(stops: ["\n\n", "END"])
        var shown = ""
        for (i, c) in "ab\nc EN".unicodeScalars.enumerated() {
            shown += text.append([c], ended: false, finish: nil)
            if i == 2 { #expect(shown == "ab") }  // the newline may start "\n\n"
        }
        #expect(shown == "ab\nc ")  // "EN" may start "END"
        shown += text.append(["D"], ended: true, finish: .stop)
        #expect(shown == "ab\nc " && text.generated == 8 && text.finish == .stop)
        var long = ChoiceText(stops: ["xy"])
        #expect(long.append(Array("abx".unicodeScalars), ended: false, finish: nil) == "ab")
        #expect(long.append(Array("z".unicodeScalars), ended: false, finish: nil) == "xz")
        #expect(long.append(Array("x".unicodeScalars), ended: true, finish: .length) == "x")
    }

    @Test func keysAreComparedWhole() {
        #expect(Server.constantTimeEqual(Array("secret".utf8), Array("secret".utf8)))
        #expect(!Server.constantTimeEqual(Array("secret".utf8), Array("secreT".utf8)))
        #expect(!Server.constantTimeEqual(Array("secret".utf8), Array("secret2".utf8)))
        #expect(!Server.constantTimeEqual([], Array("s".utf8)))
        #expect(Server.modelName(forCheckpointAt: "Checkpoints/pretrained/best.safetensors") == "pretrained")
        #expect(Server.modelName(forCheckpointAt: "/tmp/x/my-model.safetensors") == "my-model")
    }
}
