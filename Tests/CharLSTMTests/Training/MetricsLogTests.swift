import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct MetricsLogTests {
    /// This test's folder, removed with what the test wrote when the test ends.
    let folder = TemporaryFolder()

    /// A fresh path, metrics.csv alone in a new folder inside the test's.
    func temporaryPath() throws -> String {
        let dir = folder.path + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir + "/metrics.csv"
    }

    static let rows = [
        MetricsRow(step: 100, epoch: 0.0123, trainLoss: 3.1234567891, learningRate: 0.002, gradientNorm: 1.5,
                   itemsPerSecond: 48213.7, elapsedSeconds: 12.25),
        MetricsRow(step: 500, epoch: 0.061, trainLoss: 2.01, validationLoss: 2.0987654321, learningRate: 3e-5,
                   gradientNorm: 0.75, itemsPerSecond: 50000, elapsedSeconds: 61),
        MetricsRow(step: 600, epoch: 0.07, trainLoss: 0, learningRate: 0, gradientNorm: 1e30,
                   itemsPerSecond: 0, elapsedSeconds: 70.5),
    ]

    /// Rows compare equal by their text.
    static func same(_ a: [MetricsRow], _ b: [MetricsRow]) -> Bool {
        a.map(\.csvLine) == b.map(\.csvLine)
    }

    @Test func writesHeaderAndRoundTripsRows() throws {
        let path = try temporaryPath()
        let log = try MetricsLog(path: path)
        for row in Self.rows { try log.append(row) }
        // Flushed at once: readable while the log is still open.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first.map(String.init) == MetricsLog.header)
        #expect(lines[1] == "100,0.0123,3.1234567891,,0.002,1.5,48213.7,12.25")
        #expect(lines[2].hasPrefix("500,0.061,2.01,2.0987654321,3e-05,"))
        let back = try MetricsLog.read(path: path)
        #expect(Self.same(back, Self.rows))
        #expect(back[0].validationLoss == nil && back[1].validationLoss == 2.0987654321)
    }

    @Test func appendsAcrossReopensWithOneHeader() throws {
        let path = try temporaryPath()
        try MetricsLog(path: path).append(Self.rows[0])
        try MetricsLog(path: path).append(Self.rows[1])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.components(separatedBy: "step,epoch").count == 2)
        #expect(Self.same(try MetricsLog.read(path: path), Array(Self.rows[0...1])))
    }

    @Test func emptyFileGetsHeader() throws {
        let path = try temporaryPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(try MetricsLog.read(path: path).isEmpty)
        _ = try MetricsLog(path: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == MetricsLog.header + "\n")
        #expect(try MetricsLog.read(path: path).isEmpty)
    }

    @Test func foreignHeaderIsAConflict() throws {
        let path = try temporaryPath()
        try "step,loss\n1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: CharLSTMError.self) { try MetricsLog(path: path) }
        do { _ = try MetricsLog(path: path) } catch let error as CharLSTMError { #expect(error.kind == .conflict) }
        #expect(throws: CharLSTMError.self) { try MetricsLog.read(path: path) }
        // The file is left as it was.
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "step,loss\n1,2\n")
    }

    @Test func partialLastLineIsDropped() throws {
        let path = try temporaryPath()
        try MetricsLog(path: path).append(Self.rows[0])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("500,0.06,2.0".utf8))  // a crash mid-row
        handle.closeFile()
        #expect(throws: CharLSTMError.self) { try MetricsLog.read(path: path) }
        try MetricsLog(path: path).append(Self.rows[1])
        #expect(Self.same(try MetricsLog.read(path: path), Array(Self.rows[0...1])))
    }

    @Test func readErrors() throws {
        #expect(throws: CharLSTMError.noInput("'/nonexistent/metrics.csv': no such file")) {
            try MetricsLog.read(path: "/nonexistent/metrics.csv")
        }
        #expect(throws: CharLSTMError.self) { try MetricsLog(path: "/nonexistent/dir/metrics.csv") }
        let path = try temporaryPath()
        try (MetricsLog.header + "\n1,0,2,,0.1,1,1,1\n2,0,x,,0.1,1,1,1\n").write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try MetricsLog.read(path: path)
            Issue.record("a malformed row was accepted")
        } catch let error as CharLSTMError {
            #expect(error.kind == .invalidData && error.message.contains("line 3"))
        }
    }

    @Test func readingBackIsBoundedAndTakesOnlyARegularFile() throws {
        let path = try temporaryPath()
        let log = try MetricsLog(path: path)
        for step in 1...1000 {
            try log.append(MetricsRow(step: step, epoch: 0, trainLoss: 2, learningRate: 0.002, gradientNorm: 1, itemsPerSecond: 1,
                                      elapsedSeconds: 1))
        }
        #expect(try MetricsLog.read(path: path).count == 1000)
        // Only the last 2000 bytes: whole rows, the last ones, the first cut one left out.
        let tail = try MetricsLog.read(path: path, limit: 2000)
        #expect(tail.count > 10 && tail.count < 100 && tail.last?.step == 1000)
        #expect(zip(tail, tail.dropFirst()).allSatisfy { $0.step + 1 == $1.step })
        // A link or a pipe at the path is refused, for writing and for reading, without opening what it leads to.
        let folder = FilePath(path).parent.string
        for (name, plant) in [("link.csv", { (p: String) in symlink("/dev/zero", p) }), ("pipe.csv", { mkfifo($0, 0o600) })] {
            let planted = folder + "/" + name
            #expect(plant(planted) == 0)
            #expect(throws: CharLSTMError.self) { _ = try MetricsLog(path: planted) }
            let error = #expect(throws: CharLSTMError.self) { _ = try MetricsLog.read(path: planted) }
            #expect(error?.kind == .noInput, "\(String(describing: error))")
        }
        // A huge partial last line (a crash, or a planted file) is cut back in pieces, not byte by byte.
        let partial = folder + "/partial.csv"
        #expect(FileManager.default.createFile(atPath: partial, contents: Data(Array((MetricsLog.header + "\n1,0,2,,0.002,1,1,1\n").utf8)
                                                                        + [UInt8](repeating: 120, count: 16 << 20))))
        let started = Date()
        _ = try MetricsLog(path: partial)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try MetricsLog.read(path: partial).map(\.step) == [1])
        // A row whose step is not a count is malformed.
        #expect(MetricsRow(csvLine: "-1,0,2,,0.002,1,1,1") == nil && MetricsRow(csvLine: "1e3,0,2,,0.002,1,1,1") == nil)
        #expect(MetricsRow(csvLine: "10,0,1e30,1e30,0.002,1,1,1")?.trainLoss == 1e30)
    }

    /// Every number of a row is range-checked as the checkpoint's fields are; only the validation loss may be empty.
    @Test func rowsAreRangeChecked() throws {
        let good = "12,0.5,2.25,2.5,0.002,1.5,40000,12.5"
        #expect(MetricsRow(csvLine: Substring(good)) != nil)
        #expect(MetricsRow(csvLine: "12,0.5,2.25,,0.002,1.5,40000,12.5")?.validationLoss == nil)
        #expect(MetricsRow(csvLine: "0,0,0,0,0,0,0,0") != nil)
        let names = MetricsLog.header.split(separator: ",").map(String.init)
        for (field, bad) in [(1, "nan"), (1, "-1"), (1, "1e16"), (2, "nan"), (2, "inf"), (2, "-0.5"), (2, ""), (3, "-inf"),
                             (3, "nan"), (3, "-1"), (4, "11"), (4, "-1e-9"), (4, ""), (5, "inf"), (5, "-1"), (6, "-inf"),
                             (6, "-2"), (7, "1e13"), (7, "-1"), (7, "nan")] {
            var fields = good.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[field] = bad
            let line = fields.joined(separator: ",")
            #expect(MetricsRow(csvLine: Substring(line)) == nil, "\(line)")
            let error = #expect(throws: CharLSTMError.self) { try MetricsRow(csvLine: Substring(line), header: MetricsLog.header) }
            #expect(error?.kind == .invalidData && error?.message.hasPrefix(names[field] + " must be ") == true,
                    "\(String(describing: error))")
        }
        // A series run's fields are named by its header.
        let error = #expect(throws: CharLSTMError.self) {
            try MetricsRow(csvLine: "6,nan,inf,-inf,0.1,1,1,1", header: MetricsLog.seriesHeader)
        }
        #expect(error?.message.hasPrefix("epoch must be a number in [0, 10^15], got \"nan\"") == true, "\(String(describing: error))")
        let series = #expect(throws: CharLSTMError.self) {
            try MetricsRow(csvLine: "6,0,inf,,0.1,1,1,1", header: MetricsLog.seriesHeader)
        }
        #expect(series?.message.hasPrefix("train_rmse must be") == true, "\(String(describing: series))")
        // What a run writes reads back.
        #expect(Self.same(Self.rows.compactMap { MetricsRow(csvLine: Substring($0.csvLine)) }, Self.rows))
    }

    /// What a run about to append checks, and the rows past its step it drops, atomically.
    @Test func checkingAndDroppingRowsPastAStep() throws {
        let path = try temporaryPath()
        // Missing: nothing to check or drop.
        #expect(try MetricsLog.check(path: path, header: MetricsLog.header, continuingFrom: 0) == false)
        let log = try MetricsLog(path: path)
        for step in [10, 20, 30, 40, 30, 40, 50] {
            try log.append(MetricsRow(step: step, epoch: 0, trainLoss: 2, learningRate: 0.002, gradientNorm: 1, itemsPerSecond: 1,
                                      elapsedSeconds: Double(step)))
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("60,0.06,2.0".utf8))  // a crash mid-row: not read, and not kept
        handle.closeFile()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try MetricsLog.check(path: path, header: MetricsLog.header, continuingFrom: 50) == false)
        #expect(try MetricsLog.check(path: path, header: MetricsLog.header, continuingFrom: 30) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "checking changes nothing")
        try MetricsLog.dropRows(after: 30, path: path, header: MetricsLog.header)
        #expect(try MetricsLog.read(path: path).map(\.step) == [10, 20, 30, 30])
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix(",30.0\n"))
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: FilePath(path).parent.string) == ["metrics.csv"])

        // A malformed or out-of-range row, anywhere, is refused naming its line; a foreign header is a conflict.
        for (text, kind, mention) in [
            (MetricsLog.header + "\n10,0,2,,0.002,1,1,1\ngarbage\n", CharLSTMError.Kind.invalidData, "line 3: not a metrics row"),
            (MetricsLog.header + "\n6,nan,inf,-inf,0.1,1,1,1\n7,0,2,,0.002,1,1,1\n", .invalidData, "line 2: epoch must be"),
            (MetricsLog.header + "\n10,0,2,,0.002,1,1,1\n11,0,2,-1,0.002,1,1,1\n", .invalidData, "line 3: val_bpc must be"),
            (MetricsLog.seriesHeader + "\n10,0,2,,0.002,1,1,1\n", .conflict, "does not start with the metrics header"),
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = #expect(throws: CharLSTMError.self) {
                try MetricsLog.check(path: path, header: MetricsLog.header, continuingFrom: 100)
            }
            #expect(error?.kind == kind && error?.message.contains(path) == true && error?.message.contains(mention) == true,
                    "\(String(describing: error))")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        }
        // Rows are read a piece at a time: lines across the pieces' ends are whole.
        let many = try temporaryPath()
        let big = try MetricsLog(path: many)
        for step in 1...30_000 {
            try big.append(MetricsRow(step: step, epoch: 0.5, trainLoss: 2.125, validationLoss: 2.5, learningRate: 0.002, gradientNorm: 1.5,
                                      itemsPerSecond: 40000.25, elapsedSeconds: Double(step) / 3))
        }
        #expect(try MetricsLog.check(path: many, header: MetricsLog.header, continuingFrom: 30_000) == false)
        try MetricsLog.dropRows(after: 29_990, path: many, header: MetricsLog.header)
        #expect(try MetricsLog.read(path: many).map(\.step) == Array(1...29_990))
    }
}
