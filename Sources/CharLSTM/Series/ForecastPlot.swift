/// Draws a forecast as a self-contained SVG with ``LossPlot``'s axes, ticks and writer: the tail of the history,
/// the forecast continuing from its last value, and the actual values of a held-out tail when known, against
/// the time step (0 = the first forecast step's predecessor, the history's last value).
package enum ForecastPlot {
    /// The SVG document. `history` is the tail shown (its last value just before the first forecast), `forecast`
    /// and `actual` the values after it (`actual` may be shorter or empty). The value axis is labelled with
    /// `column` and, when given, its `unit` (`co2 (ppm)`); the time axis runs from the first value shown to the last.
    package static func svg(history: [Double], forecast: [Double], actual: [Double], title: String, column: String,
                           unit: String? = nil) -> String {
        typealias Point = LossPlot.Point
        let h = history.count
        let past = history.enumerated().map { Point(x: Double($0.offset - h + 1), y: $0.element) }
        let start = past.last.map { [$0] } ?? []
        let ahead = start + forecast.enumerated().map { Point(x: Double($0.offset + 1), y: $0.element) }
        let held = start + actual.enumerated().map { Point(x: Double($0.offset + 1), y: $0.element) }
        let all = (past + ahead + held).filter { $0.x.isFinite && abs($0.y) <= LossPlot.valueLimit }
        let frame = LossPlot.Frame(points: all)

        var svg = LossPlot.SVGWriter(width: LossPlot.Frame.width, height: LossPlot.Frame.height)
        svg.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
        svg.text(title, x: LossPlot.Frame.left, y: 28, size: 18, attributes: "font-weight=\"600\" fill=\"#1a1a1a\"")
        svg.text("\(h) values of history, \(forecast.count) forecast" + (actual.isEmpty ? "" : ", \(actual.count) held out"),
                 x: LossPlot.Frame.left, y: 48, size: 12, attributes: "fill=\"#666666\"")
        LossPlot.drawAxes(frame, xLabel: "step (0 = last value read)", yLabel: column + (unit.map { " (\($0))" } ?? ""),
                          into: &svg)
        svg.raw("<g fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">")
        svg.polyline(id: "history", past.map(frame.position), stroke: LossPlot.Style.train, width: 1.6)
        if actual.count > 0 { svg.polyline(id: "actual", held.map(frame.position), stroke: "#2ca02c", width: 1.6) }
        svg.polyline(id: "forecast", ahead.map(frame.position), stroke: LossPlot.Style.val, width: 2)
        svg.raw("</g>")
        var y = LossPlot.Frame.top + 20
        for (name, color) in [("history", LossPlot.Style.train), ("forecast", LossPlot.Style.val)]
            + (actual.isEmpty ? [] : [("actual (held out)", "#2ca02c")]) {
            svg.line(LossPlot.Frame.left + 16, y, LossPlot.Frame.left + 44, y, stroke: color, width: 2)
            svg.text(name, x: LossPlot.Frame.left + 52, y: y + 4, size: 12, attributes: "fill=\"\(LossPlot.Style.axis)\"")
            y += 18
        }
        return svg.finish()
    }
}

extension LossPlot.Frame {
    /// A frame around `points` with round ticks on both axes and 4% room above and below the values.
    init(points: [LossPlot.Point]) {
        let xs = points.map(\.x), ys = points.map(\.y)
        let lo = ys.min() ?? 0, hi = ys.max() ?? 1, room = max(0.04 * (hi - lo), 1e-9 * max(1, abs(hi)))
        xTicks = LossPlot.Ticks(lo: xs.min() ?? 0, hi: xs.max() ?? 1, target: 8, tight: true)
        yTicks = LossPlot.Ticks(lo: lo - room, hi: hi + room)
        hiddenMaximum = nil
    }
}
