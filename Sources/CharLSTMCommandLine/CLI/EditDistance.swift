import CharLSTM
/// Edit distances for "did you mean" suggestions.
enum EditDistance {
    /// The optimal-string-alignment distance between `a` and `b`: the fewest insertions, deletions,
    /// substitutions and swaps of two neighbouring characters that turn `a` into `b` (`trian` → `train` is 1).
    ///
    /// d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a[i] ≠ b[j]),
    ///               d[i-2][j-2] + 1 when a[i] = b[j-1] and a[i-1] = b[j])
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d = min(d, twoBack[j - 2] + 1)
                }
                current[j] = d
            }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return previous[b.count]
    }

    /// The candidate nearest to `word`, when it is close enough to be a likely typo; ties go to the first.
    ///
    /// Close enough: equal but for letter case, or at most a third of the candidate's length
    /// (at least 1, at most 3) edits away.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        if let sameLetters = candidates.first(where: { $0.lowercased() == word.lowercased() }) { return sameLetters }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(word, candidate)
            guard d <= max(1, min(3, candidate.count / 3)) else { continue }
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        return best?.candidate
    }
}
