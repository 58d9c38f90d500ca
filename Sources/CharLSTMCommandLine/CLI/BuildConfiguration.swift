/// How this executable was compiled. A debug build (`swift run charlstm …` without `-c release`) trains and
/// generates hundreds of times slower than a release build: a step of the default model takes minutes, so a
/// person would think it hung. The commands that compute say so first.
enum BuildConfiguration {
    case debug, release

    /// The configuration of the running executable.
    static var current: BuildConfiguration {
        #if DEBUG
        .debug
        #else
        .release
        #endif
    }

    /// The line a computing command prints on standard error first, or nil for a release build.
    var warning: String? {
        switch self {
        case .release: nil
        case .debug: "warning: this is a debug build, hundreds of times slower than a release build at training and "
            + "generating: build with 'swift build -c release' (or run 'swift run -c release charlstm …')"
        }
    }
}
