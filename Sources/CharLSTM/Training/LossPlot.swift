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

/// Draws the training curve of a run, train and validation bits per character against step, as a
/// self-contained SVG (no scripts, no external fonts or files) that any browser shows.
///
/// The y range is chosen robustly: a model starts near log₂(vocabulary) ≈ 6 bits and falls below 2 within a few
/// hundred steps, so the top of the axis is taken from the values after the first 5% of steps (capped at
/// their 99th percentile plus half its distance to the minimum). When that hides higher values, the plot says
/// so in a note at its top right. When the steps in `rows` go backwards (a run resumed from an earlier
/// checkpoint), the rows of the abandoned stretch are left out. NaN and infinite values, and values beyond
/// ±``valueLimit``, are skipped; each series is thinned to at most ``maxPointsPerSeries`` points keeping every bucket's minimum and maximum. From
/// ``smoothingThreshold`` train points on, the raw train curve is drawn faint under its moving average.
enum LossPlot {
    /// The most vertices one polyline gets.
    static let maxPointsPerSeries = 2000

    /// The largest magnitude drawn: 10^150, far beyond any loss and any forecast of values within
    /// ``SeriesTable/valueLimit``. Sums of such values, spans between them and the ticks stay finite.
    static let valueLimit = 1e150

    /// What the losses are measured in: the y axis's label and the summary's short unit.
    typealias Unit = LossUnit

    /// The SVG document for `rows`, headed by `title` (e.g. corpus and model), its losses in `unit`.
    static func svg(rows: [MetricsRow], title: String, unit: Unit = .bitsPerCharacter) -> String {
        let rows = currentHistory(rows)
        let rawTrain = rows.compactMap { point($0.step, $0.trainLoss) }
        let train = thin(rawTrain)
        let smoothed = rawTrain.count >= smoothingThreshold ? thin(movingAverage(rawTrain)) : []
        let val = thin(rows.compactMap { row in row.validationLoss.flatMap { point(row.step, $0) } })
        let frame = Frame(train: train, val: val)

        var svg = SVGWriter(width: Frame.width, height: Frame.height)
        svg.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
        // The clip area reaches 5 px left and right of the axes so that markers on the first and last step show whole.
        svg.raw("<defs><clipPath id=\"plot-area\"><rect x=\"\(Frame.left - 5)\" y=\"\(Frame.top)\" width=\"\(Frame.right - Frame.left + 10)\" height=\"\(Frame.bottom - Frame.top)\"/></clipPath></defs>")
        svg.text(title, x: Frame.left, y: 28, size: 18, attributes: "font-weight=\"600\" fill=\"#1a1a1a\"")
        svg.text(summary(rows: rows, train: train, val: val, unit: unit), x: Frame.left, y: 48, size: 12, attributes: "fill=\"#666666\"")
        drawAxes(frame, yLabel: unit.axis, into: &svg)
        if train.isEmpty && val.isEmpty {
            svg.text("no metrics yet", x: (Frame.left + Frame.right) / 2, y: (Frame.top + Frame.bottom) / 2, size: 14,
                     attributes: "text-anchor=\"middle\" fill=\"#999999\"")
        }
        svg.raw("<g clip-path=\"url(#plot-area)\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">")
        if smoothed.isEmpty {
            svg.polyline(id: "train", train.map(frame.position), stroke: Style.train, width: 1.4)
        } else {
            svg.polyline(id: "train", train.map(frame.position), stroke: Style.trainRaw, width: 1)
            svg.polyline(id: "train-smoothed", smoothed.map(frame.position), stroke: Style.train, width: 2)
        }
        svg.polyline(id: "val", val.map(frame.position), stroke: Style.val, width: 2)
        if train.count <= 30 {  // so that a lone point shows
            for p in train.map(frame.position) { svg.circle(p, radius: 2.6, fill: Style.train) }
        }
        if val.count <= 100 {
            for p in val.map(frame.position) { svg.valMarker(p) }
        }
        svg.raw("</g>")
        if let hidden = frame.hiddenMaximum {
            let note = "y axis clipped at \(frame.yTicks.label(frame.yTicks.hi)): values up to \(valueText(hidden, decimals: 2)) not shown"
            svg.text(note, x: Frame.right, y: 48, size: 12, attributes: "text-anchor=\"end\" font-style=\"italic\" fill=\"#9a6700\"")
        }
        drawLegend(smoothed: !smoothed.isEmpty, avoiding: (train + val).map(frame.position), into: &svg)
        return svg.finish()
    }

    // MARK: Data

    /// The rows of the run as it stands, in increasing step order: a row whose step is not above the one before
    /// it starts a resumed stretch and removes the earlier rows from that step on.
    static func currentHistory(_ rows: [MetricsRow]) -> [MetricsRow] {
        var history: [MetricsRow] = []
        for row in rows {
            while let last = history.last, last.step >= row.step { history.removeLast() }
            history.append(row)
        }
        return history
    }

    private static func point(_ step: Int, _ value: Double) -> Point? {
        abs(value) <= valueLimit ? Point(x: Double(step), y: value) : nil
    }

    /// `value` with `decimals` decimals, or 4 significant digits (`1.235e+25`) from a million up.
    static func valueText(_ value: Double, decimals: Int) -> String {
        abs(value) < 1e6 ? String(value, fractionDigits: decimals) : String(value, significantDigits: 4)
    }

    /// At most ``maxPointsPerSeries`` points: the series cut into equal buckets, each giving its lowest and highest
    /// point in step order, so the noise band stays visible.
    static func thin(_ points: [Point]) -> [Point] {
        guard points.count > maxPointsPerSeries else { return points }
        let buckets = maxPointsPerSeries / 2
        var result: [Point] = []
        result.reserveCapacity(maxPointsPerSeries)
        for b in 0..<buckets {
            let bucket = points[(b * points.count / buckets)..<((b + 1) * points.count / buckets)]
            let low = bucket.min { $0.y < $1.y }!, high = bucket.max { $0.y < $1.y }!
            result += low.x <= high.x ? [low, high] : [high, low]
        }
        return result
    }

    /// From this many train points on, the raw curve is drawn faint under a moving average.
    static let smoothingThreshold = 200

    /// The centred moving average of `points` over a window of about 2% of them (at least 5), narrowing at the ends.
    static func movingAverage(_ points: [Point]) -> [Point] {
        let half = max(2, points.count / 100)
        var prefix = [0.0]
        prefix.reserveCapacity(points.count + 1)
        for p in points { prefix.append(prefix.last! + p.y) }
        return points.indices.map { i in
            let lo = max(0, i - half), hi = min(points.count, i + half + 1)
            return Point(x: points[i].x, y: (prefix[hi] - prefix[lo]) / Double(hi - lo))
        }
    }

    /// The line under the title: final train loss, best validation loss and its step.
    private static func summary(rows: [MetricsRow], train: [Point], val: [Point], unit: Unit) -> String {
        guard let lastStep = rows.last?.step else { return "no steps logged" }
        var parts = ["\(lastStep) steps"]
        if let last = train.last { parts.append("last train " + valueText(last.y, decimals: 3) + " " + unit.short) }
        if let best = val.min(by: { $0.y < $1.y }) {
            parts.append("best validation " + valueText(best.y, decimals: 3) + " " + unit.short + " at step \(Int(best.x))")
        }
        return parts.joined(separator: "  ·  ")
    }

    // MARK: Drawing

    enum Style {
        static let train = "#1f77b4"
        static let trainRaw = "#a6c8e4"
        static let val = "#d62728"
        static let grid = "#e6e6e6"
        static let axis = "#333333"
        static let label = "#444444"
    }

    static func drawAxes(_ frame: Frame, xLabel: String = "step", yLabel: String, into svg: inout SVGWriter) {
        for tick in frame.xTicks.values {
            let x = frame.px(tick)
            svg.line(x, Frame.top, x, Frame.bottom, stroke: Style.grid)
            svg.line(x, Frame.bottom, x, Frame.bottom + 5, stroke: Style.axis)
            svg.text(frame.xTicks.label(tick), x: x, y: Frame.bottom + 19, size: 12,
                     attributes: "text-anchor=\"middle\" fill=\"\(Style.label)\"")
        }
        for tick in frame.yTicks.values {
            let y = frame.py(tick)
            svg.line(Frame.left, y, Frame.right, y, stroke: Style.grid)
            svg.line(Frame.left - 5, y, Frame.left, y, stroke: Style.axis)
            svg.text(frame.yTicks.label(tick), x: Frame.left - 9, y: y + 4, size: 12,
                     attributes: "text-anchor=\"end\" fill=\"\(Style.label)\"")
        }
        svg.line(Frame.left, Frame.bottom, Frame.right, Frame.bottom, stroke: Style.axis)
        svg.line(Frame.left, Frame.top, Frame.left, Frame.bottom, stroke: Style.axis)
        svg.text(xLabel, x: (Frame.left + Frame.right) / 2, y: Frame.bottom + 42, size: 13,
                 attributes: "text-anchor=\"middle\" fill=\"\(Style.axis)\"")
        let midY = (Frame.top + Frame.bottom) / 2
        svg.text(yLabel, x: 20, y: midY, size: 13,
                 attributes: "text-anchor=\"middle\" fill=\"\(Style.axis)\" transform=\"rotate(-90 20 \(SVGWriter.number(midY)))\"")
    }

    /// Draws the legend in the top-right corner of the plot, or the bottom-left or top-middle when fewer points lie there.
    private static func drawLegend(smoothed: Bool, avoiding points: [Point], into svg: inout SVGWriter) {
        let w = smoothed ? 186.0 : 128.0, h = smoothed ? 68.0 : 50.0
        let corners = [
            (Frame.right - w - 10, Frame.top + 10), (Frame.left + 10, Frame.bottom - h - 10),
            ((Frame.left + Frame.right - w) / 2, Frame.top + 10),
        ]
        let covered = corners.map { x, y in
            points.count { $0.x >= x - 4 && $0.x <= x + w + 4 && $0.y >= y - 4 && $0.y <= y + h + 4 }
        }
        let (x, y) = corners[covered.indices.min { covered[$0] < covered[$1] }!]
        svg.raw("<g id=\"legend\">")
        svg.raw("<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(h)\" rx=\"4\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#cccccc\"/>")
        var rowY = y + 17
        if smoothed {
            svg.line(x + 10, rowY, x + 38, rowY, stroke: Style.trainRaw, width: 2)
            svg.text("train", x: x + 46, y: rowY + 4, size: 12, attributes: "fill=\"\(Style.axis)\"")
            rowY += 18
        }
        svg.line(x + 10, rowY, x + 38, rowY, stroke: Style.train, width: 2)
        svg.text(smoothed ? "train, moving average" : "train", x: x + 46, y: rowY + 4, size: 12, attributes: "fill=\"\(Style.axis)\"")
        rowY += 18
        svg.line(x + 10, rowY, x + 38, rowY, stroke: Style.val, width: 2)
        svg.valMarker(Point(x: x + 24, y: rowY))
        svg.text("validation", x: x + 46, y: rowY + 4, size: 12, attributes: "fill=\"\(Style.axis)\"")
        svg.raw("</g>")
    }
}

// The plot's building blocks, nested so that their short names stay out of the module's namespace.
extension LossPlot {
    /// A point in data space: step, bits per character.
    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    /// The plot's layout and the mapping from data to pixels.
    struct Frame {
        static let width = 960.0, height = 540.0
        static let left = 72.0, right = 936.0, top = 64.0, bottom = 484.0

        let xTicks: Ticks
        let yTicks: Ticks
        /// The highest value left out by clipping the y axis, if any.
        let hiddenMaximum: Double?

        init(train: [Point], val: [Point]) {
            let all = train + val
            let steps = all.map(\.x)
            let firstStep = steps.min() ?? 0, lastStep = steps.max() ?? 1
            xTicks = Ticks(lo: min(0, firstStep), hi: max(lastStep, 10), minStep: 1)

            let values = all.map(\.y)
            guard let lo = values.min(), let hi = values.max() else {
                yTicks = Ticks(lo: 0, hi: 1)
                hiddenMaximum = nil
                return
            }
            // The top of the axis comes from the values after the first 5% of steps, capped against spikes; but
            // only for enough points, and only when that hides much (a quarter of the range shown or more).
            let settle = firstStep + 0.05 * (lastStep - firstStep)
            var later = all.count >= 20 ? all.filter { $0.x >= settle }.map(\.y).sorted() : []
            if later.isEmpty { later = values.sorted() }
            let q99 = later[Int((Double(later.count - 1) * 0.99).rounded())]
            var top = min(later.last!, q99 + 0.5 * (q99 - lo))
            if hi - top < 0.25 * (top - lo) { top = hi }
            // A flat or single-point curve still gets half a bit of range around it.
            let padding = max(0.02 * (top - lo), (0.5 - (top - lo)) / 2, 0)
            yTicks = Ticks(lo: max(lo - padding, 0), hi: top + padding)
            hiddenMaximum = hi > yTicks.hi ? hi : nil
        }

        func px(_ x: Double) -> Double {
            Frame.left + (x - xTicks.lo) / (xTicks.hi - xTicks.lo) * (Frame.right - Frame.left)
        }

        func py(_ y: Double) -> Double {
            Frame.bottom - (y - yTicks.lo) / (yTicks.hi - yTicks.lo) * (Frame.bottom - Frame.top)
        }

        func position(_ p: Point) -> Point { Point(x: px(p.x), y: py(p.y)) }
    }

    /// Round axis ticks: a step of 1, 2 or 5 × 10ⁿ giving about six intervals, and the range widened to whole steps.
    /// Ends beyond ±10^300 are taken as ±10^300 and spans are at least 10^-200, so every tick is finite.
    struct Ticks {
        let lo: Double
        let hi: Double
        let step: Double

        /// Round ticks about `target` of them apart over `lo…hi`. The axis runs from the tick at or below `lo` to
        /// the one at or above `hi`, or, `tight`, exactly from `lo` to `hi` with the round ticks inside (a time axis
        /// that should not run on past its data).
        init(lo: Double, hi: Double, target: Double = 6, minStep: Double = 0, tight: Bool = false) {
            func bounded(_ x: Double) -> Double { x.isNaN ? 0 : min(1e300, max(-1e300, x)) }
            let lo = bounded(lo), hi = bounded(hi)
            let span = max(hi > lo ? hi - lo : max(abs(lo), 1), 1e-200)
            let raw = span / target
            let magnitude = pow(10, (log10(raw)).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
            self.step = max(step, minStep)
            if tight && hi > lo {
                self.lo = lo
                self.hi = hi
            } else {
                self.lo = (lo / self.step).rounded(.down) * self.step
                self.hi = max((hi / self.step).rounded(.up) * self.step, self.lo + self.step)
            }
        }

        /// The ticks: the multiples of ``step`` from ``lo`` to ``hi`` (at most 101).
        var values: [Double] {
            let first = (lo / step - 1e-9).rounded(.up) * step
            let count = min(100, max(0, ((hi - first) / step + 1e-9).rounded(.down)))
            return (0...Int(count)).map { first + Double($0) * step }
        }

        /// The tick value as text: as many decimals as the step needs; thousands as `k` when the step is ≥ 1000;
        /// 6 significant digits (`1e+25`) for steps from 10^9 up and below 10^-12.
        func label(_ value: Double) -> String {
            if step >= 1e9 || step < 1e-12 { return String(abs(value) < step / 2 ? 0 : value, significantDigits: 6) }
            if step >= 1000 {
                let k = value / 1000
                return (k == k.rounded() && abs(k) < 1e15 ? String(Int(k)) : String(k, significantDigits: 6)) + (value == 0 ? "" : "k")
            }
            let decimals = max(0, Int(-log10(step).rounded(.down)))
            return String(abs(value) < step / 2 ? 0 : value, fractionDigits: decimals)
        }
    }

    /// Builds SVG text: elements with escaped text and coordinates rounded to a tenth of a pixel.
    struct SVGWriter {
        private var out: String

        init(width: Double, height: Double) {
            out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        }

        mutating func raw(_ element: String) { out += element + "\n" }

        mutating func text(_ content: String, x: Double, y: Double, size: Double, attributes: String) {
            raw("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" \(attributes)>\(Markup.escape(content))</text>")
        }

        mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1) {
            raw("<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"/>")
        }

        mutating func polyline(id: String, _ points: [Point], stroke: String, width: Double) {
            let coordinates = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
            raw("<polyline id=\"\(id)\" points=\"\(coordinates)\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"/>")
        }

        mutating func circle(_ center: Point, radius: Double, fill: String, stroke: String? = nil) {
            let outline = stroke.map { " stroke=\"\($0)\" stroke-width=\"1.6\"" } ?? ""
            raw("<circle cx=\"\(Self.number(center.x))\" cy=\"\(Self.number(center.y))\" r=\"\(Self.number(radius))\" fill=\"\(fill)\"\(outline)/>")
        }

        /// The validation marker: a hollow circle.
        mutating func valMarker(_ center: Point) { circle(center, radius: 3.2, fill: "#ffffff", stroke: Style.val) }

        mutating func finish() -> String { out + "</svg>\n" }

        /// `v` rounded to one decimal, without a trailing `.0`. A coordinate beyond ±10^6 (a point far off the
        /// canvas, such as a value above a clipped axis) is written as ±10^6, still out of sight; NaN as 0.
        static func number(_ v: Double) -> String {
            let r = ((v.isNaN ? 0 : min(1e6, max(-1e6, v))) * 10).rounded() / 10
            return r == r.rounded() ? String(Int(r)) : String(r)
        }

    }
}
