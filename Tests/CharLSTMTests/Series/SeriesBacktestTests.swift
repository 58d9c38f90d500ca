import Testing
@testable import CharLSTM

/// A forecast's score on held-out values, beside the naive and seasonal-naive forecasts, computed by hand.
@Suite struct SeriesBacktestTests {
    @Test func scoresAgainstBothBaselines() throws {
        let score = try SeriesBacktest(forecast: [5.5, 6, 6], actual: [5, 6, 7], history: [1, 2, 3, 4], season: 2)
        #expect(score.count == 3)
        #expect(abs(score.rmse - (1.25 / 3).squareRoot()) < 1e-15 && abs(score.mae - 0.5) < 1e-15)
        #expect(abs(score.naiveRMSE - (14.0 / 3).squareRoot()) < 1e-15)          // 4 repeated: −1, −2, −3
        #expect(abs((score.seasonalNaiveRMSE ?? .nan) - 8.0.squareRoot()) < 1e-15)  // 3, 4, 3: −2, −2, −4
        // Only the held-out values the forecast reaches count; a season longer than the history gives no baseline.
        let short = try SeriesBacktest(forecast: [5], actual: [5, 6, 7], history: [1, 2], season: 3)
        #expect(short.count == 1 && short.rmse == 0 && short.seasonalNaiveRMSE == nil && short.season == 3)
        #expect(throws: CharLSTMError.self) { try SeriesBacktest(forecast: [1], actual: [1], history: []) }
        #expect(throws: CharLSTMError.self) { try SeriesBacktest(forecast: [1], actual: [1], history: [1], season: 0) }
    }
}
