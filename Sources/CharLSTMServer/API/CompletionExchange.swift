#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CharLSTM

/// One completions request from submission to its last byte: waits on the streams' outputs and the client's
/// socket together, sends the text as Server-Sent Events as characters arrive (or one JSON object at the end),
/// and cancels every stream at once when the client goes away. Bytes the client sends meanwhile (a pipelined
/// next request) go to the connection's parser.
struct CompletionExchange {
    let handler: ConnectionHandler
    let outputs: [StreamOutput]
    let parameters: CompletionRequest
    let id: String, created: Int, seed: UInt64
    let keepAlive: Bool
    /// An HTTP/1.0 client gets the stream without chunked framing, and the connection closes after it.
    let http10: Bool
    var parser: HTTPParser
    private var choices: [ChoiceText]
    private var texts: [String]
    /// What follows a piece's text: the envelope's fields after `choices`, in sorted order.
    private let pieceSuffix: String
    private var server: Server { handler.server }
    private var connection: Connection { handler.connection }

    init(handler: ConnectionHandler, outputs: [StreamOutput], parameters: CompletionRequest, id: String, created: Int,
         seed: UInt64, keepAlive: Bool, http10: Bool) {
        self.handler = handler
        self.outputs = outputs
        self.parameters = parameters
        self.id = id
        self.created = created
        self.seed = seed
        self.keepAlive = keepAlive
        self.http10 = http10
        parser = handler.currentParser
        choices = outputs.map { _ in ChoiceText(stops: parameters.stops) }
        pieceSuffix = #"}],"created":\#(created),"id":"# + JSONValue.string(id).encoded + #","model":"#
            + JSONValue.string(handler.server.modelName).encoded + #","object":"text_completion"}"#
        texts = outputs.map { _ in parameters.echo ? parameters.prompt : "" }
    }

    private var writeDeadline: Double { monotonicSeconds() + server.configuration.http.writeSeconds }

    mutating func run() -> ConnectionHandler.Outcome {
        let streaming = parameters.stream
        let keep = keepAlive && !(streaming && http10)
        do {
            if streaming {
                let head = HTTPResponse(status: 200, contentType: "text/event-stream; charset=utf-8",
                                        headers: [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no"),
                                                  ("X-CharLSTM-Seed", "\(seed)")]
                                                 + (http10 ? [] : [("Transfer-Encoding", "chunked")]))
                try connection.write(head.bytes(keepAlive: keep, streamed: true), deadline: writeDeadline)
                if parameters.echo {
                    for i in outputs.indices { try sendEvent(chunk(index: i, text: parameters.prompt, finish: nil)) }
                }
            }
            try waitForOutputs(streaming: streaming)
        } catch {
            // The client went away or stopped reading: its streams end now.
            for output in outputs { server.scheduler.cancel(output) }
            return .close
        }
        let stoppedEarly = choices.contains { $0.isEnded && $0.finish == nil }
        if streaming {
            do {
                if parameters.includeUsage {
                    var usageChunk = envelope(choices: [])
                    usageChunk["usage"] = usage
                    try sendEvent(.object(usageChunk))
                }
                try sendEvent(raw: "[DONE]")
                if !http10 { try connection.write(HTTPResponse.chunk([]), deadline: writeDeadline) }
            } catch {
                return .close
            }
            return keep && !stoppedEarly ? .keepAlive : .close
        }
        if stoppedEarly {
            handler.send(.busy("the server is stopping"), keepAlive: false)
            return .close
        }
        var body = envelope(choices: outputs.indices.map { i in
            .object(["text": .string(texts[i]), "index": .int(i), "logprobs": .null,
                     "finish_reason": .string((choices[i].finish ?? .length).rawValue)])
        })
        body["usage"] = usage
        handler.sendJSON(.object(body), keepAlive: keepAlive, extra: [("X-CharLSTM-Seed", "\(seed)")])
        return .keepAlive
    }

    /// Waits until every output has ended, sending (when streaming) each piece as it comes. Throws when the
    /// client closes or stops taking what is written.
    private mutating func waitForOutputs(streaming: Bool) throws {
        let readLimit = server.configuration.http.maxHeaderBytes + server.configuration.http.maxBodyBytes
        while choices.contains(where: { !$0.isEnded }) {
            var entries: [pollfd] = []
            let watchesSocket = parser.bufferedCount < readLimit
            if watchesSocket { entries.append(pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)) }
            for i in outputs.indices where !choices[i].isEnded {
                entries.append(pollfd(fd: outputs[i].waitFD, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&entries, nfds_t(entries.count), 1000)
            if ready < 0 && errno != EINTR { throw SocketFailure.closed }
            if watchesSocket && entries[0].revents != 0 {
                if entries[0].revents & Int16(POLLIN) != 0 {
                    var bytes: [UInt8] = []
                    try connection.readAvailable(into: &bytes, limit: readLimit - parser.bufferedCount)
                    parser.append(bytes)
                } else {
                    throw SocketFailure.closed  // POLLHUP / POLLERR without data
                }
            }
            // Take whatever every output has (cheap when nothing is new), in choice order.
            for i in outputs.indices where !choices[i].isEnded {
                let news = outputs[i].take()
                guard !news.characters.isEmpty || news.ended else { continue }
                let text = choices[i].append(news.characters, ended: news.ended, finish: news.finish)
                texts[i] += text
                if streaming {
                    if !text.isEmpty { try sendEvent(raw: piece(index: i, text: text)) }
                    if news.ended, let finish = news.finish { try sendEvent(chunk(index: i, text: "", finish: finish)) }
                }
            }
        }
    }

    private var usage: JSONValue {
        let prompt = parameters.prompt.unicodeScalars.count, completion = choices.reduce(0) { $0 + $1.generated }
        return .object(["prompt_tokens": .int(prompt), "completion_tokens": .int(completion),
                        "total_tokens": .int(prompt + completion)])
    }

    private func envelope(choices: [JSONValue]) -> [String: JSONValue] {
        ["id": .string(id), "object": .string("text_completion"), "created": .int(created),
         "model": .string(server.modelName), "choices": .array(choices)]
    }

    private func chunk(index: Int, text: String, finish: FinishReason?) -> JSONValue {
        .object(envelope(choices: [.object(["text": .string(text), "index": .int(index), "logprobs": .null,
                                            "finish_reason": finish.map { .string($0.rawValue) } ?? .null])]))
    }

    /// A piece of choice `index`'s text as the event payload: what ``chunk(index:text:finish:)`` encodes with no
    /// finish reason (the same keys in the same sorted order), put together from its fixed parts, so that the event
    /// sent for every character costs an escape of the text, not a JSON object built and sorted.
    private func piece(index: Int, text: String) -> String {
        #"{"choices":[{"finish_reason":null,"index":\#(index),"logprobs":null,"text":"# + JSONValue.string(text).encoded
            + pieceSuffix
    }

    private func sendEvent(_ value: JSONValue) throws { try sendEvent(raw: value.encoded) }

    /// `data: <payload>\n\n`, in a chunk of its own (flushed at once: TCP_NODELAY).
    private func sendEvent(raw payload: String) throws {
        let event = Array("data: \(payload)\n\n".utf8)
        try connection.write(http10 ? event : HTTPResponse.chunk(event), deadline: writeDeadline)
    }
}
