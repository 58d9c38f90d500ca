#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of `metrics.csv`: the state of training at one logged step.
public struct MetricsRow: Equatable, Sendable {
    /// Optimiser steps done so far.
    public var step: Int
    /// Passes over the training data so far, fractional.
    public var epoch: Double
    /// Training loss in the run's ``LossUnit`` (bits per character, or RMSE in the series' units), the mean over
    /// the steps since the previous row (may be NaN after divergence).
    public var trainLoss: Double
    /// Validation loss in the run's unit; `nil` when validation did not run at this step.
    public var validationLoss: Double?
    public var learningRate: Double
    /// Gradient norm before clipping.
    public var gradientNorm: Double
    /// Characters (text) or values (series) trained on per second of training-step time.
    public var itemsPerSecond: Double
    /// Wall time since the run started, over all resumes.
    public var elapsedSeconds: Double

    public init(
        step: Int, epoch: Double, trainLoss: Double, validationLoss: Double? = nil, learningRate: Double,
        gradientNorm: Double, itemsPerSecond: Double, elapsedSeconds: Double
    ) {
        self.step = step
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.itemsPerSecond = itemsPerSecond
        self.elapsedSeconds = elapsedSeconds
    }

    /// The CSV line without its newline. Numbers are written in Swift's shortest round-trip form (`1.912`,
    /// `3e-05`, `nan`), so reading them back gives the same `Double`; a missing `validationLoss` is an empty field.
    public var csvLine: String {
        let fields: [String] = [
            String(step), "\(epoch)", "\(trainLoss)", validationLoss.map { "\($0)" } ?? "", "\(learningRate)",
            "\(gradientNorm)", "\(itemsPerSecond)", "\(elapsedSeconds)",
        ]
        return fields.joined(separator: ",")
    }

    /// Parses ``csvLine``; `nil` when the line is malformed.
    public init?(csvLine line: Substring) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 8, let step = Int(f[0]), let epoch = Double(f[1]), let train = Double(f[2]),
              let lr = Double(f[4]), let grad = Double(f[5]), let rate = Double(f[6]), let elapsed = Double(f[7])
        else { return nil }
        var val: Double?
        if !f[3].isEmpty {
            guard let v = Double(f[3]) else { return nil }
            val = v
        }
        self.init(step: step, epoch: epoch, trainLoss: train, validationLoss: val, learningRate: lr, gradientNorm: grad,
                  itemsPerSecond: rate, elapsedSeconds: elapsed)
    }
}

/// The training metrics file, `metrics.csv`: one ``MetricsRow`` per logged step, appended across resumes.
///
/// Each row goes to the operating system with one `write` as soon as it is appended, so a crash loses at most
/// the row being written; a partial last line left by such a crash is removed when the file is opened again.
public final class MetricsLog {
    /// The first line of a text run's metrics file.
    public static let header = LossUnit.bitsPerCharacter.metricsHeader

    /// The header of a series run's metrics: the same fields, losses as RMSE in the series' units and the
    /// rate in values per second.
    public static let seriesHeader = LossUnit.rootMeanSquaredError.metricsHeader

    public let path: String
    /// This file's first line: ``header`` or ``seriesHeader``.
    public let header: String
    private let fd: Int32

    /// Opens `path` for appending, creating it with `header` when it is missing or empty.
    ///
    /// Throws `.cannotCreate` when the file cannot be opened, `.conflict` when it starts with a different
    /// header (it is not a CharLSTM metrics file, or one from an incompatible version), `.io` on a failed write.
    public init(path: String, header: String = MetricsLog.header) throws {
        self.path = path
        self.header = header
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CharLSTMError(.cannotCreate, "cannot open metrics file \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try prepareExistingContent()
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Appends one row and hands it to the operating system at once.
    public func append(_ row: MetricsRow) throws {
        try writeAll(row.csvLine + "\n")
    }

    /// Every row of the metrics file at `path`, in file order (after a resume, steps may repeat).
    ///
    /// Throws `.noInput` when the file cannot be read and `.invalidData` when its header or a row is malformed.
    public static func read(path: String, header: String = MetricsLog.header) throws -> [MetricsRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CharLSTMError(.noInput, "cannot read metrics file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { return [] }
        guard first == header else {
            throw CharLSTMError(.invalidData, "\(path) is not a metrics file: its first line is '\(first.prefix(100))'")
        }
        return try lines.dropFirst().enumerated().map { number, line in
            guard let row = MetricsRow(csvLine: line) else {
                throw CharLSTMError(.invalidData, "\(path) line \(number + 2) is not a metrics row: '\(line.prefix(100))'")
            }
            return row
        }
    }

    /// Writes the header into a new or empty file; checks the header of an existing one and drops a partial last line.
    private func prepareExistingContent() throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return try writeAll(header + "\n") }
        let headerLength = header.utf8.count + 1
        var start = [UInt8](repeating: 0, count: headerLength)
        let got = pread(fd, &start, headerLength, 0)
        guard got == headerLength, start == Array((header + "\n").utf8) else {
            let line = String(decoding: start.prefix(max(got, 0)).prefix { $0 != 10 }, as: UTF8.self)
            throw CharLSTMError(
                .conflict,
                "\(path) exists but does not start with the metrics header (found '\(line)'); move it away or choose another run folder")
        }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else { throw ioError("read") }
        if last != 10 {
            // Cut back to just after the last newline (the header's at least).
            var end = Int(size) - 1
            var byte: UInt8 = 0
            while end > 0, pread(fd, &byte, 1, off_t(end - 1)) == 1, byte != 10 { end -= 1 }
            guard ftruncate(fd, off_t(end)) == 0 else { throw ioError("truncate") }
        }
    }

    /// Hands `text` to the operating system, in one `write` unless the system takes less.
    private func writeAll(_ text: String) throws {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ioError("write to") }
            done += n
        }
    }

    private func ioError(_ verb: String) -> CharLSTMError {
        CharLSTMError(.io, "cannot \(verb) metrics file \(path): \(String(cString: strerror(errno)))")
    }
}
