import Testing
@testable import CharLSTM
@testable import CharLSTMCommandLine
@testable import CharLSTMTestSupport

@Suite struct ProgressLineTests {
    @Test func durations() {
        let cases: [(Double, String)] = [
            (0, "0s"), (45.4, "45s"), (59.6, "1m00s"), (192, "3m12s"), (3599, "59m59s"), (3720, "1h02m"),
            (86399, "23h59m"), (2 * 86400 + 3 * 3600 + 59, "2d03h"), (-1, "--"), (.nan, "--"), (.infinity, "--"),
        ]
        for (seconds, text) in cases { #expect(ProgressLine.duration(seconds) == text) }
    }

    @Test func rates() {
        let cases: [(Double, String)] = [
            (0, "0.00"), (5.5, "5.50"), (51.25, "51.2"), (512.3, "512"), (999.7, "1.00k"), (1234, "1.23k"),
            (48213, "48.2k"), (999_600, "1.00M"), (1_234_567, "1.23M"), (-2500, "-2.50k"), (.nan, "--"),
        ]
        for (value, text) in cases { #expect(ProgressLine.rate(value) == text) }
    }

    @Test func fullLine() {
        let line = ProgressLine.format(step: 1200, totalSteps: 5000, epoch: 1.3667, trainLoss: 1.9123, validationLoss: 1.954,
                                       itemsPerSecond: 48213, eta: 192, width: 200)
        #expect(line == "step 1200/5000 (24%) │ epoch 1.37 │ loss 1.912 bpc │ val 1.954 │ 48.2k chars/s │ ETA 3m12s")
        let open = ProgressLine.format(step: 7, totalSteps: nil, epoch: 0, trainLoss: nil, validationLoss: nil,
                                       itemsPerSecond: 10, eta: nil, width: 80)
        #expect(open == "step 7 │ epoch 0.00 │ 10.0 chars/s")
    }

    @Test func narrowTerminalsDropFieldsThenCut() {
        func line(_ width: Int) -> String {
            ProgressLine.format(step: 1200, totalSteps: 5000, epoch: 1.37, trainLoss: 1.912, validationLoss: 1.954,
                                itemsPerSecond: 48213, eta: 192, width: width)
        }
        #expect(line(60) == "step 1200/5000 (24%) │ loss 1.912 bpc │ ETA 3m12s")
        #expect(line(40) == "step 1200/5000 (24%) │ loss 1.912 bpc")
        #expect(line(10) == "step 1200…")
        #expect(line(0) == "")
        for width in 1...120 { #expect(line(width).count <= width) }
    }

    @Test func logLineIsPlain() {
        let line = ProgressLine.logLine(step: 1200, totalSteps: 5000, epoch: 1.37, trainLoss: 1.912, validationLoss: nil,
                                        itemsPerSecond: 48213.4, eta: 192)
        #expect(line == "step=1200/5000 epoch=1.37 train_bpc=1.912 chars_per_sec=48213 eta=3m12s")
        #expect(line.allSatisfy { $0.isASCII })
    }

    @Test func terminalWidthIsPositive() {
        #expect(ProgressLine.terminalWidth() > 0)
    }

    @Test func progressAtTheLastCountIsWritten() {
        let n = ValueRange.countLimit
        for unit in [LossUnit.bitsPerCharacter, .rootMeanSquaredError] {
            #expect(!ProgressLine.format(step: n, totalSteps: n, epoch: Double(n), unit: unit, trainLoss: 1, validationLoss: 1,
                                         itemsPerSecond: 1e12, eta: 1e12, width: 200).isEmpty)
        }
    }
}
