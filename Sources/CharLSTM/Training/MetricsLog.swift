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
    /// The learning rate of the step, schedule and decay applied.
    public var learningRate: Double
    /// Gradient norm before clipping.
    public var gradientNorm: Double
    /// Characters (text) or values (series) trained on per second of training-step time.
    public var itemsPerSecond: Double
    /// Wall time since the run started, over all resumes.
    public var elapsedSeconds: Double

    init(
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
    var csvLine: String {
        let fields: [String] = [
            String(step), "\(epoch)", "\(trainLoss)", validationLoss.map { "\($0)" } ?? "", "\(learningRate)",
            "\(gradientNorm)", "\(itemsPerSecond)", "\(elapsedSeconds)",
        ]
        return fields.joined(separator: ",")
    }

    /// Parses ``csvLine``; `nil` when the line is malformed or a number is out of its range (see
    /// ``init(csvLine:header:)``).
    init?(csvLine line: Substring) {
        guard let row = try? MetricsRow(csvLine: line, header: MetricsLog.header) else { return nil }
        self = row
    }

    /// Parses ``csvLine``, every number checked against its range as a checkpoint's fields are (``ValueRange``):
    /// the step a count; the epoch in [0, 10^15]; the losses (the validation loss empty when validation did not run),
    /// the gradient norm and the rate finite and at least 0; the learning rate in [0, 10]; the elapsed seconds in
    /// [0, 10^12]. No field may be NaN or infinite: the program never writes one. Throws `.invalidData` naming the
    /// field by its name in `header` (`train_bpc must be a number at least 0, got "nan"`), or, for a line that is
    /// not eight comma-separated fields, saying so.
    init(csvLine line: Substring, header: String) throws(CharLSTMError) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 8, names.count == 8 else {
            throw .invalidData("not a metrics row of \(names.count) comma-separated fields: \(ValueRange.quoted(String(line)))")
        }
        let nonNegative = RealInterval.atLeast(0)
        func real(_ i: Int, _ interval: RealInterval) throws(CharLSTMError) -> Double {
            try ValueRange.real(f[i], field: names[i], in: interval)
        }
        self.init(step: try ValueRange.integer(f[0], field: names[0], in: ValueRange.counts),
                  epoch: try real(1, Self.epochInterval), trainLoss: try real(2, ValueRange.loss),
                  validationLoss: f[3].isEmpty ? nil : try real(3, ValueRange.loss),
                  learningRate: try real(4, Self.learningRateInterval), gradientNorm: try real(5, nonNegative),
                  itemsPerSecond: try real(6, nonNegative), elapsedSeconds: try real(7, ValueRange.trainingSeconds))
    }

    /// The epochs a row may record: no more than the steps a run counts.
    static let epochInterval = RealInterval.closed(0, Double(ValueRange.countLimit))
    /// The learning rates a row may record: the schedule's, from 0 up to the largest base rate.
    static let learningRateInterval = RealInterval.closed(0, TrainingConfig.learningRateInterval.upper!)
}

/// The training metrics file, `metrics.csv`: one ``MetricsRow`` per logged step, appended across resumes.
///
/// Each row goes to the operating system with one `write` as soon as it is appended, so a crash loses at most
/// the row being written; a partial last line left by such a crash is removed when the file is opened again.
/// The file is opened and read without following symbolic links, and must be a regular file; it is read back
/// (for the plot) with a bound, ``readLimit``.
final class MetricsLog {
    /// The first line of a text run's metrics file.
    static let header = LossUnit.bitsPerCharacter.metricsHeader

    /// The header of a series run's metrics: the same fields, losses as RMSE in the series' units and the
    /// rate in values per second.
    static let seriesHeader = LossUnit.rootMeanSquaredError.metricsHeader

    let path: String
    /// This file's first line: ``header`` or ``seriesHeader``.
    let header: String
    private let fd: Int32

    /// Opens `path` for appending, creating it with `header` when it is missing or empty.
    ///
    /// Throws `.cannotCreate` when the file cannot be opened or is not a regular file (a symbolic link, a pipe,
    /// a device), `.conflict` when it starts with a different header (it is not a CharLSTM metrics file, or one
    /// from an incompatible version), `.io` on a failed write.
    init(path: String, header: String = MetricsLog.header) throws {
        self.path = path
        self.header = header
        // Without following links and without blocking: a link or a pipe planted there is refused at once.
        fd = FilePath(path).containsNUL ? -1 : open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
            throw CharLSTMError(.cannotCreate, "cannot open metrics file \(path): \(reason); the files of a run folder "
                + "must be regular files")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, Files.Kind(mode: info.st_mode) == .regular else {
            close(fd)
            throw CharLSTMError(.cannotCreate, "cannot use metrics file \(path): it is \(Files.Kind(mode: info.st_mode).described), "
                + "not a regular file; move it away")
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
    func append(_ row: MetricsRow) throws {
        try writeAll(row.csvLine + "\n")
    }

    /// The most bytes of rows ``read(path:header:limit:)`` reads: 16 MiB, some 200,000 rows, ten times more
    /// than a plot draws.
    static let readLimit = 16 << 20

    /// The rows of the metrics file at `path`, in file order (after a resume, steps may repeat): all of them, or,
    /// when they take more than `limit` bytes, those in its last `limit` bytes. The file is opened without
    /// following links and must be a regular file.
    ///
    /// Throws `.noInput` when the file cannot be read or is not a regular file, `.invalidData` when its header or
    /// a row is malformed.
    static func read(path: String, header: String = MetricsLog.header, limit: Int = MetricsLog.readLimit) throws -> [MetricsRow] {
        let file = try InputFile(path: path, followingLinks: false)
        let headerLine = Array((header + "\n").utf8)
        guard file.count > 0 else { return [] }
        let start = try file.bytes(min(file.count, headerLine.count), at: 0)
        guard start == headerLine || (file.count == headerLine.count - 1 && start == headerLine.dropLast()) else {
            let line = String(decoding: start.prefix { $0 != 10 }, as: UTF8.self)
            throw CharLSTMError(.invalidData, "\(path) is not a metrics file: its first line is \(ValueRange.quoted(line))")
        }
        guard file.count > headerLine.count else { return [] }
        let from = max(headerLine.count, file.count - max(limit, 0))
        var body = try file.bytes(file.count - from, at: from)[...]
        // Read from the middle of the file: the first line is cut.
        if from > headerLine.count { body = body.drop { $0 != 10 }.dropFirst() }
        var rows: [MetricsRow] = []
        for (number, line) in body.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty && line.endIndex == body.endIndex { break }  // after the last newline
            do {
                rows.append(try MetricsRow(csvLine: Substring(String(decoding: line, as: UTF8.self)), header: header))
            } catch {
                throw error.prefixed("\(path) \(from > headerLine.count ? "a line near its end" : "line \(number + 2)"): ")
            }
        }
        return rows
    }

    /// Checks the existing file at `path` that a run starting at step `step` is about to append to, before anything
    /// in its folder is touched, and says whether it holds rows past `step`: rows a killed run logged after its
    /// last checkpoint, which ``dropRows(after:path:header:fileSystem:)`` then removes, so that the log stays the
    /// history of the state the run continues from (its steps never go backwards).
    ///
    /// A missing file, or anything but a regular file (refused later, when the folder is prepared), is not read.
    /// The file must start with `header` (else `.conflict`, as opening it for appending says) and every complete
    /// line must be a row whose numbers are in range (``MetricsRow/init(csvLine:header:)``; else `.invalidData`
    /// naming the line); a partial last line, which a crash leaves and opening the file removes, is not read.
    /// Reads the whole file, a piece at a time. O(file).
    static func check(path: String, header: String, continuingFrom step: Int) throws -> Bool {
        guard Files.kind(path, followingLinks: false) == .regular else { return false }
        var needsRewrite = false
        try scan(path: path, header: header) { row, _ in
            if row.step > step { needsRewrite = true }
        }
        return needsRewrite
    }

    /// Rewrites the file at `path` without its rows past `step` (and without a partial last line), atomically: it
    /// holds either its old contents or the new, whatever happens. Rows are checked as ``check(path:header:continuingFrom:)``
    /// checks them. O(file).
    static func dropRows(after step: Int, path: String, header: String, fileSystem: some FileSystem = POSIXFileSystem()) throws {
        try AtomicFile.write(to: path, fileSystem: fileSystem) { output in
            var kept = Array((header + "\n").utf8)
            try scan(path: path, header: header) { row, line in
                guard row.step <= step else { return }
                kept += line
                kept.append(10)
                if kept.count >= 1 << 16 {
                    try kept.withUnsafeBytes { try output($0) }
                    kept.removeAll(keepingCapacity: true)
                }
            }
            try kept.withUnsafeBytes { try output($0) }
        }
    }

    /// Calls `body` with every complete row of the metrics file at `path` and its line (without the newline), in
    /// file order, reading 1 MiB at a time; see ``check(path:header:continuingFrom:)`` for what is refused.
    private static func scan(path: String, header: String, _ body: (MetricsRow, ArraySlice<UInt8>) throws -> Void) throws {
        let file = try InputFile(path: path, followingLinks: false)
        guard file.count > 0 else { return }
        let headerLine = Array((header + "\n").utf8)
        let start = try file.bytes(min(file.count, headerLine.count), at: 0)
        guard start == headerLine else { throw headerConflict(path, found: start) }
        var offset = headerLine.count, number = 2, pending: [UInt8] = []
        while offset < file.count {
            let piece = try file.bytes(min(1 << 20, file.count - offset), at: offset)
            offset += piece.count
            // Newlines are looked for in the new piece only: a long line costs one pass.
            var searchFrom = pending.count, lineStart = 0
            pending += piece
            while let end = pending[searchFrom...].firstIndex(of: 10) {
                searchFrom = end + 1
                let line = pending[lineStart..<end]
                let row: MetricsRow
                do {
                    row = try MetricsRow(csvLine: Substring(String(decoding: line, as: UTF8.self)), header: header)
                } catch {
                    throw error.prefixed("\(path) line \(number): ").adding("; correct or delete that line, or move the file away")
                }
                try body(row, line)
                number += 1
                lineStart = end + 1
            }
            pending.removeFirst(lineStart)
        }
        try file.checkUnchanged()
    }

    /// The refusal of an existing file at `path` that starts with `found` instead of the header: one a run cannot
    /// append to (another program's file, or one of an incompatible version).
    private static func headerConflict(_ path: String, found: some Collection<UInt8>) -> CharLSTMError {
        let line = String(decoding: found.prefix { $0 != 10 }, as: UTF8.self)
        return CharLSTMError(.conflict, "\(path) exists but does not start with the metrics header (found "
            + "\(ValueRange.quoted(line, quote: "'"))); move it away or choose another run folder")
    }

    /// Writes the header into a new or empty file; checks the header of an existing one and drops a partial last line.
    private func prepareExistingContent() throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return try writeAll(header + "\n") }
        let headerLength = header.utf8.count + 1
        var start = [UInt8](repeating: 0, count: headerLength)
        let got = pread(fd, &start, headerLength, 0)
        guard got == headerLength, start == Array((header + "\n").utf8) else {
            throw Self.headerConflict(path, found: start.prefix(max(got, 0)))
        }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else { throw ioError("read") }
        if last != 10 {
            // Cut back to just after the last newline (the header's at least), looking for it 64 KiB at a time.
            var end = Int(size)
            var piece = [UInt8](repeating: 0, count: 1 << 16)
            search: while end > 0 {
                let start = max(0, end - piece.count)
                guard pread(fd, &piece, end - start, off_t(start)) == end - start else { throw ioError("read") }
                for i in stride(from: end - start - 1, through: 0, by: -1) where piece[i] == 10 {
                    end = start + i + 1
                    break search
                }
                end = start
            }
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
