/// Text for HTML and SVG/XML documents.
package enum Markup {
    /// `text` safe inside an element or a quoted attribute of an HTML or XML document: the five characters that
    /// mean something there written as references (`&#39;` for `'`, which both read), and control characters other
    /// than tab, line feed and carriage return, which XML 1.0 does not allow, as spaces. O(n).
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `value` as JSON for an inert `<script type="application/json">` element: every `<` written `\u003c` (in
    /// JSON a `<` can only be inside a string, where that means the same), so no text can end the element.
    package static func scriptJSON(_ value: JSONValue) -> String {
        value.encoded.replacingAll("<", with: "\\u003c")
    }
}
