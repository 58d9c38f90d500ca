/// A file-system path as text, split and joined without system calls and without any case that traps.
///
/// The path's *components* are the pieces between slashes, empty pieces dropped: `"a//b/"` has the components
/// `["a", "b"]`, `"/"` and `""` have none. A path starting with `/` is absolute. Nothing here looks at the
/// disk: ``parent`` and ``cleaned`` keep what the kernel would resolve (they never fold `x/..` away, which is
/// wrong when `x` is a symbolic link), while ``normalized`` folds `x/..` lexically, for display and
/// comparison of names only. ``Files`` answers what is actually on disk.
package struct FilePath: Hashable, Sendable, CustomStringConvertible {
    /// The path exactly as given.
    package let string: String

    package init(_ string: String) { self.string = string }

    package var description: String { string }

    package var isAbsolute: Bool { string.utf8.first == UInt8(ascii: "/") }

    /// The non-empty pieces between slashes, `.` and `..` included. O(length).
    package var components: [String] {
        string.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The last component; nil when there is none (`""`, `"/"`, `"//"`).
    package var lastComponent: String? {
        string.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init)
    }

    /// Whether the path is usable as a file's name: a last component that is not `.` or `..`, no trailing
    /// slash (which would make it a folder), no NUL character (which the system would cut the path at).
    package var namesAFile: Bool {
        guard let last = lastComponent, last != ".", last != "..", string.utf8.last != UInt8(ascii: "/") else {
            return false
        }
        return !containsNUL
    }

    /// Whether the text holds a NUL character: the C string handed to the system would end there.
    package var containsNUL: Bool { string.utf8.contains(0) }

    /// The last component without its extension (the part from its last `.`, unless that `.` starts the
    /// name): `shakespeare.txt` → `shakespeare`, `a.tar.gz` → `a.tar`, `.profile` → `.profile`. Nil when
    /// there is no last component; `.` and `..` are their own stems.
    package var stem: String? {
        guard let name = lastComponent else { return nil }
        guard name != ".", name != "..", let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return name
        }
        return String(name[..<dot])
    }

    /// The folder holding the path's last component, as the kernel would resolve it: the path without its
    /// last component (`a/b/c` → `a/b`, `a` → `.`, `/a` → `/`, `runs/` → `.`), or the path followed by `..`
    /// when it ends in `.` or `..` (`a/..` → `a/../..`). The parent of `/` is `/`.
    package var parent: FilePath {
        var parts = components
        guard let last = parts.last, last != ".", last != ".." else {
            if parts.isEmpty { return FilePath(isAbsolute ? "/" : "..") }
            return FilePath(Self.join(parts + [".."], absolute: isAbsolute))
        }
        parts.removeLast()
        if parts.isEmpty { return FilePath(isAbsolute ? "/" : ".") }
        return FilePath(Self.join(parts, absolute: isAbsolute))
    }

    /// `component` (one name, or a relative path) inside this folder: `runs/` + `x` → `runs/x`, `/` + `x` →
    /// `/x`, `` + `x`→ `x`. The folder is kept as written.
    package func appending(_ component: String) -> FilePath {
        if string.isEmpty { return FilePath(component) }
        if string.utf8.last == UInt8(ascii: "/") { return FilePath(string + component) }
        return FilePath(string + "/" + component)
    }

    /// The path without trailing slashes, as written otherwise: `runs/` → `runs`, `a//` → `a`; `/` stays.
    package var withoutTrailingSlashes: FilePath {
        var text = Substring(string)
        while text.utf8.count > 1 && text.utf8.last == UInt8(ascii: "/") { text = text.dropLast() }
        return FilePath(String(text))
    }

    /// The same place written plainly: no empty components (duplicate or trailing slashes) and no `.`
    /// components; `..` is kept. `./a//b/./` → `a/b`; `""` and `"."` → `.`; `"/"` → `/`.
    package var cleaned: FilePath {
        let parts = components.filter { $0 != "." }
        if parts.isEmpty { return FilePath(isAbsolute ? "/" : ".") }
        return FilePath(Self.join(parts, absolute: isAbsolute))
    }

    /// ``cleaned`` with every `name/..` folded lexically (`a/b/../c` → `a/c`, `/..` → `/`, `../a` stays). This
    /// is a statement about names: through a symbolic link `x/..` is not where `x`'s folder is, so use it to
    /// compare or show paths, and ``Files/sameFile(_:_:)`` to ask whether two paths are one folder.
    package var normalized: FilePath {
        var parts: [String] = []
        for part in components where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", isAbsolute {
                continue
            } else {
                parts.append(part)
            }
        }
        if parts.isEmpty { return FilePath(isAbsolute ? "/" : ".") }
        return FilePath(Self.join(parts, absolute: isAbsolute))
    }

    /// The path of each folder on the way to this path, itself last: `a/b/c` → `a`, `a/b`, `a/b/c`;
    /// `/x/y` → `/x`, `/x/y`. Components are kept as written (`.` and `..` included).
    package var prefixes: [FilePath] {
        var result: [FilePath] = []
        var parts: [String] = []
        for part in components {
            parts.append(part)
            result.append(FilePath(Self.join(parts, absolute: isAbsolute)))
        }
        return result
    }

    private static func join(_ parts: [String], absolute: Bool) -> String {
        (absolute ? "/" : "") + parts.joined(separator: "/")
    }
}
