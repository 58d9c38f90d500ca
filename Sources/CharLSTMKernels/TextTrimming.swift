/// The whitespace trimming Foundation's `trimmingCharacters(in: .whitespaces)` does, without Foundation (the
/// product imports only FoundationEssentials, which lacks it). Here, not in `CharLSTM`, because `CPUInfo`
/// parses /proc/cpuinfo with it; `package` makes it visible to the library and the tests only.
extension StringProtocol {
    /// The text without the spaces and tabs at its ends: the Unicode scalars of general category Zs
    /// (space separators: U+0020, no-break space U+00A0, U+2000–U+200A, U+3000, …), U+0009 (tab) and U+200B
    /// (zero width space, Zs in old Unicode versions), exactly `CharacterSet.whitespaces`. Line breaks are kept.
    /// Works on Unicode scalars, as Foundation does, so a space followed by a combining mark loses the space. O(n).
    package func trimmingSpacesAndTabs() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isSpaceOrTab }),
              let last = scalars.lastIndex(where: { !$0.isSpaceOrTab }) else { return "" }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }
}

extension Unicode.Scalar {
    /// Whether this is a tab, a space separator (general category Zs) or U+200B: `CharacterSet.whitespaces`.
    package var isSpaceOrTab: Bool {
        self == "\t" || self == "\u{200B}" || properties.generalCategory == .spaceSeparator
    }
}
