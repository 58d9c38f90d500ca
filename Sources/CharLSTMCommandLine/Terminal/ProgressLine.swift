import CharLSTM
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

/// The one-line training status, e.g.
/// `step 1200/5000 (24%) │ epoch 1.37 │ loss 1.912 bpc │ val 1.954 │ 48.2k chars/s │ ETA 3m12s`.
///
/// On a terminal the caller rewrites the line in place: `"\r" + format(…, width: terminalWidth() - 1) + "\u{1B}[K"`
/// (one column spare keeps the cursor off the last column, where some terminals wrap). Elsewhere (a log file, a pipe)
/// it writes ``logLine(step:totalSteps:epoch:trainLoss:validationLoss:itemsPerSecond:eta:)`` followed by a newline.
struct ProgressLine {
    /// The status for a terminal, at most `width` characters: when it is too long, whole fields are left out
    /// (epoch first, then validation, rate, ETA and loss) and then the rest is cut with `…`.
    /// `nil` values are left out; `eta` is in seconds, shown as `ETA ≤ 3m12s` when it is only an upper bound (a run
    /// that may stop early, `--patience`).
    static func format(
        step: Int, totalSteps: Int?, epoch: Double, unit: LossUnit = .bitsPerCharacter, trainLoss: Double?, validationLoss: Double?,
        itemsPerSecond: Double, eta: Double?, etaIsUpperBound: Bool = false, width: Int
    ) -> String {
        guard width > 0 else { return "" }
        var stepField = "step \(step)"
        if let totalSteps, totalSteps > 0 {
            stepField += "/\(totalSteps) (\(min(100, max(0, step * 100 / totalSteps)))%)"
        }
        // Fields with the order in which they are dropped when the line is too wide (lower goes first).
        var fields: [(text: String, keep: Int)] = [(stepField, 6), ("epoch " + String(epoch, fractionDigits: 2), 1)]
        if let trainLoss { fields.append(("loss " + short(trainLoss, unit) + " " + unit.short, 5)) }
        if let validationLoss { fields.append(("val " + short(validationLoss, unit), 2)) }
        fields.append(("\(rate(itemsPerSecond)) \(unit.items)/s", 3))
        if let eta { fields.append(("ETA \(etaIsUpperBound ? "≤ " : "")\(duration(eta))", 4)) }

        func joined() -> String { fields.map(\.text).joined(separator: " │ ") }
        var line = joined()
        while line.count > width, fields.count > 1 {
            fields.remove(at: fields.indices.min { fields[$0].keep < fields[$1].keep }!)
            line = joined()
        }
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }

    /// The status for logs: plain ASCII `key=value` fields, never cut, e.g.
    /// `step=1200/5000 epoch=1.37 train_bpc=1.912 val_bpc=1.954 chars_per_sec=48213 eta=3m12s` (`eta<=3m12s` for
    /// an upper bound).
    static func logLine(
        step: Int, totalSteps: Int?, epoch: Double, unit: LossUnit = .bitsPerCharacter, trainLoss: Double?, validationLoss: Double?,
        itemsPerSecond: Double, eta: Double?, etaIsUpperBound: Bool = false
    ) -> String {
        var fields = ["step=\(step)" + (totalSteps.map { "/\($0)" } ?? ""), "epoch=" + String(epoch, fractionDigits: 2)]
        let key = unit.short.lowercased(), rateKey = "\(unit.items)_per_sec="
        if let trainLoss { fields.append("train_\(key)=" + short(trainLoss, unit)) }
        if let validationLoss { fields.append("val_\(key)=" + short(validationLoss, unit)) }
        fields.append(itemsPerSecond.isFinite ? rateKey + String(itemsPerSecond, fractionDigits: 0) : rateKey + "-")
        if let eta { fields.append("eta\(etaIsUpperBound ? "<=" : "=")\(duration(eta))") }
        return fields.joined(separator: " ")
    }

    /// A loss in a status line: bits per character with 3 decimals, a series' RMSE with 4 significant digits.
    static func short(_ loss: Double, _ unit: LossUnit) -> String {
        unit == .bitsPerCharacter ? String(loss, fractionDigits: 3) : String(loss, significantDigits: 4)
    }

    /// A duration in at most two units: `45s`, `3m12s`, `1h02m`, `2d03h`; `--` when negative or not finite.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e15 else { return "--" }
        let s = Int(seconds.rounded())
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m\(two(s % 60))s"
        case ..<86400: return "\(s / 3600)h\(two(s / 60 % 60))m"
        default: return "\(s / 86400)d\(two(s / 3600 % 24))h"
        }
    }

    /// A rate with three significant digits and a metric prefix: `512`, `48.2k`, `1.23M`; `--` when not finite.
    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return "--" }
        var v = abs(value)
        var prefixes = ["", "k", "M", "G", "T"][...]
        while true {
            let decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0
            let text = String(v, fractionDigits: decimals)
            // Rounding may reach 1000 (999.7 → "1000"): move to the next prefix instead.
            if Double(text)! < 1000 || prefixes.count == 1 { return (value < 0 ? "-" : "") + text + prefixes.first! }
            v /= 1000
            prefixes = prefixes.dropFirst()
        }
    }

    /// The width of the terminal on standard output, in columns; 80 when standard output is not a terminal
    /// or its size is unknown.
    static func terminalWidth() -> Int {
        var size = winsize()
        guard isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else {
            return 80
        }
        return Int(size.ws_col)
    }
}
