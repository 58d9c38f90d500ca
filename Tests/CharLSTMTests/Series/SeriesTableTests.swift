import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct SeriesTableTests {
    func parse(_ text: String, _ columns: [String] = ["v"], gaps: SeriesTable.GapPolicy = .refuse) throws(CharLSTMError) -> SeriesTable {
        try SeriesTable.parse(Array(text.utf8), columns: columns, gaps: gaps)
    }

    func message(_ text: String, _ columns: [String] = ["v"], gaps: SeriesTable.GapPolicy = .refuse) -> String? {
        do {
            _ = try parse(text, columns, gaps: gaps)
            return nil
        } catch {
            #expect(error.kind == .invalidData)
            return error.message
        }
    }

    @Test func readsTheNamedColumnsWithQuotesCRLFAndABOM() throws {
        let text = "\u{FEFF}date,\"note, with comma\",v\r\n2001,\"say \"\"hi\"\"\",1.5\r\n2002,x, -2e-1 \r\n2003,\"two\nlines\",3\r\n"
        let t = try parse(text, ["v"])
        #expect(t.values == [1.5, -0.2, 3])
        #expect(t.columns == ["v"])
        let two = try parse("a;b\n1;2\n3;4\n", ["b", "a"])
        #expect(two.values == [2, 1, 4, 3] && two.column(1) == [1, 3])
        #expect(try parse("v\n7").values == [7])  // no newline at the end
        #expect(try parse("x\tv\n1\t8\n").values == [8])
    }

    @Test func badValuesNameTheirLineAndColumn() {
        #expect(message("t,v\n1,2\n2,abc\n") == "line 3, column 'v': 'abc' is not a number")
        #expect(message("t,v\n1,2\n2,inf\n") == "line 3, column 'v': 'inf' is not a number")
        #expect(message("t,v\n1,\n")?.hasPrefix("line 2, column 'v' has no value: fill it in, or give gaps = .interpolate") == true)
        #expect(message("t,v\n1,NA\n")?.hasPrefix("line 2, column 'v' has no value ('NA')") == true)
        #expect(message("t,v\n1,2\n3\n") == "line 3 has 1 fields, the header 2")
        #expect(message("date,co2,site\n1,2,3\n", ["value"]) == "has no column 'value'; its columns are 'date', 'co2', 'site'")
        #expect(message("t,v\n") == "has a header but no rows of values")
        #expect(message("") == "is empty: a CSV file with a header row is needed")
    }

    @Test func interpolationFillsGapsOnTheLineBetweenValues() throws {
        let t = try parse("v\n1\n\nNaN\n4\n5\nnull\n9\n", gaps: .interpolate)
        #expect(t.values == [1, 2, 3, 4, 5, 7, 9])
        #expect(t.interpolated == 3)
        #expect(message("t,v\n1,\n2,3\n", gaps: .interpolate) == "line 2, column 'v' has no value and no value before it to interpolate from")
        #expect(message("t,v\n1,3\n2,NA\n", gaps: .interpolate) == "line 3, column 'v' has no value and no value after it to interpolate from")
        #expect(message("t,v\n1,x\n2,3\n", gaps: .interpolate) == "line 2, column 'v': 'x' is not a number")
    }

    @Test func standardisationAndDifferencingRoundTrip() throws {
        let t = try parse("v\n1\n3\n6\n10\n15\n")
        let plain = SeriesScaling(fitting: t, rows: 5)
        #expect(abs(plain.mean[0] - 7) < 1e-12)
        let z = plain.standardize(t)
        for (i, v) in t.values.enumerated() { #expect(abs(plain.unstandardize(z[i]) - v) < 1e-5) }
        let diff = SeriesScaling(fitting: t, rows: 5, lag: 1)  // changes 2, 3, 4, 5
        #expect(abs(diff.mean[0] - 3.5) < 1e-12)
        let d = diff.standardize(t)
        #expect(d.count == 4)
        for i in 0..<4 { #expect(abs(diff.unstandardize(d[i], base: t.values[i]) - t.values[i + 1]) < 1e-5) }
        let constant = SeriesScaling(fitting: try parse("v\n2\n2\n"), rows: 2)
        #expect(constant.deviation == [1])
    }

    @Test func anUnterminatedQuoteIsAnErrorNamingItsLine() throws {
        let expected = "line 3 opens a quoted field that is never closed: add the closing \" (a quote inside a quoted field is "
            + "written twice, \"\")"
        #expect(message("t,v\n1,2\n2,\"3\n3,4\n4,5\n") == expected)
        // Also in a column that is not read: the rest of the file is not swallowed into one field.
        #expect(message("t,note,v\n1,a,2\n2,\"b,3\n3,c,4\n") == expected)
        // A quoted field over two lines is fine, and the lines after it are counted right.
        #expect(message("t,note,v\n1,\"two\nlines\",2\n2,x,abc\n") == "line 4, column 'v': 'abc' is not a number")
    }

    @Test func valuesBeyondTheLimitAreRefusedNamingTheirLine() throws {
        #expect(try parse("v\n1e100\n-1e100\n").values == [1e100, -1e100])
        let refused = message("t,v\n1,1\n2,-1e200\n")
        #expect(refused?.hasPrefix("line 3, column 'v': -1e200 is larger in magnitude than 1e100") == true, "\(refused ?? "")")
        // Names with line breaks stay on one line in messages.
        #expect(message("t,v\n1,2\n", ["a\nb"]) == "has no column 'a\\u{a}b'; its columns are 't', 'v'")
    }
}
