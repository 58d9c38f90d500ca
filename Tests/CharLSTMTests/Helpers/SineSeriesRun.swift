import Foundation
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// A two-step series run (hidden 8, one thread, validated every step) on 300 rows of a sine wave, column `y`
/// beside a time column `t`, in `folder`: its latest checkpoint, that file's path and the CSV's.
func sineSeriesRun(in folder: TemporaryFolder) throws -> (checkpoint: Checkpoint, path: String, csv: String) {
    let rows = (0..<300).map { "\($0),\(sin(Double($0) / 4))" }.joined(separator: "\n")
    let csv = folder.file("s.csv", Array(("t,y\n" + rows + "\n").utf8))
    var configuration = TrainingRun.Configuration(corpus: csv, folder: folder.path + "/run")
    configuration.hidden = 8
    configuration.threads = 1
    configuration.evaluateEvery = 1
    let outcome = try TrainingRun(configuration, series: SeriesSource(column: "y")).train(budget: .steps(2))
    return (try Checkpoint.load(path: outcome.latest), outcome.latest, csv)
}
