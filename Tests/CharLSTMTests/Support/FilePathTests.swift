import Foundation
import Testing
@testable import CharLSTM
@testable import CharLSTMTestSupport

@Suite struct FilePathTests {
    /// path → components, last component, parent, cleaned, normalized, stem.
    static let shapes: [(String, [String], String?, String, String, String, String?)] = [
        ("q", ["q"], "q", ".", "q", "q", "q"),
        ("runs/", ["runs"], "runs", ".", "runs", "runs", "runs"),
        ("runs//", ["runs"], "runs", ".", "runs", "runs", "runs"),
        ("/", [], nil, "/", "/", "/", nil),
        ("//", [], nil, "/", "/", "/", nil),
        ("", [], nil, "..", ".", ".", nil),
        (".", ["."], ".", "./..", ".", ".", "."),
        ("..", [".."], "..", "../..", "..", "..", ".."),
        ("./", ["."], ".", "./..", ".", ".", "."),
        ("a/./b/../c/", ["a", ".", "b", "..", "c"], "c", "a/./b/..", "a/b/../c", "a/c", "c"),
        ("a/..", ["a", ".."], "..", "a/../..", "a/..", ".", ".."),
        ("../../x", ["..", "..", "x"], "x", "../..", "../../x", "../../x", "x"),
        ("/x//y.tar.gz", ["x", "y.tar.gz"], "y.tar.gz", "/x", "/x/y.tar.gz", "/x/y.tar.gz", "y.tar"),
        ("./run/latest.safetensors", [".", "run", "latest.safetensors"], "latest.safetensors", "./run",
         "run/latest.safetensors", "run/latest.safetensors", "latest"),
        ("/..", [".."], "..", "/../..", "/..", "/", ".."),
        ("/../a", ["..", "a"], "a", "/..", "/../a", "/a", "a"),
        ("sp ace/ö.txt", ["sp ace", "ö.txt"], "ö.txt", "sp ace", "sp ace/ö.txt", "sp ace/ö.txt", "ö"),
        ("日本/語.", ["日本", "語."], "語.", "日本", "日本/語.", "日本/語.", "語"),
        (".profile", [".profile"], ".profile", ".", ".profile", ".profile", ".profile"),
        ("e\u{301}/", ["e\u{301}"], "e\u{301}", ".", "e\u{301}", "e\u{301}", "e\u{301}"),
    ]

    @Test(arguments: shapes)
    func splitsAndJoinsEveryShape(_ shape: (String, [String], String?, String, String, String, String?)) {
        let (text, components, last, parent, cleaned, normalized, stem) = shape
        let path = FilePath(text)
        #expect(path.components == components, "\(text)")
        #expect(path.lastComponent == last, "\(text)")
        #expect(path.parent.string == parent, "\(text)")
        #expect(path.cleaned.string == cleaned, "\(text)")
        #expect(path.normalized.string == normalized, "\(text)")
        #expect(path.stem == stem, "\(text)")
    }

    @Test func joinsNamesNamesFilesAndListsPrefixes() {
        #expect(FilePath("runs/").appending("x").string == "runs/x")
        #expect(FilePath("/").appending("x").string == "/x")
        #expect(FilePath("").appending("x").string == "x")
        #expect(FilePath("a").appending("x/y").string == "a/x/y")
        #expect(FilePath("runs//").withoutTrailingSlashes.string == "runs")
        #expect(FilePath("//").withoutTrailingSlashes.string == "/")
        #expect(FilePath("").withoutTrailingSlashes.string == "")
        #expect(FilePath("./a").withoutTrailingSlashes.string == "./a")
        for (text, names) in [("a", true), ("a/b.bin", true), ("a/", false), (".", false), ("a/..", false), ("", false),
                              ("/", false), ("a\u{0}b", false), ("ö", true)] {
            #expect(FilePath(text).namesAFile == names, "\(text)")
        }
        #expect(FilePath("a/b/c").prefixes.map(\.string) == ["a", "a/b", "a/b/c"])
        #expect(FilePath("/x//y/").prefixes.map(\.string) == ["/x", "/x/y"])
        #expect(FilePath("/").prefixes.isEmpty)
        #expect(FilePath("a\u{0}").containsNUL && !FilePath("a").containsNUL)
    }

    /// Random paths of every shape, made into real folders under a deep temporary root (a symbolic link
    /// among them): what ``FilePath`` says lexically must agree with where the kernel goes.
    @Test func agreesWithTheFileSystemOnGeneratedShapes() throws {
        let folder = TemporaryFolder()
        // Deep enough that `..` components stay inside the temporary folder.
        let base = folder.path + "/d1/d2/d3/d4/d5/d6"
        try Files.makeFolders(base)
        let linked = folder.path + "/elsewhere/e1/e2/e3/e4/e5/deep"
        try Files.makeFolders(linked)
        #expect(symlink(linked, base + "/ln") == 0)
        let names = ["q", "a", "runs", ".", "..", "sp ace", "ö", "日本", "x.y", ".hidden", "-", "e\u{301}"]
        var rng = RandomGenerator(seed: 0xF11E_9A7)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for _ in 0..<300 {
            let throughLink = below(4) == 0
            var parts = (0..<(1 + below(5))).map { _ in names[below(names.count)] }
            if throughLink { parts.insert("ln", at: 0) }
            var text = ""
            for (i, part) in parts.enumerated() {
                if i > 0 { text += String(repeating: "/", count: 1 + below(2)) }
                text += part
            }
            text += String(repeating: "/", count: below(3))
            let relative = FilePath(text)
            let absolute = FilePath(base + "/" + text)
            let inBase = { (p: FilePath) in FilePath(base).appending(p.string).string }
            try Files.makeFolders(absolute.string)
            #expect(Files.isFolder(absolute.string), "\(text)")
            for prefix in absolute.prefixes { #expect(Files.isFolder(prefix.string), "\(text): \(prefix)") }
            // cleaned and parent never change where a path leads, links or not.
            #expect(Files.sameFile(absolute.string, absolute.cleaned.string), "\(text)")
            #expect(Files.sameFile(inBase(relative.cleaned), absolute.string), "\(text)")
            #expect(Files.sameFile(absolute.parent.string, absolute.string + "/.."), "\(text)")
            #expect(Files.sameFile(inBase(relative.parent), absolute.string + "/.."), "\(text)")
            // Without a link on the way, folding `x/..` by name is exact too.
            if !throughLink {
                #expect(Files.sameFile(absolute.normalized.string, absolute.string), "\(text)")
                #expect(Files.sameFile(inBase(relative.normalized), absolute.string), "\(text)")
            }
            // Lexical laws.
            #expect(relative.cleaned.cleaned == relative.cleaned)
            #expect(relative.normalized.normalized == relative.normalized)
            #expect(relative.cleaned.normalized == relative.normalized)
            // `.` only as the whole path; `..` only leading, in a normalized one.
            #expect(relative.cleaned.string == "." || !relative.cleaned.components.contains("."), "\(text)")
            let rest = relative.normalized.components.drop(while: { $0 == ".." })
            #expect(relative.normalized.string == "." || rest.allSatisfy { $0 != ".." && $0 != "." }, "\(text)")
            #expect(relative.appending("x").parent.cleaned == relative.cleaned, "\(text)")
            #expect(relative.appending("x").lastComponent == "x")
            #expect(relative.withoutTrailingSlashes.components == relative.components)
        }
    }
}
