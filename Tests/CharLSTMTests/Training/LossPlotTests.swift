import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct LossPlotTests {
    /// A realistic run: train loss 4.2 → 1.6 bits with noise, logged every `every` steps, validation every 500.
    static func fakeRun(steps: Int = 5000, every: Int = 10, start: Double = 4.2, seed: UInt64 = 1) -> [MetricsRow] {
        var rng = RandomGenerator(seed: seed)
        return stride(from: every, through: steps, by: every).map { step in
            let t = Double(step)
            let clean = 1.6 + (start - 1.6) * exp(-t / 600) + 0.25 * exp(-t / 3000)
            let noise = 0.08 * (rng.nextUnitDouble() - 0.5) * 2
            return MetricsRow(step: step, epoch: t / 2000, trainLoss: clean + noise,
                              validationLoss: step % 500 == 0 ? clean + 0.05 + 0.02 * t / 5000 : nil,
                              learningRate: 0.002, gradientNorm: 1, itemsPerSecond: 40000, elapsedSeconds: t / 10)
        }
    }

    /// Elements and the texts of `<text>` elements of a parsed XML document.
    typealias Collector = SVGDocument.Collector

    static func parse(_ svg: String) -> Collector? { SVGDocument.parse(svg) }

    /// The number of vertices of the polyline with this id.
    static func vertexCount(_ doc: Collector, _ id: String) -> Int? {
        doc.elements.first { $0.name == "polyline" && $0.attributes["id"] == id }
            .map { $0.attributes["points"]!.split(separator: " ").count }
    }

    @Test func realisticRunHasBothCurvesAxesAndLegend() throws {
        let rows = Self.fakeRun(start: 6.6)
        let svg = LossPlot.svg(rows: rows, title: "tinyshakespeare · 2×256 LSTM <test> & co")
        let doc = try #require(Self.parse(svg), "not well-formed XML")
        #expect(doc.elements.first?.name == "svg")
        #expect(Self.vertexCount(doc, "train") == 500)
        #expect(Self.vertexCount(doc, "train-smoothed") == 500)
        #expect(Self.vertexCount(doc, "val") == 10)
        #expect(doc.elements.filter { $0.name == "circle" }.count >= 10)
        #expect(doc.elements.contains { $0.attributes["id"] == "legend" })
        for label in ["step", "bits per character", "train", "validation", "tinyshakespeare · 2×256 LSTM <test> & co"] {
            #expect(doc.texts.contains(label), "missing text \(label)")
        }
        #expect(!svg.contains("<script"))
        // Starting at 6.6 bits while most of the run is below 2.5: the axis is clipped, and the plot says so.
        #expect(doc.mentions("clipped"))
    }

    @Test func tinyAndEmptyInputsAreWellFormed() throws {
        let one = Array(Self.fakeRun(steps: 10, every: 10))
        let two = Array(Self.fakeRun(steps: 20, every: 10))
        for rows in [[], one, two] {
            let doc = try #require(Self.parse(LossPlot.svg(rows: rows, title: "t")))
            #expect(Self.vertexCount(doc, "train") == rows.count)
            #expect(!doc.mentions("clipped"))
        }
        #expect(Self.parse(LossPlot.svg(rows: [], title: "t"))!.mentions("no metrics yet"))
    }

    @Test func largeRunsAreThinnedAndNaNSkipped() throws {
        var rows = Self.fakeRun(steps: 100_000, every: 1)
        rows[500].trainLoss = .nan
        rows[501].trainLoss = .infinity
        let svg = LossPlot.svg(rows: rows, title: "big")
        let doc = try #require(Self.parse(svg))
        let vertices = try #require(Self.vertexCount(doc, "train"))
        #expect(vertices <= LossPlot.maxPointsPerSeries && vertices >= LossPlot.maxPointsPerSeries / 2)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test func resumeDropsTheAbandonedStretch() {
        let first = Self.fakeRun(steps: 400, every: 100)
        var redo = first[1]
        redo.trainLoss = 9
        let rows = LossPlot.currentHistory(first + [redo])
        #expect(rows.map(\.step) == [100, 200])
        #expect(rows[1].trainLoss == 9)
        #expect(LossPlot.currentHistory(first).map(\.step) == [100, 200, 300, 400])
    }

    @Test func thinningKeepsExtremes() {
        let points = (0..<10_000).map { LossPlot.Point(x: Double($0), y: $0 == 4321 ? 50 : 1) }
        let thinned = LossPlot.thin(points)
        #expect(thinned.count == LossPlot.maxPointsPerSeries)
        #expect(thinned.contains { $0.y == 50 })
        #expect(thinned.map(\.x) == thinned.map(\.x).sorted())
    }

    @Test func ticksAreRound() {
        let x = LossPlot.Ticks(lo: 0, hi: 5000)
        #expect(x.step == 1000 && x.values == [0, 1000, 2000, 3000, 4000, 5000])
        #expect(x.label(3000) == "3k" && x.label(0) == "0")
        let y = LossPlot.Ticks(lo: 1.53, hi: 2.61)
        #expect(y.step == 0.2 && abs(y.lo - 1.4) < 1e-9 && abs(y.hi - 2.8) < 1e-9)
        #expect(y.label(1.6000000000000001) == "1.6")
        #expect(LossPlot.Ticks(lo: 0, hi: 0.07).step == 0.02)
        #expect(LossPlot.Ticks(lo: 3, hi: 3).values.count >= 2)
    }
}
